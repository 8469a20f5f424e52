//! `service-bypassed-by-foreign-rule`: Service traffic that a rule Kubernetes did not write lets through
//! (ACCEPT, RETURN) or sends elsewhere (DNAT, REDIRECT) before kube-proxy's Service rules see it, so it
//! is not load-balanced to the Service's endpoints.
//!
//! Every Service entry is traced (as for `service-blocked-by-foreign-rule`); an outcome that ends without
//! kube-proxy's DNAT although the Service has endpoints, or with a DNAT to an address that is not one of
//! them, is reported (warning) with the foreign rule that decided in nat PREROUTING/OUTPUT. Example:
//! `-A PREROUTING -d 10.96.0.0/12 -j ACCEPT` (an administrator's rule) ahead of
//! `-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`: pods connecting to
//! a ClusterIP reach the ClusterIP itself, where nothing listens.

use super::service_blocked::join_and;
use super::traced;
use super::Context;
use crate::owner::Owner;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};
use crate::trace::{Hook, Outcome, Step, Verdict};

/// The foreign nat rule that ended the walk before (or instead of) kube-proxy's Service rules.
fn bypassing_step(outcome: &Outcome) -> Option<&Step> {
    let nat = |s: &Step| {
        matches!(s.hook, Hook::Prerouting | Hook::Output)
            && (s.table == "nat" || (s.table.contains(' ') && s.line.is_some()))
    };
    let steps: Vec<&Step> = outcome
        .steps
        .iter()
        .filter(|s| nat(s) && s.line.is_some())
        .collect();
    let reached_kube = steps.iter().any(|s| {
        s.owner == Some(Owner::KubeProxy) && s.chain != "PREROUTING" && s.chain != "OUTPUT"
    });
    let foreign = steps
        .iter()
        .rev()
        .find(|s| s.owner.is_some_and(|o| !o.is_kubernetes()))?;
    match outcome.verdict {
        Verdict::Accept if !reached_kube => Some(*foreign),
        Verdict::Dnat => {
            Some(*foreign).filter(|s| s.note.starts_with("DNAT") || s.note.starts_with("REDIRECT"))
        }
        _ => None,
    }
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(all) = traced::service_traces(cx) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (service, traces) in cx.report.services.iter().zip(all) {
        if service.endpoints.is_empty() {
            continue;
        }
        let endpoints: Vec<String> = service
            .endpoints
            .iter()
            .map(|e| match e.port {
                Some(p) if e.ip.contains(':') => format!("[{}]:{p}", e.ip),
                Some(p) => format!("{}:{p}", e.ip),
                None => e.ip.clone(),
            })
            .collect();
        let mut sentences = Vec::new();
        let mut lines = Vec::new();
        for (label, trace) in traces {
            for outcome in &trace.outcomes {
                if outcome.verdict == Verdict::Dnat
                    && outcome
                        .endpoint
                        .as_ref()
                        .is_none_or(|e| endpoints.contains(e))
                {
                    continue;
                }
                let Some(step) = bypassing_step(outcome) else {
                    continue;
                };
                let owner = step.owner.unwrap_or(Owner::Unknown);
                if step.line.is_some_and(|l| lines.contains(&l)) {
                    continue;
                }
                let what = match &outcome.endpoint {
                    Some(ep) => format!("sends them to {ep}, which is not an endpoint of the Service"),
                    None => "lets them through before kube-proxy's Service rules: they go to the Service address itself, unbalanced".to_string(),
                };
                let line = step
                    .line
                    .map_or_else(|| "a rule".to_string(), |l| format!("line {l}"));
                sentences.push(format!(
                    "{} reaching {} are not load-balanced by kube-proxy: {line}, a rule of {} in {}, {what} (traced: {label}).",
                    join_and(&[traced::origin(trace.packet.from)]),
                    service.id,
                    owner.describe(),
                    traced::place(step),
                ));
                lines.extend(step.line);
            }
        }
        if !sentences.is_empty() {
            out.push(Finding::new(
                FindingCode::ServiceBypassedByForeignRule,
                Severity::Warning,
                Some(&service.id),
                lines,
                sentences.join(" "),
            ));
        }
    }
    out
}
