//! The `Report`: everything svcpath found out about one node, as every front end renders it (serde types).

mod api;
mod cause;
mod code;
mod conntrack_entries;
mod kube_proxy;
mod kube_proxy_sizing;
mod migration;
mod section;

use serde::{Deserialize, Serialize};

pub use crate::model::{
    Endpoint, Fact, IpFamily, Mode, NodeFacts, Protocol, Service, TrafficPolicy, Unknown,
    GIVEN_BY_USER,
};
pub use crate::model::{MissingEndpoint, ServiceApi};
pub use api::{ApiJoin, ApiServicePort};
pub use cause::{Cause, CauseTrace};
pub use code::FindingCode;
pub use conntrack_entries::{ConntrackService, ConntrackTable, StaleEntry, StaleKind};
pub use kube_proxy::{
    BusyMinute, KubeProxyLog, LogError, ModeFallback, RuleCount, SyncPoint, SyncSeconds,
};
pub use kube_proxy_sizing::{Agreement, ExpectedMax, KubeProxyTimeout};
pub use migration::{Migration, MigrationItem, NftObjects};
pub use section::{Detection, DiagnosticSeverity};
pub use svcpath_syntax::SectionKind;

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
    /// Which kube-proxy release's rule layout the dumps show, when recognised.
    #[serde(default)]
    pub layout: Option<Layout>,
    /// What moving this iptables- or IPVS-mode node to nftables mode would change; `null` otherwise.
    #[serde(default)]
    pub migration: Option<Migration>,
    /// What is wrong here: the findings grouped by cause and ranked, each with its proof.
    #[serde(default)]
    pub diagnosis: Vec<Cause>,
    /// What kube-proxy's own log says (`null` when no kube-proxy log was pasted).
    #[serde(default)]
    pub kube_proxy: Option<KubeProxyLog>,
    /// The cluster's API objects joined to this node's rules (`null` when none were given).
    #[serde(default)]
    pub api: Option<ApiJoin>,
    /// The proxy mode kube-proxy's pasted settings ask for (`/flagz`, its configuration or ConfigMap),
    /// with the line; `mode` is what the rules show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configured_mode: Option<Fact>,
}

/// The kube-proxy rule layout recognised on this node (which releases write it), with the lines that
/// show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub mode: Mode,
    /// e.g. `nftables 1.36+`.
    pub name: String,
    /// What tells this layout apart, in a sentence.
    pub summary: String,
    pub evidence: Vec<u32>,
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
    pub code: FindingCode,
    pub severity: Severity,
    /// The Service's id, when the finding is about one.
    pub service: Option<String>,
    pub lines: Vec<u32>,
    /// One or two sentences, plain language.
    pub message: String,
}

impl Finding {
    /// A finding with its lines sorted, each once, without the placeholder line 0.
    pub fn new(
        code: FindingCode,
        severity: Severity,
        service: Option<&str>,
        mut lines: Vec<u32>,
        message: String,
    ) -> Finding {
        lines.retain(|l| *l > 0);
        lines.sort_unstable();
        lines.dedup();
        Finding {
            code,
            severity,
            service: service.map(str::to_string),
            lines,
            message,
        }
    }
}

/// A parser's note about input it did not (fully) understand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticEntry {
    pub line: u32,
    pub severity: DiagnosticSeverity,
    pub message: String,
    /// Byte span in the paste.
    pub start: usize,
    pub end: usize,
}

/// One recognised section of the paste.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionEntry {
    #[serde(with = "section::section_kind")]
    pub kind: SectionKind,
    pub detection: Detection,
    pub command: Option<String>,
    pub first_line: u32,
    pub last_line: u32,
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
    /// kube-proxy's `nf_conntrack_max` for this node next to the node's (`null` without conntrack -S or
    /// kube-proxy settings to compute it from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_max: Option<ExpectedMax>,
    /// The timeouts and `tcp_be_liberal` as kube-proxy's pasted settings set them, against the node's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kube_proxy_timeouts: Vec<KubeProxyTimeout>,
    /// The listed entries counted (`null` without `conntrack -L`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<ConntrackTable>,
    /// The entries of each Service port, most entries first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ConntrackService>,
    /// Entries that keep flows on a target that is not an endpoint (the first 1,000).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale: Vec<StaleEntry>,
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
