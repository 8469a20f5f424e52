//! How much work the first packet of a new connection to a Service costs in nftables mode: the rules it
//! is checked against and the set and map lookups it makes in kube-proxy's table, from the prerouting
//! base chains to the DNAT. A map lookup costs about the same whatever the number of Services, where
//! iptables mode checks the packet against one rule per Service in KUBE-SERVICES.

use std::collections::HashMap;
use std::net::IpAddr;

use svcpath_syntax::nft::{
    Chain, ElementRef, ElementValue, Expr, MapRef, Match, Op, Ruleset, Value, ValueRef, Verdict,
};

use super::model::{self, KubeTable};

/// Rules kube-proxy's nftables mode evaluates for a ClusterIP packet: the base chain's jump, the
/// `service-ips` verdict-map lookup, the service chain (masquerade check and the `numgen` map) and the
/// endpoint chain (hairpin check and DNAT).
pub const NFTABLES_RULES_PER_PACKET: f64 = 6.0;

/// Most chains nested while following one packet.
const MAX_DEPTH: usize = 32;
/// Most rules looked at for one packet.
const MAX_STEPS: usize = 100_000;

/// The work for one Service port's ClusterIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketCost {
    pub service: String,
    /// Rules the packet is checked against.
    pub rules: usize,
    /// Set and map lookups among them (each is one hash or interval-tree lookup).
    pub lookups: usize,
    /// The chains it passes, in order.
    pub chains: Vec<String>,
}

/// The work for every Service port with a ClusterIP, and the mean and maximum.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NftablesCost {
    pub services: Vec<PacketCost>,
    pub mean_rules: Option<f64>,
    pub max_rules: Option<usize>,
    pub mean_lookups: Option<f64>,
}

/// For each Service port of kube-proxy's nftables tables, follows a new connection from a pod to its
/// ClusterIP through the prerouting base chains (filter and nat, in priority order) and counts the rules
/// and lookups. Matches on the source address count as not matching (the client is an ordinary pod with
/// no affinity history).
pub fn nftables_lookups_per_packet(rulesets: &[Ruleset]) -> NftablesCost {
    super::NftNode::read(rulesets).cost()
}

/// [`nftables_lookups_per_packet`] over kube-proxy's tables and the Service model of each (in the same
/// order).
pub(crate) fn lookups_per_packet(
    tables: &[KubeTable<'_>],
    services: &[Vec<model::ServiceModel>],
) -> NftablesCost {
    let mut out = NftablesCost::default();
    for (kt, table_services) in tables.iter().zip(services) {
        let base = kt.base_chains("prerouting");
        if base.is_empty() {
            continue;
        }
        // Elements of each named set and map by key, so a lookup costs what it costs the kernel.
        let index: HashMap<&str, HashMap<Vec<&str>, ElementRef<'_>>> = kt
            .table
            .sets
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    s.elements
                        .iter()
                        .rev()
                        .map(|e| (e.key().iter().collect(), e))
                        .collect(),
                )
            })
            .collect();
        for svc in table_services {
            let (Some(ip), Some(port), Some(proto)) =
                (svc.cluster_ip.clone(), svc.port, svc.protocol)
            else {
                continue;
            };
            if svc.cluster_ip_target.is_none() {
                continue;
            }
            let packet = Packet {
                daddr: ip,
                dport: port,
                proto: proto.name().to_string(),
            };
            let mut walk = Walk {
                kt,
                index: &index,
                packet: &packet,
                rules: 0,
                lookups: 0,
                steps: 0,
                chains: Vec::new(),
            };
            for chain in &base {
                walk.run(chain, 0);
            }
            out.services.push(PacketCost {
                service: svc.id.clone(),
                rules: walk.rules,
                lookups: walk.lookups,
                chains: walk.chains,
            });
        }
    }
    if !out.services.is_empty() {
        let n = out.services.len() as f64;
        out.mean_rules = Some(out.services.iter().map(|c| c.rules as f64).sum::<f64>() / n);
        out.mean_lookups = Some(out.services.iter().map(|c| c.lookups as f64).sum::<f64>() / n);
        out.max_rules = out.services.iter().map(|c| c.rules).max();
    }
    out
}

struct Packet {
    daddr: String,
    dport: u16,
    proto: String,
}

enum Flow {
    /// The chain ended (fell off its end or `return`): the caller goes on.
    Done,
    /// A terminal verdict or statement (accept, drop, reject, DNAT): this hook is finished.
    Stop,
}

enum RuleResult {
    NoMatch,
    Next,
    Flow(Flow),
}

struct Walk<'k, 'a, 'p> {
    kt: &'k KubeTable<'a>,
    index: &'k HashMap<&'a str, HashMap<Vec<&'a str>, ElementRef<'a>>>,
    packet: &'p Packet,
    rules: usize,
    lookups: usize,
    steps: usize,
    chains: Vec<String>,
}

impl<'k, 'a, 'p> Walk<'k, 'a, 'p> {
    fn run(&mut self, chain: &'a Chain, depth: usize) -> Flow {
        if depth > MAX_DEPTH {
            return Flow::Stop;
        }
        self.chains.push(chain.name.clone());
        for rule in &chain.rules {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Flow::Stop;
            }
            self.rules += 1;
            match self.rule(rule, depth) {
                RuleResult::NoMatch | RuleResult::Next => continue,
                RuleResult::Flow(f) => return f,
            }
        }
        Flow::Done
    }

    fn rule(&mut self, rule: &'a svcpath_syntax::nft::Rule, depth: usize) -> RuleResult {
        for e in &rule.exprs {
            match e {
                Expr::Match(m) if !self.matches(m) => return RuleResult::NoMatch,
                Expr::Match(_) => {}
                Expr::Lookup(l) => {
                    self.lookups += 1;
                    let verdict = match &l.map {
                        MapRef::Named(name) => {
                            let key = self.key(&l.key.parts);
                            let elements = self.index.get(name.as_str());
                            key.and_then(|k| {
                                let k: Vec<&str> = k.iter().map(String::as_str).collect();
                                let el = elements.and_then(|m| m.get(&k))?;
                                el.value().map(ValueRef::to_owned)
                            })
                        }
                        MapRef::Anonymous(elements) if l.key.numgen.is_some() => elements
                            .first()
                            .and_then(|el| el.value().map(ValueRef::to_owned)),
                        MapRef::Anonymous(elements) => {
                            let key = self.key(&l.key.parts);
                            key.and_then(|k| elements.iter().find(|el| el.key().equals(&k)))
                                .and_then(|el| el.value().map(ValueRef::to_owned))
                        }
                    };
                    match verdict {
                        Some(ElementValue::Verdict(v)) => return self.verdict(&v, depth),
                        Some(ElementValue::Data(_)) => {}
                        None => return RuleResult::NoMatch,
                    }
                }
                Expr::Verdict(v) => return self.verdict(v, depth),
                Expr::Reject { .. } | Expr::Nat(_) => return RuleResult::Flow(Flow::Stop),
                _ => {}
            }
        }
        RuleResult::Next
    }

    fn verdict(&mut self, v: &Verdict, depth: usize) -> RuleResult {
        match v {
            Verdict::Jump(c) => match self.kt.chain(c) {
                Some(chain) => match self.run(chain, depth + 1) {
                    Flow::Done => RuleResult::Next,
                    Flow::Stop => RuleResult::Flow(Flow::Stop),
                },
                None => RuleResult::Next,
            },
            Verdict::Goto(c) => match self.kt.chain(c) {
                Some(chain) => RuleResult::Flow(self.run(chain, depth + 1)),
                None => RuleResult::Flow(Flow::Done),
            },
            Verdict::Return => RuleResult::Flow(Flow::Done),
            Verdict::Continue => RuleResult::Next,
            Verdict::Accept | Verdict::Drop | Verdict::Other(_) => RuleResult::Flow(Flow::Stop),
        }
    }

    /// The packet's values for a concatenation of selectors, when all are known.
    fn key(&self, parts: &[String]) -> Option<Vec<String>> {
        parts
            .iter()
            .map(|p| match p.as_str() {
                "ip daddr" | "ip6 daddr" => Some(self.packet.daddr.clone()),
                "meta l4proto" | "ip protocol" | "ip6 nexthdr" => Some(self.packet.proto.clone()),
                "th dport" => Some(self.packet.dport.to_string()),
                p if p.ends_with(" dport") && p.starts_with(self.packet.proto.as_str()) => {
                    Some(self.packet.dport.to_string())
                }
                _ => None,
            })
            .collect()
    }

    fn matches(&mut self, m: &Match) -> bool {
        if m.left.bitwise.is_some() || m.left.parts.len() != 1 {
            return false;
        }
        let left = m.left.text();
        let holds = match left.as_str() {
            "ip daddr" | "ip6 daddr" => match &m.right {
                Value::Single(v) => Some(addr_in(&self.packet.daddr, v)),
                Value::List(vs) => Some(vs.iter().any(|v| addr_in(&self.packet.daddr, v))),
                Value::SetRef(name) => {
                    self.lookups += 1;
                    Some(self.kt.set(name).is_some_and(|s| {
                        s.elements.iter().any(|e| {
                            e.key()
                                .parts()
                                .is_some_and(|[k]| addr_in(&self.packet.daddr, k))
                        })
                    }))
                }
                Value::Set(els) => {
                    self.lookups += 1;
                    Some(els.iter().any(|e| {
                        e.key()
                            .parts()
                            .is_some_and(|[k]| addr_in(&self.packet.daddr, k))
                    }))
                }
            },
            "meta l4proto" | "ip protocol" => {
                Some(m.right.values().iter().any(|v| v == &self.packet.proto))
            }
            "ct state" => Some(m.right.values().iter().any(|v| v == "new")),
            "fib saddr type" | "fib daddr type" => Some(false),
            l if l.ends_with(" dport") => {
                let proto_ok = l.starts_with("th ") || l.starts_with(self.packet.proto.as_str());
                Some(
                    proto_ok
                        && m.right
                            .values()
                            .iter()
                            .any(|v| port_in(self.packet.dport, v)),
                )
            }
            l if l.ends_with(" saddr") => {
                // The client is an ordinary pod: not an endpoint, not in an affinity set, inside the pod range.
                if matches!(m.right, Value::SetRef(_) | Value::Set(_)) {
                    self.lookups += 1;
                }
                return false;
            }
            _ => None,
        };
        match (holds, m.op) {
            (Some(h), Op::Eq) => h,
            (Some(h), Op::Ne) => !h,
            _ => false,
        }
    }
}

/// Whether `addr` is `spec` (an address, a prefix `a/len`, or a range `a-b`).
fn addr_in(addr: &str, spec: &str) -> bool {
    let Ok(a) = addr.parse::<IpAddr>() else {
        return addr == spec;
    };
    if let Some((net, len)) = spec.split_once('/') {
        let (Ok(net), Ok(len)) = (net.parse::<IpAddr>(), len.parse::<u32>()) else {
            return false;
        };
        return match (a, net) {
            (IpAddr::V4(a), IpAddr::V4(n)) if len <= 32 => {
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                u32::from(a) & mask == u32::from(n) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(n)) if len <= 128 => {
                let mask = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - len)
                };
                u128::from(a) & mask == u128::from(n) & mask
            }
            _ => false,
        };
    }
    if let Some((lo, hi)) = spec.split_once('-') {
        return match (a, lo.parse::<IpAddr>(), hi.parse::<IpAddr>()) {
            (IpAddr::V4(a), Ok(IpAddr::V4(l)), Ok(IpAddr::V4(h))) => {
                (u32::from(l)..=u32::from(h)).contains(&u32::from(a))
            }
            (IpAddr::V6(a), Ok(IpAddr::V6(l)), Ok(IpAddr::V6(h))) => {
                (u128::from(l)..=u128::from(h)).contains(&u128::from(a))
            }
            _ => false,
        };
    }
    spec.parse::<IpAddr>().is_ok_and(|s| s == a)
}

fn port_in(port: u16, spec: &str) -> bool {
    match spec.split_once('-') {
        Some((lo, hi)) => {
            matches!((lo.parse::<u16>(), hi.parse::<u16>()), (Ok(l), Ok(h)) if (l..=h).contains(&port))
        }
        None => spec.parse::<u16>() == Ok(port),
    }
}

impl From<NftablesCost> for crate::Cost {
    fn from(cost: NftablesCost) -> crate::Cost {
        crate::Cost {
            mean_rules: cost.mean_rules,
            max_rules: cost.max_rules,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_prefixes_and_ranges() {
        assert!(addr_in("10.43.0.10", "10.43.0.0/16"));
        assert!(!addr_in("10.44.0.10", "10.43.0.0/16"));
        assert!(addr_in("10.0.0.5", "10.0.0.1-10.0.0.9"));
        assert!(addr_in("fd00::5", "fd00::/64"));
        assert!(addr_in("1.2.3.4", "0.0.0.0/0"));
        assert!(!addr_in("1.2.3.4", "1.2.3.4/99"));
        assert!(port_in(80, "1-1024"));
    }
}
