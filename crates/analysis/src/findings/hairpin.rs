//! `hairpin-not-masqueraded`: a pod that reaches its own Service and is load-balanced back to itself
//! must be masqueraded, or its reply bypasses the NAT and the connection hangs.
//!
//! kube-proxy writes `-A KUBE-SEP-… -s <endpoint IP>/32 -j KUBE-MARK-MASQ` in every endpoint chain, and
//! `KUBE-POSTROUTING` masquerades marked packets. This check reports endpoint chains without the rule,
//! and nodes where `KUBE-MARK-MASQ` or the `MASQUERADE` in `KUBE-POSTROUTING` is missing.

use crate::report::FindingCode;
use svcpath_syntax::iptables::BasicKind;

use super::Context;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for ruleset in &cx.snapshot.iptables {
        let Some(nat) = ruleset.table("nat") else {
            continue;
        };
        let mut missing = Vec::new();
        for chain in nat
            .chains
            .iter()
            .filter(|c| c.name.starts_with("KUBE-SEP-"))
        {
            let Some(dnat) = chain.rules.iter().find(|r| r.target_name() == Some("DNAT")) else {
                continue;
            };
            let marks_self = chain.rules.iter().any(|r| {
                r.target_name() == Some("KUBE-MARK-MASQ")
                    && r.basic(BasicKind::Source).is_some_and(|s| !s.negated)
            });
            if !marks_self {
                missing.push(dnat.line);
            }
        }
        if !missing.is_empty() {
            let n = missing.len();
            out.push(Finding::new(
                FindingCode::HairpinNotMasqueraded,
                Severity::Warning,
                None,
                missing,
                format!(
                    "{n} endpoint chain(s) lack the `-s <endpoint> -j KUBE-MARK-MASQ` rule: a pod that connects \
                     to its own Service and is sent back to itself is not masqueraded, its reply goes straight \
                     back without the reverse NAT, and the connection hangs (hairpin). Partial dumps can cut \
                     this rule away; check the full `iptables-save`."
                ),
            ));
        }
        let has_sep = nat
            .chains
            .iter()
            .any(|c| c.name.starts_with("KUBE-SEP-") && !c.rules.is_empty());
        let complete = nat.line.is_some();
        if has_sep && complete {
            let mark_ok = nat
                .chain("KUBE-MARK-MASQ")
                .is_some_and(|c| c.rules.iter().any(|r| r.target_name() == Some("MARK")));
            let masq_ok = nat.chain("KUBE-POSTROUTING").is_some_and(|c| {
                c.rules
                    .iter()
                    .any(|r| matches!(r.target_name(), Some("MASQUERADE" | "SNAT")))
            });
            if !mark_ok || !masq_ok {
                let lines = nat
                    .chain("KUBE-POSTROUTING")
                    .into_iter()
                    .chain(nat.chain("KUBE-MARK-MASQ"))
                    .flat_map(|c| c.rules.iter().map(|r| r.line))
                    .collect();
                out.push(Finding::new(
                    FindingCode::MasqueradeChainMissing,
                    Severity::Critical,
                    None,
                    lines,
                    format!(
                        "The nat table has endpoint chains but {}: packets kube-proxy marks for masquerade \
                         (hairpin, node-originated and external traffic) leave with their original source, so \
                         replies bypass the NAT.",
                        if !mark_ok { "no `KUBE-MARK-MASQ` rule that sets the mark" } else { "no MASQUERADE in `KUBE-POSTROUTING`" }
                    ),
                ));
            }
        }
    }
    out
}
