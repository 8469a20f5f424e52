//! `api-endpoint-stale-on-node`: the node's rules send a Service's traffic to an endpoint the API does
//! not give this node (gone, not ready, or terminating beside ready ones) — kube-proxy has not synced.
//! Example: the rules DNAT `ns1/svc1:p80` to 10.0.1.1:80, the EndpointSlice lists only 10.0.1.2.

use crate::model::{Service, ServiceApi};
use crate::report::{Finding, FindingCode, Severity};
use crate::words::list;

pub(crate) fn find(service: &Service, joined: &ServiceApi) -> Option<Finding> {
    if joined.extra_on_node.is_empty() {
        return None;
    }
    let mut lines: Vec<u32> = service
        .endpoints
        .iter()
        .filter(|e| {
            joined
                .extra_on_node
                .contains(&super::endpoints::endpoint_key(&e.ip, e.port))
        })
        .flat_map(|e| e.lines.iter().copied())
        .collect();
    lines.extend(&joined.lines);
    let severity = if joined.endpoints.is_empty() {
        Severity::Warning
    } else {
        Severity::Critical
    };
    Some(Finding::new(
        FindingCode::ApiEndpointStaleOnNode,
        severity,
        Some(&service.id),
        lines,
        format!(
            "Stale rules: this node still sends {}'s traffic to {}, which the API's endpoints for {} (port {}) do not give \
             this node. kube-proxy here has not synced since the endpoint changed: connections that land there fail or \
             reach the wrong pod. Check kube-proxy's log for watch or sync errors and restart it.",
            service.id,
            list(&joined.extra_on_node),
            joined.service,
            port_label(&joined.port_name),
        ),
    ))
}

pub(crate) fn port_label(name: &str) -> String {
    if name.is_empty() {
        "unnamed".to_string()
    } else {
        name.to_string()
    }
}
