//! Chains and rules of iptables mode (`KUBE-SVC-*`, `KUBE-SEP-*`, "has no endpoints" rejects) beside
//! IPVS mode: kube-proxy switched modes and nothing cleaned up after it.

use super::list;
use crate::ipvs::model::Node;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub const CODE: FindingCode = FindingCode::IptablesModeLeftovers;

/// At most this many lines are cited.
const MAX_LINES: usize = 200;

/// True when iptables-mode Service rules are left beside IPVS mode's own structures.
pub fn found(node: &Node) -> bool {
    let ipvs_seen = node.service_count > 0
        || !node.rules.ipvs_evidence.is_empty()
        || node.sets.has("KUBE-CLUSTER-IP")
        || node.sets.has("KUBE-LOOP-BACK");
    !node.rules.leftovers.is_empty() && ipvs_seen
}

pub fn find(node: &Node) -> Vec<Finding> {
    let left = &node.rules.leftovers;
    if !found(node) {
        return Vec::new();
    }
    let mut parts = Vec::new();
    if !left.service_chains.is_empty() {
        parts.push(format!(
            "{} per-Service chain(s) (KUBE-SVC-* and the like)",
            left.service_chains.len()
        ));
    }
    if !left.endpoint_chains.is_empty() {
        parts.push(format!(
            "{} endpoint chain(s) (KUBE-SEP-*)",
            left.endpoint_chains.len()
        ));
    }
    if !left.reject_rules.is_empty() {
        parts.push(format!(
            "{} \"has no endpoints\" reject rule(s)",
            left.reject_rules.len()
        ));
    }
    let mut message = format!(
        "This node runs kube-proxy in IPVS mode, yet {} from iptables mode are still installed. kube-proxy was \
         switched to IPVS without cleaning up the old rules (`kube-proxy --cleanup`, or a reboot, removes them); \
         IPVS mode does not use them.",
        list(&parts)
    );
    if left.reachable_from.is_empty() {
        if !left.service_chains.is_empty() || !left.endpoint_chains.is_empty() {
            message.push_str(" No rule jumps into the old chains any more, so they carry no traffic, but they make the dump misleading.");
        }
    } else {
        message.push_str(&format!(
            " {} rule(s) still jump into them, so they can catch packets before IPVS sees them.",
            left.reachable_from.len()
        ));
    }
    if !left.reject_rules.is_empty() {
        message.push_str(
            " The reject rules sit in chains reached from INPUT/FORWARD/OUTPUT, which run before IPVS takes the packet: \
             they refuse new connections to those Service addresses even if the Service has endpoints today.",
        );
    }
    if !left.garbled_dnat.is_empty() {
        message.push_str(&format!(
            " {} DNAT rule(s) print garbled (`--to-destination` without an address or repeated): the iptables command \
             that listed them is a different version from the one that wrote them, so even what they say cannot be trusted.",
            left.garbled_dnat.len()
        ));
    }
    let mut lines: Vec<u32> = Vec::new();
    lines.extend(left.reject_rules.iter());
    lines.extend(left.reachable_from.iter());
    lines.extend(left.garbled_dnat.iter());
    lines.extend(left.service_chains.iter().map(|(_, l)| *l));
    lines.extend(left.endpoint_chains.iter().map(|(_, l)| *l));
    lines.truncate(MAX_LINES);
    let severity = if left.reachable_from.is_empty() && left.reject_rules.is_empty() {
        Severity::Info
    } else {
        Severity::Warning
    };
    vec![Finding::new(CODE, severity, None, lines, message)]
}
