//! The "What is wrong here" block that opens the text and Markdown reports: each cause with its
//! rule line, its owner, its Services and the steps of its deciding trace.

use std::fmt::Write;

use super::{clean, severity_name, Flavour};
use crate::diagnosis::{Cause, CauseTrace};
use crate::report::Report;

/// Most Services listed under one cause; the rest are counted.
const LISTED: usize = 20;
/// Most steps of a deciding trace shown.
const STEPS: usize = 40;

fn services(cause: &Cause) -> String {
    let mut list: Vec<&str> = cause
        .services
        .iter()
        .take(LISTED)
        .map(String::as_str)
        .collect();
    let more = cause.services.len().saturating_sub(LISTED);
    let more = (more > 0).then(|| format!("… and {more} more"));
    list.extend(more.as_deref());
    list.join(", ")
}

fn outcome(t: &CauseTrace) -> String {
    let to = t
        .endpoint
        .as_deref()
        .map(|e| format!("; shown: the connection DNATed to {e}"))
        .unwrap_or_default();
    format!(
        "{} for {} of new connections{to}",
        t.verdict,
        crate::words::percent_spaced(t.probability)
    )
}

fn step_place(s: &crate::trace::Step) -> String {
    let mut out = if s.table.is_empty() {
        s.hook.name().to_string()
    } else {
        format!("{} {}/{}", s.hook, s.table, s.chain)
    };
    if let Some(l) = s.line {
        let _ = write!(out, " line {l}");
    }
    if let Some(o) = s.owner {
        let _ = write!(out, " [{}]", o.name());
    }
    out
}

/// The block for a terminal.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "WHAT IS WRONG HERE");
    if report.diagnosis.is_empty() {
        let _ = writeln!(out, "  {}", clean(&crate::diagnosis::headline(report)));
    }
    for (i, c) in report.diagnosis.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. [{}] {}",
            i + 1,
            severity_name(c.severity),
            clean(&c.summary)
        );
        if let (Some(line), Some(rule)) = (c.line, &c.rule) {
            let owner = c
                .owner
                .map(|o| format!(" (owner: {})", o.name()))
                .unwrap_or_default();
            let _ = writeln!(out, "     rule:     line {line}  {}{owner}", clean(rule));
        }
        if c.services.len() > 1 {
            let _ = writeln!(out, "     services: {}", clean(&services(c)));
        }
        if let Some(t) = &c.trace {
            let _ = writeln!(
                out,
                "     trace:    {} → {}",
                clean(&t.label),
                clean(&outcome(t))
            );
            for s in t.steps.iter().take(STEPS) {
                let _ = writeln!(
                    out,
                    "               {}  {}",
                    clean(&step_place(s)),
                    clean(&s.note)
                );
            }
        }
        if c.detail != c.summary {
            let _ = writeln!(out, "     {}", clean(&c.detail));
        }
    }
    let _ = writeln!(out);
    out
}

/// The block in Markdown of the given flavour.
pub fn markdown(report: &Report, flavour: Flavour) -> String {
    let t = |s: &str| flavour.text(s);
    let code = |s: &str| flavour.code(s);
    let mut out = String::new();
    let _ = writeln!(out, "{}", flavour.heading("What is wrong here"));
    let _ = writeln!(out);
    if report.diagnosis.is_empty() {
        let _ = writeln!(out, "{}", t(&crate::diagnosis::headline(report)));
        let _ = writeln!(out);
        return out;
    }
    for (i, c) in report.diagnosis.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{}** {}",
            i + 1,
            severity_name(c.severity),
            t(&c.summary)
        );
        if let (Some(line), Some(rule)) = (c.line, &c.rule) {
            let owner = c
                .owner
                .map(|o| format!(" (owner: {})", t(o.name())))
                .unwrap_or_default();
            let _ = writeln!(out, "    - Rule: line {line} {}{owner}", code(rule));
        }
        if c.services.len() > 1 {
            let list: Vec<String> = services(c).split(", ").map(&t).collect();
            let _ = writeln!(out, "    - Services: {}", list.join(", "));
        }
        if let Some(tr) = &c.trace {
            let steps: Vec<String> = tr
                .steps
                .iter()
                .filter(|s| s.line.is_some())
                .take(STEPS)
                .map(|s| code(&step_place(s)))
                .collect();
            let _ = writeln!(
                out,
                "    - Trace ({}): {}{}{}",
                t(&tr.label),
                t(&outcome(tr)),
                if steps.is_empty() { "" } else { ": " },
                steps.join(" → ")
            );
            if let Some(last) = tr.steps.last() {
                let _ = writeln!(out, "    - Decided: {}", t(&last.note));
            }
        }
        if c.detail != c.summary {
            let _ = writeln!(out, "    - {}", t(&c.detail));
        }
    }
    let _ = writeln!(out);
    out
}
