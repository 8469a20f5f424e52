//! `legacy-tables-present`: the dump warns that iptables-legacy tables exist beside the nf_tables ones.
//!
//! Example: `# Warning: iptables-legacy tables present, use iptables-legacy-save to see them`. Two
//! backends are active: rules in the other one are invisible in this dump but still act on packets.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    cx.snapshot
        .iptables
        .iter()
        .filter_map(|r| r.legacy_tables_warning)
        .map(|line| {
            Finding::new(
                FindingCode::LegacyTablesPresent,
                Severity::Critical,
                None,
                vec![line],
                "Two iptables backends are in use on this node: this dump came from iptables-nft, and \
                 iptables-legacy tables exist too. Rules there (often stale kube-proxy or CNI rules from a \
                 component using the other backend) act on packets but are not in this dump. Capture \
                 `iptables-legacy-save` as well and make every component use one backend."
                    .to_string(),
            )
        })
        .collect()
}
