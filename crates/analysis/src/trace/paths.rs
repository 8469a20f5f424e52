//! Which packets to trace for one Service port: its ClusterIP from a pod, the node and an endpoint
//! itself, its NodePort and external addresses from outside (inside and outside the source ranges).

use std::net::IpAddr;

use super::addr;
use super::model::{Origin, Packet, Trace};
use super::tracer::{NodeContext, Tracer};
use crate::model::{self as report, Protocol};

impl Tracer<'_> {
    /// The traces that matter for one Service port (see [`service_paths`](super::service_paths)), each with a label.
    pub fn service_paths(&self, service: &report::Service) -> Vec<(String, Trace)> {
        let node = self.node();
        let protocol = service.protocol.unwrap_or(Protocol::Tcp);
        let mut out = Vec::new();
        let packet =
            |dst: &str, port: u16, from: Origin, src: Option<String>, returning: bool| Packet {
                src,
                dst: dst.to_string(),
                dst_port: port,
                protocol,
                from,
                returning_client: returning,
            };
        let mut push = |label: String, p: Packet| {
            let t = self.trace(&p);
            out.push((label, t));
        };
        if let (Some(ip), Some(port)) = (service.cluster_ip.as_deref(), service.port) {
            push(
                format!("ClusterIP {ip}:{port} from a pod"),
                packet(ip, port, Origin::Pod, None, false),
            );
            push(
                format!("ClusterIP {ip}:{port} from the node"),
                packet(ip, port, Origin::Node, None, false),
            );
            if let Some((ep, from)) = hairpin_endpoint(service, node) {
                let how = if from == Origin::Node {
                    "itself, a host-network endpoint on this node"
                } else {
                    "itself (hairpin)"
                };
                push(
                    format!("ClusterIP {ip}:{port} from endpoint {ep} {how}"),
                    packet(ip, port, from, Some(ep), false),
                );
            }
            if service.session_affinity_seconds.is_some() {
                push(
                    format!(
                        "ClusterIP {ip}:{port} from a pod that connected before (session affinity)"
                    ),
                    packet(ip, port, Origin::Pod, None, true),
                );
            }
        }
        if let Some(node_port) = service.node_port {
            let family_v6 = service
                .cluster_ip
                .as_deref()
                .and_then(addr::parse_ip)
                .map(|c| c.is_ipv6());
            let node_ip = node
                .node_ips
                .iter()
                .find(|ip| family_v6.is_none_or(|v6| v6 == ip.is_ipv6()));
            match node_ip {
                Some(ip) => {
                    let ip = ip.to_string();
                    push(
                        format!("NodePort {ip}:{node_port} from outside"),
                        packet(&ip, node_port, Origin::External, None, false),
                    );
                    if service.external_traffic_policy == Some(report::TrafficPolicy::Local) {
                        push(
                            format!("NodePort {ip}:{node_port} from a pod"),
                            packet(&ip, node_port, Origin::Pod, None, false),
                        );
                        push(
                            format!("NodePort {ip}:{node_port} from the node"),
                            packet(&ip, node_port, Origin::Node, None, false),
                        );
                    }
                }
                None => push(
                    format!("NodePort {node_port} from outside"),
                    // Traced without a destination: the trace says that no node IP is known.
                    packet("", node_port, Origin::External, None, false),
                ),
            }
        }
        if let Some(port) = service.port {
            for ip in &service.external_ips {
                push(
                    format!("external IP {ip}:{port} from outside"),
                    packet(ip, port, Origin::External, None, false),
                );
            }
            for ip in &service.load_balancer_ips {
                if service.load_balancer_source_ranges.is_empty() {
                    push(
                        format!("load-balancer IP {ip}:{port} from outside"),
                        packet(ip, port, Origin::External, None, false),
                    );
                    continue;
                }
                let ranges: Vec<addr::Cidr> = service
                    .load_balancer_source_ranges
                    .iter()
                    .filter_map(|r| addr::Cidr::parse(r))
                    .collect();
                let inside = ranges
                    .first()
                    .and_then(|r| r.nth(1).filter(|_| r.prefix() < 32).or(Some(r.addr())));
                if let Some(inside) = inside {
                    push(
                        format!(
                            "load-balancer IP {ip}:{port} from {inside}, inside the source ranges"
                        ),
                        packet(ip, port, Origin::External, Some(inside.to_string()), false),
                    );
                }
                let candidates = [
                    "203.0.113.7",
                    "198.51.100.7",
                    "192.0.2.7",
                    "100.64.0.7",
                    "8.8.8.8",
                ];
                let outside = candidates
                    .iter()
                    .filter_map(|c| addr::parse_ip(c))
                    .find(|c| !ranges.iter().any(|r| r.contains(*c)));
                if let Some(outside) = outside {
                    push(
                        format!("load-balancer IP {ip}:{port} from {outside}, outside the source ranges"),
                        packet(ip, port, Origin::External, Some(outside.to_string()), false),
                    );
                }
            }
        }
        out
    }
}

/// The endpoint to send a hairpin connection from: a pod endpoint on this node's pod network (in a
/// pod CIDR, or any non-node address when no pod CIDR is known), else a host-network endpoint on this
/// node (its packets start on the node). Endpoints elsewhere cannot send from this node.
fn hairpin_endpoint(service: &report::Service, node: &NodeContext) -> Option<(String, Origin)> {
    let cidrs: Vec<addr::Cidr> = node
        .pod_cidrs
        .iter()
        .filter_map(|c| addr::Cidr::parse(c))
        .collect();
    let ips: Vec<IpAddr> = service
        .endpoints
        .iter()
        .filter_map(|e| addr::parse_ip(&e.ip))
        .collect();
    let pod = ips.iter().find(|ip| {
        !node.node_ips.contains(ip) && (cidrs.is_empty() || cidrs.iter().any(|c| c.contains(**ip)))
    });
    match pod {
        Some(ip) => Some((ip.to_string(), Origin::Pod)),
        None => ips
            .iter()
            .find(|ip| node.node_ips.contains(ip))
            .map(|ip| (ip.to_string(), Origin::Node)),
    }
}
