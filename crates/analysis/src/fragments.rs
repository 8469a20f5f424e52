//! grep fragments of `iptables-save` output (rules without their `*table` header), joined into one
//! ruleset before anything reads them.

use svcpath_syntax::iptables::{Chain, Rule, Ruleset, Table};

/// Joins grep fragments (rulesets without any `*table` header) into one ruleset, dropping rules that
/// several greps printed twice. Complete dumps are kept as they are.
pub fn merge_fragments(rulesets: Vec<Ruleset>) -> Vec<Ruleset> {
    let mut out: Vec<Ruleset> = Vec::new();
    let mut fragment: Option<usize> = None;
    for ruleset in rulesets {
        let is_fragment =
            !ruleset.tables.is_empty() && ruleset.tables.iter().all(|t| t.line.is_none());
        match fragment {
            Some(i) if is_fragment => merge_into(&mut out[i], ruleset),
            _ => {
                if is_fragment {
                    fragment = Some(out.len());
                }
                out.push(ruleset);
            }
        }
    }
    out
}

fn merge_into(into: &mut Ruleset, from: Ruleset) {
    use std::collections::HashSet;
    into.legacy_tables_warning = into.legacy_tables_warning.or(from.legacy_tables_warning);
    into.ipv6 |= from.ipv6;
    into.deleted_chains.extend(from.deleted_chains);
    for table in from.tables {
        let index = match into.tables.iter().position(|t| t.name == table.name) {
            Some(i) => i,
            None => {
                into.tables.push(Table {
                    name: table.name.clone(),
                    ..Table::default()
                });
                into.tables.len() - 1
            }
        };
        let target = &mut into.tables[index];
        for chain in table.chains {
            let ci = match target.chains.iter().position(|c| c.name == chain.name) {
                Some(i) => i,
                None => {
                    target.chains.push(Chain {
                        name: chain.name.clone(),
                        ..Chain::default()
                    });
                    target.chains.len() - 1
                }
            };
            let existing = &mut target.chains[ci];
            existing.declared_at = existing.declared_at.or(chain.declared_at);
            existing.policy = existing.policy.take().or(chain.policy);
            // The same rule in two fragments is one rule, whatever its counters said each time.
            let key = |rule: &Rule| {
                svcpath_syntax::iptables::render_rule(&Rule {
                    counters: None,
                    ..rule.clone()
                })
            };
            let seen: HashSet<String> = existing.rules.iter().map(key).collect();
            for rule in chain.rules {
                if !seen.contains(&key(&rule)) {
                    existing.rules.push(rule);
                }
            }
        }
    }
}
