//! The migration section of the report: what moving this node to nftables mode would change.

use serde::{Deserialize, Serialize};

use super::{Mode, Severity};

/// What moving this node to nftables mode would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Migration {
    /// The mode the node runs in now (`iptables` or `ipvs`).
    pub from: Mode,
    /// The assessment in one sentence.
    pub summary: String,
    /// Rules (iptables) a new Service connection passes now, on average, when the dump shows it.
    pub rules_per_packet_now: Option<f64>,
    /// The same packet's rules and map lookups in nftables mode.
    pub rules_per_packet_nftables: Option<f64>,
    /// What kube-proxy's nftables table would hold for the Services of this paste.
    pub objects: NftObjects,
    /// Blockers and behaviour changes, most serious first.
    pub items: Vec<MigrationItem>,
    /// Release facts that change the explanation (deprecations, defaults).
    pub notes: Vec<String>,
}

/// One blocker or behaviour change, with the lines that show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationItem {
    /// Stable identifier, e.g. `localhost-nodeports`.
    pub code: String,
    /// `critical`: breaks something that works now; `warning`: behaves differently; `info`: worth knowing.
    pub severity: Severity,
    pub title: String,
    /// What nftables mode does differently here, in plain words.
    pub message: String,
    /// What to do before (or instead of) switching.
    pub action: String,
    pub lines: Vec<u32>,
}

/// Counts of what the nftables table would hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NftObjects {
    /// Service ports counted.
    pub service_ports: usize,
    /// All chains, base chains included, as 1.33–1.35 write them.
    pub chains: usize,
    /// All chains as 1.36 and later write them (endpoint chains only under session affinity).
    pub chains_from_1_36: usize,
    pub service_chains: usize,
    pub endpoint_chains: usize,
    /// Named sets (the two fixed ones and the affinity sets).
    pub sets: usize,
    pub maps: usize,
    /// Elements of the dispatch maps and sets.
    pub elements: usize,
    /// Service ports whose endpoints are unknown in the paste (counted with the endpoints that were read).
    pub unknown_endpoints: usize,
}
