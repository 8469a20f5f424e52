//! `garbled-dnat`: DNAT rules printed with several or empty `--to-destination` values.
//!
//! Example: `-j DNAT --to-destination  --random --to-destination :0 --persistent`. This is how an
//! `iptables` binary older than the one that wrote the rules prints them: the rule in the kernel is
//! fine, but any tool that saves and restores it (including kube-proxy's own restore) writes it back
//! broken.

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut lines = Vec::new();
    for ruleset in &cx.snapshot.iptables {
        for table in &ruleset.tables {
            for rule in table.chains.iter().flat_map(|c| c.rules.iter()) {
                let Some(target) = &rule.target else { continue };
                if target.name != "DNAT" {
                    continue;
                }
                let to: Vec<&str> = target
                    .options
                    .iter()
                    .filter(|o| o.name == "to-destination")
                    .map(|o| o.value().unwrap_or(""))
                    .collect();
                let broken = to.len() != 1
                    || to
                        .iter()
                        .any(|v| v.is_empty() || v.starts_with(':') || v.starts_with("0.0.0.0"));
                if broken {
                    lines.push(rule.line);
                }
            }
        }
    }
    if lines.is_empty() {
        return Vec::new();
    }
    let n = lines.len();
    vec![Finding::new(
        FindingCode::GarbledDnat,
        Severity::Critical,
        None,
        lines,
        format!(
            "{n} DNAT rule(s) print garbled destinations (several or empty `--to-destination`, `:0`). \
             This is the mark of an `iptables` binary that does not match the one that wrote the rules \
             (for example an old iptables in a container image reading rules kube-proxy wrote with a \
             newer one). If anything saves and restores these rules they break; use the same iptables \
             version (and backend) as kube-proxy. The endpoints shown for these rules may be wrong."
        ),
    )]
}
