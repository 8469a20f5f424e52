//! The Source view: the pasted text with line numbers, the lines a finding or Service names
//! highlighted, and only the lines in view rendered, so large pastes stay fast. Hovering or focusing a
//! rule explains each of its options beside the text (`svcpath_analysis::explain`). The share an endpoint
//! rule gets of its Service comes from the report the page already holds, looked up for the one line
//! explained: no rescan of the lines above it and no round trip to the worker while the pointer moves.

use std::collections::HashSet;

use svcpath_analysis::explain::Explanation;
use web_sys::Element;
use yew::prelude::*;

use super::{learn, App, Shown};
use crate::model;
use crate::route::Route;
use crate::state::Action;

/// Height of one line in pixels; the stylesheet gives lines exactly this height.
pub const LINE_HEIGHT: f64 = 20.0;
const OVERSCAN: usize = 30;

/// The Source view's slice of the state.
pub struct Props<'a> {
    pub shown: &'a Shown,
    /// The scrolling box's offset and height, in pixels.
    pub scroll: (f64, f64),
    /// The lines a finding or Service names, and what names them.
    pub highlight: &'a (std::rc::Rc<Vec<u32>>, String),
    /// The line the URL points at.
    pub target: Option<u32>,
    /// The line hovered or focused, and the option of it pointed at.
    pub explain_line: Option<u32>,
    pub explain_part: Option<usize>,
    pub redact: bool,
    /// The scrolling box, measured and scrolled by the page.
    pub body: &'a NodeRef,
}

pub fn view(ctx: &Context<App>, props: &Props<'_>) -> Html {
    let shown = props.shown;
    let total = shown.line_count() as usize;
    let (scroll_top, height) = props.scroll;
    let (first, count) = model::visible_rows(total, scroll_top, height, LINE_HEIGHT, OVERSCAN);
    let before = first as f64 * LINE_HEIGHT;
    let after = total.saturating_sub(first + count) as f64 * LINE_HEIGHT;
    let highlighted: HashSet<u32> = props.highlight.0.iter().copied().collect();
    let target = props.target;
    let on_scroll = ctx.link().callback(|e: Event| {
        let element: Element = e.target_unchecked_into();
        Action::SourceScroll(
            f64::from(element.scroll_top()),
            f64::from(element.client_height()),
        )
    });
    let section_at = |line: u32| {
        shown
            .report
            .sections
            .iter()
            .find(|s| s.first_line == line)
            .map(|s| s.kind)
    };
    // The explanation of the hovered or focused line.
    let explained: Option<(u32, Explanation)> = props
        .explain_line
        .and_then(|n| Some((n, shown.explanation(n)?)));
    let mut marks: Vec<u32> = props.highlight.0.iter().copied().collect();
    marks.sort_unstable();
    marks.dedup();
    html! {
        <section id="source" class="panel" aria-labelledby="source-title">
            <h2 id="source-title">{ format!("Source ({total} lines{})", if props.redact { ", redacted" } else { "" }) }</h2>
            if !marks.is_empty() {
                <p class="highlight-note">
                    <span class="mark-swatch" aria-hidden="true"></span>
                    { format!("{} highlighted line{}: ", marks.len(), if marks.len() == 1 { "" } else { "s" }) }
                    <span class="muted">{ props.highlight.1.clone() }</span>{" "}
                    { for marks.iter().take(40).map(|n| html! {
                        <a class="line-link" href={Route::Source(Some(*n)).href()}>{ format!("L{n}") }</a>
                    }) }
                </p>
            }
            <div class="source-wrap">
            <div class="source" ref={props.body.clone()} onscroll={on_scroll} tabindex="0"
                aria-label="Pasted text">
                <svg class="spacer" width="1" height={format!("{before:.0}")} aria-hidden="true" />
                { for (first..first + count).map(|i| {
                    let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
                    let kind = section_at(n);
                    let can_explain = shown.line_kind(n).is_some();
                    let current = explained.as_ref().filter(|(line, _)| *line == n).map(|(_, e)| e);
                    let link = ctx.link();
                    let onmouseenter = can_explain.then(|| link.callback(move |_: MouseEvent| Action::ExplainLine(n, true)));
                    let onfocus = can_explain.then(|| link.callback(move |_: FocusEvent| Action::ExplainLine(n, false)));
                    html! {
                        <div key={n} id={format!("L{n}")} class={classes!(
                            "src-line",
                            highlighted.contains(&n).then_some("hl"),
                            (target == Some(n)).then_some("target"),
                            kind.is_some().then_some("section-start"),
                            can_explain.then_some("explainable"),
                            current.is_some().then_some("explained"),
                        )} {onmouseenter} {onfocus} tabindex={can_explain.then_some("0")}>
                            <a class="ln" href={Route::Source(Some(n)).href()} tabindex="-1">{ n }</a>
                            <span class="code">{ match current {
                                Some(e) => code_with_parts(ctx, shown.line(n), e, props.explain_part),
                                None => html! { shown.line(n) },
                            } }</span>
                            if let Some(kind) = kind { <span class="section-tag">{ kind.name() }</span> }
                        </div>
                    }
                }) }
                <svg class="spacer" width="1" height={format!("{after:.0}")} aria-hidden="true" />
            </div>
            { explain_panel(explained.as_ref(), props.explain_part) }
            </div>
        </section>
    }
}

/// The line's text cut at its explained options, each option a span that picks its row in the panel.
fn code_with_parts(ctx: &Context<App>, line: &str, e: &Explanation, active: Option<usize>) -> Html {
    let mut out = Vec::new();
    let mut at = 0;
    for (i, p) in e.parts.iter().enumerate() {
        if p.start < at || p.end > line.len() {
            continue;
        }
        if let Some(gap) = line.get(at..p.start) {
            out.push(html! { gap.to_string() });
        }
        let text = line.get(p.start..p.end).unwrap_or("").to_string();
        let enter = ctx
            .link()
            .callback(move |_: MouseEvent| Action::ExplainPart(Some(i)));
        out.push(html! {
            <span class={classes!("opt", (active == Some(i)).then_some("active"))} data-part={i.to_string()}
                onmouseenter={enter}>{ text }</span>
        });
        at = p.end;
    }
    out.push(html! { line.get(at..).unwrap_or("").to_string() });
    out.into_iter().collect::<Html>()
}

/// What each option of the explained line means.
fn explain_panel(explained: Option<&(u32, Explanation)>, active: Option<usize>) -> Html {
    let Some((n, e)) = explained else {
        return html! {
            <aside id="rule-notes" class="explain" aria-live="polite">
                <p class="muted">{"Hover a rule (or focus it with Tab) to see what each of its options means."}</p>
            </aside>
        };
    };
    html! {
        <aside id="rule-notes" class="explain" aria-live="polite" aria-labelledby="rule-notes-title">
            <h3 id="rule-notes-title">{ format!("Line {n}: {}", e.title) }</h3>
            if let Some(owner) = e.owner_sentence() {
                <p class={classes!("explain-owner", e.owner.is_some_and(|o| !o.is_kubernetes()).then_some("foreign"))}>{ owner }</p>
            }
            <ul class="explain-parts">
                { for e.parts.iter().enumerate().map(|(i, p)| html! {
                    <li class={classes!("explain-part", (active == Some(i)).then_some("active"))}>
                        <code class="explain-opt">{ p.text.clone() }</code>
                        <span class="explain-meaning">{ p.meaning.clone() }
                            if let Some(term) = p.term {
                                {" "}{ learn::term_link(term, "(glossary)") }
                            }
                        </span>
                    </li>
                }) }
            </ul>
        </aside>
    }
}
