//! Traces drawn: a packet's outcomes (endpoint, drop, reject, accept) with their odds, masquerade marked,
//! and the hooks and chains each one passed, every rule linked to its line; and the Trace form.

use svcpath_analysis::report::Protocol;
use svcpath_analysis::trace::{From, Outcome, Trace};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::widgets::line_links;
use super::{App, Msg};
use crate::model;

/// What the Trace form holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceForm {
    pub from: From,
    pub src: String,
    pub dst: String,
    pub port: String,
    pub protocol: Protocol,
    pub returning: bool,
}

impl Default for TraceForm {
    fn default() -> TraceForm {
        TraceForm {
            from: From::Pod,
            src: String::new(),
            dst: String::new(),
            port: String::new(),
            protocol: Protocol::Tcp,
            returning: false,
        }
    }
}

pub fn from_label(from: From) -> &'static str {
    match from {
        From::Pod => "a pod on this node",
        From::Node => "the node itself",
        From::External => "outside the node",
    }
}

fn verdict_label(o: &Outcome) -> (&'static str, String) {
    match o.verdict.as_str() {
        "dnat" => (
            "v-dnat",
            format!("→ {}", o.endpoint.as_deref().unwrap_or("endpoint")),
        ),
        "drop" => ("v-drop", "DROP".to_string()),
        "reject" => ("v-drop", "REJECT".to_string()),
        "accept" => ("v-accept", "ACCEPT (no DNAT)".to_string()),
        other => ("v-accept", other.to_uppercase()),
    }
}

/// The outcomes of one trace: an SVG overview (origin, then one bar per outcome sized by its odds, drops
/// in red, masquerade marked), then each outcome's steps.
pub fn view(trace: &Trace, label: &str, on_highlight: &Callback<(Vec<u32>, String)>) -> Html {
    let packet = &trace.packet;
    let origin = format!(
        "{} {} → {}:{}/{}",
        match packet.from {
            From::Pod => "pod",
            From::Node => "node",
            From::External => "outside",
        },
        packet.src.as_deref().unwrap_or("?"),
        packet.dst,
        packet.dst_port,
        packet.protocol.name()
    );
    let rows = trace.outcomes.len().max(1);
    let row = 30.0;
    let height = rows as f64 * row + 16.0;
    let mid = height / 2.0;
    html! {
        <div class="trace">
            <figure class="path">
                <svg viewBox={format!("0 0 900 {height:.0}")} width="100%" role="img"
                    aria-label={format!("Outcomes of {label}")}>
                    <rect x="4" y={format!("{:.1}", mid - 14.0)} width="330" height="28" rx="5" class="node entry" />
                    <text x="14" y={format!("{:.1}", mid + 4.0)} class="label">{ origin }</text>
                    if trace.outcomes.is_empty() {
                        <text x="360" y={format!("{:.1}", mid + 4.0)} class="label">{"no outcome"}</text>
                    }
                    { for trace.outcomes.iter().enumerate().map(|(i, o)| {
                        let y = 8.0 + (i as f64 + 0.5) * row;
                        let p = if o.probability.is_finite() { o.probability.clamp(0.0, 1.0) } else { 0.0 };
                        let (class, text) = verdict_label(o);
                        let bad = class == "v-drop";
                        html! {
                            <g>
                                <line x1="334" y1={format!("{mid:.1}")} x2="400" y2={format!("{y:.1}")}
                                    class={classes!("edge", bad.then_some("drop"))} stroke-width={format!("{:.1}", 1.0 + p * 6.0)} />
                                <rect x="400" y={format!("{:.1}", y - 10.0)} width={format!("{:.1}", 2.0 + p * 120.0)} height="20" rx="3"
                                    class={classes!(if bad { "bar-drop" } else { "seg" }, (!bad).then(|| format!("seg{}", i % 6)))} />
                                <text x="530" y={format!("{:.1}", y + 4.0)} class="label">
                                    { format!("{} {}{}{}", model::percent(o.probability), text,
                                        if o.masquerade { "  MASQ" } else { "" },
                                        if o.uncertain { "  (uncertain)" } else { "" }) }
                                </text>
                            </g>
                        }
                    }) }
                </svg>
            </figure>
            <ol class="outcomes">
                { for trace.outcomes.iter().map(|o| {
                    let (class, text) = verdict_label(o);
                    let title = format!("{label}: {} {text}", model::percent(o.probability));
                    html! {
                        <li class="outcome">
                            <p class="outcome-head">
                                <span class="num">{ model::percent(o.probability) }</span>
                                <span class={classes!("verdict-tag", class)}>{ text }</span>
                                if o.masquerade { <span class="tag masq" title="the source address is rewritten to the node's">{"masquerade"}</span> }
                                if o.uncertain { <span class="tag" title="something on the way was assumed: see the steps">{"uncertain"}</span> }
                                if !o.rules.is_empty() {
                                    <span class="muted">{" rules: "}</span>{ line_links(&o.rules, &title, on_highlight) }
                                }
                            </p>
                            <ol class="steps">
                                { for o.steps.iter().map(|s| html! {
                                    <li class="step">
                                        <span class="hook">{ &s.hook }</span>
                                        if !s.table.is_empty() { <span class="table">{ &s.table }</span> }
                                        if !s.chain.is_empty() { <code class="chain">{ &s.chain }</code> }
                                        if let Some(line) = s.line { { line_links(&[line], &title, on_highlight) } }
                                        <span class="note">{ &s.note }</span>
                                    </li>
                                }) }
                            </ol>
                        </li>
                    }
                }) }
            </ol>
            if trace.outcomes.is_empty() {
                <p class="warn-text">{"The tracer could not follow this packet; its notes say why:"}</p>
            }
            if !trace.notes.is_empty() {
                <details class="notes" open={trace.outcomes.is_empty()}>
                    <summary>{ format!("What the tracer assumed ({})", trace.notes.len()) }</summary>
                    <ul>{ for trace.notes.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                </details>
            }
        </div>
    }
}

/// The Trace form (`#/trace`) and its result.
pub fn form(app: &App, ctx: &Context<App>) -> Html {
    let link = ctx.link();
    let f = app.trace_form.clone();
    let text = |set: fn(&mut TraceForm, String)| {
        let f = f.clone();
        link.callback(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = f.clone();
            set(&mut next, input.value());
            Msg::TraceForm(next)
        })
    };
    let on_from = {
        let f = f.clone();
        link.callback(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let from = match select.value().as_str() {
                "node" => From::Node,
                "external" => From::External,
                _ => From::Pod,
            };
            Msg::TraceForm(TraceForm { from, ..f.clone() })
        })
    };
    let on_protocol = {
        let f = f.clone();
        link.callback(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let protocol = Protocol::parse(&select.value()).unwrap_or(Protocol::Tcp);
            Msg::TraceForm(TraceForm {
                protocol,
                ..f.clone()
            })
        })
    };
    let on_returning = {
        let f = f.clone();
        link.callback(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            Msg::TraceForm(TraceForm {
                returning: input.checked(),
                ..f.clone()
            })
        })
    };
    let on_submit = link.callback(|e: SubmitEvent| {
        e.prevent_default();
        Msg::RunTrace
    });
    let on_highlight =
        link.callback(|(lines, label): (Vec<u32>, String)| Msg::Highlight(lines, label));
    html! {
        <section id="trace" class="panel" aria-labelledby="trace-title">
            <h2 id="trace-title">{"Trace a packet"}</h2>
            <p class="muted">{"Follows the first packet of a new connection through every table and chain of the rules, in kernel order."}</p>
            if app.redact {
                <p class="warn-text">{"Turn redaction off to trace: the rules are traced with their real addresses."}</p>
            }
            <form class="trace-form" onsubmit={on_submit}>
                <label>{"from "}
                    <select id="trace-from" onchange={on_from}>
                        { for [From::Pod, From::Node, From::External].into_iter().map(|o| html! {
                            <option value={match o { From::Pod => "pod", From::Node => "node", From::External => "external" }}
                                selected={o == f.from}>{ from_label(o) }</option>
                        }) }
                    </select>
                </label>
                <label>{"source "}<input id="trace-src" placeholder="chosen for you" value={f.src.clone()} oninput={text(|f, v| f.src = v)} /></label>
                <label>{"destination "}<input id="trace-dst" placeholder="10.96.0.10" required=true value={f.dst.clone()} oninput={text(|f, v| f.dst = v)} /></label>
                <label>{"port "}<input id="trace-port" class="port" inputmode="numeric" placeholder="53" required=true value={f.port.clone()} oninput={text(|f, v| f.port = v)} /></label>
                <label>{"protocol "}
                    <select id="trace-protocol" onchange={on_protocol}>
                        { for [Protocol::Tcp, Protocol::Udp, Protocol::Sctp].into_iter().map(|p| html! {
                            <option value={p.name()} selected={p == f.protocol}>{ p.name() }</option>
                        }) }
                    </select>
                </label>
                <label class="toggle"><input id="trace-returning" type="checkbox" checked={f.returning} onchange={on_returning} />{" returning client (affinity)"}</label>
                <button id="trace-run" class="primary" type="submit" disabled={app.redact}>{"Trace"}</button>
            </form>
            {
                match &app.trace.result {
                    None if app.trace.loading => html! { <p class="status busy"><progress />{" Tracing…"}</p> },
                    None => html! {},
                    Some(Err(message)) => html! { <p class="status failed">{ message.clone() }</p> },
                    Some(Ok(trace)) => view(&app.redacted_value(trace), "trace", &on_highlight),
                }
            }
        </section>
    }
}
