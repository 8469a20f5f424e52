//! Fuzz target: `svcpath_bundle::open` never panics on any bytes, whatever the file is called, keeps
//! within its limits, and every node's parts lie inside its text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_bundle::{open, Limits};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the name, so the same bytes are tried as each kind of file.
    let names = ["dump.txt", "bundle.tar.gz", "bundle.zip", "bundle.tar", "node.txt.gz", "-"];
    let (name, bytes) = match data.split_first() {
        Some((pick, rest)) => (names[usize::from(*pick) % names.len()], rest),
        None => ("dump.txt", data),
    };
    let limits = Limits {
        max_kept_bytes: 1 << 20,
        max_unpacked_bytes: 4 << 20,
        max_entry_bytes: 1 << 20,
        max_entries: 64,
        max_ratio: 200,
    };
    let opened = open(name, bytes, &limits);
    let kept: usize = opened.nodes.iter().map(|n| n.text.len()).sum();
    // A plain file is kept whole; archives stay within the limit (plus a line break per file).
    if opened.container != svcpath_bundle::Container::Plain {
        assert!(kept <= (1 << 20) + 64, "kept {kept} bytes");
    }
    for node in &opened.nodes {
        let lines = node.text.lines().count().max(1) as u32;
        for part in &node.parts {
            assert!(part.first_line >= 1 && part.first_line <= part.last_line.max(part.first_line));
            assert!(part.last_line <= lines + 1, "{part:?} past {lines} lines");
        }
        for issue in &node.text_issues {
            assert!(issue.end <= node.text.len() + 1);
        }
    }
});
