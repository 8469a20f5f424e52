//! `node-traffic-blocked`: a catch-all DROP/REJECT in FORWARD or INPUT, written by neither Kubernetes
//! nor the CNI, that blocks the traffic a node needs: pods talking to pods on other nodes, the overlay's
//! VXLAN (8472/udp) or Geneve (6081/udp) packets from other nodes, the kubelet's API (10250/tcp).
//!
//! It traces one packet of each kind (a pod to a pod address elsewhere in the pod CIDR; another node to
//! this node's address) and reports the rules that are not Kubernetes' and end them. Example: a CentOS
//! host firewall's `-A FORWARD -j REJECT --reject-with icmp-host-prohibited` ahead of flannel's
//! `-A FORWARD -j FLANNEL-FWD`: pods on this node cannot reach pods on other nodes, and readiness probes
//! and Services fail with them.

use std::net::{IpAddr, Ipv4Addr};

use super::service_blocked::join_and;
use super::traced;
use super::{finding, Context};
use crate::report::{Finding, Protocol, Severity};
use crate::trace::{From, Packet};

/// Stands for the node when no node IP is known (documentation range).
const PLACEHOLDER_NODE_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);

struct Probe {
    what: &'static str,
    packet: Packet,
    critical: bool,
}

/// An address near the end of a pod CIDR of /22 or wider: a pod on another node.
fn remote_pod(cidr: &str) -> Option<String> {
    let (IpAddr::V4(addr), len) = crate::net::parse_cidr(cidr)? else {
        return None;
    };
    if !(8..=22).contains(&len) {
        return None;
    }
    let size = 1u32 << (32 - u32::from(len));
    let base = u32::from(addr) & !(size - 1);
    Some(Ipv4Addr::from(base + size - 6).to_string())
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let known_ip = cx
        .report
        .node
        .node_ips
        .iter()
        .find_map(|f| crate::net::parse_ip(&f.value).filter(IpAddr::is_ipv4));
    let placeholder = known_ip
        .is_none()
        .then_some(IpAddr::V4(PLACEHOLDER_NODE_IP));
    let Some(tracer) = traced::tracer(cx.snapshot, cx.report, placeholder) else {
        return Vec::new();
    };
    let node_ip = known_ip
        .unwrap_or(IpAddr::V4(PLACEHOLDER_NODE_IP))
        .to_string();
    let packet = |dst: &str, port: u16, protocol: Protocol, from: From| Packet {
        src: None,
        dst: dst.to_string(),
        dst_port: port,
        protocol,
        from,
        returning_client: false,
    };
    let mut probes = Vec::new();
    if let Some(dst) = cx
        .report
        .node
        .pod_cidrs
        .iter()
        .find_map(|f| remote_pod(&f.value))
    {
        probes.push(Probe {
            what: "pods on this node talking to pods on other nodes",
            packet: packet(&dst, 8080, Protocol::Tcp, From::Pod),
            critical: true,
        });
    }
    for (what, port, protocol) in [
        (
            "VXLAN overlay packets from other nodes (8472/udp: flannel, Calico VXLAN, Cilium)",
            8472,
            Protocol::Udp,
        ),
        (
            "Geneve overlay packets from other nodes (6081/udp: Antrea, OVN)",
            6081,
            Protocol::Udp,
        ),
        (
            "the kubelet's API (10250/tcp: kubectl logs, exec, metrics)",
            10250,
            Protocol::Tcp,
        ),
    ] {
        probes.push(Probe {
            what,
            packet: packet(&node_ip, port, protocol, From::External),
            critical: false,
        });
    }
    // Grouped by the rule that blocks them.
    let mut by_rule: Vec<(Option<u32>, String, Vec<&'static str>, bool)> = Vec::new();
    for probe in &probes {
        let trace = tracer.trace(&probe.packet);
        for outcome in &trace.outcomes {
            let Some(d) = traced::decision(cx.snapshot, outcome) else {
                continue;
            };
            if d.owner.is_kubernetes() || d.owner.is_cni() || outcome.probability < 0.5 {
                continue;
            }
            let text = format!(
                "{}, {} in {}",
                d.line
                    .map_or_else(|| "a rule".to_string(), |l| format!("line {l}")),
                traced::rule_phrase(d.owner, &d.what),
                traced::place(d.step)
            );
            match by_rule.iter_mut().find(|r| r.0 == d.line && r.1 == text) {
                Some(r) => {
                    if !r.2.contains(&probe.what) {
                        r.2.push(probe.what);
                    }
                    r.3 |= probe.critical;
                }
                None => by_rule.push((d.line, text, vec![probe.what], probe.critical)),
            }
        }
    }
    if by_rule.is_empty() {
        return Vec::new();
    }
    let assumed = if placeholder.is_some() {
        format!(" (no node IP is known: {PLACEHOLDER_NODE_IP} stood for the node's address in the trace)")
    } else {
        String::new()
    };
    let critical = by_rule.iter().any(|r| r.3);
    let lines: Vec<u32> = by_rule.iter().filter_map(|r| r.0).collect();
    let sentences: Vec<String> = by_rule
        .iter()
        .map(|(_, text, what, _)| format!("{text} blocks {}{assumed}.", join_and(what)))
        .collect();
    vec![finding(
        "node-traffic-blocked",
        if critical { Severity::Critical } else { Severity::Warning },
        None,
        lines,
        format!(
            "{} These rules are neither Kubernetes' nor the CNI's: allow this traffic ahead of them, or remove the catch-all.",
            sentences.join(" ")
        ),
    )]
}
