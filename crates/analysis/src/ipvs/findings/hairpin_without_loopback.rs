//! Hairpin traffic (a pod reaching itself through its Service) that kube-proxy will not masquerade: a
//! local endpoint without its `KUBE-LOOP-BACK` entry, or the `KUBE-POSTROUTING` rule that uses the set missing.

use super::list;
use crate::ipvs::model::Node;
use crate::report::FindingCode;
use crate::report::{Finding, Service, Severity};

pub const CODE: FindingCode = FindingCode::IpvsHairpinWithoutLoopbackEntry;

pub fn find(node: &Node, services: &[(Service, Vec<usize>)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (service, group) in services {
        let missing: Vec<(String, u32)> = group
            .iter()
            .flat_map(|i| node.servers[*i].missing_loopback.iter().cloned())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let mut endpoints: Vec<String> = missing.iter().map(|(e, _)| e.clone()).collect();
        endpoints.dedup();
        let message = format!(
            "{}: the endpoint(s) {} run on this node (KUBE-LOOP-BACK has entries for the same pod address), but KUBE-LOOP-BACK \
             has no entry for this port. When such a pod connects to its own Service and IPVS picks the pod itself, the \
             connection makes a hairpin: without masquerade the pod receives a packet from its own address, answers itself \
             directly, and the connection never completes. kube-proxy adds the entry on its next sync; a missing one means \
             the sync failed or the set was changed by hand.",
            service.id,
            list(&endpoints)
        );
        let mut lines: Vec<u32> = missing.iter().map(|(_, l)| *l).collect();
        lines.extend(node.sets.set_lines.get("KUBE-LOOP-BACK"));
        out.push(Finding::new(
            CODE,
            Severity::Warning,
            Some(&service.id),
            lines,
            message,
        ));
    }
    // The set is filled but no rule uses it.
    let rules = &node.rules;
    if !node.sets.loopback.is_empty()
        && rules.loopback_masquerade.is_none()
        && !rules.postrouting_rules.is_empty()
    {
        let mut lines = rules.postrouting_rules.clone();
        lines.extend(node.sets.set_lines.get("KUBE-LOOP-BACK"));
        out.push(Finding::new(
            CODE,
            Severity::Warning,
            None,
            lines,
            format!(
                "KUBE-LOOP-BACK lists {} local endpoint(s), but KUBE-POSTROUTING has no rule `-m set --match-set KUBE-LOOP-BACK \
                 dst,dst,src -j MASQUERADE`. Without it a pod that reaches itself through a Service is not masqueraded, answers \
                 itself directly, and the connection never completes.",
                node.sets.loopback.len()
            ),
        ));
    }
    out
}
