//! `api-service-not-synced`: Service ports of the API for which the paste holds no rules at all.
//! Example: the API has `ns3/svc3` at 172.30.0.43:80, no rule of the node names it.

use crate::report::{ApiJoin, Finding, FindingCode, Severity};
use crate::words::list;

pub(crate) fn find(summary: &ApiJoin) -> Option<Finding> {
    let missing = &summary.services_without_rules;
    if missing.is_empty() {
        return None;
    }
    let mut names: Vec<String> = missing
        .iter()
        .take(10)
        .map(|s| format!("{} ({})", s.id, s.address))
        .collect();
    if missing.len() > 10 {
        names.push(format!("{} more", missing.len() - 10));
    }
    let lines = missing
        .iter()
        .flat_map(|s| s.lines.iter().copied())
        .collect();
    Some(Finding::new(
        FindingCode::ApiServiceNotSynced,
        Severity::Warning,
        None,
        lines,
        format!(
            "{} Service port(s) of the API have no rules in the paste: {}. If the paste holds the node's whole ruleset, \
             kube-proxy here has not synced them and their addresses do not answer from this node.",
            missing.len(),
            list(&names)
        ),
    ))
}
