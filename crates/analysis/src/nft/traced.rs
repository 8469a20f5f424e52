//! Endpoints read by the tracer when the model cannot read them from the service chain alone: a shape
//! no release wrote yet, or one whose endpoint pick is spread over several chains and a named map (the
//! 1.38 design: `ct mark set numgen random mod N` in the service chain, then a shared chain's `dnat ip
//! to ct mark . ip daddr . th dport map @endpoints`). A new connection to the ClusterIP from a pod is
//! traced; only a trace with no assumption whose every outcome is a DNAT is used.

use std::collections::BTreeSet;

use crate::report::{NodeFacts, Service};
use crate::trace::{NodeContext, Origin, Packet, Tracer, Verdict};

/// Fills in the endpoints of Services whose endpoints the model left unknown, when tracing their
/// ClusterIP proves them.
pub(crate) fn fill(node: &super::NftNode<'_>, services: &mut [Service]) {
    if !services.iter().any(|s| s.endpoints_unknown.is_some()) {
        return;
    }
    let facts = NodeFacts {
        node_ips: node.node_ips.clone(),
        pod_cidrs: node.pod_cidrs.clone(),
        ..NodeFacts::default()
    };
    let tracer = Tracer::with(Vec::new(), NodeContext::from_facts(&facts))
        .with_nft(node.rulesets.iter().collect());
    for s in services
        .iter_mut()
        .filter(|s| s.endpoints_unknown.is_some())
    {
        let (Some(ip), Some(port), Some(protocol)) = (&s.cluster_ip, s.port, s.protocol) else {
            continue;
        };
        let trace = tracer.trace(&Packet {
            src: None,
            dst: ip.clone(),
            dst_port: port,
            protocol,
            from: Origin::Pod,
            returning_client: false,
        });
        let proven = !trace.outcomes.is_empty()
            && trace
                .outcomes
                .iter()
                .all(|o| !o.uncertain && o.verdict == Verdict::Dnat && o.endpoint.is_some());
        if !proven {
            continue;
        }
        let mut endpoints: Vec<crate::report::Endpoint> = Vec::new();
        let mut lines: BTreeSet<u32> = s.lines.iter().copied().collect();
        for o in &trace.outcomes {
            let Some(target) = o.endpoint.as_deref() else {
                continue;
            };
            let (addr, port) = crate::net::split_address(target).unwrap_or_default();
            lines.extend(o.rules.iter().copied());
            match endpoints
                .iter_mut()
                .find(|e| e.ip == addr && e.port == port)
            {
                Some(e) => e.probability += o.probability,
                None => endpoints.push(crate::report::Endpoint {
                    ip: addr,
                    port,
                    probability: o.probability,
                    lines: o.rules.iter().rev().take(2).copied().collect(),
                    ..crate::report::Endpoint::default()
                }),
            }
        }
        svcpath_syntax::stable_sort::sort_by(&mut endpoints, |a, b| {
            (&a.ip, a.port).cmp(&(&b.ip, b.port))
        });
        s.endpoints = endpoints;
        s.lines = lines.into_iter().collect();
        s.endpoints_unknown = None;
    }
}
