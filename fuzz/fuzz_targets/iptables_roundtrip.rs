//! Fuzz target: `render_rule` writes back what `build_rule` read. A rule read without problems comes back
//! the same after rendering and reading again; any rule's rendering is a fixed point (rendering the rule
//! read from a rendering gives the same text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_fuzz::text_of;
use svcpath_syntax::iptables::{build_rule, render_rule, tokenize};

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let Ok(words) = tokenize(&text) else {
        return;
    };
    let (rule, problems) = build_rule(&words);
    let rendered = render_rule(&rule);
    let again = tokenize(&rendered).expect("a rendered rule always tokenizes");
    let (rule2, problems2) = build_rule(&again);
    if problems.is_empty() {
        assert!(problems2.is_empty(), "{rendered:?}: {problems2:?}");
        assert_eq!(rule, rule2, "render_rule gave {rendered:?}");
    }
    let rendered2 = render_rule(&rule2);
    let (rule3, _) = build_rule(&tokenize(&rendered2).expect("a rendered rule always tokenizes"));
    assert_eq!(
        rule2, rule3,
        "rendering is not a fixed point: {rendered2:?}"
    );
});
