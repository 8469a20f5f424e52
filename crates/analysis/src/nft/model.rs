//! The model of kube-proxy's nftables mode: which table is kube-proxy's, its dispatch maps, and what each
//! Service port's chains, map elements and sets say — read from the rules, not from the chain names of
//! one release (base chains are found by hook and priority, maps by the rules that look them up).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use svcpath_syntax::nft::{
    Chain, ElementValue, Expr, MapRef, Nat, NatKind, Op, Ruleset, Set, Table, Value, Verdict,
};

use super::names::{self, ChainKind, PortKey};
use crate::report::{Endpoint, Protocol, Service, TrafficPolicy};

/// Most chains followed from one base chain when looking for the dispatch maps.
const MAX_REACHABLE: usize = 10_000;

/// One kube-proxy nftables table with its chains and sets indexed by name.
#[derive(Debug)]
pub struct KubeTable<'a> {
    pub table: &'a Table,
    pub chains: HashMap<&'a str, &'a Chain>,
    pub sets: HashMap<&'a str, &'a Set>,
}

impl<'a> KubeTable<'a> {
    pub fn new(table: &'a Table) -> Self {
        KubeTable {
            table,
            chains: table.chains.iter().map(|c| (c.name.as_str(), c)).collect(),
            sets: table.sets.iter().map(|s| (s.name.as_str(), s)).collect(),
        }
    }

    pub fn chain(&self, name: &str) -> Option<&'a Chain> {
        self.chains.get(name).copied()
    }

    pub fn set(&self, name: &str) -> Option<&'a Set> {
        self.sets.get(name).copied()
    }

    /// Base chains on a hook, in the order the kernel runs them (lowest priority first).
    pub fn base_chains(&self, hook: &str) -> Vec<&'a Chain> {
        let mut chains: Vec<&'a Chain> = self
            .table
            .chains
            .iter()
            .filter(|c| c.base.as_ref().is_some_and(|b| b.hook == hook))
            .collect();
        chains.sort_by_key(|c| {
            (
                c.base.as_ref().and_then(|b| b.priority).unwrap_or(0),
                c.line,
            )
        });
        chains
    }

    /// Chains reached from `start` through `jump`/`goto` verdicts of rules (not through map elements).
    pub fn reachable(&self, start: &'a Chain) -> Vec<&'a Chain> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut out = Vec::new();
        let mut queue = VecDeque::from([start]);
        while let Some(chain) = queue.pop_front() {
            if out.len() >= MAX_REACHABLE || !seen.insert(chain.name.as_str()) {
                continue;
            }
            out.push(chain);
            for rule in &chain.rules {
                if let Some(next) = rule
                    .verdict()
                    .and_then(Verdict::chain)
                    .and_then(|n| self.chain(n))
                {
                    queue.push_back(next);
                }
            }
        }
        out
    }
}

/// The tables that hold kube-proxy nftables rules: tables named `kube-proxy`, and tables (or chain
/// fragments without a table header) whose chains carry kube-proxy's service and endpoint names.
pub fn kube_proxy_tables(rulesets: &[Ruleset]) -> Vec<KubeTable<'_>> {
    rulesets
        .iter()
        .flat_map(|r| r.tables.iter())
        .filter(|t| {
            (t.name == "kube-proxy" && matches!(t.family.as_str(), "ip" | "ip6" | "inet"))
                || t.chains.iter().any(|c| names::parse(&c.name).is_some())
        })
        .map(KubeTable::new)
        .collect()
}

/// kube-proxy's maps and sets, as found by the rules that use them.
#[derive(Debug, Default, Clone, Copy)]
pub struct Dispatch<'a> {
    /// `service-ips`: ClusterIP, external IP and load-balancer IP . protocol . port → chain.
    pub service_ips: Option<&'a Set>,
    /// `service-nodeports`: protocol . NodePort → chain.
    pub service_nodeports: Option<&'a Set>,
    /// `firewall-ips`: load-balancer IP . protocol . port → firewall chain.
    pub firewall_ips: Option<&'a Set>,
    /// `no-endpoint-services`: IP . protocol . port → drop or reject.
    pub no_endpoint_services: Option<&'a Set>,
    /// `no-endpoint-nodeports`: protocol . NodePort → drop or reject.
    pub no_endpoint_nodeports: Option<&'a Set>,
    /// `cluster-ips`: every ClusterIP.
    pub cluster_ips: Option<&'a Set>,
}

impl<'a> Dispatch<'a> {
    pub fn find(kt: &KubeTable<'a>) -> Dispatch<'a> {
        let mut d = Dispatch::default();
        let mut three_part_filter_prerouting: Vec<&'a str> = Vec::new();
        let mut three_part_filter_other: Vec<&'a str> = Vec::new();
        for base_chain in kt.table.chains.iter().filter(|c| c.base.is_some()) {
            let Some(base) = base_chain.base.as_ref() else {
                continue;
            };
            for chain in kt.reachable(base_chain) {
                for rule in &chain.rules {
                    for e in &rule.exprs {
                        match e {
                            Expr::Lookup(l) => {
                                let MapRef::Named(name) = &l.map else {
                                    continue;
                                };
                                let parts = l.key.parts.len();
                                let is_dispatch_key =
                                    l.key.parts.last().is_some_and(|p| p.ends_with("dport"));
                                if !is_dispatch_key {
                                    continue;
                                }
                                match (base.kind.as_str(), parts) {
                                    ("nat", 3) => d.service_ips = d.service_ips.or(kt.set(name)),
                                    ("nat", 2) => {
                                        d.service_nodeports = d.service_nodeports.or(kt.set(name))
                                    }
                                    ("filter", 2) => {
                                        d.no_endpoint_nodeports =
                                            d.no_endpoint_nodeports.or(kt.set(name))
                                    }
                                    ("filter", 3) if base.hook == "prerouting" => {
                                        three_part_filter_prerouting.push(name)
                                    }
                                    ("filter", 3) => three_part_filter_other.push(name),
                                    _ => {}
                                }
                            }
                            Expr::Match(m) if base.kind == "filter" => {
                                if let Value::SetRef(name) = &m.right {
                                    let daddr = m.left.text().ends_with("daddr");
                                    let rejects =
                                        rule.exprs.iter().any(|e| matches!(e, Expr::Reject { .. }));
                                    if daddr && rejects && m.op == Op::Eq {
                                        d.cluster_ips = d.cluster_ips.or(kt.set(name));
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        d.firewall_ips = three_part_filter_prerouting.iter().find_map(|n| kt.set(n));
        d.no_endpoint_services = three_part_filter_other
            .iter()
            .filter(|n| !three_part_filter_prerouting.contains(n))
            .find_map(|n| kt.set(n));
        // Without base chains (a listing of the maps alone) kube-proxy's names are the only clue.
        d.service_ips = d.service_ips.or_else(|| kt.set("service-ips"));
        d.service_nodeports = d.service_nodeports.or_else(|| kt.set("service-nodeports"));
        d.firewall_ips = d.firewall_ips.or_else(|| kt.set("firewall-ips"));
        d.no_endpoint_services = d
            .no_endpoint_services
            .or_else(|| kt.set("no-endpoint-services"));
        d.no_endpoint_nodeports = d
            .no_endpoint_nodeports
            .or_else(|| kt.set("no-endpoint-nodeports"));
        d.cluster_ips = d.cluster_ips.or_else(|| kt.set("cluster-ips"));
        d
    }
}

/// Where a "no endpoints" map element sends traffic for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoEndpointTarget {
    ClusterIp(String),
    External(String),
    NodePort(u16),
}

/// One element of `no-endpoint-services` or `no-endpoint-nodeports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoEndpointEntry {
    pub target: NoEndpointTarget,
    /// True for `goto reject-chain` (or `reject`), false for `drop`.
    pub reject: bool,
    pub line: u32,
}

/// One endpoint chain of a Service port.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointModel {
    pub chain: String,
    pub chain_line: Option<u32>,
    pub ip: Option<String>,
    pub port: Option<u16>,
    pub probability: f64,
    pub local: Option<bool>,
    /// Line of `ip saddr ENDPOINT jump mark-for-masquerade` (hairpin traffic is masqueraded).
    pub hairpin_line: Option<u32>,
    /// `update @affinity-… { ip saddr }`: the set name and line.
    pub affinity_update: Option<(String, u32)>,
    pub dnat_line: Option<u32>,
    pub lines: Vec<u32>,
}

/// An affinity set (`affinity-…`) of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffinitySet {
    pub name: String,
    pub line: u32,
    pub seconds: Option<u64>,
}

/// A rule `ip saddr @affinity-… goto endpoint-…` of a service or local chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffinityCheck {
    pub set: String,
    pub endpoint_chain: String,
    pub line: u32,
}

/// Everything kube-proxy's nftables rules say about one Service port.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceModel {
    pub id: String,
    pub key: Option<PortKey>,
    /// `ip kube-proxy`, `ip6 kube-proxy`.
    pub table: String,
    pub protocol: Option<Protocol>,
    pub cluster_ip: Option<String>,
    pub port: Option<u16>,
    pub node_port: Option<u16>,
    pub external_ips: Vec<String>,
    pub load_balancer_ips: Vec<String>,
    pub source_ranges: Vec<String>,
    pub cluster_chain: Option<String>,
    pub local_chain: Option<String>,
    pub external_chain: Option<String>,
    pub firewall_chain: Option<String>,
    /// The chain the ClusterIP element of `service-ips` points to (`service-…`, or `local-…` with
    /// `internalTrafficPolicy: Local`).
    pub cluster_ip_target: Option<String>,
    /// Lines of the `service-ips` / `service-nodeports` / `firewall-ips` elements of this port.
    pub dispatch_lines: Vec<u32>,
    /// Lines of the external chain (header and rules).
    pub external_chain_lines: Vec<u32>,
    pub external_traffic_policy: Option<TrafficPolicy>,
    pub internal_traffic_policy_local: bool,
    pub no_endpoint: Vec<NoEndpointEntry>,
    pub affinity_sets: Vec<AffinitySet>,
    pub affinity_checks: Vec<AffinityCheck>,
    pub endpoints: Vec<EndpointModel>,
    pub lines: BTreeSet<u32>,
}

impl ServiceModel {
    /// Lines of a chain: its header and its rules.
    fn add_chain_lines(&mut self, chain: &Chain) {
        self.lines.insert(chain.line);
        self.lines.extend(chain.rules.iter().map(|r| r.line));
    }

    /// The endpoint model of an endpoint chain, created on first use.
    fn endpoint_mut(&mut self, chain: &str) -> &mut EndpointModel {
        let i = match self.endpoints.iter().position(|e| e.chain == chain) {
            Some(i) => i,
            None => {
                self.endpoints.push(EndpointModel {
                    chain: chain.to_string(),
                    ..EndpointModel::default()
                });
                self.endpoints.len() - 1
            }
        };
        &mut self.endpoints[i]
    }

    /// True when the ClusterIP has no endpoints at all (kube-proxy rejects it).
    pub fn rejects(&self) -> bool {
        self.no_endpoint.iter().any(|e| e.reject)
    }

    pub fn local_endpoints(&self) -> usize {
        self.endpoints
            .iter()
            .filter(|e| e.local == Some(true))
            .count()
    }

    /// The report's view of this Service port. Addresses are sorted: nft keeps no order in a map.
    pub fn to_service(&self) -> Service {
        let lines: Vec<u32> = self.lines.iter().copied().collect();
        let sorted = |v: &Vec<String>| {
            let mut v = v.clone();
            v.sort();
            v
        };
        Service {
            id: self.id.clone(),
            namespace: self.key.as_ref().map(|k| k.namespace.clone()),
            name: self.key.as_ref().map(|k| k.name.clone()),
            port_name: self
                .key
                .as_ref()
                .map(|k| k.port_name.clone())
                .unwrap_or_default(),
            protocol: self.protocol,
            cluster_ip: self.cluster_ip.clone(),
            port: self.port,
            node_port: self.node_port,
            external_ips: sorted(&self.external_ips),
            load_balancer_ips: sorted(&self.load_balancer_ips),
            load_balancer_source_ranges: sorted(&self.source_ranges),
            external_traffic_policy: self.external_traffic_policy,
            session_affinity_seconds: self
                .affinity_sets
                .iter()
                .find_map(|s| s.seconds)
                .and_then(|s| u32::try_from(s).ok()),
            scheduler: None,
            endpoints: self
                .endpoints
                .iter()
                .map(|e| Endpoint {
                    ip: e.ip.clone().unwrap_or_default(),
                    port: e.port,
                    probability: e.probability,
                    local: e.local,
                    weight: None,
                    active_connections: None,
                    inactive_connections: None,
                    lines: e.lines.clone(),
                })
                .collect(),
            no_endpoints: self.rejects()
                || (self.endpoints.is_empty() && self.cluster_ip_target.is_some()),
            lines,
            endpoints_unknown: None,
        }
    }
}

/// Builds the Service ports of one kube-proxy table.
pub fn services(kt: &KubeTable<'_>) -> Vec<ServiceModel> {
    let mut b = Builder {
        kt,
        services: BTreeMap::new(),
    };
    b.read_names();
    let d = Dispatch::find(kt);
    b.read_dispatch(&d);
    b.read_chains();
    b.odds_and_locality();
    let mut out: Vec<ServiceModel> = b.services.into_values().collect();
    for s in &mut out {
        for e in &mut s.endpoints {
            e.lines.sort_unstable();
            e.lines.dedup();
        }
    }
    out
}

struct Builder<'k, 'a> {
    kt: &'k KubeTable<'a>,
    services: BTreeMap<String, ServiceModel>,
}

fn strip_host_prefix(ip: &str) -> String {
    ip.strip_suffix("/32")
        .or_else(|| ip.strip_suffix("/128"))
        .unwrap_or(ip)
        .to_string()
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

impl<'k, 'a> Builder<'k, 'a> {
    fn named(&mut self, key: &PortKey) -> &mut ServiceModel {
        let id = key.id();
        let table = self.kt.table.label();
        self.services
            .entry(id.clone())
            .or_insert_with(|| ServiceModel {
                id,
                key: Some(key.clone()),
                table,
                ..ServiceModel::default()
            })
    }

    /// A Service port seen only by its address (`10.0.0.1:80/tcp`).
    fn by_address(&mut self, ip: &str, proto: &str, port: Option<u16>) -> &mut ServiceModel {
        // An address that some named port already uses belongs to it.
        let found = self.services.iter().find(|(_, s)| {
            s.port == port
                && s.protocol.map(Protocol::name) == Protocol::parse(proto).map(Protocol::name)
                && (s.cluster_ip.as_deref() == Some(ip)
                    || s.external_ips.iter().any(|e| e == ip)
                    || s.load_balancer_ips.iter().any(|e| e == ip))
        });
        let id = match found {
            Some((id, _)) => id.clone(),
            None => format!(
                "{ip}:{}/{proto}",
                port.map(|p| p.to_string()).unwrap_or_default()
            ),
        };
        let table = self.kt.table.label();
        self.services
            .entry(id.clone())
            .or_insert_with(|| ServiceModel {
                id,
                table,
                protocol: Protocol::parse(proto),
                port,
                ..ServiceModel::default()
            })
    }

    /// Chains and affinity sets named after Service ports.
    fn read_names(&mut self) {
        let kt = self.kt;
        for chain in &kt.table.chains {
            let Some(cn) = names::parse(&chain.name) else {
                continue;
            };
            let svc = self.named(&cn.key);
            svc.protocol = svc.protocol.or(cn.protocol);
            svc.add_chain_lines(chain);
            let name = Some(chain.name.clone());
            match cn.kind {
                ChainKind::Service => svc.cluster_chain = name,
                ChainKind::Local => svc.local_chain = name,
                ChainKind::External => {
                    svc.external_chain = name;
                    svc.external_chain_lines = std::iter::once(chain.line)
                        .chain(chain.rules.iter().map(|r| r.line))
                        .collect();
                }
                ChainKind::Firewall => svc.firewall_chain = name,
                ChainKind::Endpoint => {
                    let ep = svc.endpoint_mut(&chain.name);
                    ep.chain_line = Some(chain.line);
                    ep.lines.push(chain.line);
                    ep.lines.extend(chain.rules.iter().map(|r| r.line));
                    if let Some((ip, port)) = &cn.endpoint {
                        // IPv6 addresses are written with dots in chain names; the DNAT rule gives the real one.
                        if !ip.contains(':') && ip.matches('.').count() == 3 {
                            ep.ip = Some(ip.clone());
                        }
                        ep.port = *port;
                    }
                }
                ChainKind::Affinity => {}
            }
        }
        for set in &kt.table.sets {
            let Some(cn) = names::parse(&set.name).filter(|c| c.kind == ChainKind::Affinity) else {
                continue;
            };
            let svc = self.named(&cn.key);
            svc.protocol = svc.protocol.or(cn.protocol);
            svc.lines.insert(set.line);
            svc.affinity_sets.push(AffinitySet {
                name: set.name.clone(),
                line: set.line,
                seconds: set.timeout_seconds,
            });
        }
    }

    fn read_dispatch(&mut self, d: &Dispatch<'_>) {
        let cluster_ips: HashMap<String, u32> = d
            .cluster_ips
            .map(|s| {
                s.elements
                    .iter()
                    .filter_map(|e| e.key.first().map(|k| (strip_host_prefix(k), e.line)))
                    .collect()
            })
            .unwrap_or_default();
        let firewall_targets: HashSet<String> = d
            .firewall_ips
            .map(|s| {
                s.elements
                    .iter()
                    .filter_map(|e| e.key.first().map(|k| strip_host_prefix(k)))
                    .collect()
            })
            .unwrap_or_default();

        if let Some(map) = d.service_ips {
            for e in &map.elements {
                let [ip, proto, port] = e.key.as_slice() else {
                    continue;
                };
                let ip = strip_host_prefix(ip);
                let port_n = port.parse::<u16>().ok();
                let Some(target) = e.verdict().and_then(Verdict::chain) else {
                    continue;
                };
                let parsed = names::parse(target);
                let svc = match &parsed {
                    Some(cn) => self.named(&cn.key),
                    None => self.by_address(&ip, proto, port_n),
                };
                svc.protocol = svc.protocol.or(Protocol::parse(proto));
                svc.lines.insert(e.line);
                svc.dispatch_lines.push(e.line);
                match parsed.as_ref().map(|c| c.kind) {
                    Some(ChainKind::External) => {
                        if firewall_targets.contains(&ip) {
                            push_unique(&mut svc.load_balancer_ips, &ip);
                        } else {
                            push_unique(&mut svc.external_ips, &ip);
                        }
                    }
                    kind => {
                        svc.cluster_ip = Some(ip.clone());
                        svc.port = port_n;
                        svc.cluster_ip_target = Some(target.to_string());
                        if kind == Some(ChainKind::Local) {
                            svc.internal_traffic_policy_local = true;
                        }
                        if let Some(line) = cluster_ips.get(&ip) {
                            svc.lines.insert(*line);
                        }
                    }
                }
                if svc.port.is_none() {
                    svc.port = port_n;
                }
            }
        }
        if let Some(map) = d.firewall_ips {
            for e in &map.elements {
                let [ip, proto, port] = e.key.as_slice() else {
                    continue;
                };
                let ip = strip_host_prefix(ip);
                let Some(target) = e.verdict().and_then(Verdict::chain) else {
                    continue;
                };
                let svc = match names::parse(target) {
                    Some(cn) => self.named(&cn.key),
                    None => self.by_address(&ip, proto, port.parse().ok()),
                };
                svc.lines.insert(e.line);
                svc.dispatch_lines.push(e.line);
                svc.firewall_chain = svc.firewall_chain.take().or(Some(target.to_string()));
                push_unique(&mut svc.load_balancer_ips, &ip);
                svc.external_ips.retain(|x| x != &ip);
            }
        }
        if let Some(map) = d.service_nodeports {
            for e in &map.elements {
                let [proto, port] = e.key.as_slice() else {
                    continue;
                };
                let Some(target) = e.verdict().and_then(Verdict::chain) else {
                    continue;
                };
                let Some(cn) = names::parse(target) else {
                    continue;
                };
                let svc = self.named(&cn.key);
                svc.protocol = svc.protocol.or(Protocol::parse(proto));
                svc.node_port = port.parse().ok();
                svc.lines.insert(e.line);
                svc.dispatch_lines.push(e.line);
            }
        }
        if let Some(map) = d.no_endpoint_services {
            for e in &map.elements {
                let [ip, proto, port] = e.key.as_slice() else {
                    continue;
                };
                let ip = strip_host_prefix(ip);
                let port_n = port.parse::<u16>().ok();
                let svc = match e.comment.as_deref().and_then(PortKey::from_comment) {
                    Some(key) => self.named(&key),
                    None => self.by_address(&ip, proto, port_n),
                };
                svc.protocol = svc.protocol.or(Protocol::parse(proto));
                svc.lines.insert(e.line);
                let is_cluster_ip =
                    cluster_ips.contains_key(&ip) || svc.cluster_ip.as_deref() == Some(ip.as_str());
                let target = if is_cluster_ip {
                    if svc.cluster_ip.is_none() {
                        svc.cluster_ip = Some(ip.clone());
                        svc.port = port_n;
                    }
                    if let Some(line) = cluster_ips.get(&ip) {
                        svc.lines.insert(*line);
                    }
                    NoEndpointTarget::ClusterIp(ip)
                } else {
                    if !svc.load_balancer_ips.contains(&ip) {
                        if firewall_targets.contains(&ip) {
                            push_unique(&mut svc.load_balancer_ips, &ip);
                        } else {
                            push_unique(&mut svc.external_ips, &ip);
                        }
                    }
                    if svc.port.is_none() {
                        svc.port = port_n;
                    }
                    NoEndpointTarget::External(ip)
                };
                svc.no_endpoint.push(NoEndpointEntry {
                    target,
                    reject: rejects(e.value.as_ref()),
                    line: e.line,
                });
            }
        }
        if let Some(map) = d.no_endpoint_nodeports {
            for e in &map.elements {
                let [proto, port] = e.key.as_slice() else {
                    continue;
                };
                let Some(port) = port.parse::<u16>().ok() else {
                    continue;
                };
                let Some(key) = e.comment.as_deref().and_then(PortKey::from_comment) else {
                    continue;
                };
                let svc = self.named(&key);
                svc.protocol = svc.protocol.or(Protocol::parse(proto));
                svc.node_port = Some(port);
                svc.lines.insert(e.line);
                svc.no_endpoint.push(NoEndpointEntry {
                    target: NoEndpointTarget::NodePort(port),
                    reject: rejects(e.value.as_ref()),
                    line: e.line,
                });
            }
        }
    }

    /// What the service, local, external, firewall and endpoint chains say.
    fn read_chains(&mut self) {
        let kt = self.kt;
        for svc in self.services.values_mut() {
            for chain_name in [svc.cluster_chain.clone(), svc.local_chain.clone()]
                .into_iter()
                .flatten()
            {
                let Some(chain) = kt.chain(&chain_name) else {
                    continue;
                };
                for rule in &chain.rules {
                    // `ip saddr @affinity-… goto endpoint-…`
                    for m in rule.matches() {
                        if let (Value::SetRef(set), Some(target)) =
                            (&m.right, rule.verdict().and_then(Verdict::chain))
                        {
                            if names::parse(set).is_some_and(|c| c.kind == ChainKind::Affinity) {
                                svc.affinity_checks.push(AffinityCheck {
                                    set: set.clone(),
                                    endpoint_chain: target.to_string(),
                                    line: rule.line,
                                });
                            }
                        }
                    }
                    // The masquerade rule names the ClusterIP and port when no map element did.
                    if svc.cluster_ip.is_none() && chain_name.starts_with("service-") {
                        if let Some(m) = rule
                            .matches()
                            .find(|m| m.left.text().ends_with(" daddr") && m.op == Op::Eq)
                        {
                            if let Value::Single(ip) = &m.right {
                                svc.cluster_ip = Some(strip_host_prefix(ip));
                            }
                        }
                        if svc.port.is_none() {
                            if let Some(Value::Single(p)) = rule
                                .matches()
                                .find(|m| m.left.text().ends_with(" dport"))
                                .map(|m| &m.right)
                            {
                                svc.port = p.parse().ok();
                            }
                        }
                    }
                    for target in numgen_targets(rule) {
                        let ep = svc.endpoint_mut(&target.0);
                        ep.lines.push(rule.line);
                    }
                }
            }
            if let Some(chain) = svc.external_chain.clone().and_then(|n| kt.chain(&n)) {
                let local_policy = chain.rules.iter().any(|r| {
                    r.matches().any(|m| m.left.text().starts_with("fib saddr"))
                        || r.verdict()
                            .and_then(Verdict::chain)
                            .is_some_and(|c| c.starts_with("local-"))
                });
                svc.external_traffic_policy = Some(if local_policy {
                    TrafficPolicy::Local
                } else {
                    TrafficPolicy::Cluster
                });
            } else if svc
                .no_endpoint
                .iter()
                .any(|e| !e.reject && !matches!(e.target, NoEndpointTarget::ClusterIp(_)))
            {
                // Drops for external destinations only happen with externalTrafficPolicy: Local.
                svc.external_traffic_policy = Some(TrafficPolicy::Local);
            }
            if svc
                .no_endpoint
                .iter()
                .any(|e| !e.reject && matches!(e.target, NoEndpointTarget::ClusterIp(_)))
            {
                svc.internal_traffic_policy_local = true;
            }
            if let Some(chain) = svc.firewall_chain.clone().and_then(|n| kt.chain(&n)) {
                for rule in &chain.rules {
                    for m in rule
                        .matches()
                        .filter(|m| m.left.text().ends_with(" saddr") && m.op == Op::Ne)
                    {
                        for range in m.right.values() {
                            let range = strip_host_prefix(&range);
                            if !svc.load_balancer_ips.contains(&range) {
                                push_unique(&mut svc.source_ranges, &range);
                            }
                        }
                    }
                }
            }
            let mut endpoint_lines = Vec::new();
            for ep in &mut svc.endpoints {
                let Some(chain) = kt.chain(&ep.chain) else {
                    continue;
                };
                ep.chain_line = Some(chain.line);
                ep.lines.push(chain.line);
                ep.lines.extend(chain.rules.iter().map(|r| r.line));
                endpoint_lines.extend(ep.lines.iter().copied());
                for rule in &chain.rules {
                    for e in &rule.exprs {
                        match e {
                            Expr::Nat(Nat {
                                kind: NatKind::Dnat,
                                address,
                                port,
                                ..
                            }) => {
                                if address.is_some() {
                                    ep.ip = address.clone();
                                }
                                ep.port = port.or(ep.port);
                                ep.dnat_line = Some(rule.line);
                            }
                            Expr::SetUpdate { set, .. } => {
                                ep.affinity_update = Some((set.clone(), rule.line))
                            }
                            _ => {}
                        }
                    }
                }
                // `ip saddr ENDPOINT jump mark-for-masquerade`: checked once the address is known.
                for rule in &chain.rules {
                    let saddr_is_endpoint = rule.matches().any(|m| {
                        m.left.text().ends_with(" saddr")
                            && m.op == Op::Eq
                            && matches!(&m.right, Value::Single(v) if Some(strip_host_prefix(v)) == ep.ip)
                    });
                    if saddr_is_endpoint && matches!(rule.verdict(), Some(Verdict::Jump(_))) {
                        ep.hairpin_line = Some(rule.line);
                    }
                }
            }
            svc.lines.extend(endpoint_lines);
        }
    }

    /// Odds from the `numgen` maps, and which endpoints are on this node.
    fn odds_and_locality(&mut self) {
        let kt = self.kt;
        for svc in self.services.values_mut() {
            let odds_chain = svc
                .cluster_ip_target
                .clone()
                .filter(|t| kt.chain(t).is_some())
                .or_else(|| svc.cluster_chain.clone())
                .or_else(|| svc.local_chain.clone());
            let mut order: Vec<String> = Vec::new();
            if let Some(chain) = odds_chain.and_then(|n| kt.chain(&n)) {
                if let Some(rule) = chain.rules.iter().find(|r| !numgen_targets(r).is_empty()) {
                    for (target, chance) in numgen_targets(rule) {
                        let ep = svc.endpoint_mut(&target);
                        ep.probability += chance;
                        if !order.contains(&target) {
                            order.push(target);
                        }
                    }
                }
            }
            let local: HashSet<String> = svc
                .local_chain
                .clone()
                .and_then(|n| kt.chain(&n))
                .map(|c| {
                    c.rules
                        .iter()
                        .flat_map(numgen_targets)
                        .map(|(t, _)| t)
                        .collect()
                })
                .unwrap_or_default();
            let local_policy = svc.external_traffic_policy == Some(TrafficPolicy::Local)
                || svc.internal_traffic_policy_local;
            for ep in &mut svc.endpoints {
                ep.local = if svc.local_chain.is_some() {
                    Some(local.contains(&ep.chain))
                } else if local_policy {
                    Some(false)
                } else {
                    None
                };
            }
            // Endpoints in the order of the numgen map, then the others by chain name.
            svc.endpoints.sort_by(|a, b| {
                let pa = order
                    .iter()
                    .position(|c| c == &a.chain)
                    .unwrap_or(usize::MAX);
                let pb = order
                    .iter()
                    .position(|c| c == &b.chain)
                    .unwrap_or(usize::MAX);
                (pa, &a.chain).cmp(&(pb, &b.chain))
            });
        }
    }
}

fn rejects(value: Option<&ElementValue>) -> bool {
    match value {
        Some(ElementValue::Verdict(Verdict::Goto(c) | Verdict::Jump(c))) => c.contains("reject"),
        Some(ElementValue::Verdict(Verdict::Other(o))) => o.contains("reject"),
        _ => false,
    }
}

/// The chains of a `numgen … vmap { k : goto chain, … }` rule (its first such lookup: the packet leaves
/// the rule there), with the chance of each element.
pub fn numgen_targets(rule: &svcpath_syntax::nft::Rule) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    let first = rule.exprs.iter().find_map(|e| match e {
        Expr::Lookup(l) if l.key.numgen.is_some() && matches!(l.map, MapRef::Anonymous(_)) => {
            Some(l)
        }
        _ => None,
    });
    if let Some(l) = first {
        let (Some(numgen), MapRef::Anonymous(elements)) = (l.key.numgen, &l.map) else {
            return out;
        };
        if numgen.modulus == 0 {
            return out;
        }
        let low = u64::from(numgen.offset);
        let high = low + u64::from(numgen.modulus) - 1;
        // Numbers already given to an earlier element (nft refuses overlapping keys; a paste may not).
        let mut covered: Vec<(u64, u64)> = Vec::new();
        for el in elements {
            let Some(target) = el.verdict().and_then(Verdict::chain) else {
                continue;
            };
            let count = el
                .key
                .first()
                .and_then(|k| key_range(k, low, high))
                .map(|r| take_uncovered(&mut covered, r))
                .unwrap_or(0);
            let chance = count as f64 / f64::from(numgen.modulus);
            match out.iter_mut().find(|(t, _)| t == target) {
                Some((_, c)) => *c += chance,
                None => out.push((target.to_string(), chance)),
            }
        }
    }
    out
}

/// The part of `low..=high` a key (`3` or `0-4`) covers.
fn key_range(key: &str, low: u64, high: u64) -> Option<(u64, u64)> {
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
fn take_uncovered(covered: &mut Vec<(u64, u64)>, range: (u64, u64)) -> u64 {
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

#[cfg(test)]
/// How many of the numbers `low..=high` a key (`3` or `0-4`) covers.
fn keys_in(key: &str, low: u64, high: u64) -> u64 {
    let (a, b) = match key.split_once('-') {
        Some((a, b)) => (a.trim().parse::<u64>().ok(), b.trim().parse::<u64>().ok()),
        None => {
            let n = key.trim().parse::<u64>().ok();
            (n, n)
        }
    };
    match (a, b) {
        (Some(a), Some(b)) if a <= b => {
            let a = a.max(low);
            let b = b.min(high);
            if a > b {
                0
            } else {
                b - a + 1
            }
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numgen_keys_and_ranges() {
        assert_eq!(keys_in("3", 0, 8), 1);
        assert_eq!(keys_in("0-4", 0, 8), 5);
        assert_eq!(keys_in("7-12", 0, 8), 2);
        assert_eq!(keys_in("9", 0, 8), 0);
        assert_eq!(keys_in("x", 0, 8), 0);
    }

    #[test]
    fn overlapping_keys_count_once() {
        let mut covered = Vec::new();
        assert_eq!(take_uncovered(&mut covered, (0, 4)), 5);
        assert_eq!(take_uncovered(&mut covered, (3, 8)), 4);
        assert_eq!(take_uncovered(&mut covered, (0, 8)), 0);
    }
}
