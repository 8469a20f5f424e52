//! The part of the conntrack verdict that knows kube-proxy: the `nf_conntrack_max` its formula gives for
//! this node next to the value the node has, and the conntrack timeouts it sets next to the node's.

use serde::{Deserialize, Serialize};

/// Whether the node's value is the one kube-proxy sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agreement {
    /// The node has the value kube-proxy's settings give.
    Matches,
    /// The node has another value: kube-proxy did not set it (or something changed it since).
    NotSetByKubeProxy,
    /// kube-proxy's settings leave this value alone (`maxPerCore: 0`, a timeout of `0s`).
    LeftAlone,
    /// The paste lacks the node's value, the CPU count or kube-proxy's settings.
    Unknown,
}

/// kube-proxy's `nf_conntrack_max` for this node (`max(maxPerCore × CPUs, min)`, capped at 1,048,576
/// before the floor since 1.36), with what it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedMax {
    /// The value kube-proxy sets; `null` when it leaves the limit alone or a number is missing.
    pub value: Option<u64>,
    /// The computation with its numbers, e.g. `max(32,768 × 8 CPUs, 131,072) = 262,144`.
    pub formula: String,
    /// Which kube-proxy releases this applies to and why: the version the paste shows, or both
    /// answers when the version is unknown and the cap matters.
    pub version_basis: String,
    /// The value without the cap (kube-proxy 1.35 and older) and with it (1.36 and newer), when they differ.
    pub uncapped: Option<u64>,
    pub capped: Option<u64>,
    pub max_per_core: u64,
    pub min: u64,
    /// Where `max_per_core` and `min` come from: kube-proxy's defaults or a pasted setting with its line.
    pub settings_source: String,
    pub cpus: Option<u32>,
    pub cpus_source: Option<String>,
    /// The node's `nf_conntrack_max` and its line.
    pub observed: Option<u64>,
    pub observed_line: Option<u32>,
    pub agreement: Agreement,
    /// The hash size kube-proxy raises the module's `hashsize` to when it is smaller (max / 4).
    pub expected_buckets: Option<u64>,
    /// The verdict in one sentence.
    pub summary: String,
}

/// One conntrack setting kube-proxy may set at start, against the node's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeProxyTimeout {
    /// The sysctl without `net.netfilter.`, e.g. `nf_conntrack_tcp_timeout_established`.
    pub key: String,
    /// What kube-proxy sets (seconds, or 1 for `tcp_be_liberal`); `null` when it leaves it alone.
    pub kube_proxy: Option<u64>,
    /// Where that comes from: kube-proxy's default or a pasted setting with its line.
    pub source: String,
    pub node: Option<u64>,
    pub node_line: Option<u32>,
    pub agreement: Agreement,
}
