//! Unit tests of the Source view's line explanations.

use super::*;

fn ipt(line: &str) -> Explanation {
    explain(LineKind::Iptables, line, &LineFacts::default()).expect("explained")
}

#[test]
fn a_host_reject_is_not_explained_as_kube_proxys() {
    let e = ipt("-A INPUT -j REJECT --reject-with icmp-host-prohibited");
    assert_eq!(e.owner, Some(crate::owner::Owner::Host));
    let reject = meaning_of(&e, "REJECT");
    assert!(!reject.contains("Services without endpoints"), "{reject}");
    assert!(reject.contains("not kube-proxy's"), "{reject}");
    assert!(e.owner_sentence().unwrap().contains("host firewall"));
    let kube = ipt("-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"ns/empty:p cluster IP has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable");
    assert_eq!(kube.owner, Some(crate::owner::Owner::KubeProxy));
    assert!(meaning_of(&kube, "REJECT").contains("without endpoints"));
    let flannel = ipt("-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD");
    assert_eq!(flannel.owner, Some(crate::owner::Owner::Flannel));
}

#[test]
fn nft_rules_get_their_tables_owner_from_the_analysis() {
    let text = "table inet firewalld {\n\tchain filter_INPUT {\n\t\ttype filter hook input priority filter + 10; policy accept;\n\t\treject with icmpx admin-prohibited\n\t}\n}\n\
                table ip kube-proxy {\n\tchain services {\n\t\tip daddr . meta l4proto . th dport vmap @service-ips\n\t}\n}\n";
    let options = crate::Options::default();
    let snapshot = crate::Snapshot::parse(text, &options);
    let owners = nft_rule_owners(&snapshot);
    let owner_of = |n: u32| owners.iter().find(|(l, _)| *l == n).map(|x| x.1);
    let lines: Vec<&str> = text.lines().collect();
    let explained = |n: u32| {
        let facts = LineFacts {
            owner: owner_of(n),
            ..LineFacts::default()
        };
        explain(LineKind::Nft, lines[n as usize - 1], &facts).expect("explained")
    };
    assert_eq!(owner_of(4), Some(crate::owner::Owner::Firewalld));
    assert_eq!(explained(4).owner, Some(crate::owner::Owner::Firewalld));
    assert_eq!(owner_of(9), Some(crate::owner::Owner::KubeProxy));
    assert_eq!(explained(9).owner, Some(crate::owner::Owner::KubeProxy));
    // Without the analysis, a rule listed inside its table names no owner: nothing above is read.
    let alone = explain(LineKind::Nft, lines[3], &LineFacts::default()).expect("explained");
    assert_eq!(alone.owner, None);
    // The `add rule` form names its table and chain itself.
    let added = explain(
        LineKind::Nft,
        "add rule inet firewalld filter_INPUT reject with icmpx admin-prohibited",
        &LineFacts::default(),
    )
    .expect("explained");
    assert_eq!(added.owner, Some(crate::owner::Owner::Firewalld));
}

fn meaning_of<'e>(e: &'e Explanation, needle: &str) -> &'e str {
    e.parts
        .iter()
        .find(|p| p.text.contains(needle))
        .map(|p| p.meaning.as_str())
        .unwrap_or_else(|| panic!("no part with {needle:?} in {e:#?}"))
}

#[test]
fn statistic_cascade_share_comes_from_the_report() {
    let lines = [
        r#"-A KUBE-SVC-X -m comment --comment "ns/web:http -> 10.0.0.1:80" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-A"#,
        r#"-A KUBE-SVC-X -m comment --comment "ns/web:http -> 10.0.0.2:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-B"#,
        r#"-A KUBE-SVC-X -m comment --comment "ns/web:http -> 10.0.0.3:80" -j KUBE-SEP-C"#,
    ];
    let paste = format!(
        "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment \"ns/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-X\n{}\n{}\n{}\n\
         -A KUBE-SEP-A -p tcp -m comment --comment \"ns/web:http\" -m tcp -j DNAT --to-destination 10.0.0.1:80\n\
         -A KUBE-SEP-B -p tcp -m comment --comment \"ns/web:http\" -m tcp -j DNAT --to-destination 10.0.0.2:80\n\
         -A KUBE-SEP-C -p tcp -m comment --comment \"ns/web:http\" -m tcp -j DNAT --to-destination 10.0.0.3:80\nCOMMIT\n",
        lines[0], lines[1], lines[2]
    );
    let report = crate::analyze(&paste, &crate::Options::default());
    let facts = |n: u32| LineFacts::from_report(&report, n);
    let with_facts = |n: u32, line: &str| explain(LineKind::Iptables, line, &facts(n)).unwrap();
    // Without the report, a line tells only its own draw.
    let alone = ipt(lines[0]);
    let m = meaning_of(&alone, "--probability");
    assert!(m.contains("random 33.3 % of the new connections"), "{m}");
    assert!(!m.contains("endpoint gets"), "{m}");
    let first = with_facts(4, lines[0]);
    assert!(meaning_of(&first, "--comment").contains("and the endpoint this rule leads to"));
    let m = meaning_of(&first, "--probability");
    assert!(m.contains("random 33.3 % of the new connections"), "{m}");
    assert!(m.contains("first such rule"), "{m}");
    assert!(m.contains("gets 33.3 %"), "{m}");
    let second = with_facts(5, lines[1]);
    let m = meaning_of(&second, "--probability");
    assert!(m.contains("random 50.0 %"), "{m}");
    assert!(
        m.contains("only the 66.7 % left over by the 1 rule before it"),
        "{m}"
    );
    assert!(m.contains("this endpoint gets 33.3 %"), "{m}");
    assert_eq!(second.facts.match_share, Some(0.5));
    assert_eq!(second.facts.target.as_deref(), Some("KUBE-SEP-B"));
    // The part covers the whole `-m statistic …` group and nothing of the comment.
    let part = second
        .parts
        .iter()
        .find(|p| p.text.contains("--probability"))
        .unwrap();
    assert_eq!(
        part.text,
        "-m statistic --mode random --probability 0.50000000000"
    );
    assert_eq!(&lines[1][part.start..part.end], part.text);
    assert_eq!(part.term, Some("statistic"));
    let dnat = with_facts(8, "-A KUBE-SEP-B -p tcp -m comment --comment \"ns/web:http\" -m tcp -j DNAT --to-destination 10.0.0.2:80");
    assert_eq!(dnat.facts.dnat_to.as_deref(), Some("10.0.0.2:80"));
}

#[test]
fn a_negated_probability_matches_the_rest() {
    // `! --probability 0.3` passes the 70 % the draw does not pick.
    let e =
        ipt("-A KUBE-SVC-X -m statistic --mode random ! --probability 0.30000000000 -j KUBE-SEP-A");
    let m = meaning_of(&e, "--probability");
    assert!(m.contains("random 70.0 % of the new connections"), "{m}");
    let part = e
        .parts
        .iter()
        .find(|p| p.text.contains("--probability"))
        .unwrap();
    assert_eq!(
        part.text,
        "-m statistic --mode random ! --probability 0.30000000000"
    );
}

#[test]
fn marks_masquerade_and_targets() {
    let e = ipt("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000");
    let m = meaning_of(&e, "--set-xmark");
    assert!(m.starts_with("sets bit 0x4000 of the packet mark: kube-proxy's \"masquerade this packet\" flag, acted on in KUBE-POSTROUTING"), "{m}");
    let e = ipt("-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0");
    let m = meaning_of(&e, "--set-xmark");
    assert!(
        m.starts_with("flips bit 0x4000 of the packet mark")
            && m.contains("clears it")
            && m.contains("masquerade this packet"),
        "{m}"
    );
    let e = ipt("-A X -j MARK --set-xmark 0x0/0x4000");
    assert!(meaning_of(&e, "--set-xmark").starts_with("clears bit(s) 0x4000"));
    let e = ipt("-A X -j MARK --set-xmark 0x1/0xff");
    assert!(meaning_of(&e, "--set-xmark").starts_with("sets the packet mark bits 0xff to 0x1"));
    let e = ipt("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully");
    assert!(meaning_of(&e, "MASQUERADE").contains("--random-fully picks the source port at random"));
    let e = ipt("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN");
    let m = meaning_of(&e, "--mark");
    assert!(
        m.contains("is not 0x4000") && m.contains("masquerade this packet"),
        "{m}"
    );
    assert!(meaning_of(&e, "RETURN").starts_with("goes back"));
    let e = ipt("-A KUBE-SEP-A -p tcp -m comment --comment \"ns/web:http\" -m tcp -j DNAT --to-destination 10.244.1.5:8080");
    assert!(meaning_of(&e, "DNAT").contains("rewrites the destination to 10.244.1.5:8080"));
    assert!(meaning_of(&e, "-p tcp").contains("only tcp packets"));
    let e = ipt("-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"ns/empty:p cluster IP has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable");
    assert!(meaning_of(&e, "REJECT").contains("icmp-port-unreachable"));
    assert!(meaning_of(&e, "--dport").contains("destination port 80"));
    assert!(
        meaning_of(&e, "-d 10.96").contains("addressed to 10.96.0.20/32 (exactly this address)")
    );
}

#[test]
fn negations_addrtype_conntrack_recent_set_multiport() {
    let e = ipt("-A KUBE-SVC-X ! -s 10.244.0.0/16 -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-MARK-MASQ");
    let p = &e.parts[1];
    assert_eq!(p.text, "! -s 10.244.0.0/16");
    assert!(p.meaning.contains("not from 10.244.0.0/16"));
    assert!(meaning_of(&e, "KUBE-MARK-MASQ").contains("0x4000"));
    let e = ipt("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS");
    assert!(meaning_of(&e, "addrtype").contains("one of the node's own addresses"));
    let e = ipt("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP");
    assert!(meaning_of(&e, "ctstate").contains("INVALID"));
    assert!(meaning_of(&e, "DROP").contains("silently"));
    let e = ipt("-A KUBE-SVC-X -m comment --comment \"ns/a:p -> 10.0.0.1:80\" -m recent --name KUBE-SEP-A --mask 255.255.255.255 --rsource --rcheck --seconds 10800 --reap -j KUBE-SEP-A");
    let m = meaning_of(&e, "--rcheck");
    assert!(
        m.contains("\"KUBE-SEP-A\"")
            && m.contains("10800 s (3 h)")
            && m.contains("--reap")
            && m.contains("masked with 255.255.255.255"),
        "{m}"
    );
    assert_eq!(
        e.parts
            .iter()
            .find(|p| p.text.contains("--rcheck"))
            .unwrap()
            .term,
        Some("session-affinity")
    );
    let e = ipt("-A KUBE-SEP-A -p tcp -m recent --set --name KUBE-SEP-A --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.0.0.1:80");
    assert!(meaning_of(&e, "--set").contains("records"));
    let e = ipt("-A KUBE-NODE-PORT -p tcp -m set --match-set KUBE-NODE-PORT-TCP dst -j RETURN");
    assert!(meaning_of(&e, "--match-set")
        .contains("destination is in the ipset \"KUBE-NODE-PORT-TCP\""));
    let e = ipt("-A X -p tcp -m multiport --dports 80,443 -i cni+ ! -o eth0 -j ACCEPT");
    assert!(meaning_of(&e, "multiport").contains("one of 80, 443"));
    assert!(meaning_of(&e, "-i cni+").contains("starts with cni"));
    assert!(meaning_of(&e, "! -o eth0").contains("not leaving through interface eth0"));
    let e = ipt("-A X -m addrtype ! --dst-type LOCAL -j RETURN");
    assert!(meaning_of(&e, "addrtype").contains("destination is not one of"));
}

#[test]
fn declarations_and_unknown_lines() {
    let e = ipt(":KUBE-SERVICES - [0:0]");
    assert!(e.parts[0].meaning.contains("user chain KUBE-SERVICES"));
    assert!(ipt("*nat").parts[0].meaning.contains("nat table"));
    assert!(explain(
        LineKind::Iptables,
        "# Generated by iptables-save",
        &LineFacts::default()
    )
    .is_none());
    assert!(explain(
        LineKind::Iptables,
        &"x".repeat(MAX_LINE + 1),
        &LineFacts::default()
    )
    .is_none());
    // Broken quoting never panics and the ranges stay inside the line.
    for line in [
        "-A X -m comment --comment \"open",
        "-A",
        "-A X !",
        "-A X -m",
        "-A X -j",
        "-A X -s",
        "-A é -m comment --comment \"é\" -j Ü",
    ] {
        if let Some(e) = explain(LineKind::Iptables, line, &LineFacts::default()) {
            for p in e.parts {
                assert!(p.start <= p.end && p.end <= line.len(), "{line}");
            }
        }
    }
}

#[test]
fn nft_statements() {
    let line = "                numgen random mod 3 vmap { 0 : goto endpoint-A, 1 : goto endpoint-B, 2 : goto endpoint-C }";
    let e = explain(LineKind::Nft, line, &LineFacts::default()).unwrap();
    let p = &e.parts[0];
    assert!(
        p.text.starts_with("numgen random mod 3") && p.text.ends_with('}'),
        "{p:?}"
    );
    assert!(
        p.meaning.contains("from 0 to 2") && p.meaning.contains("33.3 %"),
        "{}",
        p.meaning
    );
    let e = explain(
        LineKind::Nft,
        "  ip saddr 10.42.4.201 jump mark-for-masquerade",
        &LineFacts::default(),
    )
    .unwrap();
    assert!(meaning_of(&e, "ip saddr").contains("source address is 10.42.4.201"));
    assert!(meaning_of(&e, "jump").contains("0x4000"));
    let e = explain(
        LineKind::Nft,
        "  meta l4proto tcp dnat to 10.42.4.201:8080",
        &LineFacts::default(),
    )
    .unwrap();
    assert!(meaning_of(&e, "dnat").contains("10.42.4.201:8080"));
    assert!(meaning_of(&e, "meta l4proto").contains("protocol is tcp"));
    let e = explain(
        LineKind::Nft,
        "  meta mark set meta mark | 0x00004000",
        &LineFacts::default(),
    )
    .unwrap();
    assert!(
        e.parts[0]
            .meaning
            .contains("sets kube-proxy's masquerade bit"),
        "{e:?}"
    );
    let e = explain(
        LineKind::Nft,
        "  masquerade fully-random",
        &LineFacts::default(),
    )
    .unwrap();
    assert!(e.parts[0].meaning.contains("fully-random"));
    let e = explain(
        LineKind::Nft,
        "  fib daddr type local ip daddr != 127.0.0.0/8 jump nodeports",
        &LineFacts::default(),
    )
    .unwrap();
    assert!(meaning_of(&e, "fib").contains("destination is one of the node's own addresses"));
    assert!(meaning_of(&e, "127.0.0.0/8").contains("is not 127.0.0.0/8"));
    let e = explain(
        LineKind::Nft,
        "  ip daddr . meta l4proto . th dport vmap @service-ips",
        &LineFacts::default(),
    )
    .unwrap();
    assert!(meaning_of(&e, "vmap").contains("service-ips"));
    assert!(e.parts[0]
        .meaning
        .contains("destination address + protocol + destination port"));
    let e = explain(
        LineKind::Nft,
        "add rule ip kube-proxy masquerading mark and 0x4000 == 0 return",
        &LineFacts::default(),
    )
    .unwrap();
    assert!(meaning_of(&e, "and 0x4000").contains("masked with 0x4000, is 0"));
}

#[test]
fn ipvsadm_lines() {
    let e = explain(
        LineKind::Ipvsadm,
        "TCP  10.96.0.10:53 rr persistent 10800",
        &LineFacts::default(),
    )
    .unwrap();
    assert!(e.parts[0].meaning.contains("virtual service"));
    assert!(meaning_of(&e, "rr").contains("round robin"));
    assert!(meaning_of(&e, "persistent").contains("3 h"));
    let e = explain(
        LineKind::Ipvsadm,
        "  -> 192.168.0.17:53              Masq    1      0          0",
        &LineFacts::default(),
    )
    .unwrap();
    assert_eq!(e.parts.len(), 5);
    assert!(meaning_of(&e, "Masq").contains("NAT"));
    assert!(explain(
        LineKind::Ipvsadm,
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
        &LineFacts::default()
    )
    .is_none());
}

#[test]
fn every_prefix_of_real_lines_is_safe() {
    let dumps = [
        (
            LineKind::Iptables,
            include_str!("../../../../web/samples/kube-proxy-test-overall-iptables.txt"),
        ),
        (
            LineKind::Nft,
            include_str!("../../../../web/samples/k3s-nftables-mode.txt"),
        ),
        (
            LineKind::Ipvsadm,
            include_str!("../../../../web/samples/azure-kubeadm-ipvs-node.txt"),
        ),
    ];
    let mut explained = 0;
    for (kind, text) in dumps {
        for line in text.lines() {
            for cut in (0..=line.len()).filter(|c| line.is_char_boundary(*c)) {
                let prefix = &line[..cut];
                if let Some(e) = explain(kind, prefix, &LineFacts::default()) {
                    for p in &e.parts {
                        assert!(p.start <= p.end && p.end <= prefix.len(), "{prefix}");
                        assert_eq!(p.text, &prefix[p.start..p.end]);
                    }
                    explained += usize::from(cut == line.len());
                }
            }
        }
    }
    assert!(explained > 150, "{explained}");
}

#[test]
fn the_flannel_samples_cascade_reads_as_before_with_the_reports_shares() {
    // The rules the browser test hovers: the report's shares give the notes the lookback gave.
    let text = include_str!("../../../../web/samples/minik8s-flannel-iptables-save.txt");
    let report = crate::analyze(text, &crate::Options::default());
    let lines: Vec<&str> = text.lines().collect();
    let n = lines
        .iter()
        .position(|l| {
            l.contains("--probability 0.33333333349") && l.contains("service1:fileserver")
        })
        .unwrap();
    let note = |i: usize| {
        let line_number = u32::try_from(i + 1).unwrap();
        let facts = LineFacts::from_report(&report, line_number);
        let e = explain(LineKind::Iptables, lines[i], &facts).unwrap();
        meaning_of(&e, "--probability").to_string()
    };
    let first = note(n);
    assert!(
        first.contains("matches a random 33.3 % of the new connections"),
        "{first}"
    );
    assert!(
        first.contains("this endpoint gets 33.3 % of all new connections"),
        "{first}"
    );
    let next = note(n + 1);
    assert!(next.contains("random 50.0 %"), "{next}");
    assert!(
        next.contains("only the 66.7 % left over by the 1 rule before it get here, so this endpoint gets 33.3 %"),
        "{next}"
    );
}
