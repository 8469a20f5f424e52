//! `kube-proxy-sync-burst`: kube-proxy syncs again and again within one minute — Endpoints churn.
//!
//! Example: twenty or more `"SyncProxyRules complete"` lines inside 60 seconds. kube-proxy syncs when a
//! Service or EndpointSlice changes (at most once per minSyncPeriod): that many syncs mean endpoints
//! change constantly — a crash-looping or flapping pod, readiness probes flipping, a controller
//! rewriting objects — and each sync rebuilds the rules.

use super::Context;
use crate::kube_proxy::BURST_SYNCS;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(kp) = &cx.report.kube_proxy else {
        return Vec::new();
    };
    let Some(b) = kp.busiest_minute.filter(|b| b.syncs >= BURST_SYNCS) else {
        return Vec::new();
    };
    let rules = kp
        .rule_counts
        .iter()
        .rfind(|r| r.line <= b.last_line)
        .and_then(|r| r.nat_rules)
        .map(|n| format!(", each rebuilding about {n} nat rules"))
        .unwrap_or_default();
    vec![Finding::new(
        FindingCode::KubeProxySyncBurst,
        Severity::Warning,
        None,
        vec![b.first_line, b.last_line],
        format!(
            "kube-proxy synced {} times within one minute (lines {}–{}){rules}. It syncs when Services or \
             EndpointSlices change, so endpoints change constantly: look for a crash-looping or flapping \
             pod behind a Service, readiness probes that flip, or a controller that keeps rewriting \
             Endpoints (`kubectl get events -A`, `kubectl get endpointslices -A -w`).",
            b.syncs, b.first_line, b.last_line
        ),
    )]
}
