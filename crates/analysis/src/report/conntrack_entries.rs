//! The conntrack table entry by entry, as the report carries it: counts by protocol and state, the
//! entries of each Service port by endpoint and state, the stale entries that still point at an address
//! that is no longer an endpoint.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What `conntrack -L` (or `/proc/net/nf_conntrack`) lists, counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConntrackTable {
    /// Entries listed (the whole table only when the listing was not filtered or cut).
    pub entries: u64,
    pub by_protocol: BTreeMap<String, u64>,
    /// TCP (SCTP, DCCP) state; for protocols without one `UNREPLIED`, `ASSURED` or `REPLIED`.
    pub by_state: BTreeMap<String, u64>,
    /// Entries whose original destination is a Service entry (ClusterIP, NodePort on a node address,
    /// external IP, load-balancer IP) of this node's rules.
    pub to_services: u64,
    /// UDP entries that never saw a reply.
    pub unreplied_udp: u64,
    /// Where the entries were read: `conntrack -L` or `ipvsadm -Lnc`.
    pub source: String,
}

/// One Service port's entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConntrackService {
    /// The Service port's id (`namespace/name:port`).
    pub service: String,
    pub protocol: String,
    pub entries: u64,
    /// Entries by the endpoint they were DNAT'd to (`ip:port`, the reply's source).
    pub by_endpoint: BTreeMap<String, u64>,
    pub by_state: BTreeMap<String, u64>,
    /// Entries whose DNAT target is not one of the Service's current endpoints, or that were never
    /// DNAT'd (counted also in `never_dnat`); `null` when the Service's endpoints are unknown.
    pub stale: Option<u64>,
    pub never_dnat: u64,
    pub unreplied: u64,
    /// Why the endpoints (and so staleness) are unknown, when they are.
    pub endpoints_unknown: Option<String>,
    /// kube-proxy programmed this Service port without endpoints.
    pub no_endpoints: bool,
    /// Entries that reached it as a NodePort on a node address.
    pub node_port_entries: u64,
}

/// Why an entry is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StaleKind {
    /// DNAT'd to an address that is not one of the Service's endpoints now.
    EndpointGone,
    /// Never DNAT'd: the reply comes from the Service address itself.
    NeverDnat,
}

/// One entry that keeps a flow on a dead target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleEntry {
    pub service: String,
    pub protocol: String,
    /// The client, `ip:port`.
    pub client: String,
    /// The original destination, `ip:port` (the Service address).
    pub destination: String,
    /// Where the entry sends the flow: the reply's source, `ip:port`.
    pub translated_to: String,
    pub kind: StaleKind,
    pub line: u32,
    /// Seconds until the entry expires, when listed.
    pub timeout: Option<u64>,
    /// What it means, in a sentence.
    pub meaning: String,
    /// The command that deletes the entries of this kind for this destination.
    pub command: String,
}
