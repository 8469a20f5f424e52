//! Finding `etp-local-no-local-endpoints`: a Service with `externalTrafficPolicy: Local` and no endpoint on
//! this node, so traffic that reaches this node from outside for it is dropped (a black hole).

use super::model::{NoEndpointTarget, ServiceModel};
use crate::report::FindingCode;
use crate::report::{Finding, Severity, TrafficPolicy};

pub const CODE: FindingCode = FindingCode::EtpLocalNoLocalEndpoints;

pub(crate) fn find(s: &ServiceModel) -> Option<Finding> {
    if s.external_traffic_policy != Some(TrafficPolicy::Local)
        || s.local_endpoints() > 0
        || s.rejects()
    {
        return None;
    }
    let drops: Vec<&NoEndpointTarget> = s
        .no_endpoint
        .iter()
        .filter(|e| !e.reject && !matches!(e.target, NoEndpointTarget::ClusterIp(_)))
        .map(|e| &e.target)
        .collect();
    let mut destinations: Vec<String> = Vec::new();
    let port = s.port.map(|p| format!(":{p}")).unwrap_or_default();
    for t in &drops {
        match t {
            NoEndpointTarget::External(ip) => destinations.push(format!("{ip}{port}")),
            NoEndpointTarget::NodePort(p) => destinations.push(format!("NodePort {p}")),
            NoEndpointTarget::ClusterIp(_) => {}
        }
    }
    if destinations.is_empty() {
        destinations.extend(
            s.external_ips
                .iter()
                .chain(&s.load_balancer_ips)
                .map(|ip| format!("{ip}{port}")),
        );
        if let Some(p) = s.node_port {
            destinations.push(format!("NodePort {p}"));
        }
    }
    let mut lines: Vec<u32> = s
        .no_endpoint
        .iter()
        .filter(|e| !e.reject)
        .map(|e| e.line)
        .collect();
    lines.extend(s.external_chain_lines.iter().copied());
    lines.extend(s.dispatch_lines.iter().copied());
    lines.sort_unstable();
    lines.dedup();
    let what = if destinations.is_empty() {
        "its external addresses".to_string()
    } else {
        destinations.join(", ")
    };
    let cluster_note = if s.endpoints.is_empty() {
        String::new()
    } else {
        format!(
            " Its {} endpoint{} run{} on other nodes; pods and the node itself still reach {} through the short-circuit rules of {}.",
            s.endpoints.len(),
            if s.endpoints.len() == 1 { "" } else { "s" },
            if s.endpoints.len() == 1 { "s" } else { "" },
            if s.endpoints.len() == 1 { "it" } else { "them" },
            s.external_chain.as_deref().unwrap_or("the external chain"),
        )
    };
    Some(Finding {
        code: CODE,
        severity: Severity::Warning,
        service: Some(s.id.clone()),
        lines,
        message: format!(
            "{} has externalTrafficPolicy: Local but no endpoint on this node, so kube-proxy drops new connections from outside the cluster to {what} here (the drop verdicts of the no-endpoint maps): a black hole for clients sent to this node.{cluster_note} A load balancer that checks the health-check node port stops sending traffic to this node; clients that pick nodes themselves (NodePort) get no answer.",
            s.id
        ),
    })
}
