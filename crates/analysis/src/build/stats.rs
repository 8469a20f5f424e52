//! The size of the rulesets and the per-packet work they imply.

use crate::report::{RuleStats, Service};
use crate::snapshot::Snapshot;
use crate::Cost;

/// Rule counts of every kind of dump, and the rules a first packet passes (iptables mode's count, or
/// nftables mode's own path when its tables show one).
pub(super) fn rule_stats(
    snapshot: &Snapshot,
    services: &[Service],
    iptables_cost: Cost,
    nft_cost: Cost,
) -> RuleStats {
    let mut stats = RuleStats::default();
    for ruleset in &snapshot.iptables {
        for table in &ruleset.tables {
            stats.iptables_chains += table.chains.len();
            for chain in &table.chains {
                stats.iptables_rules += chain.rules.len();
                if chain.name.starts_with("KUBE-") {
                    stats.kube_rules += chain.rules.len();
                }
                if table.name == "nat" {
                    stats.nat_rules += chain.rules.len();
                }
            }
        }
    }
    stats.ipvs_virtual_services = snapshot.ipvs.iter().map(|l| l.services.len()).sum();
    stats.ipvs_real_servers = snapshot.ipvs.iter().map(|l| l.real_server_count()).sum();
    stats.nft_rules = nft_rule_count(snapshot);
    stats.mean_rules_per_packet = iptables_cost.mean_rules;
    stats.max_rules_per_packet = iptables_cost.max_rules;
    // The same packet's work in nftables mode: kube-proxy's layout, for a paste with Services.
    stats.nftables_rules_per_packet = (iptables_cost.mean_rules.is_some() || !services.is_empty())
        .then_some(crate::nft::cost::NFTABLES_RULES_PER_PACKET);
    if nft_cost.mean_rules.is_some() {
        // An nftables-mode node: its own measured path, not the estimate.
        stats.nftables_rules_per_packet = nft_cost.mean_rules;
        stats.mean_rules_per_packet = nft_cost.mean_rules;
        stats.max_rules_per_packet = nft_cost.max_rules;
    }
    stats
}

/// nft rules that are not the iptables-nft view of a table the paste also shows as iptables-save
/// (the same rules listed twice are counted once, as iptables rules).
fn nft_rule_count(snapshot: &Snapshot) -> usize {
    let mut count = 0;
    for ruleset in &snapshot.nft {
        for table in &ruleset.tables {
            let ipv6 = match table.family.as_str() {
                "ip" => Some(false),
                "ip6" => Some(true),
                _ => None,
            };
            let mirrored = ipv6.is_some_and(|v6| {
                snapshot
                    .iptables
                    .iter()
                    .any(|r| r.ipv6 == v6 && r.table(&table.name).is_some())
            });
            if !mirrored {
                count += table.chains.iter().map(|c| c.rules.len()).sum::<usize>();
            }
        }
    }
    count
}
