//! `nft list table ip kube-proxy` of a kube-proxy node in nftables mode, as nft prints it: tab
//! indentation, one block per chain, set and map, set elements two addresses a line and map elements
//! one a line (nft's own wrapping), kube-proxy's base chains and verdict maps, then each Service port's
//! chains.

use std::io::{self, Write};

use crate::model::{Cluster, Service, POD_CIDR, SERVICE_CIDR};

/// Writes the table.
pub fn write(cluster: &Cluster, out: &mut impl Write) -> io::Result<()> {
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
            "\t\tip daddr . meta l4proto . th dport vmap @service-ips\n",
            "\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports\n",
            "\t}\n",
        )
        .as_bytes(),
    )?;

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
            .filter(|(s, _)| !s.endpoints.is_empty())
            .map(|(s, b)| {
                format!(
                    "{} . {} . {} : goto service-{b}",
                    s.cluster_ip,
                    s.protocol.lower(),
                    s.port
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
    writeln!(out, "\t}}")?;

    write!(
        out,
        "{}",
        BASE_CHAINS.replace("{SERVICE_CIDR}", SERVICE_CIDR)
    )?;

    for (svc, base) in services.iter().zip(&bases) {
        if svc.endpoints.is_empty() {
            continue;
        }
        service_chains(out, svc, base)?;
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

/// A Service port's affinity sets, endpoint chains, service chain, local chain and external chain.
fn service_chains(out: &mut impl Write, svc: &Service, base: &str) -> io::Result<()> {
    let p = svc.protocol.lower();
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
    for (e, eb) in svc.endpoints.iter().zip(&endpoint_bases) {
        write!(
            out,
            "\n\tchain endpoint-{eb} {{\n\t\tip saddr {} jump mark-for-masquerade\n",
            e.ip
        )?;
        if svc.affinity_seconds.is_some() {
            writeln!(out, "\t\tupdate @affinity-{eb} {{ ip saddr }}")?;
        }
        writeln!(out, "\t\tmeta l4proto {p} dnat to {}\n\t}}", e.address())?;
    }

    write!(
        out,
        "\n\tchain service-{base} {{\n\t\tip daddr {} {p} dport {} ip saddr != {POD_CIDR} jump mark-for-masquerade\n",
        svc.cluster_ip, svc.port
    )?;
    let all: Vec<usize> = (0..svc.endpoints.len()).collect();
    balancing(out, svc, &endpoint_bases, &all)?;
    writeln!(out, "\t}}")?;

    let local: Vec<usize> = (0..svc.endpoints.len())
        .filter(|&k| svc.endpoints[k].local)
        .collect();
    let uses_local_chain = svc.local_policy && svc.node_port.is_some() && !local.is_empty();
    if uses_local_chain {
        writeln!(out, "\n\tchain local-{base} {{")?;
        balancing(out, svc, &endpoint_bases, &local)?;
        writeln!(out, "\t}}")?;
    }
    if svc.node_port.is_some() {
        writeln!(out, "\n\tchain external-{base} {{")?;
        if svc.local_policy {
            writeln!(
                out,
                "\t\tip saddr {POD_CIDR} goto service-{base} comment \"short-circuit pod traffic\""
            )?;
            writeln!(out, "\t\tfib saddr type local jump mark-for-masquerade comment \"masquerade local traffic\"")?;
            writeln!(out, "\t\tfib saddr type local goto service-{base} comment \"short-circuit local traffic\"")?;
            if uses_local_chain {
                writeln!(out, "\t\tgoto local-{base}")?;
            }
        } else {
            writeln!(out, "\t\tjump mark-for-masquerade\n\t\tgoto service-{base}")?;
        }
        writeln!(out, "\t}}")?;
    }
    Ok(())
}

/// Affinity short-cuts, then `numgen random mod N vmap { … }` over the given endpoints.
fn balancing(
    out: &mut impl Write,
    svc: &Service,
    endpoint_bases: &[String],
    endpoints: &[usize],
) -> io::Result<()> {
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
