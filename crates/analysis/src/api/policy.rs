//! `api-policy-mismatch`: what the API's spec says and the rules do differ — `externalTrafficPolicy`
//! (Local in the API, Cluster in the rules, or the reverse), the ClientIP affinity timeout, or the
//! load balancer's source ranges. Example: the Service says `externalTrafficPolicy: Local`, the rules
//! send NodePort traffic to every endpoint and masquerade it.

use svcpath_syntax::kube_api::ApiService;

use crate::model::{Service, ServiceApi, TrafficPolicy};
use crate::report::{Finding, FindingCode, Severity};

pub(crate) fn find(service: &Service, joined: &ServiceApi, api: &[ApiService]) -> Vec<Finding> {
    let Some(svc) = api
        .iter()
        .find(|s| format!("{}/{}", s.namespace, s.name) == joined.service)
    else {
        return Vec::new();
    };
    let mut differences = Vec::new();
    let external = svc.service_type == "NodePort"
        || svc.service_type == "LoadBalancer"
        || !svc.external_ips.is_empty();
    if external {
        if let (Some(api_policy), Some(rules)) = (
            joined.external_traffic_policy,
            service.external_traffic_policy,
        ) {
            if api_policy != rules {
                differences.push(format!(
                    "externalTrafficPolicy is {} in the API but the rules implement {}",
                    name(api_policy),
                    name(rules)
                ));
            }
        }
    }
    let endpoints_known = service.endpoints_unknown.is_none() && !service.endpoints.is_empty();
    match (
        joined.session_affinity_seconds,
        service.session_affinity_seconds,
    ) {
        (Some(a), Some(r)) if a != r => differences.push(format!(
            "the ClientIP affinity timeout is {a} s in the API but {r} s in the rules"
        )),
        (Some(a), None) if endpoints_known => differences.push(format!(
            "the API asks for ClientIP affinity ({a} s) but the rules keep no client affinity"
        )),
        (None, Some(r)) => differences.push(format!(
            "the rules keep ClientIP affinity ({r} s) that the API's Service no longer asks for"
        )),
        _ => {}
    }
    let mut api_ranges = joined.load_balancer_source_ranges.clone();
    let mut rule_ranges = service.load_balancer_source_ranges.clone();
    svcpath_syntax::stable_sort::sort(&mut api_ranges);
    svcpath_syntax::stable_sort::sort(&mut rule_ranges);
    if !service.load_balancer_ips.is_empty() && api_ranges != rule_ranges {
        let show = |r: &[String]| {
            if r.is_empty() {
                "none".to_string()
            } else {
                r.join(", ")
            }
        };
        differences.push(format!(
            "loadBalancerSourceRanges are {} in the API but {} in the rules",
            show(&api_ranges),
            show(&rule_ranges)
        ));
    }
    if differences.is_empty() {
        return Vec::new();
    }
    let mut lines = joined.lines.clone();
    lines.extend(&service.lines);
    vec![Finding::new(
        FindingCode::ApiPolicyMismatch,
        Severity::Warning,
        Some(&service.id),
        lines,
        format!(
            "The rules do not do what {}'s spec says: {}. kube-proxy here has not applied the Service's latest spec \
             (or runs a release that does not know the field).",
            joined.service,
            differences.join("; ")
        ),
    )]
}

fn name(p: TrafficPolicy) -> &'static str {
    match p {
        TrafficPolicy::Cluster => "Cluster",
        TrafficPolicy::Local => "Local",
    }
}
