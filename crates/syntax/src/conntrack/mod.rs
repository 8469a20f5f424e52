//! Parsers for `conntrack` output: the statistics (`conntrack -S` in its per-CPU `cpu=N key=value…`
//! form with any set of keys and in the old one-key-per-line form, `cat /proc/net/stat/nf_conntrack`),
//! the entry count (`conntrack -C`, `… | wc -l`), and the entry listing (`conntrack -L`,
//! `cat /proc/net/nf_conntrack`, `conntrack -E` events), including entries cut off at the start.
//!
//! Every value keeps its line number and byte span.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::diag::{quote, Diagnostic, Parsed};
use crate::source::{lines, Line, Origin, Span};
use crate::sysctl::{is_elision, prompt_like};

/// Most counters kept from one statistics line.
const MAX_COUNTERS_PER_LINE: usize = 64;
/// Longest key of a counter.
const MAX_KEY_LEN: usize = 40;

/// What one statistics section says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// `cpu=N key=value…` lines, or the rows of `/proc/net/stat/nf_conntrack`.
    pub per_cpu: Vec<CpuRow>,
    /// The old `conntrack -S` form (`entries   90`, one key a line). conntrack-tools printed only the
    /// first CPU's counters this way, and `entries` for the whole table.
    pub first_cpu_only: Vec<Counter>,
    /// Numbers alone on a line: `conntrack -C` (entries in the table).
    pub counts: Vec<Number>,
    /// Error and exit lines (`conntrack v1.4.4 (conntrack-tools): Operation failed: …`).
    pub errors: Vec<ToolMessage>,
    /// The command that ran `conntrack` through `kubectl exec`, `docker exec` or `crictl exec`: the
    /// numbers are then those of that container's network namespace unless it uses the host network.
    pub via_exec: Option<ToolMessage>,
}

impl Stats {
    /// The sum of a counter over all CPUs (`per_cpu`; when a CPU appears more than once, its last row),
    /// or its value in the old form.
    pub fn total(&self, key: &str) -> Option<u64> {
        if !self.per_cpu.is_empty() {
            let mut last: std::collections::BTreeMap<u32, u64> = std::collections::BTreeMap::new();
            for row in &self.per_cpu {
                if let Some(v) = row.get(key) {
                    last.insert(row.cpu, v);
                }
            }
            return (!last.is_empty())
                .then(|| last.values().fold(0u64, |a, v| a.saturating_add(*v)));
        }
        self.first_cpu_only
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.value)
    }

    /// Entries in the table: the last `conntrack -C` number, else `entries` of the old form or of
    /// `/proc/net/stat/nf_conntrack` rows (the same table-wide number on every row).
    pub fn entries(&self) -> Option<(u64, u32)> {
        if let Some(n) = self.counts.last() {
            return Some((n.value, n.line));
        }
        if let Some(c) = self.first_cpu_only.iter().find(|c| c.key == "entries") {
            return Some((c.value, c.line));
        }
        self.per_cpu
            .iter()
            .filter_map(|r| r.get("entries").map(|v| (v, r.line)))
            .fold(None, |best: Option<(u64, u32)>, row| match best {
                Some(b) if b.0 >= row.0 => Some(b),
                _ => Some(row),
            })
    }

    pub fn is_empty(&self) -> bool {
        self.per_cpu.is_empty()
            && self.first_cpu_only.is_empty()
            && self.counts.is_empty()
            && self.errors.is_empty()
    }
}

/// One CPU's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CpuRow {
    pub cpu: u32,
    pub line: u32,
    pub span: Span,
    pub counters: Vec<Counter>,
}

impl CpuRow {
    pub fn get(&self, key: &str) -> Option<u64> {
        self.counters.iter().find(|c| c.key == key).map(|c| c.value)
    }
}

/// One `key=value` counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counter {
    pub key: String,
    pub value: u64,
    pub line: u32,
    pub span: Span,
}

/// A number alone on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Number {
    pub value: u64,
    pub line: u32,
    pub span: Span,
}

/// A line printed by a tool about itself (errors, exit codes, commands).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolMessage {
    pub line: u32,
    pub span: Span,
    pub text: String,
}

/// Parses one `conntrack -S` / `conntrack -C` section.
pub fn parse_stats(text: &str, origin: Origin) -> Parsed<Stats> {
    parse_stats_with_command(text, origin, None)
}

/// Parses a statistics section together with the command line that opened it.
pub fn parse_stats_with_command(
    text: &str,
    origin: Origin,
    command: Option<&str>,
) -> Parsed<Stats> {
    let mut stats = Stats::default();
    let mut diagnostics = Vec::new();
    if let Some(c) = command.filter(|c| runs_in_container(c)) {
        stats.via_exec = Some(ToolMessage {
            line: origin.line.saturating_sub(1),
            span: Span::new(origin.offset, origin.offset),
            text: c.chars().take(200).collect(),
        });
    }
    // Column names of `/proc/net/stat/nf_conntrack`, once its header line was seen.
    let mut proc_header: Option<Vec<String>> = None;
    let mut seen_cpus = BTreeSet::new();
    for line in lines(text, origin) {
        let t = line.text.trim();
        if t.is_empty() {
            continue;
        }
        if is_elision(t) {
            diagnostics.push(Diagnostic::info(
                &line,
                "`...` marks text left out of the paste",
            ));
            continue;
        }
        if t.starts_with("cpu=") {
            stats_row(&line, t, &mut stats, &mut seen_cpus, &mut diagnostics);
            continue;
        }
        if let Some(header) = &proc_header {
            if let Some(row) = proc_row(&line, t, header, stats.per_cpu.len()) {
                stats.per_cpu.push(row);
                continue;
            }
        }
        if is_proc_header(t) {
            proc_header = Some(t.split_whitespace().map(str::to_string).collect());
            continue;
        }
        if let Some(counter) = old_form_counter(&line, t) {
            stats.first_cpu_only.push(counter);
            continue;
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            match t.parse::<u64>() {
                Ok(value) => stats.counts.push(Number {
                    value,
                    line: line.number,
                    span: line.span_of(t),
                }),
                Err(_) => diagnostics.push(Diagnostic::warning(
                    &line,
                    format!("number out of range: {}", quote(t)),
                )),
            }
            continue;
        }
        if is_tool_message(t) {
            stats.errors.push(ToolMessage {
                line: line.number,
                span: line.span,
                text: t.chars().take(200).collect(),
            });
            continue;
        }
        if t.contains("conntrack") && runs_in_container(t) && is_command_line(t) {
            stats.via_exec = Some(ToolMessage {
                line: line.number,
                span: line.span,
                text: t.chars().take(200).collect(),
            });
            continue;
        }
        if is_command_line(t) {
            diagnostics.push(Diagnostic::info(
                &line,
                format!("a command line, not output: {}", quote(t)),
            ));
            continue;
        }
        diagnostics.push(Diagnostic::error(
            &line,
            format!("not `conntrack -S` output, ignored: {}", quote(t)),
        ));
    }
    Parsed {
        value: stats,
        diagnostics,
    }
}

fn stats_row(
    line: &Line<'_>,
    t: &str,
    stats: &mut Stats,
    seen_cpus: &mut BTreeSet<u32>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut words = t.split_whitespace();
    let cpu_word = words.next().unwrap_or("");
    let cpu = match cpu_word.strip_prefix("cpu=").map(str::parse::<u32>) {
        Some(Ok(n)) => n,
        _ => {
            diagnostics.push(Diagnostic::error(
                line,
                format!("a CPU number was expected: {}", quote(cpu_word)),
            ));
            return;
        }
    };
    let mut counters = Vec::new();
    for word in words {
        let Some((key, value)) = word.split_once('=') else {
            diagnostics.push(Diagnostic::warning(
                line,
                format!("not a `key=value` counter: {}", quote(word)),
            ));
            continue;
        };
        if key.is_empty()
            || key.len() > MAX_KEY_LEN
            || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            diagnostics.push(Diagnostic::warning(
                line,
                format!("not a counter name: {}", quote(key)),
            ));
            continue;
        }
        match value.parse::<u64>() {
            Ok(v) if counters.len() < MAX_COUNTERS_PER_LINE => counters.push(Counter {
                key: key.to_string(),
                value: v,
                line: line.number,
                span: line.span_of(word),
            }),
            Ok(_) => {}
            Err(_) => diagnostics.push(Diagnostic::warning(
                line,
                format!("the counter {key} has no number: {}", quote(value)),
            )),
        }
    }
    if !seen_cpus.insert(cpu) {
        diagnostics.push(Diagnostic::info(
            line,
            format!("cpu={cpu} appears again: a second `conntrack -S` run in the same section? Both rows are kept"),
        ));
    }
    stats.per_cpu.push(CpuRow {
        cpu,
        line: line.number,
        span: line.span,
        counters,
    });
}

/// The header of `/proc/net/stat/nf_conntrack`: `entries searched found new …`.
fn is_proc_header(t: &str) -> bool {
    let words: Vec<&str> = t
        .split_whitespace()
        .take(MAX_COUNTERS_PER_LINE + 1)
        .collect();
    words.first() == Some(&"entries")
        && words.len() >= 5
        && words.len() <= MAX_COUNTERS_PER_LINE
        && words.iter().all(|w| {
            w.len() <= MAX_KEY_LEN && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
}

/// A row of hexadecimal numbers under the `/proc/net/stat/nf_conntrack` header.
fn proc_row(line: &Line<'_>, t: &str, header: &[String], cpu: usize) -> Option<CpuRow> {
    let words: Vec<&str> = t.split_whitespace().take(header.len() + 1).collect();
    if words.len() != header.len()
        || !words
            .iter()
            .all(|w| !w.is_empty() && w.len() <= 16 && w.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return None;
    }
    let counters = header
        .iter()
        .zip(&words)
        .filter_map(|(key, word)| {
            u64::from_str_radix(word, 16).ok().map(|value| Counter {
                key: key.clone(),
                value,
                line: line.number,
                span: line.span_of(word),
            })
        })
        .collect();
    Some(CpuRow {
        cpu: u32::try_from(cpu).unwrap_or(u32::MAX),
        line: line.number,
        span: line.span,
        counters,
    })
}

/// `entries   \t\t90`: the old `conntrack -S` form.
fn old_form_counter(line: &Line<'_>, t: &str) -> Option<Counter> {
    let mut words = t.split_whitespace();
    let key = words.next()?;
    let value = words.next()?;
    if words.next().is_some()
        || key.len() > MAX_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        || !value.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(Counter {
        key: key.to_string(),
        value: value.parse().ok()?,
        line: line.number,
        span: line.span_of(value),
    })
}

pub(crate) fn is_tool_message(t: &str) -> bool {
    t.starts_with("conntrack v")
        || t.starts_with("conntrack:")
        || t.contains("Operation failed")
        || t.starts_with("command terminated with exit code")
        || t.starts_with("error: ")
        || t.starts_with("Error: ")
        || t.starts_with("OCI runtime exec failed")
        || t.contains("command not found")
        || t.contains("executable file not found")
}

fn runs_in_container(t: &str) -> bool {
    (t.contains("kubectl ")
        || t.contains("docker ")
        || t.contains("crictl ")
        || t.contains("nerdctl ")
        || t.contains("oc "))
        && t.contains(" exec ")
}

/// A shell command line: a known tool after something that looks like a prompt.
pub(crate) fn is_command_line(t: &str) -> bool {
    let words: Vec<&str> = t.split_whitespace().take(16).collect();
    let tools = [
        "conntrack",
        "kubectl",
        "docker",
        "crictl",
        "nerdctl",
        "cat",
        "wc",
        "sudo",
        "nsenter",
        "oc",
    ];
    words
        .iter()
        .position(|w| tools.contains(&w.rsplit('/').next().unwrap_or(w)))
        .is_some_and(|at| prompt_like(&words[..at]))
}

mod listing;

pub use listing::{
    parse_list, parse_list_with_command, Addr, Entry, EntryRef, Family, Listing, Tuple, TupleRef,
    FLAG_ASSURED, FLAG_OFFLOAD, FLAG_UNREPLIED,
};

#[cfg(test)]
mod tests;
