//! Virtual services whose real-server lines svcpath did not understand: their endpoints are unknown,
//! never "no real servers".
//!
//! A line under a virtual service that the `ipvsadm` parser could not read (a garbled or edited real
//! server, a column layout it does not know) may be a real server. The Service it belongs to gets
//! `endpoints_unknown` naming that line, and the findings that would say it has no (local) real servers
//! are dropped.

use std::collections::BTreeMap;

use svcpath_syntax::ipvs::Listing;

use super::findings::{etp_local_without_local_endpoints, no_real_servers};
use crate::report::{Finding, Service, Unknown};

/// A line svcpath did not understand, with the parser's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadLine {
    pub line: u32,
    pub message: String,
}

/// For each virtual-service line, the unread lines between it and the next virtual service of the same
/// `ipvsadm` section. `sections` are the first and last lines of the `ipvsadm` sections.
pub fn unread_by_virtual_service(
    listings: &[Listing],
    sections: &[(u32, u32)],
    unread: &[UnreadLine],
) -> BTreeMap<u32, Vec<UnreadLine>> {
    let mut starts: Vec<u32> = listings
        .iter()
        .flat_map(|l| l.services.iter())
        .flat_map(|vs| vs.lines.iter().copied().chain(std::iter::once(vs.line)))
        .filter(|l| *l > 0)
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let mut out: BTreeMap<u32, Vec<UnreadLine>> = BTreeMap::new();
    for u in unread {
        if starts.binary_search(&u.line).is_ok() {
            // A note about a virtual-service line itself, not a real server that could not be read.
            continue;
        }
        let Some(&(first, _)) = sections
            .iter()
            .find(|(first, last)| (*first..=*last).contains(&u.line))
        else {
            continue;
        };
        let owner = starts
            .iter()
            .rev()
            .find(|s| **s < u.line && **s >= first)
            .copied();
        if let Some(owner) = owner {
            out.entry(owner).or_default().push(u.clone());
        }
    }
    out
}

/// Marks the Services that own an unread line as having unknown endpoints and drops the findings that
/// would claim they have none.
pub fn apply(
    services: &mut [Service],
    findings: &mut Vec<Finding>,
    unread: &BTreeMap<u32, Vec<UnreadLine>>,
) {
    if unread.is_empty() {
        return;
    }
    let mut unknown_ids = Vec::new();
    for service in services.iter_mut() {
        let lines: Vec<&UnreadLine> = service
            .lines
            .iter()
            .filter_map(|l| unread.get(l))
            .flatten()
            .collect();
        let Some(first) = lines.first() else {
            continue;
        };
        service.endpoints_unknown = Some(Unknown {
            reason: format!(
                "line {} under its virtual service was not understood ({}), so its real servers and their \
                 shares are not known",
                first.line, first.message
            ),
            lines: lines.iter().map(|u| u.line).collect(),
        });
        service.no_endpoints = false;
        unknown_ids.push(service.id.clone());
    }
    findings.retain(|f| {
        let negative =
            f.code == no_real_servers::CODE || f.code == etp_local_without_local_endpoints::CODE;
        !(negative && f.service.as_ref().is_some_and(|s| unknown_ids.contains(s)))
    });
}
