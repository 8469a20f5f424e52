//! The conntrack verdict: is the connection-tracking table full (the usual cause of "random timeouts while
//! the pods look healthy"), with the numbers that show it, what kube-proxy would set on this node, what
//! fills the table, and what to change. Thresholds and the reasoning behind them are in `docs/conntrack.md`.
//!
//! Verdict rules, in order: `critical` when a kernel log says `table full, dropping packet` or `conntrack
//! -S` counts `drop`, `early_drop` or `chaintoolong` above zero; `warning` when the table is at least
//! [`WARNING_FILL`] full; `ok` below that; `unknown` when the entry count or the limit is missing.

use std::collections::BTreeMap;

use svcpath_syntax::conntrack::{CpuRow, EntryRef, Listing, Stats};
use svcpath_syntax::kernlog::{KernelLog, LogEvent, NoteKind, SettingSource};
use svcpath_syntax::sysctl::{self, Sysctls};

mod advice;
pub mod established;
mod established_trace;
pub(crate) mod join;
mod reasons;
mod sizing;
mod stale;
mod words;

pub use established_trace::{trace_established, trace_established_with};
use words::*;

use crate::report::{
    BreakdownEntry, ConntrackReport, ConntrackVerdict, CpuCounters, Protocol, Service,
    TimeoutEntry, TrafficPolicy,
};

/// Fill ratio at and above which the verdict is `warning`.
pub const WARNING_FILL: f64 = 0.80;
/// Estimated kernel memory per tracked connection: `struct nf_conn` with its extensions, as the
/// `nf_conntrack` slab allocates it on x86-64 (about 300–350 bytes depending on kernel and options).
pub const BYTES_PER_ENTRY: u64 = 320;
/// Memory per hash bucket: one pointer-sized list head (8 bytes on 64-bit kernels).
pub const BYTES_PER_BUCKET: u64 = 8;
/// kube-proxy's defaults: `--conntrack-max-per-core` and `--conntrack-min`.
pub const KUBE_PROXY_MAX_PER_CORE: u64 = 32_768;
pub const KUBE_PROXY_MIN: u64 = 131_072;
/// Recent kube-proxy versions cap max-per-core × CPUs at this value.
pub const KUBE_PROXY_SCALED_CAP: u64 = 1_048_576;
/// kube-proxy sizes the hash at max / 4: chains of 4 entries on average when the table is full.
pub const KUBE_PROXY_ENTRIES_PER_BUCKET: u64 = 4;
/// Mean chain length (max / buckets) above which lookups get slow enough to mention.
pub const LONG_CHAIN: u64 = 8;
/// Share of listed entries above which one kind of entry is called out as filling the table.
const NOTABLE_SHARE: f64 = 0.25;
/// Destinations listed in the breakdown.
const TOP_DESTINATIONS: usize = 10;
/// CPUs named in one reason before `…`.
const CPUS_NAMED: usize = 8;

/// The conntrack timeouts svcpath reports, with kube-proxy's value (when it sets one) and the kernel's.
const TIMEOUTS: [(&str, Option<u64>, u64); 5] = [
    (sysctl::TCP_TIMEOUT_ESTABLISHED, Some(86_400), 432_000),
    (sysctl::TCP_TIMEOUT_CLOSE_WAIT, Some(3_600), 60),
    (sysctl::TCP_TIMEOUT_TIME_WAIT, None, 120),
    (sysctl::UDP_TIMEOUT, None, 30),
    (sysctl::UDP_TIMEOUT_STREAM, None, 120),
];

impl crate::snapshot::Snapshot {
    /// The conntrack-related sections, for [`verdict`].
    pub fn conntrack_inputs(&self) -> Inputs<'_> {
        Inputs {
            sysctls: &self.sysctls,
            stats: &self.conntrack_stats,
            listings: &self.conntrack_lists,
            logs: &self.kernel_logs,
            kube_proxy_settings: &self.kube_proxy_settings,
            kube_proxy_version: None,
        }
    }
}

/// Everything parsed from the conntrack-related sections of one paste.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    pub sysctls: &'a [Sysctls],
    pub stats: &'a [Stats],
    pub listings: &'a [Listing],
    pub logs: &'a [KernelLog],
    /// kube-proxy's pasted settings (`/flagz`, its configuration or ConfigMap).
    pub kube_proxy_settings: &'a [svcpath_syntax::kube_proxy_config::KubeProxySettings],
    /// The kube-proxy version its log announced, with the line.
    pub kube_proxy_version: Option<(&'a str, u32)>,
}

impl Inputs<'_> {
    /// True when any section says something about conntrack.
    pub fn is_empty(&self) -> bool {
        !self.sysctls.iter().any(Sysctls::mentions_conntrack)
            && self.stats.iter().all(Stats::is_empty)
            && self.listings.iter().all(Listing::is_empty)
            && self.logs.iter().all(KernelLog::is_empty)
            && self.kube_proxy_settings.is_empty()
    }
}

/// A number and where it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sourced {
    value: u64,
    line: u32,
    from: &'static str,
}

impl Sourced {
    fn describe(&self, name: &str) -> String {
        format!(
            "{name} = {} ({}, line {})",
            n(self.value),
            self.from,
            self.line
        )
    }
}

/// Builds the conntrack part of the report; `None` when the paste has no conntrack input at all.
pub fn verdict(inputs: &Inputs<'_>, services: &[Service]) -> Option<ConntrackReport> {
    if inputs.is_empty() {
        return None;
    }
    let facts = Facts::gather(inputs);
    Some(facts.report(services))
}

/// The findings of the conntrack part besides its verdict: `conntrack-oversized`.
pub fn findings(inputs: &Inputs<'_>) -> Vec<crate::report::Finding> {
    if inputs.is_empty() {
        return Vec::new();
    }
    Facts::gather(inputs).oversized().into_iter().collect()
}

/// What the inputs say, with the source of each number.
struct Facts<'a> {
    count: Option<Sourced>,
    max: Option<Sourced>,
    buckets: Option<Sourced>,
    /// What kube-proxy logged setting, and what the kernel logged at module load.
    proxy_max: Option<Sourced>,
    kernel_max: Option<Sourced>,
    /// The last `conntrack -S` section with counters.
    stats: Option<&'a Stats>,
    /// The first one, when there are several runs (to see counters rise).
    first_stats: Option<&'a Stats>,
    table_full: Vec<&'a LogEvent>,
    suppressed: u64,
    suppressed_lines: Vec<u32>,
    timeouts: BTreeMap<&'static str, Sourced>,
    entries: Vec<EntryRef<'a>>,
    listed_total: Option<Sourced>,
    inputs: Inputs<'a>,
}

fn last_sysctl(sysctls: &[Sysctls], keys: &[&str]) -> Option<Sourced> {
    sysctls
        .iter()
        .flat_map(|s| s.values.iter())
        .filter(|v| keys.contains(&v.key.as_str()))
        .filter_map(|v| {
            v.number.map(|value| Sourced {
                value,
                line: v.line,
                from: if v.key == sysctl::HASHSIZE {
                    "hashsize"
                } else {
                    "sysctl"
                },
            })
        })
        .max_by_key(|s| s.line)
}

fn last_logged(logs: &[KernelLog], key: &str, source: SettingSource) -> Option<Sourced> {
    logs.iter()
        .flat_map(|l| l.settings.iter())
        .filter(|s| s.key == key && s.source == source)
        .map(|s| Sourced {
            value: s.value,
            line: s.line,
            from: match source {
                SettingSource::Proxy => "proxy log",
                SettingSource::Kernel => "kernel log",
            },
        })
        .max_by_key(|s| s.line)
}

impl<'a> Facts<'a> {
    fn gather(inputs: &Inputs<'a>) -> Facts<'a> {
        let with_counters: Vec<&Stats> = inputs
            .stats
            .iter()
            .filter(|s| !s.per_cpu.is_empty() || !s.first_cpu_only.is_empty())
            .collect();
        let count = last_sysctl(inputs.sysctls, &[sysctl::COUNT])
            .or_else(|| {
                inputs
                    .stats
                    .iter()
                    .filter_map(|s| s.counts.last())
                    .max_by_key(|c| c.line)
                    .map(|c| Sourced {
                        value: c.value,
                        line: c.line,
                        from: "conntrack -C",
                    })
            })
            .or_else(|| {
                inputs
                    .stats
                    .iter()
                    .filter_map(Stats::entries)
                    .max_by_key(|(_, line)| *line)
                    .map(|(value, line)| Sourced {
                        value,
                        line,
                        from: "conntrack -S entries",
                    })
            });
        let proxy_max = last_logged(inputs.logs, sysctl::MAX, SettingSource::Proxy);
        let kernel_max = last_logged(inputs.logs, sysctl::MAX, SettingSource::Kernel);
        let max = last_sysctl(inputs.sysctls, &[sysctl::MAX])
            .or(proxy_max)
            .or(kernel_max);
        let buckets = last_sysctl(inputs.sysctls, &[sysctl::BUCKETS, sysctl::HASHSIZE])
            .or_else(|| last_logged(inputs.logs, sysctl::HASHSIZE, SettingSource::Proxy))
            .or_else(|| last_logged(inputs.logs, sysctl::HASHSIZE, SettingSource::Kernel));
        let mut timeouts = BTreeMap::new();
        for (key, _, _) in TIMEOUTS {
            let found = last_sysctl(inputs.sysctls, &[key])
                .or_else(|| last_logged(inputs.logs, key, SettingSource::Proxy));
            if let Some(found) = found {
                timeouts.insert(key, found);
            }
        }
        let table_full: Vec<&LogEvent> = inputs
            .logs
            .iter()
            .flat_map(|l| l.table_full.iter())
            .collect();
        let suppressed_events: Vec<_> = inputs
            .logs
            .iter()
            .flat_map(|l| l.suppressed.iter())
            .collect();
        let entries: Vec<EntryRef<'a>> = inputs.listings.iter().flat_map(|l| l.iter()).collect();
        let listed_total = inputs
            .listings
            .iter()
            .filter_map(|l| l.counted.or(l.shown))
            .max_by_key(|n| n.line)
            .map(|n| Sourced {
                value: n.value,
                line: n.line,
                from: "conntrack -L",
            });
        let count = count.or(listed_total);
        Facts {
            count,
            max,
            buckets,
            proxy_max,
            kernel_max,
            stats: with_counters.last().copied(),
            first_stats: (with_counters.len() > 1).then(|| with_counters[0]),
            table_full,
            suppressed: suppressed_events
                .iter()
                .fold(0u64, |a, s| a.saturating_add(s.count)),
            suppressed_lines: suppressed_events.iter().map(|s| s.line).collect(),
            timeouts,
            entries,
            listed_total,
            inputs: *inputs,
        }
    }

    fn total(&self, key: &str) -> Option<u64> {
        self.stats.and_then(|s| s.total(key))
    }

    fn cpus(&self) -> Option<(u32, u32)> {
        let stats = self.stats?;
        if stats.per_cpu.is_empty() {
            return None;
        }
        let mut cpus: Vec<u32> = stats.per_cpu.iter().map(|r| r.cpu).collect();
        cpus.sort_unstable();
        cpus.dedup();
        let line = stats.per_cpu.first().map(|r| r.line).unwrap_or(0);
        Some((u32::try_from(cpus.len()).unwrap_or(u32::MAX), line))
    }

    fn fill(&self) -> Option<f64> {
        match (self.count, self.max) {
            (Some(c), Some(m)) if m.value > 0 => Some(c.value as f64 / m.value as f64),
            _ => None,
        }
    }

    fn report(&self, services: &[Service]) -> ConntrackReport {
        let drops = self.total("drop");
        let early_drop = self.total("early_drop");
        let chain_too_long = self.total("chaintoolong");
        let insert_failed = self.total("insert_failed");
        let dropping = drops.unwrap_or(0) > 0
            || early_drop.unwrap_or(0) > 0
            || chain_too_long.unwrap_or(0) > 0;
        let fill = self.fill();
        let unlimited = self.max.is_some_and(|m| m.value == 0);
        let verdict = if !self.table_full.is_empty() || dropping {
            ConntrackVerdict::Critical
        } else if fill.is_some_and(|f| f >= WARNING_FILL) {
            ConntrackVerdict::Warning
        } else if fill.is_some() || (unlimited && self.count.is_some()) {
            ConntrackVerdict::Ok
        } else {
            ConntrackVerdict::Unknown
        };
        let mut out = ConntrackReport {
            count: self.count.map(|c| c.value),
            max: self.max.map(|m| m.value),
            buckets: self.buckets.map(|b| b.value),
            fill_ratio: fill.map(|f| (f * 10_000.0).round() / 10_000.0),
            cpus: self.cpus().map(|(n, _)| n),
            drops,
            insert_failed,
            early_drop,
            verdict,
            summary: String::new(),
            reasons: Vec::new(),
            recommendations: Vec::new(),
            per_cpu: self.per_cpu(),
            timeouts: self.timeout_entries(),
            table_full_lines: self.table_full.iter().map(|e| e.line).collect(),
            breakdown: self.breakdown(services),
            missing: Vec::new(),
            expected_max: self.expected_max(),
            kube_proxy_timeouts: self.kube_proxy_timeouts(),
            table: None,
            services: Vec::new(),
            stale: Vec::new(),
        };
        out.summary = self.summary(verdict, drops, early_drop, chain_too_long, insert_failed);
        self.reason_fill(&mut out.reasons);
        self.reason_logs(&mut out.reasons);
        self.reason_counters(&mut out.reasons);
        let expected = reasons::reason_kube_proxy(out.expected_max.as_ref(), &mut out.reasons);
        self.reason_hash(&mut out.reasons);
        self.reason_timeouts(&mut out.reasons);
        self.reason_kube_proxy_timeouts(&out.kube_proxy_timeouts, &mut out.reasons);
        self.reason_listing(&mut out.reasons, services);
        reason_services(&mut out.reasons, services);
        self.reason_notes(&mut out.reasons);
        self.recommend(verdict, expected, &mut out.recommendations);
        self.missing(verdict, &mut out.missing);
        out
    }

    fn summary(
        &self,
        verdict: ConntrackVerdict,
        drops: Option<u64>,
        early_drop: Option<u64>,
        chain_too_long: Option<u64>,
        insert_failed: Option<u64>,
    ) -> String {
        let fill_text = match (self.count, self.max, self.fill()) {
            (Some(c), Some(m), Some(f)) => Some(format!(
                "{} full ({} of {} entries)",
                pct(f),
                n(c.value),
                n(m.value)
            )),
            _ => None,
        };
        match verdict {
            ConntrackVerdict::Critical => {
                let mut s = if !self.table_full.is_empty() {
                    format!(
                        "Critical: the conntrack table was full: the kernel logged {} \"table full, dropping packet\" line{}, so new connections were dropped (random timeouts).",
                        self.table_full.len(),
                        plural(self.table_full.len() as u64)
                    )
                } else {
                    let mut counted = Vec::new();
                    for (name, v) in [
                        ("drop", drops),
                        ("early_drop", early_drop),
                        ("chaintoolong", chain_too_long),
                    ] {
                        if let Some(v) = v.filter(|v| *v > 0) {
                            counted.push(format!("{name} = {}", n(v)));
                        }
                    }
                    format!(
                        "Critical: conntrack dropped packets or evicted entries to make room ({} in `conntrack -S`, counted since the module was loaded).",
                        counted.join(", ")
                    )
                };
                if let Some(f) = fill_text {
                    s.push_str(&format!(" The table is now {f}."));
                }
                s
            }
            ConntrackVerdict::Warning => format!(
                "Warning: the conntrack table is {}; at 100 % the kernel drops new connections.",
                fill_text.unwrap_or_default()
            ),
            ConntrackVerdict::Ok => {
                let base = match fill_text {
                    Some(f) => format!("OK: the conntrack table is {f}"),
                    None => format!(
                        "OK: nf_conntrack_max is 0 (no limit) with {} entries",
                        n(self.count.map(|c| c.value).unwrap_or(0))
                    ),
                };
                let evidence = if self.stats.is_some() {
                    ", and `conntrack -S` counts no drops."
                } else if !self.inputs.logs.iter().all(KernelLog::is_empty) {
                    ", and the log shows no \"table full\" line."
                } else {
                    "; the paste has no drop counters or kernel log to confirm that nothing was dropped."
                };
                let mut s = format!("{base}{evidence}");
                if let Some(i) = insert_failed.filter(|i| *i > 0) {
                    s.push_str(&format!(
                        " insert_failed = {}: see the DNS race below.",
                        n(i)
                    ));
                }
                s
            }
            ConntrackVerdict::Unknown => {
                let what = match (self.count.is_some(), self.max.is_some()) {
                    (false, false) => "neither the entry count nor the limit",
                    (false, true) => "no entry count",
                    _ => "no limit (nf_conntrack_max)",
                };
                let command = if self.count.is_none() && self.max.is_none() {
                    "sysctl -a 2>/dev/null | grep nf_conntrack"
                } else if self.count.is_none() {
                    "sysctl net.netfilter.nf_conntrack_count"
                } else {
                    "sysctl net.netfilter.nf_conntrack_max"
                };
                format!(
                    "Unknown: the paste has {what}, and no drops or \"table full\" lines; run `{command}` to settle it."
                )
            }
        }
    }
}

#[cfg(test)]
mod tests;
