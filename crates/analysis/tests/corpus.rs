//! Golden tests over the shared corpus: every file is explained without a panic, and the Services,
//! endpoints and odds of the iptables dumps are pinned (each snapshot was checked by hand against its dump).

use serde_json::json;
use svcpath_analysis::{analyze, Options, Report};

fn read(kind: &str, file: &str) -> String {
    svcpath_testkit::corpus::read(format!("{kind}/{file}"))
}

fn files(kind: &str) -> Vec<String> {
    svcpath_testkit::corpus::files(kind)
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// The parts of a report a golden test pins: Services with endpoints and odds (rounded to 1e-9),
/// finding codes with their Services and lines, and how many diagnostics there were.
fn summary(report: &Report) -> serde_json::Value {
    let services: Vec<_> = report
        .services
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "protocol": s.protocol,
                "cluster_ip": s.cluster_ip,
                "port": s.port,
                "node_port": s.node_port,
                "external_ips": s.external_ips,
                "load_balancer_ips": s.load_balancer_ips,
                "source_ranges": s.load_balancer_source_ranges,
                "external_traffic_policy": s.external_traffic_policy,
                "session_affinity_seconds": s.session_affinity_seconds,
                "no_endpoints": s.no_endpoints,
                "endpoints": s.endpoints.iter().map(|e| json!({
                    "ip": e.ip,
                    "port": e.port,
                    "probability": (e.probability * 1e9).round() / 1e9,
                    "local": e.local,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let findings: Vec<_> = report
        .findings
        .iter()
        .map(|f| json!({"code": f.code, "severity": f.severity, "service": f.service, "lines": f.lines}))
        .collect();
    json!({
        "mode": report.mode,
        "leftover_modes": report.leftover_modes,
        "pod_cidrs": report.node.pod_cidrs.iter().map(|f| &f.value).collect::<Vec<_>>(),
        "node_ips": report.node.node_ips.iter().map(|f| &f.value).collect::<Vec<_>>(),
        "services": services,
        "findings": findings,
        "diagnostic_lines": report.diagnostics.iter().map(|d| d.line).collect::<Vec<_>>(),
    })
}

#[test]
fn every_corpus_file_is_explained_without_a_panic() {
    for kind in ["iptables", "ipvs", "ipset", "nft", "sysctl", "conntrack"] {
        for file in files(kind) {
            let text = read(kind, &file);
            let report = analyze(&text, &Options::default());
            // The report always serialises.
            serde_json::to_string(&report).unwrap();
            let total: f64 = report
                .services
                .iter()
                .flat_map(|s| s.endpoints.iter())
                .map(|e| e.probability)
                .sum();
            assert!(total.is_finite(), "{kind}/{file}");
        }
    }
}

#[test]
fn iptables_corpus_golden() {
    for file in files("iptables") {
        let report = analyze(&read("iptables", &file), &Options::default());
        let name = file.trim_end_matches(".txt").to_string();
        insta::with_settings!({snapshot_suffix => name, prepend_module_to_snapshot => false}, {
            insta::assert_json_snapshot!("iptables", summary(&report));
        });
    }
}

#[test]
fn minik8s_fileserver_has_three_endpoints_at_a_third() {
    let report = analyze(
        &read(
            "iptables",
            "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy.txt",
        ),
        &Options::default(),
    );
    let fileserver = report
        .services
        .iter()
        .find(|s| s.id == "default/service1:fileserver")
        .unwrap();
    assert_eq!(fileserver.endpoints.len(), 3);
    for e in &fileserver.endpoints {
        assert!((e.probability - 1.0 / 3.0).abs() < 1e-6, "{e:?}");
    }
    let dns = report
        .services
        .iter()
        .find(|s| s.id == "kube-system/kube-dns:dns")
        .unwrap();
    assert_eq!(dns.protocol, Some(svcpath_analysis::report::Protocol::Udp));
    assert_eq!(dns.cluster_ip.as_deref(), Some("10.96.0.10"));
    assert_eq!(dns.port, Some(53));
}

#[test]
fn json_has_the_documented_shape() {
    let report = analyze(
        &read("iptables", "k8s-test-TestOverallIPTablesRules.txt"),
        &Options::default(),
    );
    let value = serde_json::to_value(&report).unwrap();
    assert_eq!(value["mode"], "iptables");
    let svc = &value["services"][0];
    for key in [
        "namespace",
        "name",
        "port_name",
        "protocol",
        "cluster_ip",
        "port",
        "node_port",
        "external_ips",
        "load_balancer_ips",
        "external_traffic_policy",
        "session_affinity_seconds",
        "endpoints",
    ] {
        assert!(svc.get(key).is_some(), "services[0] lacks {key}");
    }
    for key in ["ip", "port", "probability", "local"] {
        assert!(
            svc["endpoints"][0].get(key).is_some(),
            "endpoint lacks {key}"
        );
    }
    for key in ["code", "severity", "service", "lines", "message"] {
        assert!(
            value["findings"][0].get(key).is_some(),
            "finding lacks {key}"
        );
    }
    assert!(value["diagnostics"].is_array());
}
