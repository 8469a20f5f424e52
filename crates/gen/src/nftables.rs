//! `nft list table ip kube-proxy` of a kube-proxy node in nftables mode, as nft prints it: tab
//! indentation, one block per chain, set and map, set elements two addresses a line and map elements
//! one a line (nft's own wrapping), kube-proxy's base chains and verdict maps, then each Service port's
//! chains — in the layout of the chosen kube-proxy release ([`Release`]).

use std::io::{self, Write};

use crate::model::{Cluster, Service, POD_CIDR, SERVICE_CIDR};

/// Which kube-proxy release's nftables layout to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Release {
    /// 1.29–1.33: filter chains at -110 (input, forward, output) and -90 (`filter-output-post-dnat`),
    /// endpoint chains that DNAT, `mark-for-masquerade`.
    V1_33,
    /// 1.34–1.35: `filter-prerouting-pre-dnat` / `filter-output-pre-dnat` at -110, `filter-input`,
    /// `filter-forward`, `filter-output` at 0.
    V1_34,
    /// 1.36: service chains DNAT with `dnat ip to numgen random mod N map { i : ADDR . PORT }` (no
    /// endpoint chains without affinity), the off-cluster masquerade mark in `services`, the
    /// `hairpin-connections` set, no `mark-for-masquerade`.
    V1_36,
    /// 1.37: as 1.36, and a single endpoint is DNATed with no map.
    V1_37,
}

impl Release {
    pub fn parse(text: &str) -> Option<Release> {
        let minor: u32 = text
            .trim()
            .trim_start_matches('v')
            .strip_prefix("1.")?
            .split('.')
            .next()?
            .parse()
            .ok()?;
        Some(match minor {
            29..=33 => Release::V1_33,
            34 | 35 => Release::V1_34,
            36 => Release::V1_36,
            37.. => Release::V1_37,
            _ => return None,
        })
    }

    fn direct_dnat(self) -> bool {
        self >= Release::V1_36
    }
}

/// Writes the table in the 1.29–1.33 layout.
pub fn write(cluster: &Cluster, out: &mut impl Write) -> io::Result<()> {
    write_release(cluster, Release::V1_33, out)
}

/// Writes the table as the given kube-proxy release lays it out.
pub fn write_release(cluster: &Cluster, release: Release, out: &mut impl Write) -> io::Result<()> {
    let services = &cluster.services;
    let bases: Vec<String> = services.iter().map(Service::nft_chain_base).collect();
    out.write_all(
        concat!(
            "table ip kube-proxy {\n",
            "\tcomment \"rules for kube-proxy\"\n",
            "\n",
            "\tchain nat-prerouting {\n",
            "\t\ttype nat hook prerouting priority dstnat; policy accept;\n",
            "\t\tjump services\n",
            "\t}\n",
            "\n",
            "\tchain services {\n",
        )
        .as_bytes(),
    )?;
    if release.direct_dnat() {
        writeln!(
            out,
            "\t\tip daddr @cluster-ips ip saddr != {POD_CIDR} meta mark set meta mark | 0x00004000 comment \"masquerade clusterIP traffic from outside cluster\""
        )?;
    }
    out.write_all(
        concat!(
            "\t\tip daddr . meta l4proto . th dport vmap @service-ips\n",
            "\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports\n",
            "\t}\n",
        )
        .as_bytes(),
    )?;
    let lb_of = |i: usize| {
        cluster
            .load_balancers
            .iter()
            .filter(move |l| l.service == i)
    };

    map_header(
        out,
        "service-ips",
        "ipv4_addr . inet_proto . inet_service : verdict",
        "ClusterIP, ExternalIP and LoadBalancer IP traffic",
    )?;
    elements(
        out,
        services
            .iter()
            .zip(&bases)
            .enumerate()
            .filter(|(_, (s, _))| !s.endpoints.is_empty())
            .flat_map(|(i, (s, b))| {
                let p = s.protocol.lower();
                std::iter::once(format!(
                    "{} . {p} . {} : goto service-{b}",
                    s.cluster_ip, s.port
                ))
                .chain(
                    lb_of(i)
                        .map(move |l| format!("{} . {p} . {} : goto external-{b}", l.ip, s.port)),
                )
            }),
        1,
    )?;
    writeln!(out, "\t}}")?;

    map_header(
        out,
        "service-nodeports",
        "inet_proto . inet_service : verdict",
        "NodePort traffic",
    )?;
    elements(
        out,
        services
            .iter()
            .zip(&bases)
            .filter(|(s, _)| !s.endpoints.is_empty())
            .filter_map(|(s, b)| {
                s.node_port
                    .map(|p| format!("{} . {p} : goto external-{b}", s.protocol.lower()))
            }),
        1,
    )?;
    writeln!(out, "\t}}")?;

    write!(
        out,
        "\n\tset nodeport-ips {{\n\t\ttype ipv4_addr\n\t\tcomment \"IPs that accept NodePort traffic\"\n"
    )?;
    elements(out, std::iter::once(cluster.node_ip.to_string()), 2)?;
    writeln!(out, "\t}}")?;

    write!(
        out,
        "\n\tset cluster-ips {{\n\t\ttype ipv4_addr\n\t\tcomment \"Active ClusterIPs\"\n"
    )?;
    elements(out, services.iter().map(|s| s.cluster_ip.to_string()), 2)?;
    writeln!(out, "\t}}")?;

    map_header(
        out,
        "no-endpoint-services",
        "ipv4_addr . inet_proto . inet_service : verdict",
        "vmap to drop or reject packets to services with no endpoints",
    )?;
    elements(
        out,
        services.iter().filter(|s| s.endpoints.is_empty()).map(|s| {
            format!(
                "{} . {} . {} comment \"{}\" : goto reject-chain",
                s.cluster_ip,
                s.protocol.lower(),
                s.port,
                s.port_name_string()
            )
        }),
        1,
    )?;
    writeln!(out, "\t}}")?;

    map_header(
        out,
        "no-endpoint-nodeports",
        "inet_proto . inet_service : verdict",
        "vmap to drop or reject packets to service nodeports with no endpoints",
    )?;
    elements(
        out,
        services
            .iter()
            .filter(|s| !s.has_local_endpoints())
            .filter_map(|s| {
                let verdict = if s.endpoints.is_empty() {
                    "goto reject-chain"
                } else if s.local_policy {
                    "drop"
                } else {
                    return None;
                };
                s.node_port.map(|p| {
                    format!(
                        "{} . {p} comment \"{}\" : {verdict}",
                        s.protocol.lower(),
                        s.port_name_string()
                    )
                })
            }),
        1,
    )?;
    writeln!(out, "\t}}")?;

    map_header(
        out,
        "firewall-ips",
        "ipv4_addr . inet_proto . inet_service : verdict",
        "destinations that are subject to LoadBalancerSourceRanges",
    )?;
    elements(
        out,
        cluster.load_balancers.iter().filter_map(|l| {
            let s = services.get(l.service)?;
            Some(format!(
                "{} . {} . {} : goto firewall-{}",
                l.ip,
                s.protocol.lower(),
                s.port,
                bases[l.service]
            ))
        }),
        1,
    )?;
    writeln!(out, "\t}}")?;

    if release.direct_dnat() {
        write!(
            out,
            "\n\tset hairpin-connections {{\n\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service\n\t\tcomment \"service hairpin connections\"\n"
        )?;
        elements(
            out,
            services.iter().flat_map(|s| {
                s.endpoints.iter().map(move |e| {
                    format!("{} . {} . {} . {}", e.ip, e.ip, s.protocol.lower(), e.port)
                })
            }),
            1,
        )?;
        writeln!(out, "\t}}")?;
    }

    let base_chains = match release {
        Release::V1_33 => BASE_CHAINS.to_string(),
        Release::V1_34 => format!("{BASE_CHAINS_1_34}{MARK_FOR_MASQUERADE}{MASQUERADING}"),
        Release::V1_36 | Release::V1_37 => format!("{BASE_CHAINS_1_34}{MASQUERADING_1_36}"),
    };
    write!(
        out,
        "{}",
        base_chains.replace("{SERVICE_CIDR}", SERVICE_CIDR)
    )?;

    for (i, (svc, base)) in services.iter().zip(&bases).enumerate() {
        if svc.endpoints.is_empty() {
            continue;
        }
        service_chains(out, svc, base, release)?;
        for l in lb_of(i) {
            let ranges = l.source_ranges.join(", ");
            writeln!(
                out,
                "\n\tchain firewall-{base} {{\n\t\tip saddr != {{ {ranges} }} drop\n\t}}"
            )?;
        }
    }
    writeln!(out, "}}")
}

fn map_header(out: &mut impl Write, name: &str, kind: &str, comment: &str) -> io::Result<()> {
    write!(
        out,
        "\n\tmap {name} {{\n\t\ttype {kind}\n\t\tcomment \"{comment}\"\n"
    )
}

/// `elements = { a, b,` … `}` with nft's wrapping: a new line after every `per_line` elements, the
/// continuation lines indented to the opening brace.
fn elements(
    out: &mut impl Write,
    items: impl Iterator<Item = String>,
    per_line: usize,
) -> io::Result<()> {
    let mut count = 0usize;
    for item in items {
        if count == 0 {
            write!(out, "\t\telements = {{ ")?;
        } else if count.is_multiple_of(per_line) {
            write!(out, ",\n\t\t\t     ")?;
        } else {
            write!(out, ", ")?;
        }
        write!(out, "{item}")?;
        count += 1;
    }
    if count > 0 {
        writeln!(out, " }}")?;
    }
    Ok(())
}

const BASE_CHAINS: &str = "
\tchain filter-prerouting {
\t\ttype filter hook prerouting priority dstnat - 10; policy accept;
\t\tct state new jump firewall-check
\t}

\tchain filter-input {
\t\ttype filter hook input priority -110; policy accept;
\t\tct state new jump nodeport-endpoints-check
\t\tct state new jump service-endpoints-check
\t}

\tchain filter-forward {
\t\ttype filter hook forward priority -110; policy accept;
\t\tct state new jump service-endpoints-check
\t\tct state new jump cluster-ips-check
\t}

\tchain filter-output {
\t\ttype filter hook output priority -110; policy accept;
\t\tct state new jump service-endpoints-check
\t\tct state new jump firewall-check
\t}

\tchain filter-output-post-dnat {
\t\ttype filter hook output priority -90; policy accept;
\t\tct state new jump cluster-ips-check
\t}

\tchain nat-output {
\t\ttype nat hook output priority -100; policy accept;
\t\tjump services
\t}

\tchain nat-postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tjump masquerading
\t}

\tchain nodeport-endpoints-check {
\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
\t}

\tchain service-endpoints-check {
\t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services
\t}

\tchain firewall-check {
\t\tip daddr . meta l4proto . th dport vmap @firewall-ips
\t}

\tchain masquerading {
\t\tmeta mark & 0x00004000 == 0x00000000 return
\t\tmeta mark set meta mark ^ 0x00004000
\t\tmasquerade fully-random
\t}

\tchain cluster-ips-check {
\t\tip daddr @cluster-ips reject comment \"Reject traffic to invalid ports of ClusterIPs\"
\t\tip daddr {SERVICE_CIDR} drop comment \"Drop traffic to unallocated ClusterIPs\"
\t}

\tchain mark-for-masquerade {
\t\tmeta mark set meta mark | 0x00004000
\t}

\tchain reject-chain {
\t\tcomment \"helper for @no-endpoint-services / @no-endpoint-nodeports\"
\t\treject
\t}
";

/// 1.34–1.37: the filter chains before DNAT at `dstnat - 10`, the others at `filter` (nft names
/// `dstnat` for prerouting only, so output chains print as numbers).
const BASE_CHAINS_1_34: &str = "
\tchain filter-prerouting-pre-dnat {
\t\ttype filter hook prerouting priority dstnat - 10; policy accept;
\t\tct state new jump firewall-check
\t}

\tchain filter-output-pre-dnat {
\t\ttype filter hook output priority -110; policy accept;
\t\tct state new jump firewall-check
\t}

\tchain filter-input {
\t\ttype filter hook input priority filter; policy accept;
\t\tct state new jump nodeport-endpoints-check
\t\tct state new jump service-endpoints-check
\t}

\tchain filter-forward {
\t\ttype filter hook forward priority filter; policy accept;
\t\tct state new jump service-endpoints-check
\t\tct state new jump cluster-ips-check
\t}

\tchain filter-output {
\t\ttype filter hook output priority filter; policy accept;
\t\tct state new jump service-endpoints-check
\t\tct state new jump cluster-ips-check
\t}

\tchain nat-output {
\t\ttype nat hook output priority -100; policy accept;
\t\tjump services
\t}

\tchain nat-postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tjump masquerading
\t}

\tchain nodeport-endpoints-check {
\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
\t}

\tchain service-endpoints-check {
\t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services
\t}

\tchain firewall-check {
\t\tip daddr . meta l4proto . th dport vmap @firewall-ips
\t}

\tchain cluster-ips-check {
\t\tip daddr @cluster-ips reject comment \"Reject traffic to invalid ports of ClusterIPs\"
\t\tip daddr {SERVICE_CIDR} drop comment \"Drop traffic to unallocated ClusterIPs\"
\t}

\tchain reject-chain {
\t\tcomment \"helper for @no-endpoint-services / @no-endpoint-nodeports\"
\t\treject
\t}
";

const MARK_FOR_MASQUERADE: &str = "
\tchain mark-for-masquerade {
\t\tmeta mark set meta mark | 0x00004000
\t}
";

const MASQUERADING: &str = "
\tchain masquerading {
\t\tmeta mark & 0x00004000 == 0x00000000 return
\t\tmeta mark set meta mark ^ 0x00004000
\t\tmasquerade fully-random
\t}
";

/// 1.36+: marked packets and hairpin connections (by the `hairpin-connections` set) are masqueraded.
const MASQUERADING_1_36: &str = "
\tchain masquerading {
\t\tmeta mark & 0x00004000 != 0x00000000 meta mark set meta mark ^ 0x00004000 masquerade fully-random
\t\tct status dnat ip saddr . ip daddr . meta l4proto . th dport @hairpin-connections masquerade fully-random
\t}
";

/// The rule that marks a packet for masquerading: a jump before 1.36, the mark itself after.
fn mark(release: Release) -> &'static str {
    if release.direct_dnat() {
        "meta mark set meta mark | 0x00004000"
    } else {
        "jump mark-for-masquerade"
    }
}

/// A Service port's affinity sets, endpoint chains, service chain, local chain and external chain.
fn service_chains(
    out: &mut impl Write,
    svc: &Service,
    base: &str,
    release: Release,
) -> io::Result<()> {
    let p = svc.protocol.lower();
    // Since 1.36 only Services with affinity keep endpoint chains (the affinity set is per endpoint).
    let endpoint_chains = !release.direct_dnat() || svc.affinity_seconds.is_some();
    let mark = mark(release);
    let endpoint_bases: Vec<String> = svc
        .endpoints
        .iter()
        .map(|e| svc.nft_endpoint_base(e))
        .collect();
    if let Some(seconds) = svc.affinity_seconds {
        for eb in &endpoint_bases {
            write!(
                out,
                "\n\tset affinity-{eb} {{\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout {}\n\t}}\n",
                nft_duration(seconds)
            )?;
        }
    }
    for (e, eb) in svc
        .endpoints
        .iter()
        .zip(&endpoint_bases)
        .filter(|_| endpoint_chains)
    {
        write!(out, "\n\tchain endpoint-{eb} {{\n")?;
        if !release.direct_dnat() {
            writeln!(out, "\t\tip saddr {} jump mark-for-masquerade", e.ip)?;
        }
        if svc.affinity_seconds.is_some() {
            writeln!(out, "\t\tupdate @affinity-{eb} {{ ip saddr }}")?;
        }
        writeln!(out, "\t\tmeta l4proto {p} dnat to {}\n\t}}", e.address())?;
    }

    write!(out, "\n\tchain service-{base} {{\n")?;
    if !release.direct_dnat() {
        writeln!(
            out,
            "\t\tip daddr {} {p} dport {} ip saddr != {POD_CIDR} jump mark-for-masquerade",
            svc.cluster_ip, svc.port
        )?;
    }
    let all: Vec<usize> = (0..svc.endpoints.len()).collect();
    balancing(out, svc, &endpoint_bases, &all, release)?;
    writeln!(out, "\t}}")?;

    let local: Vec<usize> = (0..svc.endpoints.len())
        .filter(|&k| svc.endpoints[k].local)
        .collect();
    let uses_local_chain = svc.local_policy && svc.node_port.is_some() && !local.is_empty();
    if uses_local_chain {
        writeln!(out, "\n\tchain local-{base} {{")?;
        balancing(out, svc, &endpoint_bases, &local, release)?;
        writeln!(out, "\t}}")?;
    }
    if svc.node_port.is_some() {
        writeln!(out, "\n\tchain external-{base} {{")?;
        let mark_local = if release.direct_dnat() {
            format!("fib saddr type local {mark} comment \"masquerade local traffic\"")
        } else {
            "fib saddr type local jump mark-for-masquerade comment \"masquerade local traffic\""
                .to_string()
        };
        if svc.local_policy {
            writeln!(
                out,
                "\t\tip saddr {POD_CIDR} goto service-{base} comment \"short-circuit pod traffic\""
            )?;
            writeln!(out, "\t\t{mark_local}")?;
            writeln!(out, "\t\tfib saddr type local goto service-{base} comment \"short-circuit local traffic\"")?;
            if uses_local_chain {
                writeln!(out, "\t\tgoto local-{base}")?;
            }
        } else {
            writeln!(out, "\t\t{mark}\n\t\tgoto service-{base}")?;
        }
        writeln!(out, "\t}}")?;
    }
    Ok(())
}

/// Affinity short-cuts, then `numgen random mod N vmap { … }` over the given endpoints (or, since
/// 1.36 without affinity, `dnat ip to numgen random mod N map { i : ADDR . PORT }`; since 1.37 one
/// endpoint with no map).
fn balancing(
    out: &mut impl Write,
    svc: &Service,
    endpoint_bases: &[String],
    endpoints: &[usize],
    release: Release,
) -> io::Result<()> {
    if release.direct_dnat() && svc.affinity_seconds.is_none() {
        let p = svc.protocol.lower();
        if endpoints.len() == 1 && release >= Release::V1_37 {
            let e = &svc.endpoints[endpoints[0]];
            return writeln!(out, "\t\tmeta l4proto {p} dnat ip to {}", e.address());
        }
        write!(
            out,
            "\t\tmeta l4proto {p} dnat ip to numgen random mod {} map {{ ",
            endpoints.len()
        )?;
        for (i, &k) in endpoints.iter().enumerate() {
            if i > 0 {
                write!(out, ", ")?;
            }
            let e = &svc.endpoints[k];
            write!(out, "{i} : {} . {}", e.ip, e.port)?;
        }
        return writeln!(out, " }}");
    }
    if svc.affinity_seconds.is_some() {
        for &k in endpoints {
            let eb = &endpoint_bases[k];
            writeln!(out, "\t\tip saddr @affinity-{eb} goto endpoint-{eb}")?;
        }
    }
    write!(out, "\t\tnumgen random mod {} vmap {{ ", endpoints.len())?;
    for (i, &k) in endpoints.iter().enumerate() {
        if i > 0 {
            write!(out, ", ")?;
        }
        write!(out, "{i} : goto endpoint-{}", endpoint_bases[k])?;
    }
    writeln!(out, " }}")
}

/// nft's way of printing a timeout: `3h`, `1h30m`, `45s`.
fn nft_duration(seconds: u32) -> String {
    let (d, h, m, s) = (
        seconds / 86400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let mut text = String::new();
    for (value, unit) in [(d, "d"), (h, "h"), (m, "m"), (s, "s")] {
        if value > 0 {
            text.push_str(&format!("{value}{unit}"));
        }
    }
    if text.is_empty() {
        text.push_str("0s");
    }
    text
}
