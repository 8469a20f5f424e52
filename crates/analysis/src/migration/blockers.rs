//! The blockers and behaviour changes kube-proxy documents for nftables mode, each looked for in the
//! paste and reported only with the lines that show it:
//!
//! - `localhost-nodeports`: NodePorts answered on 127.0.0.1 (`-d 127.0.0.0/8 … KUBE-NODEPORTS`, the
//!   localnet guard rule, `route_localnet=1`, an IPVS virtual service on 127.0.0.1). nftables mode does not
//!   serve them.
//! - `nodeport-addresses`: NodePorts answered on every local address (`-m addrtype --dst-type LOCAL -j
//!   KUBE-NODEPORTS`, IPVS NodePorts on several node addresses). nftables mode answers only on the
//!   node's primary addresses unless `--nodeport-addresses` says otherwise.
//! - `ipvs-scheduler`: an IPVS scheduler other than round robin. nftables mode picks at random, with
//!   ClientIP affinity (`persistent`) as its only other choice.
//! - `kube-ipvs0-addresses`: load-balancer or external IPs bound to `kube-ipvs0`, what MetalLB's
//!   `strictARP` exists for. nftables mode binds no address.
//! - `rules-in-kube-chains`: rules that are not kube-proxy's inside its `KUBE-*` chains, or other chains
//!   that jump into them. They stop working when the chains go.
//! - `kernel-too-old` / `nft-too-old`: a kernel before 5.13 or an nft command before 1.0.1, when the paste
//!   shows the version.
//! - `conntrack-invalid-drop`: iptables mode's `--ctstate INVALID -j DROP` workaround, which nftables mode
//!   does not install.

use std::collections::{BTreeMap, BTreeSet};

use svcpath_syntax::iptables::{builtin_chains, BasicKind, Rule, Ruleset};

use super::versions::{Tool, MIN_KERNEL, MIN_NFT};
use super::MigrationItem;
use crate::report::{Mode, Report, Severity};
use crate::snapshot::Snapshot;

/// At most this many lines are listed for one item.
const MAX_LINES: usize = 20;

/// Every check, in no particular order.
pub fn all(snapshot: &Snapshot, report: &Report) -> Vec<MigrationItem> {
    let checks: &[fn(&Snapshot, &Report) -> Option<MigrationItem>] = &[
        localhost_nodeports,
        nodeport_addresses,
        ipvs_scheduler,
        kube_ipvs0_addresses,
        rules_in_kube_chains,
        kernel_too_old,
        nft_too_old,
        conntrack_invalid_drop,
    ];
    checks.iter().filter_map(|c| c(snapshot, report)).collect()
}

fn item(
    code: &str,
    severity: Severity,
    title: &str,
    message: String,
    action: &str,
    mut lines: Vec<u32>,
) -> MigrationItem {
    lines.retain(|l| *l > 0);
    lines.sort_unstable();
    lines.dedup();
    lines.truncate(MAX_LINES);
    MigrationItem {
        code: code.to_string(),
        severity,
        title: title.to_string(),
        message,
        action: action.to_string(),
        lines,
    }
}

/// Every rule of a table of every iptables section, with its chain's name.
fn rules<'a>(snapshot: &'a Snapshot, table: &'a str) -> impl Iterator<Item = (&'a str, &'a Rule)> {
    snapshot
        .iptables
        .iter()
        .filter_map(move |rs: &Ruleset| rs.table(table))
        .flat_map(|t| t.chains.iter())
        .flat_map(|c| c.rules.iter().map(move |r| (c.name.as_str(), r)))
}

fn is_loopback_net(value: &str) -> bool {
    value.starts_with("127.") || value == "::1" || value == "::1/128"
}

fn localhost_nodeports(snapshot: &Snapshot, report: &Report) -> Option<MigrationItem> {
    let mut lines = Vec::new();
    let mut shown = Vec::new();
    for (chain, rule) in rules(snapshot, "nat") {
        if chain != "KUBE-NODEPORTS" {
            continue;
        }
        let local = [BasicKind::Destination, BasicKind::Source].iter().any(|k| {
            rule.basic(*k)
                .is_some_and(|b| !b.negated && is_loopback_net(&b.value))
        });
        if local {
            lines.push(rule.line);
        }
    }
    if !lines.is_empty() {
        shown.push("rules for 127.0.0.0/8 in KUBE-NODEPORTS");
    }
    let guard: Vec<u32> = rules(snapshot, "filter")
        .filter(|(_, r)| {
            r.comment()
                .is_some_and(|c| c.contains("block incoming localnet connections"))
        })
        .map(|(_, r)| r.line)
        .collect();
    if !guard.is_empty() {
        shown.push(
            "kube-proxy's guard for route_localnet (\"block incoming localnet connections\")",
        );
        lines.extend(guard);
    }
    let localnet: Vec<u32> = snapshot
        .sysctls
        .iter()
        .flat_map(|s| s.values.iter())
        .filter(|v| v.key.ends_with(".route_localnet") && v.number == Some(1))
        .map(|v| v.line)
        .collect();
    if !localnet.is_empty() {
        shown.push("route_localnet = 1");
        lines.extend(localnet);
    }
    if report.mode == Mode::Ipvs {
        let vs: Vec<u32> = snapshot
            .ipvs
            .iter()
            .flat_map(|l| l.services.iter())
            .filter(|vs| {
                vs.address
                    .as_ref()
                    .and_then(|a| a.ip.as_deref())
                    .is_some_and(is_loopback_net)
            })
            .map(|vs| vs.line)
            .collect();
        if !vs.is_empty() {
            shown.push("IPVS virtual services on 127.0.0.1");
            lines.extend(vs);
        }
    }
    if lines.is_empty() {
        return None;
    }
    Some(item(
        "localhost-nodeports",
        Severity::Warning,
        "NodePorts on 127.0.0.1 stop answering",
        format!(
            "This node answers NodePorts on localhost ({}). nftables mode does not: it would need \
             route_localnet=1, which opens the node's loopback addresses to the network, and it never sets it. \
             Anything on this node that connects to 127.0.0.1:NODEPORT (a hostNetwork agent, a health check, \
             a local proxy) stops reaching the Service.",
            shown.join("; ")
        ),
        "Point those clients at the node's own address or the Service's ClusterIP before switching (a \
         proposal, KEP-6032, adds an opt-in userspace proxy for localhost NodePorts in nftables mode).",
        lines,
    ))
}

fn nodeport_addresses(snapshot: &Snapshot, report: &Report) -> Option<MigrationItem> {
    let node_ports: BTreeSet<u16> = report.services.iter().filter_map(|s| s.node_port).collect();
    if node_ports.is_empty() {
        return None;
    }
    if report.mode == Mode::Ipvs {
        let cluster_ips: BTreeSet<&str> = report
            .services
            .iter()
            .filter_map(|s| s.cluster_ip.as_deref())
            .collect();
        let mut by_ip: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for vs in snapshot.ipvs.iter().flat_map(|l| l.services.iter()) {
            let Some(a) = &vs.address else { continue };
            let (Some(ip), Some(port)) = (&a.ip, a.port) else {
                continue;
            };
            if node_ports.contains(&port)
                && !cluster_ips.contains(ip.as_str())
                && !is_loopback_net(ip)
            {
                by_ip.entry(ip.clone()).or_default().push(vs.line);
            }
        }
        if by_ip.len() < 2 {
            return None;
        }
        let ips: Vec<&str> = by_ip.keys().map(String::as_str).collect();
        return Some(item(
            "nodeport-addresses",
            Severity::Warning,
            "NodePorts answered only on the primary address",
            format!(
                "IPVS answers this node's NodePorts on {} addresses ({}). nftables mode answers them by default \
                 only on the node's primary IPv4 and IPv6 addresses (`--nodeport-addresses primary`): clients \
                 that use another address of the node lose the NodePort.",
                ips.len(),
                ips.join(", ")
            ),
            "Set kube-proxy's `nodePortAddresses` to the networks clients use (e.g. `0.0.0.0/0` for every \
             address) in the configuration before switching.",
            by_ip.into_values().flatten().collect(),
        ));
    }
    // iptables mode: the last rule of KUBE-SERVICES sends every local destination to KUBE-NODEPORTS
    // unless `--nodeport-addresses` narrowed it to `-d IP` rules.
    let mut any_address = Vec::new();
    for (chain, rule) in rules(snapshot, "nat") {
        if chain != "KUBE-SERVICES" || rule.target_name() != Some("KUBE-NODEPORTS") {
            continue;
        }
        let local = rule.module("addrtype").is_some_and(|m| {
            m.options
                .iter()
                .any(|o| o.name == "dst-type" && !o.negated && o.value() == Some("LOCAL"))
        });
        let narrowed = rule
            .basic(BasicKind::Destination)
            .is_some_and(|d| !d.negated);
        if local && !narrowed {
            any_address.push(rule.line);
        }
    }
    if any_address.is_empty() {
        return None;
    }
    Some(item(
        "nodeport-addresses",
        Severity::Warning,
        "NodePorts answered only on the primary address",
        format!(
            "iptables mode answers the {} NodePort(s) of this paste on every local address of the node \
             (`-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`). nftables mode answers them by default only on \
             the node's primary IPv4 and IPv6 addresses (`--nodeport-addresses primary`): clients that reach a \
             NodePort through another address (a second interface, a floating IP) lose it.",
            node_ports.len()
        ),
        "Set kube-proxy's `nodePortAddresses` to the networks clients use (e.g. `0.0.0.0/0` for every \
         address) in the configuration before switching.",
        any_address,
    ))
}

fn ipvs_scheduler(_snapshot: &Snapshot, report: &Report) -> Option<MigrationItem> {
    if report.mode != Mode::Ipvs {
        return None;
    }
    let mut by_scheduler: BTreeMap<&str, Vec<&crate::report::Service>> = BTreeMap::new();
    for s in &report.services {
        if let Some(sched) = s.scheduler.as_deref().filter(|s| *s != "rr") {
            by_scheduler.entry(sched).or_default().push(s);
        }
    }
    if by_scheduler.is_empty() {
        return None;
    }
    let parts: Vec<String> = by_scheduler
        .iter()
        .map(|(sched, services)| {
            format!(
                "{} ({} Service port(s))",
                scheduler_words(sched),
                services.len()
            )
        })
        .collect();
    let lines = by_scheduler
        .values()
        .flatten()
        .filter_map(|s| s.lines.first().copied())
        .collect();
    Some(item(
        "ipvs-scheduler",
        Severity::Warning,
        "IPVS scheduler not available in nftables mode",
        format!(
            "This node uses {}. nftables mode chooses endpoints at random with equal shares; ClientIP session \
             affinity (IPVS `persistent`) is its only other choice. Weights, connection counts and hashing no \
             longer steer new connections.",
            parts.join(", ")
        ),
        "Check whether a workload depends on the scheduler (long-lived connections balanced by least \
         connection, source hashing for stickiness: use sessionAffinity ClientIP instead) before switching.",
        lines,
    ))
}

fn scheduler_words(sched: &str) -> String {
    let words = match sched {
        "wrr" => "weighted round robin",
        "lc" => "least connection",
        "wlc" => "weighted least connection",
        "lblc" => "locality-based least connection",
        "lblcr" => "locality-based least connection with replication",
        "dh" => "destination hashing",
        "sh" => "source hashing",
        "mh" => "Maglev hashing",
        "sed" => "shortest expected delay",
        "nq" => "never queue",
        "fo" => "weighted failover",
        "ovf" => "weighted overflow",
        "twos" => "random of two choices",
        _ => "",
    };
    let sched = svcpath_syntax::diag::quote(sched);
    if words.is_empty() {
        format!("the scheduler {sched}")
    } else {
        format!("the {sched} scheduler ({words})")
    }
}

fn kube_ipvs0_addresses(_snapshot: &Snapshot, report: &Report) -> Option<MigrationItem> {
    if report.mode != Mode::Ipvs {
        return None;
    }
    let bound: Vec<&crate::report::Service> = report
        .services
        .iter()
        .filter(|s| !s.load_balancer_ips.is_empty() || !s.external_ips.is_empty())
        .collect();
    if bound.is_empty() {
        return None;
    }
    let addresses: BTreeSet<&str> = bound
        .iter()
        .flat_map(|s| s.load_balancer_ips.iter().chain(s.external_ips.iter()))
        .map(String::as_str)
        .collect();
    let shown: Vec<&str> = addresses.iter().take(5).copied().collect();
    Some(item(
        "kube-ipvs0-addresses",
        Severity::Warning,
        "Service addresses leave kube-ipvs0 (strictARP, MetalLB)",
        format!(
            "IPVS mode binds every Service address to the kube-ipvs0 dummy interface, here {} load-balancer or \
             external address(es) ({}{}). That is why MetalLB's layer-2 mode asks for `strictARP: true`, so the \
             node does not answer ARP for them on every interface. nftables mode binds no address: the Service \
             addresses stop being local addresses of the node, and whatever relied on that (strictARP, a \
             process listening on a Service IP, ARP answers) changes.",
            addresses.len(),
            shown.join(", "),
            if addresses.len() > shown.len() { ", …" } else { "" }
        ),
        "Check the load-balancer implementation's notes for nftables mode (MetalLB works without strictARP \
         there); after the switch remove kube-ipvs0 and the IPVS virtual services (`kube-proxy --cleanup`).",
        bound.iter().filter_map(|s| s.lines.first().copied()).collect(),
    ))
}

/// Targets kube-proxy writes inside its own chains, besides jumps to other `KUBE-*` chains.
const KUBE_PROXY_TARGETS: &[&str] = &[
    "DNAT",
    "SNAT",
    "MASQUERADE",
    "MARK",
    "RETURN",
    "ACCEPT",
    "DROP",
    "REJECT",
    "CONNMARK",
];

fn rules_in_kube_chains(snapshot: &Snapshot, _report: &Report) -> Option<MigrationItem> {
    let mut inside = Vec::new();
    let mut into = Vec::new();
    for rs in &snapshot.iptables {
        for table in &rs.tables {
            let builtin = builtin_chains(&table.name);
            for chain in &table.chains {
                let kube = chain.name.starts_with("KUBE-");
                for rule in &chain.rules {
                    let Some(target) = rule.target_name() else {
                        continue;
                    };
                    let to_kube = target.starts_with("KUBE-");
                    if kube && !to_kube && !KUBE_PROXY_TARGETS.contains(&target) {
                        inside.push((chain.name.clone(), target.to_string(), rule.line));
                    } else if !kube && to_kube && !builtin.contains(&chain.name.as_str()) {
                        into.push((chain.name.clone(), target.to_string(), rule.line));
                    }
                }
            }
        }
    }
    if inside.is_empty() && into.is_empty() {
        return None;
    }
    let describe = |list: &[(String, String, u32)]| -> String {
        let shown: Vec<String> = list
            .iter()
            .take(3)
            .map(|(chain, target, line)| {
                format!(
                    "{} → {} (line {line})",
                    svcpath_syntax::diag::quote(chain),
                    svcpath_syntax::diag::quote(target)
                )
            })
            .collect();
        let more = if list.len() > shown.len() {
            format!(" and {} more", list.len() - shown.len())
        } else {
            String::new()
        };
        format!("{}{more}", shown.join(", "))
    };
    let mut parts = Vec::new();
    if !inside.is_empty() {
        parts.push(format!(
            "{} rule(s) inside kube-proxy's chains that kube-proxy does not write: {}",
            inside.len(),
            describe(&inside)
        ));
    }
    if !into.is_empty() {
        parts.push(format!(
            "{} rule(s) of other chains that jump into kube-proxy's: {}",
            into.len(),
            describe(&into)
        ));
    }
    let lines = inside
        .iter()
        .chain(into.iter())
        .map(|(_, _, l)| *l)
        .collect();
    Some(item(
        "rules-in-kube-chains",
        Severity::Critical,
        "Rules that lean on kube-proxy's iptables chains",
        format!(
            "{}. nftables mode keeps all its rules in its own `kube-proxy` nftables table and no longer uses the \
             KUBE-* iptables chains (kube-proxy removes its iptables rules when it changes mode), so these \
             rules stop doing anything.",
            parts.join("; ")
        ),
        "Find who adds them (a CNI plugin, a firewall script, an admin) and move them to their own chains or \
         nftables table, or check that the plugin supports kube-proxy's nftables mode, before switching.",
        lines,
    ))
}

fn too_old(snapshot: &Snapshot, tool: Tool, min: (u32, u32, u32)) -> Option<(String, u32)> {
    snapshot
        .versions
        .iter()
        .filter(|v| v.tool == tool)
        .find(|v| v.number < min)
        .map(|v| (v.text.clone(), v.line))
}

fn kernel_too_old(snapshot: &Snapshot, _report: &Report) -> Option<MigrationItem> {
    let (text, line) = too_old(snapshot, Tool::Kernel, MIN_KERNEL)?;
    Some(item(
        "kernel-too-old",
        Severity::Critical,
        "Kernel too old for nftables mode",
        format!(
            "The kernel is {} (line {line}); kube-proxy's nftables mode needs Linux 5.13 or later and refuses to \
             start on older kernels.",
            svcpath_syntax::diag::quote(&text)
        ),
        "Upgrade the node's kernel (or its image) first.",
        vec![line],
    ))
}

fn nft_too_old(snapshot: &Snapshot, _report: &Report) -> Option<MigrationItem> {
    let (text, line) = too_old(snapshot, Tool::Nft, MIN_NFT)?;
    Some(item(
        "nft-too-old",
        Severity::Critical,
        "nft command too old for nftables mode",
        format!(
            "The nft command is {} (line {line}); kube-proxy's nftables mode drives nft 1.0.1 or later. The \
             version that matters is the one in kube-proxy's image or on its PATH.",
            svcpath_syntax::diag::quote(&text)
        ),
        "Use a kube-proxy image that ships nft 1.0.1 or later (the upstream images do).",
        vec![line],
    ))
}

fn conntrack_invalid_drop(snapshot: &Snapshot, _report: &Report) -> Option<MigrationItem> {
    let lines: Vec<u32> = rules(snapshot, "filter")
        .filter(|(chain, r)| {
            chain.starts_with("KUBE-")
                && r.target_name() == Some("DROP")
                && r.module("conntrack").is_some_and(|m| {
                    m.options
                        .iter()
                        .any(|o| o.name == "ctstate" && !o.negated && o.value() == Some("INVALID"))
                })
        })
        .map(|(_, r)| r.line)
        .collect();
    if lines.is_empty() {
        return None;
    }
    let kernel = snapshot
        .versions
        .iter()
        .find(|v| v.tool == Tool::Kernel)
        .map(|v| {
            if v.number >= (6, 1, 0) {
                format!(" This node's kernel ({}) has the fix.", v.text)
            } else {
                format!(" This node's kernel ({}) is older than 6.1.", v.text)
            }
        })
        .unwrap_or_default();
    Some(item(
        "conntrack-invalid-drop",
        Severity::Info,
        "No conntrack INVALID workaround in nftables mode",
        format!(
            "iptables mode drops packets conntrack marks INVALID (`--ctstate INVALID -j DROP`), a workaround for a \
             kernel bug before Linux 6.1 that resets long-lived connections to Service IPs. nftables mode \
             installs no such rule.{kernel}"
        ),
        "Before switching, see whether the workaround fires (the metric \
         kubeproxy_iptables_ct_state_invalid_dropped_packets_total); if it does on a kernel before 6.1, run \
         kube-proxy with `--conntrack-tcp-be-liberal`.",
        lines,
    ))
}
