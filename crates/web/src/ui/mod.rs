//! The page: one Yew component that holds the [`State`], hands each view its slice, and carries out
//! the [`Effect`]s of every [`Action`] (the worker, the URL, timers, the clipboard, file reading).
//! What changes the state is in [`crate::state`], tested on the host.
//!
//! Everything from the input is rendered as text through Yew, which escapes it; nothing from the input
//! becomes markup, a style or a URL other than an encoded fragment of this page.

mod api;
mod conntrack;
mod conntrack_limit;
mod diagnosis;
mod facts;
mod first_look;
mod habits;
mod host;
mod input;
mod kube_proxy;
mod learn;
mod migration;
mod nodes;
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
use wasm_bindgen::prelude::*;

use host::{WorkerHandle, WorkerParts};
use yew::prelude::*;

use crate::model::{self, Filter};
use crate::route::Route;
use crate::state::{apply, Action, Drawn, Effect, State, WorkerCommand};

pub use crate::state::Shown;

// The page's row and line heights are the state's.
const _: () = assert!(services::ROW_HEIGHT == crate::state::TABLE_ROW_HEIGHT);
const _: () = assert!(source::LINE_HEIGHT == crate::state::SOURCE_LINE_HEIGHT);

/// What reaches the page: an [`Action`] for the state, or something only the browser has.
pub enum PageMsg {
    Act(Action),
    /// Files chosen or dropped; read here, their text goes to the state.
    Files(Vec<web_sys::File>),
    /// A file chosen by "compare with…": the later moment of the paste on screen.
    CompareFiles(Vec<web_sys::File>),
    /// The worker's parts loaded, or why not.
    WorkerParts(Result<Rc<WorkerParts>, String>),
    /// The Services table's filter changed (the table's place in the window is measured here).
    Filter(Filter),
    /// The window scrolled or was resized.
    WindowScroll,
}

impl From<Action> for PageMsg {
    fn from(action: Action) -> PageMsg {
        PageMsg::Act(action)
    }
}

pub struct App {
    state: State,
    /// The worker's loaded parts, to start workers from.
    parts: Option<Rc<WorkerParts>>,
    worker: Option<WorkerHandle>,
    /// Files chosen and not yet being read, and the readers of those being read.
    to_read: Vec<web_sys::File>,
    readers: Vec<FileReader>,
    /// The Source view's scrolling box and the Services table's body, measured and scrolled here.
    source_ref: NodeRef,
    table_ref: NodeRef,
    /// Shared with the reload question: true while the input is the user's own.
    user_input: Rc<Cell<bool>>,
    _hash_listener: EventListener,
    _page_listeners: Option<habits::PageListeners>,
    tick: Option<Interval>,
    notice_timer: Option<Timeout>,
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
    type Message = PageMsg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let window = web_sys::window().expect("a page has a window");
        let link = ctx.link().clone();
        let hash_listener = EventListener::new(&window, "hashchange", move |_| {
            link.send_message(Action::Route(Route::parse(&location_hash())));
        });
        let on_parts = ctx.link().callback(PageMsg::WorkerParts);
        wasm_bindgen_futures::spawn_local(async move {
            on_parts.emit(host::load().await.map(Rc::new));
        });
        let user_input = Rc::new(Cell::new(false));
        let page_listeners = habits::PageListeners::install(ctx.link().clone(), user_input.clone());
        let base = window
            .location()
            .href()
            .ok()
            .map(|h| h.split('#').next().unwrap_or("").to_string())
            .unwrap_or_default();
        let height = window
            .inner_height()
            .ok()
            .and_then(|h| h.as_f64())
            .unwrap_or(900.0);
        let mut app = App {
            state: State::new(now(), base, height),
            parts: None,
            worker: None,
            to_read: Vec::new(),
            readers: Vec::new(),
            source_ref: NodeRef::default(),
            table_ref: NodeRef::default(),
            user_input,
            _hash_listener: hash_listener,
            _page_listeners: page_listeners,
            tick: None,
            notice_timer: None,
        };
        let effects = app.state.start(Route::parse(&location_hash()));
        app.carry_out(ctx, effects);
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        let action = match msg {
            PageMsg::Act(action) => action,
            PageMsg::Files(files) => {
                let names = files.iter().map(|f| f.name()).collect();
                self.to_read = files;
                Action::FilesChosen(names)
            }
            PageMsg::CompareFiles(files) => {
                let names = files.iter().take(1).map(|f| f.name()).collect();
                self.to_read = files.into_iter().take(1).collect();
                Action::CompareWith(names)
            }
            PageMsg::WorkerParts(parts) => {
                let loaded = parts.as_ref().map(|_| ()).map_err(Clone::clone);
                self.parts = parts.ok();
                Action::WorkerLoaded(loaded)
            }
            PageMsg::Filter(filter) => {
                Action::Filter(filter, habits::table_window(&self.table_ref))
            }
            PageMsg::WindowScroll => Action::WindowScroll(habits::table_window(&self.table_ref)),
        };
        self.act(ctx, action)
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let guide = self
            .state
            .sample
            .and_then(crate::guides::for_sample)
            // The tour names the sample's real addresses and Services: not shown while redacting.
            .filter(|_| !self.state.tour_hidden && !self.state.redact);
        let body = match (&self.state.route, self.state.current()) {
            (Route::Gallery, _) => learn::gallery(self.state.sample),
            (Route::Glossary(key), _) => learn::glossary(key.as_deref()),
            (Route::Nodes, _) => nodes::view(
                link,
                &self.state.nodes,
                &self.state.compare,
                self.state.redact,
            ),
            (Route::Trace(_), None) if self.state.pending_trace => {
                trace::form(ctx, &self.trace_props())
            }
            // The Services the new paste names, while it is parsed (on the views of a report).
            (Route::Overview | Route::Sample(_) | Route::Shared(_) | Route::Finding(_), _)
                if self.state.first_look.is_some() =>
            {
                self.state
                    .first_look
                    .as_deref()
                    .map(|look| first_look::view(look, self.state.redact))
                    .unwrap_or_default()
            }
            (_, None) if self.state.redact && self.state.shown.is_some() => html! {
                <section class="panel empty"><p>{"Redacting…"}</p></section>
            },
            (_, None) => input::empty(),
            (Route::Service(id), Some(shown)) => service::view(ctx, shown, id, &self.paths_props()),
            (Route::Source(_), Some(shown)) => source::view(ctx, &self.source_props(shown)),
            (Route::Trace(_), Some(_)) => trace::form(ctx, &self.trace_props()),
            (Route::Migration, Some(shown)) => migration::view(ctx, shown),
            (Route::Conntrack, Some(shown)) => {
                conntrack::view(ctx, shown, self.state.sample.map(str::to_string))
            }
            (_, Some(shown)) => html! { <>
                if let Some(guide) = guide { { learn::tour(ctx, guide, &shown.text) } }
                { overview::view(ctx, shown, &self.overview_props()) }
            </> },
        };
        // On the other views of a sample, a way back to its tour.
        let crumb = match (&self.state.route, guide) {
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
        let is_source = matches!(self.state.route, Route::Source(_));
        let is_service = matches!(self.state.route, Route::Service(_));
        let is_trace = matches!(self.state.route, Route::Trace(_));
        let is_gallery = matches!(self.state.route, Route::Gallery);
        let is_glossary = matches!(self.state.route, Route::Glossary(_));
        let is_migration = matches!(self.state.route, Route::Migration);
        let is_conntrack = matches!(self.state.route, Route::Conntrack);
        let is_nodes = matches!(self.state.route, Route::Nodes);
        let is_overview = !is_source
            && !is_service
            && !is_trace
            && !is_gallery
            && !is_glossary
            && !is_migration
            && !is_conntrack
            && !is_nodes;
        html! {
            <div class={classes!("page", self.state.dragging.then_some("dragging"),
                    (is_source || is_service || is_trace || is_gallery || is_glossary || is_migration || is_conntrack || is_nodes).then_some("compact"))}
                ondragover={link.callback(|e: DragEvent| { e.prevent_default(); Action::Dragging(true) })}
                ondragleave={link.callback(|_| Action::Dragging(false))}
                ondrop={link.callback(|e: DragEvent| {
                    e.prevent_default();
                    PageMsg::Files(dropped_files(&e))
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
                        { tab(Route::Trace(self.state.trace_tab_query()), "Trace", is_trace) }
                        { tab(Route::Source(None), "Source", is_source) }
                        { tab(Route::Gallery, "Learn", is_gallery) }
                        { tab(Route::Glossary(None), "Glossary", is_glossary) }
                        { tab(Route::Migration, "nftables move", is_migration) }
                        { tab(Route::Conntrack, "Conntrack", is_conntrack) }
                        { tab(Route::Nodes, "Nodes", is_nodes) }
                    </nav>
                </header>
                if self.state.shared_copy { { redaction::shared_banner() } }
                { input::panel(&self.state, link) }
                { input::actions(&self.state, link) }
                if let Some(replace) = &self.state.confirm { { habits::confirm_replace(ctx, replace) } }
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
        let service = self.state.service_index().and_then(|i| {
            self.state
                .current()
                .and_then(|s| s.report.services.get(i).map(model::service_title))
        });
        habits::set_title(&self.state.route.title(service.as_deref()));
        let mut drawn = Drawn::default();
        if self.state.confirm.is_some() {
            habits::focus_keep_button();
        } else if self.state.focus_heading {
            // One try: a view without a heading yet does not take the focus later, from the user.
            habits::focus_view_heading();
            drawn.heading_focused = true;
        }
        // Scroll to a glossary entry or a finding once it is drawn (a finding only after the analysis).
        if let Some(id) = &self.state.pending_anchor {
            let element = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(id));
            if let Some(element) = element {
                element.scroll_into_view();
                drawn.anchor_shown = true;
            }
        }
        if let (Some(line), Some(element)) = (
            self.state.scroll_to_line,
            self.source_ref.cast::<web_sys::Element>(),
        ) {
            let top = (f64::from(line.saturating_sub(6))) * source::LINE_HEIGHT;
            element.set_scroll_top(top as i32);
            // Draw the rows now in view: the scroll event that follows may carry the same offset as a
            // stale one and be taken for no change.
            ctx.link().send_message(Action::SourceScroll(
                f64::from(element.scroll_top()),
                f64::from(element.client_height()),
            ));
            drawn.line_scrolled = true;
        }
        if drawn != Drawn::default() {
            self.act(ctx, Action::Drawn(drawn));
        }
    }
}

impl App {
    /// The Trace form's slice of the state.
    fn trace_props(&self) -> trace::FormProps<'_> {
        let s = &self.state;
        trace::FormProps {
            form: &s.trace_form,
            trace: &s.trace,
            shown: s.current(),
            redact: s.redact,
            pending_trace: s.pending_trace,
            facts: &s.facts,
        }
    }

    /// The Source view's slice of the state.
    fn source_props<'a>(&'a self, shown: &'a Shown) -> source::Props<'a> {
        let s = &self.state;
        source::Props {
            shown,
            scroll: s.source_scroll,
            highlight: &s.highlight,
            target: match s.route {
                Route::Source(line) => line,
                _ => None,
            },
            explain_line: s.explain_line,
            explain_part: s.explain_part,
            redact: s.redact,
            body: &self.source_ref,
        }
    }

    /// The Service page's traces.
    fn paths_props(&self) -> service::PathsProps<'_> {
        service::PathsProps {
            paths: self.state.paths.as_ref(),
            choice: self.state.path_choice,
            redact: self.state.redact,
        }
    }

    /// The overview's slice of the state.
    fn overview_props(&self) -> overview::Props<'_> {
        let s = &self.state;
        overview::Props {
            finding: match &s.route {
                Route::Finding(code) => Some(code.as_str()),
                _ => None,
            },
            facts_error: &s.facts_error,
            streaming: s.streaming(),
            table: services::Table {
                filter: &s.filter,
                sort: s.sort,
                descending: s.descending,
                scroll: s.table_scroll,
                body: &self.table_ref,
            },
        }
    }

    /// Applies an action and carries out its effects; true when the page must be drawn again.
    fn act(&mut self, ctx: &Context<Self>, action: Action) -> bool {
        self.state.now = now();
        let effects = apply(&mut self.state, action);
        self.carry_out(ctx, effects)
    }

    fn carry_out(&mut self, ctx: &Context<Self>, effects: Vec<Effect>) -> bool {
        let mut redraw = false;
        for effect in effects {
            match effect {
                Effect::Redraw => redraw = true,
                Effect::Worker(command) => redraw |= self.command(ctx, command),
                Effect::Ticking(true) => {
                    let link = ctx.link().clone();
                    self.tick = Some(Interval::new(250, move || link.send_message(Action::Tick)));
                }
                Effect::Ticking(false) => self.tick = None,
                Effect::SetHash(route) => set_location_hash(&route),
                Effect::ReplaceHash(route) => replace_location_hash(&route),
                Effect::ScrollToTop => {
                    if let Some(window) = web_sys::window() {
                        window.scroll_to_with_x_and_y(0.0, 0.0);
                    }
                }
                Effect::ClearNoticeLater => {
                    let link = ctx.link().clone();
                    self.notice_timer = Some(Timeout::new(4000, move || {
                        link.send_message(Action::Notice(None))
                    }));
                }
                Effect::CopyText(text) => widgets::copy_text(&text),
                Effect::Download { name, mime, text } => widgets::download(name, mime, &text),
                Effect::ReadFiles(batch) => self.read_files(ctx, batch),
                Effect::StopReading => self.readers.clear(),
            }
        }
        self.user_input.set(self.state.user_input);
        redraw
    }

    /// Carries out a worker command; true when a failure changed the state.
    fn command(&mut self, ctx: &Context<Self>, command: WorkerCommand) -> bool {
        let failure = match command {
            WorkerCommand::Spawn => {
                self.worker = self.parts.as_ref().and_then(|parts| {
                    WorkerHandle::spawn(
                        parts,
                        ctx.link().callback(Action::WorkerReply),
                        ctx.link().callback(Action::WorkerError),
                    )
                });
                self.worker
                    .is_none()
                    .then(|| "this browser could not start the analysis worker".to_string())
            }
            WorkerCommand::Terminate => {
                self.worker = None;
                None
            }
            WorkerCommand::Post(outgoing) => match &self.worker {
                Some(worker) => worker.post(&outgoing).err(),
                None => Some("this browser could not start the analysis worker".to_string()),
            },
        };
        match failure {
            Some(message) => self.act(ctx, Action::WorkerUnavailable(message)),
            None => false,
        }
    }

    /// Reads the chosen files as bytes, so invalid UTF-8 and NUL bytes are reported by line as the
    /// CLI does.
    fn read_files(&mut self, ctx: &Context<Self>, batch: u64) {
        for (index, file) in std::mem::take(&mut self.to_read).into_iter().enumerate() {
            let file = gloo_file::File::from(file);
            let name = file.name();
            let link = ctx.link().clone();
            let reader = gloo_file::callbacks::read_as_bytes(&file, move |result| {
                // Archives are unpacked and UTF-16 decoded here, as the CLI does (`svcpath_bundle`).
                let result = result
                    .map(|bytes| {
                        svcpath_bundle::open_owned(&name, bytes, &svcpath_bundle::Limits::default())
                    })
                    .map_err(|e| e.to_string());
                link.send_message(Action::FileRead(batch, index, result));
            });
            self.readers.push(reader);
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
