//! Fuzz target: the iptables-save parser never panics, and every span it reports lies inside its section.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_fuzz::{check_diagnostics, check_span, embed, text_of};
use svcpath_syntax::{iptables, Origin};

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    for (paste, origin) in [(text.clone(), Origin::START), embed(&text)] {
        let parsed = iptables::parse(&paste[origin.offset..], origin);
        check_diagnostics(&paste, origin, &parsed.diagnostics);
        for table in &parsed.value.tables {
            for chain in &table.chains {
                for rule in &chain.rules {
                    check_span(&paste, origin, rule.span, "rule");
                    assert!(rule.line >= origin.line);
                }
            }
        }
    }
});
