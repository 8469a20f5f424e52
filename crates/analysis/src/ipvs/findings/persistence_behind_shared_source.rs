//! Persistence (`sessionAffinity: ClientIP`) when clients may share one source address: IPVS pins by source
//! address, so everyone behind one NAT address lands on one real server.

use super::percent;
use crate::ipvs::model::{Node, Role, VirtualServer};
use crate::report::FindingCode;
use crate::report::{Finding, Service, Severity};

pub const CODE: FindingCode = FindingCode::IpvsPersistenceSharedSource;

/// One real server holding at least this share of the connections counts as "everyone on one server".
const CONCENTRATION: f64 = 0.9;
/// Fewer connections than this say nothing about concentration.
const MIN_CONNECTIONS: u64 = 10;

pub fn find(node: &Node, services: &[(Service, Vec<usize>)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (service, group) in services {
        let persistent: Vec<&VirtualServer> = group
            .iter()
            .map(|i| &node.servers[*i])
            .filter(|s| s.service.persistent_seconds.is_some())
            .collect();
        let Some(first) = persistent.first() else {
            continue;
        };
        let seconds = first.service.persistent_seconds.unwrap_or(0);
        let mask = first
            .service
            .persistence_mask
            .as_deref()
            .map(|m| format!(" (mask {m}: whole networks of clients share one entry)"))
            .unwrap_or_default();
        if let Some(f) = persistent
            .iter()
            .find_map(|s| concentration(service, s, seconds, &mask))
        {
            out.push(f);
            continue;
        }
        let outside: Vec<&&VirtualServer> = persistent
            .iter()
            .filter(|s| {
                matches!(
                    s.role,
                    Role::NodePort | Role::LoadBalancer | Role::ExternalIp
                )
            })
            .collect();
        if outside.is_empty() {
            continue;
        }
        let names: Vec<String> = outside
            .iter()
            .map(|s| format!("{} {}", s.role.describe(), s.id()))
            .collect();
        let message = format!(
            "{}: {} {} persistent for {seconds} s{mask}: IPVS sends every connection from one source address to the same \
             real server until the address has been idle that long. Clients reaching it from outside the cluster often \
             share a source address (a NAT gateway, a proxy, a cloud load balancer that does SNAT); all of them count as one \
             client and land on one endpoint, so the load is not spread at all.",
            service.id,
            super::list(&names),
            if outside.len() == 1 { "is" } else { "are" }
        );
        let lines = outside.iter().map(|s| s.service.line).collect();
        out.push(Finding::new(
            CODE,
            Severity::Info,
            Some(&service.id),
            lines,
            message,
        ));
    }
    out
}

fn concentration(
    service: &Service,
    s: &VirtualServer,
    seconds: u32,
    mask: &str,
) -> Option<Finding> {
    let servers: Vec<_> = s
        .service
        .real_servers
        .iter()
        .filter(|r| r.weight.unwrap_or(1) > 0)
        .collect();
    if servers.len() < 2 {
        return None;
    }
    let counts: Vec<u64> = servers
        .iter()
        .map(|r| {
            match (
                r.active_connections,
                r.inactive_connections,
                r.stats.as_deref(),
            ) {
                (Some(a), Some(i), _) => a.saturating_add(i),
                (_, _, Some(st)) => st.connections.value,
                _ => 0,
            }
        })
        .collect();
    let total: u64 = counts.iter().fold(0u64, |a, b| a.saturating_add(*b));
    let (top, max) = counts.iter().enumerate().max_by_key(|(_, c)| **c)?;
    if total < MIN_CONNECTIONS || (*max as f64) < CONCENTRATION * total as f64 {
        return None;
    }
    let message = format!(
        "{}: {} is persistent for {seconds} s{mask} and {} holds {max} of its {total} connections ({}) while {} other real \
         server(s) share the rest. Persistence pins by client source address; this pattern means most connections come from \
         one address, as when clients sit behind a shared SNAT (a NAT gateway, an ingress controller or proxy, a node that \
         masquerades). Every one of them is the same client to IPVS. Consider sessionAffinity None, or affinity in the \
         application (cookies) instead.",
        service.id,
        s.id(),
        servers[top].address.text,
        percent(*max as f64 / total as f64),
        servers.len() - 1
    );
    let mut lines = vec![s.service.line];
    lines.extend(servers.iter().flat_map(|r| r.lines.iter().copied()));
    Some(Finding::new(
        CODE,
        Severity::Warning,
        Some(&service.id),
        lines,
        message,
    ))
}
