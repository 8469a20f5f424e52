//! Where the input comes from (typing, a paste, files, a sample, a share link) and sending it to be
//! explained.

use std::rc::Rc;

use svcpath_analysis::input::{decode, Decoded};

use super::{Effect, FileNote, Replace, State, Status};
use crate::protocol::{Request, UserFacts};
use crate::route::Route;
use crate::samples;

impl State {
    pub(super) fn input_changed(&mut self, fx: &mut Vec<Effect>, text: String, pasted: bool) {
        self.user_input = !text.trim().is_empty();
        self.input = Rc::from(text);
        self.shared_copy = false;
        self.files.clear();
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
        self.sample = None;
        self.input_diagnostics.clear();
        self.overrides.clear();
        self.worker.forget();
        self.shown = None;
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
            self.input_diagnostics.sort_by_key(|d| d.line);
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
        self.status = Status::Analysing {
            bytes: self.input.len(),
            since: self.now,
        };
        self.worker_commands(fx, commands);
        if matches!(self.status, Status::Analysing { .. }) {
            fx.push(Effect::Ticking(true));
        }
    }

    pub(super) fn files_chosen(&mut self, fx: &mut Vec<Effect>, names: Vec<String>) -> bool {
        self.dragging = false;
        self.nodes.reading_moment = false;
        if names.is_empty() {
            return true;
        }
        self.read_batch += 1;
        fx.push(Effect::StopReading);
        self.status = Status::Reading {
            done: 0,
            total: names.len(),
        };
        self.pending = names
            .into_iter()
            .map(|name| Some((name, String::new(), Vec::new())))
            .collect();
        fx.push(Effect::ReadFiles(self.read_batch));
        true
    }

    fn files_done(&self) -> usize {
        self.pending
            .iter()
            .filter(|p| p.as_ref().is_some_and(|(_, t, _)| !t.is_empty()))
            .count()
    }

    pub(super) fn file_read(
        &mut self,
        fx: &mut Vec<Effect>,
        batch: u64,
        index: usize,
        result: Result<Decoded, String>,
    ) -> bool {
        if batch != self.read_batch {
            return false;
        }
        match result {
            Ok(decoded) => {
                if let Some(slot) = self.pending.get_mut(index) {
                    let name = slot.as_ref().map(|s| s.0.clone()).unwrap_or_default();
                    *slot = Some((name, decoded.text, decoded.diagnostics));
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

    /// All files are read: one input, each file's lines noted, their diagnostics moved to where the
    /// file starts.
    fn combine_files(&mut self, fx: &mut Vec<Effect>) {
        if self.nodes.reading_moment {
            fx.push(Effect::StopReading);
            let (name, text) = self
                .pending
                .drain(..)
                .flatten()
                .map(|(name, text, _)| (name, text))
                .next()
                .unwrap_or_default();
            self.diff_moments(fx, name, Rc::from(text));
            return;
        }
        let node_files: Vec<(String, Rc<str>)> = self
            .pending
            .iter()
            .flatten()
            .map(|(name, text, _)| (name.clone(), Rc::from(text.as_str())))
            .collect();
        let mut text = String::new();
        let mut notes = Vec::new();
        let mut line = 1u32;
        let mut diagnostics = Vec::new();
        for (name, content, diags) in self.pending.drain(..).flatten() {
            diagnostics.extend(diags.into_iter().map(|mut d| {
                d.line = d.line.saturating_add(line - 1);
                d.start += text.len();
                d.end += text.len();
                d
            }));
            let lines = u32::try_from(content.lines().count()).unwrap_or(u32::MAX);
            notes.push(FileNote {
                name,
                bytes: content.len(),
                first_line: line,
                last_line: line.saturating_add(lines.saturating_sub(1)),
            });
            line = line.saturating_add(lines);
            text.push_str(&content);
            if !content.ends_with('\n') {
                text.push('\n');
            }
        }
        fx.push(Effect::StopReading);
        self.user_input = !text.trim().is_empty();
        self.input = Rc::from(text);
        self.shared_copy = false;
        self.files = notes;
        self.sample = None;
        self.input_diagnostics = diagnostics;
        self.overrides.clear();
        self.explain(fx);
        self.keep_nodes(fx, node_files);
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
