//! The objects kube-proxy's nftables mode would create for the Services of a paste: chains, sets, maps
//! and map or set elements, counted the way `pkg/proxy/nftables` writes them.
//!
//! Per Service port with endpoints: a `service-…` chain, one `endpoint-…` chain per endpoint (1.33–1.35;
//! from 1.36 only for Services with session affinity), an `external-…` chain when it is reachable from
//! outside (NodePort, load-balancer or external IPs), a local-policy chain under
//! `externalTrafficPolicy: Local`, a `firewall-…` chain for `loadBalancerSourceRanges`, and one affinity
//! set per endpoint under ClientIP affinity. Elements: one `cluster-ips` member per ClusterIP, one
//! `service-ips` (or `no-endpoint-services`) element per ClusterIP, external and load-balancer IP, one
//! `service-nodeports` (or `no-endpoint-nodeports`) element per NodePort, one `firewall-ips` element per
//! restricted load-balancer IP. The fixed part is that of a real 1.33 `nft list table ip kube-proxy`.

pub use crate::report::NftObjects;
use crate::report::{Service, TrafficPolicy};

/// Base chains of kube-proxy's table (1.33 layout): `nat-prerouting`, `nat-output`, `nat-postrouting`,
/// `filter-prerouting`, `filter-input`, `filter-forward`, `filter-output`, `filter-output-post-dnat`.
pub const BASE_CHAINS: usize = 8;
/// Regular chains every table has: `services`, `masquerading`, `mark-for-masquerade`, `firewall-check`,
/// `cluster-ips-check`, `service-endpoints-check`, `nodeport-endpoints-check`, `reject-chain`.
pub const FIXED_CHAINS: usize = 8;
/// `cluster-ips`, `nodeport-ips`.
pub const FIXED_SETS: usize = 2;
/// `service-ips`, `service-nodeports`, `no-endpoint-services`, `no-endpoint-nodeports`, `firewall-ips`.
pub const FIXED_MAPS: usize = 5;

/// Counts the objects for these Services.
pub fn count(services: &[Service]) -> NftObjects {
    let mut o = NftObjects {
        service_ports: services.len(),
        chains: BASE_CHAINS + FIXED_CHAINS,
        chains_from_1_36: BASE_CHAINS + FIXED_CHAINS,
        sets: FIXED_SETS,
        maps: FIXED_MAPS,
        ..NftObjects::default()
    };
    for s in services {
        if s.endpoints_unknown.is_some() {
            o.unknown_endpoints += 1;
        }
        let endpoints = s.endpoints.len();
        let has_endpoints = endpoints > 0;
        let external =
            s.node_port.is_some() || !s.load_balancer_ips.is_empty() || !s.external_ips.is_empty();
        let addresses =
            usize::from(s.cluster_ip.is_some()) + s.external_ips.len() + s.load_balancer_ips.len();
        // Dispatch elements: service-ips or no-endpoint-services, NodePort maps, cluster-ips, firewall-ips.
        o.elements += addresses + usize::from(s.node_port.is_some());
        o.elements += usize::from(s.cluster_ip.is_some());
        if !s.load_balancer_source_ranges.is_empty() {
            o.elements += s.load_balancer_ips.len();
        }
        if !has_endpoints {
            continue;
        }
        let mut chains = 1; // service-…
        o.service_chains += 1;
        if external {
            chains += 1; // external-…
        }
        if s.external_traffic_policy == Some(TrafficPolicy::Local) {
            chains += 1; // local-policy chain
        }
        if !s.load_balancer_source_ranges.is_empty() {
            chains += 1; // firewall-…
        }
        o.endpoint_chains += endpoints;
        o.chains += chains + endpoints;
        let affinity = s.session_affinity_seconds.is_some();
        o.chains_from_1_36 += chains + if affinity { endpoints } else { 0 };
        if affinity {
            o.sets += endpoints;
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Endpoint;

    fn endpoints(n: usize) -> Vec<Endpoint> {
        (0..n)
            .map(|i| Endpoint {
                ip: format!("10.244.0.{i}"),
                port: Some(8080),
                probability: 1.0 / n as f64,
                ..Endpoint::default()
            })
            .collect()
    }

    #[test]
    fn counts_follow_the_services() {
        let services = vec![
            // ClusterIP with two endpoints.
            Service {
                id: "a".into(),
                cluster_ip: Some("10.96.0.10".into()),
                endpoints: endpoints(2),
                ..Service::default()
            },
            // NodePort, eTP Local, affinity, three endpoints.
            Service {
                id: "b".into(),
                cluster_ip: Some("10.96.0.11".into()),
                node_port: Some(30080),
                external_traffic_policy: Some(TrafficPolicy::Local),
                session_affinity_seconds: Some(10800),
                endpoints: endpoints(3),
                ..Service::default()
            },
            // No endpoints: only map elements.
            Service {
                id: "c".into(),
                cluster_ip: Some("10.96.0.12".into()),
                no_endpoints: true,
                ..Service::default()
            },
        ];
        let o = count(&services);
        assert_eq!(o.service_chains, 2);
        assert_eq!(o.endpoint_chains, 5);
        // 16 fixed + a: 1 + 2; b: service, external, local + 3 endpoint chains.
        assert_eq!(o.chains, 16 + 3 + 6);
        // From 1.36 a's endpoint chains go; b keeps its own (affinity).
        assert_eq!(o.chains_from_1_36, 16 + 1 + 6);
        assert_eq!(o.sets, 2 + 3);
        assert_eq!(o.maps, 5);
        // a: service-ips + cluster-ips; b: the same + a NodePort element; c: no-endpoint-services + cluster-ips.
        assert_eq!(o.elements, 2 + 3 + 2);
    }
}
