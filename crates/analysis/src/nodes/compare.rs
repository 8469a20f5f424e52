//! Comparing nodes: one row per Service port with each node's facts, one column per node with its mode,
//! layout, rule count and conntrack fill; the rows where nodes disagree come first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::facts::{same_share, service_facts, ServiceFacts};
use super::findings::{cross_node_findings, NodeFinding};
use crate::report::{ConntrackVerdict, Mode, Report, Severity};

/// One node's column: what the node as a whole shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSummary {
    pub name: String,
    pub mode: Mode,
    /// The kube-proxy release layout recognised (`nftables 1.36+`), when the rules show it.
    pub layout: Option<String>,
    /// kube-proxy's version as its log prints it, when a log was pasted.
    pub kube_proxy_version: Option<String>,
    /// iptables backend (`legacy`, `nf_tables`) when the dump tells.
    pub iptables_backend: Option<String>,
    pub services: usize,
    /// Rules of the node's kube-proxy mode: iptables rules, nft rules and IPVS virtual services.
    pub rules: usize,
    /// Rules a new Service connection passes, on average over the Services.
    pub mean_rules_per_packet: Option<f64>,
    /// conntrack entries over the table's maximum (0 to 1), when both are known.
    pub conntrack_fill: Option<f64>,
    pub conntrack_verdict: Option<ConntrackVerdict>,
    pub findings: usize,
    pub critical_findings: usize,
    /// False when the node's paste holds no Service at all (nothing is claimed about a Service it lacks).
    pub knows_services: bool,
}

/// What can differ between nodes for one Service port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// The Service port is missing on some nodes that list Services.
    Presence,
    Endpoints,
    Odds,
    NodePort,
    ExternalTrafficPolicy,
    DropsExternal,
    Masquerade,
    SessionAffinity,
}

impl Aspect {
    /// The aspect as the text and Markdown tables name it.
    pub fn label(self) -> &'static str {
        match self {
            Aspect::Presence => "presence",
            Aspect::Endpoints => "endpoints",
            Aspect::Odds => "odds",
            Aspect::NodePort => "NodePort",
            Aspect::ExternalTrafficPolicy => "eTP",
            Aspect::DropsExternal => "external traffic",
            Aspect::Masquerade => "masquerade",
            Aspect::SessionAffinity => "affinity",
        }
    }
}

/// One Service port across the nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRow {
    /// `ns/name:port` (or `VIP:port/proto`).
    pub id: String,
    /// True when every node that shows the facts agrees (unknown facts never disagree).
    pub consistent: bool,
    /// What the nodes disagree on.
    pub differs: Vec<Aspect>,
    /// Each node that has the Service port, by node name.
    pub nodes: BTreeMap<String, ServiceFacts>,
    /// Nodes that list Services but not this one.
    pub missing_on: Vec<String>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Comparison {
    pub nodes: Vec<NodeSummary>,
    /// Disagreeing rows first, each group by id.
    pub services: Vec<ServiceRow>,
    /// Findings across nodes, most severe first.
    pub findings: Vec<NodeFinding>,
}

impl Comparison {
    /// How many Service ports the nodes disagree on.
    pub fn disagreeing(&self) -> usize {
        self.services.iter().filter(|s| !s.consistent).count()
    }

    /// The most severe cross-node finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Node names made unique (`node`, `node (2)`, …) and never empty, in the given order.
pub fn unique_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let base = if name.trim().is_empty() {
            format!("node-{}", i + 1)
        } else {
            name.trim().to_string()
        };
        let mut candidate = base.clone();
        let mut n = 2;
        while out.contains(&candidate) {
            candidate = format!("{base} ({n})");
            n += 1;
        }
        out.push(candidate);
    }
    out
}

/// Compares the nodes' reports, each with its name.
pub fn compare(nodes: &[(String, Report)]) -> Comparison {
    let names = unique_names(nodes.iter().map(|(n, _)| n.as_str()));
    let summaries: Vec<NodeSummary> = nodes
        .iter()
        .zip(&names)
        .map(|((_, report), name)| summary(name, report))
        .collect();
    let facts: Vec<BTreeMap<String, ServiceFacts>> =
        nodes.iter().map(|(_, r)| service_facts(r)).collect();
    let mut ids: Vec<&String> = facts.iter().flat_map(|f| f.keys()).collect();
    svcpath_syntax::stable_sort::sort(&mut ids);
    ids.dedup();
    let mut services: Vec<ServiceRow> = ids
        .into_iter()
        .map(|id| row(id, &names, &summaries, &facts))
        .collect();
    svcpath_syntax::stable_sort::sort_by(&mut services, |a, b| {
        a.consistent.cmp(&b.consistent).then(a.id.cmp(&b.id))
    });
    let findings = cross_node_findings(&summaries, &services);
    Comparison {
        nodes: summaries,
        services,
        findings,
    }
}

fn summary(name: &str, report: &Report) -> NodeSummary {
    let rules =
        report.rules.iptables_rules + report.rules.nft_rules + report.rules.ipvs_virtual_services;
    NodeSummary {
        name: name.to_string(),
        mode: report.mode,
        layout: report.layout.as_ref().map(|l| l.name.clone()),
        kube_proxy_version: report.kube_proxy.as_ref().and_then(|k| k.version.clone()),
        iptables_backend: report.node.iptables_backend.clone(),
        services: report.services.len(),
        rules,
        mean_rules_per_packet: report.rules.mean_rules_per_packet,
        conntrack_fill: report.conntrack.as_ref().and_then(|c| c.fill_ratio),
        conntrack_verdict: report.conntrack.as_ref().map(|c| c.verdict),
        findings: report.findings.len(),
        critical_findings: report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Critical)
            .count(),
        knows_services: !report.services.is_empty(),
    }
}

fn row(
    id: &str,
    names: &[String],
    summaries: &[NodeSummary],
    facts: &[BTreeMap<String, ServiceFacts>],
) -> ServiceRow {
    let mut nodes = BTreeMap::new();
    let mut missing_on = Vec::new();
    let mut present: Vec<&ServiceFacts> = Vec::new();
    for ((name, summary), node_facts) in names.iter().zip(summaries).zip(facts) {
        match node_facts.get(id) {
            Some(f) => {
                present.push(f);
                nodes.insert(name.clone(), f.clone());
            }
            None if summary.knows_services => missing_on.push(name.clone()),
            None => {}
        }
    }
    let mut differs = Vec::new();
    if !missing_on.is_empty() {
        differs.push(Aspect::Presence);
    }
    let known_endpoints: Vec<&Vec<String>> = present
        .iter()
        .filter_map(|f| f.endpoints.as_ref())
        .collect();
    let endpoints_differ = known_endpoints.windows(2).any(|w| w[0] != w[1]);
    if endpoints_differ {
        differs.push(Aspect::Endpoints);
    } else if odds_differ(&present) {
        differs.push(Aspect::Odds);
    }
    if disagree(present.iter().map(|f| f.node_port)) {
        differs.push(Aspect::NodePort);
    }
    if disagree(present.iter().map(|f| f.external_traffic_policy)) {
        differs.push(Aspect::ExternalTrafficPolicy);
    }
    if disagree(present.iter().map(|f| f.drops_external)) {
        differs.push(Aspect::DropsExternal);
    }
    if disagree(present.iter().map(|f| f.masquerade)) {
        differs.push(Aspect::Masquerade);
    }
    if disagree(present.iter().map(|f| f.session_affinity_seconds)) {
        differs.push(Aspect::SessionAffinity);
    }
    ServiceRow {
        id: id.to_string(),
        consistent: differs.is_empty(),
        differs,
        nodes,
        missing_on,
    }
}

/// True when two nodes show different known values (`None`, unknown, agrees with everything).
fn disagree<T: PartialEq>(values: impl Iterator<Item = Option<T>>) -> bool {
    let known: Vec<T> = values.flatten().collect();
    known.windows(2).any(|w| w[0] != w[1])
}

/// Same endpoints everywhere, but an endpoint's share differs between two nodes that know it.
fn odds_differ(present: &[&ServiceFacts]) -> bool {
    let known: Vec<&ServiceFacts> = present
        .iter()
        .copied()
        .filter(|f| f.endpoints.is_some())
        .collect();
    known.windows(2).any(|w| {
        w[0].odds
            .iter()
            .any(|(ep, a)| w[1].odds.get(ep).is_some_and(|b| !same_share(*a, *b)))
    })
}
