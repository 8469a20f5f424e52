//! `no-endpoints`: Services kube-proxy answers with a reject because they have no ready endpoint.
//!
//! Example: `-A KUBE-SERVICES -d 172.30.0.46/32 -p tcp -m comment --comment "ns6/svc6:p80 has no endpoints"
//! -m tcp --dport 80 -j REJECT` in the filter table. Clients get "connection refused" (TCP) or an ICMP
//! port unreachable (UDP) at once instead of a time-out.

use super::{finding, Context};
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    cx.report
        .services
        .iter()
        // A Service whose endpoints the dump shows is not called endpoint-less, whatever else rejects it.
        .filter(|s| s.no_endpoints && s.endpoints.is_empty())
        .map(|s| {
            finding(
                "no-endpoints",
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
            )
        })
        .collect()
}
