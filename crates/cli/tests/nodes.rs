//! `svcpath compare` and `svcpath diff` as a user runs them: the JSON shape the README shows, each file
//! a node named after it, text and Markdown, and exit codes.

use std::path::PathBuf;
use std::process::Command;

fn svcpath() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svcpath"))
}

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/nodes")
        .join(path)
}

fn three() -> Vec<PathBuf> {
    ["node-a", "node-b", "node-c"]
        .iter()
        .map(|n| fixture(&format!("etp-black-hole-stale/{n}.txt")))
        .collect()
}

#[test]
fn compare_json_has_the_documented_shape() {
    let out = svcpath()
        .args(["compare", "--format", "json"])
        .args(three())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["nodes"][0]["name"], "node-a");
    assert_eq!(v["nodes"][0]["mode"], "iptables");
    let first = &v["services"][0];
    assert_eq!(first["consistent"], false);
    let remote = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "shop/remote:http")
        .unwrap();
    assert_eq!(
        remote["nodes"]["node-b"]["external_traffic_policy"],
        "Local"
    );
    assert_eq!(remote["nodes"]["node-b"]["drops_external"], false);
    assert_eq!(remote["nodes"]["node-a"]["drops_external"], true);
    assert!(remote["nodes"]["node-a"]["endpoints"].is_array());
    let hole = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "nodes-etp-local-black-hole" && f["service"] == "shop/remote:http")
        .unwrap();
    assert_eq!(hole["severity"], "critical");
    assert_eq!(hole["nodes"], serde_json::json!(["node-a", "node-c"]));
    assert!(hole["message"].is_string());
}

#[test]
fn compare_text_and_markdown() {
    let text = svcpath().arg("compare").args(three()).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("Nodes compared: 3"), "{text}");
    assert!(text.contains("nodes-odd-node-out (node-c)"), "{text}");
    let md = svcpath()
        .args(["compare", "--format", "markdown"])
        .args(three())
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains("| Service port | differs | node-a | node-b | node-c |"),
        "{md}"
    );
}

#[test]
fn diff_json_has_the_documented_shape_and_a_resync_is_no_change() {
    let out = svcpath()
        .args(["diff", "--format", "json"])
        .arg(fixture("etp-black-hole-stale/node-a.txt"))
        .arg(fixture("etp-black-hole-stale/node-c.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["removed"], serde_json::json!(["shop/lb:http"]));
    assert!(v["added"].as_array().unwrap().is_empty());
    let web = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "shop/web:http")
        .unwrap();
    assert_eq!(
        web["endpoints_added"],
        serde_json::json!(["172.31.255.1:8080"])
    );
    assert_eq!(
        web["endpoints_removed"],
        serde_json::json!(["172.16.2.11:8080"])
    );
    assert!(v["findings_added"].is_array() && v["findings_resolved"].is_array());

    let same = svcpath()
        .arg("diff")
        .arg(fixture("resync/before.txt"))
        .arg(fixture("resync/after.txt"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(same.stdout).unwrap(),
        "No change: the two moments program the same Services, endpoints, odds and findings.\n"
    );
}

#[test]
fn exit_codes() {
    let missing = svcpath()
        .args(["diff", "no-such-file.txt"])
        .arg(fixture("resync/after.txt"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-file.txt"));
    let usage = svcpath().arg("compare").output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}
