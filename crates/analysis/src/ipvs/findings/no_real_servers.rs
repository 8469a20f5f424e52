//! Virtual services without real servers: IPVS has nowhere to send a new connection.

use super::service_of;
use crate::ipvs::model::{Node, Role};
use crate::report::FindingCode;
use crate::report::{Finding, Service, Severity};

pub const CODE: FindingCode = FindingCode::IpvsNoRealServers;

pub fn find(node: &Node, services: &[(Service, Vec<usize>)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (service, group) in services {
        let empty: Vec<usize> = group
            .iter()
            .copied()
            .filter(|i| node.servers[*i].service.real_servers.is_empty())
            .collect();
        if empty.is_empty() {
            continue;
        }
        let names: Vec<String> = empty
            .iter()
            .map(|i| {
                format!(
                    "{} {}",
                    node.servers[*i].role.describe(),
                    node.servers[*i].id()
                )
            })
            .collect();
        let local = empty.iter().any(|i| {
            node.servers[*i].local_policy == Some(true) && node.servers[*i].role != Role::ClusterIp
        });
        let mut message = format!(
            "{}: the {} {} no real servers. IPVS finds nowhere to send a new connection, so the packet goes on to the \
             node's own network stack: TCP clients get a reset (connection refused), UDP clients an ICMP port-unreachable \
             or silence.",
            service.id,
            super::list(&names),
            if empty.len() == 1 { "has" } else { "have" }
        );
        if local {
            message.push_str(
                " With externalTrafficPolicy Local an empty node port or load-balancer address means no endpoint runs on this \
                 node (older kube-proxy left it empty); the load balancer's health check should send traffic elsewhere.",
            );
        } else {
            message.push_str(" Check that the Service's selector matches ready pods (`kubectl get endpointslices`).");
        }
        let lines = empty
            .iter()
            .flat_map(|i| node.servers[*i].lines())
            .collect();
        let id = service_of(services, empty[0]).map(|s| s.id.as_str());
        out.push(Finding::new(CODE, Severity::Warning, id, lines, message));
    }
    out
}
