//! `kube-proxy-conntrack-cleanup-failed`: kube-proxy could not delete stale conntrack entries.
//!
//! Example: `E0630 … "Failed to delete stale service connections" err="… exec: \"conntrack\":
//! executable file not found in $PATH" ip="10.43.0.10"`. UDP clients whose endpoint went away keep
//! their conntrack entry and keep sending to the dead endpoint until it times out — the DNS black hole
//! after a CoreDNS pod is replaced.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(kp) = &cx.report.kube_proxy else {
        return Vec::new();
    };
    let failed: Vec<_> = kp.errors.iter().filter(|e| e.kind == "conntrack").collect();
    let Some(first) = failed.first() else {
        return Vec::new();
    };
    let mut message = format!(
        "kube-proxy could not delete stale conntrack entries {} time(s) (first on line {}: {}). UDP (and \
         SCTP) clients of a Service whose endpoint went away keep their conntrack entry and keep sending \
         to the old endpoint until the entry times out: DNS lookups to a replaced CoreDNS pod time out.",
        failed.len(),
        first.line,
        first.message
    );
    let all = failed
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if all.contains("executable file not found") {
        message.push_str(
            " The conntrack program is not installed where kube-proxy runs: install conntrack \
             (conntrack-tools) in its image or on the host; kube-proxy 1.32 and later talk netlink and \
             need no program.",
        );
    } else if all.contains("Can't open handler") || all.contains("protocol not supported") {
        message.push_str(
            " The kernel refuses conntrack's netlink interface: load nf_conntrack_netlink (or build the \
             kernel with it).",
        );
    }
    message.push_str(" The conntrack view shows what the table holds.");
    vec![Finding::new(
        FindingCode::KubeProxyConntrackCleanupFailed,
        Severity::Warning,
        None,
        failed.iter().take(20).map(|e| e.line).collect(),
        message,
    )]
}
