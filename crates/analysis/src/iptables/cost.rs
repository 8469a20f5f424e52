//! Per-packet cost in iptables mode: how many nat rules a new Service connection passes on this node.

use svcpath_syntax::iptables::Chain;

use super::Tables;
use crate::Cost;

/// Counts, for each Service with a ClusterIP entry in `KUBE-SERVICES`, the nat rules a first packet
/// from a pod evaluates: the rules of `PREROUTING` up to the jump, `KUBE-SERVICES` up to the
/// Service's rule, the expected number of Service-chain rules up to the chosen endpoint, and the
/// endpoint chain.
pub fn rules_per_packet(rulesets: &[Tables<'_>]) -> Cost {
    let mut costs: Vec<f64> = Vec::new();
    let mut max = 0usize;
    for tables in rulesets {
        let Some(nat) = tables.nat else {
            continue;
        };
        let Some(entry) = nat.chain("KUBE-SERVICES") else {
            continue;
        };
        let prerouting = nat
            .chain("PREROUTING")
            .and_then(|c| {
                c.rules
                    .iter()
                    .position(|r| r.target_name() == Some("KUBE-SERVICES"))
            })
            .map(|i| i + 1)
            .unwrap_or(1);
        for (index, rule) in entry.rules.iter().enumerate() {
            let Some(target) = rule.target_name() else {
                continue;
            };
            if !target.starts_with("KUBE-SVC-") {
                continue;
            }
            let in_service = tables
                .nat_chain(target)
                .map(expected_rules_in_service_chain)
                .unwrap_or(0.0);
            let endpoint_rules = 2.0;
            let cost = prerouting as f64 + (index + 1) as f64 + in_service + endpoint_rules;
            max = max.max(cost.ceil() as usize);
            costs.push(cost);
        }
    }
    if costs.is_empty() {
        return Cost::default();
    }
    Cost {
        mean_rules: Some(costs.iter().sum::<f64>() / costs.len() as f64),
        max_rules: Some(max),
    }
}

/// The expected number of rules evaluated in a Service chain: a rule is evaluated when no earlier
/// `statistic` rule was taken.
fn expected_rules_in_service_chain(chain: &Chain) -> f64 {
    let mut reach = 1.0;
    let mut expected = 0.0;
    for rule in &chain.rules {
        expected += reach;
        if rule
            .target_name()
            .is_some_and(|t| t.starts_with("KUBE-SEP-"))
        {
            if rule.module("recent").is_some() {
                continue;
            }
            let p = crate::iptables::odds::statistic_probability(rule).unwrap_or(1.0);
            reach *= 1.0 - p;
            if reach <= 0.0 {
                break;
            }
        }
    }
    expected
}
