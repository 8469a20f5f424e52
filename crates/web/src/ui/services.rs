//! The Services table: search (names, addresses, ports, endpoints and chain names), filters, sort, a
//! sticky header; it scrolls with the page, and past a few hundred rows only the rows in the window are
//! drawn, so 10,000 Services scroll as smoothly as ten.

use svcpath_analysis::report::{Report, TrafficPolicy};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::widgets::{probability_strip, severity_badge};
use super::{App, PageMsg, Shown};
use crate::model::{self, Filter, SortKey};
use crate::reading;
use crate::route::Route;
use crate::state::Action;

/// Height of one row in pixels; the stylesheet gives rows exactly this height.
pub const ROW_HEIGHT: f64 = crate::state::TABLE_ROW_HEIGHT;
const OVERSCAN: usize = 8;

/// The table's slice of the page's state.
pub struct Table<'a> {
    pub filter: &'a Filter,
    pub sort: SortKey,
    pub descending: bool,
    /// Pixels of the table's body scrolled past the window's top, and the window's height.
    pub scroll: (f64, f64),
    /// The table's body, measured to draw only the rows in the window.
    pub body: &'a NodeRef,
}

/// The table of the report on screen (`shown` is the redacted copy when redaction is on, so the
/// chain names searched are its own).
pub fn view(ctx: &Context<App>, shown: &Shown, table: &Table<'_>) -> Html {
    let link = ctx.link();
    let report: &Report = &shown.report;
    let filter = table.filter.clone();
    // The chain names are read only once a search needs them.
    let chains: &[Vec<String>] = if filter.query.trim().is_empty() {
        &[]
    } else {
        shown.chains()
    };
    let rows = model::select_searching(report, &filter, table.sort, table.descending, chains);
    let findings = model::findings_by_service(report);
    let (scroll_top, height) = table.scroll;
    let (first, count) = if rows.len() <= reading::DRAW_ALL_ROWS_UP_TO {
        (0, rows.len())
    } else {
        model::visible_rows(rows.len(), scroll_top, height, ROW_HEIGHT, OVERSCAN)
    };
    let before = first as f64 * ROW_HEIGHT;
    let after = rows.len().saturating_sub(first + count) as f64 * ROW_HEIGHT;

    let set = |f: fn(&mut Filter, bool)| {
        let filter = filter.clone();
        link.callback(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = filter.clone();
            f(&mut next, input.checked());
            PageMsg::Filter(next)
        })
    };
    let on_query = {
        let filter = filter.clone();
        link.callback(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            PageMsg::Filter(Filter {
                query: input.value(),
                ..filter.clone()
            })
        })
    };
    let on_namespace = {
        let filter = filter.clone();
        link.callback(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let value = select.value();
            PageMsg::Filter(Filter {
                namespace: (!value.is_empty()).then_some(value),
                ..filter.clone()
            })
        })
    };
    let header = |key: SortKey, label: &str, class: &str| {
        let active = table.sort == key;
        let arrow = match (active, table.descending) {
            (true, false) => " ▲",
            (true, true) => " ▼",
            _ => "",
        };
        html! {
            <div role="columnheader" class={classes!("cell", class.to_string())}
                aria-sort={if active { if table.descending { "descending" } else { "ascending" } } else { "none" }}>
                <button class="sort" onclick={link.callback(move |_| Action::Sort(key))}>{ format!("{label}{arrow}") }</button>
            </div>
        }
    };
    let namespaces = model::namespaces(report);
    let with_api = report.api.is_some();
    html! {
        <section id="services" class="panel" aria-labelledby="services-title">
            <h2 id="services-title">{ format!("Services ({} of {})", rows.len(), report.services.len()) }</h2>
            <div class="filters">
                <input id="service-search" type="search" placeholder="Search name, address, port, endpoint, chain (KUBE-SVC-…, service-…)   /"
                    value={filter.query.clone()} oninput={on_query} aria-label="Search Services (press / to come here)" aria-keyshortcuts="/" />
                <select id="namespace-filter" onchange={on_namespace} aria-label="Namespace">
                    <option value="" selected={filter.namespace.is_none()}>{"all namespaces"}</option>
                    { for namespaces.iter().map(|ns| html! {
                        <option value={ns.clone()} selected={filter.namespace.as_deref() == Some(ns.as_str())}>{ ns }</option>
                    }) }
                </select>
                <label><input type="checkbox" checked={filter.has_findings} onchange={set(|f, v| f.has_findings = v)} />{" has findings"}</label>
                <label><input type="checkbox" checked={filter.node_port} onchange={set(|f, v| f.node_port = v)} />{" NodePort"}</label>
                <label><input type="checkbox" checked={filter.etp_local} onchange={set(|f, v| f.etp_local = v)} />{" eTP Local"}</label>
                <label><input type="checkbox" checked={filter.affinity} onchange={set(|f, v| f.affinity = v)} />{" affinity"}</label>
                <label><input type="checkbox" checked={filter.no_endpoints} onchange={set(|f, v| f.no_endpoints = v)} />{" no endpoints"}</label>
            </div>
            if let Some(join) = &report.api { { super::api::summary(join) } }
            if report.services.is_empty() {
                <p class="muted">{"No Services in this input: svcpath found no kube-proxy Service rules it could read."}</p>
            } else {
                <div role="table" class={classes!("svc-table", with_api.then_some("with-api"))} aria-rowcount={(rows.len() + 1).to_string()}>
                    <div role="row" class="svc-row svc-head">
                        { header(SortKey::Name, "Service", "c-name") }
                        { header(SortKey::ClusterIp, "ClusterIP:port", "c-ip") }
                        <div role="columnheader" class="cell c-ext">{"External / LB IPs"}</div>
                        { header(SortKey::NodePort, "NodePort", "c-np") }
                        <div role="columnheader" class="cell c-etp" title="externalTrafficPolicy">{"eTP"}</div>
                        { header(SortKey::Endpoints, "Endpoints", "c-ep") }
                        <div role="columnheader" class="cell c-local" title="an endpoint runs on this node">{"On this node"}</div>
                        if with_api { <div role="columnheader" class="cell c-api" title="the API's endpoints beside the node's">{"API"}</div> }
                        { header(SortKey::Findings, "Findings", "c-f") }
                    </div>
                    <div class="svc-body" ref={table.body.clone()} role="rowgroup">
                        <svg class="spacer" width="1" height={format!("{before:.0}")} aria-hidden="true" />
                        { for rows.iter().skip(first).take(count).enumerate().filter_map(|(k, &i)| {
                            let s = report.services.get(i)?;
                            let f = findings.get(s.id.as_str()).copied().unwrap_or_default();
                            let mut tags: Vec<&str> = Vec::new();
                            if s.session_affinity_seconds.is_some() { tags.push("affinity"); }
                            let external = reading::external_addresses(s);
                            let local = reading::local_endpoints(s);
                            Some(html! {
                                <div role="row" class={classes!("svc-row", ((first + k) % 2 == 1).then_some("odd"))}
                                    aria-rowindex={(first + k + 2).to_string()} key={s.id.clone()}>
                                    <div role="cell" class="cell c-name">
                                        <a href={Route::Service(s.id.clone()).href()} class="svc-link">{ model::service_title(s) }</a>
                                        { for tags.iter().map(|t| html! { <span class="tag">{ *t }</span> }) }
                                    </div>
                                    <div role="cell" class="cell c-ip"><code>{ model::service_address(s) }</code></div>
                                    <div role="cell" class="cell c-ext" title={external.clone()}><code>{ external }</code></div>
                                    <div role="cell" class="cell c-np">{ s.node_port.map(|p| p.to_string()).unwrap_or_default() }</div>
                                    <div role="cell" class={classes!("cell", "c-etp", (s.external_traffic_policy == Some(TrafficPolicy::Local)).then_some("etp-local"))}>
                                        { reading::traffic_policy(s) }</div>
                                    <div role="cell" class="cell c-ep">{ probability_strip(&s.endpoints, s.no_endpoints) }</div>
                                    <div role="cell" class="cell c-local" title={local.clone()}>{ local }</div>
                                    if with_api { <div role="cell" class="cell c-api">{ super::api::cell(s) }</div> }
                                    <div role="cell" class="cell c-f">
                                        if let Some(worst) = f.worst { { severity_badge(worst) }{ format!(" {}", f.count) } }
                                    </div>
                                </div>
                            })
                        }) }
                        <svg class="spacer" width="1" height={format!("{after:.0}")} aria-hidden="true" />
                    </div>
                </div>
            }
        </section>
    }
}
