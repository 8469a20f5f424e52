//! How a service (or local) chain picks an endpoint, read from what its rules do: `numgen random mod N
//! vmap { i : goto endpoint-… }` (kube-proxy up to 1.35, and Services with affinity), `dnat ip to numgen
//! random mod N map { i : ADDR . PORT }` straight from the service chain (1.36+), or one `dnat ip to
//! ADDR:PORT` (a single endpoint, 1.37+). Each element's share is how many of the generated numbers
//! its key covers (offsets, ranges, several keys for one endpoint), as in the tracer.

use svcpath_syntax::nft::{
    split_address_port, ElementRef, Elements, Expr, MapRef, NatKind, Numgen, Rule, Verdict,
};

/// One way a rule sends a new connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    /// On to an endpoint chain (which DNATs).
    Chain(String),
    /// DNAT to this endpoint right here. `key` is the element's data as written (`10.0.0.1 . 80`).
    Address {
        key: String,
        ip: Option<String>,
        port: Option<u16>,
    },
}

impl Pick {
    /// The name the endpoint is known by in the model: its chain, or the DNAT target as written.
    pub fn id(&self) -> &str {
        match self {
            Pick::Chain(c) => c,
            Pick::Address { key, .. } => key,
        }
    }
}

/// The endpoints one rule picks, each with its share of new connections; empty when the rule picks
/// none (or picks in a way not evaluated here: a named map, a key of the packet's own values).
pub fn picks(rule: &Rule) -> Vec<(Pick, f64)> {
    for e in &rule.exprs {
        match e {
            Expr::Lookup(l) if l.verdict_map => {
                let (Some(ng), MapRef::Anonymous(elements)) = (l.key.numgen, &l.map) else {
                    continue;
                };
                return merge(shares(ng, elements).into_iter().filter_map(|(el, share)| {
                    let chain = el.verdict().and_then(Verdict::chain)?;
                    Some((Pick::Chain(chain.to_string()), share))
                }));
            }
            Expr::Nat(n) if n.kind == NatKind::Dnat => {
                let Some(map) = &n.map else {
                    return match (&n.address, n.to.as_deref()) {
                        (Some(ip), Some(_)) => vec![(
                            Pick::Address {
                                key: address_key(ip, n.port),
                                ip: Some(ip.clone()),
                                port: n.port,
                            },
                            1.0,
                        )],
                        _ => Vec::new(),
                    };
                };
                let (Some(ng), MapRef::Anonymous(elements)) = (map.key.numgen, &map.map) else {
                    return Vec::new();
                };
                return merge(shares(ng, elements).into_iter().filter_map(|(el, share)| {
                    let data = match el.value() {
                        Some(svcpath_syntax::nft::ValueRef::Data(d)) => d,
                        _ => return None,
                    };
                    let (ip, port) = split_address_port(data);
                    let key = address_key(ip.as_deref()?, port);
                    Some((Pick::Address { key, ip, port }, share))
                }));
            }
            _ => {}
        }
    }
    Vec::new()
}

/// One name for a DNAT target however it is written (`10.0.0.1 . 80` in a map, `10.0.0.1:80` alone).
fn address_key(ip: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{ip} . {p}"),
        None => ip.to_string(),
    }
}

/// Several keys for one endpoint add up.
fn merge(ways: impl Iterator<Item = (Pick, f64)>) -> Vec<(Pick, f64)> {
    let mut out: Vec<(Pick, f64)> = Vec::new();
    for (pick, share) in ways {
        match out.iter_mut().find(|(p, _)| p == &pick) {
            Some((_, s)) => *s += share,
            None => out.push((pick, share)),
        }
    }
    out
}

/// Each element of a `numgen` map with the share of generated numbers its key covers (a number
/// covered by an earlier element counts for that one only: nft refuses overlaps, a paste may not).
fn shares(numgen: Numgen, elements: &Elements) -> Vec<(ElementRef<'_>, f64)> {
    if numgen.modulus == 0 {
        return Vec::new();
    }
    let low = u64::from(numgen.offset);
    let high = low + u64::from(numgen.modulus) - 1;
    let mut covered: Vec<(u64, u64)> = Vec::new();
    let mut out = Vec::new();
    for el in elements {
        let count = el
            .key()
            .first()
            .and_then(|k| key_range(k, low, high))
            .map(|r| take_uncovered(&mut covered, r))
            .unwrap_or(0);
        out.push((el, count as f64 / f64::from(numgen.modulus)));
    }
    out
}

/// The part of `low..=high` a key (`3` or `0-4`) covers.
pub(crate) fn key_range(key: &str, low: u64, high: u64) -> Option<(u64, u64)> {
    let (a, b) = match key.split_once('-') {
        Some((a, b)) => (a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?),
        None => {
            let n = key.trim().parse::<u64>().ok()?;
            (n, n)
        }
    };
    let (a, b) = (a.max(low), b.min(high));
    (a <= b).then_some((a, b))
}

/// Counts the numbers of `range` not in `covered`, and adds them to it.
pub(crate) fn take_uncovered(covered: &mut Vec<(u64, u64)>, range: (u64, u64)) -> u64 {
    let mut pieces = vec![range];
    for &(ca, cb) in covered.iter() {
        let mut next = Vec::new();
        for (a, b) in pieces {
            if cb < a || ca > b {
                next.push((a, b));
                continue;
            }
            if a < ca {
                next.push((a, ca - 1));
            }
            if b > cb {
                next.push((cb + 1, b));
            }
        }
        pieces = next;
    }
    let count = pieces.iter().map(|(a, b)| b - a + 1).sum();
    covered.extend(pieces);
    count
}

/// Why a chain that should pick endpoints picks none that svcpath understands: the first rule with
/// an expression that was not understood, or with a lookup or DNAT this reading does not evaluate.
pub fn not_understood(rules: &[Rule]) -> Option<&Rule> {
    rules.iter().find(|r| {
        r.has_unknown()
            || r.exprs.iter().any(|e| match e {
                Expr::Lookup(l) => {
                    l.verdict_map && l.key.numgen.is_some()
                        || l.key.parts.iter().any(|p| p.starts_with("numgen"))
                }
                Expr::Nat(n) => n.kind == NatKind::Dnat,
                Expr::Xt { .. } => true,
                _ => false,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use svcpath_syntax::nft::parse_rule_text;

    fn rule(text: &str) -> Rule {
        Rule {
            line: 1,
            text: text.to_string(),
            exprs: parse_rule_text(text),
            ..Rule::default()
        }
    }

    #[test]
    fn numgen_keys_and_ranges() {
        assert_eq!(key_range("3", 0, 8), Some((3, 3)));
        assert_eq!(key_range("0-4", 0, 8), Some((0, 4)));
        assert_eq!(key_range("7-12", 0, 8), Some((7, 8)));
        assert_eq!(key_range("9", 0, 8), None);
        assert_eq!(key_range("x", 0, 8), None);
    }

    #[test]
    fn overlapping_keys_count_once() {
        let mut covered = Vec::new();
        assert_eq!(take_uncovered(&mut covered, (0, 4)), 5);
        assert_eq!(take_uncovered(&mut covered, (3, 8)), 4);
        assert_eq!(take_uncovered(&mut covered, (0, 8)), 0);
    }

    #[test]
    fn dnat_maps_single_dnat_and_vmaps() {
        let r = rule("meta l4proto tcp dnat ip to numgen random mod 3 map { 0-1 : 10.0.0.1 . 80, 2 : 10.0.0.2 . 8080 }");
        let p = picks(&r);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].0,
            Pick::Address {
                key: "10.0.0.1 . 80".into(),
                ip: Some("10.0.0.1".into()),
                port: Some(80)
            }
        );
        assert!((p[0].1 - 2.0 / 3.0).abs() < 1e-9);
        assert!((p[1].1 - 1.0 / 3.0).abs() < 1e-9);
        let single = picks(&rule("meta l4proto tcp dnat ip to 10.0.0.9:9898"));
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].1, 1.0);
        let vmap = picks(&rule(
            "numgen random mod 4 offset 1 vmap { 1-2 : goto endpoint-A, 3 : goto endpoint-B, 4 : goto endpoint-A }",
        ));
        assert_eq!(
            vmap,
            vec![
                (Pick::Chain("endpoint-A".into()), 0.75),
                (Pick::Chain("endpoint-B".into()), 0.25)
            ]
        );
        // A named map with a key of the packet's values is not evaluated here (the tracer does it).
        let named = rule("dnat ip to ct mark . ip daddr . th dport map @endpoints");
        assert!(picks(&named).is_empty());
        assert!(not_understood(std::slice::from_ref(&named)).is_some());
    }
}
