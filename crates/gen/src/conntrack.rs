//! A `conntrack -L` listing for a generated cluster, of any size (a million entries for the scale
//! test): entries to the Services (the first Services busiest), DNAT'd to their endpoints, with TCP
//! states and UDP `[UNREPLIED]` entries, some stale (DNAT'd to a pod that is no longer an endpoint),
//! and unrelated node traffic; the closing `N flow entries have been shown` line. The same cluster,
//! count and seed always give the same bytes.

use std::io::{self, Write};
use std::net::Ipv4Addr;

use crate::model::{Cluster, Protocol};

/// Every this many Service entries, one is stale.
pub const STALE_EVERY: usize = 97;
/// Every this many entries, one is node traffic to no Service.
const OTHER_EVERY: usize = 11;
/// The address stale entries were DNAT'd to: a pod that is gone (outside every endpoint's node).
pub const DEAD_POD: Ipv4Addr = Ipv4Addr::new(172, 31, 255, 9);

const TCP_STATES: [(&str, u32); 4] = [
    ("ESTABLISHED", 431_999),
    ("TIME_WAIT", 117),
    ("CLOSE_WAIT", 3_599),
    ("SYN_SENT", 119),
];

/// A small deterministic generator (SplitMix64).
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Writes `entries` entries of `cluster`'s node.
pub fn write(cluster: &Cluster, entries: usize, out: &mut impl Write) -> io::Result<()> {
    let with_endpoints: Vec<_> = cluster
        .services
        .iter()
        .filter(|s| !s.endpoints.is_empty())
        .collect();
    let mut draw = Draw(cluster.seed ^ 0xC0FF_EE00);
    let mut service_entries = 0usize;
    for i in 0..entries {
        let client = Ipv4Addr::from(u32::from_be_bytes([172, 16, 0, 2]) + (i as u32 % 250));
        let sport = 32_768 + (i % 28_000) as u16;
        if with_endpoints.is_empty() || i.is_multiple_of(OTHER_EVERY) {
            writeln!(
                out,
                "tcp      6 431999 ESTABLISHED src={} dst=10.0.0.1 sport={sport} dport=443 src=10.0.0.1 dst={} sport=443 dport={sport} [ASSURED] mark=0 use=1",
                cluster.node_ip, cluster.node_ip
            )?;
            continue;
        }
        // Busy Services first: the square of a uniform draw favours low indexes.
        let r = (draw.next() % 1_000_000) as f64 / 1_000_000.0;
        let service = with_endpoints[((r * r) * with_endpoints.len() as f64) as usize];
        let endpoint = &service.endpoints[(draw.next() as usize) % service.endpoints.len()];
        service_entries += 1;
        let target = if service_entries.is_multiple_of(STALE_EVERY) {
            DEAD_POD
        } else {
            endpoint.ip
        };
        match service.protocol {
            Protocol::Udp => {
                let unreplied = draw.next().is_multiple_of(5);
                let flag = if unreplied { " [UNREPLIED]" } else { "" };
                writeln!(
                    out,
                    "udp      17 {} src={client} dst={} sport={sport} dport={}{flag} src={target} dst={client} sport={} dport={sport} mark=0 use=1",
                    1 + draw.next() % 120,
                    service.cluster_ip,
                    service.port,
                    endpoint.port
                )?;
            }
            Protocol::Tcp => {
                let (state, timeout) = TCP_STATES[(draw.next() % 4) as usize];
                let flag = if state == "SYN_SENT" {
                    " [UNREPLIED]"
                } else {
                    " [ASSURED]"
                };
                let (first, second) = if state == "SYN_SENT" {
                    (flag, "")
                } else {
                    ("", flag)
                };
                writeln!(
                    out,
                    "tcp      6 {} {state} src={client} dst={} sport={sport} dport={}{first} src={target} dst={client} sport={} dport={sport}{second} mark=0 use=1",
                    1 + draw.next() % u64::from(timeout),
                    service.cluster_ip,
                    service.port,
                    endpoint.port
                )?;
            }
        }
    }
    writeln!(
        out,
        "conntrack v1.4.7 (conntrack-tools): {entries} flow entries have been shown."
    )
}
