//! `rule-count`: how big the ruleset is and how many rules a new Service connection passes, compared
//! with what IPVS and nftables mode would need on this node.
//!
//! iptables evaluates `KUBE-SERVICES` linearly: a packet for the last Service passes a rule for every
//! Service before it. IPVS and nftables mode look the destination up in a hash table instead.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Mode, Severity};

/// Rules per packet above which the cost is reported as a warning.
pub const MANY_RULES_PER_PACKET: f64 = 1000.0;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let stats = &cx.report.rules;
    let (Some(mean), Some(max)) = (stats.mean_rules_per_packet, stats.max_rules_per_packet) else {
        return Vec::new();
    };
    if cx.report.mode != Mode::Iptables {
        return Vec::new();
    }
    let nft = stats
        .nftables_rules_per_packet
        .unwrap_or(crate::nft::cost::NFTABLES_RULES_PER_PACKET);
    let severity = if mean >= MANY_RULES_PER_PACKET {
        Severity::Warning
    } else {
        Severity::Info
    };
    vec![Finding::new(
        FindingCode::RuleCount,
        severity,
        None,
        Vec::new(),
        format!(
            "This node has {} iptables rules ({} of them kube-proxy's, {} in the nat table). A new connection to a \
             Service passes about {:.0} nat rules on average and up to {} for the last Service in KUBE-SERVICES, \
             because iptables mode matches Services one rule after another. nftables mode (or IPVS) finds the \
             Service with one map lookup: about {:.0} rules per packet whatever the number of Services.",
            stats.iptables_rules, stats.kube_rules, stats.nat_rules, mean, max, nft
        ),
    )]
}
