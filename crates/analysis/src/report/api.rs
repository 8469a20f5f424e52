//! The report's block about the cluster's API objects: which node this is, and the Services the API and
//! the node's rules do not share.

use serde::{Deserialize, Serialize};

/// The API objects joined to the node's rules, as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ApiJoin {
    /// This node's name in the API, when a Node object has one of its addresses (or one of its local
    /// endpoints runs on it); `null` when it cannot be told.
    pub node_name: Option<String>,
    /// How the name was found, or why it is not known.
    pub node_name_source: String,
    /// This node's zone (`topology.kubernetes.io/zone`), when known.
    pub zone: Option<String>,
    /// How many Services, EndpointSlices (Endpoints subsets counted) and Nodes were read.
    pub services: usize,
    pub slices: usize,
    pub nodes: usize,
    /// Service ports of the API for which the paste holds no rules.
    pub services_without_rules: Vec<ApiServicePort>,
    /// Services of the node's rules (their ids) that no API Service given matches.
    pub rules_without_service: Vec<String>,
}

/// A Service port of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ApiServicePort {
    /// `namespace/name:port_name` (`namespace/name` for an unnamed port).
    pub id: String,
    /// `clusterIP:port/protocol`.
    pub address: String,
    /// How many ready endpoints the API gives it.
    pub ready_endpoints: usize,
    pub lines: Vec<u32>,
}
