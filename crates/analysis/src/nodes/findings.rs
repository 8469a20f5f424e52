//! Findings only several nodes together show: an `externalTrafficPolicy: Local` Service that drops
//! external traffic on some nodes (the black hole, with the nodes), a Service whose endpoint set or
//! presence differs between nodes (the odd node out, whose kube-proxy is likely not syncing), mixed proxy
//! modes or rule layouts, and one node's conntrack table near full.
//!
//! Example: `shop/remote:http` has policy Local; node-a and node-b drop external traffic for it (no local
//! endpoint), node-c accepts it: a load balancer that sends to every node loses two connections in three.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::compare::{Aspect, NodeSummary, ServiceRow};
use super::facts::ServiceFacts;
use crate::report::{ConntrackVerdict, Mode, Severity};
use crate::words::{list, percent_rounded};

/// What a cross-node finding is about; serialised as its code word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NodeFindingCode {
    /// Policy Local, and some nodes drop external traffic for want of a local endpoint.
    #[serde(rename = "nodes-etp-local-black-hole")]
    EtpLocalBlackHole,
    /// One node is the odd one out on several Service ports: its kube-proxy is likely not syncing.
    #[serde(rename = "nodes-odd-node-out")]
    OddNodeOut,
    /// Nodes program different endpoint sets for one Service port.
    #[serde(rename = "nodes-endpoints-differ")]
    EndpointsDiffer,
    /// Some nodes lack a Service port the others have.
    #[serde(rename = "nodes-service-missing")]
    ServiceMissing,
    /// Nodes run kube-proxy in different modes.
    #[serde(rename = "nodes-mixed-modes")]
    MixedModes,
    /// Nodes show different kube-proxy rule layouts (releases).
    #[serde(rename = "nodes-mixed-layouts")]
    MixedLayouts,
    /// One node's conntrack table is near full (or full) while it is not everywhere.
    #[serde(rename = "nodes-conntrack-near-full")]
    ConntrackNearFull,
}

impl NodeFindingCode {
    /// The code word, as the JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeFindingCode::EtpLocalBlackHole => "nodes-etp-local-black-hole",
            NodeFindingCode::OddNodeOut => "nodes-odd-node-out",
            NodeFindingCode::EndpointsDiffer => "nodes-endpoints-differ",
            NodeFindingCode::ServiceMissing => "nodes-service-missing",
            NodeFindingCode::MixedModes => "nodes-mixed-modes",
            NodeFindingCode::MixedLayouts => "nodes-mixed-layouts",
            NodeFindingCode::ConntrackNearFull => "nodes-conntrack-near-full",
        }
    }
}

/// A finding across nodes, naming the nodes it is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeFinding {
    pub code: NodeFindingCode,
    pub severity: Severity,
    /// The Service port, when the finding is about one.
    pub service: Option<String>,
    /// The nodes at fault (that drop, that are the odd ones out, that are near full).
    pub nodes: Vec<String>,
    pub message: String,
}

/// The cross-node findings of a comparison, most severe first, then by code and Service.
pub(crate) fn cross_node_findings(nodes: &[NodeSummary], rows: &[ServiceRow]) -> Vec<NodeFinding> {
    let mut out = Vec::new();
    for row in rows {
        black_hole(row, nodes, &mut out);
        if row.differs.contains(&Aspect::Endpoints) {
            endpoints_differ(row, nodes, &mut out);
        }
        if !row.missing_on.is_empty() {
            let have: Vec<String> = ordered(row, nodes)
                .into_iter()
                .map(|(n, _)| n.clone())
                .collect();
            out.push(NodeFinding {
                code: NodeFindingCode::ServiceMissing,
                severity: Severity::Warning,
                service: Some(row.id.clone()),
                nodes: row.missing_on.clone(),
                message: format!(
                    "{} is programmed on {} but not on {}: kube-proxy there has not synced since the Service port changed (or that paste is cut).",
                    row.id,
                    list(&have),
                    list(&row.missing_on)
                ),
            });
        }
    }
    odd_node_out(nodes, rows.len(), &mut out);
    mixed(
        nodes,
        NodeFindingCode::MixedModes,
        |n| (n.mode != Mode::Unknown).then(|| n.mode.name().to_string()),
        "proxy modes",
        &mut out,
    );
    mixed(
        nodes,
        NodeFindingCode::MixedLayouts,
        |n| n.layout.clone(),
        "kube-proxy rule layouts (releases)",
        &mut out,
    );
    conntrack(nodes, &mut out);
    svcpath_syntax::stable_sort::sort_by(&mut out, |a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.cmp(&b.code))
            .then(a.service.cmp(&b.service))
    });
    out
}

/// The row's nodes in the order the nodes were given (the row keeps them by name).
fn ordered<'a>(
    row: &'a ServiceRow,
    nodes: &'a [NodeSummary],
) -> Vec<(&'a String, &'a ServiceFacts)> {
    nodes
        .iter()
        .filter_map(|n| row.nodes.get_key_value(&n.name))
        .collect()
}

fn black_hole(row: &ServiceRow, nodes: &[NodeSummary], out: &mut Vec<NodeFinding>) {
    let node_count = nodes.len();
    let local = row
        .nodes
        .values()
        .any(|f| f.external_traffic_policy == Some(crate::report::TrafficPolicy::Local));
    if !local {
        return;
    }
    let dropping: Vec<String> = ordered(row, nodes)
        .into_iter()
        .filter(|(_, f)| f.drops_external == Some(true))
        .map(|(n, _)| n.clone())
        .collect();
    if dropping.is_empty() {
        return;
    }
    let accepting: Vec<String> = ordered(row, nodes)
        .into_iter()
        .filter(|(_, f)| f.drops_external == Some(false))
        .map(|(n, _)| n.clone())
        .collect();
    let unknown: Vec<String> = ordered(row, nodes)
        .into_iter()
        .filter(|(_, f)| f.drops_external.is_none())
        .map(|(n, _)| n.clone())
        .collect();
    let mut message = format!(
        "{} has externalTrafficPolicy: Local and no endpoint on {}, so {} drop{} new connections from outside the cluster: a black hole for every client a load balancer or a NodePort user sends there",
        row.id,
        list(&dropping),
        if dropping.len() == 1 { "that node" } else { "those nodes" },
        if dropping.len() == 1 { "s" } else { "" },
    );
    if accepting.is_empty() {
        message.push_str(&format!(
            " — {} of the {} nodes compared, and none shown accepts it.",
            dropping.len(),
            node_count
        ));
    } else {
        message.push_str(&format!(
            " ({} of the {} nodes compared); only {} accept{} it. The load balancer must send only to the nodes whose health-check node port answers.",
            dropping.len(),
            node_count,
            list(&accepting),
            if accepting.len() == 1 { "s" } else { "" }
        ));
    }
    if !unknown.is_empty() {
        message.push_str(&format!(" The rules of {} do not tell.", list(&unknown)));
    }
    out.push(NodeFinding {
        code: NodeFindingCode::EtpLocalBlackHole,
        severity: Severity::Critical,
        service: Some(row.id.clone()),
        nodes: dropping,
        message,
    });
}

/// The nodes whose known endpoint set is not the one most nodes program.
fn endpoints_differ(row: &ServiceRow, nodes: &[NodeSummary], out: &mut Vec<NodeFinding>) {
    let mut groups: BTreeMap<&Vec<String>, Vec<String>> = BTreeMap::new();
    for (name, facts) in ordered(row, nodes) {
        if let Some(eps) = &facts.endpoints {
            groups.entry(eps).or_default().push(name.clone());
        }
    }
    let largest = groups.values().map(Vec::len).max().unwrap_or(0);
    let majorities: Vec<&Vec<String>> = groups
        .iter()
        .filter(|(_, n)| n.len() == largest)
        .map(|(eps, _)| *eps)
        .collect();
    let describe = |eps: &Vec<String>| {
        if eps.is_empty() {
            "no endpoint".to_string()
        } else {
            list(eps)
        }
    };
    let (odd, message) = if majorities.len() == 1 && largest > 1 {
        let majority = majorities[0];
        let odd: Vec<String> = groups
            .iter()
            .filter(|(eps, _)| **eps != majority)
            .flat_map(|(_, n)| n.clone())
            .collect();
        let theirs: Vec<String> = groups
            .iter()
            .filter(|(eps, _)| **eps != majority)
            .map(|(eps, n)| format!("{}: {}", list(n), describe(eps)))
            .collect();
        let message = format!(
            "{}: {} node{} program{} {}, but {} {} ({}): kube-proxy on the odd node{} out is likely not syncing (check its log and restart it).",
            row.id,
            groups.get(majority).map_or(0, Vec::len),
            if largest == 1 { "" } else { "s" },
            if largest == 1 { "s" } else { "" },
            describe(majority),
            list(&odd),
            if odd.len() == 1 { "differs" } else { "differ" },
            theirs.join("; "),
            if odd.len() == 1 { "" } else { "s" },
        );
        (odd, message)
    } else {
        let all: Vec<String> = groups.values().flatten().cloned().collect();
        let each: Vec<String> = groups
            .iter()
            .map(|(eps, n)| format!("{}: {}", list(n), describe(eps)))
            .collect();
        let message = format!(
            "{}: the nodes program different endpoints ({}), and no set is held by most of them: at least one kube-proxy is not syncing.",
            row.id,
            each.join("; ")
        );
        (all, message)
    };
    out.push(NodeFinding {
        code: NodeFindingCode::EndpointsDiffer,
        severity: Severity::Warning,
        service: Some(row.id.clone()),
        nodes: odd,
        message,
    });
}

/// A node named by two or more per-Service findings (endpoints differ, Service missing) gets one
/// finding that says so, ranked above them: the cause is that node's kube-proxy, not the Services.
fn odd_node_out(nodes: &[NodeSummary], rows: usize, out: &mut Vec<NodeFinding>) {
    if nodes.len() < 3 {
        // With two nodes, neither is the odd one out.
        return;
    }
    for node in nodes {
        let services: Vec<String> = out
            .iter()
            .filter(|f| {
                matches!(
                    f.code,
                    NodeFindingCode::EndpointsDiffer | NodeFindingCode::ServiceMissing
                ) && f.nodes == [node.name.clone()]
            })
            .filter_map(|f| f.service.clone())
            .collect();
        if services.len() < 2 {
            continue;
        }
        let shown: Vec<String> = services.iter().take(5).cloned().collect();
        let more = services.len() - shown.len();
        out.push(NodeFinding {
            code: NodeFindingCode::OddNodeOut,
            severity: Severity::Critical,
            service: None,
            nodes: vec![node.name.clone()],
            message: format!(
                "{} is the odd node out on {} of {} Service ports ({}{}): the other nodes agree, so its kube-proxy is likely not syncing. Check its kube-proxy log (sync errors, API watch errors) and restart it.",
                node.name,
                services.len(),
                rows,
                list(&shown),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ),
        });
    }
}

fn mixed(
    nodes: &[NodeSummary],
    code: NodeFindingCode,
    value: impl Fn(&NodeSummary) -> Option<String>,
    what: &str,
    out: &mut Vec<NodeFinding>,
) {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for node in nodes {
        if let Some(v) = value(node) {
            groups.entry(v).or_default().push(node.name.clone());
        }
    }
    if groups.len() < 2 {
        return;
    }
    let largest = groups.values().map(Vec::len).max().unwrap_or(0);
    let minority: Vec<String> = if groups.values().filter(|n| n.len() == largest).count() == 1 {
        groups
            .values()
            .filter(|n| n.len() != largest)
            .flatten()
            .cloned()
            .collect()
    } else {
        groups.values().flatten().cloned().collect()
    };
    let each: Vec<String> = groups
        .iter()
        .map(|(v, n)| format!("{v} on {}", list(n)))
        .collect();
    out.push(NodeFinding {
        code,
        severity: if code == NodeFindingCode::MixedModes {
            Severity::Warning
        } else {
            Severity::Info
        },
        service: None,
        nodes: minority,
        message: format!(
            "The nodes run different {what}: {}. Services behave alike, but costs, limits and fixes differ per node; a half-finished rollout or a node left behind looks like this.",
            each.join("; ")
        ),
    });
}

fn conntrack(nodes: &[NodeSummary], out: &mut Vec<NodeFinding>) {
    let full: Vec<&NodeSummary> = nodes
        .iter()
        .filter(|n| {
            matches!(
                n.conntrack_verdict,
                Some(ConntrackVerdict::Warning | ConntrackVerdict::Critical)
            )
        })
        .collect();
    if full.is_empty() {
        return;
    }
    let critical = full
        .iter()
        .any(|n| n.conntrack_verdict == Some(ConntrackVerdict::Critical));
    let each: Vec<String> = full
        .iter()
        .map(|n| match n.conntrack_fill {
            Some(fill) => format!("{} ({} full)", n.name, percent_rounded(fill)),
            None => n.name.clone(),
        })
        .collect();
    out.push(NodeFinding {
        code: NodeFindingCode::ConntrackNearFull,
        severity: if critical {
            Severity::Critical
        } else {
            Severity::Warning
        },
        service: None,
        nodes: full.iter().map(|n| n.name.clone()).collect(),
        message: format!(
            "The conntrack table is near full or dropping on {}: new connections through {} fail at random while the other nodes serve them. Raise nf_conntrack_max there, or find what fills it (conntrack -L).",
            list(&each),
            if full.len() == 1 { "that node" } else { "those nodes" }
        ),
    });
}
