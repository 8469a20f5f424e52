//! `service-blocked-by-foreign-rule`: a Service entry that a rule Kubernetes did not write drops or
//! rejects — a host firewall, Docker, the CNI or an administrator's rule decides the Service's fate.
//!
//! Every Service entry (ClusterIP from a pod and from the node, NodePort, external and load-balancer
//! IPs from outside) is traced; an outcome ending in a DROP/REJECT (or a base chain's DROP policy) whose
//! rule is not kube-proxy's or the kubelet's is reported, critical, with the rule's line and owner.
//! Example: `-A INPUT -j REJECT --reject-with icmp-host-prohibited` left by a CentOS host firewall after
//! kube-proxy's jumps: pods connecting to `default/kubernetes:https` are DNATed to the API server on
//! this node and then rejected in `filter INPUT`.
//!
//! On a large ruleset only the first Services are traced (see `traced::services_traced`); an info finding
//! `foreign-rule-check-partial` says how many.

use super::traced::{self, Decision};
use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};
use crate::trace::{Origin, Trace};

/// One Service's blocked entry points, grouped by the rule that blocks them.
pub struct Blocked<'a> {
    pub line: Option<u32>,
    pub decision: Decision<'a>,
    pub origins: Vec<Origin>,
    pub labels: Vec<String>,
    /// The largest share of one traced entry's new connections that the rule ends.
    pub share: f64,
    /// Where kube-proxy's DNAT had sent the packets, if it did.
    pub endpoints: Vec<String>,
}

/// The blocked entries of one Service's traces.
pub fn blocked<'a>(cx: &Context<'_>, traces: &'a [(String, Trace)]) -> Vec<Blocked<'a>> {
    let mut out: Vec<Blocked<'a>> = Vec::new();
    for (label, trace) in traces {
        // This trace's share per rule.
        let mut shares: Vec<(Option<u32>, String, f64)> = Vec::new();
        for outcome in &trace.outcomes {
            let Some(decision) = traced::decision(cx.snapshot, outcome) else {
                continue;
            };
            if decision.owner.is_kubernetes() {
                continue;
            }
            let key = (decision.line, decision.what.clone());
            match shares.iter_mut().find(|s| s.0 == key.0 && s.1 == key.1) {
                Some(s) => s.2 += outcome.probability,
                None => shares.push((key.0, key.1.clone(), outcome.probability)),
            }
            let from = trace.packet.from;
            let b = match out
                .iter_mut()
                .position(|b| b.line == decision.line && b.decision.what == decision.what)
            {
                Some(i) => &mut out[i],
                None => {
                    out.push(Blocked {
                        line: decision.line,
                        decision,
                        origins: Vec::new(),
                        labels: Vec::new(),
                        share: 0.0,
                        endpoints: Vec::new(),
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            if !b.origins.contains(&from) {
                b.origins.push(from);
            }
            if !b.labels.contains(label) {
                b.labels.push(label.clone());
            }
            if let Some(ep) = &outcome.endpoint {
                if !b.endpoints.contains(ep) {
                    b.endpoints.push(ep.clone());
                }
            }
        }
        for (line, what, share) in shares {
            if let Some(b) = out
                .iter_mut()
                .find(|b| b.line == line && b.decision.what == what)
            {
                b.share = b.share.max(share);
            }
        }
    }
    out
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(all) = traced::service_traces(cx) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (service, traces) in cx.report.services.iter().zip(all) {
        let found = blocked(cx, traces);
        if found.is_empty() {
            continue;
        }
        let mut sentences = Vec::new();
        let mut lines = Vec::new();
        for b in &found {
            let who: Vec<&str> = b.origins.iter().map(|f| traced::origin(*f)).collect();
            let place = traced::place(b.decision.step);
            let line = b
                .line
                .map_or_else(|| "a rule".to_string(), |l| format!("line {l}"));
            let verb = if b.decision.what.contains("REJECT") {
                "rejects"
            } else {
                "drops"
            };
            let after = match b.endpoints.as_slice() {
                [] => String::new(),
                [ep] => format!(" after kube-proxy's DNAT to {ep}"),
                eps => format!(
                    " after kube-proxy's DNAT to its endpoints ({})",
                    eps.join(", ")
                ),
            };
            let share = if b.share < 0.999 {
                format!(
                    " ({} of new connections)",
                    crate::words::percent_spaced(b.share)
                )
            } else {
                String::new()
            };
            sentences.push(format!(
                "{} cannot reach {}: {line}, {} in {place}, {verb} them{after}{share}. Owner: {}, not Kubernetes: allow the Service's \
                 traffic ahead of this rule (traced: {}).",
                join_and(&who),
                service.id,
                traced::rule_phrase(b.decision.owner, &b.decision.what),
                b.decision.owner.describe(),
                b.labels.join("; ")
            ));
            lines.extend(b.line);
        }
        out.push(Finding::new(
            FindingCode::ServiceBlockedByForeignRule,
            Severity::Critical,
            Some(&service.id),
            lines,
            sentences.join(" "),
        ));
    }
    let traced_count = all.len();
    if cx.report.services.len() > traced_count {
        out.push(Finding::new(
            FindingCode::ForeignRuleCheckPartial,
            Severity::Info,
            None,
            Vec::new(),
            format!(
                "Only the first {traced_count} of {} Service ports were traced for rules not Kubernetes' that \
                 block or bypass them (the ruleset is large); trace the others one by one.",
                cx.report.services.len()
            ),
        ));
    }
    out
}

/// "a, b and c".
pub fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
