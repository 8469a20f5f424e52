//! The mode's finding of a code wins for its Service; the mode-neutral one fills in, once per Service.

use super::NotReported;
use crate::report::{Finding, FindingCode, Severity};

fn finding(code: FindingCode, service: &str) -> Finding {
    Finding::new(
        code,
        Severity::Info,
        Some(service),
        vec![1],
        service.to_string(),
    )
}

#[test]
fn a_service_the_mode_reported_keeps_the_modes_finding() {
    let by_mode = [
        finding(FindingCode::SessionAffinity, "ns/a:http"),
        finding(FindingCode::NoEndpoints, "ns/b:http"),
    ];
    let mut left = NotReported::by_mode(FindingCode::SessionAffinity, &by_mode);
    assert_eq!(
        left.keep(Some(finding(FindingCode::SessionAffinity, "ns/a:http"))),
        None
    );
    // Another code's finding for a Service does not count.
    let b = finding(FindingCode::SessionAffinity, "ns/b:http");
    assert_eq!(left.keep(Some(b.clone())), Some(b));
    // Once per Service id.
    assert_eq!(
        left.keep(Some(finding(FindingCode::SessionAffinity, "ns/b:http"))),
        None
    );
    assert_eq!(left.keep(None), None);
}
