//! Whether one rule matches a traced packet: the basic matches and the match modules, each either
//! decided, decided with a stated assumption, or split by a probability (`statistic`).

use std::net::IpAddr;

use svcpath_syntax::iptables::{BasicKind, Module, OptionValue, Rule};

use super::super::addr;
use super::super::hooks::Hook;
use super::super::links::Link;
use super::super::matching::{in_link, interface_match, node_address_unknown, out_link, Answer};
use super::super::state::{Branch, Ctx};
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
fn fold(eval: &mut Eval, m: Answer) -> bool {
    match m {
        Answer::Yes => true,
        Answer::No => false,
        Answer::Odds(p, why) => {
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
        Answer::Assume(answer, why) => {
            eval.assumed.push(format!(
                "{why}: taken as {}",
                if answer { "matching" } else { "not matching" }
            ));
            answer
        }
    }
}

fn basic_match(ctx: &Ctx<'_>, b: &Branch, hook: Hook, kind: BasicKind, value: &str) -> Answer {
    match kind {
        BasicKind::Protocol => protocol_match(ctx.protocol, value),
        BasicKind::Source => address_match(value, b.src),
        BasicKind::Destination => address_match(value, b.dst),
        BasicKind::InInterface => interface_match(ctx, value, in_link(b, hook), false),
        BasicKind::OutInterface => interface_match(ctx, value, out_link(b, hook), true),
        // A new connection's first packet is not a fragment.
        BasicKind::Fragment => Answer::No,
    }
}

fn protocol_match(protocol: Protocol, value: &str) -> Answer {
    let v = value.to_ascii_lowercase();
    if v == "all" || v == "0" {
        return Answer::Yes;
    }
    match Protocol::parse(&v) {
        Some(p) => Answer::from_bool(p == protocol),
        None => match v.as_str() {
            "icmp" | "1" | "icmpv6" | "ipv6-icmp" | "58" | "esp" | "ah" | "gre" | "47" | "50"
            | "51" | "udplite" | "136" | "dccp" | "33" | "igmp" | "2" | "ipip" | "4" | "ospf"
            | "89" | "vrrp" | "112" => Answer::No,
            _ => Answer::Assume(false, format!("protocol {} is not known to svcpath", value)),
        },
    }
}

fn address_match(value: &str, ip: IpAddr) -> Answer {
    match addr::list_contains(value, ip) {
        Some(b) => Answer::from_bool(b),
        None => Answer::Assume(
            false,
            format!("address {value} cannot be read (a host name?)"),
        ),
    }
}

fn module_match(
    ctx: &Ctx<'_>,
    b: &Branch,
    hook: Hook,
    module: &Module,
    recent_set: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Vec<Answer> {
    let mut out = Vec::new();
    let name = module.name.as_str();
    match name {
        "comment" => {}
        "tcp" | "udp" | "sctp" | "udplite" | "dccp" => {
            if Protocol::parse(name) != Some(ctx.protocol) {
                return vec![Answer::No];
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
                        Answer::Assume(true, "the source port is not known".to_string())
                    }
                    "ports" => match port_list(o, b.dport) {
                        Answer::Yes => Answer::Yes,
                        _ => Answer::Assume(true, "the source port is not known".to_string()),
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
                    ("mark", Some((v, mask))) => Answer::from_bool(value & mask == v),
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
                    Answer::No
                } else {
                    match o.name.as_str() {
                        // Routed service traffic is never bridged-forwarded.
                        "physdev-is-bridged" => Answer::No,
                        "physdev-in" | "physdev-out" | "physdev-is-in" | "physdev-is-out" => Answer::Assume(
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
                out.push(Answer::Assume(
                    true,
                    "the sending process's owner is not known".to_string(),
                ));
            } else {
                // Packets not sent by a local socket have no owner.
                out.push(Answer::No);
            }
        }
        "icmp" | "icmp6" | "icmpv6" => out.push(Answer::No),
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
                        Answer::from_bool(o.value().is_some_and(|v| v.eq_ignore_ascii_case(kind)))
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
                Some("ipsec") => out.push(Answer::No),
                _ => out.push(Answer::Assume(
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
            out.push(Answer::Assume(
                true,
                format!("`{text}` depends on state svcpath does not model"),
            ));
        }
    }
    out
}

/// `-m set --match-set NAME FLAGS`: the packet's addresses and ports, picked by the flags (`src`,
/// `dst`) one per dimension of the set's type, looked up among the set's members in the paste.
fn set_match(ctx: &Ctx<'_>, b: &Branch, o: &OptionValue) -> Answer {
    let name = o.values.first().map(|v| v.as_str()).unwrap_or("");
    let Some(set) = ctx.ipsets.iter().find(|s| s.name == name) else {
        return Answer::Assume(
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
        return Answer::Assume(
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
    for member in set.members() {
        let mut all = true;
        let mut addresses = [member.address(), member.second_address()].into_iter();
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
                            .protocol()
                            .is_none_or(|p| Protocol::parse(p) == Some(ctx.protocol));
                        let lo = member.port().unwrap_or(0);
                        let hi = member.port_end().unwrap_or(lo);
                        proto_ok && lo <= b.dport && b.dport <= hi
                    }
                }
                _ => {
                    return Answer::Assume(
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
            if member.nomatch() {
                excluded = true;
            } else {
                hit = true;
            }
        }
    }
    let matched = hit && !excluded;
    if sport_needed && matched {
        Answer::Assume(
            true,
            format!("ipset {name} is looked up with the source port, which is not known"),
        )
    } else {
        Answer::from_bool(matched)
    }
}

fn unknown_option(module: &Module, o: &OptionValue) -> Answer {
    Answer::Assume(
        true,
        format!("option --{} of -m {} is not modelled", o.name, module.name),
    )
}

fn port_option(b: &Branch, o: &OptionValue) -> Answer {
    match o.name.as_str() {
        "dport" | "destination-port" => match o.value().and_then(addr::port_range) {
            Some((lo, hi)) => Answer::from_bool(lo <= b.dport && b.dport <= hi),
            None => Answer::Assume(
                true,
                format!("port {} cannot be read", o.value().unwrap_or("")),
            ),
        },
        "sport" | "source-port" => Answer::Assume(true, "the source port is not known".to_string()),
        // The first packet of a TCP connection is a SYN.
        "syn" => Answer::Yes,
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
                (Some(mask), Some(comp)) => Answer::from_bool(0x02 & mask == comp),
                _ => Answer::Assume(true, "--tcp-flags cannot be read".to_string()),
            }
        }
        _ => Answer::Assume(true, format!("--{} is not modelled", o.name)),
    }
}

fn port_list(o: &OptionValue, port: u16) -> Answer {
    match o.value().and_then(|v| addr::port_list_contains(v, port)) {
        Some(b) => Answer::from_bool(b),
        None => Answer::Assume(
            true,
            format!("ports {} cannot be read", o.value().unwrap_or("")),
        ),
    }
}

fn ip_range(range: &str, ip: IpAddr) -> Answer {
    let parsed = range
        .split_once('-')
        .and_then(|(a, z)| Some((addr::parse_ip(a)?, addr::parse_ip(z)?)));
    match (parsed, ip) {
        (Some((IpAddr::V4(a), IpAddr::V4(z))), IpAddr::V4(x)) => {
            Answer::from_bool(a <= x && x <= z)
        }
        (Some((IpAddr::V6(a), IpAddr::V6(z))), IpAddr::V6(x)) => {
            Answer::from_bool(a <= x && x <= z)
        }
        (Some(_), _) => Answer::No,
        (None, _) => Answer::Assume(true, format!("range {range} cannot be read")),
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
) -> Answer {
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
        Some(why) => Answer::Assume(any, why),
        None => Answer::from_bool(any),
    }
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

fn conntrack_option(ctx: &Ctx<'_>, b: &Branch, module: &Module, o: &OptionValue) -> Answer {
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
            Answer::from_bool(any)
        }
        // No status bit is set before the first packet is confirmed.
        "ctstatus" => Answer::from_bool(
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
            Some((lo, hi)) => Answer::from_bool(lo <= b.orig_dport && b.orig_dport <= hi),
            None => Answer::Assume(true, format!("port {value} cannot be read")),
        },
        "ctreplsrcport" => match addr::port_range(value) {
            Some((lo, hi)) => Answer::from_bool(lo <= b.dport && b.dport <= hi),
            None => Answer::Assume(true, format!("port {value} cannot be read")),
        },
        "ctdir" => Answer::from_bool(value.eq_ignore_ascii_case("ORIGINAL")),
        _ => unknown_option(module, o),
    }
}

/// `-m statistic`: random (`--probability p`, as the kernel rounds it to 31 bits) or every n-th.
fn statistic(module: &Module) -> Answer {
    let opt = |n: &str| module.options.iter().find(|o| o.name == n);
    let mode = opt("mode").and_then(|o| o.value()).unwrap_or("random");
    match mode {
        "random" => {
            let Some(o) = opt("probability") else {
                return Answer::Assume(true, "statistic without --probability".to_string());
            };
            let Some(p) = o
                .value()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|p| (0.0..=1.0).contains(p))
            else {
                return Answer::Assume(
                    true,
                    format!("probability {} cannot be read", o.value().unwrap_or("")),
                );
            };
            // iptables stores lround(p * 2^31); the kernel compares a random 31-bit number with it.
            let threshold = (p * 2_147_483_648.0).round();
            let exact = threshold / 2_147_483_648.0;
            Answer::Odds(
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
                Some(n) => Answer::Odds(
                    1.0 / f64::from(n),
                    format!("statistic --mode nth --every {n} (1 in {n} packets)"),
                )
                .negate(opt("every").is_some_and(|o| o.negated)),
                None => Answer::Assume(true, "statistic --mode nth without --every".to_string()),
            }
        }
        other => Answer::Assume(true, format!("statistic mode {other} is not known")),
    }
}

/// `-m recent`: a new client has no history, so `--rcheck`/`--update`/`--remove` do not match; a
/// returning client is in the lists its first connection was added to.
fn recent(b: &Branch, module: &Module, recent_set: &mut Vec<String>) -> Answer {
    let opt = |n: &str| module.options.iter().find(|o| o.name == n);
    let name = opt("name")
        .and_then(|o| o.value())
        .unwrap_or("DEFAULT")
        .to_string();
    if let Some(o) = opt("set") {
        if !o.negated {
            recent_set.push(name);
        }
        return Answer::from_bool(!o.negated);
    }
    let check = ["rcheck", "update", "remove"].iter().find_map(|n| opt(n));
    let Some(check) = check else {
        return Answer::Assume(
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
    Answer::from_bool(present).negate(check.negated)
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
            Answer::Odds(p, _) => assert!((p - 0.333_333_333_49).abs() < 1e-9),
            _ => panic!("expected odds"),
        }
    }
}
