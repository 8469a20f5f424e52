//! `etp-local-no-local-endpoints`: a Service with `externalTrafficPolicy: Local` and no endpoint on this
//! node, so traffic that reaches this node from outside for it is dropped (a black hole) or, in IPVS
//! mode, sent to endpoints elsewhere without masquerade.
//!
//! iptables mode: `-A KUBE-XLB-… -m comment --comment "default/web has no local endpoints" -j
//! KUBE-MARK-DROP` or `-A KUBE-EXTERNAL-SERVICES … "has no local endpoints" -j DROP`. nftables mode: the
//! drop verdicts of the no-endpoint maps. IPVS mode: a port in a `KUBE-NODE-PORT-LOCAL-*` or `*-LOCAL`
//! set whose real servers have no `KUBE-LOOP-BACK` entry.

use crate::report::{Finding, FindingCode, Service, Severity, TrafficPolicy};
use crate::words::list;

pub const CODE: FindingCode = FindingCode::EtpLocalNoLocalEndpoints;

/// What the nftables rules show of a Service port with policy Local and no local endpoint.
pub(crate) struct NftFacts<'a> {
    pub id: &'a str,
    /// The external destinations dropped (`203.0.113.1:80`, `NodePort 30080`), or those it has.
    pub destinations: Vec<String>,
    /// How many endpoints it has (all on other nodes).
    pub endpoints: usize,
    /// The `external-…` chain holding the short-circuit rules, if the paste shows it.
    pub external_chain: Option<&'a str>,
    pub lines: Vec<u32>,
}

/// nftables mode: the no-endpoint maps drop the Service port's external traffic.
pub(crate) fn nft(facts: NftFacts<'_>) -> Finding {
    let what = if facts.destinations.is_empty() {
        "its external addresses".to_string()
    } else {
        facts.destinations.join(", ")
    };
    let n = facts.endpoints;
    let cluster_note = if n == 0 {
        String::new()
    } else {
        format!(
            " Its {} endpoint{} run{} on other nodes; pods and the node itself still reach {} through the short-circuit rules of {}.",
            n,
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" },
            if n == 1 { "it" } else { "them" },
            facts.external_chain.unwrap_or("the external chain"),
        )
    };
    Finding::new(
        CODE,
        Severity::Warning,
        Some(facts.id),
        facts.lines,
        format!(
            "{} has externalTrafficPolicy: Local but no endpoint on this node, so kube-proxy drops new connections from outside the cluster to {what} here (the drop verdicts of the no-endpoint maps): a black hole for clients sent to this node.{cluster_note} A load balancer that checks the health-check node port stops sending traffic to this node; clients that pick nodes themselves (NodePort) get no answer.",
            facts.id
        ),
    )
}

/// IPVS mode: the virtual services `names` (`NodePort 10.0.0.5:30080/TCP`) of the Service `id` have
/// policy Local and no real server here; `elsewhere` are the real servers on other nodes.
pub(crate) fn ipvs(id: &str, names: &[String], elsewhere: &[String], lines: Vec<u32>) -> Finding {
    let mut message = format!(
        "{}: {} {} externalTrafficPolicy Local (the port is in a KUBE-NODE-PORT-LOCAL-* or *-LOCAL set), but none of its \
         real servers runs on this node (none has a KUBE-LOOP-BACK entry or a node address).",
        id,
        list(names),
        if names.len() == 1 { "has" } else { "have" }
    );
    if elsewhere.is_empty() {
        message
            .push_str(" The virtual service is empty, so connections arriving here are refused.");
    } else {
        message.push_str(&format!(
            " kube-proxy then falls back to the endpoints on other nodes ({}) so that pods here can still reach it, but \
             external clients are not masqueraded under Local: the reply leaves the other node from the pod's address, \
             the client does not recognise it, and the connection hangs. The load balancer's health check (the \
             health-check node port answers 503 here) is what should keep traffic away from this node.",
            list(elsewhere)
        ));
    }
    Finding::new(CODE, Severity::Warning, Some(id), lines, message)
}

/// From the report's Service: policy Local, and either rules that drop its external traffic for want of
/// a local endpoint (`drop_lines`, the iptables rules commented "has no local endpoints") or endpoints
/// that are all known to run elsewhere.
pub(crate) fn from_service(service: &Service, drop_lines: &[u32]) -> Option<Finding> {
    if service.external_traffic_policy != Some(TrafficPolicy::Local) {
        return None;
    }
    let all_elsewhere =
        !service.endpoints.is_empty() && service.endpoints.iter().all(|e| e.local == Some(false));
    if drop_lines.is_empty() && !all_elsewhere {
        return None;
    }
    let lines = if drop_lines.is_empty() {
        service.lines.clone()
    } else {
        drop_lines.to_vec()
    };
    Some(Finding::new(
        FindingCode::EtpLocalNoLocalEndpoints,
        Severity::Critical,
        Some(&service.id),
        lines,
        format!(
            "{} has externalTrafficPolicy: Local and no endpoint on this node, so NodePort{} \
             traffic arriving at this node is dropped (a black hole), while the Service works \
             from other nodes. The load balancer's health check (healthCheckNodePort) should \
             take this node out of rotation; if clients still reach it, check that health check.",
            service.id,
            if service.load_balancer_ips.is_empty() {
                ""
            } else {
                " and load-balancer"
            }
        ),
    ))
}
