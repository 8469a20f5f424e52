//! The snapshot: every section of a paste, parsed by the parser for its kind.

use svcpath_syntax::{iptables, nft, split::split_with_overrides, Diagnostic, SectionKind};

use crate::report::{DiagnosticEntry, Report, SectionEntry};
use crate::{Options, MAX_INPUT_BYTES};

/// The parsed content of one paste.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub sections: Vec<svcpath_syntax::Section>,
    pub iptables: Vec<iptables::Ruleset>,
    pub nft: Vec<nft::Ruleset>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Snapshot {
    pub fn parse(paste: &str, options: &Options) -> Snapshot {
        let mut snapshot = Snapshot::default();
        let paste = cut_to_limit(paste, &mut snapshot.diagnostics);
        snapshot.sections = split_with_overrides(paste, &options.section_overrides);
        for section in &snapshot.sections {
            let text = section.text(paste);
            let origin = section.origin();
            match section.kind {
                SectionKind::Iptables => {
                    let parsed = iptables::parse(text, origin);
                    snapshot.diagnostics.extend(parsed.diagnostics);
                    snapshot.iptables.push(parsed.value);
                }
                SectionKind::Nft => {
                    let parsed = nft::parse(text, origin);
                    snapshot.diagnostics.extend(parsed.diagnostics);
                    snapshot.nft.push(parsed.value);
                }
                _ => {}
            }
        }
        snapshot.diagnostics.sort_by_key(|d| (d.line, d.span.start));
        snapshot
    }

    pub fn report(&self, options: &Options) -> Report {
        let _ = options;
        Report {
            sections: self
                .sections
                .iter()
                .map(|s| SectionEntry {
                    kind: s.kind.name().to_string(),
                    detection: serde_plain(&s.detection),
                    command: s.command.clone(),
                    first_line: s.first_line,
                    last_line: s.last_line,
                })
                .collect(),
            diagnostics: self
                .diagnostics
                .iter()
                .map(|d| DiagnosticEntry {
                    line: d.line,
                    severity: serde_plain(&d.severity),
                    message: d.message.clone(),
                    start: d.span.start,
                    end: d.span.end,
                })
                .collect(),
            ..Report::default()
        }
    }
}

fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn cut_to_limit<'a>(paste: &'a str, diagnostics: &mut Vec<Diagnostic>) -> &'a str {
    if paste.len() <= MAX_INPUT_BYTES {
        return paste;
    }
    let mut end = MAX_INPUT_BYTES;
    while !paste.is_char_boundary(end) {
        end -= 1;
    }
    let cut = paste[..end].rfind('\n').map(|i| i + 1).unwrap_or(end);
    let line = svcpath_syntax::source::count_lines(&paste[..cut]) + 1;
    diagnostics.push(Diagnostic {
        line,
        span: svcpath_syntax::Span::new(cut, paste.len()),
        severity: svcpath_syntax::Severity::Error,
        message: format!(
            "the paste is {} MB; svcpath reads the first {} MB (up to line {}) and ignores the rest",
            paste.len() / (1024 * 1024),
            MAX_INPUT_BYTES / (1024 * 1024),
            line - 1
        ),
    });
    &paste[..cut]
}
