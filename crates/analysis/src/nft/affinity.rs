//! Findings about ClientIP session affinity in nftables mode: `session-affinity` (how it works for this
//! Service port; worded in `service_findings::session_affinity`) and `session-affinity-broken` (the sets are checked but never filled, or the reverse).

use super::model::ServiceModel;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};
use crate::service_findings::session_affinity;

pub use crate::service_findings::session_affinity::CODE;
pub const CODE_BROKEN: FindingCode = FindingCode::SessionAffinityBroken;

pub(crate) fn find(s: &ServiceModel) -> Vec<Finding> {
    if s.affinity_sets.is_empty() && s.affinity_checks.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut lines: Vec<u32> = s.affinity_sets.iter().map(|a| a.line).collect();
    lines.extend(s.affinity_checks.iter().map(|c| c.line));
    lines.extend(
        s.endpoints
            .iter()
            .filter_map(|e| e.affinity_update.as_ref().map(|u| u.1)),
    );
    lines.sort_unstable();
    lines.dedup();
    let seconds = s.affinity_sets.iter().find_map(|a| a.seconds);
    out.push(session_affinity::nft(
        &s.id,
        s.affinity_sets.len(),
        seconds,
        lines.clone(),
    ));
    let mut problems = Vec::new();
    for check in &s.affinity_checks {
        if !s.affinity_sets.iter().any(|a| a.name == check.set) {
            problems.push(format!(
                "line {} checks the set {} which is not in the dump",
                check.line, check.set
            ));
        }
        let updated = s.endpoints.iter().any(|e| {
            e.chain == check.endpoint_chain
                && e.affinity_update.as_ref().is_some_and(|u| u.0 == check.set)
        });
        if !updated {
            problems.push(format!(
                "nothing adds clients to {} (no `update @{}` in {})",
                check.set, check.set, check.endpoint_chain
            ));
        }
    }
    for e in &s.endpoints {
        if let Some((set, line)) = &e.affinity_update {
            if !s.affinity_checks.iter().any(|c| &c.set == set) {
                problems.push(format!("line {line} records clients in {set}, but no rule of the Service chain looks them up"));
            }
        }
    }
    if !problems.is_empty() {
        out.push(Finding::new(
            CODE_BROKEN,
            Severity::Warning,
            Some(&s.id),
            lines,
            format!(
                "Session affinity of {} is incomplete: {}. Clients will not reliably return to the same endpoint.",
                s.id,
                problems.join("; ")
            ),
        ));
    }
    out
}
