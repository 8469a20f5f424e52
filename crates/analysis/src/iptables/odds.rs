//! Endpoint odds: the `-m statistic --probability` cascade of a Service chain multiplied out.
//!
//! iptables tries the rules in order. Rule i with probability p_i is taken with p_i times the chance that
//! no earlier rule was taken, so endpoint i gets p_i × Π_{j<i} (1 − p_j); a rule without `statistic` takes
//! everything left. `-m recent --rcheck` rules (session affinity) match only returning clients and are
//! skipped for a first packet.

use svcpath_syntax::iptables::{Chain, Rule};

use super::{split_address, Tables};
use crate::report::Endpoint;

/// The probability a `statistic` match passes, when the rule has one (`--mode random`; `nth` counts as
/// 1/every).
pub fn statistic_probability(rule: &Rule) -> Option<f64> {
    let m = rule.module("statistic")?;
    let mode = m
        .options
        .iter()
        .find(|o| o.name == "mode")
        .and_then(|o| o.value());
    let p = match mode {
        Some("nth") => {
            let every: f64 = m
                .options
                .iter()
                .find(|o| o.name == "every")?
                .value()?
                .parse()
                .ok()?;
            if every <= 0.0 {
                return Some(0.0);
            }
            1.0 / every
        }
        _ => m
            .options
            .iter()
            .find(|o| o.name == "probability")?
            .value()?
            .parse()
            .ok()?,
    };
    let p = if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let negated = m
        .options
        .iter()
        .any(|o| o.negated && (o.name == "probability" || o.name == "every"));
    Some(if negated { 1.0 - p } else { p })
}

fn is_affinity_check(rule: &Rule) -> bool {
    rule.module("recent").is_some_and(|m| {
        m.options
            .iter()
            .any(|o| o.name == "rcheck" || o.name == "update")
    })
}

/// The endpoints a Service (or local) chain sends first packets to, with their probabilities.
pub fn endpoints_of(tables: &Tables<'_>, chain: &Chain) -> Vec<Endpoint> {
    let mut remaining = 1.0_f64;
    let mut out: Vec<Endpoint> = Vec::new();
    for rule in &chain.rules {
        let Some(target) = rule.target_name() else {
            continue;
        };
        if !target.starts_with("KUBE-SEP-") || is_affinity_check(rule) {
            continue;
        }
        let p = statistic_probability(rule).unwrap_or(1.0);
        let share = remaining * p;
        remaining -= share;
        let (ip, port, mut lines) = endpoint_address(tables, target, rule);
        lines.insert(0, rule.line);
        match out.iter_mut().find(|e| e.ip == ip && e.port == port) {
            Some(e) => {
                e.probability += share;
                e.lines.extend(lines);
            }
            None => out.push(Endpoint {
                ip,
                port,
                probability: share,
                local: None,
                weight: None,
                active_connections: None,
                inactive_connections: None,
                lines,
            }),
        }
        if remaining <= 0.0 {
            break;
        }
    }
    out
}

/// Targets that let the packet go on through the chain without choosing anything: they do not change
/// which endpoint the chain picks.
const PASS_THROUGH_TARGETS: &[&str] = &[
    "KUBE-MARK-MASQ",
    "MARK",
    "CONNMARK",
    "LOG",
    "NFLOG",
    "NFACCT",
    "TRACE",
    "AUDIT",
];

/// Targets whose outcome is known and that pick no endpoint.
const ENDING_TARGETS: &[&str] = &["RETURN", "DROP", "REJECT", "ACCEPT", "KUBE-MARK-DROP"];

/// Matches of an endpoint jump that the odds account for: the comment, the `statistic` draw, the
/// affinity check and the Service's own protocol.
const READ_MODULES: &[&str] = &["comment", "statistic", "recent", "tcp", "udp", "sctp"];

/// The first rule reached by new connections whose part in the endpoint choice svcpath cannot read,
/// with its line and why: a jump to something that is neither an endpoint chain nor a known verdict, an
/// endpoint jump with a match the odds do not model, or a `statistic` match without a readable chance.
/// `None` when every rule a first packet can reach is understood.
pub fn unread_choice(chain: &Chain) -> Option<(u32, String)> {
    let mut remaining = 1.0_f64;
    for rule in &chain.rules {
        let Some(target) = rule.target_name() else {
            continue;
        };
        if PASS_THROUGH_TARGETS.contains(&target) {
            continue;
        }
        if ENDING_TARGETS.contains(&target) {
            let unconditional =
                rule.basics.is_empty() && rule.modules.iter().all(|m| m.name == "comment");
            if unconditional {
                return None;
            }
            continue;
        }
        if super::chain_family(target).is_some() {
            // A hand-over to another chain of the Service (pod traffic to the Service chain, external
            // traffic to the local chain): that chain's rules are read on their own.
            let unconditional =
                rule.basics.is_empty() && rule.modules.iter().all(|m| m.name == "comment");
            if unconditional {
                return None;
            }
            continue;
        }
        if !target.starts_with("KUBE-SEP-") {
            return Some((
                rule.line,
                format!(
                    "the rule on line {} sends new connections of {} to {}, which svcpath does not read as \
                     an endpoint choice",
                    rule.line,
                    chain.name,
                    svcpath_syntax::diag::quote(target)
                ),
            ));
        }
        if is_affinity_check(rule) {
            continue;
        }
        let unread_module = rule
            .modules
            .iter()
            .find(|m| !READ_MODULES.contains(&m.name.as_str()));
        let unread_basic = rule
            .basics
            .iter()
            .find(|b| b.kind != svcpath_syntax::iptables::BasicKind::Protocol);
        if unread_module.is_some() || unread_basic.is_some() {
            let what = match unread_module {
                Some(m) => format!("-m {}", svcpath_syntax::diag::quote(&m.name)),
                None => "an address or interface match".to_string(),
            };
            return Some((
                rule.line,
                format!(
                    "the endpoint rule on line {} has {what}, which svcpath does not evaluate: its share of new \
                     connections is not known",
                    rule.line
                ),
            ));
        }
        let p = match rule.module("statistic") {
            Some(_) => match statistic_probability(rule) {
                Some(p) => p,
                None => {
                    return Some((
                        rule.line,
                        format!(
                            "the `statistic` match on line {} gives no chance svcpath can read: the endpoint \
                             odds are not known",
                            rule.line
                        ),
                    ))
                }
            },
            None => 1.0,
        };
        remaining *= 1.0 - p;
        if remaining <= 0.0 {
            return None;
        }
    }
    None
}

/// An endpoint chain's DNAT address, from its DNAT rule or, failing that, the `-> ip:port` comment of
/// the jump; the chain name when neither says.
fn endpoint_address(
    tables: &Tables<'_>,
    sep: &str,
    jump: &Rule,
) -> (String, Option<u16>, Vec<u32>) {
    if let Some(chain) = tables.nat_chain(sep) {
        for rule in &chain.rules {
            let Some(t) = &rule.target else { continue };
            if t.name != "DNAT" {
                continue;
            }
            // A garbled DNAT prints several --to-destination options; the last non-empty one wins in
            // what the kernel got, but the finding for it says the rule is not to be trusted.
            let to = t
                .options
                .iter()
                .rev()
                .filter(|o| o.name == "to-destination")
                .find_map(|o| o.value());
            if let Some((ip, port)) = to.and_then(split_address) {
                let lines = chain.rules.iter().map(|r| r.line).collect();
                return (ip, port, lines);
            }
        }
    }
    if let Some(comment) = jump.comment() {
        if let Some((_, addr)) = comment.split_once("-> ") {
            if let Some((ip, port)) = split_address(addr) {
                return (ip, port, Vec::new());
            }
        }
    }
    (sep.to_string(), None, Vec::new())
}

#[cfg(test)]
mod tests {
    use svcpath_syntax::{iptables, Origin};

    use super::*;

    #[test]
    fn cascade_multiplies_out() {
        let dump = "*nat\n\
            -A KUBE-SVC-A -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-1\n\
            -A KUBE-SVC-A -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-2\n\
            -A KUBE-SVC-A -j KUBE-SEP-3\n\
            -A KUBE-SEP-1 -p tcp -m tcp -j DNAT --to-destination 10.0.0.1:80\n\
            -A KUBE-SEP-2 -p tcp -m tcp -j DNAT --to-destination 10.0.0.2:80\n\
            -A KUBE-SEP-3 -p tcp -m tcp -j DNAT --to-destination 10.0.0.3:80\n\
            COMMIT\n";
        let rs = iptables::parse(dump, Origin::START).value;
        let tables = Tables::of(&rs);
        let eps = endpoints_of(&tables, tables.nat.unwrap().chain("KUBE-SVC-A").unwrap());
        let ps: Vec<f64> = eps.iter().map(|e| e.probability).collect();
        assert!((ps[0] - 1.0 / 3.0).abs() < 1e-6);
        assert!((ps[1] - 1.0 / 3.0).abs() < 1e-6);
        assert!((ps[2] - 1.0 / 3.0).abs() < 1e-6);
        assert!((ps.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(eps[1].ip, "10.0.0.2");
        assert_eq!(eps[1].port, Some(80));
    }
}
