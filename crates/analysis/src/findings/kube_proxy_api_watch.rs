//! `kube-proxy-api-watch-errors`: kube-proxy could not watch or list Services, EndpointSlices or Nodes.
//!
//! Example: `E0805 … reflector.go:138] …: Failed to watch *v1.Service: failed to list *v1.Service: Get
//! "https://192.168.122.95:6443/api/v1/services…": dial tcp …: connect: connection refused`. While it
//! cannot reach the API server kube-proxy does not see changes: the node's rules go stale.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(kp) = &cx.report.kube_proxy else {
        return Vec::new();
    };
    let errors: Vec<_> = kp.errors.iter().filter(|e| e.kind == "api-watch").collect();
    let Some(first) = errors.first() else {
        return Vec::new();
    };
    let mut resources: Vec<&str> = Vec::new();
    for e in &errors {
        for word in e.message.split_whitespace() {
            let word = word.trim_end_matches(':');
            if word.starts_with('*') && word.contains('.') && !resources.contains(&word) {
                resources.push(word);
            }
        }
    }
    let last = errors.last().map(|e| e.line).unwrap_or(first.line);
    let recovered = kp
        .last_sync_line
        .filter(|l| *l > last)
        .map(|l| format!(" A sync after them (line {l}) suggests the connection came back."))
        .unwrap_or_default();
    vec![Finding::new(
        FindingCode::KubeProxyApiWatchErrors,
        Severity::Warning,
        None,
        errors.iter().take(20).map(|e| e.line).collect(),
        format!(
            "kube-proxy could not watch or list {} against the API server {} time(s) (lines {}–{}; first: \
             {}). While it cannot, it does not see Service or endpoint changes and the node's rules go \
             stale.{recovered} Check the API server address in kube-proxy's kubeconfig and that the node \
             reaches it.",
            if resources.is_empty() {
                "objects".to_string()
            } else {
                resources.join(", ")
            },
            errors.len(),
            first.line,
            last,
            first.message
        ),
    )]
}
