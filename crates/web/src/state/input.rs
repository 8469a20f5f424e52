//! Where the input comes from (typing, a paste, files, a sample, a share link) and sending it to be
//! explained.

use std::rc::Rc;

use svcpath_analysis::input::decode;
use svcpath_analysis::report::{DiagnosticEntry, DiagnosticSeverity};
use svcpath_bundle::{Container, NodeText, Opened};

use super::{Effect, FileNote, NodeInput, Replace, State, Status};
use crate::protocol::{Request, UserFacts};
use crate::route::Route;
use crate::samples;

impl State {
    pub(super) fn input_changed(&mut self, fx: &mut Vec<Effect>, text: String, pasted: bool) {
        self.user_input = !text.trim().is_empty();
        self.input = Rc::from(text);
        self.shared_copy = false;
        self.files.clear();
        self.nodes.clear();
        self.compare.forget();
        self.open_notes.clear();
        self.sample = None;
        self.input_diagnostics.clear();
        if pasted {
            self.overrides.clear();
            self.explain(fx);
        }
    }

    pub(super) fn clear(&mut self, fx: &mut Vec<Effect>) {
        self.user_input = false;
        self.input = Rc::from("");
        self.shared_copy = false;
        self.files.clear();
        self.nodes.clear();
        self.compare.forget();
        self.open_notes.clear();
        self.sample = None;
        self.input_diagnostics.clear();
        self.overrides.clear();
        self.worker.forget();
        self.shown = None;
        self.streamed_over = None;
        self.part = None;
        self.gathering = None;
        self.first_look = None;
        self.redacted = None;
        self.status = Status::Idle;
        fx.push(Effect::Ticking(false));
    }

    /// A shared redacted dump opened from a link.
    pub(super) fn open_shared(&mut self, fx: &mut Vec<Effect>, text: String) {
        self.user_input = false;
        self.input = Rc::from(text);
        // Already redacted by the sender: shown as it is, under a banner.
        self.shared_copy = true;
        self.redact = false;
        self.files.clear();
        self.nodes.clear();
        self.compare.forget();
        self.open_notes.clear();
        self.sample = None;
        self.input_diagnostics.clear();
        self.overrides.clear();
        self.explain(fx);
    }

    /// Sends the input to be explained as a new generation; older work is given up.
    pub(super) fn explain(&mut self, fx: &mut Vec<Effect>) {
        // NUL characters (a pasted binary) are replaced and reported by line, as for files.
        if self.input.contains('\0') {
            let decoded = decode(self.input.as_bytes());
            self.input = Rc::from(decoded.text);
            self.input_diagnostics.extend(decoded.diagnostics);
            svcpath_syntax::stable_sort::sort_by_key(&mut self.input_diagnostics, |d| d.line);
        }
        self.share_link = None;
        let (overrides, facts) = (self.overrides.clone(), self.facts.clone());
        let commands = self
            .worker
            .analyze(self.now, self.input.clone(), |generation| {
                Request::Analyze {
                    generation,
                    section_overrides: overrides,
                    node_ips: facts.node_ips,
                    pod_cidrs: facts.pod_cidrs,
                }
            });
        // A report still streaming in is given up: the one complete before it stays until the next.
        self.end_streaming();
        self.part = None;
        self.gathering = None;
        self.first_look = None;
        self.status = Status::Analysing {
            bytes: self.input.len(),
            since: self.now,
            stage: None,
            services_millis: None,
        };
        self.worker_commands(fx, commands);
        if matches!(self.status, Status::Analysing { .. }) {
            fx.push(Effect::Ticking(true));
        }
    }

    pub(super) fn files_chosen(&mut self, fx: &mut Vec<Effect>, names: Vec<String>) -> bool {
        self.dragging = false;
        self.compare.reading_moment = false;
        if names.is_empty() {
            return true;
        }
        self.read_batch += 1;
        fx.push(Effect::StopReading);
        self.status = Status::Reading {
            done: 0,
            total: names.len(),
        };
        self.pending = names.into_iter().map(|name| (name, None)).collect();
        fx.push(Effect::ReadFiles(self.read_batch));
        true
    }

    fn files_done(&self) -> usize {
        self.pending.iter().filter(|p| p.1.is_some()).count()
    }

    pub(super) fn file_read(
        &mut self,
        fx: &mut Vec<Effect>,
        batch: u64,
        index: usize,
        result: Result<Opened, String>,
    ) -> bool {
        if batch != self.read_batch {
            return false;
        }
        match result {
            Ok(opened) => {
                if let Some(slot) = self.pending.get_mut(index) {
                    slot.1 = Some(opened);
                }
            }
            Err(e) => {
                self.status = Status::Failed(format!("could not read a file: {e}"));
                fx.push(Effect::StopReading);
                return true;
            }
        }
        self.status = Status::Reading {
            done: self.files_done(),
            total: self.pending.len(),
        };
        if self.files_done() == self.pending.len() {
            self.combine_files(fx);
        }
        true
    }

    /// All files are read: files of one node each are one input (each file's lines noted, its
    /// diagnostics moved to where it starts); a bundle of several nodes, or files naming several
    /// nodes, gives each node apart, the first explained and all compared (the Nodes view).
    fn combine_files(&mut self, fx: &mut Vec<Effect>) {
        let later_file = self
            .pending
            .first()
            .map(|p| p.0.clone())
            .unwrap_or_default();
        let mut notes = Vec::new();
        let mut opened = Vec::new();
        for (name, one) in self.pending.drain(..) {
            let Some(mut one) = one else { continue };
            if one.container == Container::Plain {
                // A text file is shown under the name it was chosen by.
                for node in &mut one.nodes {
                    for part in &mut node.parts {
                        part.file.clone_from(&name);
                    }
                }
            }
            notes.extend(
                one.diagnostics
                    .iter()
                    .map(|d| format!("{name}: {}", d.message)),
            );
            notes.extend(one.skipped.iter().map(|s| format!("{name}: {}", s.message)));
            // An archive's entries are shown under the archive's name.
            let archive = (one.container != Container::Plain).then(|| name.clone());
            opened.push((archive, one));
        }
        fx.push(Effect::StopReading);
        if self.compare.reading_moment {
            // "Compare with…": the file is the later moment of the paste on screen, not a new input.
            let later = opened
                .into_iter()
                .find_map(|(_, one)| one.nodes.into_iter().next());
            self.open_notes = notes;
            match later {
                Some(node) => self.diff_moments(fx, later_file, Rc::from(node.text)),
                None => {
                    self.compare.reading_moment = false;
                    if let Some(status) = self.compare.status_before.take() {
                        self.status = status;
                    }
                }
            }
            return;
        }
        let several = opened.iter().any(|(_, o)| o.nodes.len() > 1);
        let mut nodes: Vec<NodeInput> = Vec::new();
        if several {
            for (archive, one) in opened {
                nodes.extend(
                    one.nodes
                        .into_iter()
                        .map(|n| node_input(n, archive.as_deref())),
                );
            }
        } else {
            let texts: Vec<NodeText> = opened
                .into_iter()
                .flat_map(|(archive, one)| {
                    one.nodes.into_iter().map(move |mut n| {
                        if let Some(archive) = &archive {
                            for part in &mut n.parts {
                                part.file = format!("{archive} › {}", part.file);
                            }
                        }
                        n
                    })
                })
                .collect();
            if !texts.is_empty() {
                for mut one in svcpath_bundle::group_files(texts) {
                    // Every file ends with a line break, the last too.
                    if !one.text.ends_with('\n') {
                        one.text.push('\n');
                    }
                    nodes.push(node_input(one, None));
                }
            }
        }
        self.open_notes = notes;
        if nodes.is_empty() {
            self.status = Status::Failed(
                self.open_notes
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "the files hold nothing to read".to_string()),
            );
            self.nodes.clear();
            self.compare.forget();
            return;
        }
        self.nodes = nodes;
        self.compare.forget();
        self.show_chosen_node(fx, 0);
        // Several nodes are also compared side by side (the Nodes view).
        self.compare_nodes(fx);
    }

    /// Explains node `index` of the opened files.
    fn show_chosen_node(&mut self, fx: &mut Vec<Effect>, index: usize) {
        let Some(node) = self.nodes.get(index) else {
            return;
        };
        self.node_shown = index;
        self.user_input = !node.text.trim().is_empty();
        self.input = node.text.clone();
        self.shared_copy = false;
        self.files = node.files.clone();
        self.sample = None;
        self.input_diagnostics = node.diagnostics.clone();
        self.overrides.clear();
        self.explain(fx);
    }

    pub(super) fn show_node(&mut self, fx: &mut Vec<Effect>, index: usize) -> bool {
        if index == self.node_shown || index >= self.nodes.len() {
            return false;
        }
        self.show_chosen_node(fx, index);
        true
    }

    /// A node renamed on the page: the comparison of several nodes is made again under the new name
    /// (an empty name is not taken).
    pub(super) fn rename_node(&mut self, fx: &mut Vec<Effect>, index: usize, name: String) -> bool {
        let name = name.trim().to_string();
        match self.nodes.get_mut(index) {
            Some(node) if !name.is_empty() && node.name != name => {
                node.name = name;
                node.name_source = "you";
            }
            _ => return false,
        }
        self.compare_nodes(fx);
        true
    }

    /// A sample chosen from the list: asks first when the user's own paste would be replaced.
    pub(super) fn choose_sample(&mut self, fx: &mut Vec<Effect>, name: String) -> bool {
        if name.is_empty() {
            return false;
        }
        if self.user_input {
            self.confirm = Some(Replace::Sample(name));
            return true;
        }
        // The route first, so the hashchange that follows does not load the sample again.
        self.route = Route::Sample(name.clone());
        fx.push(Effect::SetHash(Route::Sample(name.clone())));
        self.load_sample(fx, &name);
        true
    }

    pub(super) fn load_sample(&mut self, fx: &mut Vec<Effect>, name: &str) {
        let Some(sample) = samples::find(name) else {
            return;
        };
        let text = sample.text();
        self.nodes.clear();
        self.compare.forget();
        self.open_notes.clear();
        self.files = vec![FileNote {
            name: format!("sample: {}", sample.title),
            bytes: text.len(),
            first_line: 1,
            last_line: u32::try_from(text.lines().count()).unwrap_or(u32::MAX),
        }];
        self.input = Rc::from(text.as_ref());
        self.shared_copy = false;
        self.input_diagnostics.clear();
        self.sample = Some(sample.name);
        self.tour_hidden = false;
        self.overrides.clear();
        // A sample is another cluster: the node facts given for the last paste do not hold there.
        self.facts = UserFacts::default();
        self.explain(fx);
    }
}

/// A bundle's node as the page keeps it; `archive` names the file its entries came from.
fn node_input(node: NodeText, archive: Option<&str>) -> NodeInput {
    let files = node
        .parts
        .iter()
        .map(|p| FileNote {
            name: match archive {
                Some(archive) => format!("{archive} › {}", p.file),
                None => p.file.clone(),
            },
            bytes: p.bytes,
            first_line: p.first_line,
            last_line: p.last_line,
        })
        .collect();
    let diagnostics = node
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
    NodeInput {
        name: node.name,
        name_source: node.name_source.describe(),
        text: Rc::from(node.text),
        diagnostics,
        files,
    }
}
