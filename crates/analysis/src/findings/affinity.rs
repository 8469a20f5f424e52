//! `session-affinity`: Services with `sessionAffinity: ClientIP`, implemented with `-m recent`.
//!
//! Example: `-A KUBE-SVC-… -m recent --name KUBE-SEP-… --rcheck --seconds 10800 --reap -j KUBE-SEP-…`.
//! Affinity keys on the source address the node sees, so clients behind one SNAT all stick to one
//! endpoint; and `xt_recent` keeps at most `ip_list_tot` (100 by default) addresses per list — one list
//! per endpoint — so past that many recent clients per endpoint, affinity silently stops sticking.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity, TrafficPolicy};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    cx.report
        .services
        .iter()
        .filter_map(|s| {
            let seconds = s.session_affinity_seconds?;
            let snat_note = match s.external_traffic_policy {
                Some(TrafficPolicy::Cluster) => " External traffic to it is masqueraded first, so every outside client looks like this node and all of them stick to the same endpoint.",
                _ => "",
            };
            let limit_note = if s.scheduler.is_none() {
                " iptables implements it with one `xt_recent` list per endpoint, which holds at most `ip_list_tot` \
                  addresses (100 by default, a module parameter): once more clients than that have used an \
                  endpoint within the timeout, the oldest lose their affinity without any error."
            } else {
                ""
            };
            Some(Finding::new(
                FindingCode::SessionAffinity,
                Severity::Info,
                Some(&s.id),
                s.lines.clone(),
                format!(
                    "{} has sessionAffinity: ClientIP for {} s: a client's first connection is balanced by the odds \
                     shown, and later connections from the same source address go to the same endpoint. Clients \
                     behind one NAT share one source address and so one endpoint, which can skew the load.{}{}",
                    s.id, seconds, snat_note, limit_note
                ),
            ))
        })
        .collect()
}
