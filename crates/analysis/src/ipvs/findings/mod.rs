//! The IPVS-mode findings, one file each. Every finding carries the dump lines that prove it and a message
//! written for someone learning how IPVS mode works.

pub mod conntrack_still_in_path;
pub mod etp_local_without_local_endpoints;
pub mod hairpin_without_loopback;
pub mod iptables_mode_leftovers;
pub mod masquerade_summary;
pub mod no_real_servers;
pub mod observed_versus_expected;
pub mod persistence_behind_shared_source;
pub mod roles_guessed;
pub mod scheduler_odds;
pub mod weight_zero_draining;

use super::model::Node;
use crate::report::{Finding, Service};
pub use crate::words::{list, percent};

/// Runs every finding over the node.
pub fn all(node: &Node, services: &[(Service, Vec<usize>)]) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(iptables_mode_leftovers::find(node));
    out.extend(no_real_servers::find(node, services));
    out.extend(etp_local_without_local_endpoints::find(node, services));
    out.extend(hairpin_without_loopback::find(node, services));
    out.extend(weight_zero_draining::find(node, services));
    out.extend(persistence_behind_shared_source::find(node, services));
    out.extend(scheduler_odds::find(node, services));
    out.extend(observed_versus_expected::find(node, services));
    out.extend(masquerade_summary::find(node));
    out.extend(roles_guessed::find(node));
    out.extend(conntrack_still_in_path::find(node));
    out
}

/// The id of the Service a virtual service belongs to.
pub fn service_of(services: &[(Service, Vec<usize>)], server: usize) -> Option<&Service> {
    services
        .iter()
        .find(|(_, group)| group.contains(&server))
        .map(|(s, _)| s)
}
