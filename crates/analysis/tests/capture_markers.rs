//! The capture command's marker lines name section kinds the splitter knows.

use svcpath_syntax::split::{split, SectionKind, MARKER_PREFIX};

#[test]
fn every_marker_of_the_capture_command_is_known() {
    let doc = include_str!("../../../docs/capture.md");
    let mut markers: Vec<&str> = doc
        .split("{ m ")
        .skip(1)
        .chain(doc.split("; m ").skip(1))
        .filter_map(|s| s.split(|c: char| c == ';' || c.is_whitespace()).next())
        .filter(|w| !w.is_empty() && !w.starts_with('$') && !w.starts_with('"'))
        .collect();
    markers.push("iptables-save");
    markers.sort_unstable();
    markers.dedup();
    assert!(markers.len() >= 6, "{markers:?}");
    for marker in markers {
        assert!(
            SectionKind::from_name(marker).is_some(),
            "marker {marker:?} is not a known section kind"
        );
    }
    let paste = format!("{MARKER_PREFIX} ipvsadm-stats =====\nIP Virtual Server version 1.2.1 (size=4096)\n{MARKER_PREFIX} conntrack-s =====\ncpu=0 found=0 drop=0\n");
    let kinds: Vec<SectionKind> = split(&paste).into_iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        vec![SectionKind::Ipvsadm, SectionKind::ConntrackStats]
    );
}
