//! `no-endpoints` and `endpoints-unknown` for the report's Services, in the mode-neutral wording
//! (`service_findings::{no_endpoints, endpoints_unknown}`): every Service in iptables mode, and in
//! nftables or IPVS mode those the mode's own check did not report.

use super::Context;
use crate::report::Finding;
use crate::service_findings::{endpoints_unknown, no_endpoints, NotReported};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let services = &cx.report.services;
    let mut proven = NotReported::by_mode(no_endpoints::CODE, &cx.report.findings);
    let mut out: Vec<Finding> = services
        .iter()
        .filter_map(|s| proven.keep(no_endpoints::from_service(s)))
        .collect();
    let mut unknown = NotReported::by_mode(endpoints_unknown::CODE, &cx.report.findings);
    out.extend(
        services
            .iter()
            .filter_map(|s| unknown.keep(endpoints_unknown::from_service(s))),
    );
    out
}
