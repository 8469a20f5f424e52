//! Unit tests of the nft JSON reader: document framing, spans, cut pastes, limits and unknown statements.

use super::*;
use crate::nft::{ElementValue, Expr, Verdict};
use serde_json::Value;

const SMALL: &str = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}, {"table": {"family": "ip", "name": "kube-proxy", "handle": 1}}, {"map": {"family": "ip", "name": "service-ips", "table": "kube-proxy", "type": ["ipv4_addr", "inet_proto", "inet_service"], "handle": 3, "map": "verdict", "elem": [[{"concat": ["10.96.0.10", "tcp", 80]}, {"goto": {"target": "service-A"}}]]}}, {"chain": {"family": "ip", "table": "kube-proxy", "name": "nat-prerouting", "handle": 1, "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}}, {"chain": {"family": "ip", "table": "kube-proxy", "name": "service-A", "handle": 2}}, {"rule": {"family": "ip", "table": "kube-proxy", "chain": "nat-prerouting", "handle": 4, "expr": [{"vmap": {"key": {"concat": [{"payload": {"protocol": "ip", "field": "daddr"}}, {"meta": {"key": "l4proto"}}, {"payload": {"protocol": "th", "field": "dport"}}]}, "data": "@service-ips"}}]}}, {"rule": {"family": "ip", "table": "kube-proxy", "chain": "service-A", "handle": 5, "comment": "pick", "expr": [{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}}, {"frobnicate": {"x": 1}}, {"dnat": {"family": "ip", "addr": {"map": {"key": {"numgen": {"mode": "random", "mod": 2, "offset": 0}}, "data": {"set": [[0, {"concat": ["10.244.0.10", 9898]}], [1, {"concat": ["10.244.0.8", 9898]}]]}}}}}]}}]}"#;

fn parse_str(text: &str) -> Parsed<Ruleset> {
    parse(text, Origin::START)
}

#[test]
fn detects_json() {
    assert!(looks_like_json(SMALL));
    assert!(looks_like_json("\n  {\n  \"nftables\": [\n"));
    assert!(looks_like_json("\"nftables\": [ {\"table\": {}} ]"));
    assert!(!looks_like_json("table ip kube-proxy {\n}"));
    assert!(!looks_like_json("{ \"other\": 1 }"));
}

#[test]
fn reads_tables_chains_maps_and_rules() {
    let p = parse_str(SMALL);
    let t = p.value.table("ip", "kube-proxy").expect("table");
    assert_eq!(t.handle, Some(1));
    let base = t.chain("nat-prerouting").unwrap().base.as_ref().unwrap();
    assert_eq!(
        (base.kind.as_str(), base.hook.as_str(), base.priority),
        ("nat", "prerouting", Some(-100))
    );
    assert_eq!(base.priority_text, "dstnat");
    let map = t.set("service-ips").unwrap();
    assert!(map.is_map);
    assert_eq!(map.key_type, ["ipv4_addr", "inet_proto", "inet_service"]);
    assert_eq!(map.data_type.as_deref(), Some("verdict"));
    assert_eq!(map.elements.to_vec()[0].key, ["10.96.0.10", "tcp", "80"]);
    assert_eq!(
        map.elements.to_vec()[0].value,
        Some(ElementValue::Verdict(Verdict::Goto("service-A".into())))
    );
    let dispatch = &t.chain("nat-prerouting").unwrap().rules[0];
    assert_eq!(
        dispatch.text,
        "ip daddr . meta l4proto . th dport vmap @service-ips"
    );
    assert_eq!(dispatch.handle, Some(4));
    assert!(p.value.handles);
}

#[test]
fn unknown_statement_is_kept_with_its_byte_span() {
    let p = parse_str(SMALL);
    let rule = &p.value.tables[0].chain("service-A").unwrap().rules[0];
    assert_eq!(rule.comment.as_deref(), Some("pick"));
    assert!(rule.has_unknown());
    let Some(Expr::Unknown { text, span }) = rule.exprs.get(1) else {
        panic!("{:?}", rule.exprs)
    };
    assert_eq!(text, r#"{"frobnicate": {"x": 1}}"#);
    assert_eq!(&SMALL[span.start..span.end], text);
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.message.contains("frobnicate"))
        .expect("a diagnostic for the unknown statement");
    assert_eq!(d.span, *span);
    assert_eq!(d.line, 1);
    // The statements around it are still read.
    assert!(matches!(rule.exprs.first(), Some(Expr::Match(_))));
    assert!(rule.exprs.iter().any(|e| matches!(e, Expr::Nat(_))));
    assert_eq!(
        rule.text,
        format!(
            "meta l4proto tcp {} dnat ip to numgen random mod 2 map {{ 0 : 10.244.0.10 . 9898, 1 : 10.244.0.8 . 9898 }} comment \"pick\"",
            r#"{"frobnicate": {"x": 1}}"#
        )
    );
}

#[test]
fn a_cut_paste_keeps_what_came_before_the_cut() {
    for cut in [SMALL.len() / 3, SMALL.len() / 2, SMALL.len() - 3] {
        let p = parse_str(&SMALL[..cut]);
        assert!(!p.value.tables.is_empty(), "cut at {cut}");
        assert!(
            p.diagnostics.iter().any(|d| d.message.contains("cut off")),
            "cut at {cut}: {:?}",
            p.diagnostics
        );
    }
    // Every prefix reads without a panic.
    for cut in (0..SMALL.len()).filter(|&i| SMALL.is_char_boundary(i)) {
        let _ = parse_str(&SMALL[..cut]);
    }
}

#[test]
fn lines_and_spans_count_from_the_origin() {
    let pretty = "{\n  \"nftables\": [\n    {\"table\": {\"family\": \"ip\", \"name\": \"t\", \"handle\": 1}},\n    {\"chain\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"c\", \"handle\": 2}},\n    {\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\", \"handle\": 3, \"expr\": [{\"drop\": null}]}}\n  ]\n}\n";
    let origin = Origin {
        offset: 100,
        line: 10,
    };
    let p = parse(pretty, origin);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let chain = &p.value.tables[0].chains[0];
    assert_eq!(chain.line, 13);
    let rule = &chain.rules[0];
    assert_eq!(rule.line, 14);
    assert_eq!(
        &pretty[rule.span.start - 100..rule.span.end - 100],
        "{\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\", \"handle\": 3, \"expr\": [{\"drop\": null}]}}"
    );
    assert_eq!(rule.exprs, vec![Expr::Verdict(Verdict::Drop)]);
}

#[test]
fn broken_and_foreign_json_give_diagnostics() {
    for text in [
        "{}",
        "{\"nftables\": 3}",
        "{\"nftables\": [1, \"x\", null, [], {\"rule\": 5}, {\"rule\": {}}]}",
        "{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"t\"}} {\"table\": 1}]}",
        "{\"nftables\": [{\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\", \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {}}, \"right\": 1}}]}}]}",
        "{\"nftables\": [ ]} trailing words",
        "{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"t\"}} é]}",
        "{\"nftables\": [{\"table\": {\"family\": \"é\", \"name\": \"t\"é}}]}",
        "é{\"nftables\"",
        "{\"nftables\": [{\"set\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"s\", \"elem\": [{\"weird\": 1}]}}]}",
    ] {
        let p = parse_str(text);
        assert!(!p.diagnostics.is_empty(), "{text}");
        for d in &p.diagnostics {
            assert!(d.span.end <= text.len() && d.span.start <= d.span.end, "{text}: {d:?}");
        }
    }
}

#[test]
fn nesting_past_the_limit_is_refused() {
    let deep = format!(
        "{{\"nftables\": [{{\"rule\": {{\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\", \"expr\": [{}1{}]}}}}]}}",
        "[".repeat(MAX_JSON_DEPTH + 10),
        "]".repeat(MAX_JSON_DEPTH + 10)
    );
    let p = parse_str(&deep);
    assert!(p.value.tables.is_empty());
    assert!(p.diagnostics.iter().any(|d| d.message.contains("deeper")));
    // Far deeper than serde_json's own limit: still no crash.
    let very = format!(
        "{{\"nftables\": [{}{}]}}",
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    let p = parse_str(&very);
    assert!(!p.diagnostics.is_empty());
}

#[test]
fn set_timeouts_flags_and_element_attributes() {
    let text = r#"{"nftables": [{"set": {"family": "ip", "name": "affinity-X", "table": "kube-proxy", "type": "ipv4_addr", "handle": 14, "size": 65535, "flags": ["dynamic", "timeout"], "timeout": 10800, "elem": [{"elem": {"val": "10.0.0.7", "timeout": 10800, "expires": 10798, "comment": "a client"}}]}}, {"map": {"family": "ip", "name": "endpoints", "table": "kube-proxy", "type": ["ipv4_addr", "mark"], "map": ["ipv4_addr", "inet_service"], "elem": [[{"concat": ["10.96.0.30", 1]}, {"concat": ["10.244.2.2", 8080]}]]}}]}"#;
    let p = parse_str(text);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let t = &p.value.tables[0];
    let set = t.set("affinity-X").unwrap();
    assert_eq!(set.timeout.as_deref(), Some("3h"));
    assert_eq!(set.timeout_seconds, Some(10800));
    assert_eq!(set.flags, ["dynamic", "timeout"]);
    assert_eq!(set.size, Some(65535));
    let e = &set.elements.to_vec()[0];
    assert_eq!(e.key, ["10.0.0.7"]);
    assert_eq!(e.timeout.as_deref(), Some("3h"));
    assert_eq!(e.expires.as_deref(), Some("2h59m58s"));
    assert_eq!(e.comment.as_deref(), Some("a client"));
    let map = t.set("endpoints").unwrap();
    assert_eq!(map.data_type.as_deref(), Some("ipv4_addr . inet_service"));
    assert_eq!(map.elements.to_vec()[0].key, ["10.96.0.30", "0x00000001"]);
    assert_eq!(
        map.elements.to_vec()[0].value,
        Some(ElementValue::Data("10.244.2.2 . 8080".into()))
    );
}

#[test]
fn add_commands_and_element_objects() {
    let text = r#"{"nftables": [{"add": {"table": {"family": "ip", "name": "t"}}}, {"add": {"set": {"family": "ip", "table": "t", "name": "s", "type": "ipv4_addr"}}}, {"add": {"element": {"family": "ip", "table": "t", "name": "s", "elem": ["10.0.0.1", {"prefix": {"addr": "10.1.0.0", "len": 16}}]}}}, {"flush": {"chain": {"family": "ip", "table": "t", "name": "c"}}}]}"#;
    let p = parse_str(text);
    assert!(p.value.transaction);
    let set = p.value.table("ip", "t").unwrap().set("s").unwrap();
    let keys: Vec<_> = set.elements.iter().map(|e| e.key().join(".")).collect();
    assert_eq!(keys, ["10.0.0.1", "10.1.0.0/16"]);
    assert_eq!(p.value.commands.len(), 1);
    assert_eq!(p.value.commands[0].object, "chain");
}

#[test]
fn chains_whose_rules_were_cut_are_left_out() {
    // Cut inside the first rule of service-A: nat-prerouting has its rule, service-A's never came.
    let cut = SMALL
        .find("{\"rule\": {\"family\": \"ip\", \"table\": \"kube-proxy\", \"chain\": \"service-A\"")
        .unwrap()
        + 30;
    let p = parse_str(&SMALL[..cut]);
    let t = &p.value.tables[0];
    assert!(t.chain("nat-prerouting").is_some());
    assert!(t.chain("service-A").is_none(), "{:?}", t.chains);
    assert!(p
        .diagnostics
        .iter()
        .any(|d| d.message.contains("cut before the rules of 1 chain(s)")
            && d.message.contains("service-A")));
    // The whole document keeps every chain, empty ones too.
    let whole = parse_str(SMALL);
    assert_eq!(whole.value.tables[0].chains.len(), 2);
}

#[test]
fn objects_one_per_line_as_jq_prints_them() {
    let doc: Value = serde_json::from_str(SMALL).unwrap();
    let lines: Vec<String> = doc["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.to_string())
        .collect();
    let text = format!("{}\nuser@node:~$ \n", lines.join("\n"));
    assert!(looks_like_json(&text));
    let p = parse_str(&text);
    let whole = parse_str(SMALL);
    assert_eq!(p.value.rule_count(), whole.value.rule_count());
    assert_eq!(p.value.tables[0].sets, {
        let mut sets = whole.value.tables[0].sets.clone();
        for (a, b) in sets.iter_mut().zip(&p.value.tables[0].sets) {
            a.line = b.line;
            a.span = b.span;
            let mut elements = a.elements.to_vec();
            for (x, y) in elements.iter_mut().zip(b.elements.iter()) {
                x.line = y.line();
                x.span = y.span();
            }
            a.elements = elements.into_iter().collect();
        }
        sets
    });
    let rule = &p.value.tables[0].chain("service-A").unwrap().rules[0];
    assert_eq!(rule.line, lines.len() as u32);
    assert!(
        p.diagnostics.iter().any(|d| d
            .message
            .contains("not an nft JSON object, ignored: \"user@node:~$")),
        "{:?}",
        p.diagnostics
    );
    // A grep of some of those lines is read the same way.
    let some = format!("{}\n{}\n", lines[5], lines[6]);
    let p = parse_str(&some);
    assert_eq!(p.value.rule_count(), 2);
}
