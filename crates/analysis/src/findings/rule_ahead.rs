//! `rule-ahead-of-kube-services`: rules in nat `PREROUTING`/`OUTPUT` before the jump to `KUBE-SERVICES`
//! that can end Service traffic's walk first (DNAT, REDIRECT, ACCEPT, RETURN, or a chain that does).
//!
//! Example: `-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.9:8080` ahead of
//! `-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`: matching Service
//! traffic never reaches kube-proxy's rules.

use crate::report::FindingCode;
use svcpath_syntax::iptables::BasicKind;

use super::Context;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for ruleset in &cx.snapshot.iptables {
        let Some(nat) = ruleset.table("nat") else {
            continue;
        };
        for hook in ["PREROUTING", "OUTPUT"] {
            let Some(chain) = nat.chain(hook) else {
                continue;
            };
            let Some(jump) = chain
                .rules
                .iter()
                .position(|r| r.target_name() == Some("KUBE-SERVICES"))
            else {
                continue;
            };
            for rule in &chain.rules[..jump] {
                let Some(target) = rule.target_name() else {
                    continue;
                };
                let terminal = matches!(target, "DNAT" | "REDIRECT" | "ACCEPT" | "RETURN" | "DROP");
                let chain_ends = !terminal
                    && nat.chain(target).is_some_and(|c| {
                        c.rules.iter().any(|r| {
                            matches!(
                                r.target_name(),
                                Some("DNAT" | "REDIRECT" | "ACCEPT" | "DROP")
                            )
                        })
                    });
                if !(terminal || chain_ends) {
                    continue;
                }
                let hits: Vec<&str> = cx
                    .report
                    .services
                    .iter()
                    .filter(|s| could_match(rule, s))
                    .map(|s| s.id.as_str())
                    .take(5)
                    .collect();
                if hits.is_empty() {
                    continue;
                }
                out.push(Finding::new(
                    FindingCode::RuleAheadOfKubeServices,
                    Severity::Warning,
                    (hits.len() == 1).then(|| hits[0]),
                    vec![rule.line, chain.rules[jump].line],
                    format!(
                        "A rule in nat {hook} (line {}) comes before kube-proxy's jump to KUBE-SERVICES (line {}) and \
                         ends the walk with {target} for traffic that can be Service traffic ({}): such packets never \
                         reach kube-proxy's rules.",
                        rule.line,
                        chain.rules[jump].line,
                        hits.join(", ")
                    ),
                ));
            }
        }
    }
    out
}

/// True when the rule's destination and port tests do not rule out the Service's ClusterIP entry.
fn could_match(rule: &svcpath_syntax::iptables::Rule, s: &crate::report::Service) -> bool {
    let Some(ip) = s.cluster_ip.as_deref() else {
        return false;
    };
    if let Some(d) = rule.basic(BasicKind::Destination) {
        let inside = crate::net::cidr_contains(&d.value, ip).unwrap_or(true);
        if inside == d.negated {
            return false;
        }
    }
    if rule.module("addrtype").is_some_and(|m| {
        m.options
            .iter()
            .any(|o| o.name == "dst-type" && !o.negated && o.value() == Some("LOCAL"))
    }) {
        return false;
    }
    if let (Some(p), Some(port)) = (crate::iptables::rule_dport(rule), s.port) {
        if p != port {
            return false;
        }
    }
    if let (Some(proto), Some(sp)) = (crate::iptables::rule_protocol(rule), s.protocol) {
        if proto != sp {
            return false;
        }
    }
    true
}
