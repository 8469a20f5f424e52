//! `iptables-save` output of a kube-proxy node in iptables mode, byte for byte as iptables-save prints
//! what kube-proxy (1.28 and later) programs: tables mangle, filter and nat with header and footer
//! comments, built-in chains with counters, user chains sorted by name, and each rule's options in
//! iptables-save's order (`-s`, `-d`, `-p`, then the match modules in the order kube-proxy gave them).

use std::io::{self, Write};

use crate::model::{iptables_probability, Cluster, Service, POD_CIDR};

const GENERATOR: &str = "iptables-save v1.8.9 (nf_tables)";
const DATE: &str = "Mon Jan  6 10:00:00 2025";

/// Writes the dump.
pub fn write(cluster: &Cluster, out: &mut impl Write) -> io::Result<()> {
    let mut counters = crate::model::Rng::new(cluster.seed ^ 0xC0C0);
    let mut builtin = |out: &mut dyn Write, name: &str, policy: &str| -> io::Result<()> {
        let packets = counters.below(5_000_000);
        let bytes = packets * (60 + counters.below(1400));
        writeln!(out, ":{name} {policy} [{packets}:{bytes}]")
    };

    // mangle: only kube-proxy's and kubelet's marker chains.
    header(out, "mangle")?;
    for chain in ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"] {
        builtin(out, chain, "ACCEPT")?;
    }
    for chain in [
        "KUBE-IPTABLES-HINT",
        "KUBE-KUBELET-CANARY",
        "KUBE-PROXY-CANARY",
    ] {
        writeln!(out, ":{chain} - [0:0]")?;
    }
    footer(out)?;

    // filter
    header(out, "filter")?;
    for chain in ["INPUT", "FORWARD", "OUTPUT"] {
        builtin(out, chain, "ACCEPT")?;
    }
    for chain in [
        "KUBE-EXTERNAL-SERVICES",
        "KUBE-FIREWALL",
        "KUBE-FORWARD",
        "KUBE-KUBELET-CANARY",
        "KUBE-NODEPORTS",
        "KUBE-PROXY-CANARY",
        "KUBE-PROXY-FIREWALL",
        "KUBE-SERVICES",
    ] {
        writeln!(out, ":{chain} - [0:0]")?;
    }
    out.write_all(FILTER_BUILTIN_RULES.as_bytes())?;
    for svc in &cluster.services {
        let (Some(node_port), true) = (svc.node_port, !svc.has_local_endpoints()) else {
            continue;
        };
        let spn = svc.port_name_string();
        let p = svc.protocol.lower();
        if svc.endpoints.is_empty() {
            writeln!(out, "-A KUBE-EXTERNAL-SERVICES -p {p} -m comment --comment \"{spn} has no endpoints\" -m addrtype --dst-type LOCAL -m {p} --dport {node_port} -j REJECT --reject-with icmp-port-unreachable")?;
        } else if svc.local_policy {
            writeln!(out, "-A KUBE-EXTERNAL-SERVICES -p {p} -m comment --comment \"{spn} has no local endpoints\" -m addrtype --dst-type LOCAL -m {p} --dport {node_port} -j DROP")?;
        }
    }
    out.write_all(FILTER_KUBE_RULES.as_bytes())?;
    for svc in &cluster.services {
        if let Some(port) = svc.health_check_node_port {
            writeln!(out, "-A KUBE-NODEPORTS -p tcp -m comment --comment \"{} health check node port\" -m tcp --dport {port} -j ACCEPT", svc.port_name_string())?;
        }
    }
    for svc in cluster.services.iter().filter(|s| s.endpoints.is_empty()) {
        let p = svc.protocol.lower();
        writeln!(out, "-A KUBE-SERVICES -d {}/32 -p {p} -m comment --comment \"{} has no endpoints\" -m {p} --dport {} -j REJECT --reject-with icmp-port-unreachable", svc.cluster_ip, svc.port_name_string(), svc.port)?;
    }
    footer(out)?;

    // nat
    header(out, "nat")?;
    for chain in ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"] {
        builtin(out, chain, "ACCEPT")?;
    }
    let names: Vec<Names> = cluster.services.iter().map(Names::of).collect();
    let mut chains: Vec<(String, NatChain)> = Vec::new();
    for fixed in [
        "KUBE-KUBELET-CANARY",
        "KUBE-MARK-MASQ",
        "KUBE-NODEPORTS",
        "KUBE-POSTROUTING",
        "KUBE-PROXY-CANARY",
        "KUBE-SERVICES",
    ] {
        chains.push((fixed.to_string(), NatChain::Fixed(fixed)));
    }
    for (i, svc) in cluster.services.iter().enumerate() {
        if svc.endpoints.is_empty() {
            continue;
        }
        let n = &names[i];
        chains.push((format!("KUBE-SVC-{}", n.hash), NatChain::Svc(i)));
        if svc.node_port.is_some() {
            chains.push((format!("KUBE-EXT-{}", n.hash), NatChain::Ext(i)));
        }
        if svc.local_policy && svc.has_local_endpoints() {
            chains.push((format!("KUBE-SVL-{}", n.hash), NatChain::Svl(i)));
        }
        for (k, sep) in n.endpoints.iter().enumerate() {
            chains.push((format!("KUBE-SEP-{sep}"), NatChain::Sep(i, k)));
        }
    }
    chains.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, _) in &chains {
        writeln!(out, ":{name} - [0:0]")?;
    }
    out.write_all(NAT_BUILTIN_RULES.as_bytes())?;
    for (name, chain) in &chains {
        match *chain {
            NatChain::Fixed(fixed) => fixed_nat_chain(out, fixed, cluster, &names)?,
            NatChain::Svc(i) => svc_chain(out, name, &cluster.services[i], &names[i])?,
            NatChain::Svl(i) => svl_chain(out, name, &cluster.services[i], &names[i])?,
            NatChain::Ext(i) => ext_chain(out, name, &cluster.services[i], &names[i])?,
            NatChain::Sep(i, k) => sep_chain(out, name, &cluster.services[i], k)?,
        }
    }
    footer(out)
}

/// A nat chain of the dump and what it holds.
enum NatChain {
    Fixed(&'static str),
    Svc(usize),
    Svl(usize),
    Ext(usize),
    /// Service index, endpoint index.
    Sep(usize, usize),
}

/// A Service port's chain hash and its endpoints' chain hashes, computed once.
struct Names {
    hash: String,
    endpoints: Vec<String>,
}

impl Names {
    fn of(svc: &Service) -> Names {
        Names {
            hash: svc.chain_hash(),
            endpoints: svc
                .endpoints
                .iter()
                .map(|e| svc.endpoint_chain_hash(e))
                .collect(),
        }
    }
}

fn header(out: &mut impl Write, table: &str) -> io::Result<()> {
    writeln!(out, "# Generated by {GENERATOR} on {DATE}\n*{table}")
}

fn footer(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "COMMIT\n# Completed on {DATE}")
}

const FILTER_BUILTIN_RULES: &str = r#"-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
"#;

const FILTER_KUBE_RULES: &str = r#"-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
"#;

const NAT_BUILTIN_RULES: &str = r#"-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
"#;

fn fixed_nat_chain(
    out: &mut impl Write,
    chain: &str,
    cluster: &Cluster,
    names: &[Names],
) -> io::Result<()> {
    match chain {
        "KUBE-MARK-MASQ" => writeln!(out, "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000"),
        "KUBE-POSTROUTING" => out.write_all(
            concat!(
                "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n",
                "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0\n",
                "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully\n",
            )
            .as_bytes(),
        ),
        "KUBE-NODEPORTS" => {
            for (svc, n) in cluster.services.iter().zip(names) {
                let Some(node_port) = svc.node_port.filter(|_| !svc.endpoints.is_empty()) else {
                    continue;
                };
                let p = svc.protocol.lower();
                writeln!(out, "-A KUBE-NODEPORTS -p {p} -m comment --comment \"{}\" -m {p} --dport {node_port} -j KUBE-EXT-{}", svc.port_name_string(), n.hash)?;
            }
            Ok(())
        }
        "KUBE-SERVICES" => {
            for (svc, n) in cluster.services.iter().zip(names) {
                if svc.endpoints.is_empty() {
                    continue;
                }
                let p = svc.protocol.lower();
                writeln!(out, "-A KUBE-SERVICES -d {}/32 -p {p} -m comment --comment \"{} cluster IP\" -m {p} --dport {} -j KUBE-SVC-{}", svc.cluster_ip, svc.port_name_string(), svc.port, n.hash)?;
            }
            writeln!(out, "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS")
        }
        _ => Ok(()),
    }
}

fn svc_chain(out: &mut impl Write, chain: &str, svc: &Service, n: &Names) -> io::Result<()> {
    let p = svc.protocol.lower();
    writeln!(out, "-A {chain} ! -s {POD_CIDR} -d {}/32 -p {p} -m comment --comment \"{} cluster IP\" -m {p} --dport {} -j KUBE-MARK-MASQ", svc.cluster_ip, svc.port_name_string(), svc.port)?;
    let all: Vec<usize> = (0..svc.endpoints.len()).collect();
    balancing_rules(out, chain, svc, n, &all)
}

fn svl_chain(out: &mut impl Write, chain: &str, svc: &Service, n: &Names) -> io::Result<()> {
    let local: Vec<usize> = (0..svc.endpoints.len())
        .filter(|&k| svc.endpoints[k].local)
        .collect();
    balancing_rules(out, chain, svc, n, &local)
}

/// Affinity checks, then the `statistic` cascade over the given endpoints (kube-proxy's
/// `writeServiceToEndpointRules`).
fn balancing_rules(
    out: &mut impl Write,
    chain: &str,
    svc: &Service,
    n: &Names,
    endpoints: &[usize],
) -> io::Result<()> {
    let spn = svc.port_name_string();
    if let Some(seconds) = svc.affinity_seconds {
        for &k in endpoints {
            let sep = &n.endpoints[k];
            writeln!(out, "-A {chain} -m comment --comment \"{spn} -> {}\" -m recent --rcheck --seconds {seconds} --reap --name KUBE-SEP-{sep} --mask 255.255.255.255 --rsource -j KUBE-SEP-{sep}", svc.endpoints[k].address())?;
        }
    }
    let count = endpoints.len();
    for (i, &k) in endpoints.iter().enumerate() {
        let sep = &n.endpoints[k];
        let address = svc.endpoints[k].address();
        if i + 1 < count {
            writeln!(out, "-A {chain} -m comment --comment \"{spn} -> {address}\" -m statistic --mode random --probability {} -j KUBE-SEP-{sep}", iptables_probability(count - i))?;
        } else {
            writeln!(
                out,
                "-A {chain} -m comment --comment \"{spn} -> {address}\" -j KUBE-SEP-{sep}"
            )?;
        }
    }
    Ok(())
}

fn ext_chain(out: &mut impl Write, chain: &str, svc: &Service, n: &Names) -> io::Result<()> {
    let spn = svc.port_name_string();
    let h = &n.hash;
    if !svc.local_policy {
        writeln!(out, "-A {chain} -m comment --comment \"masquerade traffic for {spn} external destinations\" -j KUBE-MARK-MASQ")?;
        return writeln!(out, "-A {chain} -j KUBE-SVC-{h}");
    }
    writeln!(out, "-A {chain} -s {POD_CIDR} -m comment --comment \"pod traffic for {spn} external destinations\" -j KUBE-SVC-{h}")?;
    writeln!(out, "-A {chain} -m comment --comment \"masquerade LOCAL traffic for {spn} external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ")?;
    writeln!(out, "-A {chain} -m comment --comment \"route LOCAL traffic for {spn} external destinations\" -m addrtype --src-type LOCAL -j KUBE-SVC-{h}")?;
    if svc.has_local_endpoints() {
        writeln!(out, "-A {chain} -j KUBE-SVL-{h}")?;
    }
    Ok(())
}

fn sep_chain(out: &mut impl Write, chain: &str, svc: &Service, k: usize) -> io::Result<()> {
    let spn = svc.port_name_string();
    let endpoint = &svc.endpoints[k];
    let p = svc.protocol.lower();
    writeln!(
        out,
        "-A {chain} -s {}/32 -m comment --comment \"{spn}\" -j KUBE-MARK-MASQ",
        endpoint.ip
    )?;
    let recent = if svc.affinity_seconds.is_some() {
        format!(" -m recent --set --name {chain} --mask 255.255.255.255 --rsource")
    } else {
        String::new()
    };
    writeln!(
        out,
        "-A {chain} -p {p} -m comment --comment \"{spn}\"{recent} -m {p} -j DNAT --to-destination {}",
        endpoint.address()
    )
}
