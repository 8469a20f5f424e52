//! Findings: one file per check, each with the code it reports, what it looks for and an example.
//!
//! A check reads the parsed snapshot and the report built so far and returns findings that name the
//! dump lines proving them. Checks never change the report's other parts.

mod affinity;
/// Runs after the conntrack verdict (from `Snapshot::report`), not in [`run`].
pub(crate) mod conntrack_entries;
mod dangling_jump;
mod etp_local;
mod garbled_dnat;
mod hairpin;
mod jump_loop;
mod kube_proxy_api_watch;
mod kube_proxy_churn;
mod kube_proxy_conntrack;
mod kube_proxy_ipvs_deprecated;
mod kube_proxy_missing;
mod kube_proxy_mode;
mod kube_proxy_slow_sync;
mod kube_proxy_sync_failed;
mod legacy_tables;
mod no_endpoints;
mod node_traffic_blocked;
mod rule_ahead;
mod rule_cost;
pub mod service_blocked;
mod service_bypassed;
mod skewed_odds;
pub mod traced;

pub use node_traffic_blocked::probes as node_traffic_probes;

use crate::report::{Finding, Report};
use crate::snapshot::Snapshot;

/// What every check gets.
pub struct Context<'a> {
    pub snapshot: &'a Snapshot,
    pub report: &'a Report,
    /// Each Service's traces (`trace::service_paths`), made once for the checks that need them.
    pub(crate) service_traces: std::sync::OnceLock<Option<traced::ServiceTraces>>,
}

/// Runs every check; findings come sorted by severity (critical first), then by first line.
pub fn run(snapshot: &Snapshot, report: &Report) -> Vec<Finding> {
    let cx = Context {
        snapshot,
        report,
        service_traces: std::sync::OnceLock::new(),
    };
    let checks: &[fn(&Context<'_>) -> Vec<Finding>] = &[
        legacy_tables::check,
        garbled_dnat::check,
        etp_local::check,
        no_endpoints::check,
        hairpin::check,
        affinity::check,
        skewed_odds::check,
        rule_ahead::check,
        dangling_jump::check,
        jump_loop::check,
        rule_cost::check,
        service_blocked::check,
        service_bypassed::check,
        node_traffic_blocked::check,
        kube_proxy_sync_failed::check,
        kube_proxy_conntrack::check,
        kube_proxy_mode::check,
        kube_proxy_slow_sync::check,
        kube_proxy_churn::check,
        kube_proxy_api_watch::check,
        kube_proxy_missing::check,
        kube_proxy_ipvs_deprecated::check,
    ];
    // The proxy mode's own findings come first; a check with a mode-neutral wording of a code the mode
    // also reports leaves out the Services the mode reported (`service_findings::NotReported`).
    let mut findings: Vec<Finding> = report.findings.clone();
    // The checks are independent (on both cores with the `parallel` feature); their findings are
    // taken in the order of the checks.
    let found = crate::parallel::map(checks.to_vec(), |check| check(&cx));
    findings.extend(found.into_iter().flatten());
    sort(&mut findings);
    findings
}

pub fn sort(findings: &mut [Finding]) {
    svcpath_syntax::stable_sort::sort_by(findings, |a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.lines.first().cmp(&b.lines.first()))
            .then(a.code.cmp(&b.code))
    });
}
