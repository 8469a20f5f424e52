//! The cluster a dump is generated from: Services, their ports, endpoints and the kube-proxy features
//! each one uses (NodePort, `externalTrafficPolicy: Local`, ClientIP affinity, no endpoints), all drawn
//! from one seed so that the same seed always gives the same cluster.

use std::net::Ipv4Addr;

use sha2::{Digest, Sha256};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Service ports with endpoints.
    pub services: usize,
    /// Endpoints of each of those Service ports.
    pub endpoints: usize,
    /// Further Service ports without any endpoint (kube-proxy writes REJECT rules for them).
    pub empty_services: usize,
    pub seed: u64,
}

impl Spec {
    /// `services` Service ports with `endpoints` endpoints each, plus one Service port without endpoints
    /// per hundred.
    pub fn new(services: usize, endpoints: usize, seed: u64) -> Spec {
        Spec {
            services,
            endpoints,
            empty_services: services / 100,
            seed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    /// As kube-proxy writes it in rules and chain-name hashes.
    pub fn lower(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }

    /// As `ipvsadm` prints it.
    pub fn upper(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub ip: Ipv4Addr,
    pub port: u16,
    /// The endpoint's pod runs on the node the dump is taken on.
    pub local: bool,
}

impl Endpoint {
    /// `ip:port`, as kube-proxy writes it in comments and DNAT targets.
    pub fn address(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }
}

/// One Service port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    /// `""` for an unnamed port.
    pub port_name: String,
    pub protocol: Protocol,
    pub cluster_ip: Ipv4Addr,
    pub port: u16,
    pub node_port: Option<u16>,
    /// Set for `externalTrafficPolicy: Local` Services (which are the NodePort ones here).
    pub health_check_node_port: Option<u16>,
    /// `externalTrafficPolicy: Local`.
    pub local_policy: bool,
    /// ClientIP session affinity timeout.
    pub affinity_seconds: Option<u32>,
    /// In the order kube-proxy writes them (sorted by `ip:port` text).
    pub endpoints: Vec<Endpoint>,
}

impl Service {
    /// kube-proxy's `ServicePortName.String()`: `ns/name:port`, or `ns/name` for an unnamed port.
    pub fn port_name_string(&self) -> String {
        if self.port_name.is_empty() {
            format!("{}/{}", self.namespace, self.name)
        } else {
            format!("{}/{}:{}", self.namespace, self.name, self.port_name)
        }
    }

    /// The hash suffix of the iptables `KUBE-SVC-`/`KUBE-SVL-`/`KUBE-EXT-` chains (kube-proxy's
    /// `portProtoHash`: base32 of sha256 of the port name and protocol, 16 characters).
    pub fn chain_hash(&self) -> String {
        base32_prefix(
            &Sha256::digest(format!(
                "{}{}",
                self.port_name_string(),
                self.protocol.lower()
            )),
            16,
        )
    }

    /// The hash suffix of an endpoint's `KUBE-SEP-` chain.
    pub fn endpoint_chain_hash(&self, endpoint: &Endpoint) -> String {
        base32_prefix(
            &Sha256::digest(format!(
                "{}{}{}",
                self.port_name_string(),
                self.protocol.lower(),
                endpoint.address()
            )),
            16,
        )
    }

    /// The nftables-mode chain name base: `HASH8-ns/name/proto/port`.
    pub fn nft_chain_base(&self) -> String {
        nft_hash_prefixed(&format!(
            "{}/{}/{}/{}",
            self.namespace,
            self.name,
            self.protocol.lower(),
            self.port_name
        ))
    }

    /// The nftables-mode endpoint chain name base: `HASH8-ns/name/proto/port__ip/port`.
    pub fn nft_endpoint_base(&self, endpoint: &Endpoint) -> String {
        nft_hash_prefixed(&format!(
            "{}/{}/{}/{}__{}/{}",
            self.namespace,
            self.name,
            self.protocol.lower(),
            self.port_name,
            endpoint.ip,
            endpoint.port
        ))
    }

    pub fn local_endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.iter().filter(|e| e.local)
    }

    pub fn has_local_endpoints(&self) -> bool {
        self.endpoints.iter().any(|e| e.local)
    }
}

/// The whole cluster as seen from one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub services: Vec<Service>,
    /// Load-balancer IPs with `loadBalancerSourceRanges` (only in [`showcase`]).
    pub load_balancers: Vec<LoadBalancer>,
    /// The node the dump is taken on.
    pub node_ip: Ipv4Addr,
    pub seed: u64,
}

/// A load-balancer IP of a Service port (by index into [`Cluster::services`]) with its source ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancer {
    pub service: usize,
    pub ip: Ipv4Addr,
    pub source_ranges: Vec<String>,
}

/// The cluster's pod network (`--cluster-cidr`), as kube-proxy's masquerade rules name it.
pub const POD_CIDR: &str = "172.16.0.0/12";
/// The Service network (`--service-cluster-ip-range`).
pub const SERVICE_CIDR: &str = "10.96.0.0/12";
/// ClientIP affinity timeout kube-proxy uses by default.
pub const AFFINITY_SECONDS: u32 = 10800;

const POD_BASE: u32 = u32::from_be_bytes([172, 16, 0, 0]);
const SERVICE_BASE: u32 = u32::from_be_bytes([10, 96, 0, 0]);
/// Nodes in the pod network (a /24 each); node 0 is the one the dump is taken on.
const NODES: u32 = 4096;
const FIRST_NODE_PORT: u16 = 30000;
const LAST_NODE_PORT: u16 = 32767;

/// Port shapes Services are drawn from: name, port, target port, protocol.
const PORTS: &[(&str, u16, u16, Protocol)] = &[
    ("http", 80, 8080, Protocol::Tcp),
    ("https", 443, 8443, Protocol::Tcp),
    ("grpc", 9090, 9090, Protocol::Tcp),
    ("metrics", 9100, 9100, Protocol::Tcp),
    ("", 8000, 8000, Protocol::Tcp),
    ("dns", 53, 53, Protocol::Udp),
    ("redis", 6379, 6379, Protocol::Tcp),
    ("postgres", 5432, 5432, Protocol::Tcp),
];
const TEAMS: &[&str] = &[
    "payments",
    "checkout",
    "search",
    "identity",
    "catalog",
    "billing",
    "media",
    "platform",
    "monitoring",
    "ingress",
    "data",
    "mobile",
];
const ROLES: &[&str] = &[
    "api", "web", "worker", "cache", "db", "gateway", "auth", "queue", "store", "frontend",
    "backend", "indexer",
];

/// Draws the cluster for a spec.
pub fn cluster(spec: &Spec) -> Cluster {
    let mut rng = Rng::new(spec.seed);
    let total = spec.services.saturating_add(spec.empty_services);
    // Which of the Service ports have no endpoints: exactly `empty_services` of them, spread by the seed.
    let mut empty = vec![false; total];
    for slot in empty.iter_mut().take(spec.empty_services) {
        *slot = true;
    }
    rng.shuffle(&mut empty);
    let mut node_ports: Vec<u16> = (FIRST_NODE_PORT..=LAST_NODE_PORT).collect();
    rng.shuffle(&mut node_ports);
    let mut next_pod: u32 = 0;
    let mut services = Vec::with_capacity(total);
    for (i, is_empty) in empty.into_iter().enumerate() {
        let (port_name, port, target_port, protocol) = PORTS[rng.below(PORTS.len())];
        let namespace = format!("{}-{}", TEAMS[rng.below(TEAMS.len())], i / 200);
        let name = format!("{}-{}", ROLES[rng.below(ROLES.len())], i);
        let cluster_ip = Ipv4Addr::from(SERVICE_BASE + 10 + (i as u32 % ((1 << 20) - 20)));
        let node_port = if rng.chance(0.15) {
            node_ports.pop()
        } else {
            None
        };
        let health_check_node_port = match node_port {
            Some(_) if rng.chance(1.0 / 3.0) => node_ports.pop(),
            _ => None,
        };
        let local_policy = health_check_node_port.is_some();
        let affinity_seconds = rng.chance(0.05).then_some(AFFINITY_SECONDS);
        let mut endpoints = Vec::new();
        if !is_empty {
            // With policy Local, most Services have one to three endpoints on this node, some none.
            let local_count = if local_policy && rng.chance(0.7) {
                1 + rng.below(spec.endpoints.clamp(1, 3))
            } else {
                0
            };
            let local_start = rng.below(253) as u32;
            for k in 0..spec.endpoints {
                let local = k < local_count;
                let ip = if local {
                    // This node's pod range, 172.16.0.2 – 172.16.0.254.
                    POD_BASE + 2 + (local_start + k as u32) % 253
                } else {
                    let slot = next_pod % ((NODES - 1) * 254);
                    next_pod = next_pod.wrapping_add(1);
                    POD_BASE + (1 + slot / 254) * 256 + 1 + slot % 254
                };
                endpoints.push(Endpoint {
                    ip: Ipv4Addr::from(ip),
                    port: target_port,
                    local,
                });
            }
            endpoints.sort_by_cached_key(Endpoint::address);
            endpoints.dedup_by(|a, b| a.ip == b.ip && a.port == b.port);
        }
        services.push(Service {
            namespace,
            name,
            port_name: port_name.to_string(),
            protocol,
            cluster_ip,
            port,
            node_port,
            health_check_node_port,
            local_policy,
            affinity_seconds,
            endpoints,
        });
    }
    Cluster {
        services,
        load_balancers: Vec::new(),
        node_ip: Ipv4Addr::new(192, 168, 0, 10),
        seed: spec.seed,
    }
}

/// A small fixed cluster with one Service port per feature kube-proxy programs differently: a
/// ClusterIP with three endpoints, a NodePort, `externalTrafficPolicy: Local` with and without an
/// endpoint on this node, ClientIP affinity, a single endpoint, no endpoints, and a load balancer with
/// source ranges. Used for each release's layout and the kernel conformance dumps.
pub fn showcase() -> Cluster {
    let ep = |ip: [u8; 4], port: u16, local: bool| Endpoint {
        ip: Ipv4Addr::from(ip),
        port,
        local,
    };
    let svc =
        |name: &str, ip: u8, port: u16, node_port: Option<u16>, endpoints: Vec<Endpoint>| Service {
            namespace: "shop".into(),
            name: name.into(),
            port_name: "http".into(),
            protocol: Protocol::Tcp,
            cluster_ip: Ipv4Addr::new(10, 96, 0, ip),
            port,
            node_port,
            health_check_node_port: None,
            local_policy: false,
            affinity_seconds: None,
            endpoints,
        };
    let mut local = svc(
        "local",
        13,
        80,
        Some(30013),
        vec![
            ep([172, 16, 0, 13], 8080, true),
            ep([172, 16, 1, 13], 8080, false),
        ],
    );
    local.local_policy = true;
    local.health_check_node_port = Some(31013);
    let mut remote = svc(
        "remote",
        14,
        80,
        Some(30014),
        vec![
            ep([172, 16, 1, 14], 8080, false),
            ep([172, 16, 2, 14], 8080, false),
        ],
    );
    remote.local_policy = true;
    remote.health_check_node_port = Some(31014);
    let mut sticky = svc(
        "sticky",
        15,
        80,
        None,
        vec![
            ep([172, 16, 1, 15], 8080, false),
            ep([172, 16, 2, 15], 8080, false),
        ],
    );
    sticky.affinity_seconds = Some(AFFINITY_SECONDS);
    let mut dns = svc(
        "dns",
        16,
        53,
        None,
        vec![
            ep([172, 16, 1, 16], 53, false),
            ep([172, 16, 2, 16], 53, false),
        ],
    );
    dns.protocol = Protocol::Udp;
    dns.port_name = "dns".into();
    let services = vec![
        svc(
            "web",
            11,
            80,
            None,
            vec![
                ep([172, 16, 0, 11], 8080, true),
                ep([172, 16, 1, 11], 8080, false),
                ep([172, 16, 2, 11], 8080, false),
            ],
        ),
        svc(
            "nodeport",
            12,
            80,
            Some(30012),
            vec![
                ep([172, 16, 1, 12], 8080, false),
                ep([172, 16, 2, 12], 8080, false),
            ],
        ),
        local,
        remote,
        sticky,
        dns,
        svc(
            "single",
            17,
            80,
            None,
            vec![ep([172, 16, 1, 17], 8080, false)],
        ),
        svc("empty", 18, 80, Some(30018), Vec::new()),
        svc(
            "lb",
            19,
            80,
            Some(30019),
            vec![
                ep([172, 16, 1, 19], 8080, false),
                ep([172, 16, 2, 19], 8080, false),
            ],
        ),
    ];
    Cluster {
        load_balancers: vec![LoadBalancer {
            service: services.len() - 1,
            ip: Ipv4Addr::new(198, 51, 100, 19),
            source_ranges: vec!["203.0.113.0/25".into()],
        }],
        services,
        node_ip: Ipv4Addr::new(192, 168, 0, 10),
        seed: 0,
    }
}

/// kube-proxy's `--probability` for the i-th of n remaining endpoints as `iptables-save` prints it:
/// kube-proxy writes `%0.10f` of 1/n, iptables stores it as a fraction of 2^31 and prints that with 11
/// digits (1/3 → `0.3333333333` → `0.33333333349`).
pub fn iptables_probability(remaining: usize) -> String {
    let written = format!("{:.10}", 1.0 / remaining.max(1) as f64);
    let value: f64 = written.parse().unwrap_or(1.0);
    let stored = (value * 2_147_483_648.0).round();
    format!("{:.11}", stored / 2_147_483_648.0)
}

/// The first `chars` characters of the standard base32 encoding of `bytes`.
fn base32_prefix(bytes: &[u8], chars: usize) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(chars);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
            if out.len() == chars {
                return out;
            }
        }
    }
    out
}

/// kube-proxy's nftables `hashAndTruncate`: eight base32 characters of the name's sha256, a dash, the name.
fn nft_hash_prefixed(name: &str) -> String {
    format!("{}-{}", base32_prefix(&Sha256::digest(name), 8), name)
}

/// SplitMix64: small, fast and the same on every platform, so a seed means the same dump everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5EED_5EED_5EED_5EED)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_hashes_are_kube_proxys() {
        // Hashes from the corpus dumps: kube-proxy's own names for these Service ports.
        let svc = Service {
            namespace: "default".into(),
            name: "kubernetes".into(),
            port_name: "https".into(),
            protocol: Protocol::Tcp,
            cluster_ip: Ipv4Addr::new(10, 96, 0, 1),
            port: 443,
            node_port: None,
            health_check_node_port: None,
            local_policy: false,
            affinity_seconds: None,
            endpoints: Vec::new(),
        };
        assert_eq!(svc.chain_hash(), "NPX46M4PTMTKRN6Y");
        let dns = Service {
            namespace: "kube-system".into(),
            name: "kube-dns".into(),
            port_name: "dns-tcp".into(),
            ..svc.clone()
        };
        assert_eq!(dns.chain_hash(), "ERIFXISQEP7F7OF4");
        let ep = Endpoint {
            ip: Ipv4Addr::new(10, 244, 0, 4),
            port: 53,
            local: false,
        };
        assert_eq!(dns.endpoint_chain_hash(&ep), "SF3LG62VAE5ALYDV");
        assert_eq!(
            dns.nft_chain_base(),
            "NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp"
        );
    }

    #[test]
    fn probabilities_print_as_iptables_save_does() {
        assert_eq!(iptables_probability(3), "0.33333333349");
        assert_eq!(iptables_probability(2), "0.50000000000");
        assert_eq!(iptables_probability(10), "0.10000000009");
    }
}
