//! Fuzz target: the reader of `kubectl get … -o json|yaml` never panics and stays bounded; every diagnostic
//! lies inside its section (also with a non-zero origin), and every object's line is one of the section's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_fuzz::{check_diagnostics, embed, text_of};
use svcpath_syntax::{kube_api, Origin};

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    for (paste, origin) in [(text.clone(), Origin::START), embed(&text)] {
        let section = &paste[origin.offset..];
        let parsed = kube_api::parse(section, origin);
        check_diagnostics(&paste, origin, &parsed.diagnostics);
        let last = origin.line + svcpath_syntax::source::count_lines(section);
        let o = &parsed.value;
        let lines = o
            .services
            .iter()
            .map(|s| s.line)
            .chain(o.slices.iter().map(|s| s.line))
            .chain(o.slices.iter().flat_map(|s| s.endpoints.iter().map(|e| e.line)))
            .chain(o.nodes.iter().map(|n| n.line));
        for line in lines {
            assert!(line >= origin.line && line <= last, "line {line} outside {}..={last}", origin.line);
        }
    }
});
