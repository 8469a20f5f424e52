//! A Service page (`#/service/ns/name:port`): entry points, the path drawn from entry to endpoints with
//! each endpoint's share, its findings, and the lines that define it.

use svcpath_analysis::report::{Mode, Service, TrafficPolicy};
use svcpath_analysis::words::percent_rounded;
use yew::prelude::*;

use super::widgets::{line_links, probability_bar, severity_badge};
use super::{trace, App, Shown};
use crate::model;
use crate::route::Route;
use crate::state::{Action, PathsState};

/// The Service page's traces: those asked of the worker, which one is open, and whether redaction is
/// on (tracing another packet needs the real addresses).
pub struct PathsProps<'a> {
    pub paths: Option<&'a PathsState>,
    pub choice: usize,
    pub redact: bool,
}

pub fn view(ctx: &Context<App>, shown: &Shown, id: &str, props: &PathsProps<'_>) -> Html {
    let report = &shown.report;
    let Some((index, service)) = report.services.iter().enumerate().find(|(_, s)| s.id == id)
    else {
        return html! {
            <section class="panel">
                <h2>{"Service not found"}</h2>
                <p>{"This report has no Service "}<code>{ id.to_string() }</code>{"."}</p>
                <p><a href={Route::Overview.href()}>{"Back to the overview"}</a></p>
            </section>
        };
    };
    let on_highlight = ctx
        .link()
        .callback(|(lines, label): (Vec<u32>, String)| Action::Highlight(lines, label));
    let findings: Vec<_> = model::sorted_findings(report)
        .into_iter()
        .filter(|f| f.service.as_deref() == Some(id))
        .collect();
    let title = model::service_title(service);
    html! {
        <>
        <section id="service" class="panel" aria-labelledby="service-title">
            <p class="crumbs"><a href={Route::Overview.href()}>{"← Overview"}</a></p>
            <h2 id="service-title">{ title.clone() }</h2>
            <dl class="facts">
                <dt>{"ClusterIP"}{ term("clusterip") }</dt><dd><code>{ model::service_address(service) }</code></dd>
                if let Some(np) = service.node_port { <dt>{"NodePort"}{ term("nodeport") }</dt><dd><code>{ np }</code></dd> }
                if !service.external_ips.is_empty() { <dt>{"External IPs"}</dt><dd><code>{ service.external_ips.join(", ") }</code></dd> }
                if !service.load_balancer_ips.is_empty() { <dt>{"Load-balancer IPs"}</dt><dd><code>{ service.load_balancer_ips.join(", ") }</code></dd> }
                if !service.load_balancer_source_ranges.is_empty() { <dt>{"Allowed sources"}</dt><dd><code>{ service.load_balancer_source_ranges.join(", ") }</code></dd> }
                if let Some(p) = service.external_traffic_policy {
                    <dt>{"externalTrafficPolicy"}{ term("external-traffic-policy") }</dt>
                    <dd>{ match p { TrafficPolicy::Local => "Local: outside traffic goes only to endpoints on this node, client address kept",
                                    TrafficPolicy::Cluster => "Cluster: outside traffic may go to any endpoint, masqueraded" } }</dd>
                }
                if let Some(seconds) = service.session_affinity_seconds {
                    <dt>{"Session affinity"}{ term("session-affinity") }</dt>
                    <dd>{ format!("ClientIP for {seconds} s: a returning client goes to the endpoint it had; the odds below are for a first packet") }</dd>
                }
                if let Some(scheduler) = &service.scheduler { <dt>{"IPVS scheduler"}{ term("ipvs") }</dt><dd><code>{ scheduler }</code></dd> }
                <dt>{"Defined on"}</dt><dd>{ line_links(&service.lines, &title, &on_highlight) }</dd>
            </dl>
            { path_diagram(service, report.mode) }
        </section>
        { paths(ctx, shown, index, props, &on_highlight) }
        <section class="panel" aria-labelledby="endpoints-title">
            <h2 id="endpoints-title">{ format!("Endpoints ({})", service.endpoints.len()) }</h2>
            if let Some(unknown) = &service.endpoints_unknown {
                <p class="warn" id="endpoints-unknown">{ format!("Endpoints unknown: {}.", unknown.reason) }
                    {" "}{ line_links(&unknown.lines, "not understood", &on_highlight) }</p>
            }
            if service.endpoints.is_empty() && service.endpoints_unknown.is_some() {
            } else if service.endpoints.is_empty() {
                <p class="bad">{ if service.no_endpoints {
                    "No endpoints: kube-proxy rejects connections to this Service."
                } else { "The dump shows no endpoints for this Service." } }</p>
            } else {
                <div class="endpoints-wrap"><table class="endpoints">
                    <thead><tr><th>{"endpoint"}</th><th>{"share of new connections"}{ term("statistic") }</th><th></th><th>{"on this node"}</th><th>{"lines"}</th></tr></thead>
                    <tbody>
                    { for service.endpoints.iter().enumerate().map(|(i, e)| html! {
                        <tr>
                            <td><code>{ format!("{}{}", e.ip, e.port.map(|p| format!(":{p}")).unwrap_or_default()) }</code></td>
                            <td class="bar-cell">{ probability_bar(e.probability, i) }</td>
                            <td class="num">{ percent_rounded(e.probability) }</td>
                            <td>{ match e.local { Some(true) => "yes", Some(false) => "no", None => "—" } }</td>
                            <td>{ line_links(&e.lines, &format!("{title} → {}", e.ip), &on_highlight) }</td>
                        </tr>
                    }) }
                    </tbody>
                </table></div>
            }
        </section>
        { super::api::panel(service, &on_highlight) }
        <section class="panel" aria-labelledby="service-findings-title">
            <h2 id="service-findings-title">{ format!("Findings ({})", findings.len()) }</h2>
            if findings.is_empty() {
                <p class="muted">{"None for this Service."}</p>
            } else {
                <ul class="findings">
                    { for findings.iter().map(|f| html! {
                        <li class="finding">{ severity_badge(f.severity) }
                            <div class="finding-body">
                                <p class="finding-message">{ super::learn::rich(&f.message) }</p>
                                <p class="finding-meta"><code class="muted">{ f.code.as_str() }</code>
                                    if let Some(key) = crate::glossary::for_finding(f.code.as_str()) {
                                        {" · "}{ super::learn::term_link(key, &format!("what is {}?", crate::glossary::find(key).map_or(key, |e| e.term))) }
                                    }
                                    if !f.lines.is_empty() { {" · evidence "}{ line_links(&f.lines, &f.message, &on_highlight) } }
                                </p>
                            </div>
                        </li>
                    }) }
                </ul>
            }
        </section>
        </>
    }
}

/// A small link to the glossary entry behind a fact.
fn term(key: &str) -> Html {
    html! { <>{" "}{ super::learn::term_link(key, "?") }</> }
}

/// Entry points on the left, kube-proxy's dispatch in the middle, endpoints on the right with bars and
/// strokes sized by their share of new connections.
fn path_diagram(service: &Service, mode: Mode) -> Html {
    let mut entries: Vec<String> = vec![format!("ClusterIP {}", model::service_address(service))];
    if let Some(np) = service.node_port {
        entries.push(format!("NodePort {np} on node addresses"));
    }
    for ip in &service.external_ips {
        entries.push(format!("External IP {ip}"));
    }
    for ip in &service.load_balancer_ips {
        entries.push(format!("Load balancer {ip}"));
    }
    let dispatch = match mode {
        Mode::Iptables => "iptables: KUBE-SVC → DNAT",
        Mode::Ipvs => "IPVS virtual service",
        Mode::Nftables => "nft: service-ips map",
        Mode::Unknown => "kube-proxy",
    };
    let row = 34.0;
    let right_rows = service.endpoints.len().max(1);
    let rows = entries.len().max(right_rows) as f64;
    let height = rows * row + 20.0;
    let mid_y = height / 2.0;
    let entry_y =
        |i: usize| 10.0 + (i as f64 + 0.5) * row + (rows - entries.len() as f64) * row / 2.0;
    let ep_y = |i: usize| 10.0 + (i as f64 + 0.5) * row + (rows - right_rows as f64) * row / 2.0;
    html! {
        <figure class="path">
            <svg viewBox={format!("0 0 980 {height:.0}")} width="100%" role="img"
                aria-label="Path from the entry points to the endpoints">
                { for entries.iter().enumerate().map(|(i, e)| html! {
                    <g>
                        <rect x="4" y={format!("{:.1}", entry_y(i) - 12.0)} width="290" height="24" rx="5" class="node entry" />
                        <text x="14" y={format!("{:.1}", entry_y(i) + 4.0)} class="label">{ e.clone() }</text>
                        <line x1="294" y1={format!("{:.1}", entry_y(i))} x2="340" y2={format!("{mid_y:.1}")} class="edge" />
                    </g>
                }) }
                <rect x="340" y={format!("{:.1}", mid_y - 22.0)} width="220" height="44" rx="6" class="node dispatch" />
                <text x="352" y={format!("{:.1}", mid_y - 4.0)} class="label strong">{"kube-proxy"}</text>
                <text x="352" y={format!("{:.1}", mid_y + 13.0)} class="label small">{ dispatch }</text>
                if service.endpoints.is_empty() {
                    <line x1="560" y1={format!("{mid_y:.1}")} x2="620" y2={format!("{mid_y:.1}")} class="edge drop" />
                    <rect x="620" y={format!("{:.1}", mid_y - 12.0)} width="270" height="24" rx="5" class="node drop" />
                    <text x="630" y={format!("{:.1}", mid_y + 4.0)} class="label">{ if service.endpoints_unknown.is_some() { "endpoints unknown" } else if service.no_endpoints { "REJECT: no endpoints" } else { "no endpoints shown" } }</text>
                }
                { for service.endpoints.iter().enumerate().map(|(i, e)| {
                    let p = if e.probability.is_finite() { e.probability.clamp(0.0, 1.0) } else { 0.0 };
                    let y = ep_y(i);
                    html! {
                        <g>
                            <line x1="560" y1={format!("{mid_y:.1}")} x2="620" y2={format!("{y:.1}")}
                                class="edge" stroke-width={format!("{:.1}", 1.0 + p * 7.0)} />
                            <rect x="620" y={format!("{:.1}", y - 12.0)} width={format!("{:.1}", 2.0 + p * 100.0)} height="24" rx="3"
                                class={classes!("seg", format!("seg{}", i % 6))} />
                            <text x="730" y={format!("{:.1}", y + 4.0)} class="label">
                                { format!("{}{}  {}", e.ip, e.port.map(|p| format!(":{p}")).unwrap_or_default(), percent_rounded(e.probability)) }
                            </text>
                        </g>
                    }
                }) }
            </svg>
            <figcaption class="muted">{"Strokes and bars are sized by each endpoint's share of new connections."}</figcaption>
        </figure>
    }
}

/// The traces that matter for this Service, one chosen at a time: from a pod, from the node, from an
/// endpoint itself, a returning client under affinity, NodePort and load-balancer traffic from outside.
fn paths(
    ctx: &Context<App>,
    shown: &Shown,
    index: usize,
    props: &PathsProps<'_>,
    on_highlight: &Callback<(Vec<u32>, String)>,
) -> Html {
    let link = ctx.link();
    let body = match props.paths.filter(|p| p.index == index) {
        None => html! { <p class="muted">{"Not traced yet."}</p> },
        Some(state) => match &state.result {
            None => html! { <p class="status busy"><progress />{" Tracing…"}</p> },
            Some(Err(message)) => html! { <p class="status failed">{ message.clone() }</p> },
            Some(Ok(paths)) if paths.is_empty() => {
                html! { <p class="muted">{"Nothing to trace: the Service has no address and port."}</p> }
            }
            Some(Ok(paths)) => {
                let choice = props.choice.min(paths.len() - 1);
                let (label, chosen) = &paths[choice];
                html! {
                    <>
                        <div class="path-choice" role="tablist" aria-label="Client origin">
                            { for paths.iter().enumerate().map(|(i, (label, _))| html! {
                                <button role="tab" aria-selected={(i == choice).to_string()}
                                    class={classes!("choice", (i == choice).then_some("active"))}
                                    onclick={link.callback(move |_| Action::PathChoice(i))}>{ label.clone() }</button>
                            }) }
                        </div>
                        { trace::view(chosen, label, on_highlight, Some(shown)) }
                    </>
                }
            }
        },
    };
    html! {
        <section id="paths" class="panel" aria-labelledby="paths-title">
            <h2 id="paths-title">{"Paths through the rules"}</h2>
            <p class="muted">{"Where the first packet of a new connection ends up, by where the client is. Each step links to its rule."}</p>
            { body }
            <p><button id="trace-this" onclick={link.callback(move |_| Action::TraceService(index))} disabled={props.redact}>
                {"Trace another packet to this Service…"}</button></p>
        </section>
    }
}
