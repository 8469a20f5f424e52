//! What the page holds about an analysis: the text and report on screen, its redacted copy, the
//! worker's progress, traces asked for, and a share link made.

use std::cell::OnceCell;
use std::rc::Rc;

use svcpath_analysis::explain::{explain, Explanation, LineFacts, LineKind};
use svcpath_analysis::owner::Owner;
use svcpath_analysis::trace::Trace;
use svcpath_analysis::{Report, ReportStage};

/// Longest share link offered for a chat without a warning: many chat tools and ticket systems cut or
/// refuse longer messages.
pub const CHAT_LINK_LIMIT: usize = 8 * 1024;

/// A dropped or chosen file, where its text sits in the combined input.
#[derive(Debug, Clone, PartialEq)]
pub struct FileNote {
    pub name: String,
    pub bytes: usize,
    pub first_line: u32,
    pub last_line: u32,
}

/// One node of the opened files: its name (the user may change it), where the name came from, its
/// text and the files it was made of.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInput {
    pub name: String,
    /// How the name was found (`folder`, `hostname`, `shell prompt`, …).
    pub name_source: &'static str,
    pub text: Rc<str>,
    /// Invalid UTF-8 and NUL bytes replaced in `text`, by line.
    pub diagnostics: Vec<svcpath_analysis::report::DiagnosticEntry>,
    pub files: Vec<FileNote>,
}

/// A report with the text it explains.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub text: Rc<str>,
    pub line_starts: Rc<Vec<usize>>,
    pub report: Rc<Report>,
    /// Each Service's chain names (`KUBE-SVC-…`, `service-…`), read from its lines, for the search:
    /// read on the first search ([`Shown::chains`]), not when the report arrives — for 10,000
    /// Services that is a walk over every endpoint's lines the first screen does not need.
    chains: Rc<OnceCell<Vec<Vec<String>>>>,
    /// Who wrote each nft rule line, by line, as the worker sends it beside the report
    /// ([`crate::protocol::Reply::LineOwners`]); empty until it arrives.
    pub nft_owners: Rc<Vec<(u32, Owner)>>,
    /// Set while `report` is a first part holding only the first screenful of the Services table:
    /// how many Services the report has (the rest follow in the next part).
    pub services_total: Option<usize>,
}

impl Shown {
    pub fn new(text: Rc<str>, report: Rc<Report>) -> Shown {
        let line_starts = Rc::new(line_starts(&text));
        Shown::with_line_starts(text, line_starts, report)
    }

    /// [`Shown::new`] with the line index of `text` already made (the same text's earlier report).
    pub fn with_line_starts(
        text: Rc<str>,
        line_starts: Rc<Vec<usize>>,
        report: Rc<Report>,
    ) -> Shown {
        Shown {
            text,
            line_starts,
            report,
            chains: Rc::default(),
            nft_owners: Rc::default(),
            services_total: None,
        }
    }

    /// Each Service's chain names, `chains()[i]` for `report.services[i]`, read from its lines once
    /// (clones share them).
    pub fn chains(&self) -> &[Vec<String>] {
        self.chains.get_or_init(|| {
            self.report
                .services
                .iter()
                .map(|s| crate::reading::service_chains(s, |n| self.line(n)))
                .collect()
        })
    }

    /// The text of 1-based line `n`, without its newline.
    pub fn line(&self, n: u32) -> &str {
        let i = (n as usize).saturating_sub(1);
        let (Some(&start), end) = (self.line_starts.get(i), self.line_starts.get(i + 1)) else {
            return "";
        };
        let end = end.copied().unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// Which tool printed line `n`, when the Source view can explain lines of its section.
    pub fn line_kind(&self, n: u32) -> Option<LineKind> {
        self.report
            .sections
            .iter()
            .filter(|s| (s.first_line..=s.last_line).contains(&n))
            .find_map(|s| LineKind::from_section(s.kind.name()))
    }

    /// The Source view's notes on line `n`: what the line says, with what the analysis knows about it
    /// (an endpoint rule's share from the report, an nft rule's owner from the worker). One look-up for
    /// the one line explained; nothing above it is read.
    pub fn explanation(&self, n: u32) -> Option<Explanation> {
        let kind = self.line_kind(n)?;
        let facts = match kind {
            LineKind::Iptables => LineFacts::from_report(&self.report, n),
            LineKind::Nft => LineFacts {
                owner: self
                    .nft_owners
                    .binary_search_by_key(&n, |(line, _)| *line)
                    .ok()
                    .map(|i| self.nft_owners[i].1),
                ..LineFacts::default()
            },
            LineKind::Ipvsadm => LineFacts::default(),
        };
        explain(kind, self.line(n), &facts)
    }

    pub fn line_count(&self) -> u32 {
        let n = self.line_starts.len();
        // A final newline does not start another line.
        let n = if self.text.ends_with('\n') { n - 1 } else { n };
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    starts
}

/// A redacted copy as the worker redacted and explained it.
#[derive(Debug, Clone, PartialEq)]
pub struct RedactedCopy {
    pub shown: Shown,
    pub addresses: usize,
    pub names: usize,
    pub chains: usize,
    /// The redacted id of each Service of the real report, in its order.
    pub service_ids: Vec<String>,
}

impl RedactedCopy {
    /// The id a Service has in the other copy: `to_redacted` from the real id, else back.
    pub fn other_id(&self, real: &Report, id: &str, to_redacted: bool) -> Option<String> {
        if to_redacted {
            let index = real.services.iter().position(|s| s.id == id)?;
            self.service_ids.get(index).cloned()
        } else {
            let index = self.service_ids.iter().position(|s| s == id)?;
            real.services.get(index).map(|s| s.id.clone())
        }
    }
}

/// A share link that was made, and whether it is too long for a chat.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareLink {
    pub link: String,
    /// Over [`CHAT_LINK_LIMIT`]: offered as a file first, the link only on request.
    pub long: bool,
    /// Shown (and copied) to the user.
    pub shown: bool,
    /// Too large for any link: only the file is offered.
    pub too_large: bool,
}

/// Where the analysis stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Idle,
    Reading {
        done: usize,
        total: usize,
    },
    /// The worker reads the input. `stage` is the last stage of the report it finished, once its
    /// Services are on screen; `services_millis` the worker's time to them.
    Analysing {
        bytes: usize,
        since: f64,
        stage: Option<ReportStage>,
        services_millis: Option<f64>,
    },
    Done {
        millis: f64,
        bytes: usize,
    },
    Failed(String),
}

/// The Services of a large report coming in after its first screenful, gathered in report order.
#[derive(Debug, Clone, PartialEq)]
pub struct Gathering {
    /// The first part (the report so far with its first screenful of Services), whose other fields
    /// the gathered Services join.
    pub head: Rc<Report>,
    pub total: usize,
    pub services: Vec<svcpath_analysis::report::Service>,
}

/// A Service's traces, each with its label.
pub type Paths = Rc<Vec<(String, Trace)>>;

/// A Service's traces, requested from the worker when its page opens.
#[derive(Debug, Clone, PartialEq)]
pub struct PathsState {
    pub seq: u64,
    pub generation: u64,
    pub index: usize,
    pub result: Option<Result<Paths, String>>,
}

/// The Trace form's request and answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceState {
    pub seq: u64,
    pub loading: bool,
    pub result: Option<Result<Rc<Trace>, String>>,
}

/// What would replace the user's paste if they agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replace {
    /// A bundled sample (chosen from the list, or a tour's link), by name.
    Sample(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use svcpath_analysis::report::{Endpoint, Service};

    #[test]
    fn chain_names_are_read_from_the_lines_on_first_use_and_shared_by_clones() {
        let text = "-A KUBE-SERVICES -j KUBE-SVC-AAA\n-A KUBE-SVC-AAA -j KUBE-SEP-BBB\n";
        let service = Service {
            lines: vec![1],
            endpoints: vec![Endpoint {
                lines: vec![2],
                ..Endpoint::default()
            }],
            ..Service::default()
        };
        let report = Report {
            services: vec![service],
            ..Report::default()
        };
        let shown = Shown::new(Rc::from(text), Rc::new(report));
        let copy = shown.clone();
        assert_eq!(shown.chains(), [vec!["KUBE-SVC-AAA", "KUBE-SEP-BBB"]]);
        assert!(std::ptr::eq(shown.chains(), copy.chains()));
    }
}
