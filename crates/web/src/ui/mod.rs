//! The page: input (paste, file drop, samples), the analysis worker's lifecycle, routing, and the views.
//!
//! Everything from the input is rendered as text through Yew, which escapes it; nothing from the input
//! becomes markup, a style or a URL other than an encoded fragment of this page.

mod diagnosis;
mod facts;
mod habits;
mod host;
mod kube_proxy;
mod learn;
mod migration;
mod overview;
mod redaction;
mod service;
mod services;
mod source;
mod trace;
mod widgets;

use std::cell::Cell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_file::callbacks::FileReader;
use gloo_timers::callback::{Interval, Timeout};
use svcpath_analysis::input::{decode, Decoded};
use svcpath_analysis::report::DiagnosticEntry;
use svcpath_analysis::trace::{Packet, Trace};
use svcpath_analysis::Report;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

use host::{WorkerHandle, WorkerParts};
use yew::prelude::*;

use crate::model::{self, Filter, SortKey};
use crate::protocol::{Reply, Request};
use crate::route::Route;
use crate::samples::{self, SAMPLES};
use crate::share;

/// Inputs larger than this are not put into the text box (the browser would struggle); the Source view
/// shows them instead.
const TEXTAREA_LIMIT: usize = 2 * 1024 * 1024;
/// A worker busy longer than this is terminated and replaced when new input arrives; shorter work is
/// left to finish and its answer dropped.
const CANCEL_AFTER_MS: f64 = 800.0;
/// Longest share link offered: browsers and chat tools cut longer URLs.
const MAX_SHARE_LINK: usize = 256 * 1024;

/// A dropped or chosen file, where its text sits in the combined input.
#[derive(Debug, Clone, PartialEq)]
pub struct FileNote {
    pub name: String,
    pub bytes: usize,
    pub first_line: u32,
    pub last_line: u32,
}

/// A report with the text it explains.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub text: Rc<str>,
    pub line_starts: Rc<Vec<usize>>,
    pub report: Rc<Report>,
    /// Each Service's chain names (`KUBE-SVC-…`, `service-…`), read from its lines, for the search.
    pub chains: Rc<Vec<Vec<String>>>,
}

impl Shown {
    fn new(text: Rc<str>, report: Rc<Report>) -> Shown {
        let line_starts = Rc::new(line_starts(&text));
        let mut shown = Shown {
            text,
            line_starts,
            report,
            chains: Rc::default(),
        };
        let chains = shown
            .report
            .services
            .iter()
            .map(|s| crate::reading::service_chains(s, |n| shown.line(n)))
            .collect();
        shown.chains = Rc::new(chains);
        shown
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

/// Where the analysis stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Idle,
    Reading { done: usize, total: usize },
    Analysing { bytes: usize, since: f64 },
    Done { millis: f64, bytes: usize },
    Failed(String),
}

/// A Service's traces, each with its label.
pub type Paths = Rc<Vec<(String, Trace)>>;

/// A Service's traces, requested from the worker when its page opens.
pub struct PathsState {
    pub seq: u64,
    pub generation: u64,
    pub index: usize,
    pub result: Option<Result<Paths, String>>,
}

/// The Trace form's request and answer.
#[derive(Default)]
pub struct TraceState {
    pub seq: u64,
    pub loading: bool,
    pub result: Option<Result<Rc<Trace>, String>>,
}

pub enum Msg {
    Input(String, bool),
    Explain,
    Clear,
    Files(Vec<web_sys::File>),
    FileRead(u64, usize, Result<Decoded, String>),
    WorkerReply(String),
    WorkerError(String),
    WorkerParts(Result<Rc<WorkerParts>, String>),
    Tick,
    Route(Route),
    LoadSample(String),
    Override(u32, String),
    Filter(Filter),
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
    TracePacket(svcpath_analysis::trace::Packet),
    Notice(Option<String>),
    Dragging(bool),
    PathChoice(usize),
    TraceForm(trace::TraceForm),
    RunTrace,
    TraceService(usize),
    CloseTour,
    /// The Source view line whose options are explained, and whether the pointer (not the keyboard)
    /// chose it.
    ExplainLine(u32, bool),
    /// The option of that line under the pointer.
    ExplainPart(Option<usize>),
    /// The window scrolled or was resized.
    WindowScroll,
    /// The answer to "replace your paste?": yes or keep it.
    ReplaceAnswer(bool),
    /// A node fact added or removed by the user.
    Facts(facts::Edit),
}

pub struct App {
    input: Rc<str>,
    files: Vec<FileNote>,
    /// Files being read: name, text, and what was wrong with their bytes.
    pending: Vec<Option<(String, String, Vec<DiagnosticEntry>)>>,
    /// Invalid UTF-8 and NUL bytes replaced in the input, by line; joined to the report's diagnostics.
    input_diagnostics: Vec<DiagnosticEntry>,
    readers: Vec<FileReader>,
    read_batch: u64,
    shown: Option<Shown>,
    /// The redacted copy of the analysis on screen, as the worker redacted and explained it.
    redacted: Option<redaction::RedactedCopy>,
    redact: bool,
    /// A share link waits for the redacted copy.
    share_pending: bool,
    /// The input came from a share link: a redacted copy (a banner says so).
    shared_copy: bool,
    status: Status,
    generation: u64,
    worker: Option<WorkerHandle>,
    parts: Option<Result<Rc<WorkerParts>, String>>,
    /// A request made before the worker's parts were loaded.
    queued: Option<JsValue>,
    route: Route,
    overrides: Vec<(u32, String)>,
    filter: Filter,
    sort: SortKey,
    descending: bool,
    table_scroll: (f64, f64),
    source_scroll: (f64, f64),
    source_ref: NodeRef,
    scroll_to_line: Option<u32>,
    highlight: (Rc<Vec<u32>>, String),
    notice: Option<String>,
    share_link: Option<redaction::ShareLink>,
    dragging: bool,
    trace_seq: u64,
    paths: Option<PathsState>,
    path_choice: usize,
    trace_form: trace::TraceForm,
    trace: TraceState,
    /// The bundled sample in the input, if the input is one (its guided tour is shown).
    sample: Option<&'static str>,
    tour_hidden: bool,
    /// An element id to scroll to once it is on the page (a glossary entry, a finding).
    pending_anchor: Option<String>,
    explain_line: Option<u32>,
    explain_part: Option<usize>,
    /// Until then the pointer does not replace the line a link opened: the text scrolls under a still
    /// pointer right after the link is followed.
    explain_hold_until: f64,
    /// Node facts the user gave, and what was wrong with the last one typed.
    facts: facts::UserFacts,
    facts_error: Option<(facts::FactKind, String)>,
    _hash_listener: EventListener,
    /// The Services table's body, to find which rows are in the window.
    table_ref: NodeRef,
    /// True while the input is the user's own (pasted, typed, opened), not a sample or a shared link.
    user_input: Rc<Cell<bool>>,
    /// A sample waiting for the user's yes before it replaces their paste.
    confirm: Option<habits::Replace>,
    /// Move the focus to the view's heading once it is drawn (after a navigation, not the first load).
    focus_heading: bool,
    /// The Trace form's packet came from a link: trace it once its dump is explained.
    pending_trace: bool,
    _page_listeners: Option<habits::PageListeners>,
    _tick: Option<Interval>,
    _notice_timer: Option<Timeout>,
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let window = web_sys::window().expect("a page has a window");
        let link = ctx.link().clone();
        let hash_listener = EventListener::new(&window, "hashchange", move |_| {
            link.send_message(Msg::Route(Route::parse(&location_hash())));
        });
        let route = Route::parse(&location_hash());
        let on_parts = ctx.link().callback(Msg::WorkerParts);
        wasm_bindgen_futures::spawn_local(async move {
            on_parts.emit(host::load().await.map(Rc::new));
        });
        let user_input = Rc::new(Cell::new(false));
        let page_listeners = habits::PageListeners::install(ctx.link().clone(), user_input.clone());
        let mut app = App {
            input: Rc::from(""),
            files: Vec::new(),
            pending: Vec::new(),
            input_diagnostics: Vec::new(),
            readers: Vec::new(),
            read_batch: 0,
            shown: None,
            redacted: None,
            redact: false,
            share_pending: false,
            shared_copy: false,
            status: Status::Idle,
            generation: 0,
            worker: None,
            parts: None,
            queued: None,
            route: Route::Overview,
            overrides: Vec::new(),
            filter: Filter::default(),
            sort: SortKey::default(),
            descending: false,
            table_scroll: (
                0.0,
                window
                    .inner_height()
                    .ok()
                    .and_then(|h| h.as_f64())
                    .unwrap_or(900.0),
            ),
            source_scroll: (0.0, 600.0),
            source_ref: NodeRef::default(),
            scroll_to_line: None,
            highlight: (Rc::new(Vec::new()), String::new()),
            notice: None,
            share_link: None,
            dragging: false,
            trace_seq: 0,
            paths: None,
            path_choice: 0,
            trace_form: trace::TraceForm::default(),
            trace: TraceState::default(),
            sample: None,
            tour_hidden: false,
            pending_anchor: None,
            explain_line: None,
            explain_part: None,
            explain_hold_until: 0.0,
            facts: facts::UserFacts::default(),
            facts_error: None,
            _hash_listener: hash_listener,
            table_ref: NodeRef::default(),
            user_input,
            confirm: None,
            focus_heading: false,
            pending_trace: false,
            _page_listeners: page_listeners,
            _tick: None,
            _notice_timer: None,
        };
        app.go(ctx, route);
        // A trace link that names no sample waits for its dump to be pasted.
        let waits_for_paste =
            matches!(&app.route, Route::Trace(q) if !q.is_empty() && q.sample.is_none());
        if app.input.is_empty() && !waits_for_paste {
            app.load_sample(ctx, samples::DEFAULT_SAMPLE);
        }
        app.focus_heading = false;
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Input(text, pasted) => {
                self.user_input.set(!text.trim().is_empty());
                self.input = Rc::from(text);
                self.shared_copy = false;
                self.files.clear();
                self.sample = None;
                self.input_diagnostics.clear();
                if pasted {
                    self.overrides.clear();
                    self.explain(ctx);
                }
                true
            }
            Msg::Explain => {
                self.explain(ctx);
                true
            }
            Msg::Clear => {
                self.user_input.set(false);
                self.input = Rc::from("");
                self.shared_copy = false;
                self.files.clear();
                self.sample = None;
                self.input_diagnostics.clear();
                self.overrides.clear();
                self.generation += 1;
                self.shown = None;
                self.redacted = None;
                self.status = Status::Idle;
                self._tick = None;
                true
            }
            Msg::Files(files) => {
                self.read_files(ctx, files);
                true
            }
            Msg::FileRead(batch, index, result) => {
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
                        self.readers.clear();
                        return true;
                    }
                }
                self.status = Status::Reading {
                    done: self.readers_done(),
                    total: self.pending.len(),
                };
                if self.readers_done() == self.pending.len() {
                    self.combine_files(ctx);
                }
                true
            }
            Msg::WorkerReply(json) => self.on_reply(ctx, &json),
            Msg::WorkerParts(parts) => {
                if let Err(e) = &parts {
                    self.status = Status::Failed(format!("the analysis worker did not load: {e}"));
                }
                self.parts = Some(parts);
                if let Some(message) = self.queued.take() {
                    self.send(ctx, message);
                }
                true
            }
            Msg::WorkerError(message) => {
                self.worker = None;
                self._tick = None;
                self.status = Status::Failed(format!("the analysis stopped: {message}"));
                true
            }
            Msg::Tick => matches!(self.status, Status::Analysing { .. }),
            Msg::Route(route) => {
                self.go(ctx, route);
                true
            }
            Msg::LoadSample(name) => {
                if name.is_empty() {
                    return false;
                }
                if self.user_input.get() {
                    self.confirm = Some(habits::Replace::Sample(name));
                    return true;
                }
                // The route first, so the hashchange that follows does not load the sample again.
                self.route = Route::Sample(name.clone());
                self.set_hash(&Route::Sample(name.clone()));
                self.load_sample(ctx, &name);
                true
            }
            Msg::Override(line, kind) => {
                self.overrides.retain(|(l, _)| *l != line);
                self.overrides.push((line, kind));
                self.explain(ctx);
                true
            }
            Msg::Filter(filter) => {
                self.filter = filter;
                self.table_scroll =
                    habits::table_window(&self.table_ref).unwrap_or((0.0, self.table_scroll.1));
                true
            }
            Msg::Sort(key) => {
                if self.sort == key {
                    self.descending = !self.descending;
                } else {
                    self.sort = key;
                    self.descending = matches!(key, SortKey::Endpoints | SortKey::Findings);
                }
                true
            }
            Msg::TableScroll(top, height) => {
                let changed = (top - self.table_scroll.0).abs() >= services::ROW_HEIGHT / 2.0
                    || height != self.table_scroll.1;
                self.table_scroll = (top, height);
                changed
            }
            Msg::SourceScroll(top, height) => {
                let changed = (top - self.source_scroll.0).abs() >= source::LINE_HEIGHT / 2.0
                    || height != self.source_scroll.1;
                self.source_scroll = (top, height);
                changed
            }
            Msg::Highlight(lines, label) => {
                let first = lines.iter().copied().min();
                self.highlight = (Rc::new(lines), label);
                self.set_hash(&Route::Source(first));
                true
            }
            Msg::ToggleRedact => {
                self.redact = !self.redact;
                self.share_link = None;
                self.share_pending = false;
                // Stay on the same Service: its id changes with redaction.
                if let (Route::Service(id), Some(copy), Some(shown)) =
                    (&self.route, &self.redacted, &self.shown)
                {
                    if let Some(other) = copy.other_id(&shown.report, id, self.redact) {
                        self.route = Route::Service(other.clone());
                        self.set_hash(&Route::Service(other));
                    }
                }
                self.compute_redacted(ctx);
                true
            }
            Msg::DownloadJson => {
                if let Some(shown) = self.current() {
                    let json = serde_json::to_string_pretty(&*shown.report).unwrap_or_default();
                    let name = if self.redact {
                        "svcpath-report-redacted.json"
                    } else {
                        "svcpath-report.json"
                    };
                    widgets::download(name, "application/json", &json);
                }
                false
            }
            Msg::DownloadDump => {
                if let Some(shown) = self.current() {
                    widgets::download("svcpath-dump-redacted.txt", "text/plain", &shown.text);
                }
                false
            }
            Msg::CopyMarkdown => {
                if let Some(shown) = self.current() {
                    let markdown = svcpath_analysis::render::markdown(&shown.report);
                    widgets::copy_text(&markdown);
                    self.notify(ctx, "Markdown report copied to the clipboard.");
                }
                true
            }
            Msg::CopyMarkdownChat => {
                if let Some(shown) = self.current() {
                    let markdown = svcpath_analysis::render::markdown_chat(&shown.report);
                    widgets::copy_text(&markdown);
                    self.notify(
                        ctx,
                        "Markdown report for a chat or a ticket copied to the clipboard.",
                    );
                }
                true
            }
            Msg::TracePacket(packet) => {
                self.trace_form = trace::TraceForm {
                    from: packet.from,
                    src: packet.src.clone().unwrap_or_default(),
                    dst: packet.dst.clone(),
                    port: packet.dst_port.to_string(),
                    protocol: packet.protocol,
                    returning: packet.returning_client,
                    sample: None,
                };
                self.set_hash(&Route::Trace(self.trace_form.clone()));
                self.run_trace(ctx);
                true
            }
            Msg::Share => {
                if !self.redact {
                    self.redact = true;
                    self.compute_redacted(ctx);
                }
                self.share_pending = true;
                self.make_share_link(ctx);
                true
            }
            Msg::CopyLongLink => {
                if let Some(share) = &mut self.share_link {
                    widgets::copy_text(&share.link);
                    share.shown = true;
                    self.notify(ctx, "Share link (redacted dump) copied to the clipboard.");
                }
                true
            }
            Msg::Notice(notice) => {
                self.notice = notice;
                true
            }
            Msg::PathChoice(i) => {
                self.path_choice = i;
                true
            }
            Msg::TraceForm(form) => {
                self.trace_form = form;
                true
            }
            Msg::RunTrace => {
                self.trace_form.sample = self.sample.map(str::to_string);
                let route = Route::Trace(self.trace_form.clone());
                if self.route != route {
                    self.route = route.clone();
                    self.set_hash(&route);
                }
                self.run_trace(ctx);
                true
            }
            Msg::TraceService(index) => {
                let service = self
                    .shown
                    .as_ref()
                    .and_then(|s| s.report.services.get(index).cloned());
                if let Some(service) = service {
                    self.trace_form = trace::TraceForm {
                        dst: service.cluster_ip.clone().unwrap_or_default(),
                        port: service.port.map(|p| p.to_string()).unwrap_or_default(),
                        protocol: service
                            .protocol
                            .unwrap_or(svcpath_analysis::report::Protocol::Tcp),
                        sample: self.sample.map(str::to_string),
                        ..self.trace_form.clone()
                    };
                    let route = Route::Trace(self.trace_form.clone());
                    self.route = route.clone();
                    self.set_hash(&route);
                    self.focus_heading = true;
                    self.run_trace(ctx);
                }
                true
            }
            Msg::CloseTour => {
                self.tour_hidden = true;
                true
            }
            Msg::ExplainLine(line, pointer) => {
                if pointer && now() < self.explain_hold_until {
                    return false;
                }
                let changed = self.explain_line != Some(line);
                self.explain_line = Some(line);
                if changed {
                    self.explain_part = None;
                }
                changed
            }
            Msg::ExplainPart(part) => {
                let changed = self.explain_part != part;
                self.explain_part = part;
                changed
            }
            Msg::WindowScroll => {
                let Some((top, height)) = habits::table_window(&self.table_ref) else {
                    return false;
                };
                let changed = (top - self.table_scroll.0).abs() >= services::ROW_HEIGHT / 2.0
                    || height != self.table_scroll.1;
                self.table_scroll = (top, height);
                // A table that draws all its rows needs no new drawing.
                let windowed = self
                    .current()
                    .is_some_and(|s| s.report.services.len() > crate::reading::DRAW_ALL_ROWS_UP_TO);
                changed && windowed
            }
            Msg::ReplaceAnswer(replace) => {
                let Some(habits::Replace::Sample(name)) = self.confirm.take() else {
                    return false;
                };
                if replace {
                    self.user_input.set(false);
                    self.route = Route::Sample(name.clone());
                    self.set_hash(&Route::Sample(name.clone()));
                    self.load_sample(ctx, &name);
                } else if matches!(self.route, Route::Sample(_)) {
                    // A tour's link asked: stay on the overview of the paste.
                    self.route = Route::Overview;
                    replace_location_hash(&Route::Overview);
                }
                self.focus_heading = true;
                true
            }
            Msg::Dragging(on) => {
                let changed = self.dragging != on;
                self.dragging = on;
                changed
            }
            Msg::Facts(edit) => {
                let kind = match &edit {
                    facts::Edit::Add(kind, _) | facts::Edit::Remove(kind, _) => *kind,
                    facts::Edit::SetNodeIps(_) => facts::FactKind::NodeIp,
                };
                match self.facts.apply(edit) {
                    Ok(changed) => {
                        self.facts_error = None;
                        if changed && !self.input.is_empty() {
                            self.explain(ctx);
                        }
                    }
                    Err(message) => self.facts_error = Some((kind, message)),
                }
                true
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let guide = self
            .sample
            .and_then(crate::guides::for_sample)
            // The tour names the sample's real addresses and Services: not shown while redacting.
            .filter(|_| !self.tour_hidden && !self.redact);
        let body = match (&self.route, self.current()) {
            (Route::Gallery, _) => learn::gallery(self),
            (Route::Glossary(key), _) => learn::glossary(key.as_deref()),
            (Route::Trace(_), None) if self.pending_trace => trace::form(self, ctx),
            (_, None) if self.redact && self.shown.is_some() => html! {
                <section class="panel empty"><p>{"Redacting…"}</p></section>
            },
            (_, None) => self.view_empty(),
            (Route::Service(id), Some(shown)) => service::view(self, ctx, shown, id),
            (Route::Source(_), Some(shown)) => source::view(self, ctx, shown),
            (Route::Trace(_), Some(_)) => trace::form(self, ctx),
            (Route::Migration, Some(shown)) => migration::view(self, ctx, shown),
            (_, Some(shown)) => html! { <>
                if let Some(guide) = guide { { learn::tour(ctx, guide, &shown.text) } }
                { overview::view(self, ctx, shown) }
            </> },
        };
        // On the other views of a sample, a way back to its tour.
        let crumb = match (&self.route, guide) {
            (Route::Service(_) | Route::Source(_) | Route::Trace(_), Some(guide)) => {
                learn::tour_crumb(guide)
            }
            _ => html! {},
        };
        let tab = |route: Route, label: &str, active: bool| {
            html! {
                <a href={route.href()} class={classes!("tab", active.then_some("active"))}
                   aria-current={active.then_some("page")}>{ label.to_string() }</a>
            }
        };
        let is_source = matches!(self.route, Route::Source(_));
        let is_service = matches!(self.route, Route::Service(_));
        let is_trace = matches!(self.route, Route::Trace(_));
        let is_gallery = matches!(self.route, Route::Gallery);
        let is_glossary = matches!(self.route, Route::Glossary(_));
        let is_migration = matches!(self.route, Route::Migration);
        let is_overview =
            !is_source && !is_service && !is_trace && !is_gallery && !is_glossary && !is_migration;
        html! {
            <div class={classes!("page", self.dragging.then_some("dragging"),
                    (is_source || is_service || is_trace || is_gallery || is_glossary || is_migration).then_some("compact"))}
                ondragover={link.callback(|e: DragEvent| { e.prevent_default(); Msg::Dragging(true) })}
                ondragleave={link.callback(|_| Msg::Dragging(false))}
                ondrop={link.callback(|e: DragEvent| {
                    e.prevent_default();
                    Msg::Files(dropped_files(&e))
                })}>
                { habits::skip_link() }
                <header class="top">
                    <div class="brand">
                        <span class="logo" aria-hidden="true">{"⇢"}</span>
                        <h1>{"svcpath"}</h1>
                        <span class="tagline">{"what kube-proxy programmed on this node, explained"}</span>
                    </div>
                    <nav class="tabs" aria-label="Views">
                        { tab(Route::Overview, "Overview", is_overview) }
                        { tab(Route::Trace(self.trace_tab_query()), "Trace", is_trace) }
                        { tab(Route::Source(None), "Source", is_source) }
                        { tab(Route::Gallery, "Learn", is_gallery) }
                        { tab(Route::Glossary(None), "Glossary", is_glossary) }
                        { tab(Route::Migration, "nftables move", is_migration) }
                    </nav>
                </header>
                if self.shared_copy { { redaction::shared_banner() } }
                { self.view_input(ctx) }
                { self.view_actions(ctx) }
                if let Some(replace) = &self.confirm { { habits::confirm_replace(ctx, replace) } }
                <main id="main" tabindex="-1">{ crumb }{ body }</main>
                <footer class="privacy">
                    <p id="privacy-line">
                        {"Your dump never leaves this tab: it is analysed by WebAssembly in your browser. \
                          Nothing is uploaded, and nothing is stored — no cookies, no local storage."}
                    </p>
                </footer>
            </div>
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first_render: bool) {
        let service = self.service_index().and_then(|i| {
            self.current()
                .and_then(|s| s.report.services.get(i).map(model::service_title))
        });
        habits::set_title(&self.route.title(service.as_deref()));
        if self.confirm.is_some() {
            habits::focus_keep_button();
        } else if self.focus_heading {
            // One try: a view without a heading yet does not take the focus later, from the user.
            habits::focus_view_heading();
            self.focus_heading = false;
        }
        // Scroll to a glossary entry or a finding once it is drawn (a finding only after the analysis).
        if let Some(id) = &self.pending_anchor {
            let element = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(id));
            if let Some(element) = element {
                element.scroll_into_view();
                self.pending_anchor = None;
            }
        }
        if let (Some(line), Some(element)) = (
            self.scroll_to_line,
            self.source_ref.cast::<web_sys::Element>(),
        ) {
            let top = (f64::from(line.saturating_sub(6))) * source::LINE_HEIGHT;
            element.set_scroll_top(top as i32);
            // Draw the rows now in view: the scroll event that follows may carry the same offset as a
            // stale one and be taken for no change.
            ctx.link().send_message(Msg::SourceScroll(
                f64::from(element.scroll_top()),
                f64::from(element.client_height()),
            ));
            self.scroll_to_line = None;
        }
    }
}

impl App {
    /// The report and text on screen: the redacted ones when redaction is on (nothing while the
    /// worker is still redacting: the real ones are not shown under a ticked Redact).
    pub fn current(&self) -> Option<&Shown> {
        if self.redact {
            return self.redacted.as_ref().map(|r| &r.shown);
        }
        self.shown.as_ref()
    }

    /// Tells the worker that redaction is on or off; the first time on for an analysis it sends the
    /// paste to be redacted and explained (the worker holds the analysis, so the page thread does no
    /// redaction work).
    fn compute_redacted(&mut self, ctx: &Context<Self>) {
        if self.shown.is_none() {
            return;
        }
        let request = Request::Redact {
            generation: self.generation,
            on: self.redact,
        };
        let header = JsValue::from_str(&serde_json::to_string(&request).unwrap_or_default());
        let message = if self.redact && self.redacted.is_none() {
            js_sys::Array::of2(&header, &JsValue::from_str(&self.input))
        } else {
            js_sys::Array::of1(&header)
        };
        self.send_quiet(ctx, message.into());
        // Traces on screen came from the other copy.
        self.paths = None;
        self.trace = TraceState::default();
        if self.redacted.is_some() || !self.redact {
            self.request_paths(ctx);
        }
    }

    /// Makes the share link from the redacted copy, once it is there.
    fn make_share_link(&mut self, ctx: &Context<Self>) {
        let Some(copy) = self.redacted.as_ref().filter(|_| self.share_pending) else {
            return;
        };
        self.share_pending = false;
        let data = share::encode(&copy.shown.text);
        if data.len() > MAX_SHARE_LINK {
            self.share_link = Some(redaction::ShareLink {
                link: String::new(),
                long: true,
                shown: false,
                too_large: true,
            });
            return;
        }
        let fragment = Route::Shared(data).href();
        let base = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .map(|h| h.split('#').next().unwrap_or("").to_string())
            .unwrap_or_default();
        let link = format!("{base}{fragment}");
        let long = link.len() > redaction::CHAT_LINK_LIMIT;
        if !long {
            widgets::copy_text(&link);
            self.notify(ctx, "Share link (redacted dump) copied to the clipboard.");
        }
        self.share_link = Some(redaction::ShareLink {
            link,
            long,
            shown: !long,
            too_large: false,
        });
    }

    fn notify(&mut self, ctx: &Context<Self>, text: &str) {
        self.notice = Some(text.to_string());
        let link = ctx.link().clone();
        self._notice_timer = Some(Timeout::new(4000, move || {
            link.send_message(Msg::Notice(None))
        }));
    }

    fn set_hash(&self, route: &Route) {
        set_location_hash(route);
    }

    fn go(&mut self, ctx: &Context<Self>, route: Route) {
        match &route {
            Route::Sample(name) => {
                self.tour_hidden = false;
                if samples::find(name).is_some() && self.sample != Some(name.as_str()) {
                    if self.user_input.get() {
                        // A tour's link: ask before the sample replaces the paste.
                        self.confirm = Some(habits::Replace::Sample(name.clone()));
                    } else {
                        self.load_sample(ctx, &name.clone());
                    }
                }
            }
            Route::Trace(query) => {
                if query.is_empty() || self.route == route {
                    // The bare tab keeps the form as it is; the hash this page just set is no news.
                } else if !query.same_packet(&self.trace_form) || self.trace.result.is_none() {
                    self.trace_form = query.clone();
                    let sample = query.sample.as_deref().and_then(samples::find);
                    match sample {
                        Some(s) if self.sample != Some(s.name) && !self.user_input.get() => {
                            self.pending_trace = true;
                            self.load_sample(ctx, s.name);
                        }
                        _ if self.shown.is_some() && !self.pending_trace => self.run_trace(ctx),
                        _ => self.pending_trace = true,
                    }
                }
            }
            Route::Shared(data) => {
                if self.route != route {
                    match share::decode(data) {
                        Some(text) => {
                            self.user_input.set(false);
                            self.input = Rc::from(text);
                            // Already redacted by the sender: shown as it is, under a banner.
                            self.shared_copy = true;
                            self.redact = false;
                            self.files.clear();
                            self.sample = None;
                            self.input_diagnostics.clear();
                            self.overrides.clear();
                            self.explain(ctx);
                        }
                        None => {
                            self.status =
                                Status::Failed("the share link is damaged or too large".into())
                        }
                    }
                }
            }
            Route::Source(line) => {
                self.scroll_to_line = *line;
                if let Some(line) = line {
                    self.explain_line = Some(*line);
                    self.explain_part = None;
                    self.explain_hold_until = now() + 800.0;
                }
            }
            Route::Glossary(key) => {
                self.pending_anchor = key.as_ref().map(|k| format!("g-{k}"));
            }
            Route::Finding(code) => {
                self.pending_anchor = Some(format!("finding-{code}"));
            }
            Route::Service(_) | Route::Overview | Route::Gallery | Route::Migration => {}
        }
        if self.route != route {
            self.focus_heading = true;
        }
        self.route = route;
        self.request_paths(ctx);
        if let Some(window) = web_sys::window() {
            if self.pending_anchor.is_none() && !matches!(self.route, Route::Source(_)) {
                window.scroll_to_with_x_and_y(0.0, 0.0);
            }
        }
    }

    fn load_sample(&mut self, ctx: &Context<Self>, name: &str) {
        if let Some(sample) = samples::find(name) {
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
            self.facts = facts::UserFacts::default();
            self.explain(ctx);
        }
    }

    /// Sends a request to the worker, starting one when none runs; waits for the worker's parts when
    /// they are still loading.
    fn send(&mut self, ctx: &Context<Self>, message: JsValue) {
        let parts = match &self.parts {
            None => {
                self.queued = Some(message);
                return;
            }
            Some(Err(e)) => {
                self.status = Status::Failed(format!("the analysis worker did not load: {e}"));
                return;
            }
            Some(Ok(parts)) => parts.clone(),
        };
        if self.worker.is_none() {
            self.worker = WorkerHandle::spawn(
                &parts,
                ctx.link().callback(Msg::WorkerReply),
                ctx.link().callback(Msg::WorkerError),
            );
        }
        let Some(handle) = self.worker.as_mut() else {
            self.status = Status::Failed("this browser could not start the analysis worker".into());
            return;
        };
        match handle.post(message) {
            Ok(()) => handle.busy_since = Some(now()),
            Err(e) => self.status = Status::Failed(e),
        }
    }

    fn explain(&mut self, ctx: &Context<Self>) {
        // NUL characters (a pasted binary) are replaced and reported by line, as for files.
        if self.input.contains('\0') {
            let decoded = decode(self.input.as_bytes());
            self.input = Rc::from(decoded.text);
            self.input_diagnostics.extend(decoded.diagnostics);
            self.input_diagnostics.sort_by_key(|d| d.line);
        }
        self.generation += 1;
        self.share_link = None;
        // A worker deep in old work is replaced; one that is nearly done finishes and its answer is
        // dropped by generation.
        if let Some(handle) = &self.worker {
            if handle
                .busy_since
                .is_some_and(|since| now() - since > CANCEL_AFTER_MS)
            {
                self.worker = None;
            }
        }
        let request = Request::Analyze {
            generation: self.generation,
            section_overrides: self.overrides.clone(),
            node_ips: self.facts.node_ips.clone(),
            pod_cidrs: self.facts.pod_cidrs.clone(),
        };
        let header = serde_json::to_string(&request).unwrap_or_default();
        let bytes = self.input.len();
        let message =
            js_sys::Array::of2(&JsValue::from_str(&header), &JsValue::from_str(&self.input));
        self.status = Status::Analysing {
            bytes,
            since: now(),
        };
        self.send(ctx, message.into());
        if matches!(self.status, Status::Analysing { .. }) {
            let link = ctx.link().clone();
            self._tick = Some(Interval::new(250, move || link.send_message(Msg::Tick)));
        }
    }

    fn on_reply(&mut self, ctx: &Context<Self>, json: &str) -> bool {
        let reply: Reply = match serde_json::from_str(json) {
            Ok(reply) => reply,
            Err(e) => {
                self.status = Status::Failed(format!("unreadable answer from the worker: {e}"));
                return true;
            }
        };
        if reply == Reply::Ready {
            if let Some(handle) = &mut self.worker {
                if let Err(e) = handle.set_ready() {
                    self.status = Status::Failed(e);
                    return true;
                }
            }
            return false;
        }
        match reply {
            Reply::Ready => false,
            Reply::Traced { seq, trace } => {
                if seq != self.trace.seq {
                    return false;
                }
                self.trace.loading = false;
                self.trace.result = Some(Ok(Rc::from(trace)));
                true
            }
            Reply::Paths { seq, paths, .. } => match &mut self.paths {
                Some(state) if state.seq == seq => {
                    state.result = Some(Ok(Rc::new(paths)));
                    self.path_choice = 0;
                    true
                }
                _ => false,
            },
            Reply::TraceFailed { seq, message } => {
                if seq == self.trace.seq {
                    self.trace.loading = false;
                    self.trace.result = Some(Err(message.clone()));
                }
                if let Some(state) = &mut self.paths {
                    if state.seq == seq {
                        state.result = Some(Err(message));
                    }
                }
                true
            }
            Reply::Started { generation, .. } => {
                let _ = generation;
                false
            }
            Reply::Analysed {
                generation,
                report,
                millis,
            } => {
                if let Some(handle) = &mut self.worker {
                    handle.busy_since = None;
                }
                if generation != self.generation {
                    return false;
                }
                self._tick = None;
                self.status = Status::Done {
                    millis,
                    bytes: self.input.len(),
                };
                let same_input = self.shown.as_ref().is_some_and(|s| *s.text == *self.input);
                let mut report = report;
                if !self.input_diagnostics.is_empty() {
                    report
                        .diagnostics
                        .splice(0..0, self.input_diagnostics.iter().cloned());
                }
                // The same text analysed again (a node fact changed): the trace on screen is run again.
                let same_text = self
                    .shown
                    .as_ref()
                    .is_some_and(|s| Rc::ptr_eq(&s.text, &self.input));
                let rerun = same_text && self.trace.result.is_some();
                self.shown = Some(Shown::new(self.input.clone(), Rc::from(report)));
                self.redacted = None;
                self.paths = None;
                self.trace = TraceState::default();
                if rerun {
                    self.run_trace(ctx);
                }
                if self.redact {
                    self.compute_redacted(ctx);
                }
                self.table_scroll.0 = 0.0;
                if let Route::Service(id) = &self.route {
                    let known = self
                        .current()
                        .is_some_and(|s| s.report.services.iter().any(|x| &x.id == id));
                    if !known {
                        self.route = Route::Overview;
                    }
                }
                self.request_paths(ctx);
                if self.pending_trace {
                    self.pending_trace = false;
                    self.run_trace(ctx);
                } else if !same_input {
                    // A new paste: the form's packet comes from it, not from the last one.
                    if let Some(form) = self
                        .shown
                        .as_ref()
                        .map(|s| crate::reading::default_trace(&s.report))
                    {
                        self.trace_form = form;
                    }
                }
                true
            }
            Reply::Redacted {
                generation,
                dump,
                mut report,
                addresses,
                names,
                chains,
                service_ids,
            } => {
                if generation != self.generation {
                    return false;
                }
                if !self.input_diagnostics.is_empty() {
                    report
                        .diagnostics
                        .splice(0..0, self.input_diagnostics.iter().cloned());
                }
                let copy = redaction::RedactedCopy {
                    shown: Shown::new(Rc::from(dump), Rc::from(report)),
                    addresses,
                    names,
                    chains,
                    service_ids,
                };
                if let (Route::Service(id), Some(shown)) = (&self.route, &self.shown) {
                    if let Some(other) = copy.other_id(&shown.report, id, true) {
                        self.route = Route::Service(other.clone());
                        self.set_hash(&Route::Service(other));
                    }
                }
                self.redacted = Some(copy);
                if let Route::Service(id) = &self.route {
                    if !self
                        .current()
                        .is_some_and(|s| s.report.services.iter().any(|x| &x.id == id))
                    {
                        self.route = Route::Overview;
                    }
                }
                self.make_share_link(ctx);
                self.request_paths(ctx);
                true
            }
            Reply::Failed {
                generation,
                message,
            } => {
                if generation != self.generation {
                    return false;
                }
                self._tick = None;
                self.status = Status::Failed(message);
                true
            }
        }
    }

    /// Where the Trace tab leads: the packet last traced, so the tab's link is the trace's link.
    fn trace_tab_query(&self) -> crate::route::TraceQuery {
        if self.trace.result.is_some() {
            self.trace_form.clone()
        } else {
            crate::route::TraceQuery::default()
        }
    }

    /// Index of the Service whose page is open, in the report on screen.
    fn service_index(&self) -> Option<usize> {
        let Route::Service(id) = &self.route else {
            return None;
        };
        self.current()?
            .report
            .services
            .iter()
            .position(|s| &s.id == id)
    }

    /// Asks the worker for the open Service's traces, unless they are there already.
    fn request_paths(&mut self, ctx: &Context<Self>) {
        let Some(index) = self.service_index() else {
            return;
        };
        if self
            .paths
            .as_ref()
            .is_some_and(|p| p.index == index && p.generation == self.generation)
        {
            return;
        }
        self.trace_seq += 1;
        let seq = self.trace_seq;
        self.paths = Some(PathsState {
            seq,
            generation: self.generation,
            index,
            result: None,
        });
        self.path_choice = 0;
        let request = Request::ServicePaths {
            generation: self.generation,
            seq,
            index,
        };
        let header = serde_json::to_string(&request).unwrap_or_default();
        self.send_quiet(ctx, js_sys::Array::of1(&JsValue::from_str(&header)).into());
    }

    fn run_trace(&mut self, ctx: &Context<Self>) {
        let form = self.trace_form.clone();
        let port = form.port.trim().parse::<u16>();
        let result = match (form.dst.trim().is_empty(), port) {
            (true, _) => Err("give a destination address".to_string()),
            (_, Err(_)) => Err("give a destination port (1–65535)".to_string()),
            (false, Ok(port)) => Ok(Packet {
                src: Some(form.src.trim().to_string()).filter(|s| !s.is_empty()),
                dst: form.dst.trim().to_string(),
                dst_port: port,
                protocol: form.protocol,
                from: form.from,
                returning_client: form.returning,
            }),
        };
        self.trace_seq += 1;
        self.trace.seq = self.trace_seq;
        match result {
            Err(message) => {
                self.trace.loading = false;
                self.trace.result = Some(Err(message));
            }
            Ok(packet) => {
                self.trace.loading = true;
                self.trace.result = None;
                let request = Request::Trace {
                    generation: self.generation,
                    seq: self.trace.seq,
                    packet,
                };
                let header = serde_json::to_string(&request).unwrap_or_default();
                self.send_quiet(ctx, js_sys::Array::of1(&JsValue::from_str(&header)).into());
            }
        }
    }

    /// Sends a trace request; unlike an analysis it does not mark the worker busy.
    fn send_quiet(&mut self, ctx: &Context<Self>, message: JsValue) {
        let busy = self.worker.as_ref().and_then(|w| w.busy_since);
        self.send(ctx, message);
        if let Some(handle) = &mut self.worker {
            handle.busy_since = busy;
        }
    }

    /// A trace (or any value) as shown. Traces come from the worker already from the copy on screen
    /// (the redacted one when redaction is on), so nothing is left to rewrite here.
    pub fn redacted_value<T: Clone>(&self, value: &T) -> T {
        value.clone()
    }

    fn readers_done(&self) -> usize {
        self.pending
            .iter()
            .filter(|p| p.as_ref().is_some_and(|(_, t, _)| !t.is_empty()))
            .count()
    }

    fn read_files(&mut self, ctx: &Context<Self>, files: Vec<web_sys::File>) {
        self.dragging = false;
        if files.is_empty() {
            return;
        }
        self.read_batch += 1;
        let batch = self.read_batch;
        self.readers.clear();
        self.pending = files
            .iter()
            .map(|f| Some((f.name(), String::new(), Vec::new())))
            .collect();
        self.status = Status::Reading {
            done: 0,
            total: files.len(),
        };
        for (index, file) in files.into_iter().enumerate() {
            let file = gloo_file::File::from(file);
            let link = ctx.link().clone();
            // Read as bytes, so invalid UTF-8 and NUL bytes are reported by line as the CLI does.
            let reader = gloo_file::callbacks::read_as_bytes(&file, move |result| {
                // An empty file reads as "", which would look unfinished: mark it with a newline.
                let result = result
                    .map(|bytes| {
                        let mut decoded = decode(&bytes);
                        if decoded.text.is_empty() {
                            decoded.text.push('\n');
                        }
                        decoded
                    })
                    .map_err(|e| e.to_string());
                link.send_message(Msg::FileRead(batch, index, result));
            });
            self.readers.push(reader);
        }
    }

    fn combine_files(&mut self, ctx: &Context<Self>) {
        let mut text = String::new();
        let mut notes = Vec::new();
        let mut line = 1u32;
        let mut diagnostics = Vec::new();
        for (name, content, diags) in self.pending.drain(..).flatten() {
            // The file's lines and bytes start further down in the combined input.
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
        self.readers.clear();
        self.user_input.set(!text.trim().is_empty());
        self.input = Rc::from(text);
        self.shared_copy = false;
        self.files = notes;
        self.sample = None;
        self.input_diagnostics = diagnostics;
        self.overrides.clear();
        self.explain(ctx);
    }

    fn view_empty(&self) -> Html {
        html! {
            <section class="panel empty">
                <p>{"Paste what you captured on the node above, or drop files anywhere on this page."}</p>
            </section>
        }
    }

    fn view_input(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let in_box = self.input.len() <= TEXTAREA_LIMIT;
        let oninput = link.callback(|e: InputEvent| {
            let pasted = e.input_type() == "insertFromPaste" || e.input_type() == "insertFromDrop";
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            Msg::Input(area.value(), pasted)
        });
        let onchange_files = link.callback(|e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files = file_list(input.files());
            input.set_value("");
            Msg::Files(files)
        });
        let on_sample = link.callback(|e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let name = select.value();
            select.set_value("");
            Msg::LoadSample(name)
        });
        // Under a ticked Redact the box shows the redacted copy (read-only): what would be shared.
        let box_text = if self.redact {
            self.redacted
                .as_ref()
                .map(|r| r.shown.text.clone())
                .unwrap_or_else(|| Rc::from(""))
        } else {
            self.input.clone()
        };
        let box_value = if in_box {
            AttrValue::from(box_text)
        } else {
            AttrValue::Static("")
        };
        let placeholder = if in_box {
            "Paste iptables-save, ipvsadm -Ln, ipset list, nft list ruleset, sysctl, conntrack -S, dmesg … \
             one after the other, as captured."
                .to_string()
        } else {
            format!(
                "{} of input: too large to show in this box (the Source view shows it). Paste here to replace it.",
                model::bytes(self.input.len())
            )
        };
        html! {
            <section class="input panel" aria-label="Input">
                <div class="input-row">
                    <label class="visually-hidden" for="paste">{"Node dump"}</label>
                    <textarea id="paste" spellcheck="false" autocomplete="off" {placeholder}
                        value={box_value} {oninput} readonly={self.redact}
                        class={classes!(self.redact.then_some("redacted"))} />
                    <div class="input-side">
                        <button id="explain" class="primary" onclick={link.callback(|_| Msg::Explain)}>
                            {"Explain"}</button>
                        <label class="button file-button">
                            {"Open files…"}
                            <input id="files" type="file" multiple=true onchange={onchange_files} />
                        </label>
                        <select id="samples" onchange={on_sample} aria-label="Load a sample">
                            <option value="" selected=true>{"Load a sample…"}</option>
                            { for SAMPLES.iter().map(|s| html! {
                                <option value={s.name}>{ s.title }</option>
                            }) }
                        </select>
                        <button class="quiet" onclick={link.callback(|_| Msg::Clear)}>{"Clear"}</button>
                        <p class="hint">{"or drop files anywhere on the page"}</p>
                    </div>
                </div>
                if self.redact {
                    <p id="redacted-note" class="hint">
                        {"The box shows the redacted copy: what a share link or download holds. Untick Redact to edit your paste."}
                    </p>
                }
                { self.view_files() }
                { self.view_status() }
            </section>
        }
    }

    fn view_files(&self) -> Html {
        if self.files.is_empty() {
            return html! {};
        }
        html! {
            <ul class="files" aria-label="Input files">
                { for self.files.iter().map(|f| html! {
                    <li>
                        <span class="file-name">{ &f.name }</span>
                        <span class="muted">{ format!(" — {}, lines {}–{}", model::bytes(f.bytes), f.first_line, f.last_line) }</span>
                    </li>
                }) }
            </ul>
        }
    }

    fn view_status(&self) -> Html {
        let (class, content) = match &self.status {
            Status::Idle => ("idle", html! { {"Nothing explained yet."} }),
            Status::Reading { done, total } => (
                "busy",
                html! { <>
                    <progress max={total.to_string()} value={done.to_string()} />
                    { format!(" Reading files: {done} of {total}…") }
                </> },
            ),
            Status::Analysing { bytes, since } => (
                "busy",
                html! { <>
                    <progress />
                    { format!(" Analysing {} … {:.1} s", model::bytes(*bytes), (now() - since) / 1000.0) }
                    <span class="muted">{" (in a background worker: the page stays usable; a new paste cancels this one)"}</span>
                </> },
            ),
            Status::Done { millis, bytes } => (
                "done",
                html! { { format!("Explained {} in {:.0} ms.", model::bytes(*bytes), millis) } },
            ),
            Status::Failed(message) => ("failed", html! { { message.clone() } }),
        };
        html! {
            <p id="status" class={classes!("status", class)} role="status" aria-live="polite"
                data-generation={self.generation.to_string()}>{ content }</p>
        }
    }

    fn view_actions(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let ready = self.shown.is_some();
        html! {
            <section class="actions" aria-label="Export">
                <label class="toggle">
                    <input id="redact" type="checkbox" checked={self.redact}
                        onchange={link.callback(|_| Msg::ToggleRedact)} disabled={!ready} />
                    {" Redact addresses and names"}
                </label>
                <button id="copy-markdown" onclick={link.callback(|_| Msg::CopyMarkdown)} disabled={!ready}
                    title="Markdown for GitHub, GitLab and wikis">
                    {"Copy Markdown report"}</button>
                <button id="copy-markdown-chat" onclick={link.callback(|_| Msg::CopyMarkdownChat)} disabled={!ready}
                    title="Markdown for Slack, Teams, Jira and tickets: no backslash escapes, no tables">
                    {"Copy for chat"}</button>
                <button id="download-json" onclick={link.callback(|_| Msg::DownloadJson)} disabled={!ready}>
                    {"Download JSON"}</button>
                if self.redact {
                    <button id="download-dump" onclick={link.callback(|_| Msg::DownloadDump)} disabled={!ready}>
                        {"Download redacted dump"}</button>
                }
                <button id="share" onclick={link.callback(|_| Msg::Share)} disabled={!ready}
                    title="A link holding the redacted dump, compressed, in its fragment (never sent to a server)">
                    {"Share link (redacted)"}</button>
                if let Some(notice) = &self.notice {
                    <span class="notice" role="status">{ notice.clone() }</span>
                }
                if let Some(share) = self.share_link.as_ref().filter(|s| s.shown) {
                    <input id="share-link" class="share-link" readonly=true value={share.link.clone()}
                        aria-label="Share link" />
                }
                if let Some(share) = self.share_link.as_ref().filter(|s| s.long) {
                    { redaction::long_link_offer(share, link.callback(|_| Msg::DownloadDump),
                        link.callback(|_| Msg::CopyLongLink)) }
                }
                if let (true, Some(copy)) = (self.redact, &self.redacted) {
                    { redaction::summary(copy) }
                }
            </section>
        }
    }
}

/// Replaces the URL's fragment without a history entry or a `hashchange`.
pub fn replace_location_hash(route: &Route) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&route.href()));
    }
}

/// Sets `location.hash`, which adds a history entry and fires `hashchange`.
pub fn set_location_hash(route: &Route) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(&route.href());
    }
}

fn file_list(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

fn dropped_files(event: &DragEvent) -> Vec<web_sys::File> {
    file_list(event.data_transfer().and_then(|d| d.files()))
}
