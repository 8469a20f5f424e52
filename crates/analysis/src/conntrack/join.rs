//! The join of the conntrack table with the node's Services, for every proxy mode (the Services come
//! from the mode's model): an entry whose original destination is a Service entry — ClusterIP, external
//! IP, load-balancer IP, or a NodePort on a node address — belongs to that Service port, and its reply
//! source is the endpoint it was DNAT'd to. Counted per Service port by endpoint and state; the entries
//! whose target is not a current endpoint go to [`super::stale`].
//!
//! `conntrack -L` is read when the paste has it; otherwise `ipvsadm -Lnc`, whose connections name the
//! virtual service and the real server directly.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use svcpath_syntax::conntrack::{EntryRef, Listing};
use svcpath_syntax::ipvs;

use super::stale::{self, Candidate};
use crate::report::{ConntrackService, ConntrackTable, NodeFacts, Service, StaleEntry};

/// Stale entries listed one by one; the rest are counted per Service.
pub const MAX_STALE_LISTED: usize = 1_000;

/// Where the index finds a Service port: its address, port and protocol.
type Key = (IpAddr, u16, &'static str);

/// The Service entries of the node, by address.
pub(super) struct ServiceIndex<'a> {
    pub(super) services: &'a [Service],
    by_address: HashMap<Key, usize>,
    /// NodePort → Service, reached on any node address.
    by_node_port: HashMap<(u16, &'static str), usize>,
    node_ips: Vec<IpAddr>,
}

/// An address of a Service field (`10.96.0.10`, `10.96.0.10/32`).
pub(super) fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim()
        .trim_end_matches("/32")
        .trim_end_matches("/128")
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

fn protocol_word(service: &Service) -> &'static str {
    service.protocol.map_or("tcp", |p| p.name())
}

impl<'a> ServiceIndex<'a> {
    pub(super) fn new(services: &'a [Service], node: &NodeFacts) -> ServiceIndex<'a> {
        let mut by_address = HashMap::new();
        let mut by_node_port = HashMap::new();
        for (at, s) in services.iter().enumerate() {
            let proto = protocol_word(s);
            if let Some(port) = s.port {
                for ip in s
                    .cluster_ip
                    .iter()
                    .chain(&s.external_ips)
                    .chain(&s.load_balancer_ips)
                    .filter_map(|t| parse_ip(t))
                {
                    by_address.entry((ip, port, proto)).or_insert(at);
                }
            }
            if let Some(port) = s.node_port {
                by_node_port.entry((port, proto)).or_insert(at);
            }
        }
        let node_ips = node
            .node_ips
            .iter()
            .chain(&node.addresses)
            .filter_map(|f| parse_ip(f.value.split('/').next().unwrap_or("")))
            .collect();
        ServiceIndex {
            services,
            by_address,
            by_node_port,
            node_ips,
        }
    }

    /// The Service port an original destination belongs to, and whether it was reached as a NodePort.
    pub(super) fn find(&self, dst: IpAddr, port: u16, proto: &str) -> Option<(usize, bool)> {
        let proto = match proto {
            "tcp" => "tcp",
            "udp" => "udp",
            "sctp" => "sctp",
            _ => return None,
        };
        if let Some(at) = self.by_address.get(&(dst, port, proto)) {
            return Some((*at, false));
        }
        if self.node_ips.contains(&dst) {
            return self.by_node_port.get(&(port, proto)).map(|at| (*at, true));
        }
        None
    }
}

/// `ip:port`, with brackets for IPv6.
pub(super) fn host_port(ip: IpAddr, port: Option<u16>) -> String {
    match (ip, port) {
        (IpAddr::V6(v6), Some(p)) => format!("[{v6}]:{p}"),
        (ip, Some(p)) => format!("{ip}:{p}"),
        (ip, None) => ip.to_string(),
    }
}

/// The state an entry is counted under.
pub(super) fn state_of(e: &EntryRef<'_>) -> String {
    match e.state() {
        Some(s) => s.to_string(),
        None if e.has_flag("UNREPLIED") => "UNREPLIED".to_string(),
        None if e.has_flag("ASSURED") => "ASSURED".to_string(),
        None => "REPLIED".to_string(),
    }
}

/// What the join gives the report.
#[derive(Debug, Default)]
pub(crate) struct Joined {
    pub(crate) table: Option<ConntrackTable>,
    pub(crate) services: Vec<ConntrackService>,
    pub(crate) stale: Vec<StaleEntry>,
}

/// Per-Service tallies while the entries stream by.
#[derive(Default)]
struct Tally {
    entries: u64,
    by_endpoint: BTreeMap<String, u64>,
    by_state: BTreeMap<String, u64>,
    stale: u64,
    never_dnat: u64,
    unreplied: u64,
    node_port_entries: u64,
}

/// Joins the listings (or, without them, the IPVS connections) with the Services.
pub(crate) fn join(
    listings: &[Listing],
    ipvs: &[ipvs::Listing],
    services: &[Service],
    node: &NodeFacts,
) -> Joined {
    let index = ServiceIndex::new(services, node);
    let mut tallies: HashMap<usize, Tally> = HashMap::new();
    let mut stale_list = Vec::new();
    let has_entries = listings.iter().any(|l| !l.entries.is_empty());
    let mut table = ConntrackTable {
        source: if has_entries {
            "conntrack -L".to_string()
        } else {
            "ipvsadm -Lnc".to_string()
        },
        ..ConntrackTable::default()
    };
    let mut add = |at: usize,
                   via_node_port: bool,
                   c: Candidate,
                   state: String,
                   unreplied: bool,
                   table: &mut ConntrackTable| {
        table.to_services += 1;
        let t = tallies.entry(at).or_default();
        t.entries += 1;
        *t.by_endpoint
            .entry(host_port(c.target.0, c.target.1))
            .or_default() += 1;
        *t.by_state.entry(state).or_default() += 1;
        if unreplied {
            t.unreplied += 1;
        }
        if via_node_port {
            t.node_port_entries += 1;
        }
        if let Some(kind) = stale::judge(&services[at], &c) {
            t.stale += 1;
            if kind == crate::report::StaleKind::NeverDnat {
                t.never_dnat += 1;
            }
            if stale_list.len() < MAX_STALE_LISTED {
                stale_list.push(stale::entry(&services[at], &c, kind));
            }
        }
    };
    if has_entries {
        for e in listings.iter().flat_map(Listing::iter) {
            table.entries += 1;
            *table
                .by_protocol
                .entry(e.protocol().to_string())
                .or_default() += 1;
            let state = state_of(&e);
            *table.by_state.entry(state.clone()).or_default() += 1;
            let unreplied = e.has_flag("UNREPLIED");
            if unreplied && e.protocol() == "udp" {
                table.unreplied_udp += 1;
            }
            let o = e.original();
            let Some(dport) = o.dport else { continue };
            let Some((at, via_node_port)) = index.find(o.dst, dport, e.protocol()) else {
                continue;
            };
            // Without a reply tuple (`conntrack -E` lines) the target is not known.
            let Some(r) = e.reply() else { continue };
            let candidate = Candidate {
                protocol: e.protocol(),
                client: (o.src, o.sport),
                destination: (o.dst, dport),
                target: (r.src, r.sport),
                line: e.line(),
                timeout: e.entry.timeout.map(u64::from),
                unreplied,
            };
            add(at, via_node_port, candidate, state, unreplied, &mut table);
        }
    } else {
        for c in ipvs.iter().flat_map(|l| l.connections.iter()) {
            let (Some(client), Some(vip), Some(dest)) = (
                ipvs_address(&c.client),
                ipvs_address(&c.virtual_address),
                ipvs_address(&c.destination),
            ) else {
                continue;
            };
            let protocol = match c.protocol.to_ascii_lowercase().as_str() {
                "tcp" => "tcp",
                "udp" => "udp",
                "sctp" => "sctp",
                _ => continue,
            };
            table.entries += 1;
            *table.by_protocol.entry(protocol.to_string()).or_default() += 1;
            *table.by_state.entry(c.state.clone()).or_default() += 1;
            let Some(vport) = vip.1 else { continue };
            let Some((at, via_node_port)) = index.find(vip.0, vport, protocol) else {
                continue;
            };
            let candidate = Candidate {
                protocol,
                client,
                destination: (vip.0, vport),
                target: dest,
                line: c.line,
                timeout: c.expire_seconds.map(u64::from),
                unreplied: false,
            };
            add(
                at,
                via_node_port,
                candidate,
                c.state.clone(),
                false,
                &mut table,
            );
        }
    }
    if table.entries == 0 {
        return Joined::default();
    }
    let mut out: Vec<ConntrackService> = tallies
        .into_iter()
        .map(|(at, t)| {
            let s = &services[at];
            let unknown = s.endpoints_unknown.as_ref().map(|u| u.reason.clone());
            ConntrackService {
                service: s.id.clone(),
                protocol: protocol_word(s).to_string(),
                entries: t.entries,
                by_endpoint: t.by_endpoint,
                by_state: t.by_state,
                stale: unknown.is_none().then_some(t.stale),
                never_dnat: t.never_dnat,
                unreplied: t.unreplied,
                endpoints_unknown: unknown,
                node_port_entries: t.node_port_entries,
                no_endpoints: s.no_endpoints
                    || (s.endpoints.is_empty() && s.endpoints_unknown.is_none()),
            }
        })
        .collect();
    svcpath_syntax::stable_sort::sort_by(&mut out, |a, b| {
        b.entries.cmp(&a.entries).then(a.service.cmp(&b.service))
    });
    svcpath_syntax::stable_sort::sort_by_key(&mut stale_list, |s: &StaleEntry| s.line);
    Joined {
        table: Some(table),
        services: out,
        stale: stale_list,
    }
}

fn ipvs_address(a: &ipvs::Address) -> Option<(IpAddr, Option<u16>)> {
    let ip = parse_ip(a.ip.as_deref()?)?;
    Some((ip, a.port))
}
