//! The ipsets kube-proxy keeps in IPVS mode, indexed for look-ups: which VIP:port pairs are cluster IPs,
//! external IPs or load-balancer IPs, which node ports exist (and which have `externalTrafficPolicy: Local`),
//! and which endpoints have a hairpin (`KUBE-LOOP-BACK`) entry.

use std::collections::{BTreeMap, BTreeSet};

use svcpath_syntax::ipset::{IpSet, Member};

/// `(address, protocol, port)` of a `hash:ip,port` member.
pub type IpPort = (String, String, u16);

/// The kube-proxy sets found in the input, by role.
#[derive(Debug, Clone, Default)]
pub struct SetIndex {
    /// Names of every set listed (IPv6 `KUBE-6-` names mapped to the IPv4 name).
    pub listed: BTreeSet<String>,
    pub cluster_ip: BTreeMap<IpPort, u32>,
    pub external_ip: BTreeMap<IpPort, u32>,
    pub external_ip_local: BTreeMap<IpPort, u32>,
    pub load_balancer: BTreeMap<IpPort, u32>,
    pub load_balancer_local: BTreeMap<IpPort, u32>,
    pub load_balancer_firewall: BTreeMap<IpPort, u32>,
    /// Load-balancer VIP:port to allowed source ranges (`KUBE-LOAD-BALANCER-SOURCE-CIDR`, `…-SOURCE-IP`).
    pub load_balancer_sources: BTreeMap<IpPort, Vec<(String, u32)>>,
    /// `(protocol, node port)` to member line, from `KUBE-NODE-PORT-{TCP,UDP,SCTP…}`.
    pub node_port: BTreeMap<(String, u16), u32>,
    pub node_port_local: BTreeMap<(String, u16), u32>,
    /// Node addresses named by `KUBE-NODE-PORT-SCTP-HASH` members.
    pub node_port_ips: BTreeSet<String>,
    pub health_check_node_port: BTreeMap<u16, u32>,
    /// `KUBE-LOOP-BACK`: `(endpoint ip, protocol, port)` to member line, when the second address is the
    /// endpoint itself (as kube-proxy writes it).
    pub loopback: BTreeMap<IpPort, u32>,
    /// Endpoint addresses with any `KUBE-LOOP-BACK` entry: pods running on this node.
    pub loopback_ips: BTreeSet<String>,
    /// Member comments naming a Service, by `(ip, protocol, port)`.
    pub comments: BTreeMap<IpPort, (String, u32)>,
    /// Line of each listed set's `Name:`.
    pub set_lines: BTreeMap<String, u32>,
}

impl SetIndex {
    pub fn build(sets: &[Vec<IpSet>]) -> SetIndex {
        let mut index = SetIndex::default();
        for set in sets.iter().flatten() {
            let name = base_name(&set.name);
            index.listed.insert(name.clone());
            index.set_lines.entry(name.clone()).or_insert(set.line);
            for member in set.members() {
                index.add(&name, &member);
            }
        }
        index
    }

    /// True when a set of this (IPv4) name was listed, so its members (or their absence) can be trusted.
    pub fn has(&self, name: &str) -> bool {
        self.listed.contains(name)
    }

    fn add(&mut self, set: &str, m: &Member<'_>) {
        let ip_port = || -> Option<IpPort> {
            Some((
                normal_ip(m.address()?),
                m.protocol().unwrap_or("tcp").to_string(),
                m.port()?,
            ))
        };
        if let (Some(comment), Some(key)) = (m.comment(), ip_port()) {
            self.comments
                .entry(key)
                .or_insert((comment.to_string(), m.line()));
        }
        let port_of = |default_protocol: &str| -> Option<(String, u16)> {
            Some((
                m.protocol().unwrap_or(default_protocol).to_string(),
                m.port()?,
            ))
        };
        match set {
            "KUBE-CLUSTER-IP" => insert(&mut self.cluster_ip, ip_port(), m.line()),
            "KUBE-EXTERNAL-IP" => insert(&mut self.external_ip, ip_port(), m.line()),
            "KUBE-EXTERNAL-IP-LOCAL" => insert(&mut self.external_ip_local, ip_port(), m.line()),
            "KUBE-LOAD-BALANCER" => insert(&mut self.load_balancer, ip_port(), m.line()),
            "KUBE-LOAD-BALANCER-LOCAL" => {
                insert(&mut self.load_balancer_local, ip_port(), m.line())
            }
            "KUBE-LOAD-BALANCER-FW" => {
                insert(&mut self.load_balancer_firewall, ip_port(), m.line())
            }
            "KUBE-LOAD-BALANCER-SOURCE-CIDR" | "KUBE-LOAD-BALANCER-SOURCE-IP" => {
                if let (Some(key), Some(source)) = (ip_port(), m.second_address()) {
                    self.load_balancer_sources
                        .entry(key)
                        .or_default()
                        .push((source.to_string(), m.line()));
                }
            }
            "KUBE-NODE-PORT-TCP" => insert(&mut self.node_port, port_of("tcp"), m.line()),
            "KUBE-NODE-PORT-UDP" => insert(&mut self.node_port, port_of("udp"), m.line()),
            "KUBE-NODE-PORT-SCTP" | "KUBE-NODE-PORT-SCTP-HASH" => {
                insert(&mut self.node_port, port_of("sctp"), m.line());
                if let Some(ip) = m.address() {
                    self.node_port_ips.insert(normal_ip(ip));
                }
            }
            "KUBE-NODE-PORT-LOCAL-TCP" => {
                insert(&mut self.node_port_local, port_of("tcp"), m.line())
            }
            "KUBE-NODE-PORT-LOCAL-UDP" => {
                insert(&mut self.node_port_local, port_of("udp"), m.line())
            }
            "KUBE-NODE-PORT-LOCAL-SCTP" | "KUBE-NODE-PORT-LOCAL-SCTP-HASH" => {
                insert(&mut self.node_port_local, port_of("sctp"), m.line())
            }
            "KUBE-HEALTH-CHECK-NODE-PORT" => {
                if let Some(p) = m.port() {
                    self.health_check_node_port.entry(p).or_insert(m.line());
                }
            }
            "KUBE-LOOP-BACK" => {
                if let Some(key) = ip_port() {
                    self.loopback_ips.insert(key.0.clone());
                    let same = m.second_address().map(normal_ip).as_deref() == Some(key.0.as_str());
                    if same || m.second_address().is_none() {
                        self.loopback.entry(key).or_insert(m.line());
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether this VIP:port is in a set that means `externalTrafficPolicy: Local`.
    pub fn is_local_policy(&self, key: &IpPort) -> bool {
        self.external_ip_local.contains_key(key)
            || self.load_balancer_local.contains_key(key)
            || self.node_port_local.contains_key(&(key.1.clone(), key.2))
    }
}

fn insert<K: Ord>(map: &mut BTreeMap<K, u32>, key: Option<K>, line: u32) {
    if let Some(k) = key {
        map.entry(k).or_insert(line);
    }
}

/// Maps IPv6 set names (`KUBE-6-CLUSTER-IP`, possibly cut to ipset's 31 characters) to the IPv4 name.
pub fn base_name(name: &str) -> String {
    const KNOWN: &[&str] = &[
        "KUBE-LOOP-BACK",
        "KUBE-CLUSTER-IP",
        "KUBE-EXTERNAL-IP",
        "KUBE-EXTERNAL-IP-LOCAL",
        "KUBE-LOAD-BALANCER",
        "KUBE-LOAD-BALANCER-LOCAL",
        "KUBE-LOAD-BALANCER-FW",
        "KUBE-LOAD-BALANCER-SOURCE-IP",
        "KUBE-LOAD-BALANCER-SOURCE-CIDR",
        "KUBE-NODE-PORT-TCP",
        "KUBE-NODE-PORT-LOCAL-TCP",
        "KUBE-NODE-PORT-UDP",
        "KUBE-NODE-PORT-LOCAL-UDP",
        "KUBE-NODE-PORT-SCTP",
        "KUBE-NODE-PORT-SCTP-HASH",
        "KUBE-NODE-PORT-LOCAL-SCTP",
        "KUBE-NODE-PORT-LOCAL-SCTP-HASH",
        "KUBE-HEALTH-CHECK-NODE-PORT",
        "KUBE-IPVS-IPS",
    ];
    if let Some(rest) = name.strip_prefix("KUBE-6-") {
        let v4 = format!("KUBE-{rest}");
        // ipset names are at most 31 characters: a long IPv6 name may be cut.
        if let Some(full) = KNOWN
            .iter()
            .find(|k| **k == v4 || (name.len() == 31 && k.starts_with(&v4)))
        {
            return (*full).to_string();
        }
        return v4;
    }
    name.to_string()
}

/// Canonical text of an address (`fd00:0::1` → `fd00::1`); other text is kept.
pub fn normal_ip(text: &str) -> String {
    text.parse::<std::net::IpAddr>()
        .map(|ip| ip.to_string())
        .unwrap_or_else(|_| text.to_string())
}
