//! The `svcpath` command line: reads dumps from files or stdin and prints the report as text, JSON or
//! Markdown, or traces one packet through the rules.
#![forbid(unsafe_code)]

mod args;
mod input;

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
            report.diagnostics.splice(0..0, paste.diagnostics);
            let out = match format {
                Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
                Format::Markdown => svcpath_analysis::render::markdown(&report),
                Format::Text => svcpath_analysis::render::text(&report),
            };
            write_out(&out)
        }
    }
}

fn write_out(text: &str) -> ExitCode {
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
