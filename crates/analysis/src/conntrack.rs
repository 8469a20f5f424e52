//! The conntrack verdict: is the connection-tracking table full (the usual cause of "random timeouts while
//! the pods look healthy"), with the numbers that show it, what kube-proxy would set on this node, what
//! fills the table, and what to change. Thresholds and the reasoning behind them are in `docs/conntrack.md`.
//!
//! Verdict rules, in order: `critical` when a kernel log says `table full, dropping packet` or `conntrack
//! -S` counts `drop`, `early_drop` or `chaintoolong` above zero; `warning` when the table is at least
//! [`WARNING_FILL`] full; `ok` below that; `unknown` when the entry count or the limit is missing.

use std::collections::BTreeMap;

use svcpath_syntax::conntrack::{CpuRow, Entry, Listing, Stats};
use svcpath_syntax::kernlog::{KernelLog, LogEvent, NoteKind, SettingSource};
use svcpath_syntax::sysctl::{self, Sysctls};

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
}

impl Inputs<'_> {
    /// True when any section says something about conntrack.
    pub fn is_empty(&self) -> bool {
        !self.sysctls.iter().any(Sysctls::mentions_conntrack)
            && self.stats.iter().all(Stats::is_empty)
            && self.listings.iter().all(Listing::is_empty)
            && self.logs.iter().all(KernelLog::is_empty)
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
    entries: Vec<&'a Entry>,
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
        let entries: Vec<&Entry> = inputs
            .listings
            .iter()
            .flat_map(|l| l.entries.iter())
            .collect();
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
        };
        out.summary = self.summary(verdict, drops, early_drop, chain_too_long, insert_failed);
        self.reason_fill(&mut out.reasons);
        self.reason_logs(&mut out.reasons);
        self.reason_counters(&mut out.reasons);
        let expected = self.reason_kube_proxy(&mut out.reasons);
        self.reason_hash(&mut out.reasons);
        self.reason_timeouts(&mut out.reasons);
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

    fn reason_fill(&self, reasons: &mut Vec<String>) {
        match (self.count, self.max) {
            (Some(c), Some(m)) if m.value > 0 => {
                let f = c.value as f64 / m.value as f64;
                let mut s = format!(
                    "{} of {}: the table is {} full (svcpath warns from {}).",
                    c.describe("nf_conntrack_count"),
                    m.describe("nf_conntrack_max"),
                    pct(f),
                    pct(WARNING_FILL)
                );
                if c.value > m.value {
                    s.push_str(" The count is above the limit: the two numbers were read at different times or in different network namespaces.");
                }
                if c.from == "conntrack -L" {
                    s.push_str(" (The count is the number of listed entries, which is the table size only when `conntrack -L` ran without a filter.)");
                }
                reasons.push(s);
            }
            (count, Some(m)) if m.value == 0 => reasons.push(format!(
                "{}: the kernel sets no limit; the table grows until memory runs out{}.",
                m.describe("nf_conntrack_max"),
                count
                    .map(|c| format!(" ({} now)", c.describe("nf_conntrack_count")))
                    .unwrap_or_default()
            )),
            (Some(c), None) => reasons.push(format!(
                "{}, but the limit is not in the paste.",
                c.describe("nf_conntrack_count")
            )),
            (None, Some(m)) => reasons.push(format!(
                "{}, but the number of entries now is not in the paste.",
                m.describe("nf_conntrack_max")
            )),
            _ => {}
        }
        for key in [sysctl::MAX, sysctl::BUCKETS, sysctl::HASHSIZE] {
            let values: Vec<_> = self
                .inputs
                .sysctls
                .iter()
                .flat_map(|s| s.all(key))
                .filter_map(|v| v.number.map(|n| (n, v.line)))
                .collect();
            if let (Some(first), Some(last)) = (values.first(), values.last()) {
                if first.0 != last.0 {
                    reasons.push(format!(
                        "{} changed within the paste: {} (line {}), then {} (line {}); svcpath uses the last.",
                        key.rsplit(['.', '/']).next().unwrap_or(key),
                        n(first.0),
                        first.1,
                        n(last.0),
                        last.1
                    ));
                }
            }
        }
        if let (Some(m), Some(p)) = (self.max, self.proxy_max) {
            if m.from == "sysctl" && p.value != m.value {
                reasons.push(format!(
                    "The proxy logged setting nf_conntrack_max to {} (line {}), but it is {} now (line {}): something changed it after kube-proxy started.",
                    n(p.value),
                    p.line,
                    n(m.value),
                    m.line
                ));
            }
        }
        if let (Some(m), Some(k)) = (self.max, self.kernel_max) {
            if m.from != "kernel log" && k.value != m.value {
                reasons.push(format!(
                    "The kernel started with nf_conntrack_max = {} (line {}); it was changed to {} since.",
                    n(k.value),
                    k.line,
                    n(m.value)
                ));
            }
        }
    }

    fn reason_logs(&self, reasons: &mut Vec<String>) {
        if let (Some(first), Some(last)) = (self.table_full.first(), self.table_full.last()) {
            let span = match (&first.time, &last.time) {
                (Some(a), Some(b)) if a != b => format!(", from [{a}] to [{b}]"),
                (Some(a), _) => format!(", at [{a}]"),
                _ => String::new(),
            };
            reasons.push(format!(
                "{} kernel line{} say \"table full, dropping packet\" (line{} {}{span}): each time the table was at nf_conntrack_max and a new connection's first packet was dropped.",
                self.table_full.len(),
                plural(self.table_full.len() as u64),
                plural(self.table_full.len() as u64),
                line_list(self.table_full.iter().map(|e| e.line))
            ));
        }
        if self.suppressed > 0 {
            reasons.push(format!(
                "The kernel's rate limiter hid {} more message{} (\"callbacks suppressed\", line{} {}): the log shows only part of the drops.",
                n(self.suppressed),
                plural(self.suppressed),
                plural(self.suppressed_lines.len() as u64),
                line_list(self.suppressed_lines.iter().copied())
            ));
        }
    }

    fn reason_counters(&self, reasons: &mut Vec<String>) {
        let Some(stats) = self.stats else { return };
        let old_form = stats.per_cpu.is_empty();
        if old_form {
            reasons.push(format!(
                "`conntrack -S` printed the old one-key-a-line form (line {}): conntrack-tools showed only the first CPU's counters that way, so the totals below are a lower bound.",
                stats.first_cpu_only.first().map(|c| c.line).unwrap_or(0)
            ));
        } else if let Some((cpus, line)) = self.cpus() {
            reasons.push(format!(
                "`conntrack -S` lists {cpus} CPU{} (line {line}); its counters run since the conntrack module was loaded.",
                plural(u64::from(cpus))
            ));
        }
        let explain = [
            ("drop", "packets dropped because no entry could be made (the table was full and nothing could be evicted)"),
            ("early_drop", "entries evicted to make room for new ones: the table reached nf_conntrack_max"),
            ("chaintoolong", "packets dropped because a hash chain grew too long (too few buckets for the load)"),
        ];
        for (key, meaning) in explain {
            if let Some(total) = self.total(key).filter(|v| *v > 0) {
                reasons.push(format!(
                    "{key} = {}{}: {meaning}.",
                    n(total),
                    per_cpu_text(stats, key)
                ));
            }
        }
        if let Some(total) = self.total("insert_failed").filter(|v| *v > 0) {
            let resolved = self.total("clash_resolve");
            let meaning = if resolved.is_some() {
                "packets dropped because two packets of new connections raced to insert the same entry and the clash could not be resolved"
            } else {
                "races of two new connections inserting the same entry (kernels before 5.10 count clashes they resolved here too)"
            };
            reasons.push(format!(
                "insert_failed = {}{}: {meaning}. With UDP this is the DNS race: a resolver sends the A and AAAA queries at once from one socket, both are DNAT'd to a DNS Service, and one is lost (a 5 s resolver timeout).",
                n(total),
                per_cpu_text(stats, "insert_failed")
            ));
        }
        if let Some(resolved) = self.total("clash_resolve").filter(|v| *v > 0) {
            reasons.push(format!(
                "clash_resolve = {}: clashes of that kind the kernel resolved without dropping.",
                n(resolved)
            ));
        }
        if let Some(restarts) = self.total("search_restart").filter(|v| *v > 0) {
            let mut s = format!(
                "search_restart = {}: lookups restarted because the table changed under them (resizes, heavy churn); harmless unless it grows fast.",
                n(restarts)
            );
            if let Some(hot) = hot_cpus(stats, "search_restart") {
                s.push_str(&format!(" It is concentrated on {hot}."));
            }
            reasons.push(s);
        }
        if let Some(first) = self.first_stats {
            let mut rises = Vec::new();
            for key in ["drop", "early_drop", "insert_failed"] {
                if let (Some(a), Some(b)) = (first.total(key), stats.total(key)) {
                    if b > a {
                        rises.push(format!("{key} +{}", n(b - a)));
                    }
                }
            }
            let line_a = first.per_cpu.first().map(|r| r.line).unwrap_or(0);
            let line_b = stats.per_cpu.first().map(|r| r.line).unwrap_or(0);
            if rises.is_empty() {
                reasons.push(format!(
                    "Between the two `conntrack -S` runs (lines {line_a} and {line_b}) drop, early_drop and insert_failed did not grow: nothing was dropped in between."
                ));
            } else {
                reasons.push(format!(
                    "Between the two `conntrack -S` runs (lines {line_a} and {line_b}): {}: drops are happening now.",
                    rises.join(", ")
                ));
            }
        }
    }

    /// What kube-proxy would set on this node, compared with what is set. Returns kube-proxy's max.
    fn reason_kube_proxy(&self, reasons: &mut Vec<String>) -> Option<u64> {
        let (cpus, _) = self.cpus()?;
        let scaled = KUBE_PROXY_MAX_PER_CORE.saturating_mul(u64::from(cpus));
        let expected = scaled.max(KUBE_PROXY_MIN);
        let expected_buckets = expected / KUBE_PROXY_ENTRIES_PER_BUCKET;
        let mut s = format!(
            "kube-proxy with its defaults sets nf_conntrack_max = max(32,768 × {cpus} CPUs, 131,072) = {} and hashsize = {} on this node",
            n(expected),
            n(expected_buckets)
        );
        if scaled > KUBE_PROXY_SCALED_CAP {
            s.push_str(&format!(
                " (recent versions cap it at {})",
                n(KUBE_PROXY_SCALED_CAP)
            ));
        }
        match self.max {
            Some(m) if m.value == expected => s.push_str(&format!("; the node has exactly that (line {}).", m.line)),
            Some(m) if m.value < expected => s.push_str(&format!(
                "; the node has {} (line {}), less: kube-proxy's conntrack settings are off (`--conntrack-max-per-core=0`), it could not write them (read-only /proc/sys), or the value was lowered after kube-proxy started (it only sets it at start).",
                n(m.value),
                m.line
            )),
            Some(m) => s.push_str(&format!(
                "; the node has {} (line {}), more: set by `--conntrack-min`/`--conntrack-max-per-core` or a sysctl file.",
                n(m.value),
                m.line
            )),
            None => s.push('.'),
        }
        reasons.push(s);
        Some(expected)
    }

    fn reason_hash(&self, reasons: &mut Vec<String>) {
        let (Some(b), Some(m)) = (self.buckets, self.max) else {
            if let Some(b) = self.buckets {
                reasons.push(format!("{}.", b.describe("hash buckets")));
            }
            return;
        };
        if b.value == 0 || m.value == 0 {
            return;
        }
        let chain = m.value as f64 / b.value as f64;
        let verdict = if chain > LONG_CHAIN as f64 {
            "long: every lookup in a full table walks that many entries; give it more buckets"
        } else if chain > KUBE_PROXY_ENTRIES_PER_BUCKET as f64 {
            "longer than kube-proxy's 4, still fine"
        } else {
            "short enough"
        };
        reasons.push(format!(
            "{} for nf_conntrack_max = {}: a full table has chains of {:.1} entries per bucket on average, {verdict}. The buckets take about {} now.",
            b.describe("hash buckets"),
            n(m.value),
            chain,
            bytes(b.value.saturating_mul(BYTES_PER_BUCKET))
        ));
    }

    fn reason_timeouts(&self, reasons: &mut Vec<String>) {
        for (key, proxy, kernel) in TIMEOUTS {
            let Some(t) = self.timeouts.get(key) else {
                continue;
            };
            let short = key.trim_start_matches("net.netfilter.");
            let is_kernel_default =
                t.value == kernel || (key == sysctl::UDP_TIMEOUT_STREAM && t.value == 180);
            let kernel_text = if key == sysctl::UDP_TIMEOUT_STREAM {
                "120 s since Linux 5.0, 180 s before".to_string()
            } else {
                secs(kernel)
            };
            // Only the UDP stream default changed between kernels; the others need no repeating.
            let default_note = if key == sysctl::UDP_TIMEOUT_STREAM {
                format!(" ({kernel_text})")
            } else {
                String::new()
            };
            let which = match proxy {
                Some(p) if t.value == p => {
                    format!("kube-proxy's value; the kernel's default is {kernel_text}")
                }
                Some(p) if is_kernel_default => format!(
                    "the kernel's default{default_note}; kube-proxy sets {}",
                    secs(p)
                ),
                Some(p) => format!(
                    "kube-proxy sets {}, the kernel's default is {kernel_text}",
                    secs(p)
                ),
                None if is_kernel_default => {
                    format!("the kernel's default{default_note}, which kube-proxy leaves alone")
                }
                None => format!(
                    "changed from the kernel's default ({kernel_text}); kube-proxy leaves it alone"
                ),
            };
            let held = |per_second: u64| {
                let e = per_second.saturating_mul(t.value);
                format!(
                    "{} (~{})",
                    entries(e),
                    bytes(e.saturating_mul(BYTES_PER_ENTRY))
                )
            };
            let cost = match key {
                sysctl::TCP_TIMEOUT_ESTABLISHED => format!(
                    "a connection left idle after its peer vanished (no FIN, no RST) keeps its entry this long; 1,000 such connections a day add up to {}",
                    entries(1000u64.saturating_mul(t.value) / 86_400)
                ),
                sysctl::TCP_TIMEOUT_CLOSE_WAIT => {
                    "a connection the peer half-closed keeps its entry this long while the local side does not close it".to_string()
                }
                sysctl::TCP_TIMEOUT_TIME_WAIT => format!(
                    "every closed TCP connection keeps its entry this long; 100 new connections a second hold {}",
                    held(100)
                ),
                sysctl::UDP_TIMEOUT => format!(
                    "a UDP flow that is not a stream (a DNS query) keeps its entry this long; 100 queries a second from new ports hold {}",
                    held(100)
                ),
                _ => "a UDP flow that kept exchanging packets for more than 2 s keeps its entry this long after its last packet".to_string(),
            };
            reasons.push(format!(
                "{short} = {} ({}, line {}): {which}. Cost: {cost}.",
                secs(t.value),
                t.from,
                t.line
            ));
        }
    }

    fn reason_listing(&self, reasons: &mut Vec<String>, services: &[Service]) {
        let total = self.entries.len() as u64;
        if total == 0 {
            return;
        }
        let mut protocols: BTreeMap<&str, u64> = BTreeMap::new();
        for e in &self.entries {
            *protocols.entry(e.protocol.as_str()).or_default() += 1;
        }
        let mut by_proto: Vec<_> = protocols.into_iter().collect();
        by_proto.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut s = format!(
            "`conntrack -L` lists {} entr{}: {}",
            n(total),
            if total == 1 { "y" } else { "ies" },
            by_proto
                .iter()
                .map(|(p, c)| format!("{p} {}", n(*c)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(c) = self
            .count
            .filter(|c| c.value > total && c.from != "conntrack -L")
        {
            s.push_str(&format!(" (a part: the table holds {})", n(c.value)));
        } else if let Some(l) = self.listed_total.filter(|l| l.value > total) {
            s.push_str(&format!(
                " (a part of the {} the listing counted)",
                n(l.value)
            ));
        }
        s.push('.');
        reasons.push(s);
        let share = |k: u64| k as f64 / total as f64;
        let time_wait = self
            .entries
            .iter()
            .filter(|e| e.protocol == "tcp" && e.state.as_deref() == Some("TIME_WAIT"))
            .count() as u64;
        if share(time_wait) >= NOTABLE_SHARE {
            reasons.push(format!(
                "{} of them ({}) are TCP TIME_WAIT: short-lived connections, each kept nf_conntrack_tcp_timeout_time_wait ({}) after it closed.",
                n(time_wait),
                pct(share(time_wait)),
                secs(self.timeout(sysctl::TCP_TIMEOUT_TIME_WAIT))
            ));
        }
        let udp = self.entries.iter().filter(|e| e.protocol == "udp").count() as u64;
        let dns = self
            .entries
            .iter()
            .filter(|e| e.original.dport == Some(53))
            .count() as u64;
        if share(udp) >= NOTABLE_SHARE {
            reasons.push(format!(
                "{} ({}) are UDP: each query from a new source port is its own entry for nf_conntrack_udp_timeout ({}).",
                n(udp),
                pct(share(udp)),
                secs(self.timeout(sysctl::UDP_TIMEOUT))
            ));
        }
        if share(dns) >= NOTABLE_SHARE {
            reasons.push(format!(
                "{} ({}) go to port 53: DNS traffic is a large user of the table (NodeLocal DNSCache takes it off the Service path).",
                n(dns),
                pct(share(dns))
            ));
        }
        let unreplied = self
            .entries
            .iter()
            .filter(|e| e.has_flag("UNREPLIED"))
            .count() as u64;
        if share(unreplied) >= 0.2 {
            reasons.push(format!(
                "{} ({}) never saw a reply (UNREPLIED): connections to dead endpoints, scans or dropped traffic.",
                n(unreplied),
                pct(share(unreplied))
            ));
        }
        let dnat = self.entries.iter().filter(|e| e.is_dnat()).count() as u64;
        if dnat > 0 {
            reasons.push(format!(
                "{} ({}) are DNAT'd: traffic to a Service, NodePort or hostPort, translated by the rules.",
                n(dnat),
                pct(share(dnat))
            ));
        }
        if let Some((dst, count)) = destinations(&self.entries).into_iter().next() {
            if share(count) >= NOTABLE_SHARE && count > 1 {
                let name = service_at(services, &dst)
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default();
                reasons.push(format!(
                    "The largest single destination is {dst}{name}: {} entries ({}).",
                    n(count),
                    pct(share(count))
                ));
            }
        }
    }

    fn reason_notes(&self, reasons: &mut Vec<String>) {
        for stats in self.inputs.stats {
            if let Some(exec) = &stats.via_exec {
                reasons.push(format!(
                    "`conntrack` ran through `{}` (line {}): unless that pod uses the host network, its counters and count are the pod's network namespace, not the node's.",
                    exec.text.trim_start_matches(['$', '#', ' ']),
                    exec.line
                ));
            }
            for error in &stats.errors {
                reasons.push(format!(
                    "line {}: the command reported \"{}\".",
                    error.line, error.text
                ));
            }
        }
        for log in self.inputs.logs {
            for note in &log.notes {
                let meaning = match note.kind {
                    NoteKind::HashsizeNotWritable => "kube-proxy could not set the hash size (it must run in the host's network namespace with /sys writable); the kernel's size stays",
                    NoteKind::ReadOnlySysfs => "/sys is read-only for kube-proxy: it cannot change the conntrack limits",
                    NoteKind::UsedConntrackMin => "kube-proxy took its max from `--conntrack-min` (max-per-core × CPUs was smaller)",
                    NoteKind::UsedMaxPerCore => "kube-proxy took its max from `--conntrack-max-per-core` × CPUs",
                    NoteKind::CappedMaxPerCore => "kube-proxy capped max-per-core × CPUs at 1,048,576",
                    NoteKind::ExpectationTableFull => "the expectation table (for helpers like FTP or SIP) is full",
                    NoteKind::Other => "a conntrack message",
                };
                reasons.push(format!("line {}: {meaning}.", note.line));
            }
        }
        for sysctls in self.inputs.sysctls {
            for p in sysctls
                .problems
                .iter()
                .filter(|p| p.key.as_deref().is_none_or(sysctl::is_conntrack_key))
            {
                let meaning = match p.kind {
                    sysctl::ProblemKind::PermissionDenied => "a change needs root (and the host's network namespace)",
                    sysctl::ProblemKind::NoSuchKey => "the key does not exist: the nf_conntrack module is not loaded, or this is not the host's network namespace",
                    sysctl::ProblemKind::ReadOnly => "/proc/sys is read-only here (a container)",
                    sysctl::ProblemKind::Other => "the command failed",
                };
                reasons.push(format!("line {}: {meaning} ({}).", p.line, p.message));
            }
        }
    }

    fn timeout(&self, key: &str) -> u64 {
        self.timeouts
            .get(key)
            .map(|t| t.value)
            .or_else(|| {
                TIMEOUTS
                    .iter()
                    .find(|(k, _, _)| *k == key)
                    .map(|(_, _, kernel)| *kernel)
            })
            .unwrap_or(0)
    }

    fn per_cpu(&self) -> Vec<CpuCounters> {
        let Some(stats) = self.stats else {
            return Vec::new();
        };
        if stats.per_cpu.is_empty() {
            let counters: Vec<(String, u64)> = stats
                .first_cpu_only
                .iter()
                .filter(|c| c.key != "entries")
                .map(|c| (c.key.clone(), c.value))
                .collect();
            return vec![CpuCounters { cpu: 0, counters }];
        }
        stats
            .per_cpu
            .iter()
            .map(|r: &CpuRow| CpuCounters {
                cpu: r.cpu,
                counters: r
                    .counters
                    .iter()
                    .map(|c| (c.key.clone(), c.value))
                    .collect(),
            })
            .collect()
    }

    fn timeout_entries(&self) -> Vec<TimeoutEntry> {
        TIMEOUTS
            .iter()
            .map(|(key, proxy, kernel)| TimeoutEntry {
                key: key.trim_start_matches("net.netfilter.").to_string(),
                seconds: self.timeouts.get(key).map(|t| t.value),
                kube_proxy_default: *proxy,
                kernel_default: Some(*kernel),
            })
            .collect()
    }

    fn breakdown(&self, services: &[Service]) -> Vec<BreakdownEntry> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let mut out = vec![BreakdownEntry {
            key: "total".to_string(),
            entries: self.entries.len() as u64,
        }];
        let mut protocols: BTreeMap<String, u64> = BTreeMap::new();
        let mut states: BTreeMap<String, u64> = BTreeMap::new();
        for e in &self.entries {
            *protocols.entry(e.protocol.clone()).or_default() += 1;
            if let Some(state) = &e.state {
                *states.entry(format!("{} {state}", e.protocol)).or_default() += 1;
            }
        }
        for group in [protocols, states] {
            let mut group: Vec<_> = group.into_iter().collect();
            group.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            out.extend(
                group
                    .into_iter()
                    .map(|(key, entries)| BreakdownEntry { key, entries }),
            );
        }
        let count =
            |f: &dyn Fn(&Entry) -> bool| self.entries.iter().filter(|e| f(e)).count() as u64;
        for (key, entries) in [
            ("dns (port 53)", count(&|e| e.original.dport == Some(53))),
            ("dnat (Service traffic)", count(&|e| e.is_dnat())),
            ("snat (masqueraded)", count(&|e| e.is_snat())),
            ("unreplied", count(&|e| e.has_flag("UNREPLIED"))),
        ] {
            if entries > 0 {
                out.push(BreakdownEntry {
                    key: key.to_string(),
                    entries,
                });
            }
        }
        for (dst, entries) in destinations(&self.entries)
            .into_iter()
            .take(TOP_DESTINATIONS)
        {
            let name = service_at(services, &dst)
                .map(|id| format!(" ({id})"))
                .unwrap_or_default();
            out.push(BreakdownEntry {
                key: format!("dst {dst}{name}"),
                entries,
            });
        }
        out
    }

    fn recommend(&self, verdict: ConntrackVerdict, expected: Option<u64>, out: &mut Vec<String>) {
        let pressure = matches!(
            verdict,
            ConntrackVerdict::Critical | ConntrackVerdict::Warning
        );
        let table_pressure = pressure
            && (!self.table_full.is_empty()
                || self.total("drop").unwrap_or(0) > 0
                || self.total("early_drop").unwrap_or(0) > 0
                || self.fill().is_some_and(|f| f >= WARNING_FILL));
        match self.max {
            Some(m) if table_pressure && m.value > 0 => {
                let mut target = m.value.saturating_mul(2).max(expected.unwrap_or(0));
                if let Some(c) = self.count {
                    target = target.max(c.value.saturating_mul(2));
                }
                let target = round_up(target, KUBE_PROXY_MIN);
                out.push(format!(
                    "Raise the table to {t} entries: `sysctl -w net.netfilter.nf_conntrack_max={t}` now, and `net.netfilter.nf_conntrack_max = {t}` in a file under /etc/sysctl.d/ to keep it; where kube-proxy manages it, `--conntrack-min={t}` (config `conntrack.min`) makes kube-proxy apply it at start. Memory when full: about {} ({} × ~{BYTES_PER_ENTRY} B, an estimate), now {}.",
                    bytes(target.saturating_mul(BYTES_PER_ENTRY)),
                    n(target),
                    bytes(m.value.saturating_mul(BYTES_PER_ENTRY)),
                    t = target
                ));
                let buckets = target / KUBE_PROXY_ENTRIES_PER_BUCKET;
                if self.buckets.is_none_or(|b| b.value < buckets) {
                    out.push(format!(
                        "Give it {b} hash buckets (a quarter of max, as kube-proxy does): `echo {b} > /sys/module/nf_conntrack/parameters/hashsize` from the host's network namespace, or `options nf_conntrack hashsize={b}` in /etc/modprobe.d/; about {} ({} × {BYTES_PER_BUCKET} B), allocated at once.",
                        bytes(buckets.saturating_mul(BYTES_PER_BUCKET)),
                        n(buckets),
                        b = buckets
                    ));
                }
            }
            None if table_pressure => out.push(format!(
                "Read the limit (`sysctl net.netfilter.nf_conntrack_max`) and double it with `sysctl -w net.netfilter.nf_conntrack_max=N` (and in /etc/sysctl.d/ to keep it); each entry costs about {BYTES_PER_ENTRY} B of kernel memory when used."
            )),
            _ => {}
        }
        if !table_pressure {
            if let (Some(b), Some(m)) = (self.buckets, self.max) {
                if b.value > 0 && m.value / b.value > LONG_CHAIN {
                    let want = m.value / KUBE_PROXY_ENTRIES_PER_BUCKET;
                    out.push(format!(
                        "Give the hash {w} buckets (max / 4): `echo {w} > /sys/module/nf_conntrack/parameters/hashsize`; about {} ({} × {BYTES_PER_BUCKET} B).",
                        bytes(want.saturating_mul(BYTES_PER_BUCKET)),
                        n(want),
                        w = want
                    ));
                }
            }
        }
        if let Some(t) = self.timeouts.get(sysctl::TCP_TIMEOUT_ESTABLISHED) {
            if t.value > 86_400 {
                out.push(format!(
                    "Set `sysctl -w net.netfilter.nf_conntrack_tcp_timeout_established=86400` (kube-proxy's `--conntrack-tcp-timeout-established=24h`): entries of dead connections then leave after a day instead of {}. It costs no memory; it frees entries.",
                    secs(t.value)
                ));
            }
        }
        let total = self.entries.len() as u64;
        if total > 0 {
            let share = |k: usize| k as f64 / total as f64;
            let time_wait = self
                .entries
                .iter()
                .filter(|e| e.protocol == "tcp" && e.state.as_deref() == Some("TIME_WAIT"))
                .count();
            let time_wait_timeout = self.timeout(sysctl::TCP_TIMEOUT_TIME_WAIT);
            if share(time_wait) >= NOTABLE_SHARE {
                let mut s = "A large part of the table is TIME_WAIT: reuse connections (HTTP keep-alive, client pools)".to_string();
                if time_wait_timeout > 30 {
                    let freed = (time_wait as u64).saturating_mul(time_wait_timeout - 30)
                        / time_wait_timeout;
                    s.push_str(&format!(
                        ", or shorten it with `sysctl -w net.netfilter.nf_conntrack_tcp_timeout_time_wait=30`, which frees about {} of the {} listed (~{})",
                        entries(freed),
                        n(time_wait as u64),
                        bytes(freed.saturating_mul(BYTES_PER_ENTRY))
                    ));
                }
                s.push('.');
                out.push(s);
            }
            let udp = self.entries.iter().filter(|e| e.protocol == "udp").count();
            let dns = self
                .entries
                .iter()
                .filter(|e| e.original.dport == Some(53))
                .count();
            if share(dns) >= NOTABLE_SHARE {
                out.push(
                    "A large part of the table is DNS: run NodeLocal DNSCache, so that pods query a cache on the node without DNAT and the cache talks to the cluster DNS over few long-lived connections.".to_string(),
                );
            }
            if share(udp) >= NOTABLE_SHARE {
                out.push(format!(
                    "A large part of the table is UDP: shorten its timeouts with kube-proxy ≥ 1.29 `--conntrack-udp-timeout`/`--conntrack-udp-timeout-stream`, or `sysctl -w net.netfilter.nf_conntrack_udp_timeout=…` (now {}).",
                    secs(self.timeout(sysctl::UDP_TIMEOUT))
                ));
            }
        }
        if self.total("insert_failed").unwrap_or(0) > 0 {
            out.push(
                "Against the DNS race (insert_failed): run NodeLocal DNSCache, or set `options single-request-reopen` (glibc) through the pods' `dnsConfig`; newer kernels resolve most of these clashes themselves (their clash_resolve counter shows it).".to_string(),
            );
        }
        if self.stats.is_some()
            && self.first_stats.is_none()
            && (self.total("drop").unwrap_or(0) > 0 || self.total("early_drop").unwrap_or(0) > 0)
            && self.table_full.is_empty()
        {
            out.push(
                "Run `conntrack -S` again a minute later and paste both: the counters count since the module was loaded, and only a rise shows drops happening now.".to_string(),
            );
        }
    }

    fn missing(&self, verdict: ConntrackVerdict, out: &mut Vec<String>) {
        if self.count.is_none() && self.max.is_none() {
            // One command gives the count, the limit, the buckets and the timeouts.
            out.push("sysctl -a 2>/dev/null | grep nf_conntrack".to_string());
        } else {
            for (missing, command) in [
                (
                    self.count.is_none(),
                    "sysctl net.netfilter.nf_conntrack_count",
                ),
                (self.max.is_none(), "sysctl net.netfilter.nf_conntrack_max"),
                (
                    self.buckets.is_none(),
                    "sysctl net.netfilter.nf_conntrack_buckets",
                ),
                (
                    self.timeouts.is_empty(),
                    "sysctl -a 2>/dev/null | grep 'nf_conntrack_.*timeout'",
                ),
            ] {
                if missing {
                    out.push(command.to_string());
                }
            }
        }
        if self.stats.is_none() {
            out.push("conntrack -S".to_string());
        }
        if self.stats.is_none() && self.inputs.logs.iter().all(KernelLog::is_empty) {
            out.push("dmesg -T | grep -E 'conntrack|callbacks suppressed'".to_string());
        }
        if self.entries.is_empty()
            && matches!(
                verdict,
                ConntrackVerdict::Critical | ConntrackVerdict::Warning
            )
        {
            out.push("conntrack -L".to_string());
        }
        if self.inputs.stats.iter().any(|s| s.via_exec.is_some()) {
            out.push(
                "conntrack -S (on the node itself, or in a hostNetwork pod such as kube-proxy)"
                    .to_string(),
            );
        }
        if self.inputs.stats.iter().any(|s| {
            s.errors
                .iter()
                .any(|e| e.text.contains("CAP_NET_ADMIN") || e.text.contains("root"))
        }) {
            out.push("sudo conntrack -S".to_string());
        }
        out.dedup();
    }
}

/// The smallest multiple of `step` at or above `value`.
fn round_up(value: u64, step: u64) -> u64 {
    value.div_ceil(step).saturating_mul(step)
}

/// `1 entry`, `5,000 entries`.
fn entries(count: u64) -> String {
    if count == 1 {
        "1 entry".to_string()
    } else {
        format!("{} entries", n(count))
    }
}

/// `(cpu 3: 600, cpu 5: 634)` for the CPUs where a counter is above zero.
fn per_cpu_text(stats: &Stats, key: &str) -> String {
    if stats.per_cpu.is_empty() {
        return " (first CPU only)".to_string();
    }
    let nonzero: Vec<(u32, u64)> = stats
        .per_cpu
        .iter()
        .filter_map(|r| r.get(key).filter(|v| *v > 0).map(|v| (r.cpu, v)))
        .collect();
    if nonzero.is_empty() || stats.per_cpu.len() == 1 {
        return String::new();
    }
    let mut parts: Vec<String> = nonzero
        .iter()
        .take(CPUS_NAMED)
        .map(|(cpu, v)| format!("cpu {cpu}: {}", n(*v)))
        .collect();
    if nonzero.len() > CPUS_NAMED {
        parts.push("…".to_string());
    }
    format!(" in total ({})", parts.join(", "))
}

/// CPUs where a counter is more than three times the median of all CPUs.
fn hot_cpus(stats: &Stats, key: &str) -> Option<String> {
    let mut values: Vec<u64> = stats.per_cpu.iter().filter_map(|r| r.get(key)).collect();
    if values.len() < 3 {
        return None;
    }
    values.sort_unstable();
    let median = values[values.len() / 2];
    let hot: Vec<String> = stats
        .per_cpu
        .iter()
        .filter_map(|r| r.get(key).map(|v| (r.cpu, v)))
        .filter(|(_, v)| *v > median.saturating_mul(3) && *v > 0)
        .take(CPUS_NAMED)
        .map(|(cpu, v)| format!("cpu {cpu} ({}, median {})", n(v), n(median)))
        .collect();
    (!hot.is_empty()).then(|| hot.join(", "))
}

/// Original destinations (`10.96.0.10:53 udp`), most frequent first.
fn destinations(entries: &[&Entry]) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for e in entries {
        let key = match e.original.dport {
            Some(port) => format!("{} {}", join_host_port(&e.original.dst, port), e.protocol),
            None => format!("{} {}", e.original.dst, e.protocol),
        };
        *counts.entry(key).or_default() += 1;
    }
    let mut list: Vec<_> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    list
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The Service whose cluster IP (or external IP) and port a destination (`ip:port proto`) is.
fn service_at<'a>(services: &'a [Service], dst: &str) -> Option<&'a str> {
    let (addr, proto) = dst.rsplit_once(' ')?;
    let (ip, port) = addr.rsplit_once(':')?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port.parse().ok()?;
    services
        .iter()
        .find(|s| {
            let ips = s
                .cluster_ip
                .iter()
                .chain(s.external_ips.iter())
                .chain(s.load_balancer_ips.iter());
            s.port == Some(port)
                && s.protocol.is_none_or(|p| p.name() == proto)
                && ips
                    .map(|i| i.trim_end_matches("/32").trim_end_matches("/128"))
                    .any(|i| i == ip)
        })
        .map(|s| s.id.as_str())
}

/// How the Services on this node feed the table.
fn reason_services(reasons: &mut Vec<String>, services: &[Service]) {
    if services.is_empty() {
        reasons.push("No Service rules in the paste: add `iptables-save` (or `ipvsadm -Ln`, `nft list ruleset`) to see which Services feed the table.".to_string());
        return;
    }
    let with_endpoints = services.iter().filter(|s| !s.endpoints.is_empty()).count();
    reasons.push(format!(
        "{} Service port{} ({} with endpoints) are DNAT'd by kube-proxy: every connection to them is tracked with its NAT mapping and holds one entry for as long as the timeouts above.",
        services.len(),
        plural(services.len() as u64),
        with_endpoints
    ));
    let udp: Vec<&Service> = services
        .iter()
        .filter(|s| s.protocol == Some(Protocol::Udp))
        .collect();
    if !udp.is_empty() {
        let names: Vec<&str> = udp.iter().take(5).map(|s| s.id.as_str()).collect();
        reasons.push(format!(
            "{} of them {} UDP ({}{}): each query from a new source port is a new entry, and parallel queries from one socket can clash (insert_failed).",
            udp.len(),
            if udp.len() == 1 { "is" } else { "are" },
            names.join(", "),
            if udp.len() > 5 { ", …" } else { "" }
        ));
    }
    let node_ports: Vec<&Service> = services.iter().filter(|s| s.node_port.is_some()).collect();
    if !node_ports.is_empty() {
        let cluster = node_ports
            .iter()
            .filter(|s| s.external_traffic_policy != Some(TrafficPolicy::Local))
            .count();
        reasons.push(format!(
            "{} have a NodePort: connections from outside are tracked on the node that receives them even when the endpoint runs elsewhere (and again there); {} with externalTrafficPolicy Cluster are also masqueraded.",
            node_ports.len(),
            cluster
        ));
    }
    let local = services
        .iter()
        .filter(|s| s.endpoints.iter().any(|e| e.local == Some(true)))
        .count();
    if local > 0 {
        reasons.push(format!(
            "{local} have endpoints on this node: a pod that reaches its own Service is masqueraded (hairpin), one more source-NAT mapping that can clash."
        ));
    }
}

fn plural(count: u64) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// `262,144`.
fn n(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).checked_rem(3) == Some(0) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `85.0 %`.
fn pct(ratio: f64) -> String {
    format!("{:.1} %", ratio * 100.0)
}

/// `80.0 MiB`.
fn bytes(value: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let v = value as f64;
    if v >= 1024.0 * MIB {
        format!("{:.1} GiB", v / (1024.0 * MIB))
    } else if v >= MIB / 10.0 {
        format!("{:.1} MiB", v / MIB)
    } else {
        format!("{:.1} KiB", v / 1024.0)
    }
}

/// `432000 s (5 days)`.
fn secs(value: u64) -> String {
    let human = if value >= 86_400 && value.checked_rem(86_400) == Some(0) {
        let d = value / 86_400;
        format!(" ({d} day{})", plural(d))
    } else if value >= 3_600 && value.checked_rem(3_600) == Some(0) {
        let h = value / 3_600;
        format!(" ({h} hour{})", plural(h))
    } else {
        String::new()
    };
    format!("{} s{human}", n(value))
}

/// `1–14` for consecutive lines, else `1, 5, 9` (at most 8 named).
fn line_list(lines: impl Iterator<Item = u32>) -> String {
    let lines: Vec<u32> = lines.collect();
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return String::new();
    };
    if lines.len() > 1 && lines.windows(2).all(|w| w[0].checked_add(1) == Some(w[1])) {
        return format!("{first}–{last}");
    }
    let mut parts: Vec<String> = lines.iter().take(CPUS_NAMED).map(u32::to_string).collect();
    if lines.len() > CPUS_NAMED {
        parts.push("…".to_string());
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(n(0), "0");
        assert_eq!(n(262_144), "262,144");
        assert_eq!(n(1_048_576), "1,048,576");
        assert_eq!(pct(0.85), "85.0 %");
        assert_eq!(bytes(262_144 * 320), "80.0 MiB");
        assert_eq!(secs(432_000), "432,000 s (5 days)");
        assert_eq!(secs(3_600), "3,600 s (1 hour)");
        assert_eq!(secs(120), "120 s");
        assert_eq!(line_list([1, 2, 3].into_iter()), "1–3");
        assert_eq!(line_list([1, 5].into_iter()), "1, 5");
    }
}
