//! The cluster's view beside the node's: the API column of the Services table, the API summary above
//! it, and the Service page's panel that lists each endpoint as the API and this node have it, with the
//! reason for every difference. Drawn only when API objects were given.

use svcpath_analysis::report::{ApiJoin, Service, ServiceApi};
use yew::prelude::*;

use super::widgets::line_links;

/// How many of a Service port's endpoints differ, by kind, in a few words.
pub fn cell(service: &Service) -> Html {
    let Some(api) = &service.api else {
        return html! { <span class="muted" title="no Service of the API objects matches these rules">{"—"}</span> };
    };
    let stale = api.extra_on_node.len();
    let unsynced = count(api, "unexplained");
    let unknown = count(api, "unknown");
    let mut parts: Vec<Html> = Vec::new();
    if stale > 0 {
        parts.push(html! { <span class="api-bad">{ format!("stale {stale}") }</span> });
    }
    if unsynced > 0 {
        parts.push(html! { <span class="api-bad">{ format!("not synced {unsynced}") }</span> });
    }
    if unknown > 0 {
        parts.push(html! { <span class="api-warn">{ format!("unknown {unknown}") }</span> });
    }
    if parts.is_empty() {
        parts.push(html! { <span class="api-ok">{ format!("in sync · {} ready", api.endpoints.len()) }</span> });
    }
    for reason in ["terminating", "not-ready", "topology", "local-only"] {
        let n = count(api, reason);
        if n > 0 {
            parts.push(html! { <span class="muted">{ format!("{n} {reason}") }</span> });
        }
    }
    let title = format!("the API's {}: {}", api.service, reasons_title(api));
    html! { <span class="api-cell" title={title}>{ for join(parts) }</span> }
}

fn count(api: &ServiceApi, reason: &str) -> usize {
    api.missing_on_node
        .iter()
        .filter(|m| m.reason == reason)
        .count()
}

fn join(parts: Vec<Html>) -> Vec<Html> {
    let mut out = Vec::new();
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(html! { {" · "} });
        }
        out.push(p);
    }
    out
}

fn reasons_title(api: &ServiceApi) -> String {
    let mut lines: Vec<String> = api
        .missing_on_node
        .iter()
        .map(|m| format!("{} not on this node ({})", m.endpoint, m.reason))
        .collect();
    lines.extend(
        api.extra_on_node
            .iter()
            .map(|e| format!("{e} on this node, not in the API")),
    );
    if lines.is_empty() {
        "the node holds what the API gives it".to_string()
    } else {
        lines.join("; ")
    }
}

/// The API objects as a whole, above the Services table.
pub fn summary(join: &ApiJoin) -> Html {
    let node = match &join.node_name {
        Some(name) => format!(
            "this node is {name}{}",
            join.zone
                .as_deref()
                .map(|z| format!(" (zone {z})"))
                .unwrap_or_default()
        ),
        None => format!("this node's name is {}", join.node_name_source),
    };
    html! {
        <div id="api-summary" class="api-summary">
            <p>{ format!("Cluster API: {} Service(s), {} EndpointSlice(s), {} Node(s); {node}.", join.services, join.slices, join.nodes) }</p>
            if !join.services_without_rules.is_empty() {
                <p class="api-bad">{ format!("In the API, without rules on this node: {}",
                    join.services_without_rules.iter().map(|s| format!("{} ({})", s.id, s.address)).collect::<Vec<_>>().join(", ")) }</p>
            }
            if !join.rules_without_service.is_empty() {
                <p class="api-bad">{ format!("Rules on this node without an API Service: {}", join.rules_without_service.join(", ")) }</p>
            }
        </div>
    }
}

/// One endpoint as the API and the node have it.
struct Row {
    endpoint: String,
    in_api: &'static str,
    on_node: &'static str,
    reason: String,
    class: &'static str,
    lines: Vec<u32>,
}

/// The Service page's panel: the API column beside the node's, endpoint by endpoint.
pub fn panel(service: &Service, on_highlight: &Callback<(Vec<u32>, String)>) -> Html {
    let Some(api) = &service.api else {
        return html! {};
    };
    let node_keys: Vec<String> = service
        .endpoints
        .iter()
        .map(|e| match e.port {
            Some(p) if e.ip.contains(':') => format!("[{}]:{p}", e.ip),
            Some(p) => format!("{}:{p}", e.ip),
            None => e.ip.clone(),
        })
        .collect();
    let mut rows: Vec<Row> = Vec::new();
    for e in &api.endpoints {
        if api.missing_on_node.iter().any(|m| &m.endpoint == e) {
            continue;
        }
        rows.push(Row {
            endpoint: e.clone(),
            in_api: "ready",
            on_node: if node_keys.contains(e) { "yes" } else { "—" },
            reason: String::new(),
            class: "",
            lines: Vec::new(),
        });
    }
    for m in &api.missing_on_node {
        let bad = m.reason == "unexplained";
        rows.push(Row {
            endpoint: m.endpoint.clone(),
            in_api: if api.endpoints.contains(&m.endpoint) {
                "ready"
            } else {
                "not ready"
            },
            on_node: "no",
            reason: format!(
                "{}: {}",
                if bad { "not synced" } else { m.reason.as_str() },
                m.detail
            ),
            class: if bad {
                "api-bad"
            } else if m.reason == "unknown" {
                "api-warn"
            } else {
                "muted"
            },
            lines: m.lines.clone(),
        });
    }
    for e in &api.extra_on_node {
        let lines = node_keys
            .iter()
            .zip(&service.endpoints)
            .find(|(key, _)| *key == e)
            .map(|(_, ep)| ep.lines.clone())
            .unwrap_or_default();
        rows.push(Row {
            endpoint: e.clone(),
            in_api: "no",
            on_node: "yes",
            reason:
                "stale: the node still sends traffic here; the API does not give it this endpoint"
                    .to_string(),
            class: "api-bad",
            lines,
        });
    }
    for (key, e) in node_keys.iter().zip(&service.endpoints) {
        if !rows.iter().any(|r| &r.endpoint == key) {
            rows.push(Row {
                endpoint: key.clone(),
                in_api: "serving (fallback)",
                on_node: "yes",
                reason: String::new(),
                class: "",
                lines: e.lines.clone(),
            });
        }
    }
    let title = format!("{} in the API", api.service);
    html! {
        <section id="service-api" class="panel" aria-labelledby="service-api-title">
            <h2 id="service-api-title">{"The cluster's view beside this node's"}{" "}{ super::learn::term_link("endpoint-slice", "?") }</h2>
            <p>{ format!("API Service {} port {}", api.service, if api.port_name.is_empty() { "(unnamed)" } else { api.port_name.as_str() }) }
                {" · "}{ line_links(&api.lines, &title, on_highlight) }</p>
            if let Some(u) = &api.unknown {
                <p class="warn">{ format!("The node's endpoints are not known ({}): nothing is said about what it lacks.", u.reason) }</p>
            }
            { for api.notes.iter().map(|n| html! { <p class="muted">{ n.clone() }</p> }) }
            <div class="endpoints-wrap"><table class="endpoints api-endpoints">
                <thead><tr><th>{"endpoint"}</th><th>{"API"}</th><th>{"this node"}</th><th>{"why they differ"}</th><th>{"lines"}</th></tr></thead>
                <tbody>
                { for rows.iter().map(|r| html! {
                    <tr class={r.class}>
                        <td><code>{ r.endpoint.clone() }</code></td>
                        <td>{ r.in_api }</td>
                        <td>{ r.on_node }</td>
                        <td class="api-reason">{ r.reason.clone() }</td>
                        <td>{ line_links(&r.lines, &r.endpoint, on_highlight) }</td>
                    </tr>
                }) }
                </tbody>
            </table></div>
        </section>
    }
}
