//! Unit tests of the redactor: names, chain hashes, addresses and line structure.

use super::*;

fn redact_text(dump: &str) -> String {
    let mut r = Redactor::for_input(None, dump);
    r.text(dump)
}

#[test]
fn iptables_chain_hashes_are_computed_from_the_redacted_names() {
    let svc = chains::service_hash("shop/cart:http", "tcp");
    let sep = chains::endpoint_hash("shop/cart:http", "tcp", "10.244.1.5:8080");
    let dump = format!(
        "-A KUBE-SERVICES -d 10.96.12.7/32 -p tcp -m comment --comment \"shop/cart:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-{svc}\n\
         -A KUBE-SVC-{svc} -m comment --comment \"shop/cart:http -> 10.244.1.5:8080\" -j KUBE-SEP-{sep}\n\
         -A KUBE-SEP-{sep} -p tcp -m comment --comment shop/cart:http -m tcp -j DNAT --to-destination 10.244.1.5:8080\n"
    );
    let mut r = Redactor::for_input(None, &dump);
    let out = r.text(&dump);
    let pod = r.address("10.244.1.5").unwrap();
    let new_svc = chains::service_hash("ns-1/svc-1:http", "tcp");
    let new_sep = chains::endpoint_hash("ns-1/svc-1:http", "tcp", &format!("{pod}:8080"));
    assert!(out.contains(&format!("-j KUBE-SVC-{new_svc}")), "{out}");
    assert!(out.contains(&format!("-A KUBE-SEP-{new_sep} ")), "{out}");
    assert!(
        out.contains(&format!("--to-destination {pod}:8080")),
        "{out}"
    );
    assert!(out.contains("\"ns-1/svc-1:http cluster IP\""), "{out}");
    for secret in ["shop", "cart", "10.244.1.5", "10.96.12.7", &svc, &sep] {
        assert!(!out.contains(secret), "{secret} left in {out}");
    }
    assert_eq!(out.lines().count(), dump.lines().count());
}

#[test]
fn unexplained_hashes_get_a_keyed_replacement() {
    let dump = "-A KUBE-SVC-ABCDEFGHIJKLMNOP -j KUBE-SEP-QRSTUVWXYZ234567\n:KUBE-SEP-QRSTUVWXYZ234567 - [0:0]\n";
    let out = redact_text(dump);
    assert!(!out.contains("ABCDEFGHIJKLMNOP") && !out.contains("QRSTUVWXYZ234567"));
    let names: Vec<&str> = out
        .split_whitespace()
        .map(|w| w.trim_start_matches(':'))
        .filter(|w| w.starts_with("KUBE-SEP-"))
        .collect();
    assert_eq!(names.len(), 2);
    assert_eq!(names[0], names[1], "the same chain, the same new name");
    assert_eq!(names[0].len(), "KUBE-SEP-".len() + 16);
}

#[test]
fn nft_names_are_hashed_again() {
    let base = "riset/latency-extender-svc/tcp/http";
    let ep = "riset/latency-extender-svc/tcp/http__10.42.0.9/3001";
    let dump = format!(
        "10.43.34.64 . tcp . 3001 : goto service-{}-{base},\n\
         chain endpoint-{}-{ep} {{\n\
         10.43.0.10 . udp . 53 : goto service-{}-kube-system/kube-dns/udp/dns,\n",
        chains::nft_hash(base),
        chains::nft_hash(ep),
        chains::nft_hash("kube-system/kube-dns/udp/dns"),
    );
    let mut r = Redactor::for_input(None, &dump);
    let out = r.text(&dump);
    let pod = r.address("10.42.0.9").unwrap();
    let new_base = "ns-1/svc-1/tcp/http";
    let new_ep = format!("ns-1/svc-1/tcp/http__{pod}/3001");
    assert!(
        out.contains(&format!(
            "service-{}-{new_base}",
            chains::nft_hash(new_base)
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("endpoint-{}-{new_ep}", chains::nft_hash(&new_ep))),
        "{out}"
    );
    let dns = "kube-system/kube-dns/udp/dns";
    assert!(
        out.contains(&format!("service-{}-{dns}", chains::nft_hash(dns))),
        "kept names keep their hash: {out}"
    );
    assert!(!out.contains("riset") && !out.contains("latency"));
}

#[test]
fn ipv6_endpoints_in_nft_names() {
    let ep = "web/shop/tcp/p80__fd00.10.244..5/80";
    let dump = format!("chain endpoint-{}-{ep} {{\n", chains::nft_hash(ep));
    let mut r = Redactor::for_input(None, &dump);
    let out = r.text(&dump);
    let pod = r.address("fd00:10:244::5").unwrap().replace(':', ".");
    assert!(out.contains(&format!("__{pod}/80")), "{out}");
}

#[test]
fn networks_stay_canonical_and_contain_their_addresses() {
    let dump = "-A POSTROUTING -s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE\n-A X -d 10.244.3.7/32 -j ACCEPT\n";
    let mut r = Redactor::for_input(None, dump);
    let out = r.text(dump);
    let network: Ipv4Addr = out
        .split_whitespace()
        .nth(3)
        .unwrap()
        .trim_end_matches("/16")
        .parse()
        .unwrap();
    let host: Ipv4Addr = r.address("10.244.3.7").unwrap().parse().unwrap();
    assert_eq!(u32::from(network) & 0xFFFF, 0, "{out}");
    assert_eq!(u32::from(network) >> 16, u32::from(host) >> 16, "{out}");
    assert!(out.contains("! -d 224.0.0.0/4"));
}

#[test]
fn prompts_and_host_names() {
    let dump = "root@prod-db-7:~# iptables-save\nTCP  ip-10-0-62-121.ec2.internal:https rr\n";
    let mut r = Redactor::for_input(None, dump);
    let out = r.text(dump);
    assert!(out.starts_with("root@node-1:~# iptables-save\n"), "{out}");
    assert!(!out.contains("10-0-62-121"));
    assert!(out.contains(".ec2.internal:https rr"));
}

#[test]
fn kept_names_and_vocabulary_stay() {
    let dump = "-A KUBE-SEP-X -m comment --comment \"kube-system/kube-dns:dns\" -j DNAT\n*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n";
    assert_eq!(redact_text(dump), dump);
}

#[test]
fn a_vocabulary_name_is_replaced_in_name_positions_only() {
    let dump =
        "-A KUBE-SERVICES -m comment --comment \"web/nat:http cluster IP\" -j ACCEPT\n*nat\n";
    let out = redact_text(dump);
    assert!(out.contains("\"ns-1/svc-1:http cluster IP\""), "{out}");
    assert!(out.contains("\n*nat\n"), "{out}");
}

#[test]
fn options_share_the_mapping() {
    let dump = "-A KUBE-NODEPORTS -d 192.168.1.105/32 -j ACCEPT\n";
    let mut r = Redactor::for_input(None, dump);
    let out = r.text(dump);
    let options = r.options(&Options {
        node_ips: vec!["192.168.1.105".into()],
        ..Options::default()
    });
    assert!(options.node_ips[0].starts_with("192.168."));
    assert!(
        out.contains(&format!("-d {}/32", options.node_ips[0])),
        "{out}"
    );
}

proptest::proptest! {
    #[test]
    fn never_panics_and_keeps_lines(text in "\\PC{0,400}") {
        let mut r = Redactor::for_input(None, &text);
        let out = r.text(&text);
        proptest::prop_assert_eq!(out.lines().count(), text.lines().count());
    }
}

/// Words of a text that could be a name.
fn name_words(text: &str) -> HashSet<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// A Service as the facts redaction must carry over: id, names, addresses, endpoints.
fn service_facts(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report
        .services
        .iter()
        .map(|s| {
            let endpoints: Vec<String> = s
                .endpoints
                .iter()
                .map(|e| format!("{}:{:?}", e.ip, e.port))
                .collect();
            format!(
                "{} {:?}/{:?}:{} {:?} {:?}",
                s.id, s.namespace, s.name, s.port_name, s.cluster_ip, endpoints
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_redacted_report_names_its_services_as_the_report_of_the_redacted_dump() {
    let mut checked = 0;
    for kind in ["iptables", "ipvs", "nft"] {
        for path in svcpath_testkit::corpus::files(kind) {
            let dump = svcpath_testkit::read_lossy(&path);
            let options = Options::default();
            let report = crate::analyze(&dump, &options);
            let mut redactor = Redactor::for_input(Some(&report), &dump);
            let redacted_dump = redactor.text(&dump);
            let redacted_options = redactor.options(&options);
            let typed = report.redacted(&mut redactor);
            let of_dump = crate::analyze(&redacted_dump, &redacted_options);
            let name = path.display();
            assert_eq!(
                service_facts(&typed),
                service_facts(&of_dump),
                "{name}: the redacted report and the redacted dump's report differ"
            );
            let json = serde_json::to_string(&typed).unwrap();
            let words = name_words(&json);
            for original in redactor.replaced_names() {
                assert!(
                    !words.contains(original.as_str()),
                    "{name}: {original} is left in the redacted report"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} dumps");
}

#[test]
fn every_text_field_of_the_report_is_redacted_and_counts_are_kept() {
    let dump = "-A KUBE-SERVICES -d 10.96.12.7/32 -p tcp -m comment --comment \"shop/cart:web cluster IP\" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA\n";
    let mut redactor = Redactor::for_input(None, dump);
    redactor.text(dump);
    let report = Report {
        services: vec![crate::report::Service {
            id: "shop/cart:web".into(),
            namespace: Some("shop".into()),
            name: Some("cart".into()),
            port_name: "web".into(),
            cluster_ip: Some("10.96.12.7".into()),
            port: Some(80),
            lines: vec![1],
            ..Default::default()
        }],
        findings: vec![crate::report::Finding {
            code: crate::report::FindingCode::NoEndpoints,
            severity: crate::report::Severity::Warning,
            service: Some("shop/cart:web".into()),
            lines: vec![1],
            message: "shop/cart:web (10.96.12.7:80) has no endpoints".into(),
        }],
        ..Default::default()
    };
    let typed = report.redacted(&mut redactor);
    let json = serde_json::to_string(&typed).unwrap();
    for secret in ["shop", "cart", "10.96.12.7"] {
        assert!(!json.contains(secret), "{secret} is in {json}");
    }
    assert_eq!(typed.services[0].port, Some(80));
    assert_eq!(typed.services[0].lines, [1]);
    assert_eq!(typed.findings[0].code, "no-endpoints");
    assert_eq!(
        typed.findings[0].service.as_deref(),
        Some(typed.services[0].id.as_str())
    );
}

#[test]
fn names_built_on_a_service_name_lose_it_too() {
    let dump = "-A KUBE-SERVICES -d 10.96.12.7/32 -p tcp -m comment --comment \"shop/cart:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA\n\
                {\"kind\": \"EndpointSlice\", \"metadata\": {\"name\": \"cart-x7k2p\", \"namespace\": \"shop\"}}\n\
                cart-7d4b9c-q2w3e 1/1 Running\n";
    let out = redact_text(dump);
    assert!(!out.contains("cart"), "{out}");
    assert!(out.contains("\"svc-1-x7k2p\""), "{out}");
    assert!(out.contains("svc-1-7d4b9c-q2w3e"), "{out}");
}
