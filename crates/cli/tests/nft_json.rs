//! `svcpath explain` and `svcpath trace` on `nft -j list ruleset` output: the same Services, endpoint odds,
//! findings and traces as on the text listing of the same ruleset.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn svcpath() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svcpath"))
}

fn fixture(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../syntax/tests/fixtures/nft-json")
        .join(file)
}

fn run(args: &[&str], file: &str) -> String {
    let out = svcpath()
        .args(args)
        .arg(fixture(file))
        .output()
        .expect("svcpath runs");
    assert!(out.status.success(), "{file}: {out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Line numbers differ between a one-line JSON document and a listing: drop them, keep everything else.
fn without_positions(v: &mut Value) {
    match v {
        Value::Object(o) => {
            // Line numbers, and what is looked up by line: the layout's evidence lines, and a cause's rule
            // text, owner and deciding trace (one-line JSON holds many rules on its one line, so none is
            // named there and the first trace through that line is shown).
            o.retain(|k, _| {
                !k.contains("line")
                    && !k.contains("span")
                    && !matches!(k.as_str(), "evidence" | "rule" | "owner" | "trace")
            });
            o.values_mut().for_each(without_positions);
        }
        Value::Array(a) => a.iter_mut().for_each(without_positions),
        Value::String(s) => *s = mask_line_numbers(s),
        _ => {}
    }
}

/// `(line 121)` and `(rule line 58)` become `(line N)`; the tracer names an element's own line only when it
/// differs from its rule's, which in one-line JSON it never does.
fn mask_line_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("line ") {
        let (head, tail) = rest.split_at(i + "line ".len());
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push('N');
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out.replace(" (element at line N)", "")
}

/// Fixtures whose analysis the test compares; each has a `.txt` and a `.json` of the same kernel state.
const FIXTURES: &[&str] = &["nft-edge", "k8s-overall", "k3s-list-table", "generated"];

#[test]
fn explain_gives_the_same_report_for_json_and_text() {
    for name in FIXTURES {
        let mut from_text: Value = serde_json::from_str(&run(
            &["explain", "--format", "json"],
            &format!("{name}.txt"),
        ))
        .expect("a JSON report");
        let mut from_json: Value = serde_json::from_str(&run(
            &["explain", "--format", "json"],
            &format!("{name}.json"),
        ))
        .expect("a JSON report");
        assert!(
            from_json["services"]
                .as_array()
                .is_some_and(|s| !s.is_empty()),
            "{name}: no services"
        );
        without_positions(&mut from_text);
        without_positions(&mut from_json);
        // The sections list says where each input began; the kinds are the same.
        for r in [&mut from_text, &mut from_json] {
            r.as_object_mut().map(|o| o.remove("sections"));
        }
        assert_eq!(from_text, from_json, "{name}");
    }
}

#[test]
fn explain_reads_a_json_file() {
    let out = run(&["explain"], "nft-edge.json");
    assert!(out.contains("\nproxy mode: nftables"), "{out}");
    assert!(out.contains("services: 4  endpoints: 8"), "{out}");
    assert!(
        out.contains("endpoints: 10.244.1.11:8080 66.7%, 10.244.2.12:8080 33.3%"),
        "{out}"
    );
    assert!(
        out.contains("endpoints: 10.244.1.31:53 33.3%, 10.244.2.32:53 33.3%, 10.244.3.33:53 33.3%"),
        "{out}"
    );
    assert!(out.contains("[warning] skewed-odds"), "{out}");
}

#[test]
fn trace_follows_the_same_paths_through_json() {
    for (name, dst, proto) in [
        ("nft-edge", "10.96.1.10:80", "tcp"),
        ("nft-edge", "10.96.1.40:53", "udp"),
        ("nft-edge", "198.51.100.31:80", "tcp"),
        ("k8s-overall", "172.30.0.41:80", "tcp"),
    ] {
        let args = ["trace", "--dst", dst, "--proto", proto, "--format", "json"];
        let mut a: Value = serde_json::from_str(&run(&args, &format!("{name}.txt"))).unwrap();
        let mut b: Value = serde_json::from_str(&run(&args, &format!("{name}.json"))).unwrap();
        for t in [&mut a, &mut b] {
            without_positions(t);
            // Each outcome's `rules` are the line numbers of the rules it passed; its steps name them.
            for o in t["outcomes"].as_array_mut().into_iter().flatten() {
                o.as_object_mut().map(|o| o.remove("rules"));
            }
        }
        assert!(
            a["outcomes"].as_array().is_some_and(|o| !o.is_empty()),
            "{name} {dst}"
        );
        assert_eq!(a, b, "{name} {dst}");
    }
}
