//! The `svcpath` binary as a user runs it: files, stdin, formats and exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn svcpath() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svcpath"))
}

fn corpus(kind: &str, file: &str) -> PathBuf {
    svcpath_testkit::corpus::path(kind).join(file)
}

const MINIK8S: &str = "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy.txt";

#[test]
fn explain_json_on_every_corpus_file_has_the_documented_shape() {
    for kind in ["iptables", "ipvs", "ipset", "nft", "sysctl", "conntrack"] {
        let dir = corpus(kind, "");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("txt") {
                continue;
            }
            let out = svcpath()
                .args(["explain", "--format", "json"])
                .arg(&path)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", path.display());
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(
                ["iptables", "ipvs", "nftables", "unknown"].contains(&v["mode"].as_str().unwrap())
            );
            assert!(
                v["services"].is_array() && v["findings"].is_array() && v["diagnostics"].is_array()
            );
            for s in v["services"].as_array().unwrap() {
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
                    assert!(
                        s.get(key).is_some(),
                        "{}: service lacks {key}",
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn text_markdown_and_stdin() {
    let text = svcpath()
        .arg("explain")
        .arg(corpus("iptables", MINIK8S))
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("proxy mode: iptables"));
    assert!(text.contains("default/service1:fileserver"));
    assert!(text.contains("10.244.1.4:8080 33.3%"));

    let md = svcpath()
        .args(["explain", "--format=markdown"])
        .arg(corpus("iptables", MINIK8S))
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("### svcpath report"));
    assert!(md.contains("| default/service1\\:fileserver |"));

    let mut child = svcpath()
        .args(["explain", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(corpus("iptables", MINIK8S)).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["services"].as_array().unwrap().len(), 6);
}

#[test]
fn several_files_are_one_snapshot() {
    let out = svcpath()
        .args(["explain", "--format", "json"])
        .arg(corpus("iptables", MINIK8S))
        .arg(corpus(
            "sysctl",
            "repo-notes-sysctl-a-grep-i-conntrack-full.txt",
        ))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mode"], "iptables");
    assert_eq!(v["conntrack"]["max"], 262144);
}

#[test]
fn exit_codes() {
    assert_eq!(svcpath().output().unwrap().status.code(), Some(2));
    assert_eq!(
        svcpath()
            .args(["explain", "--format", "yaml"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        svcpath()
            .args(["explain", "--bogus"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        svcpath()
            .args(["explain", "--node-ip", "not-an-ip"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    let missing = svcpath()
        .args(["explain", "/nonexistent/dump.txt"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent/dump.txt"));
    assert_eq!(
        svcpath().arg("--help").output().unwrap().status.code(),
        Some(0)
    );
}

#[test]
fn trace_follows_an_nftables_node() {
    let dump = corpus(
        "nft",
        "repo-notes-k3s-nftables-mode-nft-list-table-kube-proxy.txt",
    );
    let out = svcpath()
        .args([
            "trace",
            "--format",
            "json",
            "--dst",
            "10.34.4.246:30000",
            "--from",
            "external",
        ])
        .arg(&dump)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes = v["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 9);
    for o in outcomes {
        assert_eq!(o["verdict"], "dnat");
        assert_eq!(o["masquerade"], true);
        assert_eq!(o["uncertain"], false);
        assert!((o["probability"].as_f64().unwrap() - 1.0 / 9.0).abs() < 1e-9);
    }
    // A Service without endpoints: rejected by kube-proxy's reject-chain.
    let text = svcpath()
        .args(["trace", "--dst", "10.43.21.102:4317"])
        .arg(&dump)
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("100.00%  reject"), "{text}");
    assert!(text.contains("reject-chain"), "{text}");
}

#[test]
fn trace_prints_outcomes_with_odds_and_masquerade() {
    let out = svcpath()
        .args([
            "trace",
            "--format",
            "json",
            "--dst",
            "10.108.64.11:8080",
            "--src",
            "10.244.1.5",
        ])
        .arg(corpus("iptables", MINIK8S))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes = v["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 3);
    let total: f64 = outcomes
        .iter()
        .map(|o| o["probability"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-9);
    for o in outcomes {
        assert_eq!(o["verdict"], "dnat");
        assert!((o["probability"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-6);
        assert!(!o["rules"].as_array().unwrap().is_empty());
    }
    // Hairpin: the pod reaching itself is masqueraded by kube-proxy's own rule.
    let own = outcomes
        .iter()
        .find(|o| o["endpoint"] == "10.244.1.5:8080")
        .unwrap();
    assert_eq!(own["masquerade"], true);
    assert!(own["rules"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!(113)));

    let text = svcpath()
        .args(["trace", "--dst", "10.96.0.10:53", "--proto", "udp"])
        .arg(corpus("iptables", MINIK8S))
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("50.00%  dnat to 10.244.0.4:53"), "{text}");

    assert_eq!(
        svcpath()
            .args(["trace"])
            .arg(corpus("iptables", MINIK8S))
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        svcpath()
            .args(["trace", "--dst", "10.0.0.1"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn every_subcommand_has_its_own_help() {
    for (command, option) in [
        ("explain", "--format"),
        ("trace", "--dst"),
        ("redact", "--output"),
        ("completions", "SHELL"),
    ] {
        let out = svcpath().args([command, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{command}");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(
            help.contains(&format!("Usage: svcpath {command}")),
            "{help}"
        );
        assert!(
            help.contains(option),
            "{command} --help lacks {option}: {help}"
        );
    }
}

#[test]
fn completions_for_each_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let out = svcpath().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["explain", "trace", "redact", "node-ip"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    assert_eq!(
        svcpath()
            .args(["completions", "cmd.exe"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn usage_errors_name_the_argument_and_exit_with_2() {
    for (args, named) in [
        (&["explain", "--format", "yaml"][..], "--format"),
        (&["explain", "--node-ip", "not-an-ip"][..], "--node-ip"),
        (&["explain", "--pod-cidr", "10.244.0.0"][..], "--pod-cidr"),
        (&["trace", "--dst", "10.0.0.1"][..], "--dst"),
        (
            &["trace", "--dst", "10.0.0.1:80", "--format", "markdown"][..],
            "--format",
        ),
        (
            &["trace", "--dst", "10.0.0.1:80", "--proto", "icmp"][..],
            "--proto",
        ),
        (&["frobnicate"][..], "frobnicate"),
    ] {
        let out = svcpath().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(
            message.starts_with("error:") && message.contains(named),
            "{args:?}: {message}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
