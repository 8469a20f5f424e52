//! The page's state and how each user action or worker reply changes it, without the browser:
//! [`apply`] takes the [`State`] and an [`Action`] and returns the [`Effect`]s the page carries out
//! (post to the worker, set the URL's fragment, copy, download, redraw) — the shape of Yew's reducer.
//! Everything here builds and is tested on the host.

mod export;
mod input;
mod navigation;
pub mod nodes;
mod replies;
mod shown;
mod trace;
pub mod worker_client;

#[cfg(test)]
mod tests;

use std::rc::Rc;

use svcpath_analysis::report::DiagnosticEntry;
use svcpath_analysis::trace::Packet;

pub use shown::{
    FileNote, Gathering, NodeInput, Paths, PathsState, RedactedCopy, Replace, ShareLink, Shown,
    Status, TraceState, CHAT_LINK_LIMIT,
};
pub use worker_client::{Outgoing, WorkerClient, WorkerCommand};

use crate::model::{Filter, SortKey};
use crate::protocol::{Edit, FactKind, UserFacts};
use crate::route::{Route, TraceQuery};

/// The Trace form's fields: the packet as typed, which is also the `#/trace?…` query.
pub type TraceForm = TraceQuery;

/// Height of one Services table row in pixels; the stylesheet gives rows exactly this height.
pub const TABLE_ROW_HEIGHT: f64 = 44.0;
/// Height of one Source view line in pixels; the stylesheet gives lines exactly this height.
pub const SOURCE_LINE_HEIGHT: f64 = 20.0;
/// Longest share link offered: browsers and chat tools cut longer URLs.
pub const MAX_SHARE_LINK: usize = 256 * 1024;
/// After a link opens a Source line, the pointer does not replace it for this long: the text scrolls
/// under a still pointer right after the link is followed.
const EXPLAIN_HOLD_MS: f64 = 800.0;

/// Something the user did, or the worker or the browser told the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The text box changed; `true` when by a paste or a drop (explained at once).
    Input(String, bool),
    Explain,
    Clear,
    /// Files were chosen or dropped (their names; the page reads them and sends `FileRead`).
    FilesChosen(Vec<String>),
    /// File `index` of read batch `batch` was read.
    FileRead(u64, usize, Result<svcpath_bundle::Opened, String>),
    /// The worker's parts loaded, or why not.
    WorkerLoaded(Result<(), String>),
    /// A reply from the worker (its JSON).
    WorkerReply(String),
    /// The worker failed.
    WorkerError(String),
    /// The browser could not start a worker or post to it.
    WorkerUnavailable(String),
    Tick,
    Route(Route),
    LoadSample(String),
    Override(u32, String),
    /// The Services table's filter changed; `window` is where the table is in the window, if drawn.
    Filter(Filter, Option<(f64, f64)>),
    Sort(SortKey),
    TableScroll(f64, f64),
    SourceScroll(f64, f64),
    Highlight(Vec<u32>, String),
    ToggleRedact,
    /// Copies a share link longer than a chat takes, after the user saw the warning.
    CopyLongLink,
    DownloadJson,
    DownloadDump,
    CopyMarkdown,
    Share,
    /// Copies the Markdown report for chat tools and tickets (no backslash escapes).
    CopyMarkdownChat,
    /// Opens this packet in the Trace form and traces it (a cause's deciding trace).
    TracePacket(Packet),
    Notice(Option<String>),
    Dragging(bool),
    PathChoice(usize),
    TraceForm(TraceForm),
    RunTrace,
    TraceService(usize),
    CloseTour,
    /// The Source view line whose options are explained, and whether the pointer (not the keyboard)
    /// chose it.
    ExplainLine(u32, bool),
    /// The option of that line under the pointer.
    ExplainPart(Option<usize>),
    /// The window scrolled or was resized: where the Services table now is, if drawn.
    WindowScroll(Option<(f64, f64)>),
    /// The answer to "replace your paste?": yes or keep it.
    ReplaceAnswer(bool),
    /// A node fact added or removed by the user.
    Facts(Edit),
    /// The page was drawn and did what waited for it.
    Drawn(Drawn),
    /// The user renamed a node of the opened files (on the input list or the Nodes view).
    RenameNode(usize, String),
    /// The user chose which node of a bundle to explain.
    ShowNode(usize),
    /// Compare the nodes again.
    CompareNodes,
    /// "Compare with…": a file chosen as the later moment of the paste on screen.
    CompareWith(Vec<String>),
    /// The Nodes table scrolled: its offset and height.
    NodesScroll(f64, f64),
    /// Copy the comparison of the nodes (`false`) or the diff of two moments (`true`) as Markdown.
    CopyNodesMarkdown(bool),
}

/// What the page did once drawn: the focus moved to the view's heading, the anchor scrolled into
/// view, the Source view scrolled to its line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawn {
    pub heading_focused: bool,
    pub anchor_shown: bool,
    pub line_scrolled: bool,
}

/// What the page does after an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Draw the page again.
    Redraw,
    Worker(WorkerCommand),
    /// Redraw every quarter second while analysing (the elapsed time), or stop.
    Ticking(bool),
    /// Set `location.hash` (a history entry and a `hashchange`).
    SetHash(Route),
    /// Replace the fragment without a history entry or a `hashchange`.
    ReplaceHash(Route),
    /// Scroll the window to the top (a new view).
    ScrollToTop,
    /// Clear the notice in a few seconds.
    ClearNoticeLater,
    CopyText(String),
    Download {
        name: &'static str,
        mime: &'static str,
        text: String,
    },
    /// Read the files just chosen, as read batch `batch`.
    ReadFiles(u64),
    /// Stop reading files.
    StopReading,
}

/// Everything the page knows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The time of the action being applied, in milliseconds; the page sets it before each one.
    pub now: f64,
    /// The page's address without its fragment, for share links.
    pub page_base: String,
    pub input: Rc<str>,
    pub files: Vec<FileNote>,
    /// Files being read: name, and what opening it gave once read.
    pub pending: Vec<(String, Option<svcpath_bundle::Opened>)>,
    /// Invalid UTF-8 and NUL bytes replaced in the input, by line; joined to the report's diagnostics.
    pub input_diagnostics: Vec<DiagnosticEntry>,
    pub read_batch: u64,
    pub shown: Option<Shown>,
    /// The redacted copy of the analysis on screen, as the worker redacted and explained it.
    pub redacted: Option<RedactedCopy>,
    pub redact: bool,
    /// A share link waits for the redacted copy.
    pub share_pending: bool,
    /// The input came from a share link: a redacted copy (a banner says so).
    pub shared_copy: bool,
    pub status: Status,
    pub worker: WorkerClient,
    pub route: Route,
    pub overrides: Vec<(u32, String)>,
    pub filter: Filter,
    pub sort: SortKey,
    pub descending: bool,
    pub table_scroll: (f64, f64),
    pub source_scroll: (f64, f64),
    pub scroll_to_line: Option<u32>,
    pub highlight: (Rc<Vec<u32>>, String),
    pub notice: Option<String>,
    pub share_link: Option<ShareLink>,
    pub dragging: bool,
    pub paths: Option<PathsState>,
    pub path_choice: usize,
    pub trace_form: TraceForm,
    pub trace: TraceState,
    /// The bundled sample in the input, if the input is one (its guided tour is shown).
    pub sample: Option<&'static str>,
    pub tour_hidden: bool,
    /// An element id to scroll to once it is on the page (a glossary entry, a finding).
    pub pending_anchor: Option<String>,
    pub explain_line: Option<u32>,
    pub explain_part: Option<usize>,
    /// Until then the pointer does not replace the line a link opened.
    pub explain_hold_until: f64,
    /// Node facts the user gave, and what was wrong with the last one typed.
    pub facts: UserFacts,
    pub facts_error: Option<(FactKind, String)>,
    /// True while the input is the user's own (pasted, typed, opened), not a sample or a shared link.
    pub user_input: bool,
    /// A sample waiting for the user's yes before it replaces their paste.
    pub confirm: Option<Replace>,
    /// Move the focus to the view's heading once it is drawn (after a navigation, not the first load).
    pub focus_heading: bool,
    /// The Trace form's packet came from a link: trace it once its dump is explained.
    pub pending_trace: bool,
    /// While `shown` holds a report still streaming in from the worker (its Services, the rest being
    /// worked out): what was shown before it, put back when the complete report arrives or the
    /// analysis ends otherwise.
    pub streamed_over: Option<Option<Shown>>,
    /// The last part of the current analysis the worker sent ([`crate::protocol::Reply::Partial`]),
    /// whether shown or not: the whole report that follows takes its Services from it.
    pub part: Option<Rc<svcpath_analysis::Report>>,
    /// A large report's Services arriving a thousand at a time after its first screenful
    /// ([`crate::protocol::Reply::Services`]); they become [`State::part`] once all are there.
    pub gathering: Option<Gathering>,
    /// The Services the paste being analysed names, from the worker's first look at it
    /// ([`crate::protocol::Reply::FirstLook`]): listed until the report's first part arrives.
    pub first_look: Option<Rc<svcpath_analysis::preview::FirstLook>>,
    /// The nodes of the opened files (one for files of one node, several for a bundle of nodes), each
    /// with its name as the user edits it.
    pub nodes: Vec<NodeInput>,
    /// Which of `nodes` is explained.
    pub node_shown: usize,
    /// What opening the files skipped or said (a bomb stopped, `..` paths, a cut archive).
    pub open_notes: Vec<String>,
    /// The opened nodes side by side and two moments of one node (the Nodes view).
    pub compare: nodes::NodesState,
}

impl State {
    /// An empty page; `window_height` sizes the Services table's first window.
    pub fn new(now: f64, page_base: String, window_height: f64) -> State {
        State {
            now,
            page_base,
            input: Rc::from(""),
            files: Vec::new(),
            pending: Vec::new(),
            input_diagnostics: Vec::new(),
            read_batch: 0,
            shown: None,
            redacted: None,
            redact: false,
            share_pending: false,
            shared_copy: false,
            status: Status::Idle,
            worker: WorkerClient::default(),
            route: Route::Overview,
            overrides: Vec::new(),
            filter: Filter::default(),
            sort: SortKey::default(),
            descending: false,
            table_scroll: (0.0, window_height),
            source_scroll: (0.0, 600.0),
            scroll_to_line: None,
            highlight: (Rc::new(Vec::new()), String::new()),
            notice: None,
            share_link: None,
            dragging: false,
            paths: None,
            path_choice: 0,
            trace_form: TraceForm::default(),
            trace: TraceState::default(),
            sample: None,
            tour_hidden: false,
            pending_anchor: None,
            explain_line: None,
            explain_part: None,
            explain_hold_until: 0.0,
            facts: UserFacts::default(),
            facts_error: None,
            user_input: false,
            confirm: None,
            focus_heading: false,
            pending_trace: false,
            streamed_over: None,
            part: None,
            gathering: None,
            first_look: None,
            nodes: Vec::new(),
            node_shown: 0,
            open_notes: Vec::new(),
            compare: nodes::NodesState {
                scroll: (0.0, window_height),
                ..nodes::NodesState::default()
            },
        }
    }

    /// The page as it opens at `route`: a route that needs no paste of the user's shows the default
    /// sample.
    pub fn start(&mut self, route: Route) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.go(&mut fx, route);
        // A trace link that names no sample waits for its dump to be pasted.
        let waits_for_paste =
            matches!(&self.route, Route::Trace(q) if !q.is_empty() && q.sample.is_none());
        if self.input.is_empty() && !waits_for_paste {
            self.load_sample(&mut fx, crate::samples::DEFAULT_SAMPLE);
        }
        self.focus_heading = false;
        fx
    }

    /// The generation of the analysis on screen or awaited.
    pub fn generation(&self) -> u64 {
        self.worker.generation()
    }

    /// The report and text on screen: the redacted ones when redaction is on (nothing while the
    /// worker is still redacting: the real ones are not shown under a ticked Redact).
    /// True while the report on screen is a part of one still being worked out: only its Services,
    /// node facts, sections and diagnostics are final; its findings, conntrack join and diagnosis are
    /// not there yet, and must not be read as "none".
    pub fn streaming(&self) -> bool {
        self.streamed_over.is_some()
    }

    /// Puts back the report shown before a part streamed in, if one did.
    pub(crate) fn end_streaming(&mut self) {
        if let Some(before) = self.streamed_over.take() {
            self.shown = before;
        }
    }

    pub fn current(&self) -> Option<&Shown> {
        if self.redact {
            return self.redacted.as_ref().map(|r| &r.shown);
        }
        self.shown.as_ref()
    }

    /// Index of the Service whose page is open, in the report on screen.
    pub fn service_index(&self) -> Option<usize> {
        let Route::Service(id) = &self.route else {
            return None;
        };
        self.current()?
            .report
            .services
            .iter()
            .position(|s| &s.id == id)
    }

    /// Where the Trace tab leads: the packet last traced, so the tab's link is the trace's link.
    pub fn trace_tab_query(&self) -> TraceQuery {
        if self.trace.result.is_some() {
            self.trace_form.clone()
        } else {
            TraceQuery::default()
        }
    }

    fn notify(&mut self, fx: &mut Vec<Effect>, text: &str) {
        self.notice = Some(text.to_string());
        fx.push(Effect::ClearNoticeLater);
    }

    /// Carries out worker commands, or shows why the worker cannot be reached.
    fn worker_commands(
        &mut self,
        fx: &mut Vec<Effect>,
        commands: Result<Vec<WorkerCommand>, String>,
    ) {
        match commands {
            Ok(commands) => fx.extend(commands.into_iter().map(Effect::Worker)),
            Err(message) => self.status = Status::Failed(message),
        }
    }

    /// Sends a request that is no analysis.
    fn request(
        &mut self,
        fx: &mut Vec<Effect>,
        request: crate::protocol::Request,
        paste: Option<Rc<str>>,
    ) {
        let commands = self.worker.request(Outgoing { request, paste });
        self.worker_commands(fx, commands);
    }

    fn table_moved(&mut self, top: f64, height: f64) -> bool {
        let changed = (top - self.table_scroll.0).abs() >= TABLE_ROW_HEIGHT / 2.0
            || height != self.table_scroll.1;
        self.table_scroll = (top, height);
        changed
    }
}

/// Applies one action: changes the state and returns what the page must do ([`Effect::Redraw`]
/// first when the page must be drawn again).
pub fn apply(state: &mut State, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    if state.update(&mut fx, action) {
        fx.insert(0, Effect::Redraw);
    }
    fx
}

impl State {
    fn update(&mut self, fx: &mut Vec<Effect>, action: Action) -> bool {
        match action {
            Action::Input(text, pasted) => self.input_changed(fx, text, pasted),
            Action::Explain => self.explain(fx),
            Action::Clear => self.clear(fx),
            Action::FilesChosen(names) => return self.files_chosen(fx, names),
            Action::FileRead(batch, index, result) => {
                return self.file_read(fx, batch, index, result)
            }
            Action::ShowNode(index) => return self.show_node(fx, index),
            Action::WorkerLoaded(result) => {
                if let Err(e) = &result {
                    self.status = Status::Failed(format!("the analysis worker did not load: {e}"));
                }
                let commands = self.worker.parts_loaded(self.now, result);
                fx.extend(commands.into_iter().map(Effect::Worker));
            }
            Action::WorkerReply(json) => return self.on_reply(fx, &json),
            Action::WorkerError(message) => {
                self.end_streaming();
                fx.extend(self.worker.worker_lost().into_iter().map(Effect::Worker));
                fx.push(Effect::Ticking(false));
                self.status = Status::Failed(format!("the analysis stopped: {message}"));
            }
            Action::WorkerUnavailable(message) => {
                self.end_streaming();
                fx.extend(self.worker.worker_lost().into_iter().map(Effect::Worker));
                self.status = Status::Failed(message);
            }
            Action::Tick => return matches!(self.status, Status::Analysing { .. }),
            Action::Route(route) => self.go(fx, route),
            Action::LoadSample(name) => return self.choose_sample(fx, name),
            Action::Override(line, kind) => {
                self.overrides.retain(|(l, _)| *l != line);
                self.overrides.push((line, kind));
                self.explain(fx);
            }
            Action::Filter(filter, window) => {
                self.filter = filter;
                self.table_scroll = window.unwrap_or((0.0, self.table_scroll.1));
            }
            Action::Sort(key) => {
                if self.sort == key {
                    self.descending = !self.descending;
                } else {
                    self.sort = key;
                    self.descending = matches!(key, SortKey::Endpoints | SortKey::Findings);
                }
            }
            Action::TableScroll(top, height) => return self.table_moved(top, height),
            Action::SourceScroll(top, height) => {
                let changed = (top - self.source_scroll.0).abs() >= SOURCE_LINE_HEIGHT / 2.0
                    || height != self.source_scroll.1;
                self.source_scroll = (top, height);
                return changed;
            }
            Action::Highlight(lines, label) => {
                let first = lines.iter().copied().min();
                self.highlight = (Rc::new(lines), label);
                fx.push(Effect::SetHash(Route::Source(first)));
            }
            Action::ToggleRedact => self.toggle_redact(fx),
            Action::DownloadJson => {
                self.download_json(fx);
                return false;
            }
            Action::DownloadDump => {
                if let Some(shown) = self.current() {
                    fx.push(Effect::Download {
                        name: "svcpath-dump-redacted.txt",
                        mime: "text/plain",
                        text: shown.text.to_string(),
                    });
                }
                return false;
            }
            Action::CopyMarkdown => self.copy_markdown(fx, false),
            Action::CopyMarkdownChat => self.copy_markdown(fx, true),
            Action::TracePacket(packet) => self.trace_packet(fx, packet),
            Action::Share => self.share(fx),
            Action::CopyLongLink => {
                if let Some(share) = &mut self.share_link {
                    fx.push(Effect::CopyText(share.link.clone()));
                    share.shown = true;
                    self.notify(fx, "Share link (redacted dump) copied to the clipboard.");
                }
            }
            Action::Notice(notice) => self.notice = notice,
            Action::PathChoice(i) => self.path_choice = i,
            Action::TraceForm(form) => self.trace_form = form,
            Action::RunTrace => {
                self.trace_form.sample = self.sample.map(str::to_string);
                let route = Route::Trace(self.trace_form.clone());
                if self.route != route {
                    self.route = route.clone();
                    fx.push(Effect::SetHash(route));
                }
                self.run_trace(fx);
            }
            Action::TraceService(index) => self.trace_service(fx, index),
            Action::CloseTour => self.tour_hidden = true,
            Action::ExplainLine(line, pointer) => {
                if pointer && self.now < self.explain_hold_until {
                    return false;
                }
                let changed = self.explain_line != Some(line);
                self.explain_line = Some(line);
                if changed {
                    self.explain_part = None;
                }
                return changed;
            }
            Action::ExplainPart(part) => {
                let changed = self.explain_part != part;
                self.explain_part = part;
                return changed;
            }
            Action::WindowScroll(window) => {
                let Some((top, height)) = window else {
                    return false;
                };
                let changed = self.table_moved(top, height);
                // A table that draws all its rows needs no new drawing.
                let windowed = self
                    .current()
                    .is_some_and(|s| s.report.services.len() > crate::reading::DRAW_ALL_ROWS_UP_TO);
                return changed && windowed;
            }
            Action::ReplaceAnswer(replace) => return self.replace_answer(fx, replace),
            Action::Dragging(on) => {
                let changed = self.dragging != on;
                self.dragging = on;
                return changed;
            }
            Action::Drawn(drawn) => {
                // Nothing new to draw: these only wait for the page.
                if drawn.heading_focused {
                    self.focus_heading = false;
                }
                if drawn.anchor_shown {
                    self.pending_anchor = None;
                }
                if drawn.line_scrolled {
                    self.scroll_to_line = None;
                }
                return false;
            }
            Action::RenameNode(index, name) => return self.rename_node(fx, index, name),
            Action::CompareNodes => self.compare_nodes(fx),
            Action::CompareWith(names) => return self.compare_with(fx, names),
            Action::NodesScroll(top, height) => return self.nodes_scrolled(top, height),
            Action::CopyNodesMarkdown(diff) => self.copy_nodes_markdown(fx, diff),
            Action::Facts(edit) => {
                let kind = match &edit {
                    Edit::Add(kind, _) | Edit::Remove(kind, _) => *kind,
                    Edit::SetNodeIps(_) => FactKind::NodeIp,
                };
                match self.facts.apply(edit) {
                    Ok(changed) => {
                        self.facts_error = None;
                        if changed && !self.input.is_empty() {
                            self.explain(fx);
                        }
                    }
                    Err(message) => self.facts_error = Some((kind, message)),
                }
            }
        }
        true
    }
}
