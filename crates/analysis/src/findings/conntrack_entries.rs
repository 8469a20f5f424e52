//! Findings from the conntrack table joined with the Services (`conntrack -L` or `ipvsadm -Lnc`).
//! They run after the conntrack verdict, over `report.conntrack`.
//!
//! - `conntrack-stale-entries`: entries that keep flows on a target that is not an endpoint, or that
//!   were never DNAT'd. Example: `udp 17 29 src=10.244.1.5 dst=10.96.0.10 sport=41000 dport=53
//!   src=10.244.3.9 …` while kube-dns's endpoints are 10.244.2.7 and 10.244.0.4.
//! - `conntrack-entries-without-endpoints`: entries to a Service port kube-proxy programmed without
//!   endpoints (never claimed when the endpoints are unknown).
//! - `conntrack-etp-local-no-local-endpoints`: NodePort entries of an `externalTrafficPolicy: Local`
//!   Service on a node that has none of its endpoints.
//! - `conntrack-unreplied-udp`: UDP entries to a Service that never saw a reply, piling up.

use crate::report::{
    ConntrackReport, Finding, FindingCode, Service, Severity, StaleKind, TrafficPolicy,
};
use crate::words::percent;

/// `[UNREPLIED]` UDP entries of one Service port from which on they are called out.
const UNREPLIED_PILE: u64 = 10;
/// …when they are at least this share of its UDP entries.
const UNREPLIED_SHARE: f64 = 0.2;
/// Lines named in one finding.
const LINES_NAMED: usize = 20;

/// Every conntrack-table finding of the report.
pub(crate) fn find(conntrack: &ConntrackReport, services: &[Service]) -> Vec<Finding> {
    let mut out = Vec::new();
    stale(conntrack, &mut out);
    for cs in &conntrack.services {
        let Some(service) = services.iter().find(|s| s.id == cs.service) else {
            continue;
        };
        let lines: Vec<u32> = conntrack
            .stale
            .iter()
            .filter(|s| s.service == cs.service)
            .map(|s| s.line)
            .take(LINES_NAMED)
            .collect();
        if cs.no_endpoints && cs.endpoints_unknown.is_none() {
            out.push(Finding::new(
                FindingCode::ConntrackEntriesWithoutEndpoints,
                Severity::Warning,
                Some(&cs.service),
                lines.clone(),
                format!(
                    "{} has no endpoints in the rules, yet the table holds {} entr{} to it: flows that began while it had endpoints, still sent to {} until they expire.",
                    cs.service,
                    cs.entries,
                    if cs.entries == 1 { "y" } else { "ies" },
                    words_list(cs.by_endpoint.keys())
                ),
            ));
        }
        let local_known = !service.endpoints.is_empty()
            && service.endpoints.iter().all(|e| e.local.is_some())
            && service.endpoints_unknown.is_none();
        let none_local = local_known && service.endpoints.iter().all(|e| e.local == Some(false));
        if service.external_traffic_policy == Some(TrafficPolicy::Local)
            && cs.node_port_entries > 0
            && none_local
        {
            out.push(Finding::new(
                FindingCode::ConntrackEtpLocalNoLocalEndpoints,
                Severity::Warning,
                Some(&cs.service),
                service.lines.iter().copied().take(LINES_NAMED).collect(),
                format!(
                    "{} entr{} reached the NodePort {} of {} (externalTrafficPolicy: Local) on this node, which runs none of its endpoints: kube-proxy drops such traffic; a load balancer still sending here has a failing health check or none.",
                    cs.node_port_entries,
                    if cs.node_port_entries == 1 { "y" } else { "ies" },
                    service.node_port.unwrap_or(0),
                    cs.service
                ),
            ));
        }
        if cs.protocol == "udp" && cs.unreplied >= UNREPLIED_PILE {
            let share = cs.unreplied as f64 / cs.entries.max(1) as f64;
            if share >= UNREPLIED_SHARE {
                out.push(Finding::new(
                    FindingCode::ConntrackUnrepliedUdp,
                    Severity::Warning,
                    Some(&cs.service),
                    lines,
                    format!(
                        "{} of the {} UDP entries to {} ({}) never saw a reply ([UNREPLIED]): queries sent to a target that does not answer, each entry held for nf_conntrack_udp_timeout.",
                        cs.unreplied,
                        cs.entries,
                        cs.service,
                        percent(share)
                    ),
                ));
            }
        }
    }
    out
}

fn words_list<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let items: Vec<&str> = items.map(String::as_str).take(5).collect();
    if items.is_empty() {
        "their old targets".to_string()
    } else {
        items.join(", ")
    }
}

/// One finding per Service port with stale entries.
fn stale(conntrack: &ConntrackReport, out: &mut Vec<Finding>) {
    for cs in &conntrack.services {
        let listed: Vec<_> = conntrack
            .stale
            .iter()
            .filter(|s| s.service == cs.service)
            .collect();
        let total = cs.stale.unwrap_or(cs.never_dnat).max(listed.len() as u64);
        let Some(first) = listed.first() else {
            continue;
        };
        let gone: Vec<&str> = {
            let mut v: Vec<&str> = listed
                .iter()
                .filter(|s| s.kind == StaleKind::EndpointGone)
                .map(|s| s.translated_to.as_str())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let mut message = format!(
            "{total} conntrack entr{} to {} still point{} at a target that is not a current endpoint",
            if total == 1 { "y" } else { "ies" },
            cs.service,
            if total == 1 { "s" } else { "" },
        );
        if !gone.is_empty() {
            message.push_str(&format!(
                " ({})",
                gone.iter().take(5).copied().collect::<Vec<_>>().join(", ")
            ));
        }
        if cs.never_dnat > 0 {
            message.push_str(&format!(
                "; {} of them were never DNAT'd (the reply comes from the Service address)",
                cs.never_dnat
            ));
        }
        message.push_str(&format!(
            ": the kernel keeps sending those clients' packets there until the entries expire, so exactly those clients fail. Clear them: `{}`; kube-proxy should have.",
            first.command
        ));
        let severity = if first.protocol == "udp" {
            Severity::Critical
        } else {
            Severity::Warning
        };
        out.push(Finding::new(
            FindingCode::ConntrackStaleEntries,
            severity,
            Some(&cs.service),
            listed.iter().map(|s| s.line).take(LINES_NAMED).collect(),
            message,
        ));
    }
}
