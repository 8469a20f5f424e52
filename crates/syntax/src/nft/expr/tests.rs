//! Unit tests of the nft rule expression parser.

use super::*;

#[test]
fn dnat_through_a_numgen_map() {
    let exprs = parse_rule_text(
        "meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.244.0.10 . 9898, 1 : 10.244.0.8 . 9898 }",
    );
    assert_eq!(exprs.len(), 2, "{exprs:?}");
    let Expr::Nat(n) = &exprs[1] else {
        panic!("{exprs:?}")
    };
    assert_eq!(n.kind, NatKind::Dnat);
    assert_eq!(n.family.as_deref(), Some("ip"));
    let map = n.map.as_ref().expect("a NAT map");
    assert_eq!(map.key.numgen.map(|g| g.modulus), Some(2));
    let MapRef::Anonymous(els) = &map.map else {
        panic!()
    };
    assert_eq!(els.len(), 2);
    assert_eq!(els.to_vec()[0].key, ["0"]);
    assert_eq!(
        els.to_vec()[1].value,
        Some(ElementValue::Data("10.244.0.8 . 9898".to_string()))
    );
    assert_eq!(n.address, None);
}

#[test]
fn dnat_through_a_named_map_with_a_ct_mark_key() {
    let exprs = parse_rule_text(
        "dnat ip to ct mark . ip daddr . meta l4proto . th dport map @endpoints-tcp",
    );
    let Expr::Nat(n) = &exprs[0] else {
        panic!("{exprs:?}")
    };
    let map = n.map.as_ref().expect("a NAT map");
    assert_eq!(
        map.key.parts,
        ["ct mark", "ip daddr", "meta l4proto", "th dport"]
    );
    assert_eq!(map.map, MapRef::Named("endpoints-tcp".to_string()));
    assert!(!exprs.iter().any(|e| matches!(e, Expr::Unknown { .. })));
}

#[test]
fn dnat_to_concatenated_address_and_port() {
    let exprs = parse_rule_text("meta l4proto tcp dnat ip to 10.244.0.8 . 9898");
    let Expr::Nat(n) = &exprs[1] else {
        panic!("{exprs:?}")
    };
    assert_eq!(n.address.as_deref(), Some("10.244.0.8"));
    assert_eq!(n.port, Some(9898));
    assert!(n.map.is_none());
    let v6 = parse_rule_text("dnat ip6 to [fd00:10::3]:9898");
    let Expr::Nat(n) = &v6[0] else {
        panic!("{v6:?}")
    };
    assert_eq!(n.address.as_deref(), Some("fd00:10::3"));
    assert_eq!(n.port, Some(9898));
}

#[test]
fn kube_proxy_dispatch_rule() {
    let exprs = parse_rule_text("ip daddr . meta l4proto . th dport vmap @service-ips");
    let Expr::Lookup(l) = &exprs[0] else {
        panic!("{exprs:?}")
    };
    assert_eq!(l.key.parts, ["ip daddr", "meta l4proto", "th dport"]);
    assert!(l.verdict_map);
    assert_eq!(l.map, MapRef::Named("service-ips".into()));
}

#[test]
fn numgen_vmap() {
    let exprs = parse_rule_text(
        "numgen random mod 2 vmap { 0 : goto endpoint-A/80, 1 : goto endpoint-B/80 }",
    );
    let Expr::Lookup(l) = &exprs[0] else {
        panic!("{exprs:?}")
    };
    assert_eq!(
        l.key.numgen,
        Some(Numgen {
            random: true,
            modulus: 2,
            offset: 0
        })
    );
    let MapRef::Anonymous(els) = &l.map else {
        panic!()
    };
    assert_eq!(els.len(), 2);
    assert_eq!(els.to_vec()[1].key, ["1"]);
    assert_eq!(
        els.to_vec()[1].verdict(),
        Some(&Verdict::Goto("endpoint-B/80".into()))
    );
}

#[test]
fn matches_counters_and_nat() {
    let exprs = parse_rule_text("meta l4proto tcp ip saddr != 10.42.0.0/16 ip daddr 10.43.23.129  tcp dport 443 counter packets 3 bytes 180 dnat to 10.42.0.10:10250 fully-random");
    assert_eq!(exprs.len(), 6, "{exprs:?}");
    let Expr::Match(m) = &exprs[1] else { panic!() };
    assert_eq!(m.op, Op::Ne);
    assert_eq!(m.right, Value::Single("10.42.0.0/16".into()));
    assert_eq!(
        exprs[4],
        Expr::Counter(Counter {
            packets: 3,
            bytes: 180
        })
    );
    let Expr::Nat(n) = &exprs[5] else { panic!() };
    assert_eq!(n.address.as_deref(), Some("10.42.0.10"));
    assert_eq!(n.port, Some(10250));
    assert_eq!(n.flags, ["fully-random"]);
}

#[test]
fn marks_and_random() {
    let exprs = parse_rule_text("meta mark & 0x00004000 == 0x00000000 return");
    let Expr::Match(m) = &exprs[0] else { panic!() };
    assert_eq!(m.left.bitwise.as_deref(), Some("& 0x00004000"));
    assert_eq!(m.right, Value::Single("0x00000000".into()));
    let exprs = parse_rule_text("mark set mark or 0x4000");
    assert_eq!(
        exprs,
        vec![Expr::Assign {
            target: "mark".into(),
            value: "mark or 0x4000".into()
        }]
    );
    let exprs = parse_rule_text(
        " meta random & 2147483647 < 1073741824 counter packets 0 bytes 0 jump KUBE-SEP-X",
    );
    let Expr::Match(m) = &exprs[0] else { panic!() };
    assert_eq!(m.op, Op::Lt);
    assert_eq!(exprs[2], Expr::Verdict(Verdict::Jump("KUBE-SEP-X".into())));
}

#[test]
fn affinity_update_and_anonymous_sets() {
    let exprs = parse_rule_text("update @affinity-X { ip saddr }");
    assert_eq!(
        exprs,
        vec![Expr::SetUpdate {
            op: "update".into(),
            set: "affinity-X".into(),
            key: "ip saddr".into()
        }]
    );
    let exprs = parse_rule_text("ip saddr != { 203.0.113.0/25, 5.6.7.8 } drop");
    let Expr::Match(m) = &exprs[0] else { panic!() };
    assert_eq!(m.right.values(), ["203.0.113.0/25", "5.6.7.8"]);
}

#[test]
fn fib_ct_and_lists() {
    let exprs = parse_rule_text(
        "fib saddr type local jump mark-for-masquerade comment \"masquerade local traffic\"",
    );
    let Expr::Match(m) = &exprs[0] else { panic!() };
    assert_eq!(m.left.text(), "fib saddr type");
    assert_eq!(m.right, Value::Single("local".into()));
    let exprs = parse_rule_text("ct state related,established counter accept");
    let Expr::Match(m) = &exprs[0] else { panic!() };
    assert_eq!(
        m.right,
        Value::List(vec!["related".into(), "established".into()])
    );
    let exprs = parse_rule_text("ct status dnat drop");
    assert_eq!(exprs.len(), 2);
}

#[test]
fn unknown_is_kept_with_its_span() {
    let exprs = parse_rule_text("ip daddr 1.2.3.4 frobnicate 7 accept");
    assert_eq!(exprs.len(), 3);
    assert_eq!(
        exprs[1],
        Expr::Unknown {
            text: "frobnicate 7".into(),
            span: Span::new(17, 29)
        }
    );
}

#[test]
fn xt_and_reject() {
    let exprs = parse_rule_text(
        "meta l4proto tcp  xt match recent  counter packets 0 bytes 0 dnat to 10.180.0.3:80",
    );
    assert_eq!(
        exprs[1],
        Expr::Xt {
            what: "match".into(),
            name: "recent".into()
        }
    );
    let exprs = parse_rule_text("reject with icmp type host-unreachable");
    assert_eq!(
        exprs,
        vec![Expr::Reject {
            with: Some("icmp type host-unreachable".into())
        }]
    );
}

#[test]
fn element_attributes() {
    let mut d = Vec::new();
    let toks: Vec<_> = tokenize(
        "1.2.3.4 . tcp . 80 comment \"ns2/svc2:p80\" : drop, tcp . 3001 : goto x",
        Origin::START,
        &mut d,
    )
    .into_iter()
    .filter(|t| t.kind != Tok::Newline)
    .collect();
    let mut problems = Vec::new();
    let els = parse_elements(&toks, &mut problems);
    assert!(problems.is_empty());
    assert_eq!(els.to_vec()[0].key, ["1.2.3.4", "tcp", "80"]);
    assert_eq!(els.to_vec()[0].comment.as_deref(), Some("ns2/svc2:p80"));
    assert_eq!(els.to_vec()[0].verdict(), Some(&Verdict::Drop));
    assert_eq!(els.to_vec()[1].key, ["tcp", "3001"]);
}

#[test]
fn address_forms() {
    assert_eq!(
        split_address_port("[fd00::1]:80"),
        (Some("fd00::1".into()), Some(80))
    );
    assert_eq!(split_address_port(":8080"), (None, Some(8080)));
    assert_eq!(
        split_address_port("fd00::1"),
        (Some("fd00::1".into()), None)
    );
}
