//! `svcpath explain` of a bundle of several nodes: each node's report in turn, under its name (text and
//! Markdown), or one JSON object listing the nodes with their reports.

use std::process::ExitCode;

use serde::Serialize;
use svcpath_analysis::render;
use svcpath_analysis::report::Report;
use svcpath_analysis::Options;

use crate::args::Format;
use crate::input::{self, Node};
use crate::output;

/// One node in the JSON output.
#[derive(Serialize)]
struct NodeReport<'a> {
    name: &'a str,
    /// Where the name comes from: `marker`, `hostname`, `prompt`, `folder`, `file_name`, `unknown`.
    name_source: &'static str,
    files: &'a [String],
    report: Report,
}

/// The JSON output: `{"nodes": [{"name", "name_source", "files", "report"}]}`.
#[derive(Serialize)]
struct NodesReport<'a> {
    nodes: Vec<NodeReport<'a>>,
}

/// Explains every node, in the order the bundle holds them.
pub(crate) fn explain_each(nodes: Vec<Node>, options: &Options, format: Format) -> ExitCode {
    eprintln!(
        "svcpath: the input holds {} nodes ({}): each is explained below, one after another; \
         `--node NAME` explains one",
        nodes.len(),
        input::names(&nodes)
    );
    let reports: Vec<(Node, Report)> = nodes
        .into_iter()
        .map(|mut node| {
            let text = std::mem::take(&mut node.input.text);
            let mut report = svcpath_analysis::analyze(&text, options);
            report
                .diagnostics
                .splice(0..0, std::mem::take(&mut node.input.diagnostics));
            (node, report)
        })
        .collect();
    if format == Format::Json {
        let nodes = reports
            .iter()
            .map(|(node, report)| NodeReport {
                name: &node.name,
                name_source: source_word(node.name_source),
                files: &node.files,
                report: report.clone(),
            })
            .collect();
        return output::json(&NodesReport { nodes });
    }
    let mut out = String::new();
    for (node, report) in &reports {
        let files = node.files.join(", ");
        let source = node.name_source.describe();
        match format {
            Format::Text => out.push_str(&format!(
                "===== node {} (named by its {source}; {files}) =====\n\n{}\n",
                node.name,
                render::text(report)
            )),
            Format::Markdown | Format::MarkdownChat => {
                let body = if format == Format::Markdown {
                    render::markdown(report)
                } else {
                    render::markdown_chat(report)
                };
                out.push_str(&format!(
                    "# Node {} \n\nNamed by its {source}; files: {files}\n\n{body}\n",
                    node.name
                ));
            }
            Format::Json => {}
        }
    }
    output::text(&out)
}

fn source_word(source: svcpath_bundle::NameSource) -> &'static str {
    use svcpath_bundle::NameSource::*;
    match source {
        Marker => "marker",
        Hostname => "hostname",
        Prompt => "prompt",
        Folder => "folder",
        FileName => "file_name",
        Unknown => "unknown",
    }
}
