//! Without kube-proxy's ipsets svcpath cannot tell a node port from a cluster IP for sure: this says which
//! virtual services it took for node ports, and why.

use super::list;
use crate::ipvs::model::{Node, Role};
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub const CODE: FindingCode = FindingCode::IpvsRolesGuessed;

/// At most this many virtual services are named.
const MAX_NAMED: usize = 10;

pub fn find(node: &Node) -> Vec<Finding> {
    let node_ports: Vec<usize> = node
        .guessed_roles
        .iter()
        .copied()
        .filter(|i| node.servers[*i].role == Role::NodePort)
        .collect();
    if node_ports.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = node_ports
        .iter()
        .take(MAX_NAMED)
        .map(|i| node.servers[*i].id())
        .collect();
    let more = node_ports.len().saturating_sub(MAX_NAMED);
    let message = format!(
        "No ipset listing was given, so svcpath guessed which virtual services are node ports: {}{} use a port in the \
         node-port range (30000-32767) on an address that serves nothing else, and were taken for node ports on node \
         addresses; the others for cluster IPs. Each is shown as its own Service, since only a KUBE-NODE-PORT-* set entry \
         shows which cluster IP a node port belongs to; add `ipset list` to the paste to be sure.",
        list(&names),
        if more > 0 { format!(" and {more} more") } else { String::new() }
    );
    let lines = node_ports
        .iter()
        .map(|i| node.servers[*i].service.line)
        .collect();
    vec![Finding::new(CODE, Severity::Info, None, lines, message)]
}
