//! The nft parser against the real corpus (`nft -f` transactions and `nft list` output), plus its invariants.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use proptest::prelude::*;
use svcpath_syntax::diag::Severity;
use svcpath_syntax::nft::{self, ElementValue, Expr, MapRef, Ruleset, Value, Verdict};
use svcpath_syntax::source::count_lines;
use svcpath_syntax::Origin;

fn corpus(name: &str) -> String {
    svcpath_testkit::corpus::read(format!("nft/{name}"))
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/nft/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const CORPUS: &[&str] = &[
    "k8s-test-TestOverallNFTablesRules.txt",
    "repo-notes-k3s-nftables-mode-nft-list-table-kube-proxy.txt",
    "calico-8025-k3s-nft-list-ruleset-iptables-nft-KUBE-chains-TRUNCATED.txt",
    "saifsust-DevOps-iptables-nft-KUBE-SERVICES-nft-list-fragment.txt",
];

const FIXTURES: &[&str] = &[
    "overall-nftables-rules-nft-a-list-ruleset.txt",
    "overall-iptables-rules-iptables-nft-nft-list-ruleset.txt",
];

/// A short, readable rendering of one expression.
fn render_expr(e: &Expr) -> String {
    match e {
        Expr::Match(m) => {
            let op = match m.op {
                nft::Op::Eq => "==",
                nft::Op::Ne => "!=",
                nft::Op::Lt => "<",
                nft::Op::Gt => ">",
                nft::Op::Le => "<=",
                nft::Op::Ge => ">=",
            };
            let left = match &m.left.bitwise {
                Some(b) => format!("{} {b}", m.left.text()),
                None => m.left.text(),
            };
            let right = match &m.right {
                Value::Single(v) => v.clone(),
                Value::List(v) => v.join(","),
                Value::SetRef(s) => format!("@{s}"),
                Value::Set(els) => format!(
                    "{{{}}}",
                    els.iter()
                        .map(|e| e.key().join(" . "))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            format!("[{left} {op} {right}]")
        }
        Expr::Lookup(l) => {
            let map = match &l.map {
                MapRef::Named(n) => format!("@{n}"),
                MapRef::Anonymous(els) => format!(
                    "{{{}}}",
                    els.iter()
                        .map(|e| format!(
                            "{}: {}",
                            e.key().join(" . "),
                            render_value(e.value().map(|v| v.to_owned()).as_ref())
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            format!(
                "[{} {} {map}]",
                l.key.text(),
                if l.verdict_map { "vmap" } else { "map" }
            )
        }
        Expr::Counter(c) => format!("counter({},{})", c.packets, c.bytes),
        Expr::Verdict(v) => v.text(),
        Expr::Reject { with } => format!(
            "reject{}",
            with.as_ref()
                .map(|w| format!(" with {w}"))
                .unwrap_or_default()
        ),
        Expr::Nat(n) => format!("{:?}({:?}:{:?} {:?})", n.kind, n.address, n.port, n.flags),
        Expr::Assign { target, value } => format!("{target} := {value}"),
        Expr::SetUpdate { op, set, key } => format!("{op} @{set} {{{key}}}"),
        Expr::Xt { what, name } => format!("xt {what} {name}"),
        Expr::Statement { name, args } => format!("{name}({args})"),
        Expr::Unknown { text, .. } => format!("UNKNOWN({text})"),
    }
}

fn render_value(v: Option<&ElementValue>) -> String {
    match v {
        Some(ElementValue::Verdict(v)) => v.text(),
        Some(ElementValue::Data(d)) => d.clone(),
        None => "-".into(),
    }
}

/// Every table, set, element, chain and rule with its line, one per line.
fn summary(rs: &Ruleset) -> String {
    let mut out = String::new();
    for t in &rs.tables {
        out += &format!(
            "table {} line={:?} handle={:?} comment={:?}\n",
            t.label(),
            t.line,
            t.handle,
            t.comment
        );
        for s in &t.sets {
            out += &format!(
                "  {} {} line={} type={}{} flags={:?} timeout_seconds={:?} comment={:?}\n",
                if s.is_map { "map" } else { "set" },
                s.name,
                s.line,
                s.key_type.join(" . "),
                s.data_type
                    .as_ref()
                    .map(|d| format!(" : {d}"))
                    .unwrap_or_default(),
                s.flags,
                s.timeout_seconds,
                s.comment
            );
            for e in &s.elements {
                out += &format!(
                    "    L{} {}{}{}\n",
                    e.line(),
                    e.key().join(" . "),
                    e.comment()
                        .as_ref()
                        .map(|c| format!(" comment {c:?}"))
                        .unwrap_or_default(),
                    e.value()
                        .as_ref()
                        .map(|v| format!(" : {}", render_value(Some(&nft::ValueRef::to_owned(*v)))))
                        .unwrap_or_default()
                );
            }
        }
        for c in &t.chains {
            out += &format!("  chain {} line={} handle={:?}", c.name, c.line, c.handle);
            if let Some(b) = &c.base {
                out += &format!(
                    " [{} hook {} priority {:?}={:?} policy {:?}]",
                    b.kind, b.hook, b.priority_text, b.priority, b.policy
                );
            }
            out += "\n";
            for r in &c.rules {
                let exprs: Vec<String> = r.exprs.iter().map(render_expr).collect();
                out += &format!(
                    "    L{} h={:?} {}{}\n",
                    r.line,
                    r.handle,
                    exprs.join(" "),
                    r.comment
                        .as_ref()
                        .map(|c| format!(" comment {c:?}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    for c in &rs.commands {
        out += &format!("command L{} {} {}\n", c.line, c.verb, c.object);
    }
    for w in &rs.iptables_nft_warnings {
        out += &format!("iptables-nft table {} (line {})\n", w.table, w.line);
    }
    out
}

/// Checks that every position the parser reports lies inside the section.
fn assert_positions_inside(text: &str, origin: Origin, parsed: &svcpath_syntax::Parsed<Ruleset>) {
    let end = origin.offset + text.len();
    let last_line = origin.line + count_lines(text).max(1) - 1;
    let in_span =
        |s: svcpath_syntax::Span| s.start >= origin.offset && s.start <= s.end && s.end <= end;
    let in_lines = |l: u32| l >= origin.line && l <= last_line;
    for d in &parsed.diagnostics {
        assert!(
            in_span(d.span),
            "diagnostic span {:?} outside {}..{end}: {}",
            d.span,
            origin.offset,
            d.message
        );
        assert!(
            in_lines(d.line),
            "diagnostic line {} outside: {}",
            d.line,
            d.message
        );
    }
    for t in &parsed.value.tables {
        if let Some(l) = t.line {
            assert!(in_lines(l));
        }
        for s in &t.sets {
            assert!(in_span(s.span) && in_lines(s.line));
            for e in &s.elements {
                assert!(in_span(e.span()) && in_lines(e.line()));
            }
        }
        for c in &t.chains {
            assert!(
                in_span(c.span) && in_lines(c.line),
                "chain {} {:?}",
                c.name,
                c.span
            );
            for r in &c.rules {
                assert!(in_span(r.span) && in_lines(r.line), "rule {:?}", r);
                assert_eq!(
                    r.text,
                    text[r.span.start - origin.offset..r.span.end - origin.offset]
                );
                for e in &r.exprs {
                    if let Expr::Unknown { span, .. } = e {
                        assert!(in_span(*span));
                    }
                }
            }
        }
    }
}

fn unknowns(rs: &Ruleset) -> Vec<String> {
    rs.tables
        .iter()
        .flat_map(|t| t.chains.iter())
        .flat_map(|c| c.rules.iter())
        .flat_map(|r| r.exprs.iter())
        .filter_map(|e| match e {
            Expr::Unknown { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_corpus_file_parses_completely() {
    for name in CORPUS {
        let text = corpus(name);
        let origin = Origin {
            offset: 1000,
            line: 40,
        };
        let parsed = nft::parse(&text, origin);
        assert_positions_inside(&text, origin, &parsed);
        assert!(
            unknowns(&parsed.value).is_empty(),
            "{name}: {:?}",
            unknowns(&parsed.value)
        );
        let serious: Vec<_> = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity != Severity::Info)
            .collect();
        assert!(serious.is_empty(), "{name}: {serious:?}");
    }
    for name in FIXTURES {
        let text = fixture(name);
        let parsed = nft::parse(&text, Origin::START);
        assert_positions_inside(&text, Origin::START, &parsed);
        assert!(
            unknowns(&parsed.value).is_empty(),
            "{name}: {:?}",
            unknowns(&parsed.value)
        );
        assert!(
            parsed.diagnostics.is_empty(),
            "{name}: {:?}",
            parsed.diagnostics
        );
    }
}

#[test]
fn kube_proxy_test_transaction() {
    let parsed = nft::parse(&corpus(CORPUS[0]), Origin::START);
    assert!(parsed.value.transaction);
    insta::assert_snapshot!("nft_k8s_test_transaction", summary(&parsed.value));
}

#[test]
fn k3s_nft_list_table() {
    let parsed = nft::parse(&corpus(CORPUS[1]), Origin::START);
    assert!(!parsed.value.transaction);
    insta::assert_snapshot!("nft_k3s_list_table", summary(&parsed.value));
}

#[test]
fn iptables_nft_fragments() {
    let calico = nft::parse(&corpus(CORPUS[2]), Origin::START);
    insta::assert_snapshot!("nft_calico_iptables_nft_fragment", summary(&calico.value));
    insta::assert_json_snapshot!(
        "nft_calico_iptables_nft_fragment_json",
        calico.value.tables[0].chains[1]
    );
    let saifsust = nft::parse(&corpus(CORPUS[3]), Origin::START);
    insta::assert_snapshot!(
        "nft_saifsust_iptables_nft_fragment",
        summary(&saifsust.value)
    );
    // The poster listed KUBE-SERVICES of two nodes; both listings are kept, and a note says so.
    assert_eq!(saifsust.value.tables[0].chains[0].rules.len(), 10);
    assert_eq!(saifsust.diagnostics.len(), 1);
    assert_eq!(saifsust.diagnostics[0].line, 13);
}

#[test]
fn nft_a_listing_keeps_handles_and_normalised_values() {
    let parsed = nft::parse(&fixture(FIXTURES[0]), Origin::START);
    assert!(parsed.value.handles);
    let table = parsed.value.table("ip", "kube-proxy").unwrap();
    assert_eq!(table.handle, Some(2));
    let affinity = table
        .set("affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80")
        .unwrap();
    assert_eq!(affinity.timeout.as_deref(), Some("3h"));
    assert_eq!(affinity.timeout_seconds, Some(10800));
    assert_eq!(affinity.flags, ["dynamic", "timeout"]);
    let services = table.chain("services").unwrap();
    assert!(services.handle.is_some());
    assert!(services.rules.iter().all(|r| r.handle.is_some()));
    // `nft -a` prints the transaction's `priority -110` of the prerouting filter chain as `dstnat - 10`.
    let pre = table
        .chain("filter-prerouting-pre-dnat")
        .unwrap()
        .base
        .as_ref()
        .unwrap();
    assert_eq!(
        (pre.priority_text.as_str(), pre.priority),
        ("dstnat - 10", Some(-110))
    );
    insta::assert_snapshot!("nft_a_fixture", summary(&parsed.value));
}

#[test]
fn iptables_nft_listing_fixture() {
    let parsed = nft::parse(&fixture(FIXTURES[1]), Origin::START);
    let names: Vec<String> = parsed
        .value
        .iptables_nft_warnings
        .iter()
        .map(|w| w.table.clone())
        .collect();
    assert_eq!(names, ["ip filter", "ip nat"]);
    let nat = parsed.value.table("ip", "nat").unwrap();
    let svc = nat.chain("KUBE-SVC-4SW47YFZTEDKD3PK").unwrap();
    let Expr::Match(m) = &svc.rules[1].exprs[0] else {
        panic!("{:?}", svc.rules[1])
    };
    assert_eq!(m.left.text(), "meta random");
    assert_eq!(m.left.bitwise.as_deref(), Some("& 2147483647"));
    assert_eq!(m.right, Value::Single("1073741824".into()));
    assert_eq!(
        svc.rules[1].verdict(),
        Some(&Verdict::Jump("KUBE-SEP-UKSFD7AGPMPPLUHC".into()))
    );
    insta::assert_snapshot!("nft_iptables_nft_fixture", summary(&parsed.value));
}

#[test]
fn transactions_apply_flush_and_delete_in_order() {
    let text = "\
add table ip t
add chain ip t c
add rule ip t c jump a
add rule ip t c jump b
flush chain ip t c
add rule ip t c jump d
add map ip t m { type ipv4_addr . inet_proto . inet_service : verdict ; }
add element ip t m { 1.2.3.4 . tcp . 80 : goto c, 5.6.7.8 . tcp . 80 : drop }
delete element ip t m { 1.2.3.4 . tcp . 80 }
add chain ip t gone
delete chain ip t gone
insert rule ip t c jump first
";
    let parsed = nft::parse(text, Origin::START);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let t = parsed.value.table("ip", "t").unwrap();
    let rules: Vec<String> = t
        .chain("c")
        .unwrap()
        .rules
        .iter()
        .map(|r| r.text.clone())
        .collect();
    assert_eq!(rules, ["jump first", "jump d"]);
    assert!(t.chain("gone").is_none());
    let m = t.set("m").unwrap();
    assert!(m.is_map);
    assert_eq!(m.elements.len(), 1);
    assert_eq!(
        m.elements.first().unwrap().key().to_vec(),
        ["5.6.7.8", "tcp", "80"]
    );
    assert_eq!(m.elements.first().unwrap().line(), 8);
    let verbs: Vec<(u32, &str, &str)> = parsed
        .value
        .commands
        .iter()
        .map(|c| (c.line, c.verb.as_str(), c.object.as_str()))
        .collect();
    assert_eq!(
        verbs,
        [
            (5, "flush", "chain"),
            (9, "delete", "element"),
            (11, "delete", "chain")
        ]
    );
}

#[test]
fn unknown_expressions_are_kept_and_reported() {
    let text = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tiifname \"lo\" accept\n\t\tfrobnicate 3 counter accept\n\t}\n}\n";
    let parsed = nft::parse(
        text,
        Origin {
            offset: 50,
            line: 10,
        },
    );
    let chain = &parsed.value.tables[0].chains[0];
    assert_eq!(chain.base.as_ref().unwrap().policy.as_deref(), Some("drop"));
    assert_eq!(chain.rules.len(), 2);
    assert_eq!(chain.rules[1].line, 14);
    assert!(
        matches!(&chain.rules[1].exprs[0], Expr::Unknown { text, .. } if text == "frobnicate 3")
    );
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].line, 14);
    assert_eq!(parsed.diagnostics[0].severity, Severity::Warning);
    let span = parsed.diagnostics[0].span;
    assert_eq!(&text[span.start - 50..span.end - 50], "frobnicate 3");
}

#[test]
fn a_cut_off_listing_still_gives_what_it_shows() {
    // The paste ends inside a chain, and a chain that was never closed is followed by the next one.
    let text =
        "table ip kube-proxy {\n\tchain a {\n\t\tjump b\n\tchain b {\n\t\tip daddr 10.0.0.1 drop\n";
    let parsed = nft::parse(text, Origin::START);
    let t = &parsed.value.tables[0];
    assert_eq!(t.chains.len(), 2);
    assert_eq!(t.chains[1].rules.len(), 1);
    let lines: Vec<u32> = parsed.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, [4, 4, 1]);
}

#[test]
fn multi_line_elements_in_a_transaction() {
    let text = "add element ip kube-proxy cluster-ips {\n  10.0.0.1,\n  10.0.0.2\n}\nadd rule ip kube-proxy x ip daddr @cluster-ips reject\n";
    let parsed = nft::parse(text, Origin::START);
    let t = &parsed.value.tables[0];
    let keys: Vec<(u32, String)> = t.sets[0]
        .elements
        .iter()
        .map(|e| (e.line(), e.key().join("")))
        .collect();
    assert_eq!(
        keys,
        [(2, "10.0.0.1".to_string()), (3, "10.0.0.2".to_string())]
    );
    assert_eq!(t.chains[0].rules[0].line, 5);
}

fn nft_like() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("table"),
        Just("ip"),
        Just("kube-proxy"),
        Just("chain"),
        Just("set"),
        Just("map"),
        Just("{"),
        Just("}"),
        Just(";"),
        Just(","),
        Just("\n"),
        Just("add"),
        Just("rule"),
        Just("element"),
        Just("flush"),
        Just("delete"),
        Just("elements"),
        Just("="),
        Just("type"),
        Just("hook"),
        Just("priority"),
        Just("dstnat"),
        Just("-"),
        Just("10"),
        Just("vmap"),
        Just("@m"),
        Just("numgen"),
        Just("random"),
        Just("mod"),
        Just(":"),
        Just("goto"),
        Just("x"),
        Just("."),
        Just("dnat"),
        Just("to"),
        Just("1.2.3.4:80"),
        Just("\"c"),
        Just("\""),
        Just("# handle 3"),
        Just("counter"),
        Just("packets"),
        Just("meta"),
        Just("mark"),
        Just("&"),
        Just("=="),
        Just("!="),
        Just("ct"),
        Just("state"),
        Just("fib"),
        Just("xt"),
        Just("update"),
        Just("\\"),
        Just("\r\n"),
        Just("é"),
    ];
    prop::collection::vec(word, 0..80).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn never_panics_and_spans_stay_inside(text in "\\PC{0,300}", offset in 0usize..1000, line in 1u32..1000) {
        let origin = Origin { offset, line };
        let parsed = nft::parse(&text, origin);
        assert_positions_inside(&text, origin, &parsed);
    }

    #[test]
    fn nft_like_soup_never_panics(text in nft_like(), offset in 0usize..100) {
        let origin = Origin { offset, line: 3 };
        let parsed = nft::parse(&text, origin);
        assert_positions_inside(&text, origin, &parsed);
    }

    #[test]
    fn corpus_cut_anywhere_never_panics(cut in 0usize..20_000, which in 0usize..4) {
        let text = corpus(CORPUS[which]);
        let mut cut = cut.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let part = &text[..cut];
        let parsed = nft::parse(part, Origin::START);
        assert_positions_inside(part, Origin::START, &parsed);
    }
}

/// Words that make up set elements, with line ends between them.
fn element_soup() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("10.0.0.1"),
        Just("fd00::1"),
        Just("."),
        Just("tcp"),
        Just("80"),
        Just("1-5"),
        Just(":"),
        Just("goto"),
        Just("svc-a"),
        Just("accept"),
        Just(","),
        Just(",\n"),
        Just("\n"),
        Just("comment"),
        Just("\"a, b\""),
        Just("timeout"),
        Just("3h"),
        Just("expires"),
        Just("counter"),
        Just("packets"),
        Just("bytes"),
        Just("7"),
        Just("# note"),
    ];
    prop::collection::vec(word, 0..40).prop_map(|w| w.join(" "))
}

/// The elements of the set `s` as comparable text (lines differ between the two forms).
fn element_texts(rs: &Ruleset) -> Vec<String> {
    rs.tables
        .iter()
        .flat_map(|t| &t.sets)
        .filter(|s| s.name == "s")
        .flat_map(|s| s.elements.iter())
        .map(|e| {
            let mut e = e.to_element();
            e.line = 0;
            e.span = Default::default();
            format!("{e:?}")
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// `elements = { … }` in a set block is read element by element as the tokens come; `add element`
    /// reads the statement's tokens whole. Both give the same elements, however the lines break.
    #[test]
    fn elements_read_as_they_come_equal_elements_read_whole(body in element_soup()) {
        let block = format!("table ip t {{\n set s {{\n  type ipv4_addr\n  elements = {{ {body} }}\n }}\n}}\n");
        let command = format!("add table ip t\nadd set ip t s {{ type ipv4_addr ; }}\nadd element ip t s {{ {body} }}\n");
        let a = nft::parse(&block, Origin::START);
        let b = nft::parse(&command, Origin::START);
        prop_assert_eq!(element_texts(&a.value), element_texts(&b.value));
    }
}
