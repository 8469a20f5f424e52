//! `externalTrafficPolicy: Local` node ports (and load-balancer or external IPs) on a node where none of the
//! real servers runs: the facts from the sets and virtual services; `service_findings` words them.

use crate::ipvs::model::{Node, Role};
use crate::report::{Finding, Service};
use crate::service_findings::etp_local_no_local_endpoints;

/// The same code the iptables-mode analysis uses for this situation.
pub use crate::service_findings::etp_local_no_local_endpoints::CODE;

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
        out.push(etp_local_no_local_endpoints::ipvs(
            &service.id,
            &names,
            &with_servers,
            lines,
        ));
    }
    out
}
