//! Per-node sets: one cluster as each of its nodes programs it (which endpoints are local differs per
//! node), and a stale node whose kube-proxy stopped syncing before the last endpoint changes.

use std::net::Ipv4Addr;

use crate::model::Cluster;

/// The cluster as node `node` (0 is the node [`crate::cluster`] draws for) sees it: its address is
/// `192.168.0.(10+node)` and the endpoints in its pod range `172.16.node.0/24` are the local ones.
pub fn for_node(cluster: &Cluster, node: u8) -> Cluster {
    let mut out = cluster.clone();
    out.node_ip = Ipv4Addr::new(192, 168, 0, 10u8.saturating_add(node));
    for service in &mut out.services {
        for endpoint in &mut service.endpoints {
            let [a, b, c, _] = endpoint.ip.octets();
            endpoint.local = a == 172 && b == 16 && c == node;
        }
    }
    out
}

/// The same node with a kube-proxy that missed the last changes: every Service port with endpoints
/// still lists an old pod (`172.31.255.N`) in place of its last endpoint, and the last Service port
/// (the newest) is not programmed at all.
pub fn stale(cluster: &Cluster) -> Cluster {
    let mut out = cluster.clone();
    out.services.pop();
    let kept = out.services.len();
    out.load_balancers.retain(|lb| lb.service < kept);
    for (i, service) in out.services.iter_mut().enumerate() {
        if let Some(last) = service.endpoints.last_mut() {
            last.ip = Ipv4Addr::new(172, 31, 255, (i % 250) as u8 + 1);
            last.local = false;
        }
        service.endpoints.sort_by_cached_key(|e| e.address());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_has_its_own_local_endpoints() {
        let cluster = crate::showcase();
        let node1 = for_node(&cluster, 1);
        let local: Vec<String> = node1
            .services
            .iter()
            .flat_map(|s| s.local_endpoints().map(|e| e.address()))
            .collect();
        assert!(
            local.iter().all(|a| a.starts_with("172.16.1.")),
            "{local:?}"
        );
        assert!(local.contains(&"172.16.1.13:8080".to_string()));
        assert_eq!(node1.node_ip, Ipv4Addr::new(192, 168, 0, 11));
        let old = stale(&node1);
        assert_eq!(old.services.len(), cluster.services.len() - 1);
        assert!(old.services[0]
            .endpoints
            .iter()
            .any(|e| e.ip.octets()[..3] == [172, 31, 255]));
    }
}
