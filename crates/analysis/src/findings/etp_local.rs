//! `etp-local-no-local-endpoints` and `etp-local-client-ip` / `etp-cluster-client-ip-lost`:
//! what `externalTrafficPolicy` does to NodePort and load-balancer traffic on this node.
//!
//! Example: `-A KUBE-XLB-… -m comment --comment "default/web has no local endpoints" -j KUBE-MARK-DROP`
//! or `-A KUBE-EXTERNAL-SERVICES … "has no local endpoints" -j DROP`: with policy Local and no endpoint
//! on this node, external traffic to this node is dropped — the black hole.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity, TrafficPolicy};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    // Drop rules by the Service port id their comment names, parsed once.
    let mut drops_by_id: std::collections::HashMap<String, Vec<u32>> =
        std::collections::HashMap::new();
    for (comment, line) in no_local_endpoint_rules(cx) {
        if let Some(name) = crate::iptables::names::parse_service_comment(&comment) {
            drops_by_id.entry(name.id()).or_default().push(line);
        }
    }
    for service in &cx.report.services {
        let exposed = service.node_port.is_some()
            || !service.load_balancer_ips.is_empty()
            || !service.external_ips.is_empty();
        match service.external_traffic_policy {
            Some(TrafficPolicy::Local) => {
                let mut lines: Vec<u32> = drops_by_id.get(&service.id).cloned().unwrap_or_default();
                let no_local = !lines.is_empty()
                    || (service.endpoints.iter().all(|e| e.local == Some(false)) && !service.endpoints.is_empty());
                if no_local {
                    if lines.is_empty() {
                        lines = service.lines.clone();
                    }
                    out.push(Finding::new(
                        FindingCode::EtpLocalNoLocalEndpoints,
                        Severity::Critical,
                        Some(&service.id),
                        lines,
                        format!(
                            "{} has externalTrafficPolicy: Local and no endpoint on this node, so NodePort{} \
                             traffic arriving at this node is dropped (a black hole), while the Service works \
                             from other nodes. The load balancer's health check (healthCheckNodePort) should \
                             take this node out of rotation; if clients still reach it, check that health check.",
                            service.id,
                            if service.load_balancer_ips.is_empty() { "" } else { " and load-balancer" }
                        ),
                    ));
                } else if exposed {
                    out.push(Finding::new(
                        FindingCode::EtpLocalClientIp,
                        Severity::Info,
                        Some(&service.id),
                        service.lines.clone(),
                        format!(
                            "{} has externalTrafficPolicy: Local: external traffic goes only to endpoints on the \
                             node it arrives at and is not masqueraded, so the pods see the real client IP.",
                            service.id
                        ),
                    ));
                }
            }
            Some(TrafficPolicy::Cluster) if exposed => out.push(Finding::new(
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
            )),
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
