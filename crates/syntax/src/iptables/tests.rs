//! Unit tests of the iptables-save parser.

use super::*;

fn one_rule(text: &str) -> Rule {
    let parsed = parse(&format!("*nat\n{text}\nCOMMIT\n"), Origin::START);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let table = &parsed.value.tables[0];
    table
        .chains
        .iter()
        .flat_map(|c| c.rules.iter())
        .next()
        .unwrap()
        .clone()
}

#[test]
fn iptables_save_order() {
    let r = one_rule(
        r#"-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU"#,
    );
    assert_eq!(
        r.basic(BasicKind::Destination).unwrap().value,
        "10.96.0.10/32"
    );
    assert_eq!(r.comment(), Some("kube-system/kube-dns:dns cluster IP"));
    assert_eq!(r.module("udp").unwrap().options[0].values[..], ["53"]);
    assert_eq!(r.target_name(), Some("KUBE-SVC-TCOU7JCQXEZGVUNU"));
}

#[test]
fn kube_proxy_order_and_negation() {
    let r = one_rule(
        r#"-A KUBE-SVC-X -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ"#,
    );
    let s = r.basic(BasicKind::Source).unwrap();
    assert!(s.negated);
    assert_eq!(s.value, "10.0.0.0/8");
    assert_eq!(r.module("tcp").unwrap().options[0].name, "dport");
}

#[test]
fn implicit_protocol_module() {
    let r = one_rule(r#"-A X -p tcp -m comment --comment c --dport 80 -j ACCEPT"#);
    let tcp = r.module("tcp").unwrap();
    assert!(!tcp.explicit);
    assert_eq!(tcp.options[0].values[..], ["80"]);
}

#[test]
fn counters_and_target_options() {
    let parsed = parse(
        "*nat\n[5:300] -A KUBE-SEP-X -p tcp -m tcp -j DNAT --to-destination 10.1.2.3:80\nCOMMIT\n",
        Origin::START,
    );
    let r = &parsed.value.tables[0].chain("KUBE-SEP-X").unwrap().rules[0];
    assert_eq!(
        r.counters,
        Some(Counters {
            packets: 5,
            bytes: 300
        })
    );
    assert_eq!(
        r.target
            .as_ref()
            .unwrap()
            .option("to-destination")
            .unwrap()
            .value(),
        Some("10.1.2.3:80")
    );
}

#[test]
fn quoted_comment_with_escapes() {
    let r = one_rule(r#"-A X -m comment --comment "say \"hi\" now" -j RETURN"#);
    assert_eq!(r.comment(), Some(r#"say "hi" now"#));
}

#[test]
fn recent_and_statistic() {
    let r = one_rule("-A X -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-A --mask 255.255.255.255 --rsource -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-A");
    let recent = r.module("recent").unwrap();
    assert_eq!(
        recent
            .options
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["rcheck", "seconds", "reap", "name", "mask", "rsource"]
    );
    assert_eq!(
        r.option("probability").unwrap().value(),
        Some("0.33333333349")
    );
}

#[test]
fn fragments_infer_tables() {
    let parsed = parse(
        "-A KUBE-SVC-A -j KUBE-SEP-B\n-A KUBE-FORWARD -j ACCEPT\n",
        Origin::START,
    );
    let names: Vec<_> = parsed
        .value
        .tables
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, ["nat", "filter"]);
    assert_eq!(parsed.diagnostics.len(), 1);
}

#[test]
fn garbage_becomes_a_diagnostic_with_its_line() {
    let parsed = parse(
        "*nat\niptables-save: invalid option -- 'L'\nCOMMIT\n",
        Origin {
            offset: 0,
            line: 10,
        },
    );
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].line, 11);
}

#[test]
fn cut_off_quote_is_reported() {
    let parsed = parse("*nat\n-A X -m comment --comment \"cut off\n", Origin::START);
    assert_eq!(parsed.diagnostics[0].line, 2);
    assert!(parsed.diagnostics[0].message.contains("not closed"));
}

#[test]
fn an_option_name_with_spaces_renders_quoted() {
    // Found by fuzz target iptables_roundtrip: a quoted word that starts with `--` is an option whose
    // name holds a space and a quote; it was written back bare and the result did not tokenize.
    let words = tokenize(r#"-m comment "--src-type- LOCAL \"x" -j DROP"#).unwrap();
    let (rule, _) = build_rule(&words);
    let rendered = render_rule(&rule);
    let again = build_rule(&tokenize(&rendered).unwrap()).0;
    assert_eq!(rule, again, "{rendered}");
}

#[test]
fn quoted_values_that_look_like_options_stay_values() {
    // Found by the round-trip property test: `--comment "- "` lost its value, read as a short
    // option. A quoted word after an option is its value, as getopt hands it over; written back, it
    // is quoted again.
    for comment in ["- ", "--x", "!", "-m", ""] {
        let text = format!(r#"-m comment --comment "{comment}" -j ACCEPT"#);
        let (rule, problems) = build_rule(&tokenize(&text).unwrap());
        assert!(problems.is_empty(), "{text}: {problems:?}");
        assert_eq!(rule.comment(), Some(comment), "{text}");
        let rendered = render_rule(&rule);
        let (again, problems) = build_rule(&tokenize(&rendered).unwrap());
        assert!(problems.is_empty(), "{rendered}: {problems:?}");
        assert_eq!(rule, again, "{rendered}");
    }
    // Found by fuzz target iptables_roundtrip: an option name written back quoted (it holds a
    // backslash) after an option that takes any number of values stays an option.
    let text = r#"-m comment --comment-m tc --do\y -j ACCEPT"#;
    let (rule, _) = build_rule(&tokenize(text).unwrap());
    let again = build_rule(&tokenize(&render_rule(&rule)).unwrap()).0;
    assert_eq!(rule, again);
    assert_eq!(rule.modules[0].options.len(), 2, "{rule:?}");
    // Found by fuzz target iptables_roundtrip: counters given with `-c` are written back.
    let (rule, problems) = build_rule(&tokenize("-c 0 11").unwrap());
    assert!(problems.is_empty());
    assert_eq!(render_rule(&rule), "-c 0 11");
    // Unquoted, `!` is still a negation and `-m` the next module.
    let (rule, _) = build_rule(&tokenize("-m comment ! --comment x -j ACCEPT").unwrap());
    assert!(rule.option("comment").unwrap().negated);
}

#[test]
fn render_then_parse_is_identity() {
    let text = r#"! -s 10.0.0.0/8 -d 10.96.0.1/32 -p tcp -m comment --comment "a b" -m tcp --dport 443 -j KUBE-MARK-MASQ"#;
    let words = tokenize(text).unwrap();
    let (rule, problems) = build_rule(&words);
    assert!(problems.is_empty());
    let again = build_rule(&tokenize(&render_rule(&rule)).unwrap()).0;
    assert_eq!(rule, again);
}

#[test]
fn spanned_words_and_the_layout_point_at_each_part_of_the_rule() {
    let line = r#"-A KUBE-SVC-X -m comment --comment "a \"b\" c" -m statistic --mode random ! --probability 0.3 -s ! 10.0.0.0/8 -j KUBE-SEP-A"#;
    let spanned = tokenize_spanned(line);
    assert_eq!(spanned.unclosed, None);
    for w in &spanned.words {
        let raw = &line[w.start..w.end];
        if w.token.quoted {
            assert!(raw.starts_with('"') && raw.ends_with('"'), "{raw}");
        } else {
            assert_eq!(raw, w.token.text);
        }
    }
    // The same words as the parser's own tokenizer.
    let plain: Vec<Token<'_>> = spanned.words.iter().map(|w| w.token.clone()).collect();
    assert_eq!(plain, tokenize(line).unwrap());
    let words = &spanned.words[2..];
    let (rule, problems, layout) = build_rule_with_layout(words);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(rule, build_rule(words).0);
    let text = |c: &Clause| &line[words[c.words.start].start..words[c.words.end - 1].end];
    let texts: Vec<(RulePart, &str)> = layout.iter().map(|c| (c.part, text(c))).collect();
    assert_eq!(
        texts,
        [
            (RulePart::Module(0), "-m comment"),
            (
                RulePart::ModuleOption {
                    module: 0,
                    option: 0
                },
                r#"--comment "a \"b\" c""#
            ),
            (RulePart::Module(1), "-m statistic"),
            (
                RulePart::ModuleOption {
                    module: 1,
                    option: 0
                },
                "--mode random"
            ),
            (
                RulePart::ModuleOption {
                    module: 1,
                    option: 1
                },
                "! --probability 0.3"
            ),
            (RulePart::Basic(0), "-s ! 10.0.0.0/8"),
            (RulePart::Target, "-j KUBE-SEP-A"),
        ]
    );
    assert!(rule.modules[1].options[1].negated && rule.basics[0].negated);
    // A line cut inside a quote keeps the words before it.
    let cut = tokenize_spanned(r#"-A X -m comment --comment "cut"#);
    assert_eq!(cut.words.len(), 5);
    assert_eq!(cut.unclosed, Some(26));
}

/// The port of a `--to-destination`: after `]` for a bracketed IPv6 address, after the one colon of
/// an IPv4 address, none for a bare IPv6 address; each part of a range a number up to 65535.
#[test]
fn nat_target_ports_out_of_range_are_reported() {
    let problems = |to: &str| {
        let parsed = parse(
            &format!("*nat\n-A KUBE-SEP-X -p tcp -j DNAT --to-destination {to}\nCOMMIT\n"),
            Origin::START,
        );
        parsed
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
    };
    for fine in [
        "10.0.0.1:80",
        "10.0.0.1:80-90",
        "[fd00::1]:8080",
        "fd00::1",
        "fd00::1:2",
        "10.0.0.1",
    ] {
        assert_eq!(problems(fine), Vec::<String>::new(), "{fine}");
    }
    for (bad, part) in [
        ("10.0.0.1:99999", "99999"),
        ("10.0.0.1:80-", ""),
        ("[fd00::1]:70000", "70000"),
        ("[fd00::1]:1-x", "x"),
    ] {
        let found = problems(bad);
        assert_eq!(found.len(), 1, "{bad}: {found:?}");
        assert!(
            found[0].contains(&format!(
                "{}: {} is not a port number",
                quote(bad),
                quote(part)
            )),
            "{bad}: {found:?}"
        );
    }
}
