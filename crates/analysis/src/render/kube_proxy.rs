//! The kube-proxy log section of the text and Markdown reports.

use std::fmt::Write;

use super::md;
use crate::report::KubeProxyLog;

/// How many errors a report lists before counting the rest.
pub(crate) const LISTED_ERRORS: usize = 20;

fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

fn at(line: Option<u32>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

/// Facts as short lines, shared by every format (unescaped).
pub(crate) fn facts(kp: &KubeProxyLog) -> Vec<String> {
    let mut out = Vec::new();
    out.push(format!(
        "mode announced: {}{}; version: {}{}",
        kp.mode.as_deref().unwrap_or("not in the log"),
        at(kp.mode_line),
        kp.version.as_deref().unwrap_or("not in the log"),
        at(kp.version_line)
    ));
    if let Some(f) = &kp.fallback {
        out.push(format!(
            "could not use {} (line {}): {}",
            f.from, f.line, f.reason
        ));
    }
    let mut syncs = format!("syncs: {} completed, {} failed", kp.syncs, kp.sync_failures);
    if let Some(d) = &kp.sync_seconds {
        let _ = write!(
            syncs,
            "; duration median {:.3} s, max {:.3} s (line {})",
            d.median, d.max, d.max_line
        );
    }
    if let Some(rate) = kp.syncs_per_minute {
        let _ = write!(syncs, "; {rate:.1} per minute");
    }
    out.push(syncs);
    if let (Some(full), Some(partial)) = (kp.full_syncs, kp.partial_syncs) {
        out.push(format!("full syncs: {full}, partial syncs: {partial}"));
    }
    if let Some(b) = &kp.busiest_minute {
        if b.syncs > 1 {
            out.push(format!(
                "busiest minute: {} syncs (lines {}–{})",
                b.syncs, b.first_line, b.last_line
            ));
        }
    }
    if let Some(r) = kp.rule_counts.last() {
        let n = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
        out.push(format!(
            "last rule counts (line {}): {} Services, {} endpoints, {} nat rules, {} filter rules",
            r.line,
            n(r.services),
            n(r.endpoints),
            n(r.nat_rules),
            n(r.filter_rules)
        ));
    }
    if !kp.pods.is_empty() {
        out.push(format!("pods: {}", kp.pods.join(", ")));
    }
    out
}

/// The text report's section.
pub fn text(kp: &KubeProxyLog) -> String {
    let mut out = String::from("KUBE-PROXY LOG\n");
    for fact in facts(kp) {
        let _ = writeln!(out, "  {}", clean(&fact));
    }
    for e in kp.errors.iter().take(LISTED_ERRORS) {
        let _ = writeln!(out, "  line {} [{}] {}", e.line, e.kind, clean(&e.message));
    }
    let more = kp.errors.len().saturating_sub(LISTED_ERRORS) + kp.errors_left_out;
    if more > 0 {
        let _ = writeln!(out, "  … and {more} more error lines");
    }
    out.push('\n');
    out
}

/// The Markdown report's section.
pub fn markdown(kp: &KubeProxyLog) -> String {
    let mut out = String::from("#### kube-proxy log\n\n");
    for fact in facts(kp) {
        let _ = writeln!(out, "- {}", md(&fact));
    }
    if !kp.errors.is_empty() {
        let _ = writeln!(out, "\n| Line | Kind | Message |\n|---|---|---|");
        for e in kp.errors.iter().take(LISTED_ERRORS) {
            let _ = writeln!(out, "| {} | {} | {} |", e.line, md(&e.kind), md(&e.message));
        }
        let more = kp.errors.len().saturating_sub(LISTED_ERRORS) + kp.errors_left_out;
        if more > 0 {
            let _ = writeln!(out, "\n… and {more} more error lines");
        }
    }
    out.push('\n');
    out
}
