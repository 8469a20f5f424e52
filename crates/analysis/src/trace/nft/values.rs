//! Packet values and matches of the nft walk: what a selector (`ip daddr`, `th dport`, `ct mark` …)
//! gives for the traced packet, comparisons, sets with concatenations and intervals, and verdict maps
//! (with `numgen` shares).

use std::net::IpAddr;

use svcpath_syntax::nft::{
    Element, ElementValue, Lookup, MapRef, Match, Op, Selector, Set, Value, Verdict as NftVerdict,
};

use super::super::addr::{self, Cidr};
use super::super::eval::{in_link, interface_match, out_link, M};
use super::super::walk::{Branch, Engine, Hook, Link};
use super::walk::meta_random;
use super::{iface_pattern, norm, Hooks};
use crate::model::Protocol;

/// A packet-side value of a selector.
pub(super) enum PV {
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

impl Engine<'_> {
    /// One value of the packet for a selector part (`ip daddr`, `th dport`, `ct state` …), or why it
    /// cannot be known.
    pub(super) fn packet_value(&self, b: &Branch, part: &str) -> Result<PV, String> {
        let ctx = self.ctx;
        let hook = b.hook;
        let part = norm(part);
        let v6 = b.dst.is_ipv6();
        let l4 = |want: &str| Protocol::parse(want) == Some(ctx.protocol);
        Ok(match part.as_str() {
            "ip daddr" | "ip6 daddr" => {
                if (part == "ip6 daddr") != v6 {
                    PV::Absent
                } else {
                    PV::Ip(b.dst)
                }
            }
            "ip saddr" | "ip6 saddr" => {
                if (part == "ip6 saddr") != v6 {
                    PV::Absent
                } else {
                    PV::Ip(b.src)
                }
            }
            "meta l4proto" | "ip protocol" | "ip6 nexthdr" => {
                PV::Num(proto_number(ctx.protocol), NumKind::Proto)
            }
            "meta nfproto" => PV::Name(if v6 { "ipv6" } else { "ipv4" }.to_string()),
            "meta protocol" => PV::Name(if v6 { "ip6" } else { "ip" }.to_string()),
            "ip version" => PV::Num(if v6 { 6 } else { 4 }, NumKind::Plain),
            "th dport" => PV::Num(u64::from(b.dport), NumKind::Port),
            "tcp dport" | "udp dport" | "sctp dport" => {
                let proto = part.split(' ').next().unwrap_or("");
                if l4(proto) {
                    PV::Num(u64::from(b.dport), NumKind::Port)
                } else {
                    PV::Absent
                }
            }
            "udplite dport" | "dccp dport" => PV::Absent,
            "th sport" | "tcp sport" | "udp sport" | "sctp sport" => {
                let proto = part.split(' ').next().unwrap_or("");
                if proto != "th" && !l4(proto) {
                    PV::Absent
                } else {
                    return Err("the source port is not known".to_string());
                }
            }
            "meta mark" | "mark" => PV::Num(u64::from(b.mark), NumKind::Plain),
            "ct mark" => PV::Num(u64::from(b.ctmark), NumKind::Plain),
            "ct state" => PV::Flags(vec![if b.untracked { "untracked" } else { "new" }]),
            "ct status" => {
                let mut f = Vec::new();
                if b.dnat {
                    f.push("dnat");
                }
                if b.snat {
                    f.push("snat");
                }
                PV::Flags(f)
            }
            "ct direction" => PV::Name("original".to_string()),
            "iifname" | "meta iifname" | "iif" | "meta iif" => PV::Link(in_link(b, hook), false),
            "oifname" | "meta oifname" | "oif" | "meta oif" => PV::Link(out_link(b, hook), true),
            "meta pkttype" | "pkttype" => PV::Name(
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
                PV::Absent
            }
            p if p.starts_with("fib ") && p.ends_with(" type") => {
                let ip = if p.contains("saddr") { b.src } else { b.dst };
                if p.contains(" oif") || p.contains(" iif") && p.contains("saddr") {
                    return Err(format!("`{p}` depends on the routing table"));
                }
                PV::Name(
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
    pub(super) fn part_matches(&self, pattern: &str, v: &PV) -> M {
        let pattern = pattern.trim();
        let unreadable = || M::Assume(true, format!("the value {pattern} cannot be read"));
        match v {
            PV::Absent => M::No,
            PV::Ip(ip) => match ip_matches(pattern, *ip) {
                Some(b) => M::from_bool(b),
                None => unreadable(),
            },
            PV::Num(n, kind) => match num_matches(pattern, *n, *kind) {
                Some(b) => M::from_bool(b),
                None => unreadable(),
            },
            PV::Flags(flags) => M::from_bool(
                flags
                    .iter()
                    .any(|f| f.eq_ignore_ascii_case(pattern.trim_matches('"'))),
            ),
            PV::Name(name) => M::from_bool(name.eq_ignore_ascii_case(pattern.trim_matches('"'))),
            PV::Link(link, outgoing) => {
                let pat = iface_pattern(pattern);
                if pat == "lo" {
                    return M::from_bool(*link == Link::Loopback);
                }
                interface_match(self.ctx, &pat, *link, *outgoing)
            }
        }
    }

    /// Whether an element key (its parts) matches the packet's values, part by part.
    pub(super) fn key_matches(&self, key: &[String], values: &[PV]) -> M {
        if key.len() != values.len() {
            // A single value written with ` . ` inside one part.
            let joined = key.join(" . ");
            let parts: Vec<String> = joined.split(" . ").map(str::to_string).collect();
            if parts.len() != values.len() {
                return M::Assume(
                    false,
                    format!("the key `{joined}` does not fit the selector"),
                );
            }
            return self.key_matches(&parts, values);
        }
        let mut assumed: Option<String> = None;
        for (k, v) in key.iter().zip(values) {
            match self.part_matches(k, v) {
                M::Yes => {}
                M::No => return M::No,
                M::Assume(true, why) => assumed = Some(why),
                M::Assume(false, why) => return M::Assume(false, why),
                M::Odds(..) => {}
            }
        }
        match assumed {
            Some(why) => M::Assume(true, why),
            None => M::Yes,
        }
    }

    /// The packet's values for a selector, or why they cannot be known.
    pub(super) fn selector_values(&self, b: &Branch, sel: &Selector) -> Result<Vec<PV>, String> {
        let mut out = Vec::new();
        for part in &sel.parts {
            let mut v = self.packet_value(b, part)?;
            if let Some(ops) = &sel.bitwise {
                if let PV::Num(n, kind) = v {
                    v = PV::Num(
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
    pub(super) fn nft_match(&self, b: &Branch, ti: usize, hooks: &Hooks<'_>, m: &Match) -> M {
        if let Some(ng) = m.left.numgen {
            if ng.modulus == 0 {
                return M::Assume(true, "numgen mod 0".to_string());
            }
            // The share of generated numbers that satisfy the comparison.
            let mut hits = 0u64;
            for i in 0..u64::from(ng.modulus.min(65_536)) {
                let v = PV::Num(i + u64::from(ng.offset), NumKind::Plain);
                let one = match &m.right {
                    Value::Single(s) => self.compare(m.op, s, &v),
                    Value::List(l) => {
                        M::from_bool(l.iter().any(|s| matches!(self.part_matches(s, &v), M::Yes)))
                    }
                    Value::Set(els) => M::from_bool(els.iter().any(|e| {
                        matches!(self.key_matches(&e.key, std::slice::from_ref(&v)), M::Yes)
                    })),
                    Value::SetRef(_) => {
                        return M::Assume(true, "numgen compared with a named set".to_string())
                    }
                };
                let yes = matches!(one, M::Yes);
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
            return M::Odds(p, why);
        }
        if m.left.parts.len() == 1 && m.left.text() == "meta random" {
            return meta_random(m);
        }
        let values = match self.selector_values(b, &m.left) {
            Ok(v) => v,
            Err(why) => return M::Assume(true, why),
        };
        if values.iter().any(|v| matches!(v, PV::Absent)) {
            return M::No;
        }
        let negated = m.op == Op::Ne;
        match &m.right {
            Value::Single(s) => {
                if values.len() > 1 {
                    let parts: Vec<String> = s.split(" . ").map(str::to_string).collect();
                    return self.key_matches(&parts, &values).negate(negated);
                }
                match values.first() {
                    Some(v) => self.compare(m.op, s, v),
                    None => M::Assume(true, "an empty selector".to_string()),
                }
            }
            Value::List(list) => {
                let Some(v) = values.first() else {
                    return M::Assume(true, "an empty selector".to_string());
                };
                let mut out = M::No;
                for s in list {
                    match self.part_matches(s, v) {
                        M::Yes => {
                            out = M::Yes;
                            break;
                        }
                        M::Assume(a, why) => out = M::Assume(a, why),
                        _ => {}
                    }
                }
                out.negate(negated)
            }
            Value::Set(elements) => self
                .set_contains(b, elements, &values, None)
                .negate(negated),
            Value::SetRef(name) => {
                let Some(set) = hooks.tables.get(ti).and_then(|t| t.set(name)) else {
                    return M::Assume(true, format!("the set @{name} is not in the paste"));
                };
                self.set_contains(b, &set.elements, &values, Some(set))
                    .negate(negated)
            }
        }
    }

    /// A comparison with one value (`==`, `!=`, `<` …).
    pub(super) fn compare(&self, op: Op, s: &str, v: &PV) -> M {
        match op {
            Op::Eq => self.part_matches(s, v),
            Op::Ne => self.part_matches(s, v).negate(true),
            _ => {
                let PV::Num(n, kind) = v else {
                    return M::Assume(true, format!("an ordering comparison with {s}"));
                };
                let Some(x) = parse_num(s, *kind) else {
                    return M::Assume(true, format!("the value {s} cannot be read"));
                };
                M::from_bool(match op {
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
        &self,
        b: &Branch,
        elements: &[Element],
        values: &[PV],
        set: Option<&Set>,
    ) -> M {
        if let Some(set) = set {
            if b.history.iter().any(|h| h == &set.name) {
                return M::Yes;
            }
        }
        let mut out = M::No;
        for e in elements {
            match self.key_matches(&e.key, values) {
                M::Yes => return M::Yes,
                M::Assume(true, why) => out = M::Assume(true, why),
                _ => {}
            }
        }
        out
    }

    /// A verdict-map lookup: each way it can go with its share (`None` when no element matches).
    #[allow(clippy::type_complexity)]
    pub(super) fn vmap(
        &self,
        b: &Branch,
        ti: usize,
        hooks: &Hooks<'_>,
        l: &Lookup,
    ) -> (Vec<(f64, Option<(NftVerdict, u32, String)>)>, Vec<String>) {
        let (ways, mut assumed) = self.map_ways(b, ti, hooks, &l.key, &l.map);
        let numgen = l.key.numgen.is_some();
        let ways = ways
            .into_iter()
            .map(|(p, e)| {
                let what = e.and_then(|e| match &e.value {
                    Some(ElementValue::Verdict(v)) => Some((v.clone(), e.line, e.key.join(" . "))),
                    _ => {
                        if !numgen {
                            assumed.push(format!(
                                "the element {} holds no verdict",
                                e.key.join(" . ")
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
        &self,
        b: &Branch,
        ti: usize,
        hooks: &'r Hooks<'_>,
        key: &Selector,
        map: &'r MapRef,
    ) -> (Vec<(f64, Option<&'r Element>)>, Vec<String>) {
        let mut assumed = Vec::new();
        let elements: &'r [Element] = match map {
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
            let mut shares: Vec<(f64, Option<&'r Element>)> = Vec::new();
            let mut covered = 0u64;
            for e in elements {
                let k = e.key.join(" . ");
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
        let values = match self.selector_values(b, key) {
            Ok(v) => v,
            Err(why) => {
                assumed.push(format!("{why}: taken as no element matching"));
                return (vec![(1.0, None)], assumed);
            }
        };
        if values.iter().any(|v| matches!(v, PV::Absent)) {
            return (vec![(1.0, None)], assumed);
        }
        for e in elements {
            match self.key_matches(&e.key, &values) {
                M::Yes => return (vec![(1.0, Some(e))], assumed),
                M::Assume(true, why) => {
                    assumed.push(format!(
                        "{why} (element {} taken as matching)",
                        e.key.join(" . ")
                    ));
                    return (vec![(1.0, Some(e))], assumed);
                }
                _ => {}
            }
        }
        (vec![(1.0, None)], assumed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::iface_pattern;
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
