//! `svcpath compare` and `svcpath diff`: each file read as one node's capture (named after the file),
//! explained, and the reports compared side by side or as two moments.

use std::path::Path;
use std::process::ExitCode;

use svcpath_analysis::nodes;
use svcpath_analysis::{Options, Report};

use crate::args::{CompareArgs, DiffArgs, NodesFormat};
use crate::output;

/// A node's name from its file: the file name without folders and without a `.txt`/`.log`/`.out`
/// ending (`captures/node-a.txt` → `node-a`).
pub(crate) fn node_name(file: &str) -> String {
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    for ending in [".txt", ".log", ".out", ".dump"] {
        if let Some(stem) = name.strip_suffix(ending) {
            if !stem.is_empty() {
                return stem.to_string();
            }
        }
    }
    name
}

/// Reads one file as one node and explains it.
fn explain(file: &str) -> Result<Report, String> {
    let input = crate::input::read(std::slice::from_ref(&file.to_string()))?;
    let mut report = svcpath_analysis::analyze(&input.text, &Options::default());
    report.diagnostics.splice(0..0, input.diagnostics);
    Ok(report)
}

pub(crate) fn compare(args: &CompareArgs) -> ExitCode {
    let mut reports = Vec::with_capacity(args.files.len());
    for file in &args.files {
        match explain(file) {
            Ok(report) => reports.push((node_name(file), report)),
            Err(message) => return crate::unreadable(&message),
        }
    }
    let comparison = nodes::compare(&reports);
    match args.format {
        NodesFormat::Json => output::json(&comparison),
        NodesFormat::Text => output::text(&nodes::render::compare_text(&comparison)),
        NodesFormat::Markdown => output::text(&nodes::render::compare_markdown(&comparison)),
    }
}

pub(crate) fn diff(args: &DiffArgs) -> ExitCode {
    let before = match explain(&args.before) {
        Ok(r) => r,
        Err(message) => return crate::unreadable(&message),
    };
    let after = match explain(&args.after) {
        Ok(r) => r,
        Err(message) => return crate::unreadable(&message),
    };
    let diff = nodes::diff(&before, &after);
    match args.format {
        NodesFormat::Json => output::json(&diff),
        NodesFormat::Text => output::text(&nodes::render::diff_text(&diff)),
        NodesFormat::Markdown => output::text(&nodes::render::diff_markdown(&diff)),
    }
}

#[cfg(test)]
mod tests {
    use super::node_name;

    #[test]
    fn a_node_is_named_after_its_file() {
        assert_eq!(node_name("captures/node-a.txt"), "node-a");
        assert_eq!(node_name("worker-1"), "worker-1");
        assert_eq!(node_name("/x/.txt"), ".txt");
    }
}
