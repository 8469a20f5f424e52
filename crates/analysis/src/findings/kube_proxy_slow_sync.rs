//! `kube-proxy-slow-sync`: kube-proxy's syncs take longer than the `minSyncPeriod` they should fit in.
//!
//! Example: `"SyncProxyRules complete" elapsed="2.8s"` with the default minSyncPeriod of 1 s: changes
//! queue up behind a sync that rewrites a large rule set each time. Warning when the slowest sync is
//! longer than `syncPeriod` too, or half of all syncs are too slow.

use super::Context;
use crate::kube_proxy::DEFAULT_MIN_SYNC_PERIOD_SECONDS;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(kp) = &cx.report.kube_proxy else {
        return Vec::new();
    };
    let Some(d) = kp.sync_seconds else {
        return Vec::new();
    };
    let (min_period, source) = match kp.min_sync_period_seconds {
        Some(p) if p > 0.0 => (p, "as the log shows it"),
        _ => (
            DEFAULT_MIN_SYNC_PERIOD_SECONDS,
            "kube-proxy's default; the log does not show the configured value",
        ),
    };
    if d.max <= min_period {
        return Vec::new();
    }
    let over_sync_period = kp.sync_period_seconds.is_some_and(|p| d.max > p);
    let severity = if over_sync_period || d.median > min_period {
        Severity::Warning
    } else {
        Severity::Info
    };
    let rules = kp
        .rule_counts
        .last()
        .and_then(|r| r.nat_rules.map(|n| (n, r.line)))
        .map(|(n, line)| format!(" Each sync rewrites about {n} nat rules (line {line})."))
        .unwrap_or_default();
    vec![Finding::new(
        FindingCode::KubeProxySlowSync,
        severity,
        None,
        vec![d.max_line],
        format!(
            "kube-proxy's slowest sync took {:.2} s (line {}), median {:.3} s over {} syncs, longer than \
             minSyncPeriod ({min_period} s, {source}): Service and endpoint changes wait behind the running \
             sync.{rules} Large iptables rule sets are the usual cause; nftables mode (or IPVS) updates \
             only what changed.",
            d.max, d.max_line, d.median, kp.syncs
        ),
    )]
}
