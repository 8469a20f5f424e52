//! Fuzz target: the kube-proxy log parser never panics, every diagnostic's span lies inside its section,
//! and every event's lines and span do too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_fuzz::check_section_parser;

fuzz_target!(|data: &[u8]| {
    check_section_parser(data, |text, origin| {
        let parsed = svcpath_syntax::kubelog::parse(text, origin);
        let end = origin.offset + text.len();
        for e in &parsed.value.events {
            assert!(e.line >= origin.line && e.last_line >= e.line, "{e:?}");
            assert!(e.span.start >= origin.offset && e.span.end <= end, "{e:?}");
        }
        parsed
    });
});
