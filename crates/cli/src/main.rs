//! The `svcpath` command line: reads dumps from files or stdin and prints the report as text, JSON or
//! Markdown, or traces one packet through the rules.
#![forbid(unsafe_code)]

mod args;
mod input;
mod redact;

use std::io::Write;
use std::process::ExitCode;

use args::{Command, Format};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let command = match args::parse(&argv) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("svcpath: {message}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            println!("{}", args::USAGE);
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("svcpath {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Explain {
            files,
            format,
            options,
        } => {
            let paste = match input::read(&files) {
                Ok(p) => p,
                Err(message) => {
                    eprintln!("svcpath: {message}");
                    return ExitCode::from(1);
                }
            };
            let mut report = svcpath_analysis::analyze(&paste.text, &options);
            // The report stands on its own: the paste (as large as the input) is not needed for output.
            drop(paste.text);
            report.diagnostics.splice(0..0, paste.diagnostics);
            match format {
                Format::Json => write_json(&report),
                Format::Markdown => write_out(&svcpath_analysis::render::markdown(&report)),
                Format::MarkdownChat => {
                    write_out(&svcpath_analysis::render::markdown_chat(&report))
                }
                Format::Text => write_out(&svcpath_analysis::render::text(&report)),
            }
        }
        Command::Redact {
            files,
            output,
            options,
            report,
        } => redact::run(&files, output.as_deref(), &options, report),
        Command::Trace {
            files,
            format,
            options,
            packet,
        } => {
            let paste = match input::read(&files) {
                Ok(p) => p,
                Err(message) => {
                    eprintln!("svcpath: {message}");
                    return ExitCode::from(1);
                }
            };
            let snapshot = svcpath_analysis::Snapshot::parse(&paste.text, &options);
            let trace = svcpath_analysis::trace::trace(&snapshot, &options, &packet);
            let out = match format {
                Format::Json => serde_json::to_string_pretty(&trace).unwrap_or_default() + "\n",
                _ => trace_text(&trace),
            };
            write_out(&out)
        }
    }
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

/// Writes `value` as pretty JSON straight to stdout: a large node's report is not held twice in memory.
pub(crate) fn write_json<T: serde::Serialize>(value: &T) -> ExitCode {
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut stdout, value)
        .map_err(std::io::Error::from)
        .and_then(|_| stdout.write_all(b"\n"))
        .and_then(|_| stdout.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("svcpath: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}

pub(crate) fn write_out(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`svcpath explain | head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("svcpath: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}
