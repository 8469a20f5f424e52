//! Fuzz target: the whole pipeline — paste, the page's first look, analysis, report rendered as Markdown,
//! text and JSON — never panics, and the report's diagnostics point inside the paste.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_analysis::{analyze, render, Options};
use svcpath_fuzz::text_of;

fuzz_target!(|data: &[u8]| {
    let paste = text_of(data);
    let look = svcpath_analysis::preview::first_look(&paste, 100);
    assert!(look.services.len() <= look.total.min(100));
    let report = analyze(&paste, &Options::default());
    for d in &report.diagnostics {
        assert!(d.start <= d.end && d.end <= paste.len(), "{d:?}");
        assert!(paste.is_char_boundary(d.start) && paste.is_char_boundary(d.end));
    }
    for s in &report.services {
        let sum: f64 = s.endpoints.iter().map(|e| e.probability).sum();
        assert!(
            s.endpoints.is_empty() || (0.0..=1.0 + 1e-9).contains(&sum),
            "{}: endpoint odds add up to {sum}",
            s.id
        );
    }
    let _ = render::markdown(&report);
    let _ = render::text(&report);
    let _ = serde_json::to_string(&report);
});
