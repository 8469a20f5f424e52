//! kube-proxy's iptables mode: Services, their entry points, endpoints and odds, read from the chains.
//!
//! The model works from chain structure first and comments second, so that old kube-proxy versions (no
//! comments on `KUBE-SEP` chains) and grep fragments (comments cut away, chains missing) are read too.
//! A Service port's chains share one hash suffix: `KUBE-SVC-H` (all endpoints), `KUBE-SVL-H` (local
//! endpoints), `KUBE-EXT-H` (external traffic), `KUBE-FW-H` (load-balancer firewall), and in old versions
//! `KUBE-XLB-H` (external traffic, local endpoints).

pub mod cost;
pub mod names;
pub mod odds;

use std::collections::BTreeMap;

use crate::fast_hash::{self, FastMap};

use svcpath_syntax::iptables::{BasicKind, Chain, Rule, Ruleset, Table};

use crate::report::{Endpoint, Fact, Protocol, Service, TrafficPolicy, Unknown};
use names::{parse_service_comment, ServiceName};

/// The chain families of one Service port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Svc,
    Svl,
    Ext,
    Fw,
    Xlb,
}

/// Splits `KUBE-SVC-HASH` into its family and hash.
pub fn chain_family(chain: &str) -> Option<(Family, &str)> {
    let (family, rest) = if let Some(h) = chain.strip_prefix("KUBE-SVC-") {
        (Family::Svc, h)
    } else if let Some(h) = chain.strip_prefix("KUBE-SVL-") {
        (Family::Svl, h)
    } else if let Some(h) = chain.strip_prefix("KUBE-EXT-") {
        (Family::Ext, h)
    } else if let Some(h) = chain.strip_prefix("KUBE-FW-") {
        (Family::Fw, h)
    } else if let Some(h) = chain.strip_prefix("KUBE-XLB-") {
        (Family::Xlb, h)
    } else {
        return None;
    };
    (!rest.is_empty()).then_some((family, rest))
}

pub use crate::net::{host_address, split_address};

/// Everything gathered for one hash, before it becomes a [`Service`].
#[derive(Debug, Default)]
struct Gathered {
    name: Option<ServiceName>,
    protocol: Option<Protocol>,
    cluster_ip: Option<String>,
    port: Option<u16>,
    node_port: Option<u16>,
    external_ips: Vec<String>,
    load_balancer_ips: Vec<String>,
    source_ranges: Vec<String>,
    lines: Vec<u32>,
    no_endpoints: bool,
    no_local_endpoints: bool,
    has_svc_chain: bool,
    /// The ClusterIP, port and protocol of the Service chain's own masquerade rule (`! -s CIDR -d VIP/32
    /// -p tcp --dport 80 -j KUBE-MARK-MASQ`), for pastes without the `KUBE-SERVICES` line.
    masquerade_entry: Option<(String, Option<u16>, Option<Protocol>)>,
}

/// One nat table plus the filter table of the same dump, with indexes for lookups by chain name and
/// by line (so that reading a dump with many Services stays linear in its size).
pub struct Tables<'a> {
    pub nat: Option<&'a Table>,
    pub filter: Option<&'a Table>,
    nat_chains: FastMap<&'a str, &'a Chain>,
    nat_rules_by_line: FastMap<u32, &'a Rule>,
}

impl<'a> Tables<'a> {
    pub fn of(ruleset: &'a Ruleset) -> Self {
        let nat = ruleset.table("nat");
        // Sized once: growing the maps rule by rule rehashes every entry again at each doubling.
        let chains = nat.map_or(0, |t| t.chains.len());
        let rules = nat.map_or(0, |t| t.chains.iter().map(|c| c.rules.len()).sum());
        let mut nat_chains = fast_hash::map_with_capacity(chains);
        let mut nat_rules_by_line = fast_hash::map_with_capacity(rules);
        for chain in nat.iter().flat_map(|t| t.chains.iter()) {
            // The first chain of a name wins, as `Table::chain` finds it.
            nat_chains.entry(chain.name.as_str()).or_insert(chain);
            for rule in &chain.rules {
                nat_rules_by_line.entry(rule.line).or_insert(rule);
            }
        }
        Tables {
            nat,
            filter: ruleset.table("filter"),
            nat_chains,
            nat_rules_by_line,
        }
    }

    /// The nat chain of this name.
    pub fn nat_chain(&self, name: &str) -> Option<&'a Chain> {
        self.nat_chains.get(name).copied()
    }
}

/// True when the dump holds iptables-mode Service structures: Service or endpoint chains, jumps to them,
/// or kube-proxy's "has no (local) endpoints" rules.
pub fn has_service_chains(ruleset: &Ruleset) -> bool {
    ruleset.tables.iter().any(|t| {
        t.chains.iter().any(|c| {
            (chain_family(&c.name).is_some() || c.name.starts_with("KUBE-SEP-"))
                && (!c.rules.is_empty() || c.declared_at.is_some())
                || c.rules.iter().any(|r| {
                    r.target_name()
                        .is_some_and(|t| chain_family(t).is_some() || t.starts_with("KUBE-SEP-"))
                        || r.comment().is_some_and(|c| {
                            c.ends_with("has no endpoints") || c.ends_with("has no local endpoints")
                        })
                })
        })
    })
}

/// The iptables-save sections of a paste with their nat/filter indexes, read once per report and shared
/// by detection, analysis and cost.
pub struct IptablesNode<'a> {
    pub rulesets: &'a [Ruleset],
    /// [`Tables::of`] each ruleset, in the same order.
    pub tables: Vec<Tables<'a>>,
    /// [`has_service_chains`] of each ruleset, in the same order.
    pub service_chains: Vec<bool>,
}

impl<'a> IptablesNode<'a> {
    pub fn read(rulesets: &'a [Ruleset]) -> IptablesNode<'a> {
        IptablesNode {
            rulesets,
            tables: rulesets.iter().map(Tables::of).collect(),
            service_chains: rulesets.iter().map(has_service_chains).collect(),
        }
    }

    /// True when some dump holds iptables-mode Service structures.
    pub fn detect(&self) -> bool {
        self.service_chains.iter().any(|&b| b)
    }

    /// The Services of every dump and the cost of a first packet.
    pub fn analyze(&self) -> crate::ModeAnalysis {
        crate::ModeAnalysis {
            services: self.tables.iter().flat_map(services_of).collect(),
            cost: self.cost(),
            ..crate::ModeAnalysis::default()
        }
    }

    /// The nat rules a first packet from a pod passes, over the Services of every dump.
    pub fn cost(&self) -> crate::Cost {
        cost::rules_per_packet(&self.tables)
    }
}

/// Reads the Services of one dump.
pub fn services(ruleset: &Ruleset) -> Vec<Service> {
    services_of(&Tables::of(ruleset))
}

/// The Services of one dump, from its indexed tables.
fn services_of(tables: &Tables<'_>) -> Vec<Service> {
    let mut by_hash: BTreeMap<String, Gathered> = BTreeMap::new();
    // Services seen only through a filter-table "has no endpoints" rule, keyed by name.
    let mut without_chains: BTreeMap<String, Gathered> = BTreeMap::new();

    if let Some(nat) = tables.nat {
        for chain in &nat.chains {
            if let Some((family, hash)) = chain_family(&chain.name) {
                let g = by_hash.entry(hash.to_string()).or_default();
                if family == Family::Svc {
                    g.has_svc_chain = true;
                }
                for rule in &chain.rules {
                    g.lines.push(rule.line);
                    if g.name.is_none() {
                        g.name = rule.comment().and_then(parse_service_comment);
                    }
                    if family == Family::Svc
                        && g.masquerade_entry.is_none()
                        && rule.target_name() == Some("KUBE-MARK-MASQ")
                    {
                        if let Some(dst) = rule.basic(BasicKind::Destination).filter(|d| !d.negated)
                        {
                            g.masquerade_entry = Some((
                                host_address(&dst.value),
                                rule_dport(rule),
                                rule_protocol(rule),
                            ));
                        }
                    }
                    if family == Family::Fw {
                        if let Some(src) = rule.basic(BasicKind::Source) {
                            let jumps_on = rule.target_name().and_then(chain_family).is_some();
                            if !src.negated
                                && jumps_on
                                && !g.source_ranges.iter().any(|r| *r == src.value)
                            {
                                g.source_ranges.push(src.value.to_string());
                            }
                        }
                    }
                }
            }
        }
        for entry_chain in ["KUBE-SERVICES", "KUBE-NODEPORTS"] {
            let Some(chain) = nat.chain(entry_chain) else {
                continue;
            };
            for rule in &chain.rules {
                let Some(target) = rule.target_name() else {
                    continue;
                };
                let Some((family, hash)) = chain_family(target) else {
                    continue;
                };
                let g = by_hash.entry(hash.to_string()).or_default();
                g.lines.push(rule.line);
                let comment = rule.comment().unwrap_or("");
                if g.name.is_none() {
                    g.name = parse_service_comment(comment);
                }
                if g.protocol.is_none() {
                    g.protocol = rule_protocol(rule);
                }
                let port = rule_dport(rule);
                let dst = rule
                    .basic(BasicKind::Destination)
                    .filter(|d| !d.negated)
                    .map(|d| host_address(&d.value));
                if entry_chain == "KUBE-NODEPORTS" {
                    let loopback_only = dst
                        .as_deref()
                        .is_some_and(|d| d.starts_with("127.") || d == "::1");
                    if let (Some(p), false) = (port, loopback_only) {
                        g.node_port.get_or_insert(p);
                    } else if let (Some(p), None) = (port, g.node_port) {
                        g.node_port = Some(p);
                    }
                    continue;
                }
                let Some(dst) = dst else { continue };
                let kind = entry_kind(comment, family);
                match kind {
                    EntryKind::ClusterIp => {
                        if g.cluster_ip.is_none() {
                            g.cluster_ip = Some(dst);
                            g.port = port;
                        }
                    }
                    EntryKind::ExternalIp => push_unique(&mut g.external_ips, dst),
                    EntryKind::LoadBalancer => push_unique(&mut g.load_balancer_ips, dst),
                }
                if g.port.is_none() {
                    g.port = port;
                }
            }
        }
        // Old kube-proxy wrote external-IP and masquerade rules in KUBE-SERVICES pointing at KUBE-MARK-MASQ.
        for g in by_hash.values_mut() {
            // Without a KUBE-SERVICES line, the Service chain's masquerade rule still names the ClusterIP.
            let Some((ip, port, protocol)) = g.masquerade_entry.take() else {
                continue;
            };
            if g.cluster_ip.is_none() && !ip.contains('/') {
                g.cluster_ip = Some(ip);
                g.port = g.port.or(port);
                g.protocol = g.protocol.or(protocol);
            }
        }
    }

    // The first hash (in order) that carries each Service name, for the filter rules below.
    let mut hash_of_name: FastMap<ServiceName, String> = FastMap::default();
    for (hash, g) in &by_hash {
        if let Some(name) = &g.name {
            hash_of_name
                .entry(name.clone())
                .or_insert_with(|| hash.clone());
        }
    }

    // "has no endpoints" rejects in the filter table.
    if let Some(filter) = tables.filter {
        for chain_name in ["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES"] {
            let Some(chain) = filter.chain(chain_name) else {
                continue;
            };
            for rule in &chain.rules {
                let comment = rule.comment().unwrap_or("");
                if comment.ends_with("has no local endpoints") {
                    let Some(name) = parse_service_comment(comment) else {
                        continue;
                    };
                    let g = match hash_of_name.get(&name).and_then(|h| by_hash.get_mut(h)) {
                        Some(g) => g,
                        None => without_chains.entry(name.id()).or_insert_with(|| Gathered {
                            name: Some(name.clone()),
                            ..Gathered::default()
                        }),
                    };
                    g.no_local_endpoints = true;
                    g.lines.push(rule.line);
                    if g.protocol.is_none() {
                        g.protocol = rule_protocol(rule);
                    }
                    let local_dst = rule.module("addrtype").is_some_and(|m| {
                        m.options
                            .iter()
                            .any(|o| o.name == "dst-type" && o.value() == Some("LOCAL"))
                    });
                    if local_dst {
                        g.node_port = g.node_port.or(rule_dport(rule));
                    } else if let Some(dst) = rule
                        .basic(BasicKind::Destination)
                        .map(|d| host_address(&d.value))
                    {
                        if g.cluster_ip.as_deref() != Some(dst.as_str())
                            && !g.external_ips.contains(&dst)
                            && !g.load_balancer_ips.contains(&dst)
                        {
                            push_unique(&mut g.external_ips, dst);
                        }
                    }
                    continue;
                }
                if !comment.ends_with("has no endpoints") {
                    continue;
                }
                let Some(name) = parse_service_comment(comment) else {
                    continue;
                };
                let existing = hash_of_name.get(&name).and_then(|h| by_hash.get_mut(h));
                let g = match existing {
                    Some(g) => g,
                    None => without_chains.entry(name.id()).or_insert_with(|| Gathered {
                        name: Some(name.clone()),
                        ..Gathered::default()
                    }),
                };
                g.no_endpoints = true;
                g.lines.push(rule.line);
                if g.protocol.is_none() {
                    g.protocol = rule_protocol(rule);
                }
                let port = rule_dport(rule);
                let has_local_dst = rule
                    .module("addrtype")
                    .and_then(|m| m.options.iter().find(|o| o.name == "dst-type"))
                    .is_some_and(|o| o.value() == Some("LOCAL"));
                if has_local_dst {
                    g.node_port = g.node_port.or(port);
                    continue;
                }
                if let Some(dst) = rule
                    .basic(BasicKind::Destination)
                    .map(|d| host_address(&d.value))
                {
                    if comment_entry_kind(comment) == Some(EntryKind::ExternalIp) {
                        push_unique(&mut g.external_ips, dst);
                    } else if g.cluster_ip.is_none() {
                        g.cluster_ip = Some(dst);
                        g.port = port;
                    } else if g.cluster_ip.as_deref() != Some(dst.as_str()) {
                        push_unique(&mut g.load_balancer_ips, dst);
                    }
                }
            }
        }
    }

    // Chains declared but without a single rule in the paste (a truncated dump): nothing to show.
    let gathered: Vec<(String, Gathered)> = by_hash
        .into_iter()
        .filter(|(_, g)| !g.lines.is_empty())
        .chain(without_chains.into_values().map(|g| (String::new(), g)))
        .collect();
    // Each Service is finished on its own (on both cores with the `parallel` feature), in this order.
    let mut out = crate::parallel::map(gathered, |(hash, g)| finish(tables, &hash, g));
    svcpath_syntax::stable_sort::sort_by(&mut out, |a, b| {
        a.id.cmp(&b.id).then(a.cluster_ip.cmp(&b.cluster_ip))
    });
    out
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    ClusterIp,
    ExternalIp,
    LoadBalancer,
}

fn comment_entry_kind(comment: &str) -> Option<EntryKind> {
    if comment.contains("cluster IP") {
        Some(EntryKind::ClusterIp)
    } else if comment.contains("external IP") {
        Some(EntryKind::ExternalIp)
    } else if comment.contains("loadbalancer IP") || comment.contains("LB IP") {
        Some(EntryKind::LoadBalancer)
    } else {
        None
    }
}

fn entry_kind(comment: &str, family: Family) -> EntryKind {
    comment_entry_kind(comment).unwrap_or(match family {
        Family::Fw => EntryKind::LoadBalancer,
        Family::Ext | Family::Xlb => EntryKind::ExternalIp,
        Family::Svc | Family::Svl => EntryKind::ClusterIp,
    })
}

pub(crate) fn rule_protocol(rule: &Rule) -> Option<Protocol> {
    rule.basic(BasicKind::Protocol)
        .filter(|p| !p.negated)
        .and_then(|p| Protocol::parse(&p.value))
}

pub(crate) fn rule_dport(rule: &Rule) -> Option<u16> {
    rule.modules
        .iter()
        .flat_map(|m| m.options.iter())
        .find(|o| (o.name == "dport" || o.name == "destination-port") && !o.negated)
        .and_then(|o| o.value())
        .and_then(|v| v.parse().ok())
}

fn finish(tables: &Tables<'_>, hash: &str, mut g: Gathered) -> Service {
    let svc_chain = tables.nat_chain(&format!("KUBE-SVC-{hash}"));
    let svl_chain = tables.nat_chain(&format!("KUBE-SVL-{hash}"));
    let ext_chain = tables.nat_chain(&format!("KUBE-EXT-{hash}"));
    let xlb_chain = tables.nat_chain(&format!("KUBE-XLB-{hash}"));

    let mut endpoints = match svc_chain {
        Some(chain) => odds::endpoints_of(tables, chain),
        None => Vec::new(),
    };
    if g.protocol.is_none() {
        g.protocol = svc_chain
            .into_iter()
            .chain(svl_chain)
            .flat_map(|c| c.rules.iter())
            .find_map(rule_protocol)
            .or_else(|| {
                endpoints
                    .iter()
                    .flat_map(|e| e.lines.iter())
                    .find_map(|l| find_rule_by_line(tables, *l).and_then(rule_protocol))
            });
    }

    // Endpoints local to this node: those the local chain (SVL, or XLB's balancing rules) reaches.
    let local_chain = svl_chain.or(xlb_chain);
    let local_list = local_chain.map(|c| odds::endpoints_of(tables, c));
    if let Some(local) = &local_list {
        for e in &mut endpoints {
            e.local = Some(local.iter().any(|l| l.ip == e.ip && l.port == e.port));
        }
        if endpoints.is_empty() {
            // A grep fragment without the KUBE-SVC chain: show the local ones.
            endpoints = local.clone();
            for e in &mut endpoints {
                e.local = Some(true);
            }
        }
    }

    if g.no_local_endpoints && local_list.is_none() {
        // kube-proxy says so in a "has no local endpoints" rule: none of the endpoints runs here.
        for e in &mut endpoints {
            e.local = Some(false);
        }
    }

    let policy = if svl_chain.is_some() || xlb_chain.is_some() || g.no_local_endpoints {
        Some(TrafficPolicy::Local)
    } else if let Some(ext) = ext_chain {
        // Only policy Local writes the "pod traffic" / "route LOCAL traffic" short-cuts and the jump to the
        // local chain (which is left out when there is no local endpoint); Cluster masquerades everything.
        let local_shape = ext.rules.iter().any(|r| {
            r.target_name().is_some_and(|t| t.starts_with("KUBE-SVL-"))
                || r.module("addrtype")
                    .is_some_and(|m| m.options.iter().any(|o| o.name == "src-type"))
                || r.comment()
                    .is_some_and(|c| c.starts_with("pod traffic for"))
        });
        Some(if local_shape || g.no_local_endpoints {
            TrafficPolicy::Local
        } else {
            TrafficPolicy::Cluster
        })
    } else if g.node_port.is_some() || !g.load_balancer_ips.is_empty() || !g.external_ips.is_empty()
    {
        // Before KUBE-EXT chains existed, externally reachable Services without KUBE-XLB were Cluster.
        Some(TrafficPolicy::Cluster)
    } else {
        None
    };

    let affinity = svc_chain
        .and_then(affinity_seconds)
        .or_else(|| local_chain.and_then(affinity_seconds));
    let endpoints_unknown = if g.no_endpoints {
        // kube-proxy's own "has no endpoints" rule says what happens.
        None
    } else {
        unknown_endpoints(hash, svc_chain, local_chain, &endpoints, &g.lines)
    };
    let no_endpoints = g.no_endpoints
        || (endpoints_unknown.is_none()
            && g.has_svc_chain
            && endpoints.is_empty()
            && svc_chain.is_some_and(|c| {
                !c.rules.is_empty()
                    && !c
                        .rules
                        .iter()
                        .any(|r| r.target_name().is_some_and(|t| t.starts_with("KUBE-SEP-")))
            }));

    let (namespace, name, port_name) = match &g.name {
        Some(n) => (
            Some(n.namespace.clone()),
            Some(n.name.clone()),
            n.port.clone(),
        ),
        None => (None, None, String::new()),
    };
    let id = match &g.name {
        Some(n) => n.id(),
        None => match (&g.cluster_ip, g.port) {
            (Some(ip), Some(port)) => format!(
                "{}:{}/{}",
                bracket_v6(ip),
                port,
                g.protocol.map(Protocol::name).unwrap_or("tcp")
            ),
            _ => format!("KUBE-SVC-{hash}"),
        },
    };
    g.lines.sort_unstable();
    g.lines.dedup();
    Service {
        id,
        namespace,
        name,
        port_name,
        protocol: g.protocol,
        cluster_ip: g.cluster_ip,
        port: g.port,
        node_port: g.node_port,
        external_ips: g.external_ips,
        load_balancer_ips: g.load_balancer_ips,
        load_balancer_source_ranges: g.source_ranges,
        external_traffic_policy: policy,
        session_affinity_seconds: affinity,
        scheduler: None,
        endpoints,
        no_endpoints,
        lines: g.lines,
        endpoints_unknown,
        api: None,
    }
}

/// Why this Service's endpoints cannot be read from the paste, if they cannot: the Service chain is
/// missing (a cut paste or a grep), a rule in it is not understood, or an endpoint chain is missing and
/// no comment names its address.
fn unknown_endpoints(
    hash: &str,
    svc_chain: Option<&Chain>,
    local_chain: Option<&Chain>,
    endpoints: &[Endpoint],
    lines: &[u32],
) -> Option<Unknown> {
    for chain in svc_chain.into_iter().chain(local_chain) {
        if let Some((line, reason)) = odds::unread_choice(chain) {
            return Some(Unknown {
                reason,
                lines: vec![line],
            });
        }
    }
    match svc_chain {
        None if endpoints.is_empty() && !hash.is_empty() => {
            return Some(Unknown {
                reason: format!(
                    "the Service chain KUBE-SVC-{hash} is not in the paste, so the rule that picks the endpoints \
                     is not known"
                ),
                lines: lines.to_vec(),
            })
        }
        Some(chain) if chain.rules.is_empty() && endpoints.is_empty() => {
            return Some(Unknown {
                reason: format!(
                    "the Service chain {} has no rules in the paste (cut?), so the endpoints are not known",
                    chain.name
                ),
                lines: chain.declared_at.into_iter().collect(),
            })
        }
        _ => {}
    }
    let unresolved = endpoints
        .iter()
        .find(|e| e.port.is_none() && e.ip.starts_with("KUBE-SEP-"))?;
    Some(Unknown {
        reason: format!(
            "the endpoint chain {} is not in the paste and no comment names its address",
            unresolved.ip
        ),
        lines: unresolved.lines.first().copied().into_iter().collect(),
    })
}

fn bracket_v6(ip: &str) -> String {
    if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    }
}

fn find_rule_by_line<'a>(tables: &Tables<'a>, line: u32) -> Option<&'a Rule> {
    tables.nat_rules_by_line.get(&line).copied()
}

/// `-m recent --rcheck --seconds N` in a Service chain: ClientIP session affinity with timeout N.
fn affinity_seconds(chain: &Chain) -> Option<u32> {
    chain.rules.iter().find_map(|r| {
        let recent = r.module("recent")?;
        let checks = recent
            .options
            .iter()
            .any(|o| o.name == "rcheck" || o.name == "update");
        if !checks {
            return None;
        }
        recent
            .options
            .iter()
            .find(|o| o.name == "seconds")
            .and_then(|o| o.value())
            .and_then(|v| v.parse().ok())
    })
}

/// The pod CIDRs kube-proxy's masquerade rules name (`! -s CIDR … -j KUBE-MARK-MASQ`), and where.
pub fn pod_cidrs(ruleset: &Ruleset) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    let Some(nat) = ruleset.table("nat") else {
        return facts;
    };
    for chain in &nat.chains {
        for rule in &chain.rules {
            let Some(src) = rule.basic(BasicKind::Source) else {
                continue;
            };
            let masq = src.negated && rule.target_name() == Some("KUBE-MARK-MASQ");
            let pod_traffic = !src.negated
                && chain.name.starts_with("KUBE-EXT-")
                && rule
                    .comment()
                    .is_some_and(|c| c.starts_with("pod traffic for"));
            if !(masq || pod_traffic) || !src.value.contains('/') {
                continue;
            }
            match facts.iter_mut().find(|f| f.value == src.value) {
                Some(f) => {
                    if f.lines.len() < 20 {
                        f.lines.push(rule.line);
                    }
                }
                None => facts.push(Fact {
                    value: src.value.to_string(),
                    source: if masq {
                        format!(
                            "`! -s {} … -j KUBE-MARK-MASQ` in {} (line {})",
                            src.value, chain.name, rule.line
                        )
                    } else {
                        format!(
                            "`-s {}` \"pod traffic\" rule in {} (line {})",
                            src.value, chain.name, rule.line
                        )
                    },
                    lines: vec![rule.line],
                }),
            }
        }
    }
    facts
}

/// Node addresses named by the dump: `-d IP … -j KUBE-NODEPORTS` (`--nodeport-addresses`).
pub fn node_ips(ruleset: &Ruleset) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    let Some(nat) = ruleset.table("nat") else {
        return facts;
    };
    let Some(chain) = nat.chain("KUBE-SERVICES") else {
        return facts;
    };
    for rule in &chain.rules {
        if rule.target_name() != Some("KUBE-NODEPORTS") {
            continue;
        }
        if let Some(d) = rule.basic(BasicKind::Destination).filter(|d| !d.negated) {
            let ip = host_address(&d.value);
            if ip.contains('/') || ip.starts_with("127.") {
                continue;
            }
            facts.push(Fact {
                value: ip.clone(),
                source: format!(
                    "NodePorts accepted on {ip} (`-d {} -j KUBE-NODEPORTS`, line {})",
                    d.value, rule.line
                ),
                lines: vec![rule.line],
            });
        }
    }
    facts
}

/// Endpoint lookups by address for findings.
pub fn endpoint_ips(services: &[Service]) -> Vec<&Endpoint> {
    services.iter().flat_map(|s| s.endpoints.iter()).collect()
}
