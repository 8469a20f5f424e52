//! Reading the input: files or stdin as bytes, opened by `svcpath_bundle` (archives, UTF-16, invalid
//! UTF-8 replaced and reported by line), as one node's text or as several nodes'.

use std::io::Read;

use svcpath_analysis::report::{DiagnosticEntry, DiagnosticSeverity};
use svcpath_bundle::{Limits, NodeText, Opened};

/// The text to analyse and what was wrong with its bytes.
pub(crate) struct Input {
    pub(crate) text: String,
    pub(crate) diagnostics: Vec<DiagnosticEntry>,
}

/// One node of a bundle: its name, the files its text came from, its text.
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) name_source: svcpath_bundle::NameSource,
    pub(crate) files: Vec<String>,
    pub(crate) input: Input,
}

/// Most skipped entries listed one by one on standard error.
const SKIPPED_LISTED: usize = 20;

/// Reads the files (stdin for none or `-`) as one node's text: the files one after another with a
/// line break between. A bundle of several nodes gives the one `node` names, or an error naming them.
pub(crate) fn read(files: &[String], node: Option<&str>) -> Result<Input, String> {
    let mut nodes = read_nodes(files)?;
    if let Some(wanted) = node {
        return match nodes.iter().position(|n| n.name == wanted) {
            Some(at) => Ok(nodes.swap_remove(at).input),
            None => Err(format!(
                "no node named {wanted} in the input; it holds {}",
                names(&nodes)
            )),
        };
    }
    if nodes.len() > 1 {
        return Err(format!(
            "the input holds {} nodes ({}): choose one with --node NAME",
            nodes.len(),
            names(&nodes)
        ));
    }
    Ok(nodes.remove(0).input)
}

/// The nodes' names, for a message.
pub(crate) fn names(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(|n| n.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the files (stdin for none or `-`) as nodes. Files of one node each (`iptables.txt
/// ipset.txt`, or a bundle of one node) are joined into one node; a file of several nodes (an
/// archive with a folder per node) gives each apart. What an archive skipped is said on stderr.
pub(crate) fn read_nodes(files: &[String]) -> Result<Vec<Node>, String> {
    let stdin = ["-".to_string()];
    let files = if files.is_empty() { &stdin[..] } else { files };
    let limits = Limits::default();
    let mut opened = Vec::new();
    for file in files {
        let bytes = read_bytes(file)?;
        let one = svcpath_bundle::open_owned(file, bytes, &limits);
        tell(file, &one);
        if one.nodes.is_empty() {
            // Why was said just above.
            return Err(format!("nothing to read in {}", shown(file)));
        }
        opened.push(one);
    }
    Ok(Opened::nodes_of(opened).into_iter().map(node).collect())
}

fn read_bytes(file: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
    } else {
        let mut f = std::fs::File::open(file).map_err(|e| format!("cannot read {file}: {e}"))?;
        f.read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read {file}: {e}"))?;
    }
    Ok(bytes)
}

fn shown(file: &str) -> &str {
    if file == "-" {
        "standard input"
    } else {
        file
    }
}

/// Says on stderr what opening `file` skipped or noted (a plain UTF-8 file says nothing).
fn tell(file: &str, opened: &Opened) {
    for d in &opened.diagnostics {
        if d.severity > svcpath_bundle::Severity::Info {
            eprintln!("svcpath: {}: {}", shown(file), d.message);
        }
    }
    for s in opened.skipped.iter().take(SKIPPED_LISTED) {
        eprintln!("svcpath: {}: {}", shown(file), s.message);
    }
    if opened.skipped.len() > SKIPPED_LISTED {
        eprintln!(
            "svcpath: {}: … and {} more entries skipped",
            shown(file),
            opened.skipped.len() - SKIPPED_LISTED
        );
    }
}

fn node(text: NodeText) -> Node {
    let diagnostics = text
        .text_issues
        .into_iter()
        .map(|i| DiagnosticEntry {
            line: i.line,
            severity: DiagnosticSeverity::Warning,
            message: i.message,
            start: i.start,
            end: i.end,
        })
        .collect();
    Node {
        name: text.name,
        name_source: text.name_source,
        files: text.files,
        input: Input {
            text: text.text,
            diagnostics,
        },
    }
}
