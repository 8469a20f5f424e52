//! Several nodes and two moments on the page: files dropped together are kept as one node each
//! (names editable) and compared in the worker; "compare with…" reads one more capture and diffs the
//! paste on screen against it. The Nodes view draws only the rows in its window.

use std::rc::Rc;

use svcpath_analysis::nodes::{Comparison, Diff};

use super::{Effect, State};
use crate::protocol::Request;
use crate::route::Route;

/// Height of one Nodes table row in pixels; the stylesheet gives rows exactly this height.
pub const NODE_ROW_HEIGHT: f64 = 64.0;

/// The comparison of the opened nodes and the diff of two moments.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodesState {
    pub comparison: Option<Rc<Comparison>>,
    /// The comparison asked for last, and whether its answer is awaited.
    pub seq: u64,
    pub comparing: bool,
    /// Milliseconds the worker took for the last comparison.
    pub millis: f64,
    /// The two moments diffed: the earlier one's and the later one's names, and the diff.
    pub diff: Option<(String, String, Rc<Diff>)>,
    pub diff_seq: u64,
    pub diffing: bool,
    /// The file being read is the later moment, not a new paste; the status line from before reading
    /// it comes back once it is read.
    pub reading_moment: bool,
    pub status_before: Option<super::Status>,
    /// The Nodes table's scroll offset and height.
    pub scroll: (f64, f64),
}

impl NodesState {
    /// A new input: its nodes are not compared yet and no two moments are diffed (an answer still on
    /// its way is dropped by its sequence number).
    pub fn forget(&mut self) {
        self.comparison = None;
        self.comparing = false;
        self.diff = None;
        self.diffing = false;
        self.seq += 1;
        self.diff_seq += 1;
    }
}

impl State {
    /// Sends the nodes to the worker to be explained and compared.
    pub(super) fn compare_nodes(&mut self, fx: &mut Vec<Effect>) {
        if self.nodes.len() < 2 {
            return;
        }
        let mut joined = String::new();
        let mut lengths = Vec::new();
        for node in &self.nodes {
            joined.push_str(&node.text);
            lengths.push(node.text.len());
        }
        self.compare.seq = self.worker.next_seq();
        self.compare.comparing = true;
        let request = Request::Compare {
            generation: self.generation(),
            seq: self.compare.seq,
            names: self.nodes.iter().map(|n| n.name.clone()).collect(),
            lengths,
        };
        self.request(fx, request, Some(Rc::from(joined)));
    }

    /// "Compare with…": the next file read is the later moment of the paste on screen.
    pub(super) fn compare_with(&mut self, fx: &mut Vec<Effect>, names: Vec<String>) -> bool {
        if names.is_empty() || self.input.trim().is_empty() {
            return false;
        }
        let before = self.status.clone();
        let changed = self.files_chosen(fx, names);
        self.compare.reading_moment = true;
        self.compare.status_before = Some(before);
        changed
    }

    /// The later moment is read: diff the paste on screen against it and open the Nodes view.
    pub(super) fn diff_moments(&mut self, fx: &mut Vec<Effect>, name: String, text: Rc<str>) {
        self.compare.reading_moment = false;
        // The moment on screen is named by its file when it is one, else by its node.
        let before_name = match (&self.files[..], self.nodes.get(self.node_shown)) {
            ([file], _) => file.name.clone(),
            (_, Some(node)) => node.name.clone(),
            _ => "the paste".to_string(),
        };
        let mut joined = String::with_capacity(self.input.len() + text.len());
        joined.push_str(&self.input);
        joined.push_str(&text);
        self.compare.diff_seq = self.worker.next_seq();
        self.compare.diffing = true;
        self.compare.diff = Some((before_name, name, Rc::new(Diff::default())));
        let request = Request::Diff {
            generation: self.generation(),
            seq: self.compare.diff_seq,
            before_len: self.input.len(),
        };
        self.request(fx, request, Some(Rc::from(joined)));
        if let Some(status) = self.compare.status_before.take() {
            self.status = status;
        }
        if self.route != Route::Nodes {
            self.route = Route::Nodes;
            fx.push(Effect::SetHash(Route::Nodes));
        }
    }

    pub(super) fn compared(&mut self, seq: u64, comparison: Comparison, millis: f64) -> bool {
        if seq != self.compare.seq {
            return false;
        }
        self.compare.comparing = false;
        self.compare.millis = millis;
        self.compare.comparison = Some(Rc::new(comparison));
        true
    }

    pub(super) fn diffed(&mut self, seq: u64, diff: Diff) -> bool {
        if seq != self.compare.diff_seq {
            return false;
        }
        self.compare.diffing = false;
        if let Some((_, _, d)) = &mut self.compare.diff {
            *d = Rc::new(diff);
        }
        true
    }

    /// Copies the comparison (or, `diff`, the two moments) as Markdown. Redaction covers the report of
    /// the paste on screen, not the captures compared here: while it is on nothing is copied, and the
    /// view says so.
    pub(super) fn copy_nodes_markdown(&mut self, fx: &mut Vec<Effect>, diff: bool) {
        if self.redact {
            self.notify(
                fx,
                "Not copied: redaction does not cover the Nodes view. Redact each capture first \
                 (svcpath redact), or turn Redact off.",
            );
            return;
        }
        let text = if diff {
            self.compare
                .diff
                .as_ref()
                .filter(|_| !self.compare.diffing)
                .map(|(_, _, d)| svcpath_analysis::nodes::render::diff_markdown(d))
        } else {
            self.compare
                .comparison
                .as_ref()
                .map(|c| svcpath_analysis::nodes::render::compare_markdown(c))
        };
        if let Some(text) = text {
            fx.push(Effect::CopyText(text));
            self.notify(
                fx,
                if diff {
                    "What changed between the two moments copied as Markdown."
                } else {
                    "The comparison of the nodes copied as Markdown."
                },
            );
        }
    }

    /// The Nodes table scrolled: redraw only when another row comes into view.
    pub(super) fn nodes_scrolled(&mut self, top: f64, height: f64) -> bool {
        let changed = (top - self.compare.scroll.0).abs() >= NODE_ROW_HEIGHT / 2.0
            || height != self.compare.scroll.1;
        self.compare.scroll = (top, height);
        changed
    }
}

/// The rows of `total` to draw for a window `(top, height)`: those in view and a few around them.
pub fn visible_rows(total: usize, (top, height): (f64, f64)) -> std::ops::Range<usize> {
    const SPARE: usize = 6;
    let first = ((top.max(0.0) / NODE_ROW_HEIGHT) as usize).saturating_sub(SPARE);
    let shown = (height.max(NODE_ROW_HEIGHT) / NODE_ROW_HEIGHT).ceil() as usize + 2 * SPARE;
    first.min(total)..(first + shown).min(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Reply;
    use crate::state::{apply, Action, WorkerCommand};

    /// Every request the effects post, and those waiting in the worker client's queue.
    fn requests(state: &State, fx: &[Effect]) -> Vec<Request> {
        let mut out: Vec<Request> = fx
            .iter()
            .filter_map(|e| match e {
                Effect::Worker(WorkerCommand::Post(o)) => Some(o.request.clone()),
                _ => None,
            })
            .collect();
        out.extend(state.worker.queued().iter().map(|o| o.request.clone()));
        out
    }

    fn read(state: &mut State, names: &[&str], texts: &[&str], action: Action) -> Vec<Effect> {
        let mut fx = apply(state, action);
        let batch = state.read_batch;
        assert_eq!(state.pending.len(), names.len());
        for (i, text) in texts.iter().enumerate() {
            let opened = svcpath_bundle::open(
                names[i],
                text.as_bytes(),
                &svcpath_bundle::Limits::default(),
            );
            fx.extend(apply(state, Action::FileRead(batch, i, Ok(opened))));
        }
        fx
    }

    fn page() -> State {
        let mut state = State::new(0.0, "https://example.test/".into(), 900.0);
        apply(&mut state, Action::WorkerLoaded(Ok(())));
        state
    }

    #[test]
    fn files_dropped_together_are_nodes_compared_in_the_worker() {
        let mut state = page();
        let names = ["node-a.txt", "node-b.txt", "node-c.txt"];
        let texts = [
            "*nat\nCOMMIT\n",
            "*nat\n-A X\nCOMMIT\n",
            "*filter\nCOMMIT\n",
        ];
        let fx = read(
            &mut state,
            &names,
            &texts,
            Action::FilesChosen(names.iter().map(|n| n.to_string()).collect()),
        );
        let compare = requests(&state, &fx)
            .into_iter()
            .find_map(|r| match r {
                Request::Compare {
                    names,
                    lengths,
                    seq,
                    ..
                } => Some((names, lengths, seq)),
                _ => None,
            })
            .expect("a compare request");
        assert_eq!(compare.0, ["node-a", "node-b", "node-c"]);
        assert_eq!(compare.1, texts.map(str::len));
        // The answer to an older comparison is dropped; the current one is kept.
        let answer = |seq| {
            serde_json::to_string(&Reply::Compared {
                seq,
                comparison: Box::default(),
                millis: 1.0,
            })
            .unwrap()
        };
        apply(&mut state, Action::WorkerReply(answer(compare.2 + 99)));
        assert!(state.compare.comparison.is_none() && state.compare.comparing);
        apply(&mut state, Action::WorkerReply(answer(compare.2)));
        assert!(state.compare.comparison.is_some() && !state.compare.comparing);
        // A rename compares again under the new name; an empty name is not taken.
        assert!(!apply(&mut state, Action::RenameNode(1, "  ".into())).contains(&Effect::Redraw));
        let fx = apply(&mut state, Action::RenameNode(1, "worker-2".into()));
        let again = requests(&state, &fx)
            .into_iter()
            .rev()
            .find_map(|r| match r {
                Request::Compare { names, .. } => Some(names),
                _ => None,
            });
        assert_eq!(again.unwrap(), ["node-a", "worker-2", "node-c"]);
    }

    #[test]
    fn a_comparison_outlives_showing_another_node_and_a_replaced_worker() {
        let mut state = page();
        let names = ["node-a.txt", "node-b.txt"];
        read(
            &mut state,
            &names,
            &["*nat\nCOMMIT\n", "*filter\nCOMMIT\n"],
            Action::FilesChosen(names.iter().map(|n| n.to_string()).collect()),
        );
        let seq = state.compare.seq;
        // The worker starts: the first node's analysis, then the comparison.
        let fx = apply(&mut state, Action::WorkerReply(r#""ready""#.into()));
        let sent = requests(&state, &fx);
        assert!(matches!(sent[0], Request::Analyze { .. }), "{sent:?}");
        assert!(matches!(sent[1], Request::Compare { seq: s, .. } if s == seq));
        // Long after, still busy, the user shows the other node: the worker is replaced, and the
        // comparison it had not answered goes to the next one, after the new analysis.
        state.now = 5_000.0;
        let fx = apply(&mut state, Action::ShowNode(1));
        assert!(
            fx.contains(&Effect::Worker(WorkerCommand::Terminate)),
            "{fx:?}"
        );
        let waiting: Vec<&Request> = state.worker.queued().iter().map(|o| &o.request).collect();
        assert!(matches!(waiting[0], Request::Analyze { .. }), "{waiting:?}");
        assert!(matches!(waiting[1], Request::Compare { seq: s, .. } if *s == seq));
        assert!(state.compare.comparing);
        // Once answered it is not sent again.
        let answer = serde_json::to_string(&Reply::Compared {
            seq,
            comparison: Box::default(),
            millis: 1.0,
        })
        .unwrap();
        apply(&mut state, Action::WorkerReply(answer));
        assert!(state.compare.comparison.is_some());
        state.now = 20_000.0;
        apply(&mut state, Action::ShowNode(0));
        assert!(!state
            .worker
            .queued()
            .iter()
            .any(|o| matches!(o.request, Request::Compare { .. })));
    }

    #[test]
    fn the_comparison_is_copied_as_markdown_but_not_while_redaction_is_on() {
        let mut state = page();
        let names = ["node-a.txt", "node-b.txt"];
        let fx = read(
            &mut state,
            &names,
            &["*nat\nCOMMIT\n", "*filter\nCOMMIT\n"],
            Action::FilesChosen(names.iter().map(|n| n.to_string()).collect()),
        );
        let seq = requests(&state, &fx)
            .iter()
            .find_map(|r| match r {
                Request::Compare { seq, .. } => Some(*seq),
                _ => None,
            })
            .unwrap();
        let comparison = svcpath_analysis::nodes::compare(&[
            ("node-a".to_string(), svcpath_analysis::Report::default()),
            ("node-b".to_string(), svcpath_analysis::Report::default()),
        ]);
        let answer = serde_json::to_string(&Reply::Compared {
            seq,
            comparison: Box::new(comparison.clone()),
            millis: 1.0,
        })
        .unwrap();
        apply(&mut state, Action::WorkerReply(answer));
        let fx = apply(&mut state, Action::CopyNodesMarkdown(false));
        let expected = svcpath_analysis::nodes::render::compare_markdown(&comparison);
        assert!(fx.contains(&Effect::CopyText(expected)), "{fx:?}");
        state.redact = true;
        let fx = apply(&mut state, Action::CopyNodesMarkdown(false));
        assert!(
            !fx.iter().any(|e| matches!(e, Effect::CopyText(_))),
            "{fx:?}"
        );
    }

    #[test]
    fn one_file_is_one_node_and_not_compared() {
        let mut state = page();
        let fx = read(
            &mut state,
            &["a.txt"],
            &["*nat\nCOMMIT\n"],
            Action::FilesChosen(vec!["a.txt".into()]),
        );
        assert_eq!(state.nodes.len(), 1);
        assert!(!requests(&state, &fx)
            .iter()
            .any(|r| matches!(r, Request::Compare { .. })));
    }

    #[test]
    fn compare_with_diffs_the_paste_on_screen_against_the_file() {
        let mut state = page();
        apply(&mut state, Action::Input("*nat\nCOMMIT\n".into(), true));
        let before_len = state.input.len();
        let status = state.status.clone();
        let fx = read(
            &mut state,
            &["later.txt"],
            &["*nat\n-A KUBE-SERVICES -j ACCEPT\nCOMMIT\n"],
            Action::CompareWith(vec!["later.txt".into()]),
        );
        let diff = requests(&state, &fx).into_iter().find_map(|r| match r {
            Request::Diff { before_len, .. } => Some(before_len),
            _ => None,
        });
        assert_eq!(diff, Some(before_len));
        // The paste on screen stays: only the Nodes view shows the two moments.
        assert_eq!(&*state.input, "*nat\nCOMMIT\n");
        assert_eq!(state.route, Route::Nodes);
        assert!(fx.contains(&Effect::SetHash(Route::Nodes)));
        assert_eq!(state.compare.diff.as_ref().unwrap().1, "later.txt");
        assert!(state.compare.diffing);
        // The status line says again what it said before the file was read.
        assert_eq!(state.status, status);
    }

    #[test]
    fn only_the_rows_in_view_are_drawn() {
        let rows = visible_rows(2000, (64.0 * 1000.0, 640.0));
        assert!(rows.start <= 1000 && rows.end >= 1010, "{rows:?}");
        assert!(rows.len() < 40, "{rows:?}");
        assert_eq!(visible_rows(3, (0.0, 640.0)), 0..3);
        assert_eq!(visible_rows(0, (500.0, 640.0)), 0..0);
    }
}
