//! Findings for what the rules leave open: `endpoints-unknown` (worded in
//! `service_findings::endpoints_unknown`; the rule that picks a Service port's
//! endpoints was not understood, or its chain is cut from the paste — e.g. `meta l4proto tcp dnat ip to
//! jhash ip saddr mod 2 map { … }`: nothing is claimed about the endpoints, in particular not "no
//! endpoints") and `endpoint-chain-missing` (a `numgen … vmap` names `endpoint-…__10.0.0.1/80` chains
//! that the paste does not hold: the address and port were taken from the chain's name).

use super::model::ServiceModel;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};
use crate::service_findings::endpoints_unknown;

pub use crate::service_findings::endpoints_unknown::CODE as CODE_UNKNOWN;
pub const CODE_CHAIN_MISSING: FindingCode = FindingCode::EndpointChainMissing;

pub(crate) fn find(s: &ServiceModel) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(u) = &s.endpoints_unknown {
        let table = if s.table.starts_with('(') {
            "ip kube-proxy"
        } else {
            s.table.as_str()
        };
        out.push(endpoints_unknown::nft(
            &s.id,
            s.key.as_ref().map(|k| k.name.as_str()),
            table,
            &u.reason,
            u.lines.clone(),
        ));
    }
    let missing: Vec<_> = s.endpoints.iter().filter(|e| e.chain_missing).collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing
            .iter()
            .map(|e| match (&e.ip, e.port) {
                (Some(ip), Some(p)) => format!("{ip}:{p}"),
                (Some(ip), None) => ip.clone(),
                _ => e.chain.clone(),
            })
            .collect();
        let mut lines: Vec<u32> = missing
            .iter()
            .flat_map(|e| e.lines.iter().copied())
            .collect();
        lines.sort_unstable();
        lines.dedup();
        out.push(Finding::new(
            CODE_CHAIN_MISSING,
            Severity::Info,
            Some(&s.id),
            lines,
            format!(
                "The endpoint chain{} of {} for {} {} not in the paste; the verdict map names {}, so the address and port were read from the chain name and the odds from the map. What {} (DNAT, masquerade for hairpin, affinity) is not shown.",
                if missing.len() == 1 { "" } else { "s" },
                s.id,
                names.join(", "),
                if missing.len() == 1 { "is" } else { "are" },
                if missing.len() == 1 { "it" } else { "them" },
                if missing.len() == 1 { "that chain does" } else { "those chains do" },
            ),
        ));
    }
    out
}
