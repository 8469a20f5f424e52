//! The `svcpath` binary as a user runs it: files, stdin, formats and exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn svcpath() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svcpath"))
}

fn corpus(kind: &str, file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(kind)
        .join(file)
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
