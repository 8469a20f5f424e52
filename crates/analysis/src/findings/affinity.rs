//! `session-affinity` for the report's Services, in the mode-neutral wording
//! (`service_findings::session_affinity`): every Service in iptables mode, and in nftables mode those
//! the mode's own check did not report.

use super::Context;
use crate::report::Finding;
use crate::service_findings::{session_affinity, NotReported};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut reported = NotReported::by_mode(session_affinity::CODE, &cx.report.findings);
    cx.report
        .services
        .iter()
        .filter_map(|s| reported.keep(session_affinity::from_service(s)))
        .collect()
}
