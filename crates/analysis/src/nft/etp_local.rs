//! Finding `etp-local-no-local-endpoints` in nftables mode: a Service with `externalTrafficPolicy: Local`
//! and no endpoint on this node, so traffic that reaches this node from outside for it is dropped (a
//! black hole). This file reads the facts from the maps; `service_findings` words them.

use super::model::{NoEndpointTarget, ServiceModel};
use crate::report::{Finding, TrafficPolicy};
use crate::service_findings::etp_local_no_local_endpoints;

pub use crate::service_findings::etp_local_no_local_endpoints::CODE;

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
    Some(etp_local_no_local_endpoints::nft(
        etp_local_no_local_endpoints::NftFacts {
            id: &s.id,
            destinations,
            endpoints: s.endpoints.len(),
            external_chain: s.external_chain.as_deref(),
            lines,
        },
    ))
}
