//! The entry an existing flow is pinned to: for a packet of a client to a destination that a listed
//! `conntrack -L` entry already tracks, the kernel applies that entry's NAT mapping and the nat chains
//! are not consulted — the packet goes where the entry's reply comes from, whatever the rules say now.

use std::net::IpAddr;

use svcpath_syntax::conntrack::Listing;

use super::join::{host_port, ServiceIndex};
use super::stale::is_endpoint;
use crate::report::{NodeFacts, Service};
use crate::trace::EstablishedFlow;

/// A flow to look up: the client (with its port when known) and the destination.
#[derive(Debug, Clone, Copy)]
pub struct FlowQuery<'a> {
    pub client: IpAddr,
    pub client_port: Option<u16>,
    pub destination: IpAddr,
    pub port: u16,
    pub protocol: &'a str,
}

/// The listed entry of that flow (the one with the most time left when several source ports match),
/// or `None` when no listed entry matches.
pub fn established(
    listings: &[Listing],
    services: &[Service],
    node: &NodeFacts,
    q: &FlowQuery<'_>,
) -> Option<EstablishedFlow> {
    let mut matches = listings.iter().flat_map(Listing::iter).filter(|e| {
        let o = e.original();
        e.protocol() == q.protocol
            && o.src == q.client
            && o.dst == q.destination
            && o.dport == Some(q.port)
            && q.client_port.is_none_or(|p| o.sport == Some(p))
            && e.reply().is_some()
            && e.event().is_none_or(|ev| ev != "DESTROY")
    });
    let first = matches.next()?;
    let mut best = first;
    let mut others = 0u64;
    for e in matches {
        others += 1;
        if e.entry.timeout > best.entry.timeout {
            best = e;
        }
    }
    let o = best.original();
    let r = best.reply()?;
    let index = ServiceIndex::new(services, node);
    let service = index
        .find(q.destination, q.port, q.protocol)
        .map(|(at, _)| &index.services[at]);
    let dnat = best.is_dnat();
    let stale = service.and_then(|s| {
        if !dnat {
            return Some(true);
        }
        s.endpoints_unknown
            .is_none()
            .then(|| !is_endpoint(s, (r.src, r.sport)))
    });
    Some(EstablishedFlow {
        line: best.line(),
        protocol: best.protocol().to_string(),
        client: host_port(o.src, o.sport),
        destination: host_port(o.dst, o.dport),
        endpoint: host_port(r.src, r.sport),
        dnat,
        state: best.state().map(str::to_string),
        timeout: best.entry.timeout.map(u64::from),
        service: service.map(|s| s.id.clone()),
        stale,
        other_entries: others,
        snat: best.is_snat(),
    })
}
