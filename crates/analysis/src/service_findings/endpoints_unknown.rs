//! `endpoints-unknown`: a Service port whose endpoint-picking rule was not understood or is missing from
//! the paste (a cut dump, a grep). It never gets `no-endpoints`: what the rules do not prove is not
//! claimed.
//!
//! Examples: `-A KUBE-SVC-X -j CUSTOM-LB` instead of jumps to `KUBE-SEP-*` chains; in nftables mode
//! `meta l4proto tcp dnat ip to jhash ip saddr mod 2 map { … }`; in IPVS mode a line under a virtual
//! service that could not be read.

use crate::report::{Finding, FindingCode, Service, Severity};

pub const CODE: FindingCode = FindingCode::EndpointsUnknown;

/// nftables mode: the Service port `id` (Service name `name`, in nft table `table`) has endpoints the
/// rules at `lines` do not show, for `reason`.
pub(crate) fn nft(
    id: &str,
    name: Option<&str>,
    table: &str,
    reason: &str,
    lines: Vec<u32>,
) -> Finding {
    Finding {
        code: CODE,
        severity: Severity::Warning,
        service: Some(id.to_string()),
        lines,
        message: format!(
            "The endpoints of {} are unknown: {}. svcpath does not say whether it has endpoints; check `kubectl get endpointslices -l kubernetes.io/service-name={}` or paste the whole `nft list table {}`.",
            id,
            reason,
            name.unwrap_or("NAME"),
            table,
        ),
    }
}

/// From the report's Service: its endpoints are not known, with the line that was not understood.
pub(crate) fn from_service(s: &Service) -> Option<Finding> {
    let unknown = s.endpoints_unknown.as_ref()?;
    let lines = if unknown.lines.is_empty() {
        s.lines.clone()
    } else {
        unknown.lines.clone()
    };
    Some(Finding::new(
        FindingCode::EndpointsUnknown,
        Severity::Warning,
        Some(&s.id),
        lines,
        format!(
            "The endpoints of {} are not known: {}. svcpath does not claim it has none; paste the \
             whole `iptables-save` (or `ipvsadm -Ln`, `nft list ruleset`) output to have them read.",
            s.id, unknown.reason
        ),
    ))
}
