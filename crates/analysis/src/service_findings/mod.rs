//! The findings every proxy mode reports about one Service port, one file per code: no endpoints,
//! unknown endpoints, no local endpoint under `externalTrafficPolicy: Local`, ClientIP session affinity.
//!
//! Each file holds every wording of its code: the one a mode's own rules allow (nftables maps, IPVS
//! sets — the mode folders call it with the facts they read) and the mode-neutral one read from the
//! report's Service (iptables mode, and the Services a mode's check did not cover — `findings` calls it
//! through [`NotReported`]). This module uses only the report and the wording, so that both the mode
//! folders and `findings` may use it.

pub(crate) mod endpoints_unknown;
pub(crate) mod etp_local_no_local_endpoints;
pub(crate) mod no_endpoints;
pub(crate) mod session_affinity;

use std::collections::BTreeSet;

use crate::report::{Finding, FindingCode};

/// The Services that still need the mode-neutral wording of one code: in nftables and IPVS mode the
/// mode's finding for a Service says more (it names the mode's rules), so a Service it reported keeps
/// that one; and a Service id gets the code once.
pub(crate) struct NotReported {
    code: FindingCode,
    ids: BTreeSet<String>,
}

impl NotReported {
    /// The Services the proxy mode's findings (`by_mode`) already report with `code`.
    pub(crate) fn by_mode(code: FindingCode, by_mode: &[Finding]) -> NotReported {
        NotReported {
            code,
            ids: by_mode
                .iter()
                .filter(|f| f.code == code)
                .filter_map(|f| f.service.clone())
                .collect(),
        }
    }

    /// A code no proxy mode reports in its own wording: each Service id gets it once.
    pub(crate) fn once_per_service(code: FindingCode) -> NotReported {
        NotReported {
            code,
            ids: BTreeSet::new(),
        }
    }

    /// `finding` (of this code) when its Service has none yet; the Service then has one.
    pub(crate) fn keep(&mut self, finding: Option<Finding>) -> Option<Finding> {
        let finding = finding?;
        debug_assert_eq!(finding.code, self.code);
        let id = finding.service.clone().unwrap_or_default();
        self.ids.insert(id).then_some(finding)
    }
}

#[cfg(test)]
mod tests;
