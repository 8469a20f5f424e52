//! The value tree read as API objects: a `List` (or `ServiceList`, `EndpointSliceList`, …) of items, or
//! single objects, each kind read field by field. A field of the wrong shape is a warning with its
//! line; the object is still kept with what could be read.

use std::collections::BTreeMap;

use crate::diag::{quote, Diagnostics, Severity};

use super::tree::Node;
use super::{
    ApiNode, ApiObjects, ApiService, EndpointSlice, Positions, ServicePort, SliceEndpoint,
    SlicePort, MAX_OBJECTS,
};

pub(crate) struct Reader<'p, 'd> {
    positions: &'p Positions<'p>,
    diagnostics: &'d mut Diagnostics,
    objects: ApiObjects,
    read: usize,
    /// Kinds left out (Pods, Deployments, …): how many, and the first one's offset.
    other_kinds: BTreeMap<String, (usize, usize)>,
    left_out: Option<(usize, usize)>,
}

impl<'p, 'd> Reader<'p, 'd> {
    pub fn new(positions: &'p Positions<'p>, diagnostics: &'d mut Diagnostics) -> Self {
        Reader {
            positions,
            diagnostics,
            objects: ApiObjects::default(),
            read: 0,
            other_kinds: BTreeMap::new(),
            left_out: None,
        }
    }

    /// One document: a list of objects or one object.
    pub fn document(&mut self, doc: &Node) {
        if !doc.items().is_empty() {
            // A bare JSON array of objects (`jq '.items'`).
            for item in doc.items() {
                self.object(item);
            }
            return;
        }
        let kind = doc.get("kind").and_then(Node::text).unwrap_or("");
        if kind == "List"
            || kind.ends_with("List")
            || (kind.is_empty() && doc.get("items").is_some())
        {
            for item in doc.get("items").map(Node::items).unwrap_or(&[]) {
                self.object(item);
            }
        } else if !doc.is_null() {
            self.object(doc);
        }
    }

    pub fn finish(mut self) -> ApiObjects {
        for (kind, (n, at)) in std::mem::take(&mut self.other_kinds) {
            let message = format!(
                "{n} object(s) of kind {} left out: svcpath reads Services, EndpointSlices, Endpoints and Nodes",
                quote(&kind)
            );
            self.note(at, Severity::Info, message);
        }
        if let Some((n, at)) = self.left_out {
            let message =
                format!("{n} more API object(s) from here on are not read (svcpath reads the first {MAX_OBJECTS})");
            self.note(at, Severity::Error, message);
        }
        self.objects
    }

    fn note(&mut self, at: usize, severity: Severity, message: String) {
        self.diagnostics
            .push(self.positions.diagnostic(at, severity, message));
    }

    fn line(&self, node: &Node) -> u32 {
        self.positions.line(node.at)
    }

    fn object(&mut self, item: &Node) {
        if self.read >= MAX_OBJECTS {
            let entry = self.left_out.get_or_insert((0, item.at));
            entry.0 += 1;
            return;
        }
        self.read += 1;
        let kind = item.get("kind").and_then(Node::text).unwrap_or("");
        match kind {
            "Service" => {
                let s = self.service(item);
                self.objects.services.push(s);
            }
            "EndpointSlice" => {
                let s = self.slice(item);
                self.objects.slices.push(s);
            }
            "Endpoints" => {
                let s = self.endpoints(item);
                self.objects.slices.extend(s);
            }
            "Node" => {
                let n = self.node(item);
                self.objects.nodes.push(n);
            }
            _ => {
                let name = if kind.is_empty() { "(no kind)" } else { kind };
                let entry = self
                    .other_kinds
                    .entry(name.to_string())
                    .or_insert((0, item.at));
                entry.0 += 1;
            }
        }
    }

    /// A text field; a warning when it is there with another shape.
    fn text(&mut self, node: &Node, path: &[&str]) -> Option<String> {
        let field = node.path(path)?;
        if field.is_null() {
            return None;
        }
        match field.text() {
            Some(t) => Some(t.to_string()),
            None => {
                let message = format!("`{}` is not a single value: left out", path.join("."));
                self.note(field.at, Severity::Warning, message);
                None
            }
        }
    }

    /// A port number (1–65535 or 0 for none); a warning for anything else.
    fn port(&mut self, node: &Node, key: &str) -> Option<u16> {
        let field = node.get(key)?;
        if field.is_null() {
            return None;
        }
        match field.text().and_then(|t| t.parse::<u16>().ok()) {
            Some(0) => None,
            Some(p) => Some(p),
            None => {
                let message = format!(
                    "`{key}` is not a port number: {}",
                    quote(field.text().unwrap_or("(a list or map)"))
                );
                self.note(field.at, Severity::Warning, message);
                None
            }
        }
    }

    /// A list of text values (`externalIPs`, `addresses`).
    fn texts(&mut self, node: &Node, path: &[&str]) -> Vec<String> {
        let Some(field) = node.path(path) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in field.items() {
            match item.text() {
                Some(t) => out.push(t.to_string()),
                None => {
                    let message = format!(
                        "an item of `{}` is not a single value: left out",
                        path.join(".")
                    );
                    self.note(item.at, Severity::Warning, message);
                }
            }
        }
        out
    }

    fn name_and_namespace(&mut self, item: &Node) -> (String, String) {
        let name = self.text(item, &["metadata", "name"]).unwrap_or_default();
        let namespace = self
            .text(item, &["metadata", "namespace"])
            .unwrap_or_else(|| "default".to_string());
        if name.is_empty() {
            let kind = item
                .get("kind")
                .and_then(Node::text)
                .unwrap_or("object")
                .to_string();
            self.note(
                item.at,
                Severity::Warning,
                format!("a {kind} without `metadata.name`"),
            );
        }
        (name, namespace)
    }

    fn service(&mut self, item: &Node) -> ApiService {
        let (name, namespace) = self.name_and_namespace(item);
        let no_spec = Node::null(item.at);
        let spec = item.get("spec").unwrap_or(&no_spec);
        let mut cluster_ips = self.texts(spec, &["clusterIPs"]);
        let single = self.text(spec, &["clusterIP"]);
        if cluster_ips.is_empty() {
            cluster_ips.extend(single);
        }
        let headless = cluster_ips.iter().any(|ip| ip == "None");
        cluster_ips.retain(|ip| ip != "None" && !ip.is_empty());
        let mut ports = Vec::new();
        for p in spec.get("ports").map(Node::items).unwrap_or(&[]) {
            ports.push(ServicePort {
                name: self.text(p, &["name"]).unwrap_or_default(),
                port: self.port(p, "port"),
                node_port: self.port(p, "nodePort"),
                protocol: self
                    .text(p, &["protocol"])
                    .unwrap_or_else(|| "TCP".to_string()),
                target_port: self.text(p, &["targetPort"]),
                line: self.line(p),
            });
        }
        let load_balancer_ips = item
            .path(&["status", "loadBalancer", "ingress"])
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(|i| i.get("ip").and_then(Node::text).map(str::to_string))
            .collect();
        let affinity_timeout_seconds = spec
            .path(&["sessionAffinityConfig", "clientIP", "timeoutSeconds"])
            .and_then(Node::text)
            .and_then(|t| t.parse().ok());
        ApiService {
            namespace,
            name,
            service_type: self
                .text(spec, &["type"])
                .unwrap_or_else(|| "ClusterIP".to_string()),
            cluster_ips,
            headless,
            ports,
            external_ips: self.texts(spec, &["externalIPs"]),
            load_balancer_ips,
            load_balancer_source_ranges: self.texts(spec, &["loadBalancerSourceRanges"]),
            external_traffic_policy: self.text(spec, &["externalTrafficPolicy"]),
            internal_traffic_policy: self.text(spec, &["internalTrafficPolicy"]),
            session_affinity: self.text(spec, &["sessionAffinity"]),
            affinity_timeout_seconds,
            traffic_distribution: self.text(spec, &["trafficDistribution"]),
            health_check_node_port: self.port(spec, "healthCheckNodePort"),
            line: self.line(item),
        }
    }

    fn slice_ports(&mut self, node: &Node) -> Vec<SlicePort> {
        let mut out = Vec::new();
        for p in node.get("ports").map(Node::items).unwrap_or(&[]) {
            out.push(SlicePort {
                name: self.text(p, &["name"]).unwrap_or_default(),
                port: self.port(p, "port"),
                protocol: self
                    .text(p, &["protocol"])
                    .unwrap_or_else(|| "TCP".to_string()),
            });
        }
        out
    }

    fn slice(&mut self, item: &Node) -> EndpointSlice {
        let (name, namespace) = self.name_and_namespace(item);
        let service = item
            .path(&["metadata", "labels", "kubernetes.io/service-name"])
            .and_then(Node::text)
            .map(str::to_string);
        let mut endpoints = Vec::new();
        for e in item.get("endpoints").map(Node::items).unwrap_or(&[]) {
            let hint_names = |key: &str| -> Vec<String> {
                e.path(&["hints", key])
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|z| z.get("name").and_then(Node::text).map(str::to_string))
                    .collect()
            };
            let for_zones = hint_names("forZones");
            let for_nodes = hint_names("forNodes");
            let condition = |key: &str| e.path(&["conditions", key]).and_then(Node::boolean);
            endpoints.push(SliceEndpoint {
                addresses: self.texts(e, &["addresses"]),
                ready: condition("ready"),
                serving: condition("serving"),
                terminating: condition("terminating"),
                node_name: self.text(e, &["nodeName"]),
                zone: self.text(e, &["zone"]),
                for_zones,
                for_nodes,
                line: self.line(e),
            });
        }
        EndpointSlice {
            namespace,
            name,
            service,
            address_type: self.text(item, &["addressType"]),
            endpoints,
            ports: self.slice_ports(item),
            legacy: false,
            line: self.line(item),
        }
    }

    /// An Endpoints object: one slice per subset, `addresses` ready, `notReadyAddresses` not.
    fn endpoints(&mut self, item: &Node) -> Vec<EndpointSlice> {
        let (name, namespace) = self.name_and_namespace(item);
        let mut out = Vec::new();
        for subset in item.get("subsets").map(Node::items).unwrap_or(&[]) {
            let mut endpoints = Vec::new();
            for (key, ready) in [("addresses", true), ("notReadyAddresses", false)] {
                for a in subset.get(key).map(Node::items).unwrap_or(&[]) {
                    let Some(ip) = self.text(a, &["ip"]) else {
                        continue;
                    };
                    endpoints.push(SliceEndpoint {
                        addresses: vec![ip],
                        ready: Some(ready),
                        serving: Some(ready),
                        terminating: None,
                        node_name: self.text(a, &["nodeName"]),
                        zone: None,
                        for_zones: Vec::new(),
                        for_nodes: Vec::new(),
                        line: self.line(a),
                    });
                }
            }
            out.push(EndpointSlice {
                namespace: namespace.clone(),
                name: name.clone(),
                service: Some(name.clone()),
                address_type: None,
                endpoints,
                ports: self.slice_ports(subset),
                legacy: true,
                line: self.line(subset),
            });
        }
        out
    }

    fn node(&mut self, item: &Node) -> ApiNode {
        let (name, _) = self.name_and_namespace(item);
        let labels = item.path(&["metadata", "labels"]);
        let zone = labels
            .and_then(|l| {
                l.get("topology.kubernetes.io/zone")
                    .or_else(|| l.get("failure-domain.beta.kubernetes.io/zone"))
            })
            .and_then(Node::text)
            .map(str::to_string);
        let addresses = item
            .path(&["status", "addresses"])
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(|a| {
                let kind = a.get("type").and_then(Node::text)?;
                let address = a.get("address").and_then(Node::text)?;
                Some((kind.to_string(), address.to_string()))
            })
            .collect();
        let mut pod_cidrs = self.texts(item, &["spec", "podCIDRs"]);
        if pod_cidrs.is_empty() {
            pod_cidrs.extend(self.text(item, &["spec", "podCIDR"]));
        }
        ApiNode {
            name,
            addresses,
            zone,
            pod_cidrs,
            line: self.line(item),
        }
    }
}
