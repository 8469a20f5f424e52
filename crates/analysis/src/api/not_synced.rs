//! `api-endpoint-not-synced`: the API gives this node a ready endpoint that the node's rules do not
//! hold, and no reason (terminating, not ready, topology, a local-only policy) explains it.
//! Example: the EndpointSlice lists 10.0.2.2:8080 ready, the rules DNAT only to 10.0.2.1:8080.

use crate::model::{Service, ServiceApi};
use crate::report::{Finding, FindingCode, Severity};
use crate::words::list;

pub(crate) fn find(service: &Service, joined: &ServiceApi) -> Option<Finding> {
    let missing: Vec<&crate::model::MissingEndpoint> = joined
        .missing_on_node
        .iter()
        .filter(|m| m.reason == "unexplained")
        .collect();
    if missing.is_empty() {
        return None;
    }
    let names: Vec<String> = missing.iter().map(|m| m.endpoint.clone()).collect();
    let mut lines: Vec<u32> = missing
        .iter()
        .flat_map(|m| m.lines.iter().copied())
        .collect();
    lines.extend(&service.lines);
    let severity = if service.endpoints.is_empty() {
        Severity::Critical
    } else {
        Severity::Warning
    };
    Some(Finding::new(
        FindingCode::ApiEndpointNotSynced,
        severity,
        Some(&service.id),
        lines,
        format!(
            "Not synced: the API gives {} (port {}) the ready endpoint(s) {}, which this node's rules do not hold; nothing \
             in the API (terminating, not ready, topology, a Local traffic policy) explains it. kube-proxy here is behind \
             the API: check its log for watch or sync errors.",
            joined.service,
            super::stale::port_label(&joined.port_name),
            list(&names),
        ),
    ))
}
