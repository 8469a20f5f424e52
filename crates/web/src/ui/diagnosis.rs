//! "What is wrong here": the report's diagnosis at the top of the overview — each cause once, ranked,
//! expandable to its rule line (with the rule's owner), its Services and the trace that proves it.

use svcpath_analysis::diagnosis::{Cause, CauseTrace};
use svcpath_analysis::report::Report;
use svcpath_analysis::words::percent_rounded;
use yew::prelude::*;

use super::widgets::{line_links, severity_badge};
use super::{App, Shown};
use crate::route::Route;
use crate::state::Action;

/// Most Services linked under one cause; the rest are counted.
const LINKED: usize = 30;

pub fn view(ctx: &Context<App>, shown: &Shown) -> Html {
    let report: &Report = &shown.report;
    let on_highlight = ctx
        .link()
        .callback(|(lines, label): (Vec<u32>, String)| Action::Highlight(lines, label));
    html! {
        <section id="diagnosis" class="panel diagnosis" aria-labelledby="diagnosis-title">
            <h2 id="diagnosis-title">{"What is wrong here"}</h2>
            if report.diagnosis.is_empty() {
                <p class="nothing-wrong">{ svcpath_analysis::diagnosis::headline(report) }</p>
            } else {
                <ol class="causes">
                    { for report.diagnosis.iter().enumerate().map(|(i, c)| cause(ctx, c, i, &on_highlight)) }
                </ol>
            }
        </section>
    }
}

fn cause(
    ctx: &Context<App>,
    c: &Cause,
    index: usize,
    on_highlight: &Callback<(Vec<u32>, String)>,
) -> Html {
    let more = c.services.len().saturating_sub(LINKED);
    html! {
        <li class="cause" data-code={c.code.as_str()}>
            <details open={index == 0}>
                <summary>
                    { severity_badge(c.severity) }
                    <span class="cause-summary">{ &c.summary }</span>
                </summary>
                <div class="cause-body">
                    if let (Some(line), Some(rule)) = (c.line, &c.rule) {
                        <p class="cause-rule">
                            <span class="muted">{"Deciding rule "}</span>
                            { line_links(&[line], &c.summary, on_highlight) }
                            {" "}<code>{ rule }</code>
                            if let Some(owner) = c.owner {
                                {" "}<span class={classes!("tag", "owner", (!owner.is_kubernetes()).then_some("foreign"))}
                                    title={owner.describe()}>{ owner.name() }</span>
                            }
                        </p>
                    }
                    if c.services.len() > 1 || (c.services.len() == 1 && c.findings > 1) {
                        <p class="cause-services">
                            <span class="muted">{ format!("{} Services: ", c.services.len()) }</span>
                            { for c.services.iter().take(LINKED).enumerate().map(|(k, id)| html! {
                                <>
                                    if k > 0 { {", "} }
                                    <a href={Route::Service(id.clone()).href()}>{ id }</a>
                                </>
                            }) }
                            if more > 0 { <span class="muted">{ format!(" and {more} more") }</span> }
                        </p>
                    } else if let Some(id) = c.services.first() {
                        <p class="cause-services"><span class="muted">{"Service: "}</span>
                            <a href={Route::Service(id.clone()).href()}>{ id }</a></p>
                    }
                    if c.detail != c.summary {
                        <p class="cause-detail">{ super::learn::rich(&c.detail) }</p>
                    }
                    if let Some(t) = &c.trace {
                        { proof(ctx, t, on_highlight) }
                    }
                    if c.lines.len() > 1 {
                        <p class="muted">{"All lines: "}{ line_links(&c.lines, &c.summary, on_highlight) }</p>
                    }
                </div>
            </details>
        </li>
    }
}

/// The deciding trace: its packet, how it ends and its steps, with a button that opens it in the
/// Trace form.
fn proof(ctx: &Context<App>, t: &CauseTrace, on_highlight: &Callback<(Vec<u32>, String)>) -> Html {
    let packet = t.packet.clone();
    let open = ctx
        .link()
        .callback(move |_| Action::TracePacket(packet.clone()));
    let end = match (t.verdict.as_str(), &t.endpoint) {
        ("dnat", Some(ep)) => format!("→ {ep}"),
        (v, Some(ep)) => format!("{} (after DNAT to {ep})", v.to_uppercase()),
        (v, None) => v.to_uppercase(),
    };
    html! {
        <div class="cause-trace">
            <p>
                <span class="muted">{"Deciding trace: "}</span>{ &t.label }{": "}
                <strong>{ format!("{} {end}", percent_rounded(t.probability)) }</strong>
                {" "}<button class="trace-cause" onclick={open}>{"Open in Trace"}</button>
            </p>
            <ol class="steps">
                { for t.steps.iter().map(|s| html! {
                    <li class="step">
                        <span class="hook">{ s.hook.name() }</span>
                        if !s.table.is_empty() { <span class="table">{ &s.table }</span> }
                        if !s.chain.is_empty() { <code class="chain">{ &s.chain }</code> }
                        if let Some(line) = s.line { { line_links(&[line], &t.label, on_highlight) } }
                        if let Some(owner) = s.owner {
                            <span class={classes!("tag", "owner", (!owner.is_kubernetes()).then_some("foreign"))}
                                title={owner.describe()}>{ owner.name() }</span>
                        }
                        <span class="note">{ &s.note }</span>
                    </li>
                }) }
            </ol>
        </div>
    }
}
