//! The kube-proxy log section of the report: what kube-proxy's own log says.

use serde::{Deserialize, Serialize};

/// What kube-proxy's log says; `null` in the report when no kube-proxy log was pasted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct KubeProxyLog {
    /// The mode kube-proxy announced last (`Using … Proxier`): `iptables`, `ipvs`, `nftables`.
    pub mode: Option<String>,
    /// `"Version info" version=…` or `Version: …`.
    pub version: Option<String>,
    /// Completed syncs (`SyncProxyRules complete`, `syncProxyRules took`).
    pub syncs: usize,
    /// Failed syncs (`Sync failed`; a failed restore when the log has no `Sync failed` line).
    pub sync_failures: usize,
    pub sync_seconds: Option<SyncSeconds>,
    pub errors: Vec<LogError>,
    /// Line of the mode announcement.
    #[serde(default)]
    pub mode_line: Option<u32>,
    #[serde(default)]
    pub version_line: Option<u32>,
    /// kube-proxy could not use the mode it was asked for.
    #[serde(default)]
    pub fallback: Option<ModeFallback>,
    /// Log records read.
    #[serde(default)]
    pub records: u32,
    /// Pods named by `kubectl logs --prefix`.
    #[serde(default)]
    pub pods: Vec<String>,
    /// `klog`, `json`.
    #[serde(default)]
    pub formats: Vec<String>,
    /// Completed syncs per minute between the first and the last (the busiest pod's when several).
    #[serde(default)]
    pub syncs_per_minute: Option<f64>,
    /// Syncs the log marks as full or partial (`null` when it does not say).
    #[serde(default)]
    pub full_syncs: Option<usize>,
    #[serde(default)]
    pub partial_syncs: Option<usize>,
    /// `minSyncPeriod` and `syncPeriod` as the log shows them (`sync-runner: … next possible in`,
    /// `retryingTime`).
    #[serde(default)]
    pub min_sync_period_seconds: Option<f64>,
    #[serde(default)]
    pub sync_period_seconds: Option<f64>,
    /// Each completed sync (the latest [`MAX_POINTS`](crate::kube_proxy::MAX_POINTS)): its line, duration and time from the first.
    #[serde(default)]
    pub sync_points: Vec<SyncPoint>,
    /// Lines of failed syncs (and failed restores).
    #[serde(default)]
    pub failure_lines: Vec<u32>,
    /// Line of the last successful sync and of the last failure.
    #[serde(default)]
    pub last_sync_line: Option<u32>,
    #[serde(default)]
    pub last_failure_line: Option<u32>,
    /// The last failure of a pod (or of the log, without `--prefix`) that no later sync of the same pod
    /// made good: that node's rules are stale.
    #[serde(default)]
    pub unrecovered_failure_line: Option<u32>,
    /// The pod of that failure, when named.
    #[serde(default)]
    pub unrecovered_pod: Option<String>,
    /// That pod's last successful sync before the failure, if the log shows one.
    #[serde(default)]
    pub unrecovered_last_sync_line: Option<u32>,
    /// Rule counts reported at each sync (`Reloading service iptables data`), the latest [`MAX_POINTS`](crate::kube_proxy::MAX_POINTS).
    #[serde(default)]
    pub rule_counts: Vec<RuleCount>,
    /// The minute with the most completed syncs.
    #[serde(default)]
    pub busiest_minute: Option<BusyMinute>,
    /// `The ipvs proxier is now deprecated` (1.35 and later).
    #[serde(default)]
    pub ipvs_deprecated_line: Option<u32>,
    #[serde(default)]
    pub errors_left_out: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SyncSeconds {
    pub median: f64,
    pub max: f64,
    /// Line of the slowest sync.
    #[serde(default)]
    pub max_line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogError {
    pub line: u32,
    /// `iptables-restore`, `nft`, `ipset`, `ipvs`, `conntrack`, `api-watch`, `kernel-module`,
    /// `missing-binary`, `other`.
    pub kind: String,
    /// The message and its error, at most 300 characters.
    pub message: String,
    #[serde(default)]
    pub last_line: u32,
    /// The missing binary or kernel module, when named.
    #[serde(default)]
    pub missing: Option<String>,
    #[serde(default)]
    pub pod: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeFallback {
    pub line: u32,
    pub from: String,
    /// The reason as logged.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SyncPoint {
    pub line: u32,
    pub seconds: f64,
    /// Seconds since the first sync of the same pod, when the log has times.
    pub at: Option<f64>,
    /// The sync failed (kube-proxy logs its duration after `Sync failed` too).
    #[serde(default)]
    pub failed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCount {
    pub line: u32,
    pub services: Option<u64>,
    pub endpoints: Option<u64>,
    pub nat_rules: Option<u64>,
    pub filter_rules: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusyMinute {
    pub first_line: u32,
    pub last_line: u32,
    pub syncs: usize,
}
