//! Report diagnostics point into what the user pasted: on character boundaries and at the text they
//! are about, also when terminal colour codes were removed before reading.

use svcpath_analysis::{analyze, Options};

fn check(paste: &str) {
    let report = analyze(paste, &Options::default());
    assert!(!report.diagnostics.is_empty());
    for d in &report.diagnostics {
        assert!(d.start <= d.end && d.end <= paste.len(), "{d:?}");
        assert!(
            paste.is_char_boundary(d.start) && paste.is_char_boundary(d.end),
            "{d:?} is not on character boundaries of the paste"
        );
    }
}

#[test]
fn spans_point_into_the_paste_with_colour_codes() {
    // Found by the pipeline fuzz target: spans were offsets into the text without the colour codes,
    // which can fall inside a multi-byte character of the paste.
    let paste = "I0322 02:18:37.187902       1 server.go:447] Ver\u{1b}[0;31m1.12.5\n\
                 I0322 02:18:37.205893       1 conntrack.go:52] Set sysctl 'net/netfilter/nf_conntrack_max' to \u{fffd}\u{fffd}55350\n\
                 \u{1b}[1;31m-A\u{1b}[0m KUBE-SERVICES \u{e9}\u{e9}\u{e9} nonsense \"cut\n";
    check(paste);
    let report = analyze(paste, &Options::default());
    let cut = report
        .diagnostics
        .iter()
        .find(|d| d.message.contains("quoted string is not closed"))
        .expect("the cut-off quote is reported");
    assert!(
        paste[cut.start..cut.end].contains("KUBE-SERVICES"),
        "{cut:?}"
    );
}

#[test]
fn spans_point_into_the_paste_without_colour_codes() {
    check("-A KUBE-SERVICES \u{e9}\u{e9} nonsense \"cut\n");
}
