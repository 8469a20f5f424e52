//! Findings `hairpin-masquerade-missing` (an endpoint chain does not mark traffic from the endpoint to
//! itself for masquerade; since kube-proxy 1.36: the endpoint is not in the set that the hairpin
//! masquerade rule looks up, `ENDPOINT . ENDPOINT . tcp . PORT` in `hairpin-connections`) and
//! `masquerade-missing` (marked traffic is never masqueraded on this node).

use super::model::{KubeTable, ServiceModel};
use crate::report::FindingCode;
use crate::report::{Finding, Severity};
use svcpath_syntax::nft::{Expr, NatKind};

pub const CODE: FindingCode = FindingCode::HairpinMasqueradeMissing;
pub const CODE_MASQUERADE: FindingCode = FindingCode::MasqueradeMissing;

/// True when the table masquerades hairpin connections through a set (kube-proxy 1.36+: `ct status dnat
/// ip saddr . ip daddr . meta l4proto . th dport @hairpin-connections masquerade`), so endpoint chains
/// carry no hairpin rule of their own.
pub(crate) fn has_hairpin_set(kt: &KubeTable<'_>) -> bool {
    kt.table.chains.iter().flat_map(|c| &c.rules).any(|r| {
        r.exprs
            .iter()
            .any(|e| matches!(e, Expr::Nat(n) if n.kind == NatKind::Masquerade))
            && r.matches().any(|m| {
                m.left.parts.len() == 4 && matches!(m.right, svcpath_syntax::nft::Value::SetRef(_))
            })
    })
}

/// The set a hairpin masquerade rule (`ct status dnat ip saddr . ip daddr . meta l4proto . th dport
/// @SET masquerade`) looks up, with the rule's line.
pub(crate) fn hairpin_set<'a>(kt: &KubeTable<'a>) -> Option<(&'a svcpath_syntax::nft::Set, u32)> {
    kt.table.chains.iter().flat_map(|c| &c.rules).find_map(|r| {
        if !r
            .exprs
            .iter()
            .any(|e| matches!(e, Expr::Nat(n) if n.kind == NatKind::Masquerade))
        {
            return None;
        }
        r.matches().find_map(|m| match &m.right {
            svcpath_syntax::nft::Value::SetRef(name) if m.left.parts.len() == 4 => {
                kt.set(name).map(|set| (set, r.line))
            }
            _ => None,
        })
    })
}

/// The keys of a set's elements, indexed once for the look-ups of every Service port.
pub(crate) struct SetKeys<'a> {
    set: &'a svcpath_syntax::nft::Set,
    keys: std::collections::HashSet<Vec<&'a str>>,
}

impl<'a> SetKeys<'a> {
    pub(crate) fn of(set: &'a svcpath_syntax::nft::Set) -> SetKeys<'a> {
        SetKeys {
            set,
            keys: set
                .elements
                .iter()
                .map(|el| el.key().iter().collect())
                .collect(),
        }
    }
}

/// Endpoints DNATed straight from the service chain (1.36+) that the hairpin set does not hold: when
/// such a pod reaches its own Service and is picked, the reply is not masqueraded. Endpoints at one of
/// the node's own addresses (host-network pods such as the API server) are left out, as kube-proxy
/// leaves them out of the set.
pub(crate) fn find_in_keys(
    s: &ServiceModel,
    keys: &SetKeys<'_>,
    rule_line: u32,
    node_ips: &[String],
) -> Option<Finding> {
    let set = keys.set;
    let proto = s.protocol.map(|p| p.name()).unwrap_or("tcp");
    let missing: Vec<_> = s
        .endpoints
        .iter()
        .filter(|e| e.direct)
        .filter_map(|e| Some((e.ip.as_deref()?, e.port?, e)))
        .filter(|(ip, _, _)| !node_ips.iter().any(|n| n == ip))
        .filter(|(ip, port, _)| {
            let want = [
                ip.to_string(),
                ip.to_string(),
                proto.to_string(),
                port.to_string(),
            ];
            let want: Vec<&str> = want.iter().map(String::as_str).collect();
            !keys.keys.contains(&want)
        })
        .collect();
    if missing.is_empty() {
        return None;
    }
    let names: Vec<String> = missing
        .iter()
        .map(|(ip, port, _)| format!("{ip}:{port}"))
        .collect();
    let mut lines = vec![set.line, rule_line];
    lines.extend(missing.iter().filter_map(|(_, _, e)| e.dnat_line));
    lines.sort_unstable();
    lines.dedup();
    Some(Finding::new(
        CODE,
        Severity::Warning,
        Some(&s.id),
        lines,
        format!(
            "{} is not in the set @{} that the hairpin masquerade rule looks up (`{ip} . {ip} . {proto} . {port}` for each endpoint). When that pod connects to its own Service ({}) and is picked as the endpoint, the reply goes from the pod to itself without passing back through the node, and the connection hangs. kube-proxy always adds every endpoint; a missing one means the set was edited or the listing is cut.",
            names.join(", "),
            set.name,
            s.id,
            ip = "ENDPOINT",
            port = "PORT",
        ),
    ))
}

pub(crate) fn find(s: &ServiceModel) -> Option<Finding> {
    let missing: Vec<_> = s
        .endpoints
        .iter()
        .filter(|e| {
            !e.direct && e.ip.is_some() && e.dnat_line.is_some() && e.hairpin_line.is_none()
        })
        .collect();
    if missing.is_empty() {
        return None;
    }
    let names: Vec<String> = missing
        .iter()
        .map(|e| {
            format!(
                "{}{}",
                e.ip.as_deref().unwrap_or("?"),
                e.port.map(|p| format!(":{p}")).unwrap_or_default()
            )
        })
        .collect();
    let lines: Vec<u32> = missing.iter().filter_map(|e| e.chain_line).collect();
    Some(Finding {
        code: CODE,
        severity: Severity::Warning,
        service: Some(s.id.clone()),
        lines,
        message: format!(
            "The endpoint chain{} of {} for {} {} no rule `ip saddr ENDPOINT jump mark-for-masquerade`. When that pod connects to its own Service and is picked as the endpoint (hairpin), the reply would come from the pod to itself without passing back through the node, and the connection hangs. kube-proxy always writes this rule; its absence means the rules were edited or cut.",
            if missing.len() == 1 { "" } else { "s" },
            s.id,
            names.join(", "),
            if missing.len() == 1 { "has" } else { "have" },
        ),
    })
}

/// Whether the table masquerades what kube-proxy marked: some `masquerade` reached from a postrouting
/// base chain. Says nothing for a fragment without base chains.
pub(crate) fn find_table(kt: &KubeTable<'_>, services: &[ServiceModel]) -> Option<Finding> {
    if kt.table.chains.iter().all(|c| c.base.is_none()) {
        return None;
    }
    let marks = services
        .iter()
        .any(|s| s.endpoints.iter().any(|e| e.hairpin_line.is_some()));
    if !marks {
        return None;
    }
    let postrouting = kt.base_chains("postrouting");
    let masquerades = postrouting.iter().flat_map(|c| kt.reachable(c)).any(|c| {
        c.rules.iter().any(|r| r.exprs.iter().any(|e| matches!(e, Expr::Nat(n) if n.kind == NatKind::Masquerade || n.kind == NatKind::Snat)))
    });
    if masquerades {
        return None;
    }
    let mut lines: Vec<u32> = postrouting
        .iter()
        .flat_map(|c| kt.reachable(c))
        .map(|c| c.line)
        .collect();
    lines.sort_unstable();
    lines.dedup();
    Some(Finding::new(
        CODE_MASQUERADE,
        Severity::Warning,
        None,
        lines,
        format!(
            "kube-proxy marks packets for masquerading (hairpin and external traffic), but no `masquerade` is reached from a postrouting base chain of table {}: the marked packets leave with their original source address, so replies from endpoints on other nodes, and hairpin replies, do not come back through this node.",
            kt.table.label()
        ),
    ))
}
