//! The reminder, with this node's numbers, that IPVS mode does not take conntrack out of the path.

use crate::ipvs::model::Node;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub const CODE: FindingCode = FindingCode::IpvsConntrackStillInPath;

/// nf_conntrack's default timeout for an established TCP connection, in seconds.
const CONNTRACK_TCP_ESTABLISHED: u64 = 432_000;

pub fn find(node: &Node) -> Vec<Finding> {
    let listing = &node.listing;
    if !node.has_listing
        || (node.service_count == 0 && listing.connections.is_empty() && listing.timeouts.is_none())
    {
        return Vec::new();
    }
    let services = node.service_count;
    let real_servers = node.real_server_count;
    let real_server_list = || node.servers.iter().flat_map(|s| &s.service.real_servers);
    let active: u64 = real_server_list()
        .filter_map(|r| r.active_connections)
        .sum();
    let inactive: u64 = real_server_list()
        .filter_map(|r| r.inactive_connections)
        .sum();
    let counted = real_server_list().any(|r| r.active_connections.is_some());
    let mut message = String::from("IPVS does not take conntrack out of the path. ");
    if services > 0 {
        message.push_str(&format!(
            "This node has {services} virtual service(s) with {real_servers} real server(s)"
        ));
        if counted {
            message.push_str(&format!(
                ", holding {active} active and {inactive} inactive connection(s) right now"
            ));
        }
        message.push_str(". ");
    }
    if !listing.connections.is_empty() {
        message.push_str(&format!(
            "The connection listing shows {} IPVS connection entr(ies). ",
            listing.connections.len()
        ));
    }
    message.push_str(
        "kube-proxy sets net.ipv4.vs.conntrack=1 because its masquerade rules need conntrack, so every IPVS connection also \
         has a conntrack entry: a full conntrack table drops new connections in IPVS mode just as in iptables mode, and \
         conntrack's timeouts apply on top of IPVS's own.",
    );
    let mut lines: Vec<u32> = listing.views.iter().map(|v| v.line).collect();
    if let Some(t) = listing.timeouts {
        lines.push(t.line);
        message.push_str(&format!(
            " IPVS forgets an idle established TCP connection after {} s, a closing one after {} s and a UDP flow after {} s; \
             conntrack by default keeps an established TCP entry for {} s (kube-proxy lowers it to 86400 s), so the two tables \
             can disagree about a long-idle connection.",
            t.tcp, t.tcp_fin, t.udp, CONNTRACK_TCP_ESTABLISHED
        ));
    }
    vec![Finding::new(CODE, Severity::Info, None, lines, message)]
}
