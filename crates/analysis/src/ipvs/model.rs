//! The IPVS-mode node model: every virtual service with its role (cluster IP, node port on a node
//! address, external IP, load-balancer IP), its traffic policy, masquerade and hairpin handling recovered
//! from the ipsets and iptables rules, and the grouping of virtual services into Services.

use std::collections::{BTreeMap, BTreeSet};

use svcpath_syntax::ipset::IpSet;
use svcpath_syntax::iptables::Ruleset;
use svcpath_syntax::ipvs::{Listing, Protocol as IpvsProtocol, RealServer, VirtualService};

use super::rules::{ClusterIpMasquerade, RuleFacts, ServiceName};
use super::sets::{IpPort, SetIndex};
use crate::report::{self, Protocol, TrafficPolicy};

/// What a virtual service stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    ClusterIp,
    /// A node port, on one node address.
    NodePort,
    ExternalIp,
    LoadBalancer,
    /// A firewall-mark service or an address whose role nothing reveals.
    Unknown,
}

impl Role {
    pub fn describe(self) -> &'static str {
        match self {
            Role::ClusterIp => "cluster IP",
            Role::NodePort => "node port",
            Role::ExternalIp => "external IP",
            Role::LoadBalancer => "load-balancer IP",
            Role::Unknown => "virtual service",
        }
    }
}

/// One virtual service with what the other inputs say about it.
#[derive(Debug, Clone)]
pub struct VirtualServer {
    pub service: VirtualService,
    pub role: Role,
    /// True when an ipset entry told the role; false when it was guessed from the address and port.
    pub role_from_sets: bool,
    /// `externalTrafficPolicy: Local` (`Some(true)`), `Cluster` (`Some(false)`), or not known.
    pub local_policy: Option<bool>,
    /// Who gets masqueraded on the way to this virtual service, in words, and the rule lines.
    pub masquerade: Option<(String, Vec<u32>)>,
    /// Real servers known to run on this node (a `KUBE-LOOP-BACK` entry for the address, or a node address).
    pub local_endpoints: Vec<String>,
    /// True when `KUBE-LOOP-BACK` was listed, so a real server without an entry is known not to run here.
    pub locality_known: bool,
    /// Local real servers that lack their own `KUBE-LOOP-BACK` entry.
    pub missing_loopback: Vec<(String, u32)>,
    /// ipset member lines that mention this virtual service.
    pub set_lines: Vec<u32>,
    /// The Service name, when an input reveals it.
    pub name: Option<ServiceName>,
}

impl VirtualServer {
    /// `ip:port/proto`, the id of an unnamed Service.
    pub fn id(&self) -> String {
        let protocol = self.service.protocol.map(|p| p.name()).unwrap_or("?");
        match (&self.service.address, self.service.fwmark) {
            (Some(a), _) => match a.key() {
                Some(k) => format!("{k}/{protocol}"),
                None => format!("{}/{protocol} (line {})", a.text, self.service.line),
            },
            (None, Some(mark)) => format!("fwmark {mark}"),
            (None, None) => format!("line {}", self.service.line),
        }
    }

    pub fn ip_port(&self) -> Option<IpPort> {
        let a = self.service.address.as_ref()?;
        Some((
            a.ip.clone()?,
            self.service.protocol?.name().to_string(),
            a.port?,
        ))
    }

    /// Keys of the real servers (`ip:port`), sorted.
    pub fn real_server_keys(&self) -> BTreeSet<String> {
        self.service
            .real_servers
            .iter()
            .filter_map(|r| r.address.key())
            .collect()
    }

    /// Every line that shows this virtual service and its real servers.
    pub fn lines(&self) -> Vec<u32> {
        let mut lines = self.service.lines.clone();
        for r in &self.service.real_servers {
            lines.extend(&r.lines);
        }
        lines
    }
}

/// The whole node.
#[derive(Debug, Clone, Default)]
pub struct Node {
    /// The merged listings, without their virtual services: those moved into `servers`.
    pub listing: Listing,
    /// How many virtual services and real servers the listings hold.
    pub service_count: usize,
    pub real_server_count: usize,
    /// At least one ipvsadm listing was given.
    pub has_listing: bool,
    pub servers: Vec<VirtualServer>,
    pub sets: SetIndex,
    pub rules: RuleFacts,
    /// Node addresses: virtual-service addresses of node ports.
    pub node_ips: BTreeSet<String>,
    /// Virtual services whose role was guessed because no ipset listing was given.
    pub guessed_roles: Vec<usize>,
}

/// Lowest and highest port of kube-proxy's default node-port range.
const NODE_PORT_RANGE: (u16, u16) = (30000, 32767);

impl Node {
    pub fn build(listings: &[Listing], ipsets: &[Vec<IpSet>], rulesets: &[Ruleset]) -> Node {
        let mut listing = Listing::default();
        for l in listings {
            let _ = listing.merge(l.clone());
        }
        let sets = SetIndex::build(ipsets);
        let rules = RuleFacts::build(rulesets);
        let mut node = Node {
            has_listing: !listings.is_empty(),
            listing,
            sets,
            rules,
            ..Node::default()
        };
        node.classify();
        node
    }

    fn classify(&mut self) {
        let sets = &self.sets;
        let have_sets = sets.has("KUBE-CLUSTER-IP")
            || sets.has("KUBE-NODE-PORT-TCP")
            || sets.has("KUBE-NODE-PORT-UDP");
        // Addresses that serve a port outside the node-port range (cluster IPs when no set tells).
        let mut non_node_port_addresses = BTreeSet::new();
        // Each virtual service moves into its server (the listing keeps how many there were).
        let services = std::mem::take(&mut self.listing.services);
        self.service_count = services.len();
        self.real_server_count = services.iter().map(|s| s.real_servers.len()).sum();
        for s in &services {
            if let (Some(a), Some(port)) = (
                s.address.as_ref().and_then(|a| a.ip.clone()),
                s.address.as_ref().and_then(|a| a.port),
            ) {
                if !(NODE_PORT_RANGE.0..=NODE_PORT_RANGE.1).contains(&port) {
                    non_node_port_addresses.insert(a);
                }
            }
        }
        for (index, s) in services.into_iter().enumerate() {
            let fwmark = s.fwmark;
            let mut server = VirtualServer {
                service: s,
                role: Role::Unknown,
                role_from_sets: false,
                local_policy: None,
                masquerade: None,
                local_endpoints: Vec::new(),
                locality_known: false,
                missing_loopback: Vec::new(),
                set_lines: Vec::new(),
                name: None,
            };
            let key = server.ip_port();
            if let Some(key) = &key {
                let node_port_key = (key.1.clone(), key.2);
                let found = [
                    (Role::ClusterIp, sets.cluster_ip.get(key)),
                    (
                        Role::ExternalIp,
                        sets.external_ip
                            .get(key)
                            .or_else(|| sets.external_ip_local.get(key)),
                    ),
                    (
                        Role::LoadBalancer,
                        sets.load_balancer
                            .get(key)
                            .or_else(|| sets.load_balancer_local.get(key)),
                    ),
                    (
                        Role::NodePort,
                        sets.node_port
                            .get(&node_port_key)
                            .or_else(|| sets.node_port_local.get(&node_port_key)),
                    ),
                ]
                .into_iter()
                .find_map(|(role, line)| line.map(|l| (role, *l)));
                if let Some((role, line)) = found {
                    server.role = role;
                    server.role_from_sets = true;
                    server.set_lines.push(line);
                } else if !have_sets && fwmark.is_none() {
                    server.role = if (NODE_PORT_RANGE.0..=NODE_PORT_RANGE.1).contains(&key.2)
                        && !non_node_port_addresses.contains(&key.0)
                    {
                        Role::NodePort
                    } else {
                        Role::ClusterIp
                    };
                    self.guessed_roles.push(index);
                }
                if server.role != Role::ClusterIp && server.role != Role::Unknown {
                    server.local_policy = Some(sets.is_local_policy(key));
                    if server.role == Role::NodePort {
                        if let Some(l) = sets.node_port_local.get(&node_port_key) {
                            server.set_lines.push(*l);
                        }
                    }
                    if let Some(l) = sets
                        .load_balancer_local
                        .get(key)
                        .or_else(|| sets.external_ip_local.get(key))
                    {
                        server.set_lines.push(*l);
                    }
                    if !server.role_from_sets && !sets.has("KUBE-NODE-PORT-LOCAL-TCP") {
                        server.local_policy = None;
                    }
                }
                if let Some((_, l)) = sets.comments.get(key) {
                    server.set_lines.push(*l);
                }
            }
            self.servers.push(server);
        }
        for server in &self.servers {
            if server.role == Role::NodePort {
                if let Some(ip) = server.service.address.as_ref().and_then(|a| a.ip.clone()) {
                    self.node_ips.insert(ip);
                }
            }
        }
        self.node_ips
            .extend(self.sets.node_port_ips.iter().cloned());
        let node_ips = self.node_ips.clone();
        for server in &mut self.servers {
            hairpin(server, &self.sets, &node_ips);
            server.masquerade = masquerade(server, &self.sets, &self.rules);
            server.name = name_of(server, &self.sets, &self.rules);
        }
    }

    /// Groups virtual services into Services and builds the report entries.
    pub fn services(&self) -> Vec<(report::Service, Vec<usize>)> {
        let groups = self.groups();
        let mut out: Vec<(report::Service, Vec<usize>)> =
            groups.into_iter().map(|g| (self.service(&g), g)).collect();
        // Services named twice (the same name from two sources) keep their VIP ids.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (s, _) in &out {
            *seen.entry(s.id.clone()).or_default() += 1;
        }
        for (s, group) in &mut out {
            if seen.get(&s.id).copied().unwrap_or(0) > 1 {
                if let Some(first) = group.first() {
                    s.id = self.servers[*first].id();
                }
            }
        }
        if !self.has_listing {
            out.extend(self.services_from_sets());
        }
        out
    }

    /// Indexes of the virtual services that make one Service, primary (cluster IP) first.
    fn groups(&self) -> Vec<Vec<usize>> {
        let mut claimed = vec![false; self.servers.len()];
        let mut groups: Vec<Vec<usize>> = Vec::new();
        // Node ports: one group per (protocol, port) when an ipset entry names the port.
        let mut node_port_groups: BTreeMap<(String, u16), Vec<usize>> = BTreeMap::new();
        for (i, s) in self.servers.iter().enumerate() {
            if s.role == Role::NodePort && s.role_from_sets {
                if let Some(key) = s.ip_port() {
                    node_port_groups.entry((key.1, key.2)).or_default().push(i);
                }
            }
        }
        let mut attached: Vec<Vec<usize>> = Vec::new();
        for (_, members) in node_port_groups {
            for i in &members {
                claimed[*i] = true;
            }
            attached.push(members);
        }
        for (i, s) in self.servers.iter().enumerate() {
            if matches!(s.role, Role::ExternalIp | Role::LoadBalancer) && s.role_from_sets {
                claimed[i] = true;
                attached.push(vec![i]);
            }
        }
        // Attach each node-port / external / load-balancer group to the one cluster IP with the same
        // protocol and the same real servers (a subset under externalTrafficPolicy Local).
        let keys: Vec<BTreeSet<String>> =
            self.servers.iter().map(|s| s.real_server_keys()).collect();
        let cluster_ips: Vec<usize> = (0..self.servers.len())
            .filter(|i| self.servers[*i].role == Role::ClusterIp && self.servers[*i].role_from_sets)
            .collect();
        let mut by_real_servers: BTreeMap<(Option<IpvsProtocol>, &BTreeSet<String>), Vec<usize>> =
            BTreeMap::new();
        for i in &cluster_ips {
            by_real_servers
                .entry((self.servers[*i].service.protocol, &keys[*i]))
                .or_default()
                .push(*i);
        }
        let mut primary_of: BTreeMap<usize, Vec<Vec<usize>>> = BTreeMap::new();
        let mut loose: Vec<Vec<usize>> = Vec::new();
        for group in attached {
            let Some(&first_index) = group.first() else {
                continue;
            };
            let first = &self.servers[first_index];
            let own = &keys[first_index];
            let protocol = first.service.protocol;
            let same_port = first.role != Role::NodePort;
            let port = first.ip_port().map(|k| k.2);
            let port_fits = |c: usize| !same_port || self.servers[c].ip_port().map(|k| k.2) == port;
            let mut candidates: Vec<usize> = if own.is_empty() {
                Vec::new()
            } else {
                by_real_servers
                    .get(&(protocol, own))
                    .cloned()
                    .unwrap_or_default()
            };
            if candidates.is_empty() && first.local_policy == Some(true) && !own.is_empty() {
                candidates = cluster_ips
                    .iter()
                    .copied()
                    .filter(|c| {
                        self.servers[*c].service.protocol == protocol && own.is_subset(&keys[*c])
                    })
                    .collect();
            }
            candidates.retain(|c| port_fits(*c));
            match candidates.as_slice() {
                [only] => primary_of.entry(*only).or_default().push(group),
                _ => loose.push(group),
            }
        }
        for (i, _) in self.servers.iter().enumerate() {
            if claimed[i] {
                continue;
            }
            let mut group = vec![i];
            if let Some(extra) = primary_of.remove(&i) {
                for g in extra {
                    group.extend(g);
                }
            }
            groups.push(group);
        }
        groups.extend(loose);
        groups
    }

    fn service(&self, group: &[usize]) -> report::Service {
        let servers: Vec<&VirtualServer> =
            group.iter().filter_map(|i| self.servers.get(*i)).collect();
        let Some(primary) = servers.first() else {
            return report::Service::default();
        };
        let mut service = report::Service {
            id: primary.id(),
            protocol: primary
                .service
                .protocol
                .and_then(|p| Protocol::parse(p.name())),
            scheduler: primary.service.scheduler.clone(),
            session_affinity_seconds: primary.service.persistent_seconds,
            ..report::Service::default()
        };
        if let Some(name) = servers.iter().find_map(|s| s.name.clone()) {
            service.id = if name.port_name.is_empty() {
                format!("{}/{}", name.namespace, name.name)
            } else {
                format!("{}/{}:{}", name.namespace, name.name, name.port_name)
            };
            service.namespace = Some(name.namespace);
            service.name = Some(name.name);
            service.port_name = name.port_name;
            service.lines.push(name.line);
        }
        let mut lines = Vec::new();
        for s in &servers {
            lines.extend(s.lines());
            lines.extend(&s.set_lines);
            let Some((ip, _, port)) = s.ip_port() else {
                continue;
            };
            match s.role {
                Role::ClusterIp | Role::Unknown => {
                    if service.cluster_ip.is_none() {
                        service.cluster_ip = Some(ip);
                        service.port = Some(port);
                    }
                }
                Role::NodePort => service.node_port = Some(port),
                Role::ExternalIp => {
                    service.external_ips.push(ip);
                    service.port.get_or_insert(port);
                }
                Role::LoadBalancer => {
                    if let Some(sources) = s
                        .ip_port()
                        .and_then(|k| self.sets.load_balancer_sources.get(&k))
                    {
                        for (source, line) in sources {
                            service.load_balancer_source_ranges.push(source.clone());
                            lines.push(*line);
                        }
                    }
                    service.load_balancer_ips.push(ip);
                    service.port.get_or_insert(port);
                }
            }
            if let Some(local) = s.local_policy {
                service.external_traffic_policy = Some(if local {
                    TrafficPolicy::Local
                } else {
                    TrafficPolicy::Cluster
                });
            }
        }
        service.endpoints = endpoints(primary, &servers);
        service.no_endpoints = servers.iter().all(|s| s.service.real_servers.is_empty());
        lines.extend(service.lines.iter().copied());
        lines.sort_unstable();
        lines.dedup();
        lines.retain(|l| *l > 0);
        service.lines = lines;
        service
    }

    /// Services from `KUBE-CLUSTER-IP` members when no ipvsadm listing was given (endpoints unknown).
    fn services_from_sets(&self) -> Vec<(report::Service, Vec<usize>)> {
        self.sets
            .cluster_ip
            .iter()
            .map(|((ip, protocol, port), line)| {
                let id = if ip.contains(':') {
                    format!("[{ip}]:{port}/{protocol}")
                } else {
                    format!("{ip}:{port}/{protocol}")
                };
                let name = self.rules.names_by_vip.get(&id).cloned();
                let mut service = report::Service {
                    id: id.clone(),
                    protocol: Protocol::parse(protocol),
                    cluster_ip: Some(ip.clone()),
                    port: Some(*port),
                    lines: vec![*line],
                    endpoints_unknown: Some(report::Unknown {
                        reason:
                            "no `ipvsadm -Ln` listing is in the paste, so the real servers of this \
                                 virtual service are not shown"
                                .to_string(),
                        lines: vec![*line],
                    }),
                    ..report::Service::default()
                };
                if let Some(n) = name {
                    service.id = if n.port_name.is_empty() {
                        format!("{}/{}", n.namespace, n.name)
                    } else {
                        format!("{}/{}:{}", n.namespace, n.name, n.port_name)
                    };
                    service.namespace = Some(n.namespace);
                    service.name = Some(n.name);
                    service.port_name = n.port_name;
                    service.lines.push(n.line);
                }
                (service, Vec::new())
            })
            .collect()
    }
}

/// Endpoints of a Service: the primary virtual service's real servers with their weight share; live
/// connection counts summed over all the Service's virtual services.
fn endpoints(primary: &VirtualServer, servers: &[&VirtualServer]) -> Vec<report::Endpoint> {
    let shares = weight_shares(&primary.service.real_servers);
    let mut out: Vec<report::Endpoint> = primary
        .service
        .real_servers
        .iter()
        .zip(shares)
        .map(|(r, share)| endpoint(r, share, primary))
        .collect();
    for other in servers.iter().skip(1) {
        for r in &other.service.real_servers {
            let key = r.address.key();
            match out
                .iter_mut()
                .find(|e| key.is_some() && endpoint_key(e) == key)
            {
                Some(e) => {
                    e.active_connections = add(e.active_connections, r.active_connections);
                    e.inactive_connections = add(e.inactive_connections, r.inactive_connections);
                    e.lines.extend(&r.lines);
                }
                None => {
                    // A real server only the node port has (externalTrafficPolicy Local lists local ones).
                    let mut e = endpoint(r, 0.0, other);
                    e.probability = 0.0;
                    out.push(e);
                }
            }
        }
    }
    out
}

fn endpoint_key(e: &report::Endpoint) -> Option<String> {
    let port = e.port?;
    Some(if e.ip.contains(':') {
        format!("[{}]:{port}", e.ip)
    } else {
        format!("{}:{port}", e.ip)
    })
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
        (x, y) => x.or(y),
    }
}

fn endpoint(r: &RealServer, share: f64, server: &VirtualServer) -> report::Endpoint {
    let ip = r
        .address
        .ip
        .clone()
        .unwrap_or_else(|| r.address.text.clone());
    let local = if server.local_endpoints.contains(&ip) {
        Some(true)
    } else if server.locality_known {
        Some(false)
    } else {
        None
    };
    report::Endpoint {
        ip,
        port: r.address.port,
        probability: share,
        local,
        weight: r.weight,
        active_connections: r.active_connections,
        inactive_connections: r.inactive_connections,
        lines: r.lines.to_vec(),
    }
}

/// Each real server's share of the weights (weight 0 gets nothing). Without weights (a `--stats` or
/// `--rate` listing alone) every real server counts as weight 1, which is what kube-proxy sets.
pub fn weight_shares(real_servers: &[RealServer]) -> Vec<f64> {
    let weights: Vec<f64> = real_servers
        .iter()
        .map(|r| r.weight.unwrap_or(1).max(0) as f64)
        .collect();
    let total: f64 = weights.iter().sum();
    weights
        .iter()
        .map(|w| if total > 0.0 { w / total } else { 0.0 })
        .collect()
}

/// Local endpoints and missing `KUBE-LOOP-BACK` entries.
fn hairpin(server: &mut VirtualServer, sets: &SetIndex, node_ips: &BTreeSet<String>) {
    if !sets.has("KUBE-LOOP-BACK") {
        return;
    }
    let protocol = match server.service.protocol {
        Some(IpvsProtocol::Fwm) | None => return,
        Some(p) => p.name().to_string(),
    };
    server.locality_known = true;
    for r in &server.service.real_servers {
        let (Some(ip), Some(port)) = (r.address.ip.clone(), r.address.port) else {
            continue;
        };
        let has_entry = sets
            .loopback
            .contains_key(&(ip.clone(), protocol.clone(), port));
        let pod_here = sets.loopback_ips.contains(&ip);
        if (pod_here || node_ips.contains(&ip) || has_entry)
            && !server.local_endpoints.contains(&ip)
        {
            server.local_endpoints.push(ip.clone());
        }
        if pod_here && !has_entry {
            server
                .missing_loopback
                .push((format!("{ip}:{port}"), r.line));
        }
    }
}

/// Who gets masqueraded on the way to a virtual service, from the rules and the sets.
fn masquerade(
    server: &VirtualServer,
    sets: &SetIndex,
    rules: &RuleFacts,
) -> Option<(String, Vec<u32>)> {
    if !rules.present {
        return None;
    }
    let key = server.ip_port()?;
    let np_key = (key.1.clone(), key.2);
    match server.role {
        Role::ClusterIp => match &rules.cluster_ip_masquerade {
            Some((line, ClusterIpMasquerade::All)) => Some((
                "every client is masqueraded (masqueradeAll)".to_string(),
                vec![*line],
            )),
            Some((line, ClusterIpMasquerade::OffCluster(cidr))) => Some((
                format!(
                    "clients outside {} are masqueraded; pods keep their address",
                    cidr.trim_start_matches('!')
                ),
                vec![*line],
            )),
            Some((line, ClusterIpMasquerade::NodeOriginated)) => Some((
                "only connections the node itself opens from a service address are masqueraded"
                    .to_string(),
                vec![*line],
            )),
            Some((line, ClusterIpMasquerade::Other)) => Some((
                "masqueraded under the condition on this rule".to_string(),
                vec![*line],
            )),
            None if rules.has_nat => Some((
                "no rule masquerades clients of cluster IPs".to_string(),
                Vec::new(),
            )),
            None => None,
        },
        Role::NodePort => {
            let local_rule = rules.node_port_rules.iter().find(|(set, target, _)| {
                set.starts_with("KUBE-NODE-PORT-LOCAL") && target == "RETURN"
            });
            let masq_rule = rules.node_port_rules.iter().find(|(set, target, _)| {
                set.starts_with("KUBE-NODE-PORT-")
                    && !set.contains("LOCAL")
                    && target == "KUBE-MARK-MASQ"
            });
            if sets.node_port_local.contains_key(&np_key) {
                Some((
                    "not masqueraded: externalTrafficPolicy Local keeps the client's address"
                        .to_string(),
                    local_rule.map(|r| vec![r.2]).unwrap_or_default(),
                ))
            } else {
                Some((
                    "every client is masqueraded to the node's address".to_string(),
                    masq_rule.map(|r| vec![r.2]).unwrap_or_default(),
                ))
            }
        }
        Role::LoadBalancer => {
            if sets.load_balancer_local.contains_key(&key) {
                let line = rules
                    .load_balancer_rules
                    .iter()
                    .find(|(s, t, _)| s == "KUBE-LOAD-BALANCER-LOCAL" && t == "RETURN")
                    .map(|r| r.2);
                Some((
                    "not masqueraded: externalTrafficPolicy Local keeps the client's address"
                        .to_string(),
                    line.into_iter().collect(),
                ))
            } else {
                let line = rules
                    .load_balancer_rules
                    .iter()
                    .find(|(_, t, _)| t == "KUBE-MARK-MASQ")
                    .map(|r| r.2);
                Some((
                    "every client is masqueraded".to_string(),
                    line.into_iter().collect(),
                ))
            }
        }
        Role::ExternalIp => {
            if sets.external_ip_local.contains_key(&key) {
                Some((
                    "not masqueraded: externalTrafficPolicy Local keeps the client's address"
                        .to_string(),
                    Vec::new(),
                ))
            } else {
                Some((
                    "every client is masqueraded".to_string(),
                    rules.external_ip_masquerade.into_iter().collect(),
                ))
            }
        }
        Role::Unknown => None,
    }
}

/// The Service name from rule comments (exact VIP:port) or set comments; failing that, from leftover
/// `KUBE-SEP-*` chains when every real server maps to the same one name.
fn name_of(server: &VirtualServer, sets: &SetIndex, rules: &RuleFacts) -> Option<ServiceName> {
    let id = server.id();
    if let Some(n) = rules.names_by_vip.get(&id) {
        return Some(n.clone());
    }
    if let Some(key) = server.ip_port() {
        if let Some((comment, line)) = sets.comments.get(&key) {
            if let Some(n) = super::rules::service_name(comment, *line) {
                return Some(n);
            }
        }
    }
    let mut found: Option<ServiceName> = None;
    for r in &server.service.real_servers {
        let candidates = r
            .address
            .key()
            .and_then(|k| rules.names_by_endpoint.get(&k))
            .or_else(|| {
                r.address
                    .ip
                    .as_ref()
                    .and_then(|ip| rules.names_by_endpoint.get(ip))
            })?;
        let [only] = candidates.as_slice() else {
            return None;
        };
        match &found {
            Some(f)
                if f.namespace != only.namespace
                    || f.name != only.name
                    || f.port_name != only.port_name =>
            {
                return None
            }
            Some(_) => {}
            None => found = Some(only.clone()),
        }
    }
    found
}
