//! Packet values and matches of the nft walk: what a selector (`ip daddr`, `th dport`, `ct mark` …)
//! gives for the traced packet, comparisons, sets with concatenations and intervals, and verdict maps
//! (with `numgen` shares).

use std::net::IpAddr;

use svcpath_syntax::nft::{
    ElementRef, Elements, Key, Lookup, MapRef, Match, Op, Selector, Set, Value, ValueRef,
    Verdict as NftVerdict,
};

use super::super::addr::{self, Cidr};
use super::super::hooks::{Hook, Hooks};
use super::super::links::Link;
use super::super::matching::{in_link, interface_match, out_link, Answer};
use super::super::state::{Branch, Ctx};
use super::tables::{iface_pattern, norm};
use crate::model::Protocol;

/// A packet-side value of a selector.
pub(super) enum PacketValue {
    Ip(IpAddr),
    /// A number; protocol numbers and port numbers take names too.
    Num(u64, NumKind),
    /// Flags any of which a listed value may name (`ct state`, `ct status`).
    Flags(Vec<&'static str>),
    Name(String),
    /// An interface (the link the packet came in on or leaves on).
    Link(Link, bool),
    /// The selector does not apply to this packet (`tcp dport` for a UDP packet): no match.
    Absent,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum NumKind {
    Plain,
    Proto,
    Port,
}

pub(super) fn proto_number(p: Protocol) -> u64 {
    match p {
        Protocol::Tcp => 6,
        Protocol::Udp => 17,
        Protocol::Sctp => 132,
    }
}

pub(super) fn parse_num(s: &str, kind: NumKind) -> Option<u64> {
    let s = s.trim().trim_matches('"');
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).ok();
    }
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let name = s.to_ascii_lowercase();
    match kind {
        NumKind::Proto => Some(match name.as_str() {
            "icmp" => 1,
            "igmp" => 2,
            "tcp" => 6,
            "udp" => 17,
            "gre" => 47,
            "esp" => 50,
            "ah" => 51,
            "icmpv6" | "ipv6-icmp" => 58,
            "sctp" => 132,
            "udplite" => 136,
            "dccp" => 33,
            _ => return None,
        }),
        NumKind::Port => Some(match name.as_str() {
            "ssh" => 22,
            "domain" => 53,
            "http" => 80,
            "https" => 443,
            _ => return None,
        }),
        NumKind::Plain => None,
    }
}

/// Applies `& 0x4000`, `and 0x4000`, `| 1`, `^ 1` … in order.
pub(super) fn bitwise(value: u64, ops: &str) -> Option<u64> {
    let words: Vec<&str> = ops.split_whitespace().collect();
    let mut v = value;
    for pair in words.chunks(2) {
        let [op, n] = pair else { return None };
        let n = parse_num(n, NumKind::Plain)?;
        v = match *op {
            "&" | "and" => v & n,
            "|" | "or" => v | n,
            "^" | "xor" => v ^ n,
            "<<" => v.checked_shl(u32::try_from(n).ok()?)?,
            ">>" => v.checked_shr(u32::try_from(n).ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Whether `ip` is one address, prefix or range (`a-b`) of the pattern.
pub(super) fn ip_matches(pattern: &str, ip: IpAddr) -> Option<bool> {
    let p = pattern.trim();
    if let Some((lo, hi)) = p.split_once('-') {
        let (lo, hi) = (addr::parse_ip(lo)?, addr::parse_ip(hi)?);
        return Some(match (lo, hi, ip) {
            (IpAddr::V4(a), IpAddr::V4(b), IpAddr::V4(x)) => a <= x && x <= b,
            (IpAddr::V6(a), IpAddr::V6(b), IpAddr::V6(x)) => a <= x && x <= b,
            _ => false,
        });
    }
    Some(Cidr::parse(p)?.contains(ip))
}

pub(super) fn num_matches(pattern: &str, n: u64, kind: NumKind) -> Option<bool> {
    let p = pattern.trim();
    if let Some((lo, hi)) = p.split_once('-').filter(|(lo, _)| !lo.is_empty()) {
        let lo = parse_num(lo, kind)?;
        let hi = parse_num(hi, kind)?;
        return Some(lo <= n && n <= hi);
    }
    Some(parse_num(p, kind)? == n)
}

/// One value of the packet for a selector part (`ip daddr`, `th dport`, `ct state` …), or why it
/// cannot be known.
pub(super) fn packet_value(ctx: &Ctx<'_>, b: &Branch, part: &str) -> Result<PacketValue, String> {
    let hook = b.hook;
    let part = norm(part);
    let v6 = b.dst.is_ipv6();
    let l4 = |want: &str| Protocol::parse(want) == Some(ctx.protocol);
    Ok(match part.as_str() {
        "ip daddr" | "ip6 daddr" => {
            if (part == "ip6 daddr") != v6 {
                PacketValue::Absent
            } else {
                PacketValue::Ip(b.dst)
            }
        }
        "ip saddr" | "ip6 saddr" => {
            if (part == "ip6 saddr") != v6 {
                PacketValue::Absent
            } else {
                PacketValue::Ip(b.src)
            }
        }
        "meta l4proto" | "ip protocol" | "ip6 nexthdr" => {
            PacketValue::Num(proto_number(ctx.protocol), NumKind::Proto)
        }
        "meta nfproto" => PacketValue::Name(if v6 { "ipv6" } else { "ipv4" }.to_string()),
        "meta protocol" => PacketValue::Name(if v6 { "ip6" } else { "ip" }.to_string()),
        "ip version" => PacketValue::Num(if v6 { 6 } else { 4 }, NumKind::Plain),
        "th dport" => PacketValue::Num(u64::from(b.dport), NumKind::Port),
        "tcp dport" | "udp dport" | "sctp dport" => {
            let proto = part.split(' ').next().unwrap_or("");
            if l4(proto) {
                PacketValue::Num(u64::from(b.dport), NumKind::Port)
            } else {
                PacketValue::Absent
            }
        }
        "udplite dport" | "dccp dport" => PacketValue::Absent,
        "th sport" | "tcp sport" | "udp sport" | "sctp sport" => {
            let proto = part.split(' ').next().unwrap_or("");
            if proto != "th" && !l4(proto) {
                PacketValue::Absent
            } else {
                return Err("the source port is not known".to_string());
            }
        }
        "meta mark" | "mark" => PacketValue::Num(u64::from(b.mark), NumKind::Plain),
        "ct mark" => PacketValue::Num(u64::from(b.ctmark), NumKind::Plain),
        "ct state" => PacketValue::Flags(vec![if b.untracked { "untracked" } else { "new" }]),
        "ct status" => {
            let mut f = Vec::new();
            if b.dnat {
                f.push("dnat");
            }
            if b.snat {
                f.push("snat");
            }
            PacketValue::Flags(f)
        }
        "ct direction" => PacketValue::Name("original".to_string()),
        "iifname" | "meta iifname" | "iif" | "meta iif" => {
            PacketValue::Link(in_link(b, hook), false)
        }
        "oifname" | "meta oifname" | "oif" | "meta oif" => {
            PacketValue::Link(out_link(b, hook), true)
        }
        "meta pkttype" | "pkttype" => PacketValue::Name(
            if addr::is_broadcast(b.dst) {
                "broadcast"
            } else if addr::is_multicast(b.dst) {
                "multicast"
            } else if matches!(hook, Hook::Output | Hook::Postrouting) && b.sent_by_node() {
                "host"
            } else {
                "unicast"
            }
            .to_string(),
        ),
        "meta skuid" | "skuid" | "meta skgid" | "skgid" => {
            if b.sent_by_node() && matches!(hook, Hook::Output | Hook::Postrouting) {
                return Err("the sending process's owner is not known".to_string());
            }
            PacketValue::Absent
        }
        p if p.starts_with("fib ") && p.ends_with(" type") => {
            let ip = if p.contains("saddr") { b.src } else { b.dst };
            if p.contains(" oif") || p.contains(" iif") && p.contains("saddr") {
                return Err(format!("`{p}` depends on the routing table"));
            }
            PacketValue::Name(
                if ctx.is_local(ip) {
                    "local"
                } else if addr::is_broadcast(ip) {
                    "broadcast"
                } else if addr::is_multicast(ip) {
                    "multicast"
                } else {
                    "unicast"
                }
                .to_string(),
            )
        }
        _ => return Err(format!("`{part}` is not modelled")),
    })
}

/// Whether one value of the rule (one part of an element's key) matches the packet's value.
pub(super) fn part_matches(ctx: &Ctx<'_>, pattern: &str, v: &PacketValue) -> Answer {
    let pattern = pattern.trim();
    let unreadable = || Answer::Assume(true, format!("the value {pattern} cannot be read"));
    match v {
        PacketValue::Absent => Answer::No,
        PacketValue::Ip(ip) => match ip_matches(pattern, *ip) {
            Some(b) => Answer::from_bool(b),
            None => unreadable(),
        },
        PacketValue::Num(n, kind) => match num_matches(pattern, *n, *kind) {
            Some(b) => Answer::from_bool(b),
            None => unreadable(),
        },
        PacketValue::Flags(flags) => Answer::from_bool(
            flags
                .iter()
                .any(|f| f.eq_ignore_ascii_case(pattern.trim_matches('"'))),
        ),
        PacketValue::Name(name) => {
            Answer::from_bool(name.eq_ignore_ascii_case(pattern.trim_matches('"')))
        }
        PacketValue::Link(link, outgoing) => {
            let pat = iface_pattern(pattern);
            if pat == "lo" {
                return Answer::from_bool(*link == Link::Loopback);
            }
            interface_match(ctx, &pat, *link, *outgoing)
        }
    }
}

/// Whether an element key (its parts) matches the packet's values, part by part.
pub(super) fn key_matches(ctx: &Ctx<'_>, key: Key<'_>, values: &[PacketValue]) -> Answer {
    if key.len() != values.len() {
        return joined_key_matches(ctx, &key.join(" . "), values);
    }
    parts_match(ctx, key.iter(), values)
}

/// [`key_matches`] for a key written as text parts.
pub(super) fn text_key_matches(ctx: &Ctx<'_>, key: &[String], values: &[PacketValue]) -> Answer {
    if key.len() != values.len() {
        return joined_key_matches(ctx, &key.join(" . "), values);
    }
    parts_match(ctx, key.iter().map(String::as_str), values)
}

/// A single value written with ` . ` inside one part.
fn joined_key_matches(ctx: &Ctx<'_>, joined: &str, values: &[PacketValue]) -> Answer {
    let parts: Vec<&str> = joined.split(" . ").collect();
    if parts.len() != values.len() {
        return Answer::Assume(
            false,
            format!("the key `{joined}` does not fit the selector"),
        );
    }
    parts_match(ctx, parts.into_iter(), values)
}

fn parts_match<'k>(
    ctx: &Ctx<'_>,
    key: impl Iterator<Item = &'k str>,
    values: &[PacketValue],
) -> Answer {
    let mut assumed: Option<String> = None;
    for (k, v) in key.zip(values) {
        match part_matches(ctx, k, v) {
            Answer::Yes => {}
            Answer::No => return Answer::No,
            Answer::Assume(true, why) => assumed = Some(why),
            Answer::Assume(false, why) => return Answer::Assume(false, why),
            Answer::Odds(..) => {}
        }
    }
    match assumed {
        Some(why) => Answer::Assume(true, why),
        None => Answer::Yes,
    }
}

/// The packet's values for a selector, or why they cannot be known.
pub(super) fn selector_values(
    ctx: &Ctx<'_>,
    b: &Branch,
    sel: &Selector,
) -> Result<Vec<PacketValue>, String> {
    let mut out = Vec::new();
    for part in &sel.parts {
        let mut v = packet_value(ctx, b, part)?;
        if let Some(ops) = &sel.bitwise {
            if let PacketValue::Num(n, kind) = v {
                v = PacketValue::Num(
                    bitwise(n, ops).ok_or_else(|| format!("`{ops}` cannot be read"))?,
                    kind,
                );
            } else {
                return Err(format!("`{} {ops}` is not modelled", sel.text()));
            }
        }
        out.push(v);
    }
    Ok(out)
}

/// A match expression.
pub(super) fn nft_match(
    ctx: &Ctx<'_>,
    b: &Branch,
    ti: usize,
    hooks: &Hooks<'_>,
    m: &Match,
) -> Answer {
    if let Some(ng) = m.left.numgen {
        if ng.modulus == 0 {
            return Answer::Assume(true, "numgen mod 0".to_string());
        }
        // The share of generated numbers that satisfy the comparison.
        let mut hits = 0u64;
        for i in 0..u64::from(ng.modulus.min(65_536)) {
            let v = PacketValue::Num(i + u64::from(ng.offset), NumKind::Plain);
            let one = match &m.right {
                Value::Single(s) => compare(ctx, m.op, s, &v),
                Value::List(l) => Answer::from_bool(
                    l.iter()
                        .any(|s| matches!(part_matches(ctx, s, &v), Answer::Yes)),
                ),
                Value::Set(els) => Answer::from_bool(els.iter().any(|e| {
                    matches!(
                        key_matches(ctx, e.key(), std::slice::from_ref(&v)),
                        Answer::Yes
                    )
                })),
                Value::SetRef(_) => {
                    return Answer::Assume(true, "numgen compared with a named set".to_string())
                }
            };
            let yes = matches!(one, Answer::Yes);
            let yes = if m.op == Op::Ne && !matches!(m.right, Value::Single(_)) {
                !yes
            } else {
                yes
            };
            if yes {
                hits += 1;
            }
        }
        let p = hits as f64 / f64::from(ng.modulus.clamp(1, 65_536));
        let why = format!(
            "numgen {} mod {}",
            if ng.random { "random" } else { "inc" },
            ng.modulus
        );
        return Answer::Odds(p, why);
    }
    if m.left.parts.len() == 1 && m.left.text() == "meta random" {
        return meta_random(m);
    }
    let values = match selector_values(ctx, b, &m.left) {
        Ok(v) => v,
        Err(why) => return Answer::Assume(true, why),
    };
    if values.iter().any(|v| matches!(v, PacketValue::Absent)) {
        return Answer::No;
    }
    let negated = m.op == Op::Ne;
    match &m.right {
        Value::Single(s) => {
            if values.len() > 1 {
                let parts: Vec<String> = s.split(" . ").map(str::to_string).collect();
                return text_key_matches(ctx, &parts, &values).negate(negated);
            }
            match values.first() {
                Some(v) => compare(ctx, m.op, s, v),
                None => Answer::Assume(true, "an empty selector".to_string()),
            }
        }
        Value::List(list) => {
            let Some(v) = values.first() else {
                return Answer::Assume(true, "an empty selector".to_string());
            };
            let mut out = Answer::No;
            for s in list {
                match part_matches(ctx, s, v) {
                    Answer::Yes => {
                        out = Answer::Yes;
                        break;
                    }
                    Answer::Assume(a, why) => out = Answer::Assume(a, why),
                    _ => {}
                }
            }
            out.negate(negated)
        }
        Value::Set(elements) => set_contains(ctx, b, elements, &values, None).negate(negated),
        Value::SetRef(name) => {
            let Some(set) = hooks.tables.get(ti).and_then(|t| t.set(name)) else {
                return Answer::Assume(true, format!("the set @{name} is not in the paste"));
            };
            set_contains(ctx, b, &set.elements, &values, Some(set)).negate(negated)
        }
    }
}

/// A comparison with one value (`==`, `!=`, `<` …).
pub(super) fn compare(ctx: &Ctx<'_>, op: Op, s: &str, v: &PacketValue) -> Answer {
    match op {
        Op::Eq => part_matches(ctx, s, v),
        Op::Ne => part_matches(ctx, s, v).negate(true),
        _ => {
            let PacketValue::Num(n, kind) = v else {
                return Answer::Assume(true, format!("an ordering comparison with {s}"));
            };
            let Some(x) = parse_num(s, *kind) else {
                return Answer::Assume(true, format!("the value {s} cannot be read"));
            };
            Answer::from_bool(match op {
                Op::Lt => *n < x,
                Op::Gt => *n > x,
                Op::Le => *n <= x,
                Op::Ge => *n >= x,
                Op::Eq | Op::Ne => false,
            })
        }
    }
}

/// Whether the packet's values are a member of a set. A dynamic set (one the rules add clients
/// to, like kube-proxy's `affinity-…`) also holds a returning client that its first connection
/// added.
pub(super) fn set_contains(
    ctx: &Ctx<'_>,
    b: &Branch,
    elements: &Elements,
    values: &[PacketValue],
    set: Option<&Set>,
) -> Answer {
    if let Some(set) = set {
        if b.history.iter().any(|h| h == &set.name) {
            return Answer::Yes;
        }
    }
    let mut out = Answer::No;
    for e in elements.iter() {
        match key_matches(ctx, e.key(), values) {
            Answer::Yes => return Answer::Yes,
            Answer::Assume(true, why) => out = Answer::Assume(true, why),
            _ => {}
        }
    }
    out
}

/// A verdict-map lookup: each way it can go with its share (`None` when no element matches).
#[allow(clippy::type_complexity)]
pub(super) fn vmap(
    ctx: &Ctx<'_>,
    b: &Branch,
    ti: usize,
    hooks: &Hooks<'_>,
    l: &Lookup,
) -> (Vec<(f64, Option<(NftVerdict, u32, String)>)>, Vec<String>) {
    let (ways, mut assumed) = map_ways(ctx, b, ti, hooks, &l.key, &l.map);
    let numgen = l.key.numgen.is_some();
    let ways = ways
        .into_iter()
        .map(|(p, e)| {
            let what = e.and_then(|e| match e.value() {
                Some(ValueRef::Verdict(v)) => Some((v.clone(), e.line(), e.key().join(" . "))),
                _ => {
                    if !numgen {
                        assumed.push(format!(
                            "the element {} holds no verdict",
                            e.key().join(" . ")
                        ));
                    }
                    None
                }
            });
            (p, what)
        })
        .collect();
    (ways, assumed)
}

/// The elements a map lookup (`KEY vmap …`, `dnat to KEY map …`) can pick, each with its share:
/// by `numgen` (how many of its numbers each element's key covers) or by the packet's values;
/// `None` is the share that finds no element (the rule stops there).
#[allow(clippy::type_complexity)]
pub(super) fn map_ways<'r>(
    ctx: &Ctx<'_>,
    b: &Branch,
    ti: usize,
    hooks: &'r Hooks<'_>,
    key: &Selector,
    map: &'r MapRef,
) -> (Vec<(f64, Option<ElementRef<'r>>)>, Vec<String>) {
    let mut assumed = Vec::new();
    let elements: &'r Elements = match map {
        MapRef::Anonymous(els) => els,
        MapRef::Named(name) => match hooks.tables.get(ti).and_then(|t| t.set(name)) {
            Some(s) => &s.elements,
            None => {
                assumed.push(format!(
                    "the map @{name} is not in the paste: taken as holding no element for the packet"
                ));
                return (vec![(1.0, None)], assumed);
            }
        },
    };
    if let Some(ng) = key.numgen.filter(|_| key.parts.len() == 1) {
        // numgen gives offset .. offset + modulus - 1, each equally often; each element's share
        // is how many of those its key (a number or a range) covers, in one pass over the map.
        let modulus = u64::from(ng.modulus.max(1));
        let (lo, hi) = (u64::from(ng.offset), u64::from(ng.offset) + modulus - 1);
        let mut shares: Vec<(f64, Option<ElementRef<'r>>)> = Vec::new();
        let mut covered = 0u64;
        for e in elements.iter() {
            let k = e.key().join(" . ");
            let (a, b) = match k.split_once('-') {
                Some((a, b)) => (parse_num(a, NumKind::Plain), parse_num(b, NumKind::Plain)),
                None => (parse_num(&k, NumKind::Plain), parse_num(&k, NumKind::Plain)),
            };
            let (Some(a), Some(b)) = (a, b) else {
                assumed.push(format!("the map key {k} cannot be read; it is left out"));
                continue;
            };
            let (a, b) = (a.max(lo), b.min(hi));
            if a > b {
                continue;
            }
            let count = (b - a + 1).min(modulus.saturating_sub(covered));
            if count == 0 {
                continue;
            }
            covered += count;
            shares.push((count as f64 / modulus as f64, Some(e)));
        }
        if covered < modulus {
            shares.push(((modulus - covered) as f64 / modulus as f64, None));
        }
        if !ng.random {
            assumed.push(
                "numgen inc: round robin over connections, taken as an even split".to_string(),
            );
        }
        return (shares, assumed);
    }
    if key
        .parts
        .iter()
        .any(|p| p.starts_with("jhash") || p.starts_with("symhash") || p.starts_with("numgen"))
    {
        assumed.push(format!(
            "`{}` hashes the packet; the first element is taken",
            key.text()
        ));
        return (vec![(1.0, elements.first())], assumed);
    }
    let values = match selector_values(ctx, b, key) {
        Ok(v) => v,
        Err(why) => {
            assumed.push(format!("{why}: taken as no element matching"));
            return (vec![(1.0, None)], assumed);
        }
    };
    if values.iter().any(|v| matches!(v, PacketValue::Absent)) {
        return (vec![(1.0, None)], assumed);
    }
    for e in elements.iter() {
        match key_matches(ctx, e.key(), &values) {
            Answer::Yes => return (vec![(1.0, Some(e))], assumed),
            Answer::Assume(true, why) => {
                assumed.push(format!(
                    "{why} (element {} taken as matching)",
                    e.key().join(" . ")
                ));
                return (vec![(1.0, Some(e))], assumed);
            }
            _ => {}
        }
    }
    (vec![(1.0, None)], assumed)
}

/// `meta random & 2147483647 < 1073741824`, as iptables-nft writes `-m statistic --mode random
/// --probability 0.5`: the share of 31-bit random numbers that satisfy the comparison.
pub(super) fn meta_random(m: &Match) -> Answer {
    let mask = match m.left.bitwise.as_deref() {
        None => u64::from(u32::MAX),
        Some(ops) => match bitwise(u64::from(u32::MAX), ops) {
            Some(v) => v,
            None => return Answer::Assume(true, format!("`meta random {ops}` cannot be read")),
        },
    };
    // The masked values are 0 ..= mask when the mask is all low bits (what iptables-nft writes).
    if mask == 0 || (mask & (mask + 1)) != 0 {
        return Answer::Assume(true, "`meta random` with an unusual mask".to_string());
    }
    let range = (mask + 1) as f64;
    let Value::Single(v) = &m.right else {
        return Answer::Assume(true, "`meta random` compared with a set".to_string());
    };
    let Some(n) = parse_num(v, NumKind::Plain) else {
        return Answer::Assume(true, format!("the value {v} cannot be read"));
    };
    let n = n.min(mask + 1) as f64;
    let below = |k: f64| (k / range).clamp(0.0, 1.0);
    let p = match m.op {
        Op::Lt => below(n),
        Op::Le => below(n + 1.0),
        Op::Gt => 1.0 - below(n + 1.0),
        Op::Ge => 1.0 - below(n),
        Op::Eq => below(1.0).min(1.0),
        Op::Ne => 1.0 - below(1.0),
    };
    Answer::Odds(
        p,
        format!(
            "meta random {} {v}",
            m.left.bitwise.as_deref().unwrap_or("")
        )
        .replace("  ", " "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(ip_matches("10.0.0.0/8", ip("10.1.2.3")), Some(true));
        assert_eq!(ip_matches("10.0.0.1-10.0.0.9", ip("10.0.0.5")), Some(true));
        assert_eq!(
            ip_matches("10.0.0.1-10.0.0.9", ip("10.0.0.10")),
            Some(false)
        );
        assert_eq!(ip_matches("nonsense", ip("10.0.0.10")), None);
        assert_eq!(num_matches("tcp", 6, NumKind::Proto), Some(true));
        assert_eq!(num_matches("udp", 6, NumKind::Proto), Some(false));
        assert_eq!(num_matches("30000-32767", 30001, NumKind::Port), Some(true));
        assert_eq!(
            num_matches("0x00004000", 0x4000, NumKind::Plain),
            Some(true)
        );
        assert_eq!(bitwise(0x4001, "& 0x00004000"), Some(0x4000));
        assert_eq!(bitwise(0x4000, "xor 0x4000"), Some(0));
        assert_eq!(bitwise(1, "or 0x4000 and 0x4000"), Some(0x4000));
        assert_eq!(iface_pattern("\"veth*\""), "veth+");
    }
}
