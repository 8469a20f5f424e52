//! The Source view: the pasted text with line numbers, the lines a finding or Service names
//! highlighted, and only the lines in view rendered, so large pastes stay fast.

use std::collections::HashSet;

use web_sys::Element;
use yew::prelude::*;

use super::{App, Msg, Shown};
use crate::model;
use crate::route::Route;

/// Height of one line in pixels; the stylesheet gives lines exactly this height.
pub const LINE_HEIGHT: f64 = 20.0;
const OVERSCAN: usize = 30;

pub fn view(app: &App, ctx: &Context<App>, shown: &Shown) -> Html {
    let total = shown.line_count() as usize;
    let (scroll_top, height) = app.source_scroll;
    let (first, count) = model::visible_rows(total, scroll_top, height, LINE_HEIGHT, OVERSCAN);
    let before = first as f64 * LINE_HEIGHT;
    let after = total.saturating_sub(first + count) as f64 * LINE_HEIGHT;
    let highlighted: HashSet<u32> = app.highlight.0.iter().copied().collect();
    let target = match app.route {
        Route::Source(line) => line,
        _ => None,
    };
    let on_scroll = ctx.link().callback(|e: Event| {
        let element: Element = e.target_unchecked_into();
        Msg::SourceScroll(
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
            .map(|s| s.kind.clone())
    };
    let mut marks: Vec<u32> = app.highlight.0.iter().copied().collect();
    marks.sort_unstable();
    marks.dedup();
    html! {
        <section id="source" class="panel" aria-labelledby="source-title">
            <h2 id="source-title">{ format!("Source ({total} lines{})", if app.redact { ", redacted" } else { "" }) }</h2>
            if !marks.is_empty() {
                <p class="highlight-note">
                    <span class="mark-swatch" aria-hidden="true"></span>
                    { format!("{} highlighted line{}: ", marks.len(), if marks.len() == 1 { "" } else { "s" }) }
                    <span class="muted">{ app.highlight.1.clone() }</span>{" "}
                    { for marks.iter().take(40).map(|n| html! {
                        <a class="line-link" href={Route::Source(Some(*n)).href()}>{ format!("L{n}") }</a>
                    }) }
                </p>
            }
            <div class="source" ref={app.source_ref.clone()} onscroll={on_scroll} tabindex="0"
                aria-label="Pasted text">
                <svg class="spacer" width="1" height={format!("{before:.0}")} aria-hidden="true" />
                { for (first..first + count).map(|i| {
                    let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
                    let kind = section_at(n);
                    html! {
                        <div key={n} id={format!("L{n}")} class={classes!(
                            "src-line",
                            highlighted.contains(&n).then_some("hl"),
                            (target == Some(n)).then_some("target"),
                            kind.is_some().then_some("section-start"),
                        )}>
                            <a class="ln" href={Route::Source(Some(n)).href()}>{ n }</a>
                            <span class="code">{ shown.line(n) }</span>
                            if let Some(kind) = kind { <span class="section-tag">{ kind }</span> }
                        </div>
                    }
                }) }
                <svg class="spacer" width="1" height={format!("{after:.0}")} aria-hidden="true" />
            </div>
        </section>
    }
}
