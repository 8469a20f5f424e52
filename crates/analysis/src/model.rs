//! The node model's shared types: the proxy mode, Service ports with their endpoints, and the facts about
//! the node. The tracer and the report both use them; they use nothing else of the crate.

use serde::{Deserialize, Serialize};

/// The proxy mode kube-proxy runs in on this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Iptables,
    Ipvs,
    Nftables,
    #[default]
    Unknown,
}

impl Mode {
    /// The mode's name as the report's JSON and text spell it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Iptables => "iptables",
            Mode::Ipvs => "ipvs",
            Mode::Nftables => "nftables",
            Mode::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn parse(text: &str) -> Option<Protocol> {
        match text.to_ascii_lowercase().as_str() {
            "tcp" | "6" => Some(Protocol::Tcp),
            "udp" | "17" => Some(Protocol::Udp),
            "sctp" | "132" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrafficPolicy {
    Cluster,
    Local,
}

/// One Service port, in any proxy mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Service {
    /// `namespace/name:port_name`, or `VIP:port/proto` when no input names the Service.
    pub id: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// `""` for an unnamed port.
    pub port_name: String,
    pub protocol: Option<Protocol>,
    pub cluster_ip: Option<String>,
    pub port: Option<u16>,
    pub node_port: Option<u16>,
    pub external_ips: Vec<String>,
    pub load_balancer_ips: Vec<String>,
    /// Sources allowed to reach the load-balancer IPs (`loadBalancerSourceRanges`), when restricted.
    pub load_balancer_source_ranges: Vec<String>,
    pub external_traffic_policy: Option<TrafficPolicy>,
    pub session_affinity_seconds: Option<u32>,
    /// IPVS scheduler (`rr`, `wlc`, …); `null` in the other modes.
    pub scheduler: Option<String>,
    pub endpoints: Vec<Endpoint>,
    /// True when kube-proxy programmed "has no endpoints" rejects (or no endpoint chains at all).
    pub no_endpoints: bool,
    /// Dump lines that define this Service (1-based, in the whole paste).
    pub lines: Vec<u32>,
    /// Set when the rules that pick this Service's endpoints were not understood (or are cut from the
    /// paste): the endpoints listed may be incomplete, and nothing is claimed about the rest.
    #[serde(default)]
    pub endpoints_unknown: Option<Unknown>,
    /// What the cluster's API says about this Service port beside what the node programmed (`null` when
    /// no API objects were given or none is this Service's).
    #[serde(default)]
    pub api: Option<ServiceApi>,
}

/// One Service port as the API objects describe it, joined to the node's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ServiceApi {
    /// `namespace/name` of the API's Service.
    pub service: String,
    /// `""` for an unnamed port.
    pub port_name: String,
    /// The API's ready endpoints of this port (`ip:port`), of the Service's address family.
    pub endpoints: Vec<String>,
    /// Endpoints of the API this node did not program, each with the reason.
    pub missing_on_node: Vec<MissingEndpoint>,
    /// Endpoints this node programmed that the API does not give it (stale rules).
    pub extra_on_node: Vec<String>,
    /// The API's `externalTrafficPolicy` (for Services reachable from outside) and `internalTrafficPolicy`.
    pub external_traffic_policy: Option<TrafficPolicy>,
    pub internal_traffic_policy: Option<TrafficPolicy>,
    /// `sessionAffinity: ClientIP` with its timeout (10800 when not given); `null` without affinity.
    pub session_affinity_seconds: Option<u32>,
    pub load_balancer_source_ranges: Vec<String>,
    pub traffic_distribution: Option<String>,
    /// Set when the node's endpoints are not known: nothing is said about what it lacks.
    pub unknown: Option<Unknown>,
    /// What else the join tells, in sentences (a terminating fallback in use, hints applied).
    pub notes: Vec<String>,
    /// Lines of the API objects (the Service, its port, its EndpointSlices).
    pub lines: Vec<u32>,
}

/// An API endpoint missing from the node's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MissingEndpoint {
    pub endpoint: String,
    /// `terminating`, `not-ready`, `topology`, `local-only`, `unknown` (a fact to decide it is missing) or
    /// `unexplained` (the node should have it: kube-proxy has not synced).
    pub reason: String,
    /// The reason in a sentence, with the zone or node that explains it.
    pub detail: String,
    /// The endpoint's line in the API objects.
    pub lines: Vec<u32>,
}

/// Why something could not be known from the rules, and the dump lines that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Unknown {
    pub reason: String,
    pub lines: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Endpoint {
    pub ip: String,
    pub port: Option<u16>,
    /// Chance that a new connection from a client without affinity history lands here.
    pub probability: f64,
    /// True/false when the dump shows whether the endpoint runs on this node.
    pub local: Option<bool>,
    /// IPVS weight; `null` in the other modes.
    pub weight: Option<i64>,
    /// IPVS live connection counts, when listed.
    pub active_connections: Option<u64>,
    pub inactive_connections: Option<u64>,
    /// Dump lines for this endpoint.
    pub lines: Vec<u32>,
}

/// A fact about the node and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub value: String,
    /// Where it came from, e.g. `-s 10.244.0.0/16 … -j KUBE-MARK-MASQ (line 40)`.
    pub source: String,
    pub lines: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NodeFacts {
    pub node_ips: Vec<Fact>,
    pub pod_cidrs: Vec<Fact>,
    pub ip_family: Option<IpFamily>,
    /// iptables backend when the dump tells (`legacy`, `nf_tables`).
    pub iptables_backend: Option<String>,
    /// The node's interface addresses (`addr/len` on an interface) from an `ip addr` section.
    #[serde(default)]
    pub addresses: Vec<Fact>,
}

/// `Fact::source` of a fact the user gave.
pub const GIVEN_BY_USER: &str = "given by the user";

impl Fact {
    /// True for a fact the user gave (in the options), false for one read from the paste.
    pub fn given_by_user(&self) -> bool {
        self.source == GIVEN_BY_USER
    }
}

/// The address families whose rules hold kube-proxy's Services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IpFamily {
    #[serde(rename = "ipv4")]
    Ipv4,
    #[serde(rename = "ipv6")]
    Ipv6,
    #[serde(rename = "dual-stack")]
    DualStack,
}

impl IpFamily {
    /// `ipv4`, `ipv6` or `dual-stack`, as the report writes it.
    pub fn name(self) -> &'static str {
        match self {
            IpFamily::Ipv4 => "ipv4",
            IpFamily::Ipv6 => "ipv6",
            IpFamily::DualStack => "dual-stack",
        }
    }
}

impl std::fmt::Display for IpFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
