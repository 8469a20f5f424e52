//! `no-endpoints`: Services kube-proxy answers with a reject because they have no ready endpoint.
//!
//! Example: `-A KUBE-SERVICES -d 172.30.0.46/32 -p tcp -m comment --comment "ns6/svc6:p80 has no endpoints"
//! -m tcp --dport 80 -j REJECT` in the filter table. Clients get "connection refused" (TCP) or an ICMP
//! port unreachable (UDP) at once instead of a time-out.
//!
//! Also `endpoints-unknown`: a Service whose endpoint-picking rule was not understood or is missing from
//! the paste (a cut dump, a grep). It never gets `no-endpoints`: what the rules do not prove is not
//! claimed. Example: `-A KUBE-SVC-X -j CUSTOM-LB` instead of jumps to `KUBE-SEP-*` chains.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = proven(cx);
    out.extend(unknown(cx));
    out
}

/// Services whose endpoints the paste does not show, with the line that was not understood.
fn unknown(cx: &Context<'_>) -> Vec<Finding> {
    cx.report
        .services
        .iter()
        .filter_map(|s| {
            let unknown = s.endpoints_unknown.as_ref()?;
            let lines = if unknown.lines.is_empty() {
                s.lines.clone()
            } else {
                unknown.lines.clone()
            };
            Some(Finding::new(
                FindingCode::EndpointsUnknown,
                Severity::Warning,
                Some(&s.id),
                lines,
                format!(
                    "The endpoints of {} are not known: {}. svcpath does not claim it has none; paste the \
                     whole `iptables-save` (or `ipvsadm -Ln`, `nft list ruleset`) output to have them read.",
                    s.id, unknown.reason
                ),
            ))
        })
        .collect()
}

fn proven(cx: &Context<'_>) -> Vec<Finding> {
    cx.report
        .services
        .iter()
        // A Service whose endpoints the dump shows is not called endpoint-less, whatever else rejects it.
        .filter(|s| s.no_endpoints && s.endpoints_unknown.is_none() && s.endpoints.is_empty())
        .map(|s| {
            Finding::new(
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
            )
        })
        .collect()
}
