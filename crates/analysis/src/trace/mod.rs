//! The packet tracer: follows one new connection through the node's iptables rules and nftables base
//! chains — every table and chain in kernel order, kube-proxy's and anyone else's — and says where it
//! ends up, with which odds, whether it is masqueraded, and the rules it went through.
//!
//! The walk is generic: it evaluates matches and targets as the kernel does rather than recognising
//! kube-proxy's chain shapes. What the dump cannot tell (an ipset's members, which interface a name
//! stands for, a process's owner) is assumed, shown in the steps, and the outcome marked `uncertain`.
//!
//! The layout: [`Tracer`] (`tracer.rs`) is built once from a snapshot and traces any number of
//! packets; `paths.rs` picks the packets that matter for a Service. `engine.rs` moves a branch hook by
//! hook along the schedule in `hooks.rs` and walks each base chain with one driver loop; the walkers
//! are `iptables/` (the rules view, the matches, the targets) and `nft/` (tables, values and sets, NAT,
//! the chain walk). `state.rs` holds a branch, the context matches read and the limits; `matching.rs`
//! what iptables and nft matches share; `links.rs` the node's links; `addr.rs` addresses and ports;
//! `model.rs` the public, serialisable result. Dependencies point one way: nothing a module imports
//! imports it back (a test checks this).

mod addr;
mod engine;
mod hooks;
mod iptables;
mod links;
mod matching;
mod model;
mod nft;
mod paths;
mod state;
mod tracer;

use crate::model as report;
use crate::{Options, Snapshot};

pub use hooks::Hook;
pub use links::{classify, LinkClass};
pub use model::{EstablishedFlow, LinkNames, Origin, Outcome, Packet, Step, Trace, Verdict};
pub use tracer::{NodeContext, TraceFacts, Tracer};

pub fn link_names(snapshot: &Snapshot) -> LinkNames {
    Tracer::with(snapshot.iptables.iter().collect(), NodeContext::default())
        .with_nft(snapshot.nft.iter().collect())
        .link_names()
}

/// Source used for `from: external` packets when none is given.
pub const EXTERNAL_SOURCE: &str = "203.0.113.7";

/// Traces one packet through the snapshot's iptables rules and nft base chains.
///
/// The source, when not given: for a pod, the first address of the pod CIDR + 2 that is not an
/// endpoint; for the node, its first node IP (127.0.0.1 towards a loopback address); for an external
/// client, [`EXTERNAL_SOURCE`]. The choice is stated in `notes` and filled into the returned packet.
pub fn trace(snapshot: &Snapshot, options: &Options, packet: &Packet) -> Trace {
    Tracer::new(snapshot, options).trace(packet)
}

/// The traces that matter for one Service port: its ClusterIP from a pod, from the node and from an
/// endpoint itself (hairpin), with a returning client when it has session affinity; its NodePort,
/// external IPs and load-balancer IPs from outside (and from inside and outside the source ranges).
pub fn service_paths(
    snapshot: &Snapshot,
    options: &Options,
    service: &report::Service,
) -> Vec<(String, Trace)> {
    Tracer::new(snapshot, options).service_paths(service)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod nft_tests;
