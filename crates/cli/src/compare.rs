//! `svcpath compare` and `svcpath diff`: each file read as one node's capture (or, for a bundle, as the
//! nodes it holds), explained, and the reports compared side by side or as two moments.

use std::collections::HashSet;
use std::process::ExitCode;

use svcpath_analysis::nodes;
use svcpath_analysis::{Options, Report};

use crate::args::{CompareArgs, DiffArgs, NodesFormat};
use crate::input::{self, Node};
use crate::output;

/// Explains one node's capture, the diagnostics of reading it first.
fn explain(node: Node) -> (String, Report) {
    let mut report = svcpath_analysis::analyze(&node.input.text, &Options::default());
    report.diagnostics.splice(0..0, node.input.diagnostics);
    (node.name, report)
}

/// The nodes of every file in turn: a plain file is one node, a bundle the nodes it holds.
fn read_each(files: &[String]) -> Result<Vec<Node>, String> {
    let mut nodes = Vec::new();
    for file in files {
        nodes.extend(input::read_nodes(std::slice::from_ref(file))?);
    }
    Ok(nodes)
}

/// Two captures that name the same node (both say `hostname` → `node`) stay two columns: the later
/// ones get `#2`, `#3`… after the name.
fn distinct_names(nodes: &mut [Node]) {
    let mut seen = HashSet::new();
    for node in nodes {
        if !seen.insert(node.name.clone()) {
            let mut n = 2;
            while seen.contains(&format!("{}#{n}", node.name)) {
                n += 1;
            }
            node.name = format!("{}#{n}", node.name);
            seen.insert(node.name.clone());
        }
    }
}

pub(crate) fn compare(args: &CompareArgs) -> ExitCode {
    let mut read = match read_each(&args.files) {
        Ok(n) => n,
        Err(message) => return crate::unreadable(&message),
    };
    distinct_names(&mut read);
    let reports: Vec<(String, Report)> = read.into_iter().map(explain).collect();
    let comparison = nodes::compare(&reports);
    match args.format {
        NodesFormat::Json => output::json(&comparison),
        NodesFormat::Text => output::text(&nodes::render::compare_text(&comparison)),
        NodesFormat::Markdown => output::text(&nodes::render::compare_markdown(&comparison)),
    }
}

/// One moment of one node: the file's only node, or the one `--node` names in a bundle of several.
fn one_moment(file: &str, wanted: Option<&str>) -> Result<Report, String> {
    let mut read = input::read_nodes(&[file.to_string()])?;
    let at = match wanted {
        // A file of one node is that node, whatever `--node` names (a bundle beside a plain file).
        _ if read.len() == 1 => 0,
        Some(name) => read.iter().position(|n| n.name == name).ok_or_else(|| {
            format!(
                "no node named {name} in {file}; it holds {}",
                input::names(&read)
            )
        })?,
        None if read.len() > 1 => {
            return Err(format!(
                "{file} holds {} nodes ({}); diff compares two moments of one node: name it with --node",
                read.len(),
                input::names(&read)
            ))
        }
        None => 0,
    };
    Ok(explain(read.swap_remove(at)).1)
}

pub(crate) fn diff(args: &DiffArgs) -> ExitCode {
    let before = match one_moment(&args.before, args.node.as_deref()) {
        Ok(r) => r,
        Err(message) => return crate::unreadable(&message),
    };
    let after = match one_moment(&args.after, args.node.as_deref()) {
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
