//! Findings from the no-endpoint maps: `no-endpoints` (a Service port with no endpoint at all: kube-proxy
//! rejects its traffic; worded in `service_findings::no_endpoints`) and `itp-local-no-local-endpoints`
//! (`internalTrafficPolicy: Local` with no endpoint on this node: its ClusterIP traffic is dropped).

use super::model::{NoEndpointTarget, ServiceModel};
use crate::report::FindingCode;
use crate::report::{Finding, Severity};
use crate::service_findings::no_endpoints;

pub use crate::service_findings::no_endpoints::CODE;
pub const CODE_ITP_LOCAL: FindingCode = FindingCode::ItpLocalNoLocalEndpoints;

fn describe(s: &ServiceModel, target: &NoEndpointTarget) -> String {
    let port = s.port.map(|p| format!(":{p}")).unwrap_or_default();
    match target {
        NoEndpointTarget::ClusterIp(ip) => format!("ClusterIP {ip}{port}"),
        NoEndpointTarget::External(ip) => format!("{ip}{port}"),
        NoEndpointTarget::NodePort(p) => format!("NodePort {p}"),
    }
}

pub(crate) fn find(s: &ServiceModel) -> Vec<Finding> {
    let mut out = Vec::new();
    let rejected: Vec<_> = s.no_endpoint.iter().filter(|e| e.reject).collect();
    if !rejected.is_empty() {
        let targets: Vec<String> = rejected.iter().map(|e| describe(s, &e.target)).collect();
        out.push(no_endpoints::rejected_by_nft(
            &s.id,
            s.key.as_ref().map(|k| k.name.as_str()),
            &targets,
            rejected.iter().map(|e| e.line).collect(),
        ));
    }
    let dropped: Vec<_> = s
        .no_endpoint
        .iter()
        .filter(|e| !e.reject && matches!(e.target, NoEndpointTarget::ClusterIp(_)))
        .collect();
    if !dropped.is_empty() {
        let targets: Vec<String> = dropped.iter().map(|e| describe(s, &e.target)).collect();
        out.push(Finding {
            code: CODE_ITP_LOCAL,
            severity: Severity::Warning,
            service: Some(s.id.clone()),
            lines: dropped.iter().map(|e| e.line).collect(),
            message: format!(
                "{} has internalTrafficPolicy: Local and no endpoint on this node, so kube-proxy drops connections from this node's pods to {}: they time out. Pods on nodes with an endpoint are not affected.",
                s.id,
                targets.join(", ")
            ),
        });
    }
    out
}
