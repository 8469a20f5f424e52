//! What `externalTrafficPolicy` does to NodePort and load-balancer traffic on this node:
//! `etp-local-client-ip` / `etp-cluster-client-ip-lost`, and `etp-local-no-local-endpoints` in the
//! mode-neutral wording (`service_findings::etp_local_no_local_endpoints`) for the Services the proxy
//! mode's own check did not report.
//!
//! Example: `-A KUBE-XLB-… -m comment --comment "default/web has no local endpoints" -j KUBE-MARK-DROP`
//! or `-A KUBE-EXTERNAL-SERVICES … "has no local endpoints" -j DROP`: with policy Local and no endpoint
//! on this node, external traffic to this node is dropped — the black hole.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity, TrafficPolicy};
use crate::service_findings::{etp_local_no_local_endpoints, NotReported};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    // Drop rules by the Service port id their comment names, parsed once.
    let mut drops_by_id: crate::fast_hash::FastMap<String, Vec<u32>> = Default::default();
    for (comment, line) in no_local_endpoint_rules(cx) {
        if let Some(name) = crate::iptables::names::parse_service_comment(&comment) {
            drops_by_id.entry(name.id()).or_default().push(line);
        }
    }
    let mut no_local =
        NotReported::by_mode(etp_local_no_local_endpoints::CODE, &cx.report.findings);
    // One finding per Service port: a dual-stack Service (an IPv4 and an IPv6 dump) is told once.
    let mut keeps_ip = NotReported::once_per_service(FindingCode::EtpLocalClientIp);
    let mut loses_ip = NotReported::once_per_service(FindingCode::EtpClusterClientIpLost);
    for service in &cx.report.services {
        let exposed = service.node_port.is_some()
            || !service.load_balancer_ips.is_empty()
            || !service.external_ips.is_empty();
        match service.external_traffic_policy {
            Some(TrafficPolicy::Local) => {
                let drops = drops_by_id.get(&service.id).map(Vec::as_slice).unwrap_or_default();
                if let Some(black_hole) = etp_local_no_local_endpoints::from_service(service, drops) {
                    out.extend(no_local.keep(Some(black_hole)));
                } else if exposed {
                    out.extend(keeps_ip.keep(Some(Finding::new(
                        FindingCode::EtpLocalClientIp,
                        Severity::Info,
                        Some(&service.id),
                        service.lines.clone(),
                        format!(
                            "{} has externalTrafficPolicy: Local: external traffic goes only to endpoints on the \
                             node it arrives at and is not masqueraded, so the pods see the real client IP.",
                            service.id
                        ),
                    ))));
                }
            }
            Some(TrafficPolicy::Cluster) if exposed => out.extend(loses_ip.keep(Some(Finding::new(
                FindingCode::EtpClusterClientIpLost,
                Severity::Info,
                Some(&service.id),
                service.lines.clone(),
                format!(
                    "{} has externalTrafficPolicy: Cluster: traffic from outside to its NodePort, external or \
                     load-balancer IPs is masqueraded to this node's address before it goes to any endpoint \
                     (on any node), so the pods do not see the client IP. Use Local to keep it.",
                    service.id
                ),
            )))),
            _ => {}
        }
    }
    out
}

/// Rules that drop external traffic because there is no local endpoint, with their comments.
fn no_local_endpoint_rules(cx: &Context<'_>) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for ruleset in &cx.snapshot.iptables {
        for table in &ruleset.tables {
            for rule in table.chains.iter().flat_map(|c| c.rules.iter()) {
                let Some(comment) = rule.comment() else {
                    continue;
                };
                let drops = matches!(rule.target_name(), Some("KUBE-MARK-DROP" | "DROP"));
                if drops && comment.contains("has no local endpoints") {
                    out.push((comment.to_string(), rule.line));
                }
            }
        }
    }
    out
}
