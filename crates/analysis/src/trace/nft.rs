//! The nftables side of the tracer: base chains found by hook and priority in every table of the
//! packet's family (with the iptables tables of the paste placed among them at their priorities), and
//! the walk of one nft base chain — matches on addresses, protocols, ports, marks, conntrack state and
//! `fib`, named and anonymous sets and maps with concatenations and intervals, verdict maps,
//! `numgen` splits with exact odds, NAT, mark and set-update statements.
//!
//! What cannot be evaluated (an unknown expression, an `xt` match, a source port) is assumed, shown in
//! the steps, and the outcome marked `uncertain`.

use std::collections::HashMap;
use std::net::IpAddr;

use svcpath_syntax::nft::{
    Chain, Element, ElementValue, Expr, Lookup, MapRef, Match, Nat, NatKind, Op, Rule, Ruleset,
    Selector, Set, Table, Value, Verdict as NftVerdict,
};

use super::addr::{self, Cidr};
use super::eval::{in_link, interface_match, out_link, M};
use super::net::Net;
use super::walk::{percent, Branch, Engine, Hook, Link, Rewrite, Verdict, MAX_DEPTH, MAX_WORK};
use crate::report::Protocol;

/// One frame of the nft chain stack: a chain of a table and the next rule to run in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NftFrame {
    table: usize,
    chain: usize,
    next: usize,
}

/// A base chain of a hook: an iptables table (by index into the iptables view) or an nft chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Iptables(usize),
    Nft { table: usize, chain: usize },
}

/// One entry of a hook's list, in the kernel's order (lowest priority first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookChain {
    pub base: Base,
    pub priority: i32,
    /// A nat chain (consulted for the first packet of a connection only).
    pub nat: bool,
}

/// An nft table with its chains and sets indexed by name.
#[derive(Debug)]
pub struct NftTable<'a> {
    pub table: &'a Table,
    /// `ip kube-proxy`.
    pub label: String,
    chains: HashMap<&'a str, usize>,
    sets: HashMap<&'a str, &'a Set>,
}

impl<'a> NftTable<'a> {
    fn new(table: &'a Table) -> NftTable<'a> {
        let mut chains = HashMap::new();
        for (i, c) in table.chains.iter().enumerate() {
            chains.entry(c.name.as_str()).or_insert(i);
        }
        let mut sets = HashMap::new();
        for s in &table.sets {
            sets.entry(s.name.as_str()).or_insert(s);
        }
        NftTable {
            table,
            label: table.label(),
            chains,
            sets,
        }
    }

    fn chain(&self, name: &str) -> Option<usize> {
        self.chains.get(name).copied()
    }

    fn set(&self, name: &str) -> Option<&'a Set> {
        self.sets.get(name).copied()
    }
}

/// The base chains of every hook for one address family.
#[derive(Debug)]
pub struct Hooks<'a> {
    pub tables: Vec<NftTable<'a>>,
    lists: [Vec<HookChain>; 5],
    iptables_names: Vec<&'a str>,
    /// How the hooks were put together (tables skipped, the order of base chains).
    pub notes: Vec<String>,
}

fn hook_index(hook: Hook) -> usize {
    match hook {
        Hook::Prerouting => 0,
        Hook::Input => 1,
        Hook::Forward => 2,
        Hook::Output => 3,
        Hook::Postrouting => 4,
    }
}

const HOOKS: [Hook; 5] = [
    Hook::Prerouting,
    Hook::Input,
    Hook::Forward,
    Hook::Output,
    Hook::Postrouting,
];

fn nft_hook(name: &str) -> Option<Hook> {
    Some(match name {
        "prerouting" => Hook::Prerouting,
        "input" => Hook::Input,
        "forward" => Hook::Forward,
        "output" => Hook::Output,
        "postrouting" => Hook::Postrouting,
        _ => return None,
    })
}

/// The priority of an iptables table at a hook (the `NF_IP_PRI_*` values), for the tables each hook has.
fn iptables_priority(table: &str, hook: Hook) -> Option<i32> {
    Some(match (table, hook) {
        ("raw", Hook::Prerouting | Hook::Output) => -300,
        ("mangle", _) => -150,
        ("nat", Hook::Prerouting | Hook::Output) => -100,
        ("nat", Hook::Input | Hook::Postrouting) => 100,
        ("filter", Hook::Input | Hook::Forward | Hook::Output) => 0,
        ("security", Hook::Input | Hook::Forward | Hook::Output) => 50,
        _ => return None,
    })
}

impl<'a> Hooks<'a> {
    /// The hooks of one family, or `None` when no nft table of the family has a base chain on the
    /// five IP hooks (then the iptables tables are walked as before).
    pub fn build(rulesets: &[&'a Ruleset], ipv6: bool, ipt: &Net<'a>) -> Option<Hooks<'a>> {
        let mut notes = Vec::new();
        let mut tables = Vec::new();
        for ruleset in rulesets {
            for table in &ruleset.tables {
                let family_ok = match table.family.as_str() {
                    "ip" => !ipv6,
                    "ip6" => ipv6,
                    "inet" => true,
                    _ => false,
                };
                if !family_ok {
                    continue;
                }
                if tables.iter().any(|t: &NftTable<'_>| {
                    t.table.family == table.family && t.table.name == table.name
                }) {
                    notes.push(format!(
                        "the nft table {} appears in more than one section; the first one is traced",
                        table.label()
                    ));
                    continue;
                }
                let mirrors_iptables = matches!(table.family.as_str(), "ip" | "ip6")
                    && matches!(
                        table.name.as_str(),
                        "filter" | "nat" | "mangle" | "raw" | "security"
                    )
                    && ipt.table(&table.name).is_some();
                if mirrors_iptables {
                    notes.push(format!(
                        "the nft table {} is the iptables-nft view of the {} table the paste also shows as iptables-save; the iptables-save rules are traced",
                        table.label(),
                        table.name
                    ));
                    continue;
                }
                tables.push(NftTable::new(table));
            }
        }
        let mut lists: [Vec<HookChain>; 5] = Default::default();
        for (ti, view) in ipt.tables.iter().enumerate() {
            for hook in HOOKS {
                if view.chain_index(hook.name()).is_none() {
                    continue;
                }
                if let Some(priority) = iptables_priority(view.name, hook) {
                    lists[hook_index(hook)].push(HookChain {
                        base: Base::Iptables(ti),
                        priority,
                        nat: view.name == "nat",
                    });
                }
            }
        }
        let mut any = false;
        for (ti, t) in tables.iter().enumerate() {
            for (ci, chain) in t.table.chains.iter().enumerate() {
                let Some(base) = &chain.base else { continue };
                let Some(hook) = nft_hook(&base.hook) else {
                    continue;
                };
                if t.chain(&chain.name) != Some(ci) {
                    continue;
                }
                let priority = match base.priority {
                    Some(p) => p,
                    None => {
                        notes.push(format!(
                            "the priority `{}` of {} {} cannot be read; 0 is assumed",
                            base.priority_text, t.label, chain.name
                        ));
                        0
                    }
                };
                any = true;
                lists[hook_index(hook)].push(HookChain {
                    base: Base::Nft {
                        table: ti,
                        chain: ci,
                    },
                    priority,
                    nat: base.kind == "nat",
                });
            }
        }
        if !any {
            return None;
        }
        // NAT chains (nft's and iptables' nat table) do not sit on the hook at their own priority:
        // the kernel registers one NAT hook at -100 (prerouting, output) or 100 (input, postrouting)
        // and runs the nat chains from there, ordered by their own priorities. At equal priority the
        // kernel runs the chain registered last first: a listing shows tables and chains in the order
        // they were created, so a later one comes first; the iptables tables are taken as created
        // before the nft tables (the list is built with them first, so a stable sort on the position
        // key puts them last).
        let mut ties = Vec::new();
        for (i, list) in lists.iter_mut().enumerate() {
            let nat_point = if matches!(HOOKS.get(i), Some(Hook::Input | Hook::Postrouting)) {
                100
            } else {
                -100
            };
            let key = |h: &HookChain| {
                if h.nat {
                    (nat_point, h.priority)
                } else {
                    (h.priority, i32::MIN)
                }
            };
            let rank = |h: &HookChain| match h.base {
                Base::Iptables(_) => (1, 0, 0),
                Base::Nft { table, chain } => (0, usize::MAX - table, usize::MAX - chain),
            };
            list.sort_by_key(|h| (key(h), rank(h)));
            for pair in list.windows(2) {
                if let [a, b] = pair {
                    if key(a) == key(b) {
                        ties.push((i, *a, *b));
                    }
                }
            }
        }
        let iptables_names = ipt.tables.iter().map(|t| t.name).collect();
        let mut hooks = Hooks {
            tables,
            lists,
            iptables_names,
            notes,
        };
        if !ties.is_empty() {
            let pairs: Vec<String> = ties
                .iter()
                .map(|&(i, a, b)| {
                    format!(
                        "{} {} before {}",
                        HOOKS.get(i).map(|h| h.name()).unwrap_or("?"),
                        hooks.describe(a),
                        hooks.describe(b)
                    )
                })
                .collect();
            hooks.notes.push(format!(
                "base chains of equal priority run in an order the dump does not show (the kernel runs the one registered last first); taken as the later one in the listing first, iptables tables as older than nft tables: {}",
                pairs.join("; ")
            ));
        }
        for hook in HOOKS {
            let order: Vec<String> = hooks
                .list(hook)
                .iter()
                .map(|&h| {
                    if h.nat {
                        format!(
                            "{} (nat {}, run from the NAT hook)",
                            hooks.describe(h),
                            h.priority
                        )
                    } else {
                        format!("{} ({})", hooks.describe(h), h.priority)
                    }
                })
                .collect();
            if !order.is_empty() {
                hooks.notes.push(format!(
                    "{} runs, by priority: {}",
                    hook.name(),
                    order.join(", ")
                ));
            }
        }
        Some(hooks)
    }

    pub fn list(&self, hook: Hook) -> &[HookChain] {
        &self.lists[hook_index(hook)]
    }

    /// `nft ip kube-proxy nat-prerouting` or `iptables nat`.
    pub fn describe(&self, h: HookChain) -> String {
        match h.base {
            Base::Iptables(ti) => format!(
                "iptables {}",
                self.iptables_names.get(ti).copied().unwrap_or("?")
            ),
            Base::Nft { table, chain } => {
                let t = self.tables.get(table);
                format!(
                    "{} {}",
                    t.map(|t| t.label.as_str()).unwrap_or("?"),
                    t.and_then(|t| t.table.chains.get(chain))
                        .map(|c| c.name.as_str())
                        .unwrap_or("?")
                )
            }
        }
    }

    /// Every address a `dnat to` statement sends to.
    pub fn dnat_addresses(&self) -> Vec<IpAddr> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for t in &self.tables {
            for chain in &t.table.chains {
                for rule in &chain.rules {
                    for e in &rule.exprs {
                        if let Expr::Nat(n) = e {
                            if n.kind != NatKind::Dnat {
                                continue;
                            }
                            if let Some(ip) = nat_target(n).and_then(|t| t.ip) {
                                if seen.insert(ip) {
                                    out.push(ip);
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Interface names the nft rules compare with (`iifname "cni0"`, `oifname "eth*"` as `eth+`).
    pub fn interface_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in &self.tables {
            for chain in &t.table.chains {
                for rule in &chain.rules {
                    for m in rule.matches() {
                        let [part] = m.left.parts.as_slice() else {
                            continue;
                        };
                        if !matches!(
                            norm(part).as_str(),
                            "iifname" | "oifname" | "meta iifname" | "meta oifname"
                        ) {
                            continue;
                        }
                        let values = match &m.right {
                            Value::Single(v) => vec![v.clone()],
                            Value::List(v) => v.clone(),
                            Value::Set(els) => {
                                els.iter().filter_map(|e| e.key.first().cloned()).collect()
                            }
                            Value::SetRef(_) => Vec::new(),
                        };
                        for v in values {
                            let name = iface_pattern(&v);
                            if !name.is_empty() && !out.contains(&name) {
                                out.push(name);
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// An nft interface name as an iptables pattern: quotes dropped, a trailing `*` becomes `+`.
fn iface_pattern(v: &str) -> String {
    let v = v.trim().trim_matches('"');
    match v.strip_suffix('*') {
        Some(prefix) => format!("{prefix}+"),
        None => v.to_string(),
    }
}

fn nat_target(n: &Nat) -> Option<addr::NatTo> {
    if let Some(a) = &n.address {
        if let Some(ip) = addr::parse_ip(a) {
            return Some(addr::NatTo {
                ip: Some(ip),
                port: n.port,
                range: false,
            });
        }
    }
    n.to.as_deref().and_then(addr::parse_nat_to)
}

/// Whitespace collapsed.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a rule's walk does next.
enum Act {
    /// The rule did not match, or matched without a verdict: the next rule.
    Next,
    /// `accept` (or a NAT statement): this base chain lets the packet pass.
    Accept,
    Drop,
    Reject,
    Return,
    Jump(String),
    Goto(String),
}

/// Where a piece of work resumes.
enum Resume {
    /// At the next rule of the top frame.
    NextRule,
    /// Apply this verdict (chosen by a verdict map), the rule's line already recorded.
    Apply(Act),
}

/// A packet-side value of a selector.
enum PV {
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
enum NumKind {
    Plain,
    Proto,
    Port,
}

fn proto_number(p: Protocol) -> u64 {
    match p {
        Protocol::Tcp => 6,
        Protocol::Udp => 17,
        Protocol::Sctp => 132,
    }
}

fn parse_num(s: &str, kind: NumKind) -> Option<u64> {
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
fn bitwise(value: u64, ops: &str) -> Option<u64> {
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
fn ip_matches(pattern: &str, ip: IpAddr) -> Option<bool> {
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

fn num_matches(pattern: &str, n: u64, kind: NumKind) -> Option<bool> {
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
    fn packet_value(&self, b: &Branch, part: &str) -> Result<PV, String> {
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
    fn part_matches(&self, pattern: &str, v: &PV) -> M {
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
    fn key_matches(&self, key: &[String], values: &[PV]) -> M {
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
    fn selector_values(&self, b: &Branch, sel: &Selector) -> Result<Vec<PV>, String> {
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
    fn nft_match(&self, b: &Branch, ti: usize, hooks: &Hooks<'_>, m: &Match) -> M {
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
    fn compare(&self, op: Op, s: &str, v: &PV) -> M {
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
    fn set_contains(
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
    fn vmap(
        &self,
        b: &Branch,
        ti: usize,
        hooks: &Hooks<'_>,
        l: &Lookup,
    ) -> (Vec<(f64, Option<(NftVerdict, u32, String)>)>, Vec<String>) {
        let mut assumed = Vec::new();
        let elements: &[Element] = match &l.map {
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
        let verdict_of = |e: &Element| -> Option<NftVerdict> {
            match &e.value {
                Some(ElementValue::Verdict(v)) => Some(v.clone()),
                _ => None,
            }
        };
        if let Some(ng) = l.key.numgen {
            // numgen gives offset .. offset + modulus - 1, each equally often; each element's share
            // is how many of those its key (a number or a range) covers, in one pass over the map.
            let modulus = u64::from(ng.modulus.max(1));
            let (lo, hi) = (u64::from(ng.offset), u64::from(ng.offset) + modulus - 1);
            let mut shares: Vec<(f64, Option<(NftVerdict, u32, String)>)> = Vec::new();
            let mut covered = 0u64;
            for e in elements {
                let key = e.key.join(" . ");
                let (a, b) = match key.split_once('-') {
                    Some((a, b)) => (parse_num(a, NumKind::Plain), parse_num(b, NumKind::Plain)),
                    None => (
                        parse_num(&key, NumKind::Plain),
                        parse_num(&key, NumKind::Plain),
                    ),
                };
                let (Some(a), Some(b)) = (a, b) else {
                    assumed.push(format!("the map key {key} cannot be read; it is left out"));
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
                let what = verdict_of(e).map(|vd| (vd, e.line, key));
                shares.push((count as f64 / modulus as f64, what));
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
        if l.key
            .parts
            .iter()
            .any(|p| p.starts_with("jhash") || p.starts_with("symhash"))
        {
            assumed.push(format!(
                "`{}` hashes the packet; the first element is taken",
                l.key.text()
            ));
            let first = elements
                .first()
                .and_then(|e| verdict_of(e).map(|v| (v, e.line, String::new())));
            return (vec![(1.0, first)], assumed);
        }
        let values = match self.selector_values(b, &l.key) {
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
                M::Yes => {
                    let what = verdict_of(e).map(|v| (v, e.line, e.key.join(" . ")));
                    if what.is_none() {
                        assumed.push(format!(
                            "the element {} holds no verdict",
                            e.key.join(" . ")
                        ));
                    }
                    return (vec![(1.0, what)], assumed);
                }
                M::Assume(true, why) => {
                    assumed.push(format!(
                        "{why} (element {} taken as matching)",
                        e.key.join(" . ")
                    ));
                    let what = verdict_of(e).map(|v| (v, e.line, e.key.join(" . ")));
                    return (vec![(1.0, what)], assumed);
                }
                _ => {}
            }
        }
        (vec![(1.0, None)], assumed)
    }

    /// Walks one nft base chain (and what it jumps to) for a branch.
    pub(super) fn run_nft(
        &mut self,
        mut b: Branch,
        hooks: &Hooks<'_>,
        ti: usize,
        ci: usize,
    ) -> Vec<Branch> {
        b.nft_frames = vec![NftFrame {
            table: ti,
            chain: ci,
            next: 0,
        }];
        let base_chain = hooks.tables.get(ti).and_then(|t| t.table.chains.get(ci));
        let mut work: Vec<(Branch, Resume)> = vec![(b, Resume::NextRule)];
        let mut out = Vec::new();
        while let Some((mut b, mut resume)) = work.pop() {
            loop {
                self.work += 1;
                if self.work > MAX_WORK {
                    self.note(format!("stopped after {MAX_WORK} rule evaluations"));
                    b.uncertain = true;
                    b.verdict = Some(Verdict::Drop);
                    b.hook_step("svcpath stopped following this path (work limit)".to_string());
                    out.push(b);
                    break;
                }
                let Some(frame) = b.nft_frames.last().copied() else {
                    out.push(b);
                    break;
                };
                let Some(table) = hooks.tables.get(frame.table) else {
                    out.push(b);
                    break;
                };
                let Some(chain) = table.table.chains.get(frame.chain) else {
                    out.push(b);
                    break;
                };
                let act = match std::mem::replace(&mut resume, Resume::NextRule) {
                    Resume::Apply(act) => act,
                    Resume::NextRule => {
                        let Some(rule) = chain.rules.get(frame.next) else {
                            // End of a chain: back to the caller, or the base chain's policy.
                            b.nft_frames.pop();
                            if b.nft_frames.is_empty() {
                                self.nft_policy(&mut b, table, base_chain);
                                out.push(b);
                                break;
                            }
                            continue;
                        };
                        if let Some(f) = b.nft_frames.last_mut() {
                            f.next += 1;
                        }
                        self.nft_rule(&mut b, hooks, frame.table, chain, rule, 0, &mut work)
                    }
                };
                let hook = b.hook.name();
                match act {
                    Act::Next => {}
                    Act::Accept => {
                        b.nft_frames.clear();
                        out.push(b);
                        break;
                    }
                    Act::Drop => {
                        b.nft_frames.clear();
                        b.verdict = Some(Verdict::Drop);
                        out.push(b);
                        break;
                    }
                    Act::Reject => {
                        b.nft_frames.clear();
                        b.verdict = Some(Verdict::Reject);
                        out.push(b);
                        break;
                    }
                    Act::Return => {
                        b.nft_frames.pop();
                        if b.nft_frames.is_empty() {
                            self.nft_policy(&mut b, table, base_chain);
                            out.push(b);
                            break;
                        }
                    }
                    Act::Jump(ref name) | Act::Goto(ref name) if table.chain(name).is_none() => {
                        b.uncertain = true;
                        b.step(
                            hook,
                            &table.label,
                            &chain.name,
                            None,
                            format!(
                                "{name} is not a chain of {} in the paste; the rule is skipped",
                                table.label
                            ),
                        );
                    }
                    Act::Jump(ref name) | Act::Goto(ref name) => {
                        let goto = matches!(act, Act::Goto(_));
                        let Some(target) = table.chain(name) else {
                            continue;
                        };
                        if b.nft_frames
                            .iter()
                            .any(|f| f.table == frame.table && f.chain == target)
                        {
                            b.uncertain = true;
                            b.step(
                                hook,
                                &table.label,
                                &chain.name,
                                None,
                                format!(
                                    "{name} is already being walked: a loop (nft would refuse it)"
                                ),
                            );
                            b.verdict = Some(Verdict::Drop);
                            out.push(b);
                            break;
                        }
                        if b.nft_frames.len() >= MAX_DEPTH {
                            b.uncertain = true;
                            b.step(
                                hook,
                                &table.label,
                                &chain.name,
                                None,
                                format!("chain stack deeper than {MAX_DEPTH}; svcpath stops here"),
                            );
                            b.verdict = Some(Verdict::Drop);
                            out.push(b);
                            break;
                        }
                        if goto {
                            b.nft_frames.pop();
                        }
                        b.nft_frames.push(NftFrame {
                            table: frame.table,
                            chain: target,
                            next: 0,
                        });
                    }
                }
            }
        }
        out
    }

    /// The end of a base chain: its policy decides.
    fn nft_policy(&mut self, b: &mut Branch, table: &NftTable<'_>, base: Option<&Chain>) {
        let Some(chain) = base else { return };
        let policy = chain
            .base
            .as_ref()
            .and_then(|bc| bc.policy.as_deref())
            .unwrap_or("accept");
        let hook = b.hook.name();
        match policy {
            "accept" => {}
            "drop" => {
                b.step(
                    hook,
                    &table.label,
                    &chain.name,
                    chain.base.as_ref().map(|bc| bc.line),
                    format!("end of {}: policy drop", chain.name),
                );
                b.verdict = Some(Verdict::Drop);
            }
            other => {
                b.uncertain = true;
                b.step(
                    hook,
                    &table.label,
                    &chain.name,
                    None,
                    format!("policy {other} is not understood; taken as accept"),
                );
            }
        }
        b.nft_frames.clear();
    }

    /// Runs one rule from expression `start`: matches, statements and its verdict. Splits (a
    /// `numgen` map, an odds match) push the other ways onto `work`.
    #[allow(clippy::too_many_arguments)]
    fn nft_rule(
        &mut self,
        b: &mut Branch,
        hooks: &Hooks<'_>,
        ti: usize,
        chain: &Chain,
        rule: &Rule,
        start: usize,
        work: &mut Vec<(Branch, Resume)>,
    ) -> Act {
        let hook = b.hook;
        let label = hooks
            .tables
            .get(ti)
            .map(|t| t.label.clone())
            .unwrap_or_default();
        let line = (rule.line > 0).then_some(rule.line);
        let suffix = rule
            .comment
            .as_ref()
            .map(|c| format!(" — \"{c}\""))
            .unwrap_or_default();
        let step = |b: &mut Branch, note: String| {
            b.step(hook.name(), &label, &chain.name, line, note);
        };
        let mut recorded = start > 0;
        let record = |b: &mut Branch, recorded: &mut bool| {
            if !*recorded {
                *recorded = true;
                if let Some(l) = line {
                    b.rules.push(l);
                }
            }
        };
        // Assumptions wait until the rule is decided: a later match that certainly fails makes them moot.
        let mut pending: Vec<String> = Vec::new();
        let flush = |b: &mut Branch, pending: &mut Vec<String>| {
            for note in pending.drain(..) {
                b.uncertain = true;
                b.step(hook.name(), &label, &chain.name, line, note);
            }
        };
        for e in rule.exprs.iter().skip(start) {
            if !matches!(
                e,
                Expr::Match(_) | Expr::Counter(_) | Expr::Unknown { .. } | Expr::Xt { .. }
            ) {
                flush(b, &mut pending);
            }
            match e {
                Expr::Counter(_) => {}
                Expr::Match(m) => match self.nft_match(b, ti, hooks, m) {
                    M::Yes => {}
                    M::No => return Act::Next,
                    M::Assume(answer, why) => {
                        pending.push(format!(
                            "assumed: {why}: `{}` taken as {}",
                            m.left.text(),
                            if answer {
                                "matching"
                            } else {
                                "not matching (rule not taken)"
                            }
                        ));
                        if !answer {
                            flush(b, &mut pending);
                            return Act::Next;
                        }
                    }
                    M::Odds(p, why) => {
                        if p <= 0.0 {
                            return Act::Next;
                        }
                        flush(b, &mut pending);
                        if p < 1.0 {
                            if self.can_fork() {
                                let mut other = b.clone();
                                other.prob *= 1.0 - p;
                                other.step(
                                    hook.name(),
                                    &label,
                                    &chain.name,
                                    line,
                                    format!(
                                        "not taken by {} of new connections ({why})",
                                        percent(1.0 - p)
                                    ),
                                );
                                work.push((other, Resume::NextRule));
                                b.prob *= p;
                                step(
                                    b,
                                    format!("taken by {} of new connections ({why})", percent(p)),
                                );
                            } else {
                                b.uncertain = true;
                                if p < 0.5 {
                                    step(
                                        b,
                                        format!("not taken (followed the likelier side of {why})"),
                                    );
                                    return Act::Next;
                                }
                            }
                        }
                    }
                },
                Expr::Lookup(l) if l.verdict_map => {
                    let (ways, assumed) = self.vmap(b, ti, hooks, l);
                    for a in assumed {
                        b.uncertain = true;
                        step(b, format!("assumed: {a}"));
                    }
                    let mut ways = ways.into_iter().filter(|(p, _)| *p > 0.0);
                    let Some(first) = ways.next() else {
                        return Act::Next;
                    };
                    let rest: Vec<_> = ways.collect();
                    let split = !rest.is_empty();
                    let apply = |b: &mut Branch,
                                 (p, what): (f64, Option<(NftVerdict, u32, String)>),
                                 this: &mut Self|
                     -> Option<Act> {
                        match what {
                            None => {
                                if split {
                                    b.step(hook.name(), &label, &chain.name, line, format!("{} of new connections find no element in the map: the rule does not match", percent(p)));
                                }
                                None
                            }
                            Some((v, el_line, key)) => {
                                if let Some(l) = line {
                                    b.rules.push(l);
                                }
                                if el_line > 0 && Some(el_line) != line {
                                    b.rules.push(el_line);
                                }
                                let at = if el_line > 0 && Some(el_line) != line {
                                    format!(" (element at line {el_line})")
                                } else {
                                    String::new()
                                };
                                let how = if split {
                                    format!("{key}{at}, {} of new connections", percent(p))
                                } else {
                                    format!("{key}{at}")
                                };
                                b.step(
                                    hook.name(),
                                    &label,
                                    &chain.name,
                                    line,
                                    format!("{} {how} → {}{suffix}", map_name(l), v.text()),
                                );
                                Some(this.verdict_act(b, &v))
                            }
                        }
                    };
                    for way in rest {
                        if !self.can_fork() {
                            b.uncertain = true;
                            continue;
                        }
                        let mut other = b.clone();
                        other.prob *= way.0;
                        let act = apply(&mut other, way, self);
                        work.push((
                            other,
                            match act {
                                Some(a) => Resume::Apply(a),
                                None => Resume::NextRule,
                            },
                        ));
                    }
                    b.prob *= first.0;
                    return apply(b, first, self).unwrap_or(Act::Next);
                }
                Expr::Lookup(l) => {
                    b.uncertain = true;
                    step(
                        b,
                        format!(
                            "assumed: the map lookup `{} map …` is not modelled; taken as matching",
                            l.key.text()
                        ),
                    );
                }
                Expr::Verdict(v) => {
                    record(b, &mut recorded);
                    step(b, format!("{}{suffix}", v.text()));
                    return self.verdict_act(b, v);
                }
                Expr::Reject { with } => {
                    record(b, &mut recorded);
                    let with = with
                        .as_deref()
                        .map(|w| format!(" with {w}"))
                        .unwrap_or_default();
                    step(
                        b,
                        format!("reject{with}: the client is told at once{suffix}"),
                    );
                    return Act::Reject;
                }
                Expr::Nat(n) => {
                    record(b, &mut recorded);
                    return self.nft_nat(b, &label, chain, line, n, &suffix);
                }
                Expr::Assign { target, value } => {
                    record(b, &mut recorded);
                    let t = norm(target);
                    let cur = match t.as_str() {
                        "meta mark" | "mark" => Some(b.mark),
                        "ct mark" => Some(b.ctmark),
                        _ => None,
                    };
                    let new = cur.and_then(|_| assign_value(b, value));
                    match (t.as_str(), new) {
                        ("meta mark" | "mark", Some(v)) => {
                            step(b, format!("mark {:#x} -> {v:#x}{suffix}", b.mark));
                            b.mark = v;
                        }
                        ("ct mark", Some(v)) => {
                            step(
                                b,
                                format!("connection mark {:#x} -> {v:#x}{suffix}", b.ctmark),
                            );
                            b.ctmark = v;
                        }
                        _ => {
                            b.uncertain = true;
                            step(
                                b,
                                format!("`{target} set {value}` is not modelled; ignored"),
                            );
                        }
                    }
                }
                Expr::SetUpdate { op, set, key } => {
                    record(b, &mut recorded);
                    if matches!(op.as_str(), "update" | "add") && norm(key).ends_with("saddr") {
                        if !b.recent_set.contains(set) {
                            b.recent_set.push(set.clone());
                        }
                        step(b, format!("{op} @{set} {{ {key} }}: the client is remembered (session affinity){suffix}"));
                    } else {
                        step(b, format!("{op} @{set} {{ {key} }}{suffix}"));
                    }
                }
                Expr::Statement { name, args } => {
                    record(b, &mut recorded);
                    match name.as_str() {
                        "notrack" => {
                            b.untracked = true;
                            step(
                                b,
                                format!("notrack: no connection tracking, so no NAT{suffix}"),
                            );
                        }
                        "log" => step(b, format!("log: continues{suffix}")),
                        "limit" | "quota" | "meter" => {
                            b.uncertain = true;
                            step(
                                b,
                                format!("assumed: `{name} {args}` lets this packet through"),
                            );
                        }
                        _ => {
                            b.uncertain = true;
                            step(
                                b,
                                format!("`{name} {args}` is not modelled; taken as continuing"),
                            );
                        }
                    }
                }
                Expr::Xt { what, name } => {
                    pending.push(format!("assumed: `xt {what} {name}` (an iptables extension inside nft) is not evaluated; taken as matching / continuing"));
                }
                Expr::Unknown { text, .. } => {
                    let short: String = text.chars().take(80).collect();
                    pending.push(format!(
                        "assumed: `{short}` is not understood; taken as matching"
                    ));
                }
            }
        }
        flush(b, &mut pending);
        Act::Next
    }

    fn verdict_act(&mut self, b: &mut Branch, v: &NftVerdict) -> Act {
        match v {
            NftVerdict::Accept => Act::Accept,
            NftVerdict::Drop => Act::Drop,
            NftVerdict::Return => Act::Return,
            NftVerdict::Continue => Act::Next,
            NftVerdict::Jump(c) => Act::Jump(c.clone()),
            NftVerdict::Goto(c) => Act::Goto(c.clone()),
            NftVerdict::Other(o) => {
                b.uncertain = true;
                b.hook_step(format!("verdict `{o}` is not modelled; taken as accept"));
                Act::Accept
            }
        }
    }

    fn nft_nat(
        &mut self,
        b: &mut Branch,
        label: &str,
        chain: &Chain,
        line: Option<u32>,
        n: &Nat,
        suffix: &str,
    ) -> Act {
        let hook = b.hook;
        let step =
            |b: &mut Branch, note: String| b.step(hook.name(), label, &chain.name, line, note);
        match n.kind {
            NatKind::Dnat | NatKind::Redirect => {
                if !matches!(hook, Hook::Prerouting | Hook::Output) {
                    b.uncertain = true;
                    step(
                        b,
                        "dnat/redirect outside prerouting/output: nft refuses such a rule; ignored"
                            .to_string(),
                    );
                    return Act::Next;
                }
                let (ip, port, range) = if n.kind == NatKind::Dnat {
                    match nat_target(n) {
                        Some(to) => (to.ip.unwrap_or(b.dst), to.port.unwrap_or(b.dport), to.range),
                        None => {
                            b.uncertain = true;
                            step(
                                b,
                                format!(
                                    "dnat to `{}` cannot be read; the packet is left unchanged",
                                    n.to.as_deref().unwrap_or("")
                                ),
                            );
                            return Act::Accept;
                        }
                    }
                } else {
                    let port = n
                        .port
                        .or_else(|| {
                            n.to.as_deref().and_then(|t| {
                                addr::port_range(t.trim_start_matches(':')).map(|(lo, _)| lo)
                            })
                        })
                        .unwrap_or(b.dport);
                    (self.redirect_address(b), port, false)
                };
                let what = if n.kind == NatKind::Dnat {
                    "dnat"
                } else {
                    "redirect"
                };
                let note = match b.rewrite_destination(ip, port, range) {
                    Rewrite::OtherFamily => "dnat to another address family; ignored".to_string(),
                    Rewrite::Range => format!(
                        "dnat to a range: the kernel picks one; the first, {}, is shown",
                        addr::endpoint(ip, port)
                    ),
                    Rewrite::Exact => format!("{what} to {}{suffix}", addr::endpoint(ip, port)),
                };
                step(b, note);
                Act::Accept
            }
            NatKind::Masquerade | NatKind::Snat => {
                if !matches!(hook, Hook::Postrouting | Hook::Input) {
                    b.uncertain = true;
                    step(b, "snat/masquerade outside postrouting/input: nft refuses such a rule; ignored".to_string());
                    return Act::Next;
                }
                b.snat = true;
                let what = if n.kind == NatKind::Masquerade {
                    "masquerade".to_string()
                } else {
                    format!("snat to {}", n.to.as_deref().unwrap_or("?"))
                };
                step(
                    b,
                    format!("{what}: the source address is rewritten (masqueraded){suffix}"),
                );
                Act::Accept
            }
        }
    }
}

/// `meta random & 2147483647 < 1073741824`, as iptables-nft writes `-m statistic --mode random
/// --probability 0.5`: the share of 31-bit random numbers that satisfy the comparison.
fn meta_random(m: &Match) -> M {
    let mask = match m.left.bitwise.as_deref() {
        None => u64::from(u32::MAX),
        Some(ops) => match bitwise(u64::from(u32::MAX), ops) {
            Some(v) => v,
            None => return M::Assume(true, format!("`meta random {ops}` cannot be read")),
        },
    };
    // The masked values are 0 ..= mask when the mask is all low bits (what iptables-nft writes).
    if mask == 0 || (mask & (mask + 1)) != 0 {
        return M::Assume(true, "`meta random` with an unusual mask".to_string());
    }
    let range = (mask + 1) as f64;
    let Value::Single(v) = &m.right else {
        return M::Assume(true, "`meta random` compared with a set".to_string());
    };
    let Some(n) = parse_num(v, NumKind::Plain) else {
        return M::Assume(true, format!("the value {v} cannot be read"));
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
    M::Odds(
        p,
        format!(
            "meta random {} {v}",
            m.left.bitwise.as_deref().unwrap_or("")
        )
        .replace("  ", " "),
    )
}

fn map_name(l: &Lookup) -> String {
    match &l.map {
        MapRef::Named(n) => format!("{} vmap @{n}:", l.key.text()),
        MapRef::Anonymous(_) => format!("{} vmap:", l.key.text()),
    }
}

/// The value of `meta mark set …` / `ct mark set …`: a number, or `meta mark`/`mark`/`ct mark` with
/// bitwise operations.
fn assign_value(b: &Branch, value: &str) -> Option<u32> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let (base, rest) = match words.as_slice() {
        ["meta", "mark", rest @ ..] => (u64::from(b.mark), rest),
        ["mark", rest @ ..] => (u64::from(b.mark), rest),
        ["ct", "mark", rest @ ..] => (u64::from(b.ctmark), rest),
        [n, rest @ ..] => (parse_num(n, NumKind::Plain)?, rest),
        [] => return None,
    };
    let v = bitwise(base, &rest.join(" "))?;
    u32::try_from(v & u64::from(u32::MAX)).ok()
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
