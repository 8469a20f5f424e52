//! The `kubectl-svcpath` plugin at the repository root, run against a fake `kubectl` on `PATH`
//! (`tests/kubectl-plugin/kubectl`): it captures each node through `kubectl debug node/NODE
//! --profile=sysadmin`, deletes every debug pod it created, and writes one bundle that `svcpath
//! explain` reads as one node per file, each named by its marker.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus(kind: &str, file: &str) -> PathBuf {
    svcpath_testkit::corpus::path(kind).join(file)
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn plugin(dir: &Path, args: &[&str]) -> std::process::Output {
    let fake = repo().join("tests/kubectl-plugin");
    let path = format!(
        "{}:{}",
        fake.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .arg(repo().join("kubectl-svcpath"))
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("FAKE_KUBECTL_DIR", dir.join("cluster"))
        .output()
        .expect("sh runs")
}

#[test]
fn capture_writes_one_bundle_of_every_node_and_removes_its_pods() {
    let dir = std::env::temp_dir().join(format!("svcpath-kubectl-{}", std::process::id()));
    let _scratch = Scratch(dir.clone());
    std::fs::create_dir_all(dir.join("cluster")).expect("dir");
    let iptables = corpus(
        "iptables",
        "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy.txt",
    );
    let nft = corpus("nft", "k8s-test-TestOverallNFTablesRules.txt");
    for (node, dump) in [("node-a", &iptables), ("node-b", &nft)] {
        let mut capture = b"===== svcpath: iptables-save =====\n".to_vec();
        if node == "node-b" {
            capture = b"===== svcpath: nft =====\n".to_vec();
        }
        capture.extend(std::fs::read(dump).expect("corpus dump"));
        std::fs::write(dir.join("cluster").join(format!("{node}.txt")), capture).expect("write");
    }

    let out = plugin(&dir, &["capture", "--all", "-o", "bundle.tar.gz"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("wrote bundle.tar.gz (2 nodes)"), "{stderr}");
    let calls = std::fs::read_to_string(dir.join("cluster/calls.log")).expect("calls");
    for node in ["node-a", "node-b"] {
        assert!(
            calls.contains(&format!("debug node/{node} --profile=sysadmin")),
            "{calls}"
        );
        assert!(
            calls.contains(&format!("delete pod node-debugger-{node}-x7k2p")),
            "the debug pod of {node} is left behind:\n{calls}"
        );
    }

    let explained = Command::new(env!("CARGO_BIN_EXE_svcpath"))
        .args(["explain", "--format", "json"])
        .arg(dir.join("bundle.tar.gz"))
        .output()
        .expect("svcpath runs");
    assert!(explained.status.success());
    let v: serde_json::Value = serde_json::from_slice(&explained.stdout).expect("JSON");
    let nodes = v["nodes"].as_array().expect("two nodes");
    let named: Vec<(&str, &str, &str)> = nodes
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap_or(""),
                n["name_source"].as_str().unwrap_or(""),
                n["report"]["mode"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("node-a", "marker", "iptables"),
            ("node-b", "marker", "nftables")
        ]
    );
    // kube-proxy's log came along under its marker.
    assert!(nodes[0]["report"]["sections"].as_array().is_some_and(|s| s
        .iter()
        .any(|s| s["command"] == "===== svcpath: kube-proxy-log =====")));
}

#[test]
fn a_node_that_cannot_be_captured_fails_and_still_removes_the_pods() {
    let dir = std::env::temp_dir().join(format!("svcpath-kubectl-missing-{}", std::process::id()));
    let _scratch = Scratch(dir.clone());
    std::fs::create_dir_all(dir.join("cluster")).expect("dir");
    std::fs::write(
        dir.join("cluster/node-a.txt"),
        "===== svcpath: iptables-save =====\n*nat\nCOMMIT\n",
    )
    .expect("write");
    let out = plugin(&dir, &["capture", "node-a", "node-z", "-o", "two.tar.gz"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("node node-z: kubectl debug failed"),
        "{stderr}"
    );
    let calls = std::fs::read_to_string(dir.join("cluster/calls.log")).expect("calls");
    assert!(
        calls.contains("delete pod node-debugger-node-a-x7k2p"),
        "{calls}"
    );
    assert!(dir.join("two.tar.gz").exists());
    let usage = plugin(&dir, &["capture"]);
    assert_eq!(usage.status.code(), Some(2));
}
