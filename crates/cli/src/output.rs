//! Writing to standard output: the report in the chosen format, JSON streamed, a closed pipe not an error.

use std::io::Write;
use std::process::ExitCode;

use svcpath_analysis::render;
use svcpath_analysis::report::Report;

use crate::args::Format;

/// Writes `report` in `format`: the one place a report format is chosen.
pub(crate) fn report(report: &Report, format: Format) -> ExitCode {
    match format {
        Format::Json => json(report),
        Format::Markdown => text(&render::markdown(report)),
        Format::MarkdownChat => text(&render::markdown_chat(report)),
        Format::Text => text(&render::text(report)),
    }
}

/// Writes `value` as pretty JSON straight to stdout: a large node's report is not held twice in memory.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> ExitCode {
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut stdout, value)
        .map_err(std::io::Error::from)
        .and_then(|_| stdout.write_all(b"\n"))
        .and_then(|_| stdout.flush());
    finished(written)
}

/// Writes `text` to stdout as it is.
pub(crate) fn text(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    finished(
        stdout
            .write_all(text.as_bytes())
            .and_then(|_| stdout.flush()),
    )
}

fn finished(written: std::io::Result<()>) -> ExitCode {
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`svcpath explain | head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("svcpath: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}
