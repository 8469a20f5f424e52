//! Habits of the page that keep a reader oriented and a paste safe: `/` to search, the window's scroll
//! for the Services table, a reload that asks before it drops a paste, the in-page question before a
//! sample replaces one, the skip link, focus on the opened view's heading, and the tab's title.

use std::cell::Cell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{BeforeUnloadEvent, Element, HtmlElement, KeyboardEvent};
use yew::html::Scope;
use yew::prelude::*;

use super::{App, PageMsg};
use crate::state::{Action, Replace};

/// Window listeners that live as long as the page.
pub struct PageListeners {
    _before_unload: EventListener,
    _keys: EventListener,
    _scroll: EventListener,
    _resize: EventListener,
}

impl PageListeners {
    /// `keep_paste` is true while the input holds something the user pasted, typed or opened.
    pub fn install(link: Scope<App>, keep_paste: Rc<Cell<bool>>) -> Option<PageListeners> {
        let window = web_sys::window()?;
        let before_unload = EventListener::new_with_options(
            &window,
            "beforeunload",
            EventListenerOptions::enable_prevent_default(),
            move |event| {
                if keep_paste.get() {
                    // The browser asks "leave the page?"; the paste is stored nowhere else.
                    event.prevent_default();
                    if let Some(event) = event.dyn_ref::<BeforeUnloadEvent>() {
                        event.set_return_value("Your paste is not stored anywhere: leave anyway?");
                    }
                }
            },
        );
        let keys = EventListener::new_with_options(
            &window,
            "keydown",
            EventListenerOptions::enable_prevent_default(),
            |event| {
                let Some(key) = event.dyn_ref::<KeyboardEvent>() else {
                    return;
                };
                if key.key() != "/" || key.ctrl_key() || key.meta_key() || key.alt_key() {
                    return;
                }
                if typing_somewhere(key.target()) {
                    return;
                }
                if let Some(search) =
                    element_by_id("service-search").and_then(|e| e.dyn_into::<HtmlElement>().ok())
                {
                    event.prevent_default();
                    let _ = search.focus();
                }
            },
        );
        let scroll_link = link.clone();
        let scroll = EventListener::new(&window, "scroll", move |_| {
            scroll_link.send_message(PageMsg::WindowScroll)
        });
        let resize = EventListener::new(&window, "resize", move |_| {
            link.send_message(PageMsg::WindowScroll)
        });
        Some(PageListeners {
            _before_unload: before_unload,
            _keys: keys,
            _scroll: scroll,
            _resize: resize,
        })
    }
}

/// True when a key press goes into a text field, a list or an editable element.
fn typing_somewhere(target: Option<web_sys::EventTarget>) -> bool {
    let Some(element) = target.and_then(|t| t.dyn_into::<Element>().ok()) else {
        return false;
    };
    let tag = element.tag_name().to_ascii_lowercase();
    matches!(tag.as_str(), "input" | "textarea" | "select")
        || element
            .dyn_ref::<HtmlElement>()
            .is_some_and(|e| e.is_content_editable())
}

fn element_by_id(id: &str) -> Option<Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// Where the Services table's body is in the window: `(pixels of it scrolled past the top, window
/// height)`, for drawing only the rows in view.
pub fn table_window(body: &NodeRef) -> Option<(f64, f64)> {
    let element = body.cast::<Element>()?;
    let top = element.get_bounding_client_rect().top();
    let height = web_sys::window()?.inner_height().ok()?.as_f64()?;
    Some(((-top).max(0.0), height))
}

/// The first link on the page: straight to the view, past the input and the tabs.
pub fn skip_link() -> Html {
    let onclick = Callback::from(|e: MouseEvent| {
        e.prevent_default();
        if let Some(main) = element_by_id("main").and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            let _ = main.focus();
        }
    });
    html! { <a class="skip-link" href="#main" {onclick}>{"Skip to the view"}</a> }
}

/// Moves the keyboard focus to the opened view's heading (the first `h2` in `main`), so a screen
/// reader announces it and Tab goes on from there. False when the view has no heading.
pub fn focus_view_heading() -> bool {
    let heading = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("main h2").ok().flatten())
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    match heading {
        Some(heading) => {
            if !heading.has_attribute("tabindex") {
                let _ = heading.set_attribute("tabindex", "-1");
            }
            let _ = heading.focus();
            true
        }
        None => false,
    }
}

/// Sets the tab's title.
pub fn set_title(title: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        if document.title() != title {
            document.set_title(title);
        }
    }
}

/// Focuses the "keep my paste" button of the question once it is drawn, unless the focus is on the
/// question already (on its other button).
pub fn focus_keep_button() {
    let Some(question) = element_by_id("replace-question") else {
        return;
    };
    let inside = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .is_some_and(|e| question.contains(Some(&e)));
    if inside {
        return;
    }
    if let Some(button) =
        element_by_id("replace-keep").and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = button.focus();
    }
}

/// The question asked before a sample replaces the user's paste.
pub fn confirm_replace(ctx: &Context<App>, replace: &Replace) -> Html {
    let link = ctx.link();
    let Replace::Sample(name) = replace;
    let title = crate::samples::find(name).map_or(name.as_str(), |s| s.title);
    html! {
        <section id="replace-question" class="panel question" role="alertdialog"
            aria-labelledby="replace-title" aria-describedby="replace-text">
            <h2 id="replace-title">{"Replace your paste?"}</h2>
            <p id="replace-text">{ format!("Opening the sample “{title}” replaces what you pasted. \
                Your paste is not stored anywhere else: it would be gone.") }</p>
            <p class="question-buttons">
                <button id="replace-keep" class="primary" onclick={link.callback(|_| Action::ReplaceAnswer(false))}>
                    {"Keep my paste"}</button>
                <button id="replace-confirm" onclick={link.callback(|_| Action::ReplaceAnswer(true))}>
                    {"Replace it with the sample"}</button>
            </p>
        </section>
    }
}
