//! `no-endpoints`: a Service port kube-proxy answers with a reject because it has no ready endpoint.
//!
//! iptables mode: `-A KUBE-SERVICES -d 172.30.0.46/32 -p tcp -m comment --comment "ns6/svc6:p80 has no
//! endpoints" -m tcp --dport 80 -j REJECT` in the filter table. nftables mode: the reject verdict of the
//! `no-endpoint-services` (or `no-endpoint-nodeports`) map. Clients get "connection refused" (TCP) or an
//! ICMP port unreachable (UDP) at once instead of a time-out.

use crate::report::{Finding, FindingCode, Service, Severity};

pub const CODE: FindingCode = FindingCode::NoEndpoints;

/// nftables mode: the no-endpoint maps send `targets` (`ClusterIP 10.0.0.1:80`, `NodePort 30080`) of the
/// Service port `id` (Service name `name`) to the reject chain, at `lines`.
pub(crate) fn rejected_by_nft(
    id: &str,
    name: Option<&str>,
    targets: &[String],
    lines: Vec<u32>,
) -> Finding {
    Finding {
        code: CODE,
        severity: Severity::Warning,
        service: Some(id.to_string()),
        lines,
        message: format!(
            "{} has no ready endpoints, so kube-proxy sends new connections to {} to its reject chain: clients get an immediate \"connection refused\" (ICMP port unreachable), not a timeout. Check the Service's selector and whether its pods are Ready (kubectl get endpointslices -l kubernetes.io/service-name={}).",
            id,
            targets.join(", "),
            name.unwrap_or("NAME"),
        ),
    }
}

/// From the report's Service: its rules reject it for want of endpoints. A Service whose endpoints the
/// dump shows, or whose endpoints are unknown, is not called endpoint-less, whatever else rejects it.
pub(crate) fn from_service(s: &Service) -> Option<Finding> {
    if !(s.no_endpoints && s.endpoints_unknown.is_none() && s.endpoints.is_empty()) {
        return None;
    }
    Some(Finding::new(
        FindingCode::NoEndpoints,
        Severity::Warning,
        Some(&s.id),
        s.lines.clone(),
        format!(
            "{} has no ready endpoints: new connections to it are rejected (TCP reset or ICMP port \
             unreachable) on this node. Check the Service's selector and whether its pods are Ready \
             (`kubectl get endpointslices -l kubernetes.io/service-name={}`).",
            s.id,
            s.name.as_deref().unwrap_or("NAME")
        ),
    ))
}
