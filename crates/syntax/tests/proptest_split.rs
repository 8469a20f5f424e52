//! Property tests of the splitter: it never panics on arbitrary text, and its sections are in paste order,
//! apart, inside the paste and cut on character boundaries.

use proptest::prelude::*;
use svcpath_syntax::source::count_lines;
use svcpath_syntax::split::{split, split_with_overrides, Section, SectionKind};

fn check_sections(paste: &str, sections: &[Section]) -> Result<(), TestCaseError> {
    let lines = count_lines(paste);
    let mut previous_end = 0usize;
    let mut previous_last = 0u32;
    for s in sections {
        prop_assert!(s.span.start <= s.span.end, "{:?}", s);
        prop_assert!(s.span.end <= paste.len(), "{:?} past {}", s, paste.len());
        prop_assert!(paste.is_char_boundary(s.span.start) && paste.is_char_boundary(s.span.end));
        prop_assert!(
            s.span.start >= previous_end,
            "{:?} overlaps (previous end {})",
            s,
            previous_end
        );
        prop_assert!(
            s.first_line >= 1 && s.last_line <= lines.max(1),
            "{:?} outside {} lines",
            s,
            lines
        );
        prop_assert!(
            s.first_line > previous_last || s.span.start == s.span.end,
            "{:?}",
            s
        );
        prop_assert_eq!(s.text(paste).len(), s.span.end - s.span.start);
        // The section's text starts on its first line.
        let line_of_start = count_lines(&paste[..s.span.start])
            + u32::from(s.span.start == 0 || paste[..s.span.start].ends_with(['\n', '\r']));
        if s.span.start < s.span.end {
            prop_assert_eq!(line_of_start, s.first_line, "{:?}", s);
        }
        previous_end = s.span.end;
        previous_last = previous_last.max(s.last_line);
    }
    Ok(())
}

/// Lines that open, continue or break sections.
fn paste_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "===== svcpath: [a-z_-]{0,12} =====",
        "(root@node:~# |\\$ |# |\\[root@h ~\\]# )?(sudo )?(iptables-save|ipvsadm -Ln|ipset list|nft list ruleset|sysctl -a|conntrack -[SLC]|dmesg|uname -r)( \\| grep [A-Z-]{1,8})?",
        "kubectl exec -it -n kube-system kube-proxy-[a-z]{5} -- (iptables-save|ipvsadm -Ln)",
        Just("*nat".to_string()),
        Just("COMMIT".to_string()),
        "-A KUBE-SVC-[A-Z]{4} -j KUBE-SEP-[A-Z]{4}",
        Just("IP Virtual Server version 1.2.1 (size=4096)".to_string()),
        "(TCP|UDP)  10\\.96\\.0\\.[0-9]{1,3}:[0-9]{2,4} rr",
        "  -> 10\\.0\\.0\\.[0-9]:[0-9]{2} Masq 1 0 0",
        "Name: KUBE-[A-Z-]{4}",
        "table (ip|inet) kube-proxy \\{",
        "net\\.netfilter\\.nf_conntrack_max = [0-9]{1,7}",
        "cpu=[0-9] found=[0-9] invalid=[0-9]",
        "tcp      6 [0-9]{1,6} ESTABLISHED src=10\\.0\\.0\\.1 dst=10\\.0\\.0\\.2",
        "\\[[0-9]{1,7}\\.[0-9]{6}\\] nf_conntrack: table full, dropping packet",
        "[ \t]{0,3}",
        "\\PC{0,30}",
        "\u{1b}\\[[0-9;]{0,5}m.{0,10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(paste in any::<String>()) {
        check_sections(&paste, &split(&paste))?;
    }

    #[test]
    fn sections_stay_in_order_on_paste_like_text(
        lines in prop::collection::vec(paste_line(), 0..60),
        ending in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        override_line in 0u32..60,
    ) {
        let paste = lines.join(ending);
        check_sections(&paste, &split(&paste))?;
        let overridden = split_with_overrides(&paste, &[(override_line, SectionKind::Sysctl)]);
        check_sections(&paste, &overridden)?;
    }
}
