//! Whether one rule matches a traced packet: the basic matches and the match modules, each either
//! decided, decided with a stated assumption, or split by a probability (`statistic`).

use std::net::IpAddr;

use svcpath_syntax::iptables::{BasicKind, Module, OptionValue, Rule};

use super::addr;
use super::net::{classify, pattern_matches, LinkClass};
use super::walk::{Branch, Ctx, Hook, Link};
use crate::model::Protocol;

/// The verdict of a rule's matches on one packet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Eval {
    /// Chance that every match matches: 0 or 1 unless a `statistic` match splits the packets.
    pub p: f64,
    /// What was assumed to decide a match (each makes the outcome uncertain).
    pub assumed: Vec<String>,
    /// Facts worth showing that are not assumptions (e.g. "counts only").
    pub notes: Vec<String>,
    /// `-m recent --set` lists the packet is added to when the rule matches.
    pub recent_set: Vec<String>,
    /// Describes the split, when `p` is strictly between 0 and 1.
    pub split: Option<String>,
}

/// One match's answer.
pub(super) enum M {
    Yes,
    No,
    /// Matches with this probability.
    Odds(f64, String),
    /// Decided by an assumption: the answer taken and why.
    Assume(bool, String),
}

impl M {
    pub(super) fn from_bool(b: bool) -> M {
        if b {
            M::Yes
        } else {
            M::No
        }
    }

    pub(super) fn negate(self, negated: bool) -> M {
        if !negated {
            return self;
        }
        match self {
            M::Yes => M::No,
            M::No => M::Yes,
            M::Odds(p, why) => M::Odds(1.0 - p, format!("not ({why})")),
            M::Assume(b, why) => M::Assume(!b, why),
        }
    }
}

/// Evaluates every match of `rule` against the branch's packet, in the kernel's order (basic
/// matches, then modules as written), stopping at the first that does not match.
pub fn evaluate(ctx: &Ctx<'_>, b: &Branch, hook: Hook, rule: &Rule) -> Eval {
    let mut eval = Eval {
        p: 1.0,
        ..Eval::default()
    };
    let mut pending_set = Vec::new();
    for basic in &rule.basics {
        let m = basic_match(ctx, b, hook, basic.kind, &basic.value).negate(basic.negated);
        if !fold(&mut eval, m) {
            return Eval { p: 0.0, ..eval };
        }
    }
    for module in &rule.modules {
        for m in module_match(ctx, b, hook, module, &mut pending_set, &mut eval.notes) {
            if !fold(&mut eval, m) {
                return Eval { p: 0.0, ..eval };
            }
        }
    }
    eval.recent_set = pending_set;
    eval
}

/// Folds one match into the rule's verdict; false when the rule cannot match any more.
fn fold(eval: &mut Eval, m: M) -> bool {
    match m {
        M::Yes => true,
        M::No => false,
        M::Odds(p, why) => {
            if p <= 0.0 {
                return false;
            }
            if p < 1.0 {
                eval.p *= p;
                eval.split = Some(match eval.split.take() {
                    Some(prev) => format!("{prev}; {why}"),
                    None => why,
                });
            }
            true
        }
        M::Assume(answer, why) => {
            eval.assumed.push(format!(
                "{why}: taken as {}",
                if answer { "matching" } else { "not matching" }
            ));
            answer
        }
    }
}

fn basic_match(ctx: &Ctx<'_>, b: &Branch, hook: Hook, kind: BasicKind, value: &str) -> M {
    match kind {
        BasicKind::Protocol => protocol_match(ctx.protocol, value),
        BasicKind::Source => address_match(value, b.src),
        BasicKind::Destination => address_match(value, b.dst),
        BasicKind::InInterface => interface_match(ctx, value, in_link(b, hook), false),
        BasicKind::OutInterface => interface_match(ctx, value, out_link(b, hook), true),
        // A new connection's first packet is not a fragment.
        BasicKind::Fragment => M::No,
    }
}

fn protocol_match(protocol: Protocol, value: &str) -> M {
    let v = value.to_ascii_lowercase();
    if v == "all" || v == "0" {
        return M::Yes;
    }
    match Protocol::parse(&v) {
        Some(p) => M::from_bool(p == protocol),
        None => match v.as_str() {
            "icmp" | "1" | "icmpv6" | "ipv6-icmp" | "58" | "esp" | "ah" | "gre" | "47" | "50"
            | "51" | "udplite" | "136" | "dccp" | "33" | "igmp" | "2" | "ipip" | "4" | "ospf"
            | "89" | "vrrp" | "112" => M::No,
            _ => M::Assume(false, format!("protocol {} is not known to svcpath", value)),
        },
    }
}

fn address_match(value: &str, ip: IpAddr) -> M {
    match addr::list_contains(value, ip) {
        Some(b) => M::from_bool(b),
        None => M::Assume(
            false,
            format!("address {value} cannot be read (a host name?)"),
        ),
    }
}

/// The link a packet came in on at this hook (none for host-originated packets).
pub(super) fn in_link(b: &Branch, hook: Hook) -> Link {
    match hook {
        Hook::Prerouting | Hook::Input | Hook::Forward => b.in_link,
        Hook::Output | Hook::Postrouting => Link::None,
    }
}

/// The link a packet leaves on (none before the routing decision and for local delivery).
pub(super) fn out_link(b: &Branch, hook: Hook) -> Link {
    match hook {
        Hook::Forward | Hook::Output | Hook::Postrouting => b.out_link,
        Hook::Prerouting | Hook::Input => Link::None,
    }
}

pub(super) fn interface_match(ctx: &Ctx<'_>, pattern: &str, actual: Link, outgoing: bool) -> M {
    if actual == Link::None {
        return M::No;
    }
    let class = classify(pattern);
    match class {
        LinkClass::Loopback => M::from_bool(actual == Link::Loopback),
        LinkClass::Other => M::No,
        LinkClass::Overlay => {
            if outgoing && actual == Link::Pod {
                M::Assume(
                    false,
                    format!("traffic to a pod on another node may leave on the overlay {pattern}"),
                )
            } else {
                M::No
            }
        }
        LinkClass::Pod | LinkClass::Uplink => {
            let (wanted, chosen, ambiguous, role) = if class == LinkClass::Pod {
                (
                    Link::Pod,
                    ctx.net.interfaces.pod.as_deref(),
                    ctx.net.interfaces.pod_ambiguous,
                    "the pods' link",
                )
            } else {
                (
                    Link::Uplink,
                    ctx.net.interfaces.uplink.as_deref(),
                    ctx.net.interfaces.uplink_ambiguous,
                    "the uplink",
                )
            };
            if actual != wanted {
                return M::No;
            }
            let matched = chosen.is_some_and(|c| pattern_matches(pattern, c));
            if ambiguous {
                M::Assume(
                    matched,
                    format!("the rules name several interfaces like {pattern}; {role} is taken to be {}", chosen.unwrap_or("?")),
                )
            } else {
                M::from_bool(matched)
            }
        }
        LinkClass::Unknown => {
            M::Assume(false, format!("what interface {pattern} is, is not known"))
        }
    }
}

fn module_match(
    ctx: &Ctx<'_>,
    b: &Branch,
    hook: Hook,
    module: &Module,
    recent_set: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Vec<M> {
    let mut out = Vec::new();
    let name = module.name.as_str();
    match name {
        "comment" => {}
        "tcp" | "udp" | "sctp" | "udplite" | "dccp" => {
            if Protocol::parse(name) != Some(ctx.protocol) {
                return vec![M::No];
            }
            for o in &module.options {
                out.push(port_option(b, o).negate(o.negated));
            }
        }
        "multiport" => {
            for o in &module.options {
                let m = match o.name.as_str() {
                    "dports" | "destination-ports" => port_list(o, b.dport),
                    "sports" | "source-ports" => {
                        M::Assume(true, "the source port is not known".to_string())
                    }
                    "ports" => match port_list(o, b.dport) {
                        M::Yes => M::Yes,
                        _ => M::Assume(true, "the source port is not known".to_string()),
                    },
                    _ => unknown_option(module, o),
                };
                out.push(m.negate(o.negated));
            }
        }
        "addrtype" => {
            let limit_in = module.options.iter().any(|o| o.name == "limit-iface-in");
            let limit_out = module.options.iter().any(|o| o.name == "limit-iface-out");
            for o in &module.options {
                let m = match o.name.as_str() {
                    "src-type" => addr_type(
                        ctx,
                        b,
                        hook,
                        b.src,
                        o.value().unwrap_or(""),
                        limit_in,
                        limit_out,
                    ),
                    "dst-type" => addr_type(
                        ctx,
                        b,
                        hook,
                        b.dst,
                        o.value().unwrap_or(""),
                        limit_in,
                        limit_out,
                    ),
                    "limit-iface-in" | "limit-iface-out" => continue,
                    _ => unknown_option(module, o),
                };
                out.push(m.negate(o.negated));
            }
        }
        "mark" | "connmark" => {
            let value = if name == "mark" { b.mark } else { b.ctmark };
            for o in &module.options {
                let m = match (o.name.as_str(), o.value().and_then(parse_mark_mask)) {
                    ("mark", Some((v, mask))) => M::from_bool(value & mask == v),
                    _ => unknown_option(module, o),
                };
                out.push(m.negate(o.negated));
            }
        }
        "conntrack" | "state" => {
            for o in &module.options {
                out.push(conntrack_option(ctx, b, module, o).negate(o.negated));
            }
        }
        "statistic" => out.push(statistic(module)),
        "recent" => out.push(recent(b, module, recent_set)),
        "set" => {
            for o in &module.options {
                let m = match o.name.as_str() {
                    "match-set" => set_match(ctx, b, o),
                    "return-nomatch" | "update-counters" | "update-subcounters"
                    | "no-update-counters" => continue,
                    _ => unknown_option(module, o),
                };
                out.push(m.negate(o.negated));
            }
        }
        "physdev" => {
            for o in &module.options {
                let m = if b.sent_by_node() {
                    M::No
                } else {
                    match o.name.as_str() {
                        // Routed service traffic is never bridged-forwarded.
                        "physdev-is-bridged" => M::No,
                        "physdev-in" | "physdev-out" | "physdev-is-in" | "physdev-is-out" => M::Assume(
                            false,
                            "whether the packet crossed a bridge port (br_netfilter) is not known".to_string(),
                        ),
                        _ => unknown_option(module, o),
                    }
                };
                out.push(m.negate(o.negated));
            }
        }
        "nfacct" => notes.push("-m nfacct only counts packets; it always matches".to_string()),
        "owner" => {
            if b.sent_by_node() && matches!(hook, Hook::Output | Hook::Postrouting) {
                out.push(M::Assume(
                    true,
                    "the sending process's owner is not known".to_string(),
                ));
            } else {
                // Packets not sent by a local socket have no owner.
                out.push(M::No);
            }
        }
        "icmp" | "icmp6" | "icmpv6" => out.push(M::No),
        "pkttype" => {
            let kind = if addr::is_broadcast(b.dst) {
                "broadcast"
            } else if addr::is_multicast(b.dst) {
                "multicast"
            } else {
                "unicast"
            };
            for o in &module.options {
                let m = match o.name.as_str() {
                    "pkt-type" => {
                        M::from_bool(o.value().is_some_and(|v| v.eq_ignore_ascii_case(kind)))
                    }
                    _ => unknown_option(module, o),
                };
                out.push(m.negate(o.negated));
            }
        }
        "iprange" => {
            for o in &module.options {
                let ip = if o.name == "src-range" { b.src } else { b.dst };
                let m = match o.name.as_str() {
                    "src-range" | "dst-range" => ip_range(o.value().unwrap_or(""), ip),
                    _ => unknown_option(module, o),
                };
                out.push(m.negate(o.negated));
            }
        }
        "policy" => {
            let pol = module
                .options
                .iter()
                .find(|o| o.name == "pol")
                .and_then(|o| o.value());
            match pol {
                Some("none") => {}
                Some("ipsec") => out.push(M::No),
                _ => out.push(M::Assume(
                    true,
                    "-m policy: IPsec state is not known".to_string(),
                )),
            }
        }
        _ => {
            let text = svcpath_syntax::iptables::render_rule(&Rule {
                modules: vec![module.clone()],
                ..Rule::default()
            });
            out.push(M::Assume(
                true,
                format!("`{text}` depends on state svcpath does not model"),
            ));
        }
    }
    out
}

/// `-m set --match-set NAME FLAGS`: the packet's addresses and ports, picked by the flags (`src`,
/// `dst`) one per dimension of the set's type, looked up among the set's members in the paste.
fn set_match(ctx: &Ctx<'_>, b: &Branch, o: &OptionValue) -> M {
    let name = o.values.first().map(|v| v.as_str()).unwrap_or("");
    let Some(set) = ctx.ipsets.iter().find(|s| s.name == name) else {
        return M::Assume(
            true,
            format!("ipset {name} is not in the paste (add `ipset list`)"),
        );
    };
    let set_type = set.set_type.as_deref().unwrap_or("");
    let dims: Vec<&str> = set_type
        .split_once(':')
        .map(|(_, d)| d.split(',').collect())
        .unwrap_or_default();
    let flags: Vec<&str> = o
        .values
        .get(1)
        .map(|f| f.split(',').collect())
        .unwrap_or_default();
    if dims.is_empty() || flags.len() < dims.len() || set_type.starts_with("list:") {
        return M::Assume(
            true,
            format!(
                "ipset {name} of type {set_type:?} with flags {:?} is not modelled",
                flags.join(",")
            ),
        );
    }
    let mut sport_needed = false;
    let mut hit = false;
    let mut excluded = false;
    for member in &set.members {
        let mut all = true;
        let mut addresses =
            [member.address.as_deref(), member.second_address.as_deref()].into_iter();
        for (dim, flag) in dims.iter().zip(&flags) {
            let src = *flag == "src";
            let ok = match *dim {
                "ip" | "net" => {
                    let ip = if src { b.src } else { b.dst };
                    addresses
                        .next()
                        .flatten()
                        .and_then(addr::Cidr::parse)
                        .is_some_and(|c| c.contains(ip))
                }
                "port" => {
                    if src {
                        sport_needed = true;
                        true
                    } else {
                        let proto_ok = member
                            .protocol
                            .as_deref()
                            .is_none_or(|p| Protocol::parse(p) == Some(ctx.protocol));
                        let lo = member.port.unwrap_or(0);
                        let hi = member.port_end.unwrap_or(lo);
                        proto_ok && lo <= b.dport && b.dport <= hi
                    }
                }
                _ => {
                    return M::Assume(
                        true,
                        format!("ipset {name} has a {dim} dimension, which is not modelled"),
                    );
                }
            };
            if !ok {
                all = false;
                break;
            }
        }
        if all {
            if member.nomatch {
                excluded = true;
            } else {
                hit = true;
            }
        }
    }
    let matched = hit && !excluded;
    if sport_needed && matched {
        M::Assume(
            true,
            format!("ipset {name} is looked up with the source port, which is not known"),
        )
    } else {
        M::from_bool(matched)
    }
}

fn unknown_option(module: &Module, o: &OptionValue) -> M {
    M::Assume(
        true,
        format!("option --{} of -m {} is not modelled", o.name, module.name),
    )
}

fn port_option(b: &Branch, o: &OptionValue) -> M {
    match o.name.as_str() {
        "dport" | "destination-port" => match o.value().and_then(addr::port_range) {
            Some((lo, hi)) => M::from_bool(lo <= b.dport && b.dport <= hi),
            None => M::Assume(
                true,
                format!("port {} cannot be read", o.value().unwrap_or("")),
            ),
        },
        "sport" | "source-port" => M::Assume(true, "the source port is not known".to_string()),
        // The first packet of a TCP connection is a SYN.
        "syn" => M::Yes,
        "tcp-flags" => {
            let flags = |s: &str| -> Option<u8> {
                let mut v = 0u8;
                for f in s.split(',') {
                    v |= match f.trim().to_ascii_uppercase().as_str() {
                        "FIN" => 0x01,
                        "SYN" => 0x02,
                        "RST" => 0x04,
                        "PSH" => 0x08,
                        "ACK" => 0x10,
                        "URG" => 0x20,
                        "ECE" => 0x40,
                        "CWR" => 0x80,
                        "ALL" => 0xff,
                        "NONE" => 0,
                        _ => return None,
                    };
                }
                Some(v)
            };
            match (
                o.values.first().and_then(|m| flags(m)),
                o.values.get(1).and_then(|c| flags(c)),
            ) {
                (Some(mask), Some(comp)) => M::from_bool(0x02 & mask == comp),
                _ => M::Assume(true, "--tcp-flags cannot be read".to_string()),
            }
        }
        _ => M::Assume(true, format!("--{} is not modelled", o.name)),
    }
}

fn port_list(o: &OptionValue, port: u16) -> M {
    match o.value().and_then(|v| addr::port_list_contains(v, port)) {
        Some(b) => M::from_bool(b),
        None => M::Assume(
            true,
            format!("ports {} cannot be read", o.value().unwrap_or("")),
        ),
    }
}

fn ip_range(range: &str, ip: IpAddr) -> M {
    let parsed = range
        .split_once('-')
        .and_then(|(a, z)| Some((addr::parse_ip(a)?, addr::parse_ip(z)?)));
    match (parsed, ip) {
        (Some((IpAddr::V4(a), IpAddr::V4(z))), IpAddr::V4(x)) => M::from_bool(a <= x && x <= z),
        (Some((IpAddr::V6(a), IpAddr::V6(z))), IpAddr::V6(x)) => M::from_bool(a <= x && x <= z),
        (Some(_), _) => M::No,
        (None, _) => M::Assume(true, format!("range {range} cannot be read")),
    }
}

/// `--src-type`/`--dst-type`: a list of address types, any of which matches.
fn addr_type(
    ctx: &Ctx<'_>,
    b: &Branch,
    hook: Hook,
    ip: IpAddr,
    types: &str,
    limit_in: bool,
    limit_out: bool,
) -> M {
    let mut local = ctx.is_local(ip);
    let mut assumption = None;
    if local && (limit_in || limit_out) {
        let link = if limit_in {
            in_link(b, hook)
        } else {
            out_link(b, hook)
        };
        // Node addresses are taken to sit on the uplink, loopback addresses on lo.
        local = match link {
            Link::Loopback => addr::is_loopback(ip),
            Link::Uplink => !addr::is_loopback(ip),
            Link::Pod => false,
            Link::None => local,
        };
        assumption = Some(format!(
            "--limit-iface-{}: the node's addresses are taken to be on its uplink",
            if limit_in { "in" } else { "out" }
        ));
    }
    let kind = if local {
        "LOCAL"
    } else if addr::is_broadcast(ip) {
        "BROADCAST"
    } else if addr::is_multicast(ip) {
        "MULTICAST"
    } else {
        "UNICAST"
    };
    let any = types
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(kind));
    let asks_local = types
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case("LOCAL"));
    if asks_local && assumption.is_none() && node_address_unknown(ctx, ip) {
        assumption = Some(format!(
            "no node IP is known, so whether {ip} is an address of this node cannot be told; it is taken as not the node's (give the node's IP to trace its NodePorts)"
        ));
    }
    match assumption {
        Some(why) => M::Assume(any, why),
        None => M::from_bool(any),
    }
}

/// True when `ip` might be one of the node's own addresses but no node IP of its family is known: not
/// loopback, not a pod address, not an endpoint, not multicast or broadcast, not already local.
pub(super) fn node_address_unknown(ctx: &Ctx<'_>, ip: IpAddr) -> bool {
    ctx.node_ips.is_empty()
        && !ctx.is_local(ip)
        && !ip.is_unspecified()
        && !addr::is_broadcast(ip)
        && !addr::is_multicast(ip)
        && !ctx.pod_cidrs.iter().any(|c| c.contains(ip))
        && !ctx.endpoints.contains(&ip)
        && !ctx.service_ips.contains(&ip)
}

/// `0x4000/0x4000`, `0x4000` (mask all ones), decimal values.
pub fn parse_mark_mask(text: &str) -> Option<(u32, u32)> {
    let (v, m) = match text.split_once('/') {
        Some((v, m)) => (v, Some(m)),
        None => (text, None),
    };
    let v = parse_u32(v)?;
    let m = match m {
        Some(m) => parse_u32(m)?,
        None => u32::MAX,
    };
    Some((v, m))
}

pub fn parse_u32(text: &str) -> Option<u32> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

fn conntrack_option(ctx: &Ctx<'_>, b: &Branch, module: &Module, o: &OptionValue) -> M {
    let value = o.value().unwrap_or("");
    match o.name.as_str() {
        "ctstate" | "state" => {
            let any = value
                .split(',')
                .any(|s| match s.trim().to_ascii_uppercase().as_str() {
                    // The first packet of a connection; untracked packets have only UNTRACKED.
                    "NEW" => !b.untracked,
                    "UNTRACKED" => b.untracked,
                    "DNAT" => b.dnat && !b.untracked,
                    "SNAT" => b.snat && !b.untracked,
                    _ => false,
                });
            M::from_bool(any)
        }
        // No status bit is set before the first packet is confirmed.
        "ctstatus" => M::from_bool(
            value
                .split(',')
                .any(|s| s.trim().eq_ignore_ascii_case("NONE")),
        ),
        "ctproto" => protocol_match(ctx.protocol, value),
        "ctorigsrc" => address_match(value, b.src),
        "ctorigdst" => address_match(value, b.orig_dst),
        // The reply comes from where the packet was sent after DNAT.
        "ctreplsrc" => address_match(value, b.dst),
        "ctrepldst" if !b.snat => address_match(value, b.src),
        "ctorigdstport" => match addr::port_range(value) {
            Some((lo, hi)) => M::from_bool(lo <= b.orig_dport && b.orig_dport <= hi),
            None => M::Assume(true, format!("port {value} cannot be read")),
        },
        "ctreplsrcport" => match addr::port_range(value) {
            Some((lo, hi)) => M::from_bool(lo <= b.dport && b.dport <= hi),
            None => M::Assume(true, format!("port {value} cannot be read")),
        },
        "ctdir" => M::from_bool(value.eq_ignore_ascii_case("ORIGINAL")),
        _ => unknown_option(module, o),
    }
}

/// `-m statistic`: random (`--probability p`, as the kernel rounds it to 31 bits) or every n-th.
fn statistic(module: &Module) -> M {
    let opt = |n: &str| module.options.iter().find(|o| o.name == n);
    let mode = opt("mode").and_then(|o| o.value()).unwrap_or("random");
    match mode {
        "random" => {
            let Some(o) = opt("probability") else {
                return M::Assume(true, "statistic without --probability".to_string());
            };
            let Some(p) = o
                .value()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|p| (0.0..=1.0).contains(p))
            else {
                return M::Assume(
                    true,
                    format!("probability {} cannot be read", o.value().unwrap_or("")),
                );
            };
            // iptables stores lround(p * 2^31); the kernel compares a random 31-bit number with it.
            let threshold = (p * 2_147_483_648.0).round();
            let exact = threshold / 2_147_483_648.0;
            M::Odds(
                exact,
                format!("statistic --probability {}", o.value().unwrap_or("")),
            )
            .negate(o.negated)
        }
        "nth" => {
            let every = opt("every")
                .and_then(|o| o.value())
                .and_then(|v| v.parse::<u32>().ok())
                .filter(|n| *n > 0);
            match every {
                Some(n) => M::Odds(
                    1.0 / f64::from(n),
                    format!("statistic --mode nth --every {n} (1 in {n} packets)"),
                )
                .negate(opt("every").is_some_and(|o| o.negated)),
                None => M::Assume(true, "statistic --mode nth without --every".to_string()),
            }
        }
        other => M::Assume(true, format!("statistic mode {other} is not known")),
    }
}

/// `-m recent`: a new client has no history, so `--rcheck`/`--update`/`--remove` do not match; a
/// returning client is in the lists its first connection was added to.
fn recent(b: &Branch, module: &Module, recent_set: &mut Vec<String>) -> M {
    let opt = |n: &str| module.options.iter().find(|o| o.name == n);
    let name = opt("name")
        .and_then(|o| o.value())
        .unwrap_or("DEFAULT")
        .to_string();
    if let Some(o) = opt("set") {
        if !o.negated {
            recent_set.push(name);
        }
        return M::from_bool(!o.negated);
    }
    let check = ["rcheck", "update", "remove"].iter().find_map(|n| opt(n));
    let Some(check) = check else {
        return M::Assume(
            true,
            "-m recent without --set/--rcheck/--update/--remove".to_string(),
        );
    };
    let hitcount = opt("hitcount")
        .and_then(|o| o.value())
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    // A returning client was added once, by its first connection.
    let present = b.history.contains(&name) && hitcount <= 1;
    M::from_bool(present).negate(check.negated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks() {
        assert_eq!(parse_mark_mask("0x4000/0x4000"), Some((0x4000, 0x4000)));
        assert_eq!(parse_mark_mask("0x4000"), Some((0x4000, u32::MAX)));
        assert_eq!(parse_mark_mask("16384/16384"), Some((0x4000, 0x4000)));
        assert_eq!(parse_mark_mask("zz"), None);
    }

    #[test]
    fn kernel_rounds_probabilities() {
        let module = Module {
            name: "statistic".into(),
            explicit: true,
            options: vec![
                OptionValue {
                    name: "mode".into(),
                    negated: false,
                    values: std::iter::once("random".into()).collect(),
                },
                OptionValue {
                    name: "probability".into(),
                    negated: false,
                    values: std::iter::once("0.33333333349".into()).collect(),
                },
            ],
        };
        match statistic(&module) {
            M::Odds(p, _) => assert!((p - 0.333_333_333_49).abs() < 1e-9),
            _ => panic!("expected odds"),
        }
    }
}
