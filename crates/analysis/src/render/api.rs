//! The API join in the text and Markdown reports: this node's name, and per Service port what the API
//! gives it beside what the node programmed (shown only when API objects were given).

use crate::report::{ApiJoin, ServiceApi};

/// One line about the API objects as a whole.
pub(crate) fn summary(join: &ApiJoin) -> String {
    let node = match &join.node_name {
        Some(name) => format!(
            "this node is {name}{} ({})",
            join.zone
                .as_deref()
                .map(|z| format!(" in zone {z}"))
                .unwrap_or_default(),
            join.node_name_source
        ),
        None => format!("this node's name is {}", join.node_name_source),
    };
    let mut out = format!(
        "{} Service(s), {} EndpointSlice(s), {} Node(s) from the API; {node}",
        join.services, join.slices, join.nodes
    );
    if !join.services_without_rules.is_empty() {
        let ids: Vec<&str> = join
            .services_without_rules
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        out.push_str(&format!("; without rules here: {}", ids.join(", ")));
    }
    if !join.rules_without_service.is_empty() {
        out.push_str(&format!(
            "; rules without an API Service: {}",
            join.rules_without_service.join(", ")
        ));
    }
    out
}

/// What the API says of one Service port beside the node's rules, in one line.
pub(crate) fn service_line(api: &ServiceApi) -> String {
    let ready = if api.endpoints.is_empty() {
        "no ready endpoint".to_string()
    } else {
        format!("ready {}", api.endpoints.join(", "))
    };
    let mut parts = vec![format!("{} — {ready}", api.service)];
    for m in &api.missing_on_node {
        parts.push(format!(
            "not here: {} ({}: {})",
            m.endpoint, m.reason, m.detail
        ));
    }
    if !api.extra_on_node.is_empty() {
        parts.push(format!(
            "stale here (not in the API): {}",
            api.extra_on_node.join(", ")
        ));
    }
    if let Some(u) = &api.unknown {
        parts.push(format!("the node's endpoints are not known: {}", u.reason));
    }
    parts.extend(api.notes.iter().cloned());
    parts.join("; ")
}
