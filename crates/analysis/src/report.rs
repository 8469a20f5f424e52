//! The `Report`: everything svcpath found out about one node, as every front end renders it (serde types).

use serde::{Deserialize, Serialize};

/// The proxy mode kube-proxy runs in on this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Iptables,
    Ipvs,
    Nftables,
    #[default]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn parse(text: &str) -> Option<Protocol> {
        match text.to_ascii_lowercase().as_str() {
            "tcp" | "6" => Some(Protocol::Tcp),
            "udp" | "17" => Some(Protocol::Udp),
            "sctp" | "132" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrafficPolicy {
    Cluster,
    Local,
}

/// The whole answer for one paste.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Report {
    pub mode: Mode,
    /// Other proxy modes' rules found beside the active one (a mode switch without cleanup).
    pub leftover_modes: Vec<Mode>,
    pub services: Vec<Service>,
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<DiagnosticEntry>,
    pub sections: Vec<SectionEntry>,
    pub node: NodeFacts,
    pub rules: RuleStats,
    pub conntrack: Option<ConntrackReport>,
    /// What moving this iptables- or IPVS-mode node to nftables mode would change; `null` otherwise.
    #[serde(default)]
    pub migration: Option<crate::migration::Migration>,
}

/// One Service port, in any proxy mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Service {
    /// `namespace/name:port_name`, or `VIP:port/proto` when no input names the Service.
    pub id: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// `""` for an unnamed port.
    pub port_name: String,
    pub protocol: Option<Protocol>,
    pub cluster_ip: Option<String>,
    pub port: Option<u16>,
    pub node_port: Option<u16>,
    pub external_ips: Vec<String>,
    pub load_balancer_ips: Vec<String>,
    /// Sources allowed to reach the load-balancer IPs (`loadBalancerSourceRanges`), when restricted.
    pub load_balancer_source_ranges: Vec<String>,
    pub external_traffic_policy: Option<TrafficPolicy>,
    pub session_affinity_seconds: Option<u32>,
    /// IPVS scheduler (`rr`, `wlc`, …); `null` in the other modes.
    pub scheduler: Option<String>,
    pub endpoints: Vec<Endpoint>,
    /// True when kube-proxy programmed "has no endpoints" rejects (or no endpoint chains at all).
    pub no_endpoints: bool,
    /// Dump lines that define this Service (1-based, in the whole paste).
    pub lines: Vec<u32>,
    /// Set when the rules that pick this Service's endpoints were not understood (or are cut from the
    /// paste): the endpoints listed may be incomplete, and nothing is claimed about the rest.
    #[serde(default)]
    pub endpoints_unknown: Option<Unknown>,
}

/// Why something could not be known from the rules, and the dump lines that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Unknown {
    pub reason: String,
    pub lines: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Endpoint {
    pub ip: String,
    pub port: Option<u16>,
    /// Chance that a new connection from a client without affinity history lands here.
    pub probability: f64,
    /// True/false when the dump shows whether the endpoint runs on this node.
    pub local: Option<bool>,
    /// IPVS weight; `null` in the other modes.
    pub weight: Option<i64>,
    /// IPVS live connection counts, when listed.
    pub active_connections: Option<u64>,
    pub inactive_connections: Option<u64>,
    /// Dump lines for this endpoint.
    pub lines: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// Something worth telling the user, with the lines that prove it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable identifier, e.g. `etp-local-no-local-endpoints`.
    pub code: String,
    pub severity: Severity,
    /// The Service's id, when the finding is about one.
    pub service: Option<String>,
    pub lines: Vec<u32>,
    /// One or two sentences, plain language.
    pub message: String,
}

/// A parser's note about input it did not (fully) understand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticEntry {
    pub line: u32,
    pub severity: String,
    pub message: String,
    /// Byte span in the paste.
    pub start: usize,
    pub end: usize,
}

/// One recognised section of the paste.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionEntry {
    pub kind: String,
    pub detection: String,
    pub command: Option<String>,
    pub first_line: u32,
    pub last_line: u32,
}

/// A fact about the node and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub value: String,
    /// Where it came from, e.g. `-s 10.244.0.0/16 … -j KUBE-MARK-MASQ (line 40)`.
    pub source: String,
    pub lines: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NodeFacts {
    pub node_ips: Vec<Fact>,
    pub pod_cidrs: Vec<Fact>,
    pub ip_family: Option<String>,
    /// iptables backend when the dump tells (`legacy`, `nf_tables`).
    pub iptables_backend: Option<String>,
}

/// Size of the ruleset and the per-packet work it implies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RuleStats {
    pub iptables_rules: usize,
    pub iptables_chains: usize,
    pub kube_rules: usize,
    pub nat_rules: usize,
    pub ipvs_virtual_services: usize,
    pub ipvs_real_servers: usize,
    pub nft_rules: usize,
    /// Rules a new Service connection passes, on average over Services (iptables mode), or lookups.
    pub mean_rules_per_packet: Option<f64>,
    pub max_rules_per_packet: Option<usize>,
    /// The same packet's work in nftables mode (map lookups and rules).
    pub nftables_rules_per_packet: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConntrackVerdict {
    Ok,
    Warning,
    Critical,
    Unknown,
}

/// The conntrack verdict with its numbers (`null` where not known).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConntrackReport {
    pub count: Option<u64>,
    pub max: Option<u64>,
    pub buckets: Option<u64>,
    pub fill_ratio: Option<f64>,
    pub cpus: Option<u32>,
    pub drops: Option<u64>,
    pub insert_failed: Option<u64>,
    pub early_drop: Option<u64>,
    pub verdict: ConntrackVerdict,
    /// The verdict in one sentence.
    pub summary: String,
    /// The reasoning, one sentence a step.
    pub reasons: Vec<String>,
    pub recommendations: Vec<String>,
    /// Per-CPU `conntrack -S` counters: cpu number and key/value pairs.
    pub per_cpu: Vec<CpuCounters>,
    /// Timeouts as set, with kube-proxy's and the kernel's defaults.
    pub timeouts: Vec<TimeoutEntry>,
    /// `table full` kernel log lines.
    pub table_full_lines: Vec<u32>,
    /// What `conntrack -L` shows filling the table, when given.
    pub breakdown: Vec<BreakdownEntry>,
    /// Commands whose output would settle what is unknown.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuCounters {
    pub cpu: u32,
    pub counters: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeoutEntry {
    pub key: String,
    pub seconds: Option<u64>,
    pub kube_proxy_default: Option<u64>,
    pub kernel_default: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakdownEntry {
    /// e.g. `udp`, `tcp TIME_WAIT`, `dst 10.96.0.10:53`.
    pub key: String,
    pub entries: u64,
}
