//! The nft JSON reader against real `nft -j list ruleset` output: for every fixture, the JSON and the text
//! listing the kernel printed for the same ruleset give the same parse tree; plus invariants under
//! arbitrary cuts and edits of the JSON.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use proptest::prelude::*;
use serde_json::Value;
use svcpath_syntax::diag::Severity;
use svcpath_syntax::nft::{self, Ruleset};
use svcpath_syntax::{split, Origin, SectionKind};

/// Fixtures made by `make.sh` in the fixture folder: each `NAME.json` with its `NAME.txt`.
const FIXTURES: &[&str] = &[
    "nft-edge",
    "kube-proxy-shapes",
    "k8s-overall",
    "k3s-list-table",
    "generated",
];

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/nft-json/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The tree without positions (lines and spans differ between the two forms by nature), and without what
/// nft 1.0.6 leaves out of its JSON: table and chain comments and the `dynamic` set flag; and without the
/// `# Warning: table ip nat is managed by iptables-nft` lines that only the text listing prints.
fn comparable(mut r: Ruleset) -> Value {
    r.iptables_nft_warnings.clear();
    for t in &mut r.tables {
        t.comment = None;
        for c in &mut t.chains {
            c.comment = None;
        }
        for s in &mut t.sets {
            s.flags.retain(|f| f != "dynamic");
        }
    }
    let mut v = serde_json::to_value(&r).expect("serializable");
    strip_positions(&mut v);
    v
}

fn strip_positions(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.remove("line");
            o.remove("span");
            o.values_mut().for_each(strip_positions);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_positions),
        _ => {}
    }
}

/// The first place two trees differ, as a path and both values.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = format!("{path}.{k}");
                match y.get(k) {
                    Some(vb) => {
                        if let Some(d) = first_difference(va, vb, &p) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{p}: missing on the right")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(va, vb, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{path}: {} vs {} items", x.len(), y.len()))
        }
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

#[test]
fn json_and_text_listings_give_the_same_tree() {
    for name in FIXTURES {
        let text = fixture(&format!("{name}.txt"));
        let json = fixture(&format!("{name}.json"));
        assert!(nft::json::looks_like_json(&json), "{name}");
        let from_text = nft::parse(&text, Origin::START);
        let from_json = nft::parse(&json, Origin::START);
        // What the text reader does not understand in the listing, it does not understand in the JSON
        // either, and the JSON adds no problem of its own.
        let problems = |d: &[svcpath_syntax::Diagnostic]| {
            let mut m: Vec<String> = d
                .iter()
                .filter(|d| d.severity != Severity::Info)
                .map(|d| d.message.clone())
                .collect();
            m.sort();
            m
        };
        assert_eq!(
            problems(&from_json.diagnostics),
            problems(&from_text.diagnostics),
            "{name}"
        );
        assert!(from_json.value.rule_count() > 0, "{name}");
        let a = comparable(from_text.value);
        let b = comparable(from_json.value);
        if let Some(d) = first_difference(&a, &b, name) {
            panic!("text and JSON differ at {d}");
        }
        assert_eq!(a, b, "{name}");
    }
}

/// nft's JSON names iptables-nft's `xt` matches without their options, where its text listing translates
/// them (`ct state new`): the tables, chains, rules, counters and verdicts are still the same.
#[test]
fn iptables_nft_tables_read_the_same_but_for_xt_options() {
    let text = nft::parse(&fixture("iptables-nft.txt"), Origin::START).value;
    let json = nft::parse(&fixture("iptables-nft.json"), Origin::START);
    assert!(json.diagnostics.iter().any(|d| d
        .message
        .contains("iptables extension(s) (`xt`, from iptables-nft)")));
    let json = json.value;
    assert_eq!(text.tables.len(), json.tables.len());
    assert!(json.rule_count() > 50);
    let mut xt = 0;
    for (a, b) in text.tables.iter().zip(&json.tables) {
        assert_eq!((&a.family, &a.name), (&b.family, &b.name));
        assert_eq!(a.chains.len(), b.chains.len(), "{}", a.label());
        for (ca, cb) in a.chains.iter().zip(&b.chains) {
            assert_eq!(ca.name, cb.name);
            assert_eq!(
                ca.base,
                cb.base.as_ref().map(|b| nft::BaseChain {
                    line: ca.base.as_ref().map_or(0, |x| x.line),
                    ..b.clone()
                })
            );
            assert_eq!(ca.rules.len(), cb.rules.len(), "{}", ca.name);
            for (ra, rb) in ca.rules.iter().zip(&cb.rules) {
                assert_eq!(ra.handle, rb.handle);
                assert_eq!(ra.verdict(), rb.verdict(), "{}", ra.text);
                assert_eq!(ra.counter(), rb.counter(), "{}", ra.text);
                xt += rb
                    .exprs
                    .iter()
                    .filter(|e| matches!(e, nft::Expr::Xt { .. }))
                    .count();
            }
        }
    }
    assert!(xt > 0);
}

#[test]
fn pretty_printed_json_reads_the_same() {
    for name in FIXTURES {
        let json = fixture(&format!("{name}.json"));
        let doc: Value = serde_json::from_str(&json).expect("fixture is JSON");
        let pretty = serde_json::to_string_pretty(&doc).expect("pretty");
        let a = comparable(nft::parse(&json, Origin::START).value);
        let b = comparable(nft::parse(&pretty, Origin::START).value);
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn positions_point_at_the_json_objects() {
    let json = fixture("nft-edge.json");
    let parsed = nft::parse(&json, Origin::START);
    for t in &parsed.value.tables {
        for c in &t.chains {
            let chain_text = &json[c.span.start..c.span.end];
            assert!(chain_text.starts_with("{\"chain\": {"), "{chain_text}");
            assert!(chain_text.contains(&format!("\"name\": \"{}\"", c.name)));
            for r in &c.rules {
                let rule_text = &json[r.span.start..r.span.end];
                assert!(rule_text.starts_with("{\"rule\": {"), "{rule_text}");
                assert!(rule_text.contains(&format!("\"handle\": {}", r.handle.unwrap())));
                assert_eq!(r.line, 1);
            }
        }
    }
}

#[test]
fn the_splitter_finds_json_with_or_without_its_command_line() {
    let json = fixture("kube-proxy-shapes.json");
    let paste = format!("root@node:~# nft -j list ruleset\n{json}root@node:~# uname -r\n6.1.0\n");
    let sections = split(&paste);
    assert_eq!(sections[0].kind, SectionKind::Nft, "{sections:?}");
    let text = sections[0].text(&paste);
    assert!(nft::json::looks_like_json(text));
    let parsed = nft::parse(text, sections[0].origin());
    assert_eq!(parsed.value.tables.len(), 2);
    assert!(parsed.value.tables.iter().all(|t| t.line == Some(2)));

    let bare = format!("uptime 3 days\n{json}");
    let sections = split(&bare);
    let nft_section = sections
        .iter()
        .find(|s| s.kind == SectionKind::Nft)
        .expect("an nft section");
    assert_eq!(nft_section.first_line, 2);

    let doc: Value = serde_json::from_str(&json).unwrap();
    let pretty = format!(
        "some notes\n{}\n",
        serde_json::to_string_pretty(&doc).unwrap()
    );
    let sections = split(&pretty);
    let nft_section = sections
        .iter()
        .find(|s| s.kind == SectionKind::Nft)
        .expect("an nft section for pretty JSON");
    let parsed = nft::parse(nft_section.text(&pretty), nft_section.origin());
    assert_eq!(parsed.value.tables.len(), 2, "{:?}", parsed.diagnostics);

    // One object per line, as `jq -c '.nftables[]'` prints them, without a command line.
    let objects: Vec<String> = doc["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect();
    let lines = format!("uptime 3 days\n{}\n", objects.join("\n"));
    let sections = split(&lines);
    let nft_section = sections
        .iter()
        .find(|s| s.kind == SectionKind::Nft)
        .expect("an nft section for one object per line");
    assert_eq!(nft_section.first_line, 2);
    let parsed = nft::parse(nft_section.text(&lines), nft_section.origin());
    let whole = nft::parse(&json, Origin::START);
    assert_eq!(parsed.value.rule_count(), whole.value.rule_count());
    assert_eq!(
        comparable(parsed.value.clone()),
        comparable(whole.value.clone())
    );
}

fn check_invariants(text: &str) {
    let parsed = nft::parse(text, Origin::START);
    for d in &parsed.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "{d:?}"
        );
        assert!(d.line >= 1, "{d:?}");
    }
    for t in &parsed.value.tables {
        for c in &t.chains {
            for r in &c.rules {
                assert!(r.span.end <= text.len());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Cutting a real JSON listing anywhere keeps every table whose object ends before the cut.
    #[test]
    fn cuts_keep_what_came_before(cut in 0usize..27063) {
        let json = fixture("nft-edge.json");
        let mut cut = cut.min(json.len());
        while !json.is_char_boundary(cut) { cut -= 1; }
        let part = &json[..cut];
        check_invariants(part);
        let parsed = nft::parse(part, Origin::START);
        let whole = nft::parse(&json, Origin::START);
        let complete_rules = whole.value.tables.iter()
            .flat_map(|t| t.chains.iter().flat_map(|c| c.rules.iter()))
            .filter(|r| r.span.end < cut)
            .count();
        prop_assert!(parsed.value.rule_count() >= complete_rules);
    }

    /// Arbitrary bytes spliced into a real listing never make the reader fail or point outside the text.
    #[test]
    fn edits_never_panic(at in 0usize..11682, junk in "[\\[\\]{}\":,0-9a-z@ ]{0,12}") {
        let json = fixture("kube-proxy-shapes.json");
        let mut at = at.min(json.len());
        while !json.is_char_boundary(at) { at -= 1; }
        let edited = format!("{}{}{}", &json[..at], junk, &json[at..]);
        check_invariants(&edited);
    }

    /// Any JSON value in the place of a rule's statement gives a tree or a diagnostic, never a panic.
    #[test]
    fn arbitrary_statements(stmt in arb_json(3)) {
        let text = format!(
            "{{\"nftables\": [{{\"rule\": {{\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\", \"expr\": [{stmt}]}}}}]}}"
        );
        check_invariants(&text);
    }
}

fn arb_json(depth: u32) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<u32>().prop_map(|n| n.to_string()),
        "[a-z@]{0,6}".prop_map(|s| format!("\"{s}\"")),
        prop_oneof![
            Just("\"match\""),
            Just("\"payload\""),
            Just("\"concat\""),
            Just("\"set\""),
            Just("\"map\""),
            Just("\"dnat\""),
            Just("\"vmap\""),
            Just("\"&\""),
            Just("\"elem\""),
        ]
        .prop_map(str::to_string),
    ];
    leaf.prop_recursive(depth, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("match"),
                        Just("op"),
                        Just("left"),
                        Just("right"),
                        Just("payload"),
                        Just("protocol"),
                        Just("field"),
                        Just("concat"),
                        Just("set"),
                        Just("map"),
                        Just("key"),
                        Just("data"),
                        Just("dnat"),
                        Just("addr"),
                        Just("port"),
                        Just("vmap"),
                        Just("numgen"),
                        Just("mod"),
                        Just("elem"),
                        Just("val"),
                        Just("mangle"),
                        Just("value"),
                        Just("prefix"),
                        Just("len"),
                        Just("range"),
                    ],
                    inner
                ),
                0..3
            )
            .prop_map(|kv| format!(
                "{{{}}}",
                kv.iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            )),
        ]
    })
}
