//! Fuzz target: redaction never panics, keeps the paste's line structure, and the redacted copy
//! explains to as many Services and findings as the original.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_analysis::{analyze, redact, Options};
use svcpath_fuzz::text_of;

fuzz_target!(|data: &[u8]| {
    let paste = text_of(data);
    let options = Options::default();
    let report = analyze(&paste, &options);
    let (redacted, after) = redact::redacted_report(&paste, &options, &report);
    assert_eq!(redacted.dump.lines().count(), paste.lines().count());
    assert_eq!(after.services.len(), report.services.len());
    assert_eq!(after.findings.len(), report.findings.len());
});
