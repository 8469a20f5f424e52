//! `kube-proxy-mode-fallback` and `kube-proxy-mode-mismatch`: the mode kube-proxy's log announces is
//! not the one it was asked for, or not the one the rules in the same paste show.
//!
//! Example: `W1116 … Can't use ipvs proxier, trying iptables proxier` then `Using iptables Proxier`:
//! the configuration says IPVS, the node cannot do it. Or the log says `Using ipvs Proxier` while the
//! paste's rules are iptables mode's: the log is from another start (or node), or kube-proxy fell back.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Mode, Severity};

fn mode_name(mode: Mode) -> Option<&'static str> {
    match mode {
        Mode::Iptables => Some("iptables"),
        Mode::Ipvs => Some("ipvs"),
        Mode::Nftables => Some("nftables"),
        Mode::Unknown => None,
    }
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = configured_mode_mismatch(cx);
    let Some(kp) = &cx.report.kube_proxy else {
        return out;
    };
    if let Some(f) = &kp.fallback {
        let now = match (&kp.mode, kp.mode_line) {
            (Some(mode), Some(line)) if line >= f.line => {
                format!(" and runs in {mode} mode instead (line {line})")
            }
            _ => String::new(),
        };
        out.push(Finding::new(
            FindingCode::KubeProxyModeFallback,
            Severity::Warning,
            None,
            [Some(f.line), kp.mode_line].into_iter().flatten().collect(),
            format!(
                "kube-proxy was asked for {} mode but could not use it (line {}: {}){now}. The cluster's \
                 kube-proxy configuration and this node disagree: load the IPVS kernel modules (ip_vs, \
                 ip_vs_rr, ip_vs_wrr, ip_vs_sh, nf_conntrack) or set the mode the node can run.",
                f.from, f.line, f.reason
            ),
        ));
    }
    if let (Some(logged), Some(rules)) = (kp.mode.as_deref(), mode_name(cx.report.mode)) {
        if logged != rules && matches!(logged, "iptables" | "ipvs" | "nftables") {
            out.push(Finding::new(
                FindingCode::KubeProxyModeMismatch,
                Severity::Warning,
                None,
                kp.mode_line.into_iter().collect(),
                format!(
                    "kube-proxy's log says it runs in {logged} mode (line {}), but the rules in this paste \
                     are {rules} mode's. Either the log is from another start or another node, or the \
                     {rules} rules are left over from before a mode change and the {logged} rules are \
                     missing from the paste. Capture the log and the rules from the same node at the same \
                     time.",
                    kp.mode_line.unwrap_or(0)
                ),
            ));
        }
    }
    out
}

/// kube-proxy's pasted settings (`/flagz`, its configuration or ConfigMap) ask for another mode than the
/// rules show.
fn configured_mode_mismatch(cx: &Context<'_>) -> Vec<Finding> {
    let (Some(configured), Some(rules)) = (&cx.report.configured_mode, mode_name(cx.report.mode))
    else {
        return Vec::new();
    };
    let asked = configured.value.as_str();
    if asked == rules || !matches!(asked, "iptables" | "ipvs" | "nftables") {
        return Vec::new();
    }
    vec![Finding::new(
        FindingCode::KubeProxyModeMismatch,
        Severity::Warning,
        None,
        configured.lines.clone(),
        format!(
            "kube-proxy's settings ask for {asked} mode ({}), but the rules in this paste are {rules} \
             mode's. kube-proxy could not use {asked} and fell back (its log says why), the settings were \
             changed after kube-proxy started (it reads them at start: restart its pods), or the rules \
             come from another node.",
            configured.source
        ),
    )]
}
