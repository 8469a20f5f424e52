//! kube-proxy's own log, summarised as an SRE reads it: the mode and version it announced, its syncs
//! (count, durations, frequency, full or partial, rule counts over time), failed syncs and the errors
//! behind them. The findings about it live in `findings/kube_proxy_*.rs`; the text and Markdown section
//! in `render/kube_proxy.rs`.

pub use crate::report::{
    BusyMinute, KubeProxyLog, LogError, ModeFallback, RuleCount, SyncPoint, SyncSeconds,
};
use svcpath_syntax::kubelog::{self, Clock, ErrorKind, Event, EventKind};

/// Most errors listed; past it they are counted.
pub const MAX_ERRORS: usize = 200;
/// Most sync points and rule counts kept (the latest ones).
pub const MAX_POINTS: usize = 2000;
/// A window this long with this many completed syncs is a burst.
pub const BURST_WINDOW_SECONDS: f64 = 60.0;
pub const BURST_SYNCS: usize = 20;
/// kube-proxy's default `minSyncPeriod` (iptables and nftables modes, 1.28 and later; kubeadm's before).
pub const DEFAULT_MIN_SYNC_PERIOD_SECONDS: f64 = 1.0;

/// The events of every kube-proxy log section, in paste order.
pub fn events(logs: &[kubelog::KubeProxyLog]) -> impl Iterator<Item = &Event> {
    logs.iter().flat_map(|l| l.events.iter())
}

/// Summarises the kube-proxy log sections; `None` when there is none.
pub fn summarize(logs: &[kubelog::KubeProxyLog]) -> Option<KubeProxyLog> {
    if logs.iter().all(kubelog::KubeProxyLog::is_empty) {
        return None;
    }
    let mut s = KubeProxyLog {
        records: logs.iter().map(|l| l.records).sum(),
        ..KubeProxyLog::default()
    };
    for log in logs {
        for pod in &log.pods {
            if !s.pods.contains(pod) {
                s.pods.push(pod.clone());
            }
        }
        for f in &log.formats {
            let name = match f {
                kubelog::RecordFormat::Klog => "klog",
                kubelog::RecordFormat::Json => "json",
            };
            if !s.formats.iter().any(|n| n == name) {
                s.formats.push(name.to_string());
            }
        }
    }
    let mut durations: Vec<(f64, u32)> = Vec::new();
    let mut sync_failed_lines = Vec::new();
    let mut restore_failed_lines = Vec::new();
    let mut full = 0usize;
    let mut partial = 0usize;
    // Per pod: the times of completed syncs, for frequency and bursts.
    let mut times: Vec<(Stream<'_>, Clock, f64, u32)> = Vec::new();
    let mut first_time: Vec<(Stream<'_>, f64)> = Vec::new();
    // Pods whose running sync has failed: the next `SyncProxyRules complete` closes that failed sync.
    let mut failing: Vec<Stream<'_>> = Vec::new();
    // Per pod: its last failure and its last successful sync.
    let mut per_pod: Vec<(Stream<'_>, Option<u32>, Option<u32>)> = Vec::new();
    for e in events(logs) {
        match &e.kind {
            EventKind::ProxyMode { mode } => {
                s.mode = Some(mode.name().to_string());
                s.mode_line = Some(e.line);
            }
            EventKind::ModeFallback { from } => {
                s.fallback = Some(ModeFallback {
                    line: e.line,
                    from: from.name().to_string(),
                    reason: joined(&e.message, e.error.as_deref(), 300),
                });
            }
            EventKind::Version { version } => {
                s.version = Some(version.clone());
                s.version_line = Some(e.line);
            }
            EventKind::SyncStart { full: Some(true) } => full += 1,
            EventKind::SyncStart { full: Some(false) } => partial += 1,
            EventKind::SyncStart { full: None } => {}
            EventKind::SyncDone { seconds } => {
                s.syncs += 1;
                let failed = match failing.iter().position(|p| *p == stream(e)) {
                    Some(i) => {
                        failing.swap_remove(i);
                        true
                    }
                    None => false,
                };
                if !failed {
                    s.last_sync_line = Some(e.line);
                    note(&mut per_pod, stream(e), None, Some(e.line));
                }
                durations.push((*seconds, e.line));
                let pod = stream(e);
                let at = match (e.seconds, e.clock) {
                    (Some(t), Some(clock)) => {
                        times.push((pod, clock, t, e.line));
                        let first = match first_time.iter().find(|(p, _)| *p == pod) {
                            Some((_, f)) => *f,
                            None => {
                                first_time.push((pod, t));
                                t
                            }
                        };
                        Some(t - first).filter(|d| *d >= 0.0)
                    }
                    _ => None,
                };
                s.sync_points.push(SyncPoint {
                    line: e.line,
                    seconds: *seconds,
                    at,
                    failed,
                });
            }
            EventKind::RuleCounts {
                services,
                endpoints,
                nat_rules,
                filter_rules,
            } => s.rule_counts.push(RuleCount {
                line: e.line,
                services: *services,
                endpoints: *endpoints,
                nat_rules: *nat_rules,
                filter_rules: *filter_rules,
            }),
            EventKind::SyncFailed { retry_seconds } => {
                sync_failed_lines.push(e.line);
                note(&mut per_pod, stream(e), Some(e.line), None);
                if !failing.contains(&stream(e)) {
                    failing.push(stream(e));
                }
                if retry_seconds.is_some() {
                    s.sync_period_seconds = *retry_seconds;
                }
            }
            EventKind::SyncPeriods {
                min_seconds,
                periodic_seconds,
            } => {
                s.min_sync_period_seconds = min_seconds.or(s.min_sync_period_seconds);
                s.sync_period_seconds = periodic_seconds.or(s.sync_period_seconds);
            }
            EventKind::Error { kind, missing } => {
                if matches!(kind, ErrorKind::IptablesRestore | ErrorKind::Nft) {
                    restore_failed_lines.push(e.line);
                    note(&mut per_pod, stream(e), Some(e.line), None);
                    if !failing.contains(&stream(e)) {
                        failing.push(stream(e));
                    }
                }
                if s.errors.len() < MAX_ERRORS {
                    s.errors.push(LogError {
                        line: e.line,
                        kind: kind.name().to_string(),
                        message: joined(&e.message, e.error.as_deref(), 300),
                        last_line: e.last_line,
                        missing: missing.clone(),
                        pod: e.pod.clone(),
                    });
                } else {
                    s.errors_left_out += 1;
                }
            }
            EventKind::IpvsDeprecated => s.ipvs_deprecated_line = Some(e.line),
        }
    }
    s.errors_left_out += logs.iter().map(|l| l.events_left_out).sum::<usize>();
    if let Some((pod, failure, success)) = per_pod
        .iter()
        .filter_map(|(pod, failure, success)| {
            let failure = (*failure)?;
            success
                .is_none_or(|ok| ok < failure)
                .then_some((*pod, failure, *success))
        })
        .min_by_key(|(_, failure, _)| *failure)
    {
        s.unrecovered_failure_line = Some(failure);
        s.unrecovered_last_sync_line = success;
        s.unrecovered_pod = pod.0.map(str::to_string);
    }
    let failures = if sync_failed_lines.is_empty() {
        restore_failed_lines.clone()
    } else {
        sync_failed_lines.clone()
    };
    s.sync_failures = failures.len();
    let mut failure_lines = sync_failed_lines;
    failure_lines.extend(restore_failed_lines);
    failure_lines.sort_unstable();
    failure_lines.dedup();
    s.last_failure_line = failure_lines.last().copied();
    s.failure_lines = failure_lines;
    if full + partial > 0 {
        s.full_syncs = Some(full);
        s.partial_syncs = Some(partial);
    }
    if !durations.is_empty() {
        let max = durations
            .iter()
            .copied()
            .fold((f64::MIN, 0), |a, b| if b.0 > a.0 { b } else { a });
        let mut sorted: Vec<f64> = durations.iter().map(|d| d.0).collect();
        svcpath_syntax::stable_sort::sort_by(&mut sorted, f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        s.sync_seconds = Some(SyncSeconds {
            median,
            max: max.0,
            max_line: max.1,
        });
    }
    let (rate, busiest) = frequency(&times);
    s.syncs_per_minute = rate;
    s.busiest_minute = busiest;
    keep_latest(&mut s.sync_points);
    keep_latest(&mut s.rule_counts);
    Some(s)
}

/// One kube-proxy's sync loop: its pod (from `--prefix`) and IP family (dual-stack kube-proxy syncs each
/// family on its own).
type Stream<'a> = (Option<&'a str>, Option<&'a str>);

fn stream(e: &Event) -> Stream<'_> {
    (e.pod.as_deref(), e.family.as_deref())
}

/// A stream's last failure or last successful sync.
fn note<'a>(
    per_pod: &mut Vec<(Stream<'a>, Option<u32>, Option<u32>)>,
    pod: Stream<'a>,
    failure: Option<u32>,
    success: Option<u32>,
) {
    let i = match per_pod.iter().position(|(p, _, _)| *p == pod) {
        Some(i) => i,
        None => {
            per_pod.push((pod, None, None));
            per_pod.len() - 1
        }
    };
    if failure.is_some() {
        per_pod[i].1 = failure;
    }
    if success.is_some() {
        per_pod[i].2 = success;
    }
}

fn keep_latest<T>(list: &mut Vec<T>) {
    if list.len() > MAX_POINTS {
        list.drain(..list.len() - MAX_POINTS);
    }
}

/// Syncs per minute (the busiest pod's) and the minute with the most syncs.
fn frequency(times: &[(Stream<'_>, Clock, f64, u32)]) -> (Option<f64>, Option<BusyMinute>) {
    let mut pods: Vec<(Stream<'_>, Clock)> = Vec::new();
    for (pod, clock, _, _) in times {
        if !pods.contains(&(*pod, *clock)) {
            pods.push((*pod, *clock));
        }
    }
    let mut rate: Option<f64> = None;
    let mut busiest: Option<BusyMinute> = None;
    for (pod, clock) in pods {
        let mut stream: Vec<(f64, u32)> = times
            .iter()
            .filter(|(p, c, _, _)| *p == pod && *c == clock)
            .map(|(_, _, t, l)| (*t, *l))
            .collect();
        svcpath_syntax::stable_sort::sort_by(&mut stream, |a, b| a.0.total_cmp(&b.0));
        if let (Some(first), Some(last)) = (stream.first(), stream.last()) {
            let span = last.0 - first.0;
            if stream.len() >= 2 && span >= 1.0 {
                let r = (stream.len() - 1) as f64 / span * 60.0;
                rate = Some(rate.map_or(r, |old: f64| old.max(r)));
            }
        }
        let mut start = 0;
        for end in 0..stream.len() {
            while stream[end].0 - stream[start].0 > BURST_WINDOW_SECONDS {
                start += 1;
            }
            let count = end - start + 1;
            if busiest.is_none_or(|b| count > b.syncs) {
                let (a, b) = (stream[start].1, stream[end].1);
                busiest = Some(BusyMinute {
                    first_line: a.min(b),
                    last_line: a.max(b),
                    syncs: count,
                });
            }
        }
    }
    (rate, busiest)
}

/// `message: error` on one line, at most `max` characters.
fn joined(message: &str, error: Option<&str>, max: usize) -> String {
    let mut text = message.replace('\n', "; ");
    if let Some(err) = error.filter(|e| !e.is_empty()) {
        text.push_str(": ");
        text.push_str(&err.replace('\n', "; "));
    }
    if text.chars().count() > max {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use svcpath_syntax::Origin;

    fn summary(text: &str) -> Option<KubeProxyLog> {
        summarize(&[kubelog::parse(text, Origin::START).value])
    }

    #[test]
    fn no_kube_proxy_log_is_none() {
        assert_eq!(
            summary("[ 1.0] nf_conntrack: table full, dropping packet\n"),
            None
        );
    }

    #[test]
    fn syncs_durations_and_frequency() {
        let text = "\
I0219 18:33:49.000000       1 proxier.go:805] \"Syncing iptables rules\"
I0219 18:33:49.100000       1 proxier.go:1494] \"Reloading service iptables data\" numServices=4 numEndpoints=7 numFilterChains=6 numFilterRules=4 numNATChains=4 numNATRules=9
I0219 18:33:49.200000       1 proxier.go:799] \"SyncProxyRules complete\" elapsed=\"10ms\"
I0219 18:33:59.200000       1 proxier.go:799] \"SyncProxyRules complete\" elapsed=\"30ms\"
I0219 18:34:09.200000       1 proxier.go:799] \"SyncProxyRules complete\" elapsed=\"20ms\"
";
        let s = summary(text).unwrap();
        assert_eq!(s.syncs, 3);
        assert_eq!(s.sync_failures, 0);
        let d = s.sync_seconds.unwrap();
        assert!((d.median - 0.02).abs() < 1e-9);
        assert!((d.max - 0.03).abs() < 1e-9);
        assert_eq!(d.max_line, 4);
        // 2 intervals in 20 seconds: 6 per minute.
        assert!((s.syncs_per_minute.unwrap() - 6.0).abs() < 1e-9);
        assert_eq!(s.busiest_minute.unwrap().syncs, 3);
        assert_eq!(s.rule_counts[0].nat_rules, Some(9));
        assert_eq!(s.sync_points[2].at, Some(20.0));
        assert_eq!(s.full_syncs, None);
    }

    #[test]
    fn failures_count_sync_failed_lines_or_restores() {
        let with_sync_failed = "\
E1113 16:15:07.931291 1 proxier.go:1481] \"Failed to execute iptables-restore\" err=\"exit status 2\"
I1113 16:15:07.931308 1 proxier.go:858] \"Sync failed\" retryingTime=\"30s\"
";
        let s = summary(with_sync_failed).unwrap();
        assert_eq!(s.sync_failures, 1);
        assert_eq!(s.failure_lines, vec![1, 2]);
        assert_eq!(s.sync_period_seconds, Some(30.0));
        assert_eq!(s.errors[0].kind, "iptables-restore");
        assert_eq!(
            s.errors[0].message,
            "Failed to execute iptables-restore: exit status 2"
        );
        let with_duration_after = format!(
            "{with_sync_failed}I1113 16:15:07.931317 1 proxier.go:820] \"SyncProxyRules complete\" elapsed=\"22.67239ms\"\n"
        );
        let s = summary(&with_duration_after).unwrap();
        assert_eq!((s.syncs, s.sync_failures), (1, 1));
        assert!(s.sync_points[0].failed);
        assert_eq!(s.last_sync_line, None);
        let restore_only = "E1113 16:15:07.931291 1 proxier.go:1481] \"Failed to execute iptables-restore\" err=\"exit status 2\"\n";
        assert_eq!(summary(restore_only).unwrap().sync_failures, 1);
    }
}
