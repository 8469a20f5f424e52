//! `externalTrafficPolicy: Local` node ports (and load-balancer or external IPs) on a node where none of the
//! real servers runs.

use super::list;
use crate::ipvs::model::{Node, Role};
use crate::report::FindingCode;
use crate::report::{Finding, Service, Severity};

/// The same code the iptables-mode analysis uses for this situation.
pub const CODE: FindingCode = FindingCode::EtpLocalNoLocalEndpoints;

pub fn find(node: &Node, services: &[(Service, Vec<usize>)]) -> Vec<Finding> {
    // Which real servers run here is only known from KUBE-LOOP-BACK (or node addresses).
    if !node.sets.has("KUBE-LOOP-BACK") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (service, group) in services {
        let affected: Vec<usize> = group
            .iter()
            .copied()
            .filter(|i| {
                let s = &node.servers[*i];
                s.role != Role::ClusterIp
                    && s.local_policy == Some(true)
                    && s.local_endpoints.is_empty()
            })
            .collect();
        if affected.is_empty() {
            continue;
        }
        let names: Vec<String> = affected
            .iter()
            .map(|i| {
                format!(
                    "{} {}",
                    node.servers[*i].role.describe(),
                    node.servers[*i].id()
                )
            })
            .collect();
        let with_servers: Vec<String> = affected
            .iter()
            .flat_map(|i| node.servers[*i].service.real_servers.iter())
            .map(|r| r.address.text.clone())
            .collect();
        let mut message = format!(
            "{}: {} {} externalTrafficPolicy Local (the port is in a KUBE-NODE-PORT-LOCAL-* or *-LOCAL set), but none of its \
             real servers runs on this node (none has a KUBE-LOOP-BACK entry or a node address).",
            service.id,
            list(&names),
            if affected.len() == 1 { "has" } else { "have" }
        );
        if with_servers.is_empty() {
            message.push_str(
                " The virtual service is empty, so connections arriving here are refused.",
            );
        } else {
            message.push_str(&format!(
                " kube-proxy then falls back to the endpoints on other nodes ({}) so that pods here can still reach it, but \
                 external clients are not masqueraded under Local: the reply leaves the other node from the pod's address, \
                 the client does not recognise it, and the connection hangs. The load balancer's health check (the \
                 health-check node port answers 503 here) is what should keep traffic away from this node.",
                list(&with_servers)
            ));
        }
        let mut lines: Vec<u32> = affected
            .iter()
            .flat_map(|i| node.servers[*i].lines())
            .collect();
        lines.extend(
            affected
                .iter()
                .flat_map(|i| node.servers[*i].set_lines.iter().copied()),
        );
        lines.extend(node.sets.set_lines.get("KUBE-LOOP-BACK"));
        out.push(Finding::new(
            CODE,
            Severity::Warning,
            Some(&service.id),
            lines,
            message,
        ));
    }
    out
}
