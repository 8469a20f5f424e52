//! `kube-proxy-sync-failed`: kube-proxy's log shows syncs that failed (`"Sync failed"`, a refused
//! `iptables-restore` or nft transaction).
//!
//! Example: `E1113 … "Failed to execute iptables-restore" err=< exit status 2: ip6tables-restore …:
//! unknown option "--xor-mark" >` then `"Sync failed" retryingTime="30s"`. Nothing of that sync reached
//! the kernel: the node keeps the rules of its last successful sync, or none. Critical when no sync
//! succeeded after the last failure.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(kp) = &cx.report.kube_proxy else {
        return Vec::new();
    };
    let Some(last_failure) = kp.last_failure_line else {
        return Vec::new();
    };
    let refused = kp
        .errors
        .iter()
        .find(|e| e.kind == "iptables-restore" || e.kind == "nft");
    let recovered = match kp.unrecovered_failure_line {
        Some(_) => None,
        None => kp.last_sync_line.filter(|l| *l > last_failure),
    };
    let mut message = format!(
        "kube-proxy's log shows {} failed sync(s) (first on line {}).",
        kp.sync_failures.max(1),
        kp.failure_lines.first().copied().unwrap_or(last_failure)
    );
    if let Some(e) = refused {
        message.push_str(&format!(" The error (line {}): {}.", e.line, e.message));
        message.push_str(&meaning(&e.message));
    }
    let severity = match recovered {
        Some(line) => {
            message.push_str(&format!(
                " A later sync succeeded (line {line}), so the rules caught up then; what failed in \
                 between was missing from the node for that time."
            ));
            Severity::Warning
        }
        None => {
            let pod = kp
                .unrecovered_pod
                .as_deref()
                .map(|p| format!(" of {p}"))
                .unwrap_or_default();
            let family = match refused {
                Some(e) if e.message.contains("ip6tables") => "IPv6 ",
                _ => "",
            };
            message.push_str(&format!(
                " No sync{pod} succeeded after it in this log: the node's {family}rules are those of its last \
                 successful sync{}, and every Service or endpoint change since is missing from the kernel. \
                 kube-proxy retries every {}.",
                match kp.unrecovered_last_sync_line {
                    Some(l) => format!(" (line {l})"),
                    None => " — this log shows none, so there may be no Service rules at all".to_string(),
                },
                kp.sync_period_seconds
                    .map(|s| format!("{s:.0} s"))
                    .unwrap_or_else(|| "syncPeriod".to_string())
            ));
            Severity::Critical
        }
    };
    let mut lines: Vec<u32> = kp.failure_lines.iter().copied().take(20).collect();
    if let Some(e) = refused {
        lines.push(e.line);
    }
    vec![Finding::new(
        FindingCode::KubeProxySyncFailed,
        severity,
        None,
        lines,
        message,
    )]
}

/// What a refused restore means, for the errors people meet most.
fn meaning(error: &str) -> String {
    if error.contains("--xor-mark") || error.contains("MARK revision") {
        " The iptables binary kube-proxy runs (or the kernel behind it) does not support the MARK target \
         with a mask for this family: the whole restore is refused. Make the kernel's xt_MARK support and \
         the iptables version in kube-proxy's image agree (a kernel update without the module, or an \
         iptables-nft image on a kernel without nf_tables compat, cause it)."
            .to_string()
    } else if error.contains("line ") && error.contains(" failed") {
        " iptables-restore refused one line of the ruleset kube-proxy wrote and with it the whole \
         transaction; kube-proxy at -v=5 or later logs the ruleset, which shows that line."
            .to_string()
    } else if error.contains("executable file not found") {
        " The restore tool is not installed where kube-proxy runs.".to_string()
    } else {
        String::new()
    }
}
