//! Each kube-proxy log finding on a log that shows it and on one that does not (the logs here use
//! kube-proxy's messages as its source writes them; the real pastes are in `kube_proxy_log.rs`).

use svcpath_analysis::report::Severity;
use svcpath_analysis::{analyze, Options, Report};

fn report(text: &str) -> Report {
    analyze(text, &Options::default())
}

fn has(r: &Report, code: &str) -> bool {
    r.findings.iter().any(|f| f.code == code)
}

fn get<'a>(r: &'a Report, code: &str) -> &'a svcpath_analysis::report::Finding {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", r.findings))
}

/// A healthy iptables-mode start and three quick syncs, 30 s apart.
const HEALTHY: &str = "\
I0219 18:33:40.000000       1 server_linux.go:165] \"Using iptables Proxier\"
I0219 18:33:40.100000       1 server.go:539] \"Version info\" version=\"v1.31.4\"
I0219 18:33:49.632601       1 proxier.go:805] \"Syncing iptables rules\"
I0219 18:33:49.636375       1 proxier.go:1494] \"Reloading service iptables data\" numServices=4 numEndpoints=7 numFilterChains=6 numFilterRules=4 numNATChains=4 numNATRules=9
I0219 18:33:49.671397       1 proxier.go:799] \"SyncProxyRules complete\" elapsed=\"38.805737ms\"
I0219 18:34:19.632601       1 proxier.go:805] \"Syncing iptables rules\"
I0219 18:34:19.671397       1 proxier.go:799] \"SyncProxyRules complete\" elapsed=\"40.1ms\"
I0219 18:34:49.632601       1 proxier.go:805] \"Syncing iptables rules\"
I0219 18:34:49.671397       1 proxier.go:799] \"SyncProxyRules complete\" elapsed=\"39.2ms\"
";

const FAILED: &str = "\
I1113 16:15:07.908800 1 proxier.go:853] \"Syncing iptables rules\"
E1113 16:15:07.931291 1 proxier.go:1481] \"Failed to execute iptables-restore\" err=<
\texit status 2: iptables-restore v1.8.4 (legacy): line 16 failed
 >
I1113 16:15:07.931308 1 proxier.go:858] \"Sync failed\" retryingTime=\"30s\"
I1113 16:15:07.931317 1 proxier.go:820] \"SyncProxyRules complete\" elapsed=\"22.67239ms\"
";

#[test]
fn healthy_log_has_no_kube_proxy_finding() {
    let r = report(HEALTHY);
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!(kp.syncs, 3);
    assert_eq!(kp.version.as_deref(), Some("v1.31.4"));
    let codes: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code.as_str().starts_with("kube-proxy-"))
        .collect();
    assert!(codes.is_empty(), "{codes:?}");
}

#[test]
fn sync_failed_is_critical_until_a_later_sync_succeeds() {
    let r = report(FAILED);
    let f = get(&r, "kube-proxy-sync-failed");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.lines, vec![2, 5]);
    assert!(f.message.contains("line 16 failed"));
    assert!(f.message.contains("there may be no Service rules at all"));
    let recovered = format!(
        "{FAILED}I1113 16:15:37.908800 1 proxier.go:853] \"Syncing iptables rules\"\n\
         I1113 16:15:37.931317 1 proxier.go:820] \"SyncProxyRules complete\" elapsed=\"20ms\"\n"
    );
    let r = report(&recovered);
    let f = get(&r, "kube-proxy-sync-failed");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("line 8"), "{}", f.message);
    assert!(!has(&report(HEALTHY), "kube-proxy-sync-failed"));
}

#[test]
fn conntrack_cleanup_failure() {
    let log = "E0630 23:19:06.066979 1 proxier.go:1564] \"Failed to delete stale service connections\" err=\"error deleting connection tracking state for UDP service IP: 10.43.0.10, error: error looking for path of conntrack: exec: \\\"conntrack\\\": executable file not found in $PATH\" ip=\"10.43.0.10\"\n";
    let r = report(log);
    let f = get(&r, "kube-proxy-conntrack-cleanup-failed");
    assert!(f.code.as_str().contains("conntrack-cleanup"));
    assert!(f.message.contains("not installed"));
    assert_eq!(get(&r, "kube-proxy-missing-binary").lines, vec![1]);
    assert!(!has(
        &report(HEALTHY),
        "kube-proxy-conntrack-cleanup-failed"
    ));
}

#[test]
fn mode_mismatch_with_the_rules_in_the_same_paste() {
    let rules = "\
*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-AAAAAAAAAAAAAAAA
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment \"kube-system/kube-dns:dns -> 10.244.0.5:53\" -j KUBE-SEP-BBBBBBBBBBBBBBBB
-A KUBE-SEP-BBBBBBBBBBBBBBBB -p udp -m comment --comment \"kube-system/kube-dns:dns\" -m udp -j DNAT --to-destination 10.244.0.5:53
COMMIT
";
    let ipvs_log = "I0525 03:22:43.627302       1 server_linux.go:194] \"Using ipvs Proxier\"\n";
    let r = report(&format!("{rules}{ipvs_log}"));
    assert_eq!(r.mode, svcpath_analysis::report::Mode::Iptables);
    let f = get(&r, "kube-proxy-mode-mismatch");
    assert_eq!(f.lines, vec![9]);
    assert!(f.message.contains("ipvs mode"));
    let iptables_log =
        "I0525 03:22:43.627302       1 server_linux.go:194] \"Using iptables Proxier\"\n";
    assert!(!has(
        &report(&format!("{rules}{iptables_log}")),
        "kube-proxy-mode-mismatch"
    ));
    // Without rules there is nothing to compare with.
    assert!(!has(&report(ipvs_log), "kube-proxy-mode-mismatch"));
}

#[test]
fn mode_fallback() {
    let log = "\
W1116 09:02:43.496621       1 server_others.go:264] Can't use ipvs proxier, trying iptables proxier
I1116 09:02:43.498852       1 server_others.go:122] Using iptables Proxier.
";
    let r = report(log);
    let f = get(&r, "kube-proxy-mode-fallback");
    assert_eq!(f.lines, vec![1, 2]);
    assert!(f.message.contains("runs in iptables mode instead (line 2)"));
    assert!(!has(&report(HEALTHY), "kube-proxy-mode-fallback"));
}

#[test]
fn slow_syncs_against_min_sync_period() {
    let log = "\
I0219 18:33:49.000000       1 proxier.go:805] \"Syncing iptables rules\"
I0219 18:33:51.800000       1 proxier.go:799] \"SyncProxyRules complete\" elapsed=\"2.8s\"
I0219 18:34:19.000000       1 proxier.go:805] \"Syncing iptables rules\"
I0219 18:34:21.500000       1 proxier.go:799] \"SyncProxyRules complete\" elapsed=\"2.5s\"
";
    let r = report(log);
    let f = get(&r, "kube-proxy-slow-sync");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.lines, vec![2]);
    assert!(f.message.contains("kube-proxy's default"));
    // With the runner's own line the configured period is used: 5 s fits both syncs.
    let with_period = format!(
        "I0219 18:33:40.000000 1 bounded_frequency_runner.go:296] sync-runner: ran, next possible in 5s, periodic in 1h0m0s\n{log}"
    );
    let r = report(&with_period);
    assert_eq!(
        r.kube_proxy.as_ref().unwrap().min_sync_period_seconds,
        Some(5.0)
    );
    assert!(!has(&r, "kube-proxy-slow-sync"));
    assert!(!has(&report(HEALTHY), "kube-proxy-slow-sync"));
}

#[test]
fn sync_burst_shows_endpoint_churn() {
    let mut log = String::new();
    for i in 0..25 {
        log.push_str(&format!(
            "I1204 15:32:{:02}.549554       1 proxier.go:787] \"SyncProxyRules complete\" elapsed=\"9.5ms\"\n",
            i * 2
        ));
    }
    let r = report(&log);
    let f = get(&r, "kube-proxy-sync-burst");
    assert_eq!(f.lines, vec![1, 25]);
    assert!(f.message.contains("25 times within one minute"));
    // The same 25 syncs spread over 25 minutes are no burst.
    let mut slow = String::new();
    for i in 0..25 {
        slow.push_str(&format!(
            "I1204 15:{:02}:00.549554       1 proxier.go:787] \"SyncProxyRules complete\" elapsed=\"9.5ms\"\n",
            i
        ));
    }
    assert!(!has(&report(&slow), "kube-proxy-sync-burst"));
}

#[test]
fn api_watch_errors() {
    let log = "E0303 07:46:14.241529       1 reflector.go:307] k8s.io/client-go/informers/factory.go:135: Failed to watch *v1.Service: Get https://192.168.205.60:6443/api/v1/services?watch=true: dial tcp 192.168.205.60:6443: connect: connection refused\n";
    let r = report(log);
    let f = get(&r, "kube-proxy-api-watch-errors");
    assert!(f.message.contains("*v1.Service"));
    assert!(f.message.contains("go stale"));
    assert!(!has(&report(HEALTHY), "kube-proxy-api-watch-errors"));
}

#[test]
fn missing_kernel_module() {
    let log = "W0613 17:00:50.551997       1 proxier.go:250] \"Failed to load kernel module with modprobe, you can ignore this message when kube-proxy is running inside container without mounting /lib/modules\" moduleName=\"ip_vs_rr\"\n";
    let r = report(log);
    let f = get(&r, "kube-proxy-missing-kernel-module");
    assert!(f.message.contains("ip_vs_rr"));
    assert!(!has(&report(HEALTHY), "kube-proxy-missing-kernel-module"));
    assert!(!has(&report(HEALTHY), "kube-proxy-missing-binary"));
}

#[test]
fn ipvs_deprecation() {
    let log = "\
I0525 03:22:43.627302       1 server_linux.go:194] \"Using ipvs Proxier\"
E0525 03:22:43.627358       1 server_linux.go:196] \"The ipvs proxier is now deprecated and may be removed in a future release. Please use 'nftables' instead.\"
";
    let r = report(log);
    let f = get(&r, "kube-proxy-ipvs-deprecated");
    assert_eq!((f.severity, f.lines.clone()), (Severity::Info, vec![2]));
    // The deprecation is its own finding, not an error of another kind.
    assert!(r.kube_proxy.as_ref().unwrap().errors.is_empty());
    assert!(!has(&report(HEALTHY), "kube-proxy-ipvs-deprecated"));
}

#[test]
fn text_and_markdown_show_the_section() {
    let r = report(FAILED);
    let text = svcpath_analysis::render::text(&r);
    assert!(text.contains("KUBE-PROXY LOG"));
    assert!(text.contains("line 2 [iptables-restore]"));
    let md = svcpath_analysis::render::markdown(&r);
    assert!(md.contains("#### kube-proxy log"));
    assert!(md.contains("| 2 | iptables-restore |"));
    let none = svcpath_analysis::render::text(&report("*nat\nCOMMIT\n"));
    assert!(!none.contains("KUBE-PROXY LOG"));
}

#[test]
fn a_dual_stack_family_that_keeps_failing_is_not_recovered_by_the_other() {
    let log = "\
E0410 11:41:12.000000 1 proxier.go:1481] \"Failed to execute iptables-restore\" ipFamily=\"IPv6\" err=\"exit status 2: ip6tables-restore: unknown option \\\"--xor-mark\\\"\"
I0410 11:41:12.000100 1 proxier.go:858] \"Sync failed\" ipFamily=\"IPv6\" retryingTime=\"30s\"
I0410 11:41:12.000200 1 proxier.go:820] \"SyncProxyRules complete\" ipFamily=\"IPv6\" elapsed=\"22ms\"
I0410 11:41:12.100000 1 proxier.go:820] \"SyncProxyRules complete\" ipFamily=\"IPv4\" elapsed=\"20ms\"
";
    let r = report(log);
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!(kp.unrecovered_failure_line, Some(2));
    assert_eq!(
        get(&r, "kube-proxy-sync-failed").severity,
        Severity::Critical
    );
    // The same lines without families read as one loop that recovered.
    let single = log
        .replace(" ipFamily=\"IPv6\"", "")
        .replace(" ipFamily=\"IPv4\"", "");
    let r = report(&single);
    assert_eq!(
        get(&r, "kube-proxy-sync-failed").severity,
        Severity::Warning
    );
}
