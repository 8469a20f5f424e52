//! What one node's report says about one Service port, reduced to the facts that compare across nodes
//! and moments: its endpoint set (or that it is unknown), odds, policy, whether it drops external traffic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::report::{FindingCode, Report, Service, TrafficPolicy};

/// One Service port as one node programs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceFacts {
    /// Every endpoint as `ip:port`, sorted; `null` when the rules that pick them were not understood or
    /// are cut from the paste (then nothing is claimed about them).
    pub endpoints: Option<Vec<String>>,
    /// The endpoints the rules mark as running on this node (`KUBE-SVL-`, local chains), sorted.
    pub local_endpoints: Vec<String>,
    /// The share of new connections each endpoint gets, by `ip:port`.
    pub odds: BTreeMap<String, f64>,
    pub node_port: Option<u16>,
    pub external_traffic_policy: Option<TrafficPolicy>,
    /// True when this node drops external traffic for the Service (policy Local and no endpoint
    /// here), false when it accepts it, `null` when the rules do not tell.
    pub drops_external: Option<bool>,
    /// Whether traffic from outside the cluster is masqueraded here: true under policy Cluster, false
    /// under Local or when the node's findings say the masquerade rules are missing; `null` when unknown.
    pub masquerade: Option<bool>,
    pub session_affinity_seconds: Option<u32>,
    /// Why the endpoints are unknown, with the lines, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoints_unknown: Option<String>,
}

/// `ip:port` of an endpoint as the reports write it (`[v6]:port` for IPv6, the address alone without a port).
pub(crate) fn endpoint_address(ip: &str, port: Option<u16>) -> String {
    match port {
        Some(p) if ip.contains(':') => format!("[{ip}]:{p}"),
        Some(p) => format!("{ip}:{p}"),
        None => ip.to_string(),
    }
}

/// The facts of every Service port of a report, by id.
pub fn service_facts(report: &Report) -> BTreeMap<String, ServiceFacts> {
    let mut out = BTreeMap::new();
    for service in &report.services {
        out.insert(service.id.clone(), facts_of(report, service));
    }
    out
}

fn facts_of(report: &Report, service: &Service) -> ServiceFacts {
    let has = |code: FindingCode| {
        report
            .findings
            .iter()
            .any(|f| f.code == code && f.service.as_deref() == Some(service.id.as_str()))
    };
    let mut endpoints: Vec<String> = service
        .endpoints
        .iter()
        .map(|e| endpoint_address(&e.ip, e.port))
        .collect();
    svcpath_syntax::stable_sort::sort(&mut endpoints);
    endpoints.dedup();
    let mut local_endpoints: Vec<String> = service
        .endpoints
        .iter()
        .filter(|e| e.local == Some(true))
        .map(|e| endpoint_address(&e.ip, e.port))
        .collect();
    svcpath_syntax::stable_sort::sort(&mut local_endpoints);
    local_endpoints.dedup();
    let odds = service
        .endpoints
        .iter()
        .map(|e| (endpoint_address(&e.ip, e.port), e.probability))
        .collect();
    let drops_external = match service.external_traffic_policy {
        Some(TrafficPolicy::Local) => {
            if has(FindingCode::EtpLocalNoLocalEndpoints) {
                Some(true)
            } else if !local_endpoints.is_empty() {
                Some(false)
            } else {
                None
            }
        }
        // Policy Cluster sends external traffic to any endpoint; with none at all it is rejected,
        // which is the no-endpoints finding, not a black hole of this node.
        Some(TrafficPolicy::Cluster) if !endpoints.is_empty() => Some(false),
        Some(TrafficPolicy::Cluster) => None,
        None => None,
    };
    let masquerade_missing =
        has(FindingCode::MasqueradeMissing) || has(FindingCode::HairpinMasqueradeMissing);
    let masquerade = if masquerade_missing {
        Some(false)
    } else {
        match service.external_traffic_policy {
            Some(TrafficPolicy::Cluster) => Some(true),
            Some(TrafficPolicy::Local) => Some(false),
            None => None,
        }
    };
    let endpoints_unknown = service.endpoints_unknown.as_ref().map(|u| {
        if u.lines.is_empty() {
            u.reason.clone()
        } else {
            format!(
                "{} (line {})",
                u.reason,
                u.lines
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    });
    ServiceFacts {
        endpoints: if endpoints_unknown.is_some() {
            None
        } else {
            Some(endpoints)
        },
        local_endpoints,
        odds,
        node_port: service.node_port,
        external_traffic_policy: service.external_traffic_policy,
        drops_external,
        masquerade,
        session_affinity_seconds: service.session_affinity_seconds,
        endpoints_unknown,
    }
}

/// Two shares the same to the precision `iptables-save` prints (about 1e-9), so that a rule rewritten
/// with the same probability is not a change.
pub(crate) fn same_share(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}
