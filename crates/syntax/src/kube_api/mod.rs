//! The cluster's view: Services, EndpointSlices (`discovery.k8s.io/v1`), Endpoints (the older `v1` kind)
//! and Nodes from `kubectl get svc,endpointslices,nodes -A -o json` (or `-o yaml`): a `List`, typed lists
//! (`ServiceList`, …) or single objects, one or several documents.
//!
//! JSON is read with `serde_json`, YAML with `yaml-rust2`; both become one value tree (`tree`), which
//! `objects` reads into the typed objects below. Untrusted as every input: nesting, the number of values
//! (aliases included) and of objects are bounded, and what cannot be read becomes a diagnostic with its
//! line while everything before it is kept. Other kinds (Pods, Deployments) are counted and left out.

pub mod detect;
mod json;
mod objects;
mod tree;
mod yaml;

#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::diag::{Diagnostic, Diagnostics, Parsed, Severity};
use crate::source::{Origin, Span};

/// Deepest nesting of lists and maps read (kubectl's objects nest about ten levels).
pub const MAX_DEPTH: usize = 64;
/// Most values (scalars, lists, maps, aliases expanded) read from one section.
pub const MAX_VALUES: usize = 4_000_000;
/// Most API objects read from one section; the rest are counted in one diagnostic.
pub const MAX_OBJECTS: usize = 200_000;

/// Everything one section says about the cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ApiObjects {
    pub services: Vec<ApiService>,
    /// EndpointSlices, and the older Endpoints objects read as one slice per subset.
    pub slices: Vec<EndpointSlice>,
    pub nodes: Vec<ApiNode>,
}

impl ApiObjects {
    pub fn is_empty(&self) -> bool {
        self.services.is_empty() && self.slices.is_empty() && self.nodes.is_empty()
    }

    /// Adds another section's objects.
    pub fn extend(&mut self, other: ApiObjects) {
        self.services.extend(other.services);
        self.slices.extend(other.slices);
        self.nodes.extend(other.nodes);
    }
}

/// A Service's spec and status, as far as kube-proxy reads them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ApiService {
    pub namespace: String,
    pub name: String,
    /// `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName` (`ClusterIP` when not given).
    pub service_type: String,
    /// `clusterIPs` (or `clusterIP`); `None` for a headless Service.
    pub cluster_ips: Vec<String>,
    pub headless: bool,
    pub ports: Vec<ServicePort>,
    pub external_ips: Vec<String>,
    /// `status.loadBalancer.ingress[].ip` (hostnames are not addresses the rules hold).
    pub load_balancer_ips: Vec<String>,
    pub load_balancer_source_ranges: Vec<String>,
    pub external_traffic_policy: Option<String>,
    pub internal_traffic_policy: Option<String>,
    pub session_affinity: Option<String>,
    pub affinity_timeout_seconds: Option<u32>,
    pub traffic_distribution: Option<String>,
    pub health_check_node_port: Option<u16>,
    /// The line the object starts on.
    pub line: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServicePort {
    /// `""` for an unnamed port.
    pub name: String,
    pub port: Option<u16>,
    pub node_port: Option<u16>,
    /// `TCP` when not given, as the API defaults it.
    pub protocol: String,
    /// A number or a named port, as written.
    pub target_port: Option<String>,
    pub line: u32,
}

/// One EndpointSlice (or one subset of an Endpoints object).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EndpointSlice {
    pub namespace: String,
    pub name: String,
    /// The Service it belongs to (`kubernetes.io/service-name`; the object's name for Endpoints).
    pub service: Option<String>,
    /// `IPv4`, `IPv6` or `FQDN`.
    pub address_type: Option<String>,
    pub endpoints: Vec<SliceEndpoint>,
    pub ports: Vec<SlicePort>,
    /// Read from an Endpoints object (`v1`), not an EndpointSlice.
    pub legacy: bool,
    pub line: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SliceEndpoint {
    pub addresses: Vec<String>,
    /// `conditions.ready`; `None` when not given (the API reads that as ready).
    pub ready: Option<bool>,
    pub serving: Option<bool>,
    pub terminating: Option<bool>,
    pub node_name: Option<String>,
    pub zone: Option<String>,
    pub for_zones: Vec<String>,
    pub for_nodes: Vec<String>,
    pub line: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SlicePort {
    pub name: String,
    pub port: Option<u16>,
    pub protocol: String,
}

/// A Node: its name, addresses, zone and pod CIDRs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ApiNode {
    pub name: String,
    /// `(type, address)`: `InternalIP`, `ExternalIP`, `Hostname`.
    pub addresses: Vec<(String, String)>,
    pub zone: Option<String>,
    pub pod_cidrs: Vec<String>,
    pub line: u32,
}

/// Counts the values read against [`MAX_VALUES`].
pub(crate) struct Budget {
    left: usize,
}

impl Budget {
    fn new() -> Budget {
        Budget { left: MAX_VALUES }
    }

    pub fn take_node(&mut self) -> bool {
        self.take_nodes(1)
    }

    pub fn take_nodes(&mut self, n: usize) -> bool {
        match self.left.checked_sub(n) {
            Some(left) => {
                self.left = left;
                true
            }
            None => false,
        }
    }

    pub fn exhausted_message(&self) -> String {
        format!(
            "more than {MAX_VALUES} values (aliases expanded) in this section: the rest is not read"
        )
    }
}

/// Reads one section of `kubectl get … -o json|yaml` output.
pub fn parse(text: &str, origin: Origin) -> Parsed<ApiObjects> {
    let mut budget = Budget::new();
    let trimmed = text.trim_start();
    let is_json = trimmed.starts_with('{') || trimmed.starts_with('[') || trimmed.starts_with('"');
    let (docs, problems) = if is_json {
        json::read(text, &mut budget)
    } else {
        yaml::read(text, &mut budget)
    };
    let positions = Positions::new(text, origin);
    let mut diagnostics = Diagnostics::default();
    for p in problems {
        diagnostics.push(positions.diagnostic(p.at, Severity::Error, p.message));
    }
    let mut reader = objects::Reader::new(&positions, &mut diagnostics);
    for doc in &docs {
        reader.document(doc);
    }
    let value = reader.finish();
    Parsed {
        value,
        diagnostics: diagnostics.finish(),
    }
}

/// Turns byte offsets in a section into lines and spans of the whole paste.
pub(crate) struct Positions<'a> {
    text: &'a str,
    origin: Origin,
    line_starts: Vec<usize>,
}

impl<'a> Positions<'a> {
    fn new(text: &'a str, origin: Origin) -> Positions<'a> {
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        Positions {
            text,
            origin,
            line_starts,
        }
    }

    /// The 1-based line of the paste that holds byte `at` of the section.
    pub fn line(&self, at: usize) -> u32 {
        let index = self.line_starts.partition_point(|&s| s <= at).max(1) - 1;
        self.origin.line.saturating_add(index as u32)
    }

    /// The span of the whole line that holds byte `at`, in the paste.
    fn line_span(&self, at: usize) -> Span {
        let index = self.line_starts.partition_point(|&s| s <= at).max(1) - 1;
        let start = self.line_starts.get(index).copied().unwrap_or(0);
        let end = self
            .line_starts
            .get(index + 1)
            .map(|e| e - 1)
            .unwrap_or(self.text.len())
            .max(start);
        let end = if self.text.as_bytes().get(end.wrapping_sub(1)) == Some(&b'\r') && end > start {
            end - 1
        } else {
            end
        };
        Span::new(self.origin.offset + start, self.origin.offset + end)
    }

    pub fn diagnostic(&self, at: usize, severity: Severity, message: String) -> Diagnostic {
        Diagnostic {
            line: self.line(at),
            span: self.line_span(at),
            severity,
            message,
        }
    }
}
