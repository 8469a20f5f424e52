//! A kube-proxy node in IPVS mode: `ipvsadm -Ln` followed by `ipset list`, in the formats ipvsadm and
//! ipset print (widths and trailing spaces included).
//!
//! One difference from a real node at large sizes: kube-proxy creates its sets with `maxelem 65536`,
//! so a real node with more members than that fails to sync; the generator raises `maxelem` to fit.

use std::io::{self, Write};

use crate::model::{Cluster, Protocol, Rng, Service};

/// Writes `ipvsadm -Ln` then, after a blank line, `ipset list`.
pub fn write(cluster: &Cluster, out: &mut impl Write) -> io::Result<()> {
    write_ipvsadm(cluster, out)?;
    writeln!(out)?;
    write_ipset(cluster, out)
}

/// `ipvsadm -Ln`: a virtual service per ClusterIP and per NodePort on the node address, each with its
/// real servers (only the node's own endpoints behind a NodePort with `externalTrafficPolicy: Local`).
pub fn write_ipvsadm(cluster: &Cluster, out: &mut impl Write) -> io::Result<()> {
    let mut rng = Rng::new(cluster.seed ^ 0x1975);
    out.write_all(
        concat!(
            "IP Virtual Server version 1.2.1 (size=4096)\n",
            "Prot LocalAddress:Port Scheduler Flags\n",
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
        )
        .as_bytes(),
    )?;
    for svc in &cluster.services {
        virtual_service(out, svc, &svc.cluster_ip.to_string(), svc.port)?;
        let load = Load::draw(&mut rng);
        for e in &svc.endpoints {
            real_server(out, &e.address(), load, &mut rng)?;
        }
        if let Some(node_port) = svc.node_port {
            virtual_service(out, svc, &cluster.node_ip.to_string(), node_port)?;
            let load = Load::draw(&mut rng);
            for e in svc
                .endpoints
                .iter()
                .filter(|e| e.local || !svc.local_policy)
            {
                real_server(out, &e.address(), load, &mut rng)?;
            }
        }
    }
    Ok(())
}

/// A virtual service's typical connection counts per real server: round robin spreads connections
/// evenly, so each server gets about the same, give or take a few.
#[derive(Debug, Clone, Copy)]
struct Load {
    active: usize,
    inactive: usize,
}

impl Load {
    fn draw(rng: &mut Rng) -> Load {
        if rng.chance(0.6) {
            return Load {
                active: 0,
                inactive: 0,
            };
        }
        Load {
            active: rng.below(40),
            inactive: rng.below(200),
        }
    }
}

/// `%-4s %s` protocol and address (cut at 33 characters), then the scheduler and flags.
fn virtual_service(out: &mut impl Write, svc: &Service, ip: &str, port: u16) -> io::Result<()> {
    let mut name = format!("{:<4} {ip}:{port}", svc.protocol.upper());
    name.truncate(33);
    match svc.affinity_seconds {
        Some(seconds) => writeln!(out, "{name} rr persistent {seconds}"),
        None => writeln!(out, "{name} rr"),
    }
}

/// `  -> %-28s %-7s %-6d %-10u %-10u`: address, forwarding method, weight, connection counts.
fn real_server(out: &mut impl Write, address: &str, load: Load, rng: &mut Rng) -> io::Result<()> {
    let jitter = |typical: usize, rng: &mut Rng| {
        if typical == 0 {
            0
        } else {
            typical + rng.below(3)
        }
    };
    let active = jitter(load.active, rng);
    let inactive = jitter(load.inactive, rng);
    let mut address = address.to_string();
    address.truncate(28);
    writeln!(
        out,
        "  -> {address:<28} {:<7} {:<6} {active:<10} {inactive:<10}",
        "Masq", 1
    )
}

/// How `ipset list` shows one set.
enum SetType {
    /// `hash:ip,port,ip` (KUBE-LOOP-BACK).
    IpPortIp,
    IpPort,
    IpPortNet,
    BitmapPort,
}

impl SetType {
    fn name(&self) -> &'static str {
        match self {
            SetType::IpPortIp => "hash:ip,port,ip",
            SetType::IpPort => "hash:ip,port",
            SetType::IpPortNet => "hash:ip,port,net",
            SetType::BitmapPort => "bitmap:port",
        }
    }

    fn revision(&self) -> u32 {
        match self {
            SetType::IpPortIp | SetType::IpPort => 5,
            SetType::IpPortNet => 7,
            SetType::BitmapPort => 3,
        }
    }

    /// An estimate of the kernel's `Size in memory` for this many members, fitted to a real listing.
    fn size_in_memory(&self, members: usize) -> usize {
        match self {
            SetType::IpPortIp => 96 + 80 * members,
            SetType::IpPort => 88 + 64 * members,
            SetType::IpPortNet => 352 + 80 * members,
            SetType::BitmapPort => 8268,
        }
    }
}

/// `ipset list` of kube-proxy's sets, in the order a kube-proxy node lists them.
pub fn write_ipset(cluster: &Cluster, out: &mut impl Write) -> io::Result<()> {
    let services = &cluster.services;
    // kube-proxy puts only the node's own endpoints in KUBE-LOOP-BACK (for hairpin masquerade). A hash
    // set holds each member once: a pod behind several Services on the same port appears once.
    let mut seen = std::collections::HashSet::new();
    let loop_back: Vec<String> = services
        .iter()
        .flat_map(|s| {
            s.local_endpoints()
                .map(move |e| format!("{ip},{}:{},{ip}", s.protocol.lower(), e.port, ip = e.ip))
        })
        .filter(|member| seen.insert(member.clone()))
        .collect();
    let cluster_ips: Vec<String> = services
        .iter()
        .map(|s| format!("{},{}:{}", s.cluster_ip, s.protocol.lower(), s.port))
        .collect();
    // A bitmap lists its members in ascending order.
    let ascending = |mut ports: Vec<u16>| -> Vec<String> {
        ports.sort_unstable();
        ports.iter().map(u16::to_string).collect()
    };
    let node_ports = |protocol: Protocol, local_only: bool| -> Vec<String> {
        ascending(
            services
                .iter()
                .filter(|s| s.protocol == protocol && (!local_only || s.local_policy))
                .filter_map(|s| s.node_port)
                .collect(),
        )
    };
    let health_checks = ascending(
        services
            .iter()
            .filter_map(|s| s.health_check_node_port)
            .collect(),
    );
    let none: Vec<String> = Vec::new();
    let sets: [(&str, SetType, u32, &Vec<String>); 16] = [
        ("KUBE-LOOP-BACK", SetType::IpPortIp, 1, &loop_back),
        ("KUBE-LOAD-BALANCER-SOURCE-IP", SetType::IpPortIp, 0, &none),
        (
            "KUBE-NODE-PORT-LOCAL-TCP",
            SetType::BitmapPort,
            1,
            &node_ports(Protocol::Tcp, true),
        ),
        (
            "KUBE-NODE-PORT-LOCAL-UDP",
            SetType::BitmapPort,
            1,
            &node_ports(Protocol::Udp, true),
        ),
        ("KUBE-NODE-PORT-SCTP", SetType::BitmapPort, 0, &none),
        ("KUBE-LOAD-BALANCER", SetType::IpPort, 0, &none),
        ("KUBE-LOAD-BALANCER-LOCAL", SetType::IpPort, 0, &none),
        (
            "KUBE-LOAD-BALANCER-SOURCE-CIDR",
            SetType::IpPortNet,
            0,
            &none,
        ),
        (
            "KUBE-NODE-PORT-TCP",
            SetType::BitmapPort,
            1,
            &node_ports(Protocol::Tcp, false),
        ),
        (
            "KUBE-NODE-PORT-UDP",
            SetType::BitmapPort,
            1,
            &node_ports(Protocol::Udp, false),
        ),
        ("KUBE-CLUSTER-IP", SetType::IpPort, 2, &cluster_ips),
        ("KUBE-EXTERNAL-IP", SetType::IpPort, 0, &none),
        ("KUBE-EXTERNAL-IP-LOCAL", SetType::IpPort, 0, &none),
        ("KUBE-LOAD-BALANCER-FW", SetType::IpPort, 0, &none),
        ("KUBE-NODE-PORT-LOCAL-SCTP", SetType::BitmapPort, 0, &none),
        (
            "KUBE-HEALTH-CHECK-NODE-PORT",
            SetType::BitmapPort,
            1,
            &health_checks,
        ),
    ];
    for (i, (name, kind, references, members)) in sets.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "Name: {name}")?;
        writeln!(out, "Type: {}", kind.name())?;
        writeln!(out, "Revision: {}", kind.revision())?;
        match kind {
            SetType::BitmapPort => writeln!(out, "Header: range 0-65535")?,
            _ => {
                let mut hashsize = 1024usize;
                while hashsize * 4 < members.len() {
                    hashsize *= 2;
                }
                let maxelem = members.len().next_power_of_two().max(65536);
                writeln!(
                    out,
                    "Header: family inet hashsize {hashsize} maxelem {maxelem}"
                )?;
            }
        }
        writeln!(
            out,
            "Size in memory: {}",
            kind.size_in_memory(members.len())
        )?;
        let references = if members.is_empty() && *references == 1 {
            0
        } else {
            *references
        };
        writeln!(out, "References: {references}")?;
        writeln!(out, "Number of entries: {}", members.len())?;
        writeln!(out, "Members:")?;
        for member in members.iter() {
            writeln!(out, "{member}")?;
        }
    }
    Ok(())
}
