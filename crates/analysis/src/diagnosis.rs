//! The diagnosis: findings grouped by cause and ranked — critical first, rules that decide Services'
//! fate before the rest — each cause once (with its Services listed, "8 Services have no ready
//! endpoints" rather than eight findings) and with the rule line and the trace that prove it.
//!
//! Notes (severity info) are not causes. An empty diagnosis means nothing wrong was found in what the
//! paste shows; [`headline`] says so in words.

use crate::findings::traced;
use crate::owner::Owners;
use crate::report::FindingCode;
pub use crate::report::{Cause, CauseTrace};
use crate::report::{Finding, Report, Severity};
use crate::snapshot::Snapshot;
use crate::trace::{NodeContext, Tracer, Verdict};

/// Most Services named in one cause's summary line; the rest are counted.
const NAMED_IN_SUMMARY: usize = 3;

/// Codes whose causes come first among equal severities: rules that decide a Service's fate.
const FIRST: &[FindingCode] = &[
    FindingCode::ServiceBlockedByForeignRule,
    FindingCode::NodeTrafficBlocked,
    FindingCode::ServiceBypassedByForeignRule,
    FindingCode::GarbledDnat,
    FindingCode::ConntrackCritical,
];

/// Groups and ranks the report's findings.
pub fn diagnose(snapshot: &Snapshot, report: &Report) -> Vec<Cause> {
    // Group: findings decided by a traced rule by their first line, the others by code.
    let mut groups: Vec<(FindingCode, Option<u32>, Vec<&Finding>)> = Vec::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
    {
        let by_line = matches!(
            f.code,
            FindingCode::ServiceBlockedByForeignRule | FindingCode::ServiceBypassedByForeignRule
        );
        let key_line = if by_line {
            f.lines.first().copied()
        } else {
            None
        };
        match groups
            .iter_mut()
            .find(|g| g.0 == f.code && g.1 == key_line && g.2[0].severity == f.severity)
        {
            Some(g) => g.2.push(f),
            None => groups.push((f.code, key_line, vec![f])),
        }
    }
    let tracer = Tracer::with(
        snapshot.iptables.iter().collect(),
        NodeContext::from_facts(&report.node),
    )
    .with_ipsets(snapshot.ipsets.iter().flatten().collect())
    .with_nft(snapshot.nft.iter().collect());
    // The rules' owners, built once for the causes' summaries and the traces that prove them.
    let owners = tracer.owners();
    let pod_traffic_blocked = report
        .findings
        .iter()
        .any(|f| f.code == FindingCode::NodeTrafficBlocked && f.severity == Severity::Critical);
    let mut causes: Vec<Cause> = groups
        .into_iter()
        .map(|(code, _, findings)| {
            cause(
                snapshot,
                report,
                owners,
                &tracer,
                code,
                &findings,
                pod_traffic_blocked,
            )
        })
        .collect();
    let rank = |c: &Cause| {
        FIRST
            .iter()
            .position(|x| *x == c.code)
            .unwrap_or(FIRST.len())
    };
    svcpath_syntax::stable_sort::sort_by(&mut causes, |a, b| {
        b.severity
            .cmp(&a.severity)
            .then(rank(a).cmp(&rank(b)))
            .then(b.findings.cmp(&a.findings))
            .then(a.line.cmp(&b.line))
    });
    causes
}

fn cause(
    snapshot: &Snapshot,
    report: &Report,
    owners: &Owners,
    tracer: &Tracer<'_>,
    code: FindingCode,
    findings: &[&Finding],
    pod_traffic_blocked: bool,
) -> Cause {
    let first = findings[0];
    let services: Vec<String> = findings.iter().filter_map(|f| f.service.clone()).collect();
    let mut lines: Vec<u32> = findings
        .iter()
        .flat_map(|f| f.lines.iter().copied())
        .collect();
    lines.sort_unstable();
    lines.dedup();
    let line = first.lines.first().copied();
    let mut detail = first.message.clone();
    if code == FindingCode::NoEndpoints && pod_traffic_blocked {
        detail.push_str(
            " Pods this node cannot reach fail their readiness probes and drop out of their Services' \
             endpoints: fix the blocked node traffic first.",
        );
    }
    let summary = summary(code, findings, &services, line, owners, snapshot);
    let trace = proof(snapshot, report, tracer, code, first, line);
    Cause {
        severity: first.severity,
        code,
        summary,
        detail,
        services,
        findings: findings.len(),
        line,
        rule: line.and_then(|l| rule_text(snapshot, l)),
        owner: line.and_then(|l| owners.line(l)),
        lines,
        trace,
    }
}

/// "a, b, c and 5 more".
fn named(services: &[String]) -> String {
    let shown: Vec<&str> = services
        .iter()
        .take(NAMED_IN_SUMMARY)
        .map(String::as_str)
        .collect();
    let rest = services.len().saturating_sub(NAMED_IN_SUMMARY);
    if rest > 0 {
        format!("{} and {rest} more", shown.join(", "))
    } else {
        crate::findings::service_blocked::join_and(&shown)
    }
}

fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text.to_string(),
    }
}

fn summary(
    code: FindingCode,
    findings: &[&Finding],
    services: &[String],
    line: Option<u32>,
    owners: &Owners,
    snapshot: &Snapshot,
) -> String {
    let n = findings.len();
    if n == 1 {
        return first_sentence(&findings[0].message);
    }
    let owner = line
        .and_then(|l| owners.line(l))
        .map(|o| format!(", {}'s rule", o.name()))
        .unwrap_or_default();
    let at = line.map(|l| format!("line {l}{owner}")).unwrap_or_default();
    let verb = line
        .and_then(|l| rule_text(snapshot, l))
        .map(|t| {
            if t.contains("REJECT") || t.contains("reject") {
                "rejects"
            } else {
                "drops"
            }
        })
        .unwrap_or("blocks");
    match code {
        FindingCode::ServiceBlockedByForeignRule => {
            format!(
                "{n} Services cannot be reached: {at}, {verb} their traffic ({}).",
                named(services)
            )
        }
        FindingCode::ServiceBypassedByForeignRule => format!(
            "{n} Services are not load-balanced by kube-proxy: {at} decides first ({}).",
            named(services)
        ),
        FindingCode::NoEndpoints => format!(
            "{n} Services have no ready endpoints ({}).",
            named(services)
        ),
        FindingCode::EtpLocalNoLocalEndpoints => format!(
            "{n} Services with externalTrafficPolicy: Local have no endpoint on this node ({}).",
            named(services)
        ),
        _ if services.len() == n => format!(
            "{n} Services: {} ({}).",
            first_sentence(&findings[0].message).trim_end_matches('.'),
            named(services)
        ),
        _ => format!(
            "{n} findings like this: {}",
            first_sentence(&findings[0].message)
        ),
    }
}

/// The text of the rule (or chain declaration) on a line, as the dump has it.
pub fn rule_text(snapshot: &Snapshot, line: u32) -> Option<String> {
    for ruleset in &snapshot.iptables {
        for table in &ruleset.tables {
            for chain in &table.chains {
                if chain.declared_at == Some(line) {
                    return Some(format!(
                        ":{} {}",
                        chain.name,
                        chain.policy.as_deref().unwrap_or("-")
                    ));
                }
                if let Some(rule) = chain.rules.iter().find(|r| r.line == line) {
                    let mut rule = rule.clone();
                    rule.counters = None;
                    return Some(format!(
                        "-A {} {}",
                        chain.name,
                        svcpath_syntax::iptables::render_rule(&rule)
                    ));
                }
            }
        }
    }
    // One line can hold a whole ruleset (`nft -j` prints one line): then no one rule is named.
    let on_line = snapshot
        .nft
        .iter()
        .flat_map(|r| &r.tables)
        .flat_map(|t| &t.chains)
        .map(|c| {
            c.rules.iter().filter(|r| r.line == line).count()
                + usize::from(c.base.as_ref().is_some_and(|b| b.line == line))
        })
        .sum::<usize>();
    if on_line > 1 {
        return None;
    }
    for ruleset in &snapshot.nft {
        for table in &ruleset.tables {
            for chain in &table.chains {
                if let Some(rule) = chain.rules.iter().find(|r| r.line == line) {
                    return Some(rule.text.clone());
                }
                if let Some(base) = chain.base.as_ref().filter(|b| b.line == line) {
                    return Some(format!(
                        "type {} hook {} priority {}; policy {};",
                        base.kind,
                        base.hook,
                        base.priority_text,
                        base.policy.as_deref().unwrap_or("accept")
                    ));
                }
            }
        }
    }
    None
}

/// The trace that proves a cause: for a Service finding, the Service's traced path whose outcome
/// touches the cause's line (a drop or reject first); for blocked node traffic, its probe.
fn proof(
    snapshot: &Snapshot,
    report: &Report,
    tracer: &Tracer<'_>,
    code: FindingCode,
    first: &Finding,
    line: Option<u32>,
) -> Option<CauseTrace> {
    let line = line?;
    if report.mode == crate::report::Mode::Ipvs {
        return None;
    }
    let traces = if code == FindingCode::NodeTrafficBlocked {
        crate::findings::node_traffic_probes(snapshot, report)
    } else {
        let id = first.service.as_deref()?;
        let service = report.services.iter().find(|s| s.id == id)?;
        tracer.service_paths(service)
    };
    let touches = |o: &crate::trace::Outcome| {
        o.rules.contains(&line)
            || o.steps.iter().any(|s| s.line == Some(line))
            || traced::decision(snapshot, o).is_some_and(|d| d.line == Some(line))
    };
    let mut best: Option<(usize, CauseTrace)> = None;
    for (label, trace) in traces {
        let share = |verdict: Verdict| -> f64 {
            trace
                .outcomes
                .iter()
                .filter(|o| o.verdict == verdict && touches(o))
                .map(|o| o.probability)
                .sum()
        };
        for o in trace.outcomes.iter().filter(|o| touches(o)) {
            let total = share(o.verdict);
            let rank = usize::from(!matches!(o.verdict, Verdict::Drop | Verdict::Reject));
            if best
                .as_ref()
                .is_none_or(|(r, b)| rank < *r || (rank == *r && total > b.probability + 1e-9))
            {
                best = Some((
                    rank,
                    CauseTrace {
                        label: label.clone(),
                        packet: trace.packet.clone(),
                        verdict: o.verdict.name().to_string(),
                        endpoint: o.endpoint.clone(),
                        probability: total,
                        steps: o.steps.clone(),
                    },
                ));
            }
        }
        if best.as_ref().is_some_and(|(r, _)| *r == 0) {
            break;
        }
    }
    best.map(|(_, t)| t)
}

/// The diagnosis in one sentence: the top cause, or that nothing wrong was found.
pub fn headline(report: &Report) -> String {
    match report.diagnosis.first() {
        Some(c) => c.summary.clone(),
        None if report.services.is_empty() && report.findings.is_empty() => {
            "Nothing to diagnose: the paste shows no Services and no findings.".to_string()
        }
        None => "Nothing wrong found: no finding in what the paste shows is a warning or critical."
            .to_string(),
    }
}
