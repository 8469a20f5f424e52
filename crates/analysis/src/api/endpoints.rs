//! One Service port's endpoints: what the API gives, what kube-proxy would program on this node (ready
//! endpoints, else serving terminating ones as a fallback; narrowed by topology hints and by
//! `internalTrafficPolicy: Local`, as kube-proxy's `CategorizeEndpoints` does), and each difference
//! with the node's rules with its reason.

use svcpath_syntax::kube_api::{ApiService, EndpointSlice, ServicePort, SliceEndpoint};

use super::node::ThisNode;
use crate::model::{MissingEndpoint, Service, ServiceApi, TrafficPolicy};

/// One API endpoint of this port.
struct Candidate<'a> {
    key: String,
    endpoint: &'a SliceEndpoint,
    ready: bool,
    serving: bool,
    terminating: bool,
}

/// `ip:port`, `[ip]:port` for IPv6.
pub(crate) fn endpoint_key(ip: &str, port: Option<u16>) -> String {
    match (ip.contains(':'), port) {
        (true, Some(p)) => format!("[{ip}]:{p}"),
        (false, Some(p)) => format!("{ip}:{p}"),
        (_, None) => ip.to_string(),
    }
}

pub(crate) fn policy(word: Option<&str>) -> Option<TrafficPolicy> {
    match word {
        Some("Local") => Some(TrafficPolicy::Local),
        Some("Cluster") => Some(TrafficPolicy::Cluster),
        _ => None,
    }
}

/// The join of one Service port.
pub(crate) fn compare(
    svc: &ApiService,
    port: &ServicePort,
    slices: &[&EndpointSlice],
    node_service: &Service,
    this: &ThisNode<'_>,
) -> ServiceApi {
    let family_v6 = node_service
        .cluster_ip
        .as_deref()
        .map(|ip| ip.contains(':'));
    let mut lines = vec![svc.line, port.line];
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for slice in slices {
        let Some(slice_port) = slice
            .ports
            .iter()
            .find(|p| p.name == port.name && p.protocol.eq_ignore_ascii_case(&port.protocol))
        else {
            continue;
        };
        lines.push(slice.line);
        for e in &slice.endpoints {
            for address in &e.addresses {
                if family_v6.is_some_and(|v6| v6 != address.contains(':')) {
                    continue;
                }
                let ready = e.ready.unwrap_or(true);
                let key = endpoint_key(address, slice_port.port);
                if candidates.iter().any(|c| c.key == key) {
                    continue;
                }
                candidates.push(Candidate {
                    key,
                    endpoint: e,
                    ready,
                    serving: e.serving.unwrap_or(ready),
                    terminating: e.terminating.unwrap_or(false),
                });
            }
        }
    }
    let mut out = ServiceApi {
        service: format!("{}/{}", svc.namespace, svc.name),
        port_name: port.name.clone(),
        endpoints: candidates
            .iter()
            .filter(|c| c.ready)
            .map(|c| c.key.clone())
            .collect(),
        external_traffic_policy: policy(svc.external_traffic_policy.as_deref()),
        internal_traffic_policy: policy(svc.internal_traffic_policy.as_deref()),
        session_affinity_seconds: (svc.session_affinity.as_deref() == Some("ClientIP"))
            .then_some(svc.affinity_timeout_seconds.unwrap_or(10800)),
        load_balancer_source_ranges: svc.load_balancer_source_ranges.clone(),
        traffic_distribution: svc.traffic_distribution.clone(),
        ..ServiceApi::default()
    };
    let any_ready = candidates.iter().any(|c| c.ready);
    // What kube-proxy uses before topology and traffic policy: ready, else serving terminating ones.
    let usable = |c: &Candidate<'_>| {
        if any_ready {
            c.ready
        } else {
            c.serving && c.terminating
        }
    };
    if !any_ready && candidates.iter().any(|c| c.serving && c.terminating) {
        out.notes.push(
            "no endpoint is ready: kube-proxy (1.28+) uses the serving terminating endpoints as a fallback"
                .to_string(),
        );
    }
    let usable_list: Vec<&Candidate<'_>> = candidates.iter().filter(|c| usable(c)).collect();
    let topology = Topology::of(&usable_list, this, &mut out.notes);
    let itp_local = out.internal_traffic_policy == Some(TrafficPolicy::Local);
    let node_keys: Vec<String> = node_service
        .endpoints
        .iter()
        .map(|e| endpoint_key(&e.ip, e.port))
        .collect();
    let mut expected: Vec<&str> = Vec::new();
    // Endpoints whose place here a missing fact decides (this node's name or zone): never called stale.
    let mut undecided: Vec<&str> = Vec::new();
    for c in &candidates {
        let on_node = node_keys.contains(&c.key);
        let reason = if !usable(c) {
            Some(if c.terminating {
                let detail = if c.serving {
                    "terminating: used only when no endpoint is ready"
                } else {
                    "terminating and no longer serving"
                };
                ("terminating", detail.to_string())
            } else {
                let detail = "not ready (its readiness probe fails or it is starting)";
                ("not-ready", detail.to_string())
            })
        } else if let Some(why) = topology.excludes(c.endpoint) {
            Some(("topology", why))
        } else if itp_local {
            local_only(c.endpoint, this)
        } else {
            None
        };
        let reason = match reason {
            Some(("topology", _)) if topology.zone_unknown => {
                undecided.push(&c.key);
                reason
            }
            Some(("unknown", _)) => {
                undecided.push(&c.key);
                reason
            }
            None if !on_node => Some(match &node_service.endpoints_unknown {
                Some(u) => (
                    "unknown",
                    format!("the node's endpoints are not known: {}", u.reason),
                ),
                None => (
                    "unexplained",
                    "the API gives it to this node, but the node's rules do not hold it: kube-proxy has not synced"
                        .to_string(),
                ),
            }),
            None => {
                expected.push(&c.key);
                None
            }
            other => other,
        };
        if let (Some((reason, detail)), false) = (reason, on_node) {
            out.missing_on_node.push(MissingEndpoint {
                endpoint: c.key.clone(),
                reason: reason.to_string(),
                detail,
                lines: vec![c.endpoint.line],
            });
        }
    }
    for key in &node_keys {
        if !expected.contains(&key.as_str()) && !undecided.contains(&key.as_str()) {
            out.extra_on_node.push(key.clone());
        }
    }
    out.unknown = node_service.endpoints_unknown.clone();
    lines.sort_unstable();
    lines.dedup();
    out.lines = lines;
    out
}

/// `internalTrafficPolicy: Local`: only this node's endpoints. The reason needs this node's name.
fn local_only(e: &SliceEndpoint, this: &ThisNode<'_>) -> Option<(&'static str, String)> {
    let on = e.node_name.as_deref();
    match (&this.name, on) {
        (Some(name), Some(on)) if name == on => None,
        (Some(name), Some(on)) => Some((
            "local-only",
            format!("internalTrafficPolicy is Local and it runs on node {on}, not on this node ({name})"),
        )),
        (None, Some(on)) => Some((
            "unknown",
            format!(
                "internalTrafficPolicy is Local and it runs on node {on}; this node's name is {}",
                this.source
            ),
        )),
        (_, None) => Some((
            "unknown",
            "internalTrafficPolicy is Local and the API does not say which node it runs on".to_string(),
        )),
    }
}

/// Topology hints as kube-proxy applies them: zone hints when every usable endpoint has one and this
/// node's zone is among them; node hints (`PreferSameNode`) when one names this node.
struct Topology {
    zone: Option<String>,
    node: Option<String>,
    /// Hints are in use, but this node's zone is not known.
    zone_unknown: bool,
}

impl Topology {
    fn of(usable: &[&Candidate<'_>], this: &ThisNode<'_>, notes: &mut Vec<String>) -> Topology {
        let mut t = Topology {
            zone: None,
            node: None,
            zone_unknown: false,
        };
        if let Some(name) = &this.name {
            if usable.iter().any(|c| c.endpoint.for_nodes.contains(name)) {
                notes.push(format!(
                    "node hints send this node's traffic to endpoints hinted for node {name}"
                ));
                t.node = Some(name.clone());
                return t;
            }
        }
        let all_hinted =
            !usable.is_empty() && usable.iter().all(|c| !c.endpoint.for_zones.is_empty());
        if !all_hinted {
            return t;
        }
        match this.zone() {
            Some(zone)
                if usable
                    .iter()
                    .any(|c| c.endpoint.for_zones.iter().any(|z| z == zone)) =>
            {
                notes.push(format!(
                    "zone hints send this node's traffic to endpoints hinted for zone {zone}"
                ));
                t.zone = Some(zone.to_string());
            }
            Some(zone) => notes.push(format!(
                "no endpoint is hinted for this node's zone {zone}: kube-proxy ignores the hints"
            )),
            None => t.zone_unknown = true,
        }
        t
    }

    fn excludes(&self, e: &SliceEndpoint) -> Option<String> {
        if let Some(node) = &self.node {
            if !e.for_nodes.contains(node) {
                return Some(format!(
                    "hinted for node(s) {} (PreferSameNode), not this node ({node})",
                    e.for_nodes.join(", ")
                ));
            }
            return None;
        }
        if let Some(zone) = &self.zone {
            if !e.for_zones.contains(zone) {
                return Some(format!(
                    "hinted for zone(s) {}, and this node is in zone {zone}",
                    e.for_zones.join(", ")
                ));
            }
            return None;
        }
        if self.zone_unknown {
            return Some(format!(
                "hinted for zone(s) {}; this node's zone is not known (`kubectl get nodes -o json` tells it)",
                e.for_zones.join(", ")
            ));
        }
        None
    }
}
