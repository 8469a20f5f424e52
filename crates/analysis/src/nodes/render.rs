//! The comparison of nodes and the diff of two moments as plain text and as GitHub Markdown.

use std::fmt::Write as _;

use super::compare::{Comparison, NodeSummary};
use super::diff::{Change, Diff};
use super::facts::ServiceFacts;
use crate::report::{ConntrackVerdict, Mode, Severity, TrafficPolicy};
use crate::words::{list, percent_rounded};

fn mode(m: Mode) -> &'static str {
    match m {
        Mode::Iptables => "iptables",
        Mode::Ipvs => "ipvs",
        Mode::Nftables => "nftables",
        Mode::Unknown => "unknown",
    }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

fn verdict(v: Option<ConntrackVerdict>) -> &'static str {
    match v {
        Some(ConntrackVerdict::Ok) => "ok",
        Some(ConntrackVerdict::Warning) => "warning",
        Some(ConntrackVerdict::Critical) => "critical",
        Some(ConntrackVerdict::Unknown) | None => "unknown",
    }
}

fn policy(p: Option<TrafficPolicy>) -> &'static str {
    match p {
        Some(TrafficPolicy::Local) => "Local",
        Some(TrafficPolicy::Cluster) => "Cluster",
        None => "?",
    }
}

/// One node's column head: mode, layout, version, rules, conntrack, findings.
fn node_line(n: &NodeSummary) -> String {
    let mut parts = vec![mode(n.mode).to_string()];
    if let Some(layout) = &n.layout {
        parts.push(format!("layout {layout}"));
    }
    if let Some(v) = &n.kube_proxy_version {
        parts.push(format!("kube-proxy {v}"));
    }
    if let Some(b) = &n.iptables_backend {
        parts.push(format!("iptables {b}"));
    }
    parts.push(format!("{} Service ports", n.services));
    parts.push(format!("{} rules", n.rules));
    if let Some(cost) = n.mean_rules_per_packet {
        parts.push(format!("{cost:.1} rules per packet"));
    }
    parts.push(match n.conntrack_fill {
        Some(fill) => format!(
            "conntrack {} full ({})",
            percent_rounded(fill),
            verdict(n.conntrack_verdict)
        ),
        None => format!("conntrack {}", verdict(n.conntrack_verdict)),
    });
    parts.push(format!(
        "{} findings ({} critical)",
        n.findings, n.critical_findings
    ));
    parts.join(", ")
}

/// One node's cell for a Service port: endpoints (local ones marked), policy and its verdict, affinity.
fn cell(f: Option<&ServiceFacts>) -> String {
    let Some(f) = f else {
        return "missing".to_string();
    };
    let endpoints = match &f.endpoints {
        None => "endpoints unknown".to_string(),
        Some(e) if e.is_empty() => "no endpoints".to_string(),
        Some(e) => e
            .iter()
            .map(|ep| {
                let share = f
                    .odds
                    .get(ep)
                    .map(|p| format!(" {}", percent_rounded(*p)))
                    .unwrap_or_default();
                let local = if f.local_endpoints.contains(ep) {
                    " (local)"
                } else {
                    ""
                };
                format!("{ep}{share}{local}")
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mut parts = vec![endpoints];
    if let Some(p) = f.node_port {
        parts.push(format!("NodePort {p}"));
    }
    if f.external_traffic_policy.is_some() {
        let verdict = match f.drops_external {
            Some(true) => "drops external",
            Some(false) => "accepts external",
            None if f.endpoints.as_ref().is_some_and(Vec::is_empty) => "",
            None => "external ?",
        };
        let policy = policy(f.external_traffic_policy);
        parts.push(if verdict.is_empty() {
            format!("eTP {policy}")
        } else {
            format!("eTP {policy} {verdict}")
        });
    }
    match f.masquerade {
        Some(true) => parts.push("masqueraded".into()),
        Some(false) => parts.push("client IP kept".into()),
        None => {}
    }
    if let Some(s) = f.session_affinity_seconds {
        parts.push(format!("affinity {s}s"));
    }
    parts.join("; ")
}

/// The comparison as plain text.
pub fn compare_text(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Nodes compared: {}", c.nodes.len());
    for n in &c.nodes {
        let _ = writeln!(out, "  {}: {}", n.name, node_line(n));
    }
    let _ = writeln!(out, "\nFindings across nodes:");
    if c.findings.is_empty() {
        let _ = writeln!(out, "  none: the nodes agree where their pastes tell");
    }
    for f in &c.findings {
        let _ = writeln!(
            out,
            "  [{}] {} ({}): {}",
            severity(f.severity),
            f.code.as_str(),
            list(&f.nodes),
            f.message
        );
    }
    let _ = writeln!(
        out,
        "\nService ports: {} ({} where nodes disagree, listed first)",
        c.services.len(),
        c.disagreeing()
    );
    for row in &c.services {
        let what = if row.consistent {
            "same on every node".to_string()
        } else {
            format!(
                "differs: {}",
                row.differs
                    .iter()
                    .map(|a| a.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(out, "  {} — {what}", row.id);
        for n in &c.nodes {
            if row.nodes.contains_key(&n.name) || row.missing_on.contains(&n.name) {
                let _ = writeln!(out, "    {}: {}", n.name, cell(row.nodes.get(&n.name)));
            } else {
                let _ = writeln!(
                    out,
                    "    {}: not shown (the paste lists no Service)",
                    n.name
                );
            }
        }
    }
    out
}

/// Escapes the characters a Markdown table cell cannot hold.
fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The comparison as GitHub Markdown: nodes, findings, and a table with one column per node.
pub fn compare_markdown(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Nodes compared: {}\n", c.nodes.len());
    for n in &c.nodes {
        let _ = writeln!(out, "- **{}**: {}", md(&n.name), md(&node_line(n)));
    }
    let _ = writeln!(out, "\n### Findings across nodes\n");
    if c.findings.is_empty() {
        let _ = writeln!(out, "None: the nodes agree where their pastes tell.");
    }
    for f in &c.findings {
        let _ = writeln!(
            out,
            "- **{}** `{}` ({}): {}",
            severity(f.severity),
            f.code.as_str(),
            md(&list(&f.nodes)),
            md(&f.message)
        );
    }
    let _ = writeln!(
        out,
        "\n### Service ports ({} where nodes disagree, first)\n",
        c.disagreeing()
    );
    let _ = write!(out, "| Service port | differs |");
    for n in &c.nodes {
        let _ = write!(out, " {} |", md(&n.name));
    }
    let _ = write!(out, "\n|---|---|");
    for _ in &c.nodes {
        let _ = write!(out, "---|");
    }
    out.push('\n');
    for row in &c.services {
        let differs = row
            .differs
            .iter()
            .map(|a| a.label())
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            out,
            "| `{}` | {} |",
            md(&row.id),
            if differs.is_empty() { "—" } else { &differs }
        );
        for n in &c.nodes {
            let text = if row.nodes.contains_key(&n.name) || row.missing_on.contains(&n.name) {
                cell(row.nodes.get(&n.name))
            } else {
                "not shown".to_string()
            };
            let _ = write!(out, " {} |", md(&text));
        }
        out.push('\n');
    }
    out
}

fn show<T: std::fmt::Debug>(value: &Option<T>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "unknown".into(),
    }
}

fn change_line<T: std::fmt::Debug>(what: &str, c: &Change<Option<T>>) -> String {
    format!("{what}: {} -> {}", show(&c.before), show(&c.after))
}

/// The diff as lines of plain text, one fact a line; the Markdown form bullets the same lines and the
/// page lists them.
pub fn diff_lines(d: &Diff) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(m) = &d.mode {
        lines.push(format!("mode: {} -> {}", mode(m.before), mode(m.after)));
    }
    for id in &d.added {
        lines.push(format!("added {id}"));
    }
    for id in &d.removed {
        lines.push(format!("removed {id}"));
    }
    for c in &d.changed {
        let mut parts = Vec::new();
        if !c.endpoints_added.is_empty() {
            parts.push(format!("endpoints added {}", list(&c.endpoints_added)));
        }
        if !c.endpoints_removed.is_empty() {
            parts.push(format!("endpoints removed {}", list(&c.endpoints_removed)));
        }
        for o in &c.odds {
            parts.push(format!(
                "{} {} -> {}",
                o.endpoint,
                percent_rounded(o.before),
                percent_rounded(o.after)
            ));
        }
        if let Some(x) = &c.node_port {
            parts.push(change_line("NodePort", x));
        }
        if let Some(x) = &c.external_traffic_policy {
            parts.push(format!("eTP: {} -> {}", policy(x.before), policy(x.after)));
        }
        if let Some(x) = &c.drops_external {
            parts.push(change_line("drops external traffic", x));
        }
        if let Some(x) = &c.session_affinity_seconds {
            parts.push(change_line("affinity seconds", x));
        }
        if let Some(x) = &c.masquerade {
            parts.push(change_line("masquerade", x));
        }
        lines.push(format!("changed {}: {}", c.id, parts.join("; ")));
    }
    for f in &d.findings_appeared {
        lines.push(format!(
            "finding appeared {}{}: {}",
            f.code,
            f.service
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            f.message
        ));
    }
    for f in &d.findings_gone {
        lines.push(format!(
            "finding resolved {}{}",
            f.code,
            f.service
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ));
    }
    if let Some(r) = &d.rules {
        lines.push(format!(
            "rules: {} -> {} ({:+})",
            r.before,
            r.after,
            r.after as i64 - r.before as i64
        ));
    }
    if let Some(r) = &d.rules_per_packet {
        lines.push(change_line("rules per packet", r));
    }
    if let Some(ct) = &d.conntrack {
        if let Some(x) = &ct.count {
            lines.push(change_line("conntrack entries", x));
        }
        if let Some(x) = &ct.max {
            lines.push(change_line("conntrack max", x));
        }
        if let Some(x) = &ct.drops {
            lines.push(change_line("conntrack drops", x));
        }
        if let Some(x) = &ct.verdict {
            lines.push(format!(
                "conntrack verdict: {} -> {}",
                verdict(x.before),
                verdict(x.after)
            ));
        }
    }
    lines.extend(d.notes.iter().map(|n| format!("note: {n}")));
    for id in &d.unknown {
        lines.push(format!(
            "unknown {id}: its endpoints are not shown at one moment, so no endpoint change is claimed"
        ));
    }
    lines
}

/// The diff as plain text.
pub fn diff_text(d: &Diff) -> String {
    if d.is_empty() && d.unknown.is_empty() {
        return "No change: the two moments program the same Services, endpoints, odds and findings.\n"
            .to_string();
    }
    let mut out = String::new();
    for line in diff_lines(d) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The diff as GitHub Markdown.
pub fn diff_markdown(d: &Diff) -> String {
    let mut out = String::from("## What changed\n\n");
    if d.is_empty() && d.unknown.is_empty() {
        out.push_str(
            "No change: the two moments program the same Services, endpoints, odds and findings.\n",
        );
        return out;
    }
    for line in diff_lines(d) {
        let _ = writeln!(out, "- {}", line.replace('|', "\\|"));
    }
    out
}
