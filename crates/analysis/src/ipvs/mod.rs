//! IPVS mode: the node model built from `ipvsadm` listings, kube-proxy's ipsets and the IPVS-mode iptables
//! chains, the Services it yields (scheduler, weights, odds, live counts), and the findings about it.

pub mod findings;
pub mod model;
pub mod rules;
pub mod sets;
pub mod stats;
pub mod unknown;

use svcpath_syntax::ipset::IpSet;
use svcpath_syntax::iptables::Ruleset;
use svcpath_syntax::ipvs::Listing;

use crate::ModeAnalysis;

pub use model::{Node, Role, VirtualServer};

/// Analyses an IPVS-mode node: `ipvs` are the parsed `ipvsadm` sections, `ipsets` the parsed `ipset list`
/// sections (one `Vec` per section), `iptables` the parsed iptables-save sections.
pub fn analyze(ipvs: &[Listing], ipsets: &[Vec<IpSet>], iptables: &[Ruleset]) -> ModeAnalysis {
    analyze_with_unread(ipvs, ipsets, iptables, &Default::default())
}

/// [`analyze`], with the lines under each virtual service that the parser could not read (from
/// [`unknown::unread_by_virtual_service`]): those Services get unknown endpoints.
pub fn analyze_with_unread(
    ipvs: &[Listing],
    ipsets: &[Vec<IpSet>],
    iptables: &[Ruleset],
    unread: &std::collections::BTreeMap<u32, Vec<unknown::UnreadLine>>,
) -> ModeAnalysis {
    let node = Node::build(ipvs, ipsets, iptables);
    let grouped = node.services();
    let mut findings = findings::all(&node, &grouped);
    let mut services: Vec<_> = grouped.into_iter().map(|(s, _)| s).collect();
    unknown::apply(&mut services, &mut findings, unread);
    let mut leftover_modes = Vec::new();
    if findings::iptables_mode_leftovers::found(&node) {
        leftover_modes.push(crate::report::Mode::Iptables);
    }
    ModeAnalysis {
        services,
        findings,
        leftover_modes,
        ..ModeAnalysis::default()
    }
}

/// True when the input shows kube-proxy in IPVS mode (see [`is_ipvs_node`]).
pub fn detect(ipvs: &[Listing], ipsets: &[Vec<IpSet>], iptables: &[Ruleset]) -> bool {
    is_ipvs_node(ipvs, ipsets, iptables)
}

/// True when the input shows kube-proxy in IPVS mode: ipvsadm lists virtual services, or the iptables
/// rules match the `KUBE-CLUSTER-IP` / `KUBE-LOOP-BACK` sets or use the `KUBE-NODE-PORT` chain, or the
/// ipset listing has those sets (kube-proxy creates them only in IPVS mode).
pub fn is_ipvs_node(ipvs: &[Listing], ipsets: &[Vec<IpSet>], iptables: &[Ruleset]) -> bool {
    if ipvs.iter().any(|l| !l.services.is_empty()) {
        return true;
    }
    if rules::has_ipvs_evidence(iptables) {
        return true;
    }
    ipsets
        .iter()
        .flatten()
        .map(|s| sets::base_name(&s.name))
        .any(|n| n == "KUBE-CLUSTER-IP" || n == "KUBE-LOOP-BACK")
}
