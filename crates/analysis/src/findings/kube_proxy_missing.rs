//! `kube-proxy-missing-kernel-module` and `kube-proxy-missing-binary`: kube-proxy reports a kernel
//! module it could not load or a program it could not find.
//!
//! Example: `W0407 … Failed to load kernel module ip_vs_rr with modprobe`, `"The binary conntrack is
//! not installed, this can cause failures in network connection cleanup."`. A missing IPVS module makes
//! kube-proxy fall back to iptables mode; a missing conntrack program leaves stale UDP entries.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(kp) = &cx.report.kube_proxy else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let modules: Vec<_> = kp
        .errors
        .iter()
        .filter(|e| e.kind == "kernel-module")
        .collect();
    if let Some(first) = modules.first() {
        let mut names: Vec<&str> = modules
            .iter()
            .filter_map(|e| e.missing.as_deref())
            .collect();
        names.dedup();
        out.push(Finding::new(
            FindingCode::KubeProxyMissingKernelModule,
            Severity::Warning,
            None,
            modules.iter().take(20).map(|e| e.line).collect(),
            format!(
                "kube-proxy could not load kernel module(s){} (first on line {}: {}). In a container \
                 without /lib/modules this can be harmless when the host loaded them already; otherwise \
                 the mode that needs them (IPVS) is not available and kube-proxy falls back or fails.",
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" {}", names.join(", "))
                },
                first.line,
                first.message
            ),
        ));
    }
    let binaries: Vec<_> = kp
        .errors
        .iter()
        .filter(|e| e.kind == "missing-binary" || (e.kind == "conntrack" && e.missing.is_some()))
        .collect();
    if let Some(first) = binaries.first() {
        let mut names: Vec<&str> = binaries
            .iter()
            .filter_map(|e| e.missing.as_deref())
            .collect();
        names.sort_unstable();
        names.dedup();
        out.push(Finding::new(
            FindingCode::KubeProxyMissingBinary,
            Severity::Warning,
            None,
            binaries.iter().take(20).map(|e| e.line).collect(),
            format!(
                "A program kube-proxy runs is not installed where it runs{} (first on line {}: {}). Install \
                 it in kube-proxy's image or on the host.",
                if names.is_empty() {
                    String::new()
                } else {
                    format!(": {}", names.join(", "))
                },
                first.line,
                first.message
            ),
        ));
    }
    out
}
