//! `svcpath redact` and `svcpath explain --redact`: the redacted dump, or the report of the redacted copy.

use std::process::ExitCode;

use svcpath_analysis::redact;

use crate::args::{Format, InputArgs};
use crate::{input, output, unreadable};

/// Redacts the input; writes the redacted dump (to `out`, else stdout), or with `report` the redacted
/// copy's report in that format.
pub(crate) fn run(input: &InputArgs, out: Option<&str>, report: Option<Format>) -> ExitCode {
    let paste = match input::read(&input.files, input.node.as_deref()) {
        Ok(p) => p,
        Err(message) => return unreadable(&message),
    };
    let redacted = redact::redact_dump(&paste.text, &input.options());
    drop(paste.text);
    let Some(format) = report else {
        eprintln!(
            "svcpath: {} addresses, {} names and {} chain hashes replaced",
            redacted.addresses, redacted.names, redacted.chains
        );
        return match out {
            Some(path) => match std::fs::write(path, redacted.dump.as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("svcpath: cannot write {path}: {e}");
                    ExitCode::from(1)
                }
            },
            None => output::text(&redacted.dump),
        };
    };
    let mut report = svcpath_analysis::analyze(&redacted.dump, &redacted.options);
    // Diagnostics about the bytes read name lines only, never input text: they stay.
    report.diagnostics.splice(0..0, paste.diagnostics);
    output::report(&report, format)
}
