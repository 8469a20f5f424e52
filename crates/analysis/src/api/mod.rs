//! The cluster's view beside the node's: the API's Services and EndpointSlices (from `kubectl get … -o
//! json|yaml`) joined to the Services this node's rules hold, in every proxy mode.
//!
//! Each Service port of the report is matched to its API Service port (by `namespace/name` and port
//! name; on an IPVS node, which names nothing, by cluster IP, port and protocol, and then named from the
//! API). `endpoints` compares the endpoints; the findings are one file each: `stale` (the node holds an
//! endpoint the API does not give it), `not_synced` (it lacks one the API gives it), `policy` (eTP,
//! affinity, source ranges the rules do otherwise), `service_not_synced` and `service_stale` (Services
//! one side has and the other not). `node` finds which API Node this node is.

mod endpoints;
mod node;
mod not_synced;
mod policy;
mod service_not_synced;
mod service_stale;
mod stale;

use svcpath_syntax::kube_api::{ApiObjects, ApiService, EndpointSlice, ServicePort};

use crate::report::{ApiJoin, ApiServicePort, Finding, Mode, Report, Service};

/// Joins the API objects to the report's Services: fills each Service's `api`, the report's `api`, and
/// returns the findings. Does nothing without API objects.
pub(crate) fn join(api: &ApiObjects, report: &mut Report) -> Vec<Finding> {
    if api.is_empty() {
        return Vec::new();
    }
    let this = node::identify(api, report);
    let mut summary = ApiJoin {
        node_name: this.name.clone(),
        node_name_source: this.source.clone(),
        zone: this.zone().map(str::to_string),
        services: api.services.len(),
        slices: api.slices.len(),
        nodes: api.nodes.len(),
        ..ApiJoin::default()
    };
    let mut matched: Vec<(usize, usize)> = Vec::new();
    for service in &mut report.services {
        let Some((si, pi)) = find_port(api, service) else {
            continue;
        };
        matched.push((si, pi));
        let svc = &api.services[si];
        let port = &svc.ports[pi];
        if service.name.is_none() {
            // IPVS names nothing: the API does.
            service.namespace = Some(svc.namespace.clone());
            service.name = Some(svc.name.clone());
            service.port_name = port.name.clone();
        }
        let slices = slices_of(api, svc);
        service.api = Some(endpoints::compare(svc, port, &slices, service, &this));
    }
    let namespaces: Vec<&str> = api.services.iter().map(|s| s.namespace.as_str()).collect();
    if report.mode != Mode::Unknown {
        for (si, svc) in api.services.iter().enumerate() {
            if svc.headless || svc.cluster_ips.is_empty() || svc.service_type == "ExternalName" {
                continue;
            }
            for (pi, port) in svc.ports.iter().enumerate() {
                if matched.contains(&(si, pi)) {
                    continue;
                }
                summary.services_without_rules.push(ApiServicePort {
                    id: port_id(svc, port),
                    address: format!(
                        "{}:{}/{}",
                        svc.cluster_ips[0],
                        port.port.map(|p| p.to_string()).unwrap_or_default(),
                        port.protocol.to_ascii_lowercase()
                    ),
                    ready_endpoints: ready_count(&slices_of(api, svc), port),
                    lines: vec![svc.line, port.line],
                });
            }
        }
        for service in &report.services {
            if service.api.is_some() {
                continue;
            }
            let comparable = match &service.namespace {
                Some(ns) => namespaces.contains(&ns.as_str()),
                None => service.cluster_ip.is_some(),
            };
            if comparable {
                summary.rules_without_service.push(service.id.clone());
            }
        }
    }
    let mut findings = Vec::new();
    for service in &report.services {
        if let Some(joined) = &service.api {
            findings.extend(stale::find(service, joined));
            findings.extend(not_synced::find(service, joined));
            findings.extend(policy::find(service, joined, &api.services));
        }
    }
    findings.extend(service_not_synced::find(&summary));
    findings.extend(service_stale::find(&summary, &report.services));
    report.api = Some(summary);
    findings
}

fn port_id(svc: &ApiService, port: &ServicePort) -> String {
    if port.name.is_empty() {
        format!("{}/{}", svc.namespace, svc.name)
    } else {
        format!("{}/{}:{}", svc.namespace, svc.name, port.name)
    }
}

fn slices_of<'a>(api: &'a ApiObjects, svc: &ApiService) -> Vec<&'a EndpointSlice> {
    let has_slices = api.slices.iter().any(|s| {
        !s.legacy && s.namespace == svc.namespace && s.service.as_deref() == Some(&svc.name)
    });
    api.slices
        .iter()
        .filter(|s| s.namespace == svc.namespace && s.service.as_deref() == Some(&svc.name))
        // EndpointSlices when given; the older Endpoints object only without them (kube-proxy reads slices).
        .filter(|s| !has_slices || !s.legacy)
        .collect()
}

fn ready_count(slices: &[&EndpointSlice], port: &ServicePort) -> usize {
    slices
        .iter()
        .filter(|s| s.ports.iter().any(|p| p.name == port.name))
        .flat_map(|s| &s.endpoints)
        .filter(|e| e.ready.unwrap_or(true))
        .map(|e| e.addresses.len())
        .sum()
}

/// The API Service port of a report Service: by name, or by address on a node whose rules name nothing.
fn find_port(api: &ApiObjects, service: &Service) -> Option<(usize, usize)> {
    let protocol_fits = |port: &ServicePort| {
        service
            .protocol
            .is_none_or(|p| p.name().eq_ignore_ascii_case(&port.protocol))
    };
    if let (Some(ns), Some(name)) = (&service.namespace, &service.name) {
        let si = api
            .services
            .iter()
            .position(|s| &s.namespace == ns && &s.name == name)?;
        let pi = api.services[si]
            .ports
            .iter()
            .position(|p| p.name == service.port_name && protocol_fits(p))?;
        return Some((si, pi));
    }
    let ip = service.cluster_ip.as_deref()?;
    let port = service.port?;
    api.services.iter().enumerate().find_map(|(si, s)| {
        if !s.cluster_ips.iter().any(|c| c == ip) {
            return None;
        }
        let pi = s
            .ports
            .iter()
            .position(|p| p.port == Some(port) && protocol_fits(p))?;
        Some((si, pi))
    })
}
