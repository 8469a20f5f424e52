//! Traces drawn: a packet's outcomes (endpoint, drop, reject, accept) with their odds, masquerade marked,
//! the rule that decided each, the hooks and chains each one passed and its rules in path order, every
//! rule linked to its line; and the Trace form with its Service picker, whose packet is kept in the URL.

use svcpath_analysis::report::Protocol;
use svcpath_analysis::trace::{Hook, Origin, Outcome, Trace, Verdict};
use svcpath_analysis::words::percent_rounded;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::widgets::line_links;
use super::{App, Shown};
use crate::model;
use crate::protocol::UserFacts;
use crate::reading;
use crate::state::{Action, TraceState};

/// What the Trace form holds: the packet of its link (see [`crate::route::TraceQuery`]).
pub use crate::state::TraceForm;

pub fn from_label(from: Origin) -> &'static str {
    match from {
        Origin::Pod => "a pod on this node",
        Origin::Node => "the node itself",
        Origin::External => "outside the node",
    }
}

fn verdict_label(o: &Outcome) -> (&'static str, String) {
    match o.verdict {
        Verdict::Dnat => (
            "v-dnat",
            format!("→ {}", o.endpoint.as_deref().unwrap_or("endpoint")),
        ),
        Verdict::Drop => ("v-drop", "DROP".to_string()),
        Verdict::Reject => ("v-drop", "REJECT".to_string()),
        Verdict::Accept => ("v-accept", "ACCEPT (no DNAT)".to_string()),
    }
}

/// The outcomes of one trace: an SVG overview (origin, then one bar per outcome sized by its odds, drops
/// in red, masquerade marked), then each outcome's steps.
pub fn view(
    trace: &Trace,
    label: &str,
    on_highlight: &Callback<(Vec<u32>, String)>,
    shown: Option<&Shown>,
) -> Html {
    let packet = &trace.packet;
    let origin = format!(
        "{} {} → {}:{}/{}",
        match packet.from {
            Origin::Pod => "pod",
            Origin::Node => "node",
            Origin::External => "outside",
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
            { summary(trace, label, on_highlight, shown) }
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
                                    { format!("{} {}{}{}", percent_rounded(o.probability), text,
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
                    let title = format!("{label}: {} {text}", percent_rounded(o.probability));
                    html! {
                        <li class="outcome">
                            <p class="outcome-head">
                                <span class="num">{ percent_rounded(o.probability) }</span>
                                <span class={classes!("verdict-tag", class)}>{ text }</span>
                                if o.masquerade { <span class="tag masq" title="the source address is rewritten to the node's">{"masquerade"}</span> }
                                if o.uncertain { <span class="tag" title="something on the way was assumed: the reasons are listed below">{"uncertain"}</span> }
                                if !o.rules.is_empty() {
                                    <span class="muted">{" rules in path order: "}</span>{ path_links(&o.rules, &title, on_highlight) }
                                }
                            </p>
                            { super::facts::uncertain_reasons(o) }
                            <div class="flow-box">{ flow(o) }</div>
                            <details class="step-list"><summary>{ format!("{} steps", o.steps.len()) }</summary>
                            <ol class="steps">
                                { for o.steps.iter().map(|s| html! {
                                    <li class="step">
                                        <span class="hook">{ s.hook.name() }</span>
                                        if !s.table.is_empty() { <span class="table">{ &s.table }</span> }
                                        if !s.chain.is_empty() { <code class="chain">{ &s.chain }</code> }
                                        if let Some(line) = s.line { { line_links(&[line], &title, on_highlight) } }
                                        if let Some(owner) = s.owner {
                                            <span class={classes!("tag", "owner", (!owner.is_kubernetes()).then_some("foreign"))}
                                                title={owner.describe()}>{ owner.name() }</span>
                                        }
                                        <span class="note">{ &s.note }</span>
                                    </li>
                                }) }
                            </ol>
                            </details>
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

/// One sentence per outcome, likeliest first: where it ends and the rule that decides it, with that
/// rule's text from the dump.
fn summary(
    trace: &Trace,
    label: &str,
    on_highlight: &Callback<(Vec<u32>, String)>,
    shown: Option<&Shown>,
) -> Html {
    const SHOWN: usize = 4;
    let more = trace.outcomes.len().saturating_sub(SHOWN);
    html! {
        <ul class="trace-summary" aria-label="Summary">
            { for trace.outcomes.iter().take(SHOWN).map(|o| {
                let (class, text) = verdict_label(o);
                let decided = reading::deciding_step(o);
                let rule = decided
                    .and_then(|s| s.line)
                    .and_then(|n| shown.map(|sh| sh.line(n).trim().to_string()))
                    .filter(|t| !t.is_empty())
                    .map(|t| shorten(&t, 220));
                html! {
                    <li>
                        <strong class={classes!("verdict-tag", class)}>{ format!("{} {text}", percent_rounded(o.probability)) }</strong>
                        if o.masquerade { {" (masqueraded)"} }
                        { match decided {
                            Some(step) => html! { <>
                                {", decided by "}
                                if let Some(n) = step.line { { line_links(&[n], &format!("{label}: deciding rule"), on_highlight) } }
                                if !step.chain.is_empty() { {" in "}<code>{ format!("{} {}", step.table, step.chain).trim().to_string() }</code> }
                                if let Some(rule) = rule { {": "}<code class="rule-text">{ rule }</code> }
                            </> },
                            None if o.verdict == Verdict::Accept => html! {
                                <span class="muted">{", no rule of the dump decided: no rule matched it, so the chains' policies let it through"}</span>
                            },
                            None => html! { <span class="muted">{", decided outside the dump's rules (see the steps)"}</span> },
                        } }
                        if o.uncertain { <span class="muted">{" — uncertain: the tracer assumed something on the way (see the steps and notes)"}</span> }
                    </li>
                }
            }) }
            if more > 0 { <li class="muted">{ format!("and {more} more outcomes below") }</li> }
        </ul>
    }
}

/// The rules an outcome matched, in the order the packet met them (a rule met again is shown again,
/// but not twice in a row).
fn path_links(lines: &[u32], label: &str, on_highlight: &Callback<(Vec<u32>, String)>) -> Html {
    let mut path: Vec<u32> = lines.to_vec();
    path.dedup();
    let all = path.clone();
    let label = label.to_string();
    html! {
        <span class="lines path-order">
            { for path.iter().enumerate().map(|(i, &n)| {
                let all = all.clone();
                let label = label.clone();
                let cb = on_highlight.clone();
                html! { <>
                    if i > 0 { <span class="muted" aria-hidden="true">{"→ "}</span> }
                    <a class="line-link" href={crate::route::Route::Source(Some(n)).href()}
                        onclick={Callback::from(move |e: MouseEvent| { e.prevent_default(); cb.emit((all.clone(), label.clone())) })}>
                        { format!("L{n}") }</a>
                </> }
            }) }
        </span>
    }
}

/// The Trace form (`#/trace`) and its result.
/// The Trace form's slice of the page's state.
pub struct FormProps<'a> {
    pub form: &'a TraceForm,
    pub trace: &'a TraceState,
    /// The report on screen (the redacted copy when redaction is on).
    pub shown: Option<&'a Shown>,
    pub redact: bool,
    /// The packet came from a link and waits for its dump.
    pub pending_trace: bool,
    pub facts: &'a UserFacts,
}

pub fn form(ctx: &Context<App>, props: &FormProps<'_>) -> Html {
    let link = ctx.link();
    let f = props.form.clone();
    let text = |set: fn(&mut TraceForm, String)| {
        let f = f.clone();
        link.callback(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = f.clone();
            set(&mut next, input.value());
            Action::TraceForm(next)
        })
    };
    let on_from = {
        let f = f.clone();
        link.callback(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let from = match select.value().as_str() {
                "node" => Origin::Node,
                "external" => Origin::External,
                _ => Origin::Pod,
            };
            Action::TraceForm(TraceForm { from, ..f.clone() })
        })
    };
    let on_protocol = {
        let f = f.clone();
        link.callback(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let protocol = Protocol::parse(&select.value()).unwrap_or(Protocol::Tcp);
            Action::TraceForm(TraceForm {
                protocol,
                ..f.clone()
            })
        })
    };
    let on_returning = {
        let f = f.clone();
        link.callback(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            Action::TraceForm(TraceForm {
                returning: input.checked(),
                ..f.clone()
            })
        })
    };
    let on_submit = link.callback(|e: SubmitEvent| {
        e.prevent_default();
        Action::RunTrace
    });
    let on_highlight =
        link.callback(|(lines, label): (Vec<u32>, String)| Action::Highlight(lines, label));
    let shown = props.shown;
    let report = shown.map(|s| s.report.clone());
    let defaults = report
        .as_deref()
        .map(reading::default_trace)
        .unwrap_or_default();
    let dst_placeholder = if defaults.dst.is_empty() {
        "an address".to_string()
    } else {
        defaults.dst.clone()
    };
    let port_placeholder = if defaults.port.is_empty() {
        "port".to_string()
    } else {
        defaults.port.clone()
    };
    let picked = report
        .as_deref()
        .and_then(|r| reading::service_for_query(r, &f));
    let mut choices: Vec<(usize, String)> = report
        .as_deref()
        .map(|r| {
            r.services
                .iter()
                .enumerate()
                .filter(|(_, s)| s.cluster_ip.is_some() && s.port.is_some())
                .map(|(i, s)| {
                    (
                        i,
                        format!(
                            "{} — {}",
                            model::service_title(s),
                            model::service_address(s)
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    svcpath_syntax::stable_sort::sort_by(&mut choices, |a, b| a.1.cmp(&b.1));
    let on_service = {
        let f = f.clone();
        let report = report.clone();
        link.callback(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let service = select
                .value()
                .parse::<usize>()
                .ok()
                .and_then(|i| report.as_ref().and_then(|r| r.services.get(i).cloned()));
            match service {
                Some(s) => Action::TraceForm(TraceForm {
                    dst: s.cluster_ip.clone().unwrap_or_default(),
                    port: s.port.map(|p| p.to_string()).unwrap_or_default(),
                    protocol: s.protocol.unwrap_or(Protocol::Tcp),
                    ..f.clone()
                }),
                None => Action::TraceForm(f.clone()),
            }
        })
    };
    html! {
        <section id="trace" class="panel" aria-labelledby="trace-title">
            <h2 id="trace-title">{"Trace a packet"}</h2>
            <p class="muted">{"Follows the first packet of a new connection through every table and chain of the rules, in kernel order."}</p>
            if props.redact {
                <p class="warn-text">{"Turn redaction off to trace: the rules are traced with their real addresses."}</p>
            }
            if props.pending_trace && shown.is_none() {
                <p id="trace-waits" class="warn-text">{"This link carries the packet, not the dump: a paste is never put in a link. \
                    Paste the node's dump above and this packet is traced on it."}</p>
            }
            <form class="trace-form" onsubmit={on_submit}>
                if !choices.is_empty() {
                    <label class="service-pick">{"Service "}
                        <select id="trace-service" onchange={on_service}>
                            <option value="" selected={picked.is_none()}>{"— pick a Service of this paste —"}</option>
                            { for choices.iter().map(|(i, label)| html! {
                                <option value={i.to_string()} selected={picked == Some(*i)}>{ label.clone() }</option>
                            }) }
                        </select>
                    </label>
                }
                <label>{"from "}
                    <select id="trace-from" onchange={on_from}>
                        { for [Origin::Pod, Origin::Node, Origin::External].into_iter().map(|o| html! {
                            <option value={match o { Origin::Pod => "pod", Origin::Node => "node", Origin::External => "external" }}
                                selected={o == f.from}>{ from_label(o) }</option>
                        }) }
                    </select>
                </label>
                <label>{"source "}<input id="trace-src" placeholder="chosen for you" value={f.src.clone()} oninput={text(|f, v| f.src = v)} /></label>
                <label>{"destination "}<input id="trace-dst" placeholder={dst_placeholder} required=true value={f.dst.clone()} oninput={text(|f, v| f.dst = v)} /></label>
                <label>{"port "}<input id="trace-port" class="port" inputmode="numeric" placeholder={port_placeholder} required=true value={f.port.clone()} oninput={text(|f, v| f.port = v)} /></label>
                <label>{"protocol "}
                    <select id="trace-protocol" onchange={on_protocol}>
                        { for [Protocol::Tcp, Protocol::Udp, Protocol::Sctp].into_iter().map(|p| html! {
                            <option value={p.name()} selected={p == f.protocol}>{ p.name() }</option>
                        }) }
                    </select>
                </label>
                { super::facts::trace_field(ctx, props.facts, shown) }
                <label class="toggle"><input id="trace-returning" type="checkbox" checked={f.returning} onchange={on_returning} />{" returning client (affinity)"}</label>
                <button id="trace-run" class="primary" type="submit" disabled={props.redact}>{"Trace"}</button>
            </form>
            {
                match &props.trace.result {
                    None if props.trace.loading => html! { <p class="status busy"><progress />{" Tracing…"}</p> },
                    None => html! {},
                    Some(Err(message)) => html! { <p class="status failed">{ message.clone() }</p> },
                    Some(Ok(trace)) => view(trace, "trace", &on_highlight, shown),
                }
            }
        </section>
    }
}

/// One outcome drawn as the hooks it passed, left to right, each with the chains it went through in
/// that hook, ending in the verdict: the endpoint (green), DROP or REJECT (red), masquerade marked.
fn flow(o: &Outcome) -> Html {
    // Consecutive steps in the same hook form one box; routing steps are the arrows between boxes.
    let mut hooks: Vec<(Hook, Vec<String>)> = Vec::new();
    for step in &o.steps {
        if step.hook == Hook::Routing {
            continue;
        }
        let chain = if step.chain.is_empty() || step.table.is_empty() {
            None
        } else {
            Some(format!("{} {}", step.table, step.chain))
        };
        match hooks.last_mut() {
            Some((hook, chains)) if *hook == step.hook => {
                if let Some(c) = chain {
                    if chains.last() != Some(&c) {
                        chains.push(c);
                    }
                }
            }
            _ => hooks.push((step.hook, chain.into_iter().collect())),
        }
    }
    const BOX_W: f64 = 168.0;
    const GAP: f64 = 22.0;
    const LINE: f64 = 13.0;
    const MAX_LINES: usize = 5;
    let lines = hooks
        .iter()
        .map(|(_, c)| c.len().min(MAX_LINES + 1))
        .max()
        .unwrap_or(0);
    let height = 30.0 + lines as f64 * LINE + 8.0;
    let (class, text) = verdict_label(o);
    let bad = class == "v-drop";
    let end_x = hooks.len() as f64 * (BOX_W + GAP);
    let width = end_x + 200.0;
    html! {
        <svg class="flow" viewBox={format!("0 0 {width:.0} {height:.0}")} width={format!("{width:.0}")}
            role="img" aria-label={format!("hooks passed, ending in {text}")}>
            { for hooks.iter().enumerate().map(|(i, (hook, chains))| {
                let x = i as f64 * (BOX_W + GAP);
                let masq = o.masquerade && *hook == Hook::Postrouting;
                html! {
                    <g>
                        <rect x={format!("{:.0}", x + 1.0)} y="1" width={format!("{BOX_W:.0}")} height={format!("{:.0}", height - 2.0)} rx="5"
                            class={classes!("node", masq.then_some("masq"))} />
                        <text x={format!("{:.0}", x + 8.0)} y="16" class="label strong small-caps">
                            { if masq { format!("{hook} · MASQ") } else { hook.name().to_string() } }</text>
                        { for chains.iter().take(MAX_LINES).enumerate().map(|(k, c)| html! {
                            <text x={format!("{:.0}", x + 8.0)} y={format!("{:.0}", 32.0 + k as f64 * LINE)} class="label tiny">
                                { shorten(c, 26) }<title>{ c.clone() }</title></text>
                        }) }
                        if chains.len() > MAX_LINES {
                            <text x={format!("{:.0}", x + 8.0)} y={format!("{:.0}", 32.0 + MAX_LINES as f64 * LINE)} class="label tiny">
                                { format!("+{} more", chains.len() - MAX_LINES) }</text>
                        }
                        <line x1={format!("{:.0}", x + BOX_W + 1.0)} y1={format!("{:.0}", height / 2.0)}
                            x2={format!("{:.0}", x + BOX_W + GAP - 2.0)} y2={format!("{:.0}", height / 2.0)} class="edge arrow" />
                    </g>
                }
            }) }
            <rect x={format!("{:.0}", end_x + 1.0)} y={format!("{:.0}", height / 2.0 - 13.0)} width="190" height="26" rx="5"
                class={classes!("node", if bad { "drop" } else { "ok-end" })} />
            <text x={format!("{:.0}", end_x + 9.0)} y={format!("{:.0}", height / 2.0 + 4.0)} class="label">{ shorten(&text, 24) }</text>
        </svg>
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}
