//! Shared by the checks that trace packets (`service-blocked`, `service-bypassed`, `node-traffic-blocked`):
//! the tracer for a report's node facts, the rule that decided an outcome and who owns it. Not a check.

use crate::owner::Owner;
use crate::report::{Mode, Report};
use crate::snapshot::Snapshot;
use crate::trace::{NodeContext, Outcome, Step, Trace, Tracer, Verdict};

use super::Context;

/// Most Service ports traced per paste by these checks; past it the rest are not traced (and a note
/// says so).
pub const MAX_SERVICES_TRACED: usize = 500;
/// Fewest Service ports traced, however large the ruleset.
pub const MIN_SERVICES_TRACED: usize = 50;
/// Rule visits these checks may spend: a trace walks about every rule once, so large rulesets get
/// fewer traced Services (a catch-all rule blocks every Service alike; the first ones show it).
const RULE_BUDGET: usize = 1_000_000;

/// How many of the report's Service ports these checks trace.
pub fn services_traced(snapshot: &Snapshot, report: &Report) -> usize {
    let rules: usize = snapshot
        .iptables
        .iter()
        .map(|r| r.rule_count())
        .sum::<usize>()
        + snapshot
            .nft
            .iter()
            .flat_map(|r| r.tables.iter())
            .flat_map(|t| t.chains.iter())
            .map(|c| c.rules.len())
            .sum::<usize>();
    (RULE_BUDGET / rules.max(1))
        .clamp(MIN_SERVICES_TRACED, MAX_SERVICES_TRACED)
        .min(report.services.len())
}

/// The tracer over the paste's rules with the report's node facts; `None` in IPVS mode (IPVS, not
/// these rules, balances Service traffic) or when no rule decides anything kube-proxy did not write.
pub fn tracer<'a>(
    snapshot: &'a Snapshot,
    report: &Report,
    extra_node_ip: Option<std::net::IpAddr>,
) -> Option<Tracer<'a>> {
    if report.mode == Mode::Ipvs || !has_foreign_decisions(snapshot) {
        return None;
    }
    let mut node = NodeContext::from_facts(&report.node);
    if let Some(ip) = extra_node_ip {
        node.node_ips.push(ip);
    }
    Some(
        Tracer::with(snapshot.iptables.iter().collect(), node)
            .with_ipsets(snapshot.ipsets.iter().flatten().collect())
            .with_nft(snapshot.nft.iter().collect()),
    )
}

/// True when some rule or base-chain policy that Kubernetes did not write can end a packet's walk.
fn has_foreign_decisions(snapshot: &Snapshot) -> bool {
    use crate::owner::{of_iptables_rule, of_nft_rule};
    let deciding = |t: &str| {
        !matches!(
            t,
            "MARK" | "CONNMARK" | "LOG" | "NFLOG" | "TRACE" | "CT" | "NOTRACK"
        )
    };
    for ruleset in &snapshot.iptables {
        for table in &ruleset.tables {
            for chain in &table.chains {
                if chain.policy.as_deref().is_some_and(|p| p != "ACCEPT") {
                    return true;
                }
                for rule in &chain.rules {
                    let owner = of_iptables_rule(&chain.name, rule);
                    if !owner.is_kubernetes() && rule.target_name().is_some_and(deciding) {
                        return true;
                    }
                }
            }
        }
    }
    for ruleset in &snapshot.nft {
        for table in &ruleset.tables {
            let label = format!("{} {}", table.family, table.name);
            for chain in &table.chains {
                if chain
                    .base
                    .as_ref()
                    .and_then(|b| b.policy.as_deref())
                    .is_some_and(|p| p != "accept")
                {
                    return true;
                }
                for rule in &chain.rules {
                    if !of_nft_rule(&label, &chain.name, &rule.text, rule.comment.as_deref())
                        .is_kubernetes()
                    {
                        return true;
                    }
                }
            }
        }
    }
    false
}

/// The rule that ended a drop or reject outcome: its step, its line (for an iptables policy, the
/// chain's declaration line) and its owner.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub step: &'a Step,
    pub line: Option<u32>,
    pub owner: Owner,
    /// `REJECT`, `DROP` or `policy DROP`.
    pub what: String,
}

pub fn decision<'a>(snapshot: &Snapshot, outcome: &'a Outcome) -> Option<Decision<'a>> {
    if !matches!(outcome.verdict, Verdict::Drop | Verdict::Reject) {
        return None;
    }
    let step = outcome.steps.iter().rev().find(|s| !s.chain.is_empty())?;
    let owner = step.owner?;
    let verdict = outcome.verdict.name().to_ascii_uppercase();
    let (line, what) = match step.line {
        Some(l) if step.note.starts_with("end of ") => (Some(l), format!("policy {verdict}")),
        Some(l) => (Some(l), verdict),
        None => (
            declaration_line(snapshot, &step.table, &step.chain),
            format!("policy {verdict}"),
        ),
    };
    Some(Decision {
        step,
        line,
        owner,
        what,
    })
}

/// The line declaring an iptables chain (`:FORWARD DROP [0:0]`).
pub fn declaration_line(snapshot: &Snapshot, table: &str, chain: &str) -> Option<u32> {
    snapshot
        .iptables
        .iter()
        .filter_map(|r| r.table(table))
        .filter_map(|t| t.chain(chain))
        .find_map(|c| c.declared_at)
}

/// "filter INPUT", "ip filter FORWARD".
pub fn place(step: &Step) -> String {
    if step.table.is_empty() {
        step.chain.clone()
    } else {
        format!("{} {}", step.table, step.chain)
    }
}

/// "a host firewall REJECT", "a Docker DROP", "an unknown rule's DROP".
pub fn rule_phrase(owner: Owner, what: &str) -> String {
    match owner {
        Owner::Unknown => format!("a {what} of unknown origin"),
        _ => format!("a {} {what}", owner.name()),
    }
}

/// Who sent the traced packet, for a sentence.
pub fn origin(from: crate::trace::Origin) -> &'static str {
    match from {
        crate::trace::Origin::Pod => "pods on this node",
        crate::trace::Origin::Node => "the node itself (and host-network pods)",
        crate::trace::Origin::External => "clients outside the node",
    }
}

/// The traces of the first [`services_traced`] Service ports, by the report's Service index.
pub type ServiceTraces = Vec<Vec<(String, Trace)>>;

/// Each Service's traces, made once per report; `None` when there is nothing to trace for.
pub fn service_traces<'c>(cx: &'c Context<'_>) -> Option<&'c ServiceTraces> {
    cx.service_traces
        .get_or_init(|| {
            let tracer = tracer(cx.snapshot, cx.report, None)?;
            Some(
                cx.report
                    .services
                    .iter()
                    .take(services_traced(cx.snapshot, cx.report))
                    .map(|s| tracer.service_paths(s))
                    .collect(),
            )
        })
        .as_ref()
}
