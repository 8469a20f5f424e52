//! `node-traffic-blocked`: a catch-all DROP/REJECT in FORWARD or INPUT, written by neither Kubernetes
//! nor the CNI, that blocks the traffic a node needs: pods talking to pods on other nodes, the overlay's
//! VXLAN (8472/udp) or Geneve (6081/udp) packets from other nodes, the kubelet's API (10250/tcp).
//!
//! It traces one packet of each kind (a pod to a pod address elsewhere in the pod CIDR; another node to
//! this node's address) and reports the rules that are not Kubernetes' and end them. Example: a CentOS
//! host firewall's `-A FORWARD -j REJECT --reject-with icmp-host-prohibited` ahead of flannel's
//! `-A FORWARD -j FLANNEL-FWD`: pods on this node cannot reach pods on other nodes, and readiness probes
//! and Services fail with them.

use crate::report::FindingCode;
use std::net::{IpAddr, Ipv4Addr};

use super::service_blocked::join_and;
use super::traced;
use super::Context;
use crate::report::{Finding, Protocol, Report, Severity};
use crate::snapshot::Snapshot;
use crate::trace::{Origin, Packet, Trace};

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

/// The traced packets of this check: what each stands for, whether blocking it is critical, its
/// trace; and whether a placeholder stood for the node's address. Empty when nothing is traced.
fn traced(snapshot: &Snapshot, report: &Report) -> (Vec<(&'static str, bool, Trace)>, bool) {
    let known_ip = report
        .node
        .node_ips
        .iter()
        .find_map(|f| crate::net::parse_ip(&f.value).filter(IpAddr::is_ipv4));
    let placeholder = known_ip
        .is_none()
        .then_some(IpAddr::V4(PLACEHOLDER_NODE_IP));
    let Some(tracer) = traced::tracer(snapshot, report, placeholder) else {
        return (Vec::new(), false);
    };
    let node_ip = known_ip
        .unwrap_or(IpAddr::V4(PLACEHOLDER_NODE_IP))
        .to_string();
    let packet = |dst: &str, port: u16, protocol: Protocol, from: Origin| Packet {
        src: None,
        dst: dst.to_string(),
        dst_port: port,
        protocol,
        from,
        returning_client: false,
    };
    let mut probes = Vec::new();
    if let Some(dst) = report
        .node
        .pod_cidrs
        .iter()
        .find_map(|f| remote_pod(&f.value))
    {
        probes.push(Probe {
            what: "pods on this node talking to pods on other nodes",
            packet: packet(&dst, 8080, Protocol::Tcp, Origin::Pod),
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
            packet: packet(&node_ip, port, protocol, Origin::External),
            critical: false,
        });
    }
    let traces = probes
        .into_iter()
        .map(|p| (p.what, p.critical, tracer.trace(&p.packet)))
        .collect();
    (traces, placeholder.is_some())
}

/// The packets this check traces, labelled (for the diagnosis' proof).
pub fn probes(snapshot: &Snapshot, report: &Report) -> Vec<(String, Trace)> {
    traced(snapshot, report)
        .0
        .into_iter()
        .map(|(what, _, t)| (what.to_string(), t))
        .collect()
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let (traces, placeholder) = traced(cx.snapshot, cx.report);
    // Grouped by the rule that blocks them.
    let mut by_rule: Vec<(Option<u32>, String, Vec<&'static str>, bool)> = Vec::new();
    for (what, critical, trace) in &traces {
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
                    if !r.2.contains(what) {
                        r.2.push(what);
                    }
                    r.3 |= *critical;
                }
                None => by_rule.push((d.line, text, vec![*what], *critical)),
            }
        }
    }
    if by_rule.is_empty() {
        return Vec::new();
    }
    let assumed = if placeholder {
        format!(" (no node IP is known: {PLACEHOLDER_NODE_IP} stood for the node's address in the trace)")
    } else {
        String::new()
    };
    // The rule that blocks pod traffic first: it is the one the diagnosis shows.
    svcpath_syntax::stable_sort::sort_by_key(&mut by_rule, |r| !r.3);
    let critical = by_rule.iter().any(|r| r.3);
    let mut lines: Vec<u32> = Vec::new();
    for line in by_rule.iter().filter_map(|r| r.0) {
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let sentences: Vec<String> = by_rule
        .iter()
        .map(|(_, text, what, _)| format!("{text} blocks {}{assumed}.", join_and(what)))
        .collect();
    // Not `finding()`: the lines keep this order (the deciding rule of the worst part first).
    vec![Finding {
        code: FindingCode::NodeTrafficBlocked,
        severity: if critical { Severity::Critical } else { Severity::Warning },
        service: None,
        lines,
        message: format!(
            "{} These rules are neither Kubernetes' nor the CNI's: allow this traffic ahead of them, or remove the catch-all.",
            sentences.join(" ")
        ),
    }]
}
