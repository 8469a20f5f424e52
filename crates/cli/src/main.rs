//! The `svcpath` command line: reads dumps from files or stdin and prints the report as text, JSON or
//! Markdown, or traces one packet through the rules.
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

mod args;
mod compare;
mod input;
mod nodes;
mod output;
mod redact;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command, TraceFormat};

fn main() -> ExitCode {
    // Usage errors, `--help` and `--version` end here, in clap's words; a usage error exits with 2.
    let cli = Cli::parse();
    match cli.command {
        Command::Explain(explain) if explain.redact => {
            redact::run(&explain.input, None, Some(explain.format))
        }
        Command::Explain(explain) if explain.input.node.is_none() => {
            let nodes = match input::read_nodes(&explain.input.files) {
                Ok(n) => n,
                Err(message) => return unreadable(&message),
            };
            if nodes.len() > 1 {
                return nodes::explain_each(nodes, &explain.input.options(), explain.format);
            }
            let Some(node) = nodes.into_iter().next() else {
                return unreadable("nothing to read");
            };
            explain_one(node.input, &explain)
        }
        Command::Explain(explain) => {
            let paste = match input::read(&explain.input.files, explain.input.node.as_deref()) {
                Ok(p) => p,
                Err(message) => return unreadable(&message),
            };
            explain_one(paste, &explain)
        }
        Command::Redact(redact) => redact::run(&redact.input, redact.output.as_deref(), None),
        Command::Trace(trace) => {
            let paste = match input::read(&trace.input.files, trace.input.node.as_deref()) {
                Ok(p) => p,
                Err(message) => return unreadable(&message),
            };
            let options = trace.input.options();
            let snapshot = svcpath_analysis::Snapshot::parse(&paste.text, &options);
            let result = if trace.established {
                svcpath_analysis::conntrack::trace_established(
                    &snapshot,
                    &options,
                    &trace.packet(),
                    trace.src_port,
                )
            } else {
                svcpath_analysis::trace::trace(&snapshot, &options, &trace.packet())
            };
            match trace.format {
                TraceFormat::Json => output::json(&result),
                TraceFormat::Text => output::text(&trace_text(&result)),
            }
        }
        Command::Compare(args) => compare::compare(&args),
        Command::Diff(args) => compare::diff(&args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "svcpath",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
    }
}

/// The report of one node's text.
/// Runs once per process, which ends after the output is written: for JSON, the parse tree and the
/// report are left to the process's exit instead of being freed one allocation at a time (a rule, a
/// module, an option each; several percent of the time on a large node). That holds no more memory
/// at the peak: both are alive together while the report is built, and JSON is streamed. The other
/// formats render the report into one string first, which may reuse the parse tree's memory.
fn explain_one(paste: input::Input, explain: &args::ExplainArgs) -> ExitCode {
    let options = explain.input.options();
    let snapshot = svcpath_analysis::Snapshot::parse(&paste.text, &options);
    let mut report = snapshot.report(&options);
    let streamed = matches!(explain.format, args::Format::Json);
    if streamed {
        std::mem::forget(snapshot);
    } else {
        drop(snapshot);
    }
    // The report stands on its own: the paste (as large as the input) is not needed for output.
    drop(paste.text);
    report.diagnostics.splice(0..0, paste.diagnostics);
    let status = output::report(&report, explain.format);
    if streamed {
        std::mem::forget(report);
    }
    status
}

/// A file or standard input could not be read: exit status 1.
pub(crate) fn unreadable(message: &str) -> ExitCode {
    eprintln!("svcpath: {message}");
    ExitCode::from(1)
}

fn trace_text(trace: &svcpath_analysis::trace::Trace) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let p = &trace.packet;
    let _ = writeln!(
        out,
        "packet: {} -> {}:{}/{} from {}{}",
        p.src.as_deref().unwrap_or("?"),
        p.dst,
        p.dst_port,
        p.protocol.name(),
        match p.from {
            svcpath_analysis::trace::Origin::Pod => "a pod",
            svcpath_analysis::trace::Origin::Node => "the node",
            svcpath_analysis::trace::Origin::External => "outside",
        },
        if p.returning_client {
            " (returning client)"
        } else {
            ""
        }
    );
    for note in &trace.notes {
        let _ = writeln!(out, "note: {note}");
    }
    for o in &trace.outcomes {
        let _ = writeln!(
            out,
            "\n{:>6.2}%  {}{}{}{}",
            o.probability * 100.0,
            o.verdict,
            o.endpoint
                .as_deref()
                .map(|e| format!(" to {e}"))
                .unwrap_or_default(),
            if o.masquerade { ", masqueraded" } else { "" },
            if o.uncertain { " (uncertain)" } else { "" }
        );
        for reason in &o.uncertain_reasons {
            let _ = writeln!(out, "         uncertain: {reason}");
        }
        for step in &o.steps {
            let line = step
                .line
                .map(|l| format!("line {l}"))
                .unwrap_or_else(|| "policy".to_string());
            let _ = writeln!(
                out,
                "         {:<11} {}/{:<24} {:<10} {}",
                step.hook, step.table, step.chain, line, step.note
            );
        }
    }
    out
}
