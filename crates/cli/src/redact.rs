//! `svcpath redact` and `svcpath explain --redact`: the redacted dump, or the report of the redacted copy.

use std::process::ExitCode;

use svcpath_analysis::{redact, render, Options};

use crate::args::Format;
use crate::{input, write_json, write_out};

pub fn run(
    files: &[String],
    output: Option<&str>,
    options: &Options,
    report: Option<Format>,
) -> ExitCode {
    let paste = match input::read(files) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("svcpath: {message}");
            return ExitCode::from(1);
        }
    };
    let redacted = redact::redact_dump(&paste.text, options);
    drop(paste.text);
    let Some(format) = report else {
        eprintln!(
            "svcpath: {} addresses, {} names and {} chain hashes replaced",
            redacted.addresses, redacted.names, redacted.chains
        );
        return match output {
            Some(path) => match std::fs::write(path, redacted.dump.as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("svcpath: cannot write {path}: {e}");
                    ExitCode::from(1)
                }
            },
            None => write_out(&redacted.dump),
        };
    };
    let mut report = svcpath_analysis::analyze(&redacted.dump, &redacted.options);
    // Diagnostics about the bytes read name lines only, never input text: they stay.
    report.diagnostics.splice(0..0, paste.diagnostics);
    match format {
        Format::Json => write_json(&report),
        Format::Markdown => write_out(&render::markdown(&report)),
        Format::MarkdownChat => write_out(&render::markdown_chat(&report)),
        Format::Text => write_out(&render::text(&report)),
    }
}
