//! What iptables and nft matches share: a match's answer (yes, no, a share of the packets, or an
//! answer taken on an assumption), the links a packet is on at a hook, interface names, and whether
//! an address may be the node's own.

use std::net::IpAddr;

use super::addr;
use super::hooks::Hook;
use super::links::{classify, pattern_matches, Link, LinkClass};
use super::state::{Branch, Ctx};

/// One match's answer.
pub enum Answer {
    Yes,
    No,
    /// Matches with this probability.
    Odds(f64, String),
    /// Decided by an assumption: the answer taken and why.
    Assume(bool, String),
}

impl Answer {
    pub fn from_bool(b: bool) -> Answer {
        if b {
            Answer::Yes
        } else {
            Answer::No
        }
    }

    pub fn negate(self, negated: bool) -> Answer {
        if !negated {
            return self;
        }
        match self {
            Answer::Yes => Answer::No,
            Answer::No => Answer::Yes,
            Answer::Odds(p, why) => Answer::Odds(1.0 - p, format!("not ({why})")),
            Answer::Assume(b, why) => Answer::Assume(!b, why),
        }
    }
}

/// The link a packet came in on at this hook (none for host-originated packets).
pub fn in_link(b: &Branch, hook: Hook) -> Link {
    match hook {
        Hook::Prerouting | Hook::Input | Hook::Forward => b.in_link,
        Hook::Output | Hook::Postrouting | Hook::Routing => Link::None,
    }
}

/// The link a packet leaves on (none before the routing decision and for local delivery).
pub fn out_link(b: &Branch, hook: Hook) -> Link {
    match hook {
        Hook::Forward | Hook::Output | Hook::Postrouting => b.out_link,
        Hook::Prerouting | Hook::Input | Hook::Routing => Link::None,
    }
}

pub fn interface_match(ctx: &Ctx<'_>, pattern: &str, actual: Link, outgoing: bool) -> Answer {
    if actual == Link::None {
        return Answer::No;
    }
    let class = classify(pattern);
    match class {
        LinkClass::Loopback => Answer::from_bool(actual == Link::Loopback),
        LinkClass::Other => Answer::No,
        LinkClass::Overlay => {
            if outgoing && actual == Link::Pod {
                Answer::Assume(
                    false,
                    format!("traffic to a pod on another node may leave on the overlay {pattern}"),
                )
            } else {
                Answer::No
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
                return Answer::No;
            }
            let matched = chosen.is_some_and(|c| pattern_matches(pattern, c));
            if ambiguous {
                Answer::Assume(
                    matched,
                    format!("the rules name several interfaces like {pattern}; {role} is taken to be {}", chosen.unwrap_or("?")),
                )
            } else {
                Answer::from_bool(matched)
            }
        }
        LinkClass::Unknown => {
            Answer::Assume(false, format!("what interface {pattern} is, is not known"))
        }
    }
}

/// True when `ip` might be one of the node's own addresses but no node IP of its family is known: not
/// loopback, not a pod address, not an endpoint, not multicast or broadcast, not already local.
pub fn node_address_unknown(ctx: &Ctx<'_>, ip: IpAddr) -> bool {
    ctx.node_ips.is_empty()
        && !ctx.is_local(ip)
        && !ip.is_unspecified()
        && !addr::is_broadcast(ip)
        && !addr::is_multicast(ip)
        && !ctx.pod_cidrs.iter().any(|c| c.contains(ip))
        && !ctx.endpoints.contains(&ip)
        && !ctx.service_ips.contains(&ip)
}
