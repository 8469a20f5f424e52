//! The node facts of a report: addresses (given, then read from the dumps), pod CIDRs, IP family and
//! iptables backend.

use svcpath_syntax::iptables;

use super::Models;
use crate::report::{Fact, IpFamily, NodeFacts};
use crate::snapshot::Snapshot;
use crate::Options;

/// Node addresses (given, then inferred from the dumps), pod CIDRs, IP family and iptables backend.
pub(super) fn facts(snapshot: &Snapshot, options: &Options, models: &Models<'_>) -> NodeFacts {
    let mut node = NodeFacts::default();
    for ip in &options.node_ips {
        let ip = ip.trim();
        if !ip.is_empty() && !node.node_ips.iter().any(|f| f.value == ip) {
            node.node_ips.push(given(ip));
        }
    }
    for cidr in &options.pod_cidrs {
        let cidr = cidr.trim();
        if !cidr.is_empty() && !node.pod_cidrs.iter().any(|f| f.value == cidr) {
            node.pod_cidrs.push(given(cidr));
        }
    }
    for ruleset in &snapshot.iptables {
        for fact in crate::iptables::node_ips(ruleset) {
            if !node.node_ips.iter().any(|f| f.value == fact.value) {
                node.node_ips.push(fact);
            }
        }
        for fact in crate::iptables::pod_cidrs(ruleset) {
            if !node.pod_cidrs.iter().any(|f| f.value == fact.value) {
                node.pod_cidrs.push(fact);
            }
        }
        if node.iptables_backend.is_none() {
            node.iptables_backend = ruleset.generator.as_deref().map(|g| {
                if g.contains("nf_tables") {
                    "nf_tables".to_string()
                } else if g.contains("legacy") {
                    "legacy".to_string()
                } else {
                    g.to_string()
                }
            });
        }
    }
    node.ip_family = ip_family(models);
    // kube-proxy's nftables table: the NodePort address set and the pod CIDR it masquerades by.
    for fact in models.nft.node_ips.clone() {
        if !node.node_ips.iter().any(|f| f.value == fact.value) {
            node.node_ips.push(fact);
        }
    }
    for fact in models.nft.pod_cidrs.clone() {
        if !node.pod_cidrs.iter().any(|f| f.value == fact.value) {
            node.pod_cidrs.push(fact);
        }
    }
    // The node's interface addresses, and its node IPs among them.
    for fact in interface_facts(snapshot) {
        if !node.node_ips.iter().any(|f| f.value == fact.value) {
            node.node_ips.push(fact);
        }
    }
    for list in &snapshot.addresses {
        for a in list {
            node.addresses.push(Fact {
                value: a.address.clone(),
                source: format!(
                    "{} in the `ip addr` section (line {}){}",
                    a.interface,
                    a.line,
                    a.scope
                        .as_deref()
                        .map(|s| format!(", scope {s}"))
                        .unwrap_or_default()
                ),
                lines: vec![a.line],
            });
        }
    }
    // kube-proxy's own settings (`clusterCIDR`, `--cluster-cidr`): for an address family the rules
    // showed no pod CIDR of.
    for fact in kube_proxy_pod_cidrs(snapshot) {
        let v6 = fact.value.contains(':');
        if !node.pod_cidrs.iter().any(|f| f.value.contains(':') == v6) {
            node.pod_cidrs.push(fact);
        }
    }
    // Endpoints on this node outside the pod network are host-network pods: on a node address.
    for (ruleset, tables) in snapshot.iptables.iter().zip(&models.iptables.tables) {
        for fact in host_network_endpoints(ruleset, tables, &node.pod_cidrs) {
            if !node.node_ips.iter().any(|f| f.value == fact.value) {
                node.node_ips.push(fact);
            }
        }
    }
    node
}

/// Node IPs among the interface addresses: global addresses of the node's own links — not
/// loopback, not link-local, not the pods' bridges and tunnels, not `kube-ipvs0` (which holds the
/// Service addresses in IPVS mode) or Docker's bridge.
fn interface_facts(snapshot: &Snapshot) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    for a in snapshot.addresses.iter().flatten() {
        let Some(ip) = crate::net::parse_ip(a.ip()) else {
            continue;
        };
        let link_local = match ip {
            std::net::IpAddr::V4(v4) => v4.is_link_local(),
            std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
        };
        let scope_ok = a.scope.as_deref().is_none_or(|s| s == "global");
        if ip.is_loopback() || link_local || !scope_ok || !node_link(&a.interface) {
            continue;
        }
        if facts.iter().any(|f| f.value == ip.to_string()) {
            continue;
        }
        facts.push(Fact {
            value: ip.to_string(),
            source: format!(
                "address of {} in the `ip addr` section (line {})",
                a.interface, a.line
            ),
            lines: vec![a.line],
        });
    }
    facts
}

/// `ipv4`, `ipv6` or `dual-stack`: the families whose rules hold kube-proxy's Services (or, when
/// none does, any rule at all). An empty `ip6tables-save` after the IPv4 dump does not make an IPv6
/// node.
fn ip_family(models: &Models<'_>) -> Option<IpFamily> {
    let with_rules = |r: &iptables::Ruleset| {
        r.tables
            .iter()
            .any(|t| t.chains.iter().any(|c| !c.rules.is_empty()))
    };
    let rulesets = models.iptables.rulesets;
    let service_chains = &models.iptables.service_chains;
    let families = |keep: &dyn Fn(usize, &iptables::Ruleset) -> bool| {
        let v4 = rulesets
            .iter()
            .enumerate()
            .any(|(i, r)| !r.ipv6 && keep(i, r));
        let v6 = rulesets
            .iter()
            .enumerate()
            .any(|(i, r)| r.ipv6 && keep(i, r));
        (v4, v6)
    };
    let (mut v4, mut v6) = families(&|i, _| service_chains[i]);
    if !v4 && !v6 {
        (v4, v6) = families(&|_, r| with_rules(r));
    }
    if !v4 && !v6 {
        // Nothing but empty tables: the family of the first dump.
        match rulesets.first() {
            Some(r) => (v4, v6) = (!r.ipv6, r.ipv6),
            None => return None,
        }
    }
    match (v4, v6) {
        (true, true) => Some(IpFamily::DualStack),
        (true, false) => Some(IpFamily::Ipv4),
        (false, true) => Some(IpFamily::Ipv6),
        (false, false) => None,
    }
}

/// A fact the user gave.
fn given(value: &str) -> Fact {
    Fact {
        value: value.to_string(),
        source: crate::report::GIVEN_BY_USER.to_string(),
        lines: Vec::new(),
    }
}

/// Node addresses shown by host-network endpoints: an endpoint that kube-proxy lists as local to
/// this node (in a Service's `KUBE-SVL-` chain) and that lies outside every known pod CIDR runs in the
/// node's own network namespace, on one of the node's addresses. Nothing without a known pod CIDR.
/// `tables` is [`crate::iptables::Tables::of`] the same ruleset: its index finds each endpoint chain
/// without reading every chain of the table again.
fn host_network_endpoints(
    ruleset: &iptables::Ruleset,
    tables: &crate::iptables::Tables<'_>,
    pod_cidrs: &[Fact],
) -> Vec<Fact> {
    let cidrs: Vec<&str> = pod_cidrs
        .iter()
        .map(|f| f.value.as_str())
        .filter(|c| crate::net::parse_cidr(c).is_some())
        .collect();
    let mut facts: Vec<Fact> = Vec::new();
    let Some(nat) = ruleset.table("nat").filter(|_| !cidrs.is_empty()) else {
        return facts;
    };
    for chain in nat
        .chains
        .iter()
        .filter(|c| c.name.starts_with("KUBE-SVL-"))
    {
        for rule in &chain.rules {
            let Some(sep) = rule.target_name().filter(|t| t.starts_with("KUBE-SEP-")) else {
                continue;
            };
            let Some(sep_chain) = tables.nat_chain(sep) else {
                continue;
            };
            for dnat in sep_chain
                .rules
                .iter()
                .filter(|r| r.target_name() == Some("DNAT"))
            {
                let Some(to) = dnat
                    .target
                    .as_ref()
                    .and_then(|t| t.option("to-destination"))
                    .and_then(|o| o.value())
                else {
                    continue;
                };
                let host = crate::net::host_of_endpoint(to);
                let Some(ip) = crate::net::parse_ip(host) else {
                    continue;
                };
                let known = cidrs
                    .iter()
                    .filter_map(|c| crate::net::cidr_contains(c, host));
                let (mut same_family, mut in_pods) = (false, false);
                for inside in known {
                    same_family = true;
                    in_pods |= inside;
                }
                if !same_family
                    || in_pods
                    || ip.is_loopback()
                    || facts.iter().any(|f| f.value == ip.to_string())
                {
                    continue;
                }
                facts.push(Fact {
                    value: ip.to_string(),
                    source: format!(
                        "a host-network endpoint: {sep} (line {}) is local to this node ({}) and {ip} lies outside the pod CIDRs",
                        dnat.line, chain.name
                    ),
                    lines: vec![rule.line, dnat.line],
                });
            }
        }
    }
    facts
}

/// Whether an interface is one of the node's own links rather than a pod bridge, an overlay tunnel, a
/// container link or kube-proxy's IPVS dummy interface.
fn node_link(name: &str) -> bool {
    const NOT_NODE: &[&str] = &[
        "lo",
        "cni",
        "cbr",
        "docker",
        "flannel",
        "cali",
        "veth",
        "vxlan",
        "tunl",
        "cilium",
        "lxc",
        "weave",
        "datapath",
        "kube-",
        "nodelocaldns",
        "genev",
        "antrea",
        "br-",
        "virbr",
        "tun",
        "tap",
        "wg",
        "ovs",
        "nerdctl",
        "podman",
    ];
    !NOT_NODE.iter().any(|p| name.starts_with(p))
}

/// The cluster CIDRs kube-proxy's pasted settings name, each with its line.
fn kube_proxy_pod_cidrs(snapshot: &Snapshot) -> Vec<Fact> {
    let mut out: Vec<Fact> = Vec::new();
    for settings in applying(snapshot) {
        let Some(form) = settings.form else { continue };
        for cidr in &settings.cluster_cidrs {
            if crate::net::parse_ip(cidr.value.split('/').next().unwrap_or("")).is_none()
                || out.iter().any(|f| f.value == cidr.value)
            {
                continue;
            }
            out.push(Fact {
                value: cidr.value.clone(),
                source: format!("{} in {} (line {})", cidr.key, form.describe(), cidr.line),
                lines: vec![cidr.line],
            });
        }
    }
    out
}

/// The proxy mode kube-proxy's pasted settings ask for, with where it was read.
pub(super) fn configured_mode(snapshot: &Snapshot) -> Option<Fact> {
    applying(snapshot).find_map(|s| {
        let mode = s.mode.as_ref()?;
        let form = s.form?;
        Some(Fact {
            value: mode.value.clone(),
            source: format!("{} in {} (line {})", mode.key, form.describe(), mode.line),
            lines: vec![mode.line],
        })
    })
}

/// kube-proxy's pasted settings that apply, last first: a `/flagz` page naming a `--config` file is
/// left out (kube-proxy takes its settings from that file, not from the flags shown).
fn applying(
    snapshot: &Snapshot,
) -> impl Iterator<Item = &svcpath_syntax::kube_proxy_config::KubeProxySettings> {
    use svcpath_syntax::kube_proxy_config::SettingsForm;
    snapshot
        .kube_proxy_settings
        .iter()
        .rev()
        .filter(|s| !(s.form == Some(SettingsForm::Flagz) && s.config_file.is_some()))
}
