//! `dangling-jump` and `unused-kube-chain`: jumps to chains the dump does not have, and kube-proxy
//! chains nothing jumps to.
//!
//! A jump to a missing chain makes `iptables-restore` fail for the whole table, so on a live node it
//! points at a cut or edited dump; an unreferenced `KUBE-SVC`/`KUBE-SEP` chain is stale state left by a
//! crashed or older kube-proxy.

use std::collections::HashSet;

use super::{finding, Context};
use crate::report::{Finding, Severity};

const BUILTIN_TARGETS: &[&str] = &[
    "ACCEPT",
    "DROP",
    "REJECT",
    "RETURN",
    "DNAT",
    "SNAT",
    "MASQUERADE",
    "REDIRECT",
    "MARK",
    "CONNMARK",
    "LOG",
    "NFLOG",
    "NOTRACK",
    "CT",
    "TPROXY",
    "TCPMSS",
    "CHECKSUM",
    "NFQUEUE",
    "QUEUE",
    "TRACE",
    "NETMAP",
    "AUDIT",
    "CLASSIFY",
    "DSCP",
    "TOS",
    "TTL",
    "HL",
    "SET",
    "CLUSTERIP",
    "TEE",
    "ULOG",
    "IDLETIMER",
    "LED",
    "SECMARK",
    "CONNSECMARK",
    "SYNPROXY",
    "HMARK",
    "RATEEST",
];

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for ruleset in &cx.snapshot.iptables {
        let deleted: HashSet<&str> = ruleset
            .deleted_chains
            .iter()
            .map(|(c, _)| c.as_str())
            .collect();
        for table in &ruleset.tables {
            if table.line.is_none() || !table.committed {
                // A grep fragment or a cut-off dump: missing chains are simply not in the paste.
                continue;
            }
            let existing: HashSet<&str> = table.chains.iter().map(|c| c.name.as_str()).collect();
            let mut referenced: HashSet<&str> = HashSet::new();
            let mut dangling: Vec<(String, u32)> = Vec::new();
            for chain in &table.chains {
                for rule in &chain.rules {
                    let Some(t) = rule.target_name() else {
                        continue;
                    };
                    referenced.insert(t);
                    if !existing.contains(t)
                        && !BUILTIN_TARGETS.contains(&t)
                        && !t.chars().any(|c| c.is_ascii_lowercase())
                    {
                        dangling.push((t.to_string(), rule.line));
                    }
                }
            }
            let partial = !ruleset.deleted_chains.is_empty();
            if !dangling.is_empty() && !partial {
                let names: Vec<&str> = dangling.iter().map(|(n, _)| n.as_str()).take(5).collect();
                out.push(finding(
                    "dangling-jump",
                    Severity::Warning,
                    None,
                    dangling.iter().map(|(_, l)| *l).collect(),
                    format!(
                        "{} rule(s) in the {} table jump to chains this dump does not define ({}{}). The kernel would \
                         refuse such a table, so the dump is incomplete or was edited; traces through these rules are \
                         uncertain.",
                        dangling.len(),
                        table.name,
                        names.join(", "),
                        if dangling.len() > 5 { ", …" } else { "" }
                    ),
                ));
            }
            let unused: Vec<&svcpath_syntax::iptables::Chain> = table
                .chains
                .iter()
                .filter(|c| {
                    (c.name.starts_with("KUBE-SVC-")
                        || c.name.starts_with("KUBE-SEP-")
                        || c.name.starts_with("KUBE-SVL-")
                        || c.name.starts_with("KUBE-EXT-")
                        || c.name.starts_with("KUBE-FW-")
                        || c.name.starts_with("KUBE-XLB-"))
                        && !referenced.contains(c.name.as_str())
                        && !deleted.contains(c.name.as_str())
                })
                .collect();
            if !unused.is_empty() {
                let lines: Vec<u32> = unused
                    .iter()
                    .filter_map(|c| c.declared_at.or_else(|| c.rules.first().map(|r| r.line)))
                    .collect();
                let names: Vec<&str> = unused.iter().map(|c| c.name.as_str()).take(5).collect();
                out.push(finding(
                    "unused-kube-chain",
                    Severity::Info,
                    None,
                    lines,
                    format!(
                        "{} kube-proxy chain(s) in the {} table are not referenced by any rule ({}{}): leftovers of \
                         Services or endpoints that are gone. They cost memory, not per-packet time; kube-proxy \
                         removes them on its next full sync.",
                        unused.len(),
                        table.name,
                        names.join(", "),
                        if unused.len() > 5 { ", …" } else { "" }
                    ),
                ));
            }
        }
    }
    out
}
