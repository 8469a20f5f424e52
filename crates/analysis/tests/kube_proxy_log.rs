//! Golden tests over real kube-proxy logs from public issues (`tests/fixtures/kube-proxy-log/`, sources in
//! its SOURCES.md): what the report's `kube_proxy` part and the kube-proxy findings say for each file is
//! pinned by a snapshot, and the facts that matter are asserted by hand against the files.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::path::PathBuf;

use serde_json::json;
use svcpath_analysis::{analyze, Options, Report};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/kube-proxy-log")
}

fn read(name: &str) -> String {
    let path = fixture_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn report(name: &str) -> Report {
    analyze(&read(name), &Options::default())
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings
        .iter()
        .filter(|f| f.code.as_str().starts_with("kube-proxy-"))
        .map(|f| f.code.as_str())
        .collect()
}

#[test]
fn every_fixture_is_read_and_pinned() {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    assert!(names.len() >= 14, "{names:?}");
    for name in names {
        let r = report(&name);
        assert!(r.kube_proxy.is_some(), "{name}: no kube-proxy log read");
        let findings: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.code.as_str().starts_with("kube-proxy-"))
            .map(|f| json!({"code": f.code, "severity": f.severity, "lines": f.lines}))
            .collect();
        let value = json!({
            "sections": r.sections.iter().map(|s| json!([s.kind, s.first_line, s.last_line])).collect::<Vec<_>>(),
            "kube_proxy": r.kube_proxy,
            "findings": findings,
            "diagnostics": r.diagnostics.iter().map(|d| json!([d.line, d.severity, d.message])).collect::<Vec<_>>(),
        });
        insta::assert_json_snapshot!(name.trim_end_matches(".txt").to_string(), value);
    }
}

#[test]
fn xor_mark_failure_is_a_failed_sync_that_never_recovered() {
    let r = report("bottlerocket-4295-xor-mark-sync-failed.txt");
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!((kp.syncs, kp.sync_failures), (1, 1));
    assert_eq!(kp.errors.len(), 1);
    assert_eq!(kp.errors[0].line, 3);
    assert_eq!(kp.errors[0].last_line, 7);
    assert_eq!(kp.errors[0].kind, "iptables-restore");
    assert!(kp.errors[0]
        .message
        .contains("unknown option \"--xor-mark\""));
    assert_eq!(kp.last_sync_line, None);
    assert_eq!(kp.sync_period_seconds, Some(30.0));
    assert_eq!(kp.rule_counts[0].nat_rules, Some(5));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "kube-proxy-sync-failed")
        .unwrap();
    assert_eq!(f.severity, svcpath_analysis::report::Severity::Critical);
    assert_eq!(f.lines, vec![3, 8]);
    assert!(f.message.contains("IPv6 rules"));
    // The same failure through journald, cut before the closing `>`.
    let r = report("kube-proxy-25-xor-mark-journald-cut.txt");
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!(kp.errors[0].last_line, 4);
    assert!(kp.errors[0].message.contains("Error occurred at line: 11"));
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.line == 1 && d.message.contains("not closed")));
    assert_eq!(codes(&r), vec!["kube-proxy-sync-failed"]);
}

#[test]
fn old_unstructured_failures_count_every_retry() {
    let r = report("k8s-104234-v1.17-restore-line-failed.txt");
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!(kp.sync_failures, 5);
    assert_eq!(kp.failure_lines, vec![1, 3, 4, 6, 7, 9, 10, 12, 13, 15]);
    assert!(kp.errors[0].message.contains("line 51 failed"));
    assert_eq!(kp.errors[0].last_line, 2);
    assert_eq!(kp.sync_period_seconds, Some(30.0));
}

#[test]
fn conntrack_cleanup_failures_name_the_missing_program() {
    for (name, missing) in [
        ("k8e-254-conntrack-not-found-journald.txt", true),
        ("deckhouse-8081-conntrack-binary-missing.txt", true),
        ("k3s-6169-conntrack-cant-open-handler.txt", false),
    ] {
        let r = report(name);
        let c = codes(&r);
        assert!(
            c.contains(&"kube-proxy-conntrack-cleanup-failed"),
            "{name}: {c:?}"
        );
        assert_eq!(
            c.contains(&"kube-proxy-missing-binary"),
            missing,
            "{name}: {c:?}"
        );
        let kp = r.kube_proxy.as_ref().unwrap();
        assert!(kp.errors.iter().all(|e| e.kind == "conntrack"), "{name}");
    }
    let r = report("k3s-6169-conntrack-cant-open-handler.txt");
    let f = &r.findings[0];
    assert!(f.message.contains("nf_conntrack_netlink"), "{}", f.message);
}

#[test]
fn ipvs_fallbacks_old_and_older() {
    let r = report("k8s-63801-v1.10-ipvs-fallback.txt");
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!(kp.mode.as_deref(), Some("iptables"));
    assert_eq!(kp.mode_line, Some(4));
    assert_eq!(kp.version.as_deref(), Some("v1.10.2"));
    assert_eq!(kp.fallback.as_ref().unwrap().line, 3);
    assert_eq!(kp.fallback.as_ref().unwrap().from, "ipvs");
    assert!(codes(&r).contains(&"kube-proxy-mode-fallback"));
    let r = report("k8s-55864-v1.8-cant-use-ipvs.txt");
    assert_eq!(
        r.kube_proxy
            .as_ref()
            .unwrap()
            .fallback
            .as_ref()
            .unwrap()
            .line,
        5
    );
    assert_eq!(codes(&r), vec!["kube-proxy-mode-fallback"]);
}

#[test]
fn normal_logs_have_no_kube_proxy_findings() {
    for name in [
        "kmesh-1297-normal-start-iptables.txt",
        "k8s-121362-syncs-every-second.txt",
        "k8s-90031-v1.19-syncs-took.txt",
        "k8s-126847-cri-log-format.txt",
    ] {
        let r = report(name);
        assert!(codes(&r).is_empty(), "{name}: {:?}", codes(&r));
    }
    let r = report("kmesh-1297-normal-start-iptables.txt");
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!(kp.mode.as_deref(), Some("iptables"));
    assert_eq!(kp.records, 6);
    let r = report("k8s-90031-v1.19-syncs-took.txt");
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!(kp.syncs, 3);
    let d = kp.sync_seconds.unwrap();
    assert!((d.median - 0.14035_7085).abs() < 1e-9, "{d:?}");
    assert!((d.max - 0.145_060_61).abs() < 1e-9);
    assert_eq!(d.max_line, 8);
    // Three syncs in 52.09 s: 2 intervals, about 2.3 a minute.
    assert!((kp.syncs_per_minute.unwrap() - 2.0 / 52.090_706 * 60.0).abs() < 1e-3);
    let r = report("k8s-121362-syncs-every-second.txt");
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!(kp.rule_counts.len(), 2);
    assert_eq!(kp.rule_counts[1].services, Some(213));
    // `"Change"` lines are logged at error level by a patched kube-proxy: listed, not findings.
    assert_eq!(kp.errors.len(), 3);
    assert!(kp.errors.iter().all(|e| e.kind == "other"));
}

#[test]
fn api_watch_errors_and_kernel_modules() {
    let r = report("k8s-111469-api-watch-errors.txt");
    assert_eq!(codes(&r), vec!["kube-proxy-api-watch-errors"]);
    let f = &r.findings[0];
    assert_eq!(f.lines, vec![1, 2, 3]);
    assert!(f.message.contains("*v1.Service, *v1.Node"), "{}", f.message);
    let r = report("helm-charts-16476-modprobe-wrapped.txt");
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "kube-proxy-missing-kernel-module")
        .unwrap();
    assert!(
        f.message
            .contains("ip_vs, ip_vs_rr, ip_vs_wrr, ip_vs_sh, nf_conntrack"),
        "{}",
        f.message
    );
    assert_eq!(f.lines, vec![5, 7, 9, 11, 13]);
}

#[test]
fn json_and_prefixed_logs() {
    let r = report("constructed-json-format-nftables.txt");
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!(kp.formats, vec!["json"]);
    assert_eq!(kp.mode.as_deref(), Some("nftables"));
    assert_eq!(kp.version.as_deref(), Some("v1.31.4"));
    assert_eq!(kp.syncs, 2);
    assert_eq!(kp.errors[0].kind, "conntrack");
    assert_eq!(kp.errors[0].line, 8);
    let at = kp.sync_points[1].at.unwrap();
    assert!((at - 30.491).abs() < 1e-6, "{at}");
    let r = report("constructed-prefix-two-pods.txt");
    let kp = r.kube_proxy.as_ref().unwrap();
    assert_eq!(kp.pods, vec!["kube-proxy-8dfx8", "kube-proxy-z6d8z"]);
    assert_eq!((kp.syncs, kp.sync_failures), (2, 1));
    // The second pod's sync is not the first pod's recovery.
    assert!(kp.sync_points[0].failed);
    assert!(!kp.sync_points[1].failed);
    assert_eq!(kp.unrecovered_failure_line, Some(7));
    assert_eq!(kp.unrecovered_pod.as_deref(), Some("kube-proxy-8dfx8"));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "kube-proxy-sync-failed")
        .unwrap();
    assert_eq!(f.severity, svcpath_analysis::report::Severity::Critical);
    assert!(
        f.message.contains("No sync of kube-proxy-8dfx8 succeeded"),
        "{}",
        f.message
    );
}

#[test]
fn the_report_json_has_the_documented_shape() {
    let r = report("bottlerocket-4295-xor-mark-sync-failed.txt");
    let v = serde_json::to_value(&r).unwrap();
    let kp = &v["kube_proxy"];
    for key in [
        "mode",
        "version",
        "syncs",
        "sync_failures",
        "sync_seconds",
        "errors",
    ] {
        assert!(kp.get(key).is_some(), "{key} missing");
    }
    assert_eq!(kp["errors"][0]["line"], 3);
    assert_eq!(kp["errors"][0]["kind"], "iptables-restore");
    assert!(kp["sync_seconds"]["median"].is_number());
    let none = analyze(
        "*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n",
        &Options::default(),
    );
    assert!(serde_json::to_value(&none).unwrap()["kube_proxy"].is_null());
}
