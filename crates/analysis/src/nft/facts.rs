//! Node facts read from kube-proxy's nftables table: the node's addresses (the set NodePort traffic is
//! accepted on, `ip daddr @nodeport-ips … vmap @service-nodeports`) and the pod CIDR (the `ip saddr !=
//! CIDR jump mark-for-masquerade` rule of every `service-…` chain, with `--detect-local-mode
//! ClusterCIDR`).

use svcpath_syntax::nft::{Expr, Op, Value, Verdict};

use super::model::KubeTable;
use super::names::{self, ChainKind};
use crate::report::Fact;

/// Most facts of one kind (a table with thousands of Services repeats the same CIDR).
const MAX_LINES: usize = 20;

fn add(facts: &mut Vec<Fact>, value: &str, source: String, line: u32) {
    match facts.iter_mut().find(|f| f.value == value) {
        Some(f) => {
            if f.lines.len() < MAX_LINES && !f.lines.contains(&line) {
                f.lines.push(line);
            }
        }
        None => facts.push(Fact {
            value: value.to_string(),
            source,
            lines: vec![line],
        }),
    }
}

/// The addresses of the set that NodePort lookups are limited to (`--nodeport-addresses`).
pub fn node_ips(tables: &[KubeTable<'_>]) -> Vec<Fact> {
    let mut facts = Vec::new();
    for kt in tables {
        for chain in &kt.table.chains {
            for rule in &chain.rules {
                let nodeport_lookup = rule.exprs.iter().any(|e| {
                    matches!(e, Expr::Lookup(l) if l.verdict_map
                        && l.key.parts.len() == 2
                        && l.key.parts.last().is_some_and(|p| p.ends_with("dport")))
                });
                if !nodeport_lookup {
                    continue;
                }
                for m in rule.matches() {
                    let (Value::SetRef(name), Op::Eq) = (&m.right, m.op) else {
                        continue;
                    };
                    if !m.left.text().ends_with("daddr") {
                        continue;
                    }
                    let Some(set) = kt.set(name) else { continue };
                    for e in &set.elements {
                        let Some([ip]) = e.key().parts() else {
                            continue;
                        };
                        if ip.contains('/') || ip.contains('-') {
                            continue;
                        }
                        if ip.parse::<std::net::IpAddr>().is_err() {
                            continue;
                        }
                        add(
                            &mut facts,
                            ip,
                            format!(
                                "the set @{name} that NodePort traffic is accepted on (rule line {})",
                                rule.line
                            ),
                            e.line(),
                        );
                    }
                }
            }
        }
    }
    facts
}

/// The CIDRs kube-proxy tells pod traffic by: `ip saddr != CIDR jump …` in `service-…` chains and
/// `ip saddr CIDR goto service-…` ("short-circuit pod traffic") in `external-…` chains.
pub fn pod_cidrs(tables: &[KubeTable<'_>]) -> Vec<Fact> {
    let mut facts = Vec::new();
    for kt in tables {
        for chain in &kt.table.chains {
            let Some(kind) = names::parse(&chain.name).map(|n| n.kind) else {
                continue;
            };
            for rule in &chain.rules {
                let Some(verdict) = rule.verdict() else {
                    continue;
                };
                let wanted = match kind {
                    ChainKind::Service => Op::Ne,
                    ChainKind::External if matches!(verdict, Verdict::Goto(_)) => Op::Eq,
                    _ => continue,
                };
                if verdict.chain().is_none() {
                    continue;
                }
                for m in rule.matches() {
                    if m.op != wanted || !m.left.text().ends_with("saddr") {
                        continue;
                    }
                    let cidr = match &m.right {
                        Value::Single(v) => v.clone(),
                        Value::Set(els) if els.len() == 1 => {
                            els.first().map(|e| e.key().join(" . ")).unwrap_or_default()
                        }
                        _ => continue,
                    };
                    if !cidr.contains('/') {
                        continue;
                    }
                    let how = if wanted == Op::Ne {
                        format!(
                            "`{} != {cidr} … {}` in {} (line {})",
                            m.left.text(),
                            verdict.text(),
                            chain.name,
                            rule.line
                        )
                    } else {
                        format!(
                            "`{} {cidr} {}` (pod traffic) in {} (line {})",
                            m.left.text(),
                            verdict.text(),
                            chain.name,
                            rule.line
                        )
                    };
                    add(&mut facts, &cidr, how, rule.line);
                }
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nft::model::kube_proxy_tables;
    use svcpath_syntax::{nft, Origin};

    #[test]
    fn reads_node_ips_and_pod_cidr() {
        let text = "table ip kube-proxy {\n set nodeport-ips {\n  type ipv4_addr\n  elements = { 192.168.0.2 }\n }\n map service-nodeports {\n  type inet_proto . inet_service : verdict\n }\n chain services {\n  ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports\n }\n chain service-ULMVA6XW-ns1/svc1/tcp/p80 {\n  ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade\n }\n chain mark-for-masquerade {\n  mark set mark or 0x4000\n }\n}\n";
        let parsed = nft::parse(text, Origin::START);
        let rulesets = vec![parsed.value];
        let tables = kube_proxy_tables(&rulesets);
        let ips = node_ips(&tables);
        assert_eq!(ips.len(), 1);
        assert_eq!(ips[0].value, "192.168.0.2");
        assert_eq!(ips[0].lines, vec![4]);
        let cidrs = pod_cidrs(&tables);
        assert_eq!(cidrs.len(), 1);
        assert_eq!(cidrs[0].value, "10.0.0.0/8");
        // An `ip saddr ==` test in a service chain is no pod CIDR.
        let other = text.replace("saddr != 10.0.0.0/8", "saddr 10.0.0.0/8");
        let parsed = nft::parse(&other, Origin::START);
        let rulesets = [parsed.value];
        assert!(pod_cidrs(&kube_proxy_tables(&rulesets)).is_empty());
    }
}
