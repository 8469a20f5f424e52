//! `api-service-stale-on-node`: the node's rules hold a Service that no API Service given matches (in a
//! namespace the API objects cover; by address on an IPVS node) — left over from a deleted Service.
//! Example: rules for `ns2/old` while the API's `ns2` has only `ns2/svc2`.

use crate::report::{ApiJoin, Finding, FindingCode, Service, Severity};

pub(crate) fn find(summary: &ApiJoin, services: &[Service]) -> Vec<Finding> {
    summary
        .rules_without_service
        .iter()
        .filter_map(|id| services.iter().find(|s| &s.id == id))
        .map(|service| {
            let scope = match &service.namespace {
                Some(ns) => format!("no Service of the API objects given in namespace {ns} is {}", service.id),
                None => format!(
                    "no Service of the API objects given has the address {}",
                    service.cluster_ip.as_deref().unwrap_or("?")
                ),
            };
            Finding::new(
                FindingCode::ApiServiceStaleOnNode,
                Severity::Warning,
                Some(&service.id),
                service.lines.clone(),
                format!(
                    "Rules for a Service the API does not list: {scope}. If the API objects are current, these rules are \
                     stale (a deleted Service kube-proxy has not removed here)."
                ),
            )
        })
        .collect()
}
