//! Reading one kube-proxy table into its Service ports: names first, then the dispatch maps, the service,
//! endpoint and external chains, and last the odds and which endpoints are local.

use std::collections::BTreeMap;

use svcpath_syntax::nft::{Nat, NatKind, ValueRef};

use super::*;
use crate::net::host_address;

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
                    .filter_map(|e| e.key().first().map(|k| (host_address(k), e.line())))
                    .collect()
            })
            .unwrap_or_default();
        let firewall_targets: HashSet<String> = d
            .firewall_ips
            .map(|s| {
                s.elements
                    .iter()
                    .filter_map(|e| e.key().first().map(host_address))
                    .collect()
            })
            .unwrap_or_default();

        if let Some(map) = d.service_ips {
            for e in &map.elements {
                let Some([ip, proto, port]) = e.key().parts() else {
                    continue;
                };
                let ip = host_address(ip);
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
                svc.lines.insert(e.line());
                svc.dispatch_lines.push(e.line());
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
                let Some([ip, proto, port]) = e.key().parts() else {
                    continue;
                };
                let ip = host_address(ip);
                let Some(target) = e.verdict().and_then(Verdict::chain) else {
                    continue;
                };
                let svc = match names::parse(target) {
                    Some(cn) => self.named(&cn.key),
                    None => self.by_address(&ip, proto, port.parse().ok()),
                };
                svc.lines.insert(e.line());
                svc.dispatch_lines.push(e.line());
                svc.firewall_chain = svc.firewall_chain.take().or(Some(target.to_string()));
                push_unique(&mut svc.load_balancer_ips, &ip);
                svc.external_ips.retain(|x| x != &ip);
            }
        }
        if let Some(map) = d.service_nodeports {
            for e in &map.elements {
                let Some([proto, port]) = e.key().parts() else {
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
                svc.lines.insert(e.line());
                svc.dispatch_lines.push(e.line());
            }
        }
        if let Some(map) = d.no_endpoint_services {
            for e in &map.elements {
                let Some([ip, proto, port]) = e.key().parts() else {
                    continue;
                };
                let ip = host_address(ip);
                let port_n = port.parse::<u16>().ok();
                let svc = match e.comment().and_then(PortKey::from_comment) {
                    Some(key) => self.named(&key),
                    None => self.by_address(&ip, proto, port_n),
                };
                svc.protocol = svc.protocol.or(Protocol::parse(proto));
                svc.lines.insert(e.line());
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
                    reject: rejects(e.value()),
                    line: e.line(),
                });
            }
        }
        if let Some(map) = d.no_endpoint_nodeports {
            for e in &map.elements {
                let Some([proto, port]) = e.key().parts() else {
                    continue;
                };
                let Some(port) = port.parse::<u16>().ok() else {
                    continue;
                };
                let Some(key) = e.comment().and_then(PortKey::from_comment) else {
                    continue;
                };
                let svc = self.named(&key);
                svc.protocol = svc.protocol.or(Protocol::parse(proto));
                svc.node_port = Some(port);
                svc.lines.insert(e.line());
                svc.no_endpoint.push(NoEndpointEntry {
                    target: NoEndpointTarget::NodePort(port),
                    reject: rejects(e.value()),
                    line: e.line(),
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
                                svc.cluster_ip = Some(host_address(ip));
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
                    for (pick, _) in picks(rule) {
                        let ep = svc.endpoint_mut(pick.id());
                        ep.lines.push(rule.line);
                        if let Pick::Address { ip, port, .. } = pick {
                            ep.direct = true;
                            ep.ip = ip;
                            ep.port = port;
                            ep.dnat_line = Some(rule.line);
                        }
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
                            let range = host_address(&range);
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
                    // Named by a verdict map, cut from the paste: the name still gives the address.
                    if !ep.direct {
                        ep.chain_missing = true;
                        if let Some((ip, port)) = names::parse(&ep.chain).and_then(|c| c.endpoint) {
                            if ip.parse::<std::net::IpAddr>().is_ok() {
                                ep.ip = ep.ip.take().or(Some(ip));
                            }
                            ep.port = ep.port.or(port);
                        }
                    }
                    endpoint_lines.extend(ep.lines.iter().copied());
                    continue;
                };
                ep.chain_line = Some(chain.line);
                ep.lines.push(chain.line);
                ep.lines.extend(chain.rules.iter().map(|r| r.line));
                endpoint_lines.extend(ep.lines.iter().copied());
                for rule in &chain.rules {
                    for e in &rule.exprs {
                        match e {
                            Expr::Nat(nat) if nat.kind == NatKind::Dnat => {
                                let Nat { address, port, .. } = &**nat;
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
                            && matches!(&m.right, Value::Single(v) if Some(host_address(v)) == ep.ip)
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
            let chain = odds_chain.as_deref().and_then(|n| kt.chain(n));
            if let Some(chain) = chain {
                if let Some(ways) = chain.rules.iter().map(picks).find(|p| !p.is_empty()) {
                    for (pick, chance) in ways {
                        let id = pick.id().to_string();
                        let ep = svc.endpoint_mut(&id);
                        ep.probability += chance;
                        if !order.contains(&id) {
                            order.push(id);
                        }
                    }
                }
            }
            let named = odds_chain.clone().or_else(|| svc.cluster_ip_target.clone());
            svc.endpoints_unknown = unknown_endpoints(svc, named.as_deref(), chain);
            let local: HashSet<String> = svc
                .local_chain
                .clone()
                .and_then(|n| kt.chain(&n))
                .map(|c| {
                    c.rules
                        .iter()
                        .flat_map(picks)
                        .map(|(p, _)| p.id().to_string())
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
            svcpath_syntax::stable_sort::sort_by(&mut svc.endpoints, |a, b| {
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

fn rejects(value: Option<ValueRef<'_>>) -> bool {
    match value {
        Some(ValueRef::Verdict(Verdict::Goto(c) | Verdict::Jump(c))) => c.contains("reject"),
        Some(ValueRef::Verdict(Verdict::Other(o))) => o.contains("reject"),
        _ => false,
    }
}

/// Whether the rules leave this port's endpoints unknown: the chain that picks them is cut from the
/// paste, or picks none in a way svcpath understands. `None` when the endpoints were read (or kube-proxy's
/// no-endpoints map says there are none).
fn unknown_endpoints(
    svc: &ServiceModel,
    chain_name: Option<&str>,
    chain: Option<&Chain>,
) -> Option<Unknown> {
    let picked = !svc.endpoints.is_empty() && svc.endpoints.iter().any(|e| e.probability > 0.0);
    if picked || svc.rejects() || svc.drops_cluster_ip() {
        return None;
    }
    let name = chain_name?;
    let Some(chain) = chain else {
        return Some(Unknown {
            reason: format!(
                "the chain {name} that picks the endpoints is not in the paste (only its name is)"
            ),
            lines: svc.dispatch_lines.clone(),
        });
    };
    if let Some(rule) = picks::not_understood(&chain.rules) {
        let text: String = rule.text.chars().take(80).collect();
        return Some(Unknown {
            reason: format!(
                "line {}: `{text}` picks the endpoints in a way svcpath does not understand",
                rule.line
            ),
            lines: vec![rule.line],
        });
    }
    let lines = std::iter::once(chain.line)
        .chain(chain.rules.iter().map(|r| r.line))
        .collect();
    Some(Unknown {
        reason: format!("no rule of {name} DNATs or goes to an endpoint chain"),
        lines,
    })
}
