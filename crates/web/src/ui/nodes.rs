//! The Nodes view: several nodes side by side (their names editable, the cross-node findings naming
//! them, one column per node, one row per Service port with the disagreeing ones first, only the rows
//! in view drawn), and the diff of two moments of one node ("compare with…").

use svcpath_analysis::nodes::{
    Comparison, Diff, NodeFinding, NodeFindingCode, NodeSummary, ServiceFacts, ServiceRow,
};
use svcpath_analysis::report::{ConntrackVerdict, Mode, TrafficPolicy};
use svcpath_analysis::words::percent_rounded;
use web_sys::{Element, HtmlInputElement};
use yew::html::Scope;
use yew::prelude::*;

use super::widgets::severity_badge;
use super::App;
use crate::state::nodes::{visible_rows, NodesState, NODE_ROW_HEIGHT};
use crate::state::{Action, NodeInput};

/// The whole view.
pub fn view(link: &Scope<App>, opened: &[NodeInput], nodes: &NodesState, redact: bool) -> Html {
    html! { <>
        <section id="nodes" class="panel" aria-labelledby="nodes-title">
            <h2 id="nodes-title" tabindex="-1">{ format!("Nodes ({})", opened.len()) }</h2>
            if redact && (opened.len() > 1 || nodes.diff.is_some()) {
                <p id="nodes-not-redacted" class="warn-note" role="note">{"Redaction covers the report of the \
                    paste on screen, not this view: the captures compared here are shown as they are, and \
                    nothing of them is copied while Redact is on. Redact each capture first (svcpath redact) to \
                    share a comparison."}</p>
            }
            if opened.len() < 2 {
                <p class="muted">{"Drop several files at once — one capture per node — or a bundle of nodes \
                    (.tar.gz, .zip) to compare the nodes side by side. A node is named by its hostname, \
                    shell prompt, folder or file name; the names can be changed here."}</p>
            } else {
                { names(link, opened) }
                if nodes.comparing {
                    <p class="muted" role="status">{"Comparing the nodes…"}</p>
                }
                if let Some(c) = &nodes.comparison {
                    <p class="node-actions">
                        <button id="copy-nodes-markdown" disabled={redact}
                            onclick={link.callback(|_| Action::CopyNodesMarkdown(false))}>
                            {"Copy comparison as Markdown"}</button>
                    </p>
                    { comparison(link, c, nodes.scroll) }
                }
            }
        </section>
        { moments(link, nodes, redact) }
    </> }
}

fn names(link: &Scope<App>, opened: &[NodeInput]) -> Html {
    html! {
        <ul class="node-names" aria-label="Node names">
            { for opened.iter().enumerate().map(|(i, node)| {
                let onchange = link.callback(move |e: Event| {
                    let input: HtmlInputElement = e.target_unchecked_into();
                    Action::RenameNode(i, input.value())
                });
                html! {
                    <li>
                        <input class="node-name" value={node.name.clone()} {onchange}
                            aria-label={format!("Name of node {}", i + 1)} />
                        <span class="muted">{ format!(" {} KB", node.text.len().div_ceil(1024)) }</span>
                    </li>
                }
            }) }
        </ul>
    }
}

fn mode(m: Mode) -> &'static str {
    match m {
        Mode::Iptables => "iptables",
        Mode::Ipvs => "IPVS",
        Mode::Nftables => "nftables",
        Mode::Unknown => "unknown",
    }
}

fn conntrack(n: &NodeSummary) -> String {
    let verdict = match n.conntrack_verdict {
        Some(ConntrackVerdict::Ok) => "ok",
        Some(ConntrackVerdict::Warning) => "warning",
        Some(ConntrackVerdict::Critical) => "critical",
        Some(ConntrackVerdict::Unknown) | None => "unknown",
    };
    match n.conntrack_fill {
        Some(fill) => format!("{} full, {verdict}", percent_rounded(fill)),
        None => verdict.to_string(),
    }
}

fn comparison(link: &Scope<App>, c: &Comparison, scroll: (f64, f64)) -> Html {
    let summary_row = |label: &str, value: &dyn Fn(&NodeSummary) -> String| {
        html! {
            <div class="node-row node-summary">
                <div class="cell node-id">{ label.to_string() }</div>
                { for c.nodes.iter().map(|n| html! { <div class="cell">{ value(n) }</div> }) }
            </div>
        }
    };
    let rows = visible_rows(c.services.len(), scroll);
    let before = rows.start as f64 * NODE_ROW_HEIGHT;
    let after = c.services.len().saturating_sub(rows.end) as f64 * NODE_ROW_HEIGHT;
    let onscroll = link.callback(|e: Event| {
        let body: Element = e.target_unchecked_into();
        Action::NodesScroll(
            f64::from(body.scroll_top()),
            f64::from(body.client_height()),
        )
    });
    // The per-Service findings about a node already named the odd one out go under its finding.
    let odd: Vec<&String> = c
        .findings
        .iter()
        .filter(|f| f.code == NodeFindingCode::OddNodeOut)
        .flat_map(|f| &f.nodes)
        .collect();
    let (grouped, lead): (Vec<&NodeFinding>, Vec<&NodeFinding>) =
        c.findings.iter().partition(|f| {
            matches!(
                f.code,
                NodeFindingCode::EndpointsDiffer | NodeFindingCode::ServiceMissing
            ) && !f.nodes.is_empty()
                && f.nodes.iter().all(|n| odd.contains(&n))
        });
    html! { <>
        <h3>{"Findings across nodes"}</h3>
        if c.findings.is_empty() {
            <p id="node-findings" class="muted">{"None: the nodes agree wherever their captures tell."}</p>
        } else {
            <ul id="node-findings" class="findings">
                { for lead.iter().map(|f| finding(f)) }
                if !grouped.is_empty() {
                    <li>
                        <details>
                            <summary>{ format!("{} more about single Service ports of the odd node{} out", grouped.len(),
                                if odd.len() == 1 { "" } else { "s" }) }</summary>
                            <ul class="findings">{ for grouped.iter().map(|f| finding(f)) }</ul>
                        </details>
                    </li>
                }
            </ul>
        }
        <h3>{ format!("Service ports: {} ({} where the nodes disagree, first)", c.services.len(), c.disagreeing()) }</h3>
        <div class="nodes-table" role="table" aria-rowcount={(c.services.len() + 1).to_string()}>
            <div class="nodes-scroll" {onscroll}>
                <div role="row" class="node-row node-head">
                    <div role="columnheader" class="cell node-id">{"Service port"}</div>
                    { for c.nodes.iter().map(|n| html! { <div role="columnheader" class="cell">{ n.name.clone() }</div> }) }
                </div>
                { summary_row("mode", &|n| match &n.layout {
                    Some(l) => format!("{} ({l})", mode(n.mode)),
                    None => mode(n.mode).to_string(),
                }) }
                { summary_row("kube-proxy", &|n| n.kube_proxy_version.clone().unwrap_or_else(|| "version not shown".into())) }
                { summary_row("rules", &|n| match n.mean_rules_per_packet {
                    Some(cost) => format!("{} rules, {cost:.1} per packet", n.rules),
                    None => format!("{} rules", n.rules),
                }) }
                { summary_row("conntrack", &conntrack) }
                { summary_row("findings", &|n| format!("{} ({} critical)", n.findings, n.critical_findings)) }
                <div class="nodes-body" role="rowgroup">
                    <svg class="spacer" width="1" height={format!("{before:.0}")} aria-hidden="true" />
                    { for c.services[rows.clone()].iter().map(|row| service_row(c, row)) }
                    <svg class="spacer" width="1" height={format!("{after:.0}")} aria-hidden="true" />
                </div>
            </div>
        </div>
    </> }
}

fn finding(f: &NodeFinding) -> Html {
    html! {
        <li class="node-finding" data-code={f.code.as_str()}>
            { severity_badge(f.severity) }{" "}
            <code>{ f.code.as_str() }</code>{" "}
            <span class="nodes-named">{ f.nodes.join(", ") }</span>
            <p>{ f.message.clone() }
                if let Some(key) = crate::glossary::for_finding(f.code.as_str()) {
                    {" "}{ super::learn::term_link(key, &format!("What is {}?", crate::glossary::find(key).map_or(key, |e| e.term))) }
                }
            </p>
        </li>
    }
}

fn service_row(c: &Comparison, row: &ServiceRow) -> Html {
    let differs: Vec<&str> = row.differs.iter().map(|a| a.label()).collect();
    html! {
        <div role="row" class={classes!("node-row", "node-service", (!row.consistent).then_some("disagree"))}
            data-service={row.id.clone()}>
            <div role="cell" class="cell node-id">
                <strong>{ row.id.clone() }</strong>
                <span class="muted">{ if row.consistent { "same on every node".to_string() } else { format!("differs: {}", differs.join(", ")) } }</span>
            </div>
            { for c.nodes.iter().map(|n| {
                let text = match row.nodes.get(&n.name) {
                    Some(f) => cell(f),
                    None if row.missing_on.contains(&n.name) => "missing on this node".to_string(),
                    None => "not shown".to_string(),
                };
                let drops = row.nodes.get(&n.name).is_some_and(|f| f.drops_external == Some(true));
                html! { <div role="cell" class={classes!("cell", drops.then_some("drops"))} title={text.clone()}>{ text }</div> }
            }) }
        </div>
    }
}

fn cell(f: &ServiceFacts) -> String {
    let mut parts = vec![match &f.endpoints {
        None => "endpoints unknown".to_string(),
        Some(e) if e.is_empty() => "no endpoints".to_string(),
        Some(e) => {
            let local = if f.local_endpoints.is_empty() {
                String::new()
            } else {
                format!(" ({} local)", f.local_endpoints.len())
            };
            format!("{}{local}", e.join(", "))
        }
    }];
    match (f.external_traffic_policy, f.drops_external) {
        (Some(TrafficPolicy::Local), Some(true)) => parts.push("eTP Local: drops external".into()),
        (Some(TrafficPolicy::Local), Some(false)) => parts.push("eTP Local: accepts".into()),
        (Some(TrafficPolicy::Local), None) => parts.push("eTP Local".into()),
        _ => {}
    }
    if let Some(p) = f.node_port {
        parts.push(format!("NodePort {p}"));
    }
    if let Some(s) = f.session_affinity_seconds {
        parts.push(format!("affinity {s}s"));
    }
    parts.join(" · ")
}

fn moments(link: &Scope<App>, nodes: &NodesState, redact: bool) -> Html {
    let Some((before, after, diff)) = &nodes.diff else {
        return html! {};
    };
    html! {
        <section id="moments" class="panel" aria-labelledby="moments-title">
            <h2 id="moments-title">{ format!("What changed from {before} to {after}") }</h2>
            if nodes.diffing {
                <p class="muted" role="status">{"Comparing the two moments…"}</p>
            } else {
                <p class="node-actions">
                    <button id="copy-diff-markdown" disabled={redact}
                        onclick={link.callback(|_| Action::CopyNodesMarkdown(true))}>
                        {"Copy what changed as Markdown"}</button>
                </p>
                { diff_list(diff) }
            }
        </section>
    }
}

fn diff_list(d: &Diff) -> Html {
    if d.is_empty() && d.unknown.is_empty() {
        return html! { <p id="diff-empty">{"No change: the two moments program the same Services, endpoints, odds and findings (order and chain names aside)."}</p> };
    }
    let items = svcpath_analysis::nodes::render::diff_lines(d);
    html! {
        <ul id="diff-list">
            { for items.into_iter().map(|t| html! { <li>{ t }</li> }) }
        </ul>
    }
}
