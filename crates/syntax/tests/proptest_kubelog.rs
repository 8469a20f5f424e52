//! Property tests for the kube-proxy log parser: on any mix of log-like lines (klog headers, multi-line
//! `err=<` values cut anywhere, JSON records, prefixes) and arbitrary text it never panics, and every
//! event's lines and span, and every diagnostic's, stay inside the text it was given.

use proptest::prelude::*;
use svcpath_syntax::{kubelog, Origin};

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("I1113 16:15:07.908800 1 proxier.go:853] \"Syncing iptables rules\"".to_string()),
        Just("E1113 16:15:07.931291 1 proxier.go:1481] \"Failed to execute iptables-restore\" err=<".to_string()),
        Just("\texit status 2: unknown option \"--xor-mark\"".to_string()),
        Just(" >".to_string()),
        Just(">".to_string()),
        Just("I1113 16:15:07.931308 1 proxier.go:858] \"Sync failed\" retryingTime=\"30s\"".to_string()),
        Just("I1113 16:15:07.931317 1 proxier.go:820] \"SyncProxyRules complete\" elapsed=\"22.6ms\"".to_string()),
        Just("{\"ts\":1700000000.5,\"caller\":\"a.go:1\",\"msg\":\"Using nftables Proxier\",\"v\":0}".to_string()),
        Just("{\"ts\":\"x\",\"msg\":".to_string()),
        Just("[pod/kube-proxy-a/kube-proxy] ".to_string()),
        Just("2024-09-03T13:18:56.164794282Z stderr F ".to_string()),
        Just("Feb 17 11:12:14 host kube-proxy[9234]: ".to_string()),
        Just("W0407 15:06:52.330868 1 proxier.go:493] Failed to load kernel module ip_vs with modprobe".to_string()),
        Just("\"k\"=\"v\\\"".to_string()),
        Just("I9999 99:99:99.9 1 x.go:1]".to_string()),
        Just("│ ".to_string()),
        "[ -~]{0,40}",
        "\\PC{0,12}",
    ]
}

fn log_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::collection::vec(fragment(), 1..3).prop_map(|parts| parts.concat()),
        0..30,
    )
    .prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_stays_inside_the_text(prefix in "[a-z\n]{0,20}", text in log_text()) {
        let paste = format!("{prefix}{text}");
        let origin = Origin {
            offset: prefix.len(),
            line: 1 + prefix.matches('\n').count() as u32,
        };
        let parsed = kubelog::parse(&paste[origin.offset..], origin);
        let last_line = origin.line + text.matches('\n').count() as u32;
        for e in &parsed.value.events {
            prop_assert!(e.line >= origin.line && e.last_line >= e.line && e.last_line <= last_line, "{e:?}");
            prop_assert!(e.span.start >= origin.offset && e.span.end <= paste.len(), "{e:?}");
            prop_assert!(e.message.chars().count() <= 200);
        }
        for d in &parsed.diagnostics {
            prop_assert!(d.line >= origin.line && d.line <= last_line, "{d:?}");
            prop_assert!(d.span.start >= origin.offset && d.span.end <= paste.len(), "{d:?}");
        }
        for (first, last) in &parsed.value.record_lines {
            prop_assert!(first <= last && *last <= last_line);
        }
    }
}
