//! The model of kube-proxy's nftables mode: which table is kube-proxy's, its dispatch maps, and what each
//! Service port's chains, map elements and sets say — read from the rules, not from the chain names of
//! one release (base chains are found by hook and priority, maps by the rules that look them up).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use svcpath_syntax::nft::{Chain, Expr, MapRef, Op, Ruleset, Set, Table, Value, Verdict};

mod builder;

pub use builder::services;

use super::names::{self, ChainKind, PortKey};
use super::picks::{self, picks, Pick};
use crate::report::{Endpoint, Protocol, Service, TrafficPolicy, Unknown};

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
        svcpath_syntax::stable_sort::sort_by_key(&mut chains, |c| {
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
                // A map listed alone (`sed -n '/map service-ips/,/^\t}/p'`) whose elements go to
                // kube-proxy's chains.
                || t.sets.iter().any(|s| {
                    s.elements.iter().any(|e| {
                        e.verdict()
                            .and_then(Verdict::chain)
                            .is_some_and(|c| names::parse(c).is_some())
                    })
                })
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
    /// The service chain DNATs to this endpoint itself (`dnat ip to numgen … map { i : ADDR . PORT }`,
    /// kube-proxy 1.36+): there is no endpoint chain.
    pub direct: bool,
    /// A verdict map names this endpoint chain but the paste does not hold it: the address and port
    /// come from the chain's name.
    pub chain_missing: bool,
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
    /// Why the endpoints cannot be read from the rules (a rule not understood, a chain cut from the
    /// paste), with the lines.
    pub endpoints_unknown: Option<Unknown>,
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

    /// True when kube-proxy's no-endpoints map drops this port's ClusterIP traffic (no endpoint on
    /// this node with `internalTrafficPolicy: Local`).
    pub fn drops_cluster_ip(&self) -> bool {
        self.no_endpoint
            .iter()
            .any(|e| !e.reject && matches!(e.target, NoEndpointTarget::ClusterIp(_)))
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
            svcpath_syntax::stable_sort::sort(&mut v);
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
            no_endpoints: self.endpoints_unknown.is_none() && self.rejects(),
            lines,
            endpoints_unknown: self.endpoints_unknown.clone(),
            api: None,
        }
    }
}
