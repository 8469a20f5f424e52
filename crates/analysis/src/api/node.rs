//! Which API Node this node is: the Node object that has one of the node's addresses, else the node of
//! an endpoint the rules call local. Never guessed from a list of one.

use svcpath_syntax::kube_api::{ApiNode, ApiObjects};

use crate::report::Report;

/// This node as the API knows it.
pub(crate) struct ThisNode<'a> {
    pub node: Option<&'a ApiNode>,
    /// The name, also when only an endpoint tells it (no Node object given).
    pub name: Option<String>,
    pub source: String,
}

impl ThisNode<'_> {
    pub fn zone(&self) -> Option<&str> {
        self.node.and_then(|n| n.zone.as_deref())
    }
}

pub(crate) fn identify<'a>(api: &'a ApiObjects, report: &Report) -> ThisNode<'a> {
    let own: Vec<String> = report
        .node
        .node_ips
        .iter()
        .chain(&report.node.addresses)
        .map(|f| {
            let v = f.value.split('/').next().unwrap_or(&f.value);
            v.to_string()
        })
        .collect();
    let matching: Vec<&ApiNode> = api
        .nodes
        .iter()
        .filter(|n| n.addresses.iter().any(|(_, a)| own.contains(a)))
        .collect();
    if let [node] = matching.as_slice() {
        let address = node
            .addresses
            .iter()
            .find(|(_, a)| own.contains(a))
            .map(|(_, a)| a.as_str())
            .unwrap_or("");
        return ThisNode {
            node: Some(node),
            name: Some(node.name.clone()),
            source: format!(
                "the Node object with this node's address {address} (line {})",
                node.line
            ),
        };
    }
    // An endpoint the rules call local (a KUBE-SVL / local chain) runs on this node.
    let mut named: Vec<(String, String)> = Vec::new();
    for service in &report.services {
        for e in service.endpoints.iter().filter(|e| e.local == Some(true)) {
            for slice in &api.slices {
                for ae in &slice.endpoints {
                    if let Some(node) = &ae.node_name {
                        if ae.addresses.contains(&e.ip) && !named.iter().any(|(n, _)| n == node) {
                            named.push((node.clone(), e.ip.clone()));
                        }
                    }
                }
            }
        }
    }
    if let [(name, ip)] = named.as_slice() {
        let node = api.nodes.iter().find(|n| &n.name == name);
        return ThisNode {
            node,
            name: Some(name.clone()),
            source: format!(
                "endpoint {ip} is local in the rules and runs on node {name} in the API"
            ),
        };
    }
    let why = if api.nodes.is_empty() {
        "no Node objects were given (`kubectl get nodes -o json` names them)".to_string()
    } else if own.is_empty() {
        "the paste shows none of this node's addresses to find its Node object by".to_string()
    } else if matching.len() > 1 {
        "more than one Node object has this node's addresses".to_string()
    } else {
        format!(
            "no Node object given has one of this node's addresses ({})",
            own.join(", ")
        )
    };
    ThisNode {
        node: None,
        name: None,
        source: format!("not known: {why}"),
    }
}
