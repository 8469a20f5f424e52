//! `kube-proxy-ipvs-deprecated`: kube-proxy 1.35 and later log that IPVS mode is deprecated.
//!
//! Example: `E0525 … server_linux.go:196] "The ipvs proxier is now deprecated and may be removed in a
//! future release. Please use 'nftables' instead."`. Nothing is broken today; plan the move.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(line) = cx
        .report
        .kube_proxy
        .as_ref()
        .and_then(|kp| kp.ipvs_deprecated_line)
    else {
        return Vec::new();
    };
    vec![Finding::new(
        FindingCode::KubeProxyIpvsDeprecated,
        Severity::Info,
        None,
        vec![line],
        format!(
            "kube-proxy says IPVS mode is deprecated (line {line}) and may be removed in a future release. \
             Nothing is broken now; plan a move to nftables mode (generally available since Kubernetes \
             1.33)."
        ),
    )]
}
