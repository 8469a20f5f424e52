//! The tracer: built once from a snapshot's rules and node facts, it traces any number of packets —
//! each through the engine, a returning client a second time — and turns the finished branches into
//! outcomes.

use std::cell::OnceCell;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use svcpath_syntax::ipset::IpSet;
use svcpath_syntax::iptables::Ruleset;

use super::addr;
use super::engine::Engine;
use super::hooks::{Hook, Hooks};
use super::iptables::view::Net;
use super::links::Interfaces;
use super::model::{LinkNames, Origin, Outcome, Packet, Step, Trace, Verdict};
use super::state::{add_reason, Branch, Ctx};
use crate::model as report;
use crate::{Options, Snapshot};

/// What the tracer knows about the node besides the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeContext {
    pub node_ips: Vec<IpAddr>,
    pub pod_cidrs: Vec<String>,
}

impl NodeContext {
    /// The report's node facts: node IPs given in the options, then those the dumps show; pod CIDRs
    /// the dumps show.
    pub fn from_snapshot(snapshot: &Snapshot, options: &Options) -> NodeContext {
        NodeContext::from_facts(&snapshot.node_facts(options))
    }

    pub fn from_facts(facts: &report::NodeFacts) -> NodeContext {
        let mut node = NodeContext::default();
        for fact in &facts.node_ips {
            if let Some(ip) = addr::parse_ip(&fact.value) {
                if !node.node_ips.contains(&ip) {
                    node.node_ips.push(ip);
                }
            }
        }
        for fact in &facts.pod_cidrs {
            if !node.pod_cidrs.contains(&fact.value) {
                node.pod_cidrs.push(fact.value.clone());
            }
        }
        node
    }
}

/// What a tracer reads from a snapshot besides its rules: the node facts, the notes every trace
/// carries and the owner of every chain and rule. It borrows nothing, so a front end that answers
/// many trace requests about one analysis reads it once and keeps it beside the snapshot
/// ([`TraceFacts::of`], [`Tracer::sharing`]); reading the node facts costs as much as the rest of a
/// tracer's set-up.
#[derive(Debug, Default)]
pub struct TraceFacts {
    node: NodeContext,
    /// Notes for every trace.
    notes: Vec<String>,
    /// Built on the first trace from the rules of the tracer that holds these facts.
    owners: OnceLock<crate::owner::Owners>,
}

impl TraceFacts {
    /// The facts of one snapshot (see [`Tracer::new`]).
    pub fn of(snapshot: &Snapshot, options: &Options) -> Arc<TraceFacts> {
        let mut notes = Vec::new();
        if snapshot.mode() == report::Mode::Ipvs {
            notes.push(
                "kube-proxy runs in IPVS mode here: IPVS balances Service traffic after the iptables hooks, which this trace does not show".to_string(),
            );
        }
        Arc::new(TraceFacts {
            node: NodeContext::from_snapshot(snapshot, options),
            notes,
            owners: OnceLock::new(),
        })
    }
}

/// Traces many packets through one set of rules: the rules view is built once per address family.
#[derive(Debug)]
pub struct Tracer<'a> {
    rulesets: Vec<&'a Ruleset>,
    ipsets: Vec<&'a IpSet>,
    /// nft sections: their base chains are walked by hook and priority with the iptables tables.
    nft: Vec<&'a svcpath_syntax::nft::Ruleset>,
    facts: Arc<TraceFacts>,
    views: [OnceCell<View<'a>>; 2],
}

/// The rules of one address family and what the tracer notes about them.
#[derive(Debug)]
struct View<'a> {
    net: Net<'a>,
    hooks: Option<Hooks<'a>>,
    notes: Vec<String>,
    endpoints: Vec<IpAddr>,
    service_ips: Vec<IpAddr>,
}

impl<'a> Tracer<'a> {
    /// The snapshot's rulesets with the report's node facts (see [`NodeContext::from_snapshot`]).
    pub fn new(snapshot: &'a Snapshot, options: &Options) -> Tracer<'a> {
        Tracer::sharing(snapshot, TraceFacts::of(snapshot, options))
    }

    /// The snapshot's rulesets with facts read from it before ([`TraceFacts::of`] on the same
    /// snapshot): traces as [`Tracer::new`] does without reading them again.
    pub fn sharing(snapshot: &'a Snapshot, facts: Arc<TraceFacts>) -> Tracer<'a> {
        Tracer::with_facts(snapshot.iptables.iter().collect(), facts)
            .with_ipsets(snapshot.ipsets.iter().flatten().collect())
            .with_nft(snapshot.nft.iter().collect())
    }

    pub fn with(rulesets: Vec<&'a Ruleset>, node: NodeContext) -> Tracer<'a> {
        Tracer::with_facts(
            rulesets,
            Arc::new(TraceFacts {
                node,
                ..TraceFacts::default()
            }),
        )
    }

    fn with_facts(rulesets: Vec<&'a Ruleset>, facts: Arc<TraceFacts>) -> Tracer<'a> {
        Tracer {
            rulesets,
            ipsets: Vec::new(),
            nft: Vec::new(),
            facts,
            views: [OnceCell::new(), OnceCell::new()],
        }
    }

    /// The sets `-m set --match-set` looks members up in (from `ipset list`).
    pub fn with_ipsets(mut self, ipsets: Vec<&'a IpSet>) -> Tracer<'a> {
        self.ipsets = ipsets;
        self
    }

    /// nft sections whose base chains are walked too (`nft list ruleset`, `nft list table …`, or an
    /// `nft -f` transaction).
    pub fn with_nft(mut self, nft: Vec<&'a svcpath_syntax::nft::Ruleset>) -> Tracer<'a> {
        self.nft = nft;
        self
    }

    pub fn node(&self) -> &NodeContext {
        &self.facts.node
    }

    /// The owner of every rule of the tracer's rulesets, read on first use and kept with its facts.
    pub fn owners(&self) -> &crate::owner::Owners {
        self.facts
            .owners
            .get_or_init(|| crate::owner::Owners::build(&self.rulesets, &self.nft))
    }

    /// The interface names taken for the pods' link and the uplink.
    pub fn link_names(&self) -> LinkNames {
        let mut net = Net::build(&self.rulesets);
        if let Some(hooks) = Hooks::build(&self.nft, false, &net) {
            let mut names = net.interfaces.referenced.clone();
            for n in hooks.interface_names() {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            net.interfaces = Interfaces::from_names(names);
        }
        LinkNames {
            pod: net.interfaces.pod.clone(),
            uplink: net.interfaces.uplink.clone(),
        }
    }

    fn view(&self, ipv6: bool) -> &View<'a> {
        self.views[usize::from(ipv6)].get_or_init(|| {
            let mut notes = Vec::new();
            let family: Vec<&Ruleset> = self.rulesets.iter().copied().filter(|r| r.ipv6 == ipv6).collect();
            let chosen = if family.is_empty() {
                if !self.rulesets.is_empty() && self.nft.is_empty() {
                    notes.push(format!(
                        "no {} ruleset in the paste; the rules there are traced as they are",
                        if ipv6 { "IPv6 (ip6tables)" } else { "IPv4" }
                    ));
                }
                self.rulesets.clone()
            } else {
                family
            };
            let mut net = Net::build(&chosen);
            notes.extend(net.notes.iter().cloned());
            let hooks = Hooks::build(&self.nft, ipv6, &net);
            if let Some(h) = &hooks {
                let mut names = net.interfaces.referenced.clone();
                for n in h.interface_names() {
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
                net.interfaces = Interfaces::from_names(names);
                notes.extend(h.notes.iter().cloned());
            }
            for j in &net.added_jumps {
                notes.push(format!(
                    "{} {} -> {}: the dump declares {} but does not show this jump; kube-proxy (or the kubelet) installs it outside iptables-restore, so it is assumed",
                    j.table, j.base, j.chain, j.chain
                ));
            }
            if let Some(name) = &net.interfaces.pod {
                notes.push(format!("the pods' link is taken to be {name} (the first pod-like interface the rules name)"));
            }
            if let Some(name) = &net.interfaces.uplink {
                notes.push(format!("the node's uplink is taken to be {name} (the first uplink-like interface the rules name)"));
            }
            let mut endpoints = net.dnat_addresses();
            if let Some(h) = &hooks {
                let known: crate::fast_hash::FastSet<IpAddr> = endpoints.iter().copied().collect();
                endpoints.extend(h.dnat_addresses().into_iter().filter(|ip| !known.contains(ip)));
            }
            let service_ips = net.service_addresses();
            View {
                net,
                hooks,
                notes,
                endpoints,
                service_ips,
            }
        })
    }

    /// Traces one packet (see [`trace`](super::trace)).
    pub fn trace(&self, packet: &Packet) -> Trace {
        let node = &self.facts.node;
        let mut out = Trace {
            packet: packet.clone(),
            outcomes: Vec::new(),
            notes: Vec::new(),
            established: None,
        };
        let Some(dst) = addr::parse_ip(&packet.dst) else {
            out.notes.push(if packet.dst.is_empty() {
                "no destination: no node IP is known (give the node's address to trace its NodePorts)".to_string()
            } else {
                format!("the destination {:?} is not an IP address; nothing traced", packet.dst)
            });
            return out;
        };
        let view = self.view(dst.is_ipv6());
        if self.rulesets.is_empty() && view.hooks.is_none() {
            out.notes.push(if self.nft.is_empty() {
                "the paste holds no iptables rules and no nft base chains; nothing traced".to_string()
            } else {
                format!(
                    "the paste holds no iptables rules and no nft base chain for {} packets (tables of family {} or inet); nothing traced",
                    if dst.is_ipv6() { "IPv6" } else { "IPv4" },
                    if dst.is_ipv6() { "ip6" } else { "ip" }
                )
            });
            return out;
        }
        let net = &view.net;
        let mut notes = self.facts.notes.clone();
        notes.extend(view.notes.iter().cloned());
        let endpoints = view.endpoints.clone();
        let pod_cidrs: Vec<addr::Cidr> = node
            .pod_cidrs
            .iter()
            .filter_map(|c| addr::Cidr::parse(c))
            .collect();
        let node_ips: Vec<IpAddr> = node
            .node_ips
            .iter()
            .copied()
            .filter(|ip| ip.is_ipv6() == dst.is_ipv6())
            .collect();
        if node_ips.is_empty() {
            notes.push("no node IP is known (give one: the node facts on the page, `--node-ip` on the command line): only loopback addresses count as the node's own".to_string());
        } else {
            let list: Vec<String> = node_ips.iter().map(ToString::to_string).collect();
            notes.push(format!(
                "node IPs: {} (`--dst-type LOCAL` matches these and loopback addresses)",
                list.join(", ")
            ));
        }
        let src = match &packet.src {
            Some(s) => match addr::parse_ip(s) {
                Some(ip) => ip,
                None => {
                    out.notes.push(format!(
                        "the source {s:?} is not an IP address; nothing traced"
                    ));
                    return out;
                }
            },
            None => {
                let (ip, why) = default_source(packet.from, dst, &node_ips, &pod_cidrs, &endpoints);
                notes.push(why);
                out.packet.src = Some(ip.to_string());
                ip
            }
        };
        if src.is_ipv6() != dst.is_ipv6() {
            out.notes.push(
                "source and destination are of different address families; nothing traced"
                    .to_string(),
            );
            return out;
        }
        let mut local = node_ips.clone();
        if packet.from == Origin::Node && !local.contains(&src) && !addr::is_loopback(src) {
            local.push(src);
        }
        let ctx = Ctx {
            net,
            protocol: packet.protocol,
            local,
            pod_cidrs,
            endpoints,
            node_ips,
            service_ips: view.service_ips.clone(),
            ipsets: self.ipsets.clone(),
            hooks: view.hooks.as_ref(),
        };
        let mut engine = Engine::new(&ctx);
        let first = engine.start(Branch::new(
            packet.from,
            src,
            dst,
            packet.dst_port,
            Vec::new(),
        ));
        let mut finished = engine.run(first);
        if packet.returning_client {
            finished = returning(&mut engine, packet, src, dst, finished, &mut notes);
        }
        notes.append(&mut engine.budget.notes);
        out.outcomes = outcomes(finished);
        let owners = self.owners();
        for step in out.outcomes.iter_mut().flat_map(|o| o.steps.iter_mut()) {
            step.owner = owners.step(&step.table, &step.chain, step.line);
        }
        out.notes = notes;
        out
    }
}

/// Runs the connection again for a client whose first connection added it to `-m recent` lists.
fn returning(
    engine: &mut Engine<'_>,
    packet: &Packet,
    src: IpAddr,
    dst: IpAddr,
    first: Vec<Branch>,
    notes: &mut Vec<String>,
) -> Vec<Branch> {
    // Group the first connections by the lists they were added to.
    let mut groups: Vec<(Vec<String>, f64, Option<String>)> = Vec::new();
    let mut unchanged = Vec::new();
    for b in first {
        if b.recent_set.is_empty() {
            unchanged.push(b);
            continue;
        }
        match groups.iter_mut().find(|g| g.0 == b.recent_set) {
            Some(g) => g.1 += b.prob,
            None => groups.push((b.recent_set.clone(), b.prob, b.endpoint())),
        }
    }
    if groups.is_empty() {
        notes.push("returning client: no rule on the way adds clients to a -m recent list or an nft set, so the second connection is like the first".to_string());
        return unchanged;
    }
    notes.push(
        "returning client: the client connects again within the affinity timeout; each outcome is the second connection of a client whose first one went to the endpoint shown first in its steps".to_string(),
    );
    let mut out = unchanged;
    for (history, prob, first_endpoint) in groups {
        let mut b = Branch::new(packet.from, src, dst, packet.dst_port, history.clone());
        b.steps.push(Step {
            hook: Hook::Routing,
            table: String::new(),
            chain: String::new(),
            line: None,
            owner: None,
            note: format!(
                "returning client: its first connection went to {} and added it to the client list(s) {}",
                first_endpoint.as_deref().unwrap_or("(no endpoint)"),
                history.join(", ")
            ),
        });
        let b = engine.start(b);
        for mut r in engine.run(b) {
            r.prob *= prob;
            out.push(r);
        }
    }
    out
}

/// Turns finished branches into outcomes: identical ones merged, likeliest first.
fn outcomes(finished: Vec<Branch>) -> Vec<Outcome> {
    let mut out: Vec<(Outcome, f64)> = Vec::new();
    for b in finished {
        let verdict = b.verdict.unwrap_or(Verdict::Drop);
        let endpoint = b.endpoint();
        let masquerade = b.snat;
        match out.iter_mut().find(|(o, _)| {
            o.verdict == verdict
                && o.endpoint == endpoint
                && o.masquerade == masquerade
                && o.uncertain == b.uncertain
        }) {
            Some((o, best)) => {
                o.probability += b.prob;
                for r in &b.uncertain_reasons {
                    add_reason(&mut o.uncertain_reasons, r.clone());
                }
                if b.prob > *best {
                    *best = b.prob;
                    o.rules = b.rules;
                    o.steps = b.steps;
                }
            }
            None => out.push((
                Outcome {
                    probability: b.prob,
                    verdict,
                    endpoint,
                    masquerade,
                    uncertain: b.uncertain,
                    rules: b.rules,
                    steps: b.steps,
                    uncertain_reasons: if b.uncertain {
                        b.uncertain_reasons
                    } else {
                        Vec::new()
                    },
                },
                b.prob,
            )),
        }
    }
    let mut out: Vec<Outcome> = out.into_iter().map(|(o, _)| o).collect();
    for o in &mut out {
        if o.uncertain && o.uncertain_reasons.is_empty() {
            o.uncertain_reasons
                .push("svcpath assumed something on the way (see the steps)".to_string());
        }
    }
    // Likeliest first; shares equal but for the kernel's rounding of probabilities keep endpoint order.
    let rounded = |p: f64| (p * 1e6).round() as i64;
    svcpath_syntax::stable_sort::sort_by(&mut out, |a, b| {
        rounded(b.probability)
            .cmp(&rounded(a.probability))
            .then_with(|| a.endpoint.cmp(&b.endpoint))
            .then_with(|| a.verdict.name().cmp(b.verdict.name()))
            .then_with(|| a.uncertain.cmp(&b.uncertain))
    });
    out
}

/// The source address of a packet given none (see [`super::trace`]), and why it was chosen.
fn default_source(
    from: Origin,
    dst: IpAddr,
    node_ips: &[IpAddr],
    pod_cidrs: &[addr::Cidr],
    endpoints: &[IpAddr],
) -> (IpAddr, String) {
    match from {
        Origin::External => {
            let ip = if dst.is_ipv6() {
                IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7))
            } else {
                IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7))
            };
            (
                ip,
                format!("source {ip}: a client outside the cluster (documentation range)"),
            )
        }
        Origin::Node => {
            if addr::is_loopback(dst) {
                let ip = if dst.is_ipv6() {
                    IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
                } else {
                    IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
                };
                return (ip, format!("source {ip}: the node's loopback address, as the kernel picks towards {dst}"));
            }
            match node_ips.first() {
                Some(&ip) => (ip, format!("source {ip}: the node's first node IP")),
                None => {
                    let ip = if dst.is_ipv6() {
                        IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10))
                    } else {
                        IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 10))
                    };
                    (ip, format!("source {ip}: no node IP is known, so a placeholder node address is used"))
                }
            }
        }
        Origin::Pod => {
            let cidr = pod_cidrs
                .iter()
                .find(|c| c.addr().is_ipv6() == dst.is_ipv6());
            let (base, how) = match cidr {
                Some(c) => (*c, format!("the pod CIDR {}/{}", c.addr(), c.prefix())),
                None => {
                    let guess = endpoints
                        .iter()
                        .find(|e| e.is_ipv6() == dst.is_ipv6())
                        .map(|e| addr::Cidr::new_or_host(*e, if e.is_ipv4() { 24 } else { 64 }))
                        .unwrap_or_else(|| {
                            if dst.is_ipv6() {
                                let net = std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0);
                                addr::Cidr::new_or_host(IpAddr::V6(net), 64)
                            } else {
                                let net = std::net::Ipv4Addr::new(10, 244, 0, 0);
                                addr::Cidr::new_or_host(IpAddr::V4(net), 24)
                            }
                        });
                    (
                        guess,
                        format!(
                            "no pod CIDR is known; the network {}/{} is assumed",
                            guess.addr(),
                            guess.prefix()
                        ),
                    )
                }
            };
            let ip = (2u128..1026)
                .filter_map(|n| base.nth(n))
                .find(|ip| !endpoints.contains(ip) && *ip != dst)
                .unwrap_or(base.addr());
            (
                ip,
                format!("source {ip}: a pod address from {how} that is no endpoint"),
            )
        }
    }
}
