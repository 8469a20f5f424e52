//! The input panel (the text box, files, samples, the worker's status) and the export bar (Redact,
//! copies, downloads, the share link) above every view.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::html::Scope;
use yew::prelude::*;

use super::{file_list, redaction, App, PageMsg};
use crate::model;
use crate::route::Route;
use crate::samples::SAMPLES;
use crate::state::{Action, FileNote, State, Status};

/// Inputs larger than this are not put into the text box (the browser would struggle); the Source view
/// shows them instead.
const TEXTAREA_LIMIT: usize = 2 * 1024 * 1024;

/// The place of a view when nothing is explained.
pub fn empty() -> Html {
    html! {
        <section class="panel empty">
            <p>{"Paste what you captured on the node above, or drop files anywhere on this page."}</p>
        </section>
    }
}

/// The text in the box. A JS string handed to Rust is re-encoded by a loop over its characters (most
/// of 2 s for a 50 MB paste); the browser's own `TextEncoder` makes its UTF-8 bytes at once, copied
/// over whole. The plain way is kept for a browser where that fails.
fn text_of(area: &HtmlTextAreaElement) -> String {
    let encoded = (|| -> Option<String> {
        let value = js_sys::Reflect::get(area, &JsValue::from_str("value")).ok()?;
        let class: js_sys::Function =
            js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("TextEncoder"))
                .ok()?
                .dyn_into()
                .ok()?;
        let encoder = js_sys::Reflect::construct(&class, &js_sys::Array::new()).ok()?;
        let encode: js_sys::Function = js_sys::Reflect::get(&encoder, &JsValue::from_str("encode"))
            .ok()?
            .dyn_into()
            .ok()?;
        let bytes: js_sys::Uint8Array = encode.call1(&encoder, &value).ok()?.dyn_into().ok()?;
        String::from_utf8(bytes.to_vec()).ok()
    })();
    encoded.unwrap_or_else(|| area.value())
}

/// The text box and what sits beside and under it.
pub fn panel(state: &State, link: &Scope<App>) -> Html {
    let in_box = state.input.len() <= TEXTAREA_LIMIT;
    let oninput = link.callback(|e: InputEvent| {
        let pasted = e.input_type() == "insertFromPaste" || e.input_type() == "insertFromDrop";
        let area: HtmlTextAreaElement = e.target_unchecked_into();
        let text = text_of(&area);
        // Too large for the box: emptied here at once, so that drawing the page does not read the
        // whole text back out of it to compare.
        if text.len() > TEXTAREA_LIMIT {
            area.set_value("");
        }
        Action::Input(text, pasted)
    });
    let onchange_files = link.callback(|e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        let files = file_list(input.files());
        input.set_value("");
        PageMsg::Files(files)
    });
    let on_sample = link.callback(|e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        let name = select.value();
        select.set_value("");
        Action::LoadSample(name)
    });
    // Under a ticked Redact the box shows the redacted copy (read-only): what would be shared.
    let box_text = if state.redact {
        state
            .redacted
            .as_ref()
            .map(|r| r.shown.text.clone())
            .unwrap_or_else(|| Rc::from(""))
    } else {
        state.input.clone()
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
            model::bytes(state.input.len())
        )
    };
    html! {
        <section class="input panel" aria-label="Input">
            <div class="input-row">
                <label class="visually-hidden" for="paste">{"Node dump"}</label>
                <textarea id="paste" spellcheck="false" autocomplete="off" {placeholder}
                    value={box_value} {oninput} readonly={state.redact}
                    class={classes!(state.redact.then_some("redacted"))} />
                <div class="input-side">
                    <button id="explain" class="primary" onclick={link.callback(|_| Action::Explain)}>
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
                    <button class="quiet" onclick={link.callback(|_| Action::Clear)}>{"Clear"}</button>
                    <p class="hint">{"or drop files anywhere on the page"}</p>
                </div>
            </div>
            if state.redact {
                <p id="redacted-note" class="hint">
                    {"The box shows the redacted copy: what a share link or download holds. Untick Redact to edit your paste."}
                </p>
            }
            if state.nodes.is_empty() {
                { files(&state.files) }
            } else {
                { nodes(state, link) }
            }
            { status(&state.status, state.generation()) }
        </section>
    }
}

fn files(files: &[FileNote]) -> Html {
    if files.is_empty() {
        return html! {};
    }
    html! {
        <ul class="files" aria-label="Input files">
            { for files.iter().map(|f| html! {
                <li>
                    <span class="file-name">{ &f.name }</span>
                    <span class="muted">{ format!(" — {}, lines {}–{}", model::bytes(f.bytes), f.first_line, f.last_line) }</span>
                </li>
            }) }
        </ul>
    }
}

/// The analysis's progress bar: moving while the input is parsed, then one step per report stage done.
fn stage_progress(stage: Option<svcpath_analysis::ReportStage>) -> Html {
    let steps = svcpath_analysis::ReportStage::ALL.len();
    match stage {
        None => html! { <progress id="analysis-progress" aria-label="Parsing" /> },
        Some(stage) => {
            let done = model::stages_done(stage);
            html! { <progress id="analysis-progress" data-stage={format!("{stage:?}").to_lowercase()}
            max={steps.to_string()} value={done.to_string()} /> }
        }
    }
}

/// The opened files by node: each node's name (editable), where it came from, its files; with several
/// nodes, which one is explained and a button to explain another. Then what opening skipped.
fn nodes(state: &State, link: &Scope<App>) -> Html {
    let several = state.nodes.len() > 1;
    html! { <>
        if several {
            <p id="nodes-note" class="hint">{ format!(
                "These files hold {} nodes; one is explained at a time, and ", state.nodes.len()) }
                <a href={Route::Nodes.href()}>{"Nodes"}</a>{" compares them side by side."}</p>
        }
        <ul class="files nodes" aria-label="Input nodes">
            { for state.nodes.iter().enumerate().map(|(index, node)| {
                let shown = index == state.node_shown;
                let onchange = link.callback(move |e: Event| {
                    let input: HtmlInputElement = e.target_unchecked_into();
                    Action::RenameNode(index, input.value())
                });
                html! {
                    <li class={classes!("node", shown.then_some("shown"))} data-node={index.to_string()}>
                        <label class="node-label">{"Node "}
                            <input class="node-name" type="text" value={node.name.clone()} {onchange}
                                spellcheck="false" aria-label={format!("Name of node {}", index + 1)} />
                        </label>
                        <span class="muted">{ if node.name_source == "you" {
                            " named by you".to_string()
                        } else {
                            format!(" named by its {}", node.name_source)
                        } }</span>
                        if several {
                            if shown {
                                <span class="node-shown">{" — explained below"}</span>
                            } else {
                                <button class="quiet node-explain"
                                    onclick={link.callback(move |_| Action::ShowNode(index))}>
                                    {"Explain this node"}</button>
                            }
                        }
                        { files(&node.files) }
                    </li>
                }
            }) }
        </ul>
        if !state.open_notes.is_empty() {
            <ul id="open-notes" class="open-notes" aria-label="Skipped while opening">
                { for state.open_notes.iter().map(|note| html! { <li>{ note.clone() }</li> }) }
            </ul>
        }
    </> }
}

fn status(status: &Status, generation: u64) -> Html {
    let (class, content) = match status {
        Status::Idle => ("idle", html! { {"Nothing explained yet."} }),
        Status::Reading { done, total } => (
            "busy",
            html! { <>
                <progress max={total.to_string()} value={done.to_string()} />
                { format!(" Reading files: {done} of {total}…") }
            </> },
        ),
        Status::Analysing {
            bytes,
            since,
            stage,
            services_millis,
        } => (
            "busy",
            html! { <>
                { stage_progress(*stage) }
                { format!(" {} {} … {:.1} s", model::analysing_words(*stage), model::bytes(*bytes),
                    (js_sys::Date::now() - since) / 1000.0) }
                if let Some(ms) = services_millis {
                    <span id="services-after" class="muted">{ format!(" (Services after {ms:.0} ms)") }</span>
                }
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
            data-generation={generation.to_string()}>{ content }</p>
    }
}

/// The export bar: Redact, the Markdown copies, the downloads and the share link.
pub fn actions(state: &State, link: &Scope<App>) -> Html {
    // A report still streaming in is not exported: its findings are not there yet.
    let ready = state.shown.is_some() && !state.streaming();
    html! {
        <section class="actions" aria-label="Export">
            <label class="toggle">
                <input id="redact" type="checkbox" checked={state.redact}
                    onchange={link.callback(|_| Action::ToggleRedact)} disabled={!ready} />
                {" Redact addresses and names"}
            </label>
            <button id="copy-markdown" onclick={link.callback(|_| Action::CopyMarkdown)} disabled={!ready}
                title="Markdown for GitHub, GitLab and wikis">
                {"Copy Markdown report"}</button>
            <button id="copy-markdown-chat" onclick={link.callback(|_| Action::CopyMarkdownChat)} disabled={!ready}
                title="Markdown for Slack, Teams, Jira and tickets: no backslash escapes, no tables">
                {"Copy for chat"}</button>
            <button id="download-json" onclick={link.callback(|_| Action::DownloadJson)} disabled={!ready}>
                {"Download JSON"}</button>
            if state.redact {
                <button id="download-dump" onclick={link.callback(|_| Action::DownloadDump)} disabled={!ready}>
                    {"Download redacted dump"}</button>
            }
            <label class="button compare-with" title="Diff this capture against a later one of the same node">
                {"Compare with…"}
                <input id="compare-with" type="file" class="visually-hidden" disabled={!ready}
                    onchange={link.callback(|e: Event| {
                        let input: web_sys::HtmlInputElement = e.target_unchecked_into();
                        super::PageMsg::CompareFiles(super::file_list(input.files()))
                    })} />
            </label>
            <button id="share" onclick={link.callback(|_| Action::Share)} disabled={!ready}
                title="A link holding the redacted dump, compressed, in its fragment (never sent to a server)">
                {"Share link (redacted)"}</button>
            if let Some(notice) = &state.notice {
                <span class="notice" role="status">{ notice.clone() }</span>
            }
            if let Some(share) = state.share_link.as_ref().filter(|s| s.shown) {
                <input id="share-link" class="share-link" readonly=true value={share.link.clone()}
                    aria-label="Share link" />
            }
            if let Some(share) = state.share_link.as_ref().filter(|s| s.long) {
                { redaction::long_link_offer(share, link.callback(|_| Action::DownloadDump),
                    link.callback(|_| Action::CopyLongLink)) }
            }
            if let (true, Some(copy)) = (state.redact, &state.redacted) {
                { redaction::summary(copy) }
            }
        </section>
    }
}
