//! kube-proxy's nftables mode from real dumps: Services, endpoints and odds, the findings, iptables-mode
//! rules seen through nft, and the per-packet cost.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use proptest::prelude::*;
use svcpath_analysis::nft;
use svcpath_analysis::report::{Mode, Service, Severity, TrafficPolicy};
use svcpath_syntax::nft::Ruleset;
use svcpath_syntax::Origin;

fn corpus(name: &str) -> String {
    svcpath_testkit::corpus::read(format!("nft/{name}"))
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../syntax/tests/fixtures/nft/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(text: &str) -> Vec<Ruleset> {
    vec![svcpath_syntax::nft::parse(text, Origin::START).value]
}

const TEST_TRANSACTION: &str = "k8s-test-TestOverallNFTablesRules.txt";
const K3S_LISTING: &str = "repo-notes-k3s-nftables-mode-nft-list-table-kube-proxy.txt";

fn service<'a>(services: &'a [Service], id: &str) -> &'a Service {
    services
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no service {id}"))
}

/// An endpoint's address, port and chance.
type EndpointOdds = (String, Option<u16>, f64);

fn codes(a: &svcpath_analysis::ModeAnalysis) -> Vec<(String, Option<String>)> {
    a.findings
        .iter()
        .map(|f| (f.code.to_string(), f.service.clone()))
        .collect()
}

/// An eTP=Local Service with one endpoint on this node and one elsewhere, written the way kube-proxy
/// writes it, except for odds of 3/4 and 1/4 (a key range) and a missing hairpin rule on the second
/// endpoint.
const LOCAL_SERVICE: &str = "\
add table ip kube-proxy
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
add chain ip kube-proxy services
add chain ip kube-proxy mark-for-masquerade
add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }
add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; }
add rule ip kube-proxy nat-prerouting jump services
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip kube-proxy services fib daddr type local meta l4proto . th dport vmap @service-nodeports
add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
add chain ip kube-proxy service-AAAAAAAA-ns/web/tcp/http
add chain ip kube-proxy local-AAAAAAAA-ns/web/tcp/http
add chain ip kube-proxy external-AAAAAAAA-ns/web/tcp/http
add chain ip kube-proxy endpoint-BBBBBBBB-ns/web/tcp/http__10.1.0.5/8080
add chain ip kube-proxy endpoint-CCCCCCCC-ns/web/tcp/http__10.1.1.7/8080
add rule ip kube-proxy service-AAAAAAAA-ns/web/tcp/http ip daddr 10.96.0.50 tcp dport 80 ip saddr != 10.1.0.0/16 jump mark-for-masquerade
add rule ip kube-proxy service-AAAAAAAA-ns/web/tcp/http numgen random mod 4 vmap { 0-2 : goto endpoint-BBBBBBBB-ns/web/tcp/http__10.1.0.5/8080 , 3 : goto endpoint-CCCCCCCC-ns/web/tcp/http__10.1.1.7/8080 }
add rule ip kube-proxy local-AAAAAAAA-ns/web/tcp/http numgen random mod 1 vmap { 0 : goto endpoint-BBBBBBBB-ns/web/tcp/http__10.1.0.5/8080 }
add rule ip kube-proxy external-AAAAAAAA-ns/web/tcp/http ip saddr 10.1.0.0/16 goto service-AAAAAAAA-ns/web/tcp/http comment \"short-circuit pod traffic\"
add rule ip kube-proxy external-AAAAAAAA-ns/web/tcp/http fib saddr type local jump mark-for-masquerade comment \"masquerade local traffic\"
add rule ip kube-proxy external-AAAAAAAA-ns/web/tcp/http fib saddr type local goto service-AAAAAAAA-ns/web/tcp/http comment \"short-circuit local traffic\"
add rule ip kube-proxy external-AAAAAAAA-ns/web/tcp/http goto local-AAAAAAAA-ns/web/tcp/http
add rule ip kube-proxy endpoint-BBBBBBBB-ns/web/tcp/http__10.1.0.5/8080 ip saddr 10.1.0.5 jump mark-for-masquerade
add rule ip kube-proxy endpoint-BBBBBBBB-ns/web/tcp/http__10.1.0.5/8080 meta l4proto tcp dnat to 10.1.0.5:8080
add rule ip kube-proxy endpoint-CCCCCCCC-ns/web/tcp/http__10.1.1.7/8080 meta l4proto tcp dnat to 10.1.1.7:8080
add element ip kube-proxy service-ips { 10.96.0.50 . tcp . 80 : goto service-AAAAAAAA-ns/web/tcp/http }
add element ip kube-proxy service-ips { 203.0.113.9 . tcp . 80 : goto external-AAAAAAAA-ns/web/tcp/http }
add element ip kube-proxy service-nodeports { tcp . 30080 : goto external-AAAAAAAA-ns/web/tcp/http }
";

// ----- Services, endpoints and odds -----

#[test]
fn kube_proxy_test_transaction_services() {
    let rs = parse(&corpus(TEST_TRANSACTION));
    assert!(nft::is_nftables_node(&rs));
    let a = nft::analyze(&rs);
    // Checked by hand against the file: six Service ports, as in the iptables version of the same test.
    let ids: Vec<&str> = a.services.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "ns1/svc1:p80",
            "ns2/svc2:p80",
            "ns3/svc3:p80",
            "ns4/svc4:p80",
            "ns5/svc5:p80",
            "ns6/svc6:p80"
        ]
    );
    let svc4 = service(&a.services, "ns4/svc4:p80");
    // `numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC…10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7…10.180.0.5/80 }`
    let odds: Vec<(&str, f64)> = svc4
        .endpoints
        .iter()
        .map(|e| (e.ip.as_str(), e.probability))
        .collect();
    assert_eq!(odds, [("10.180.0.4", 0.5), ("10.180.0.5", 0.5)]);
    assert_eq!(svc4.external_ips, ["192.168.99.33"]);
    let svc2 = service(&a.services, "ns2/svc2:p80");
    assert_eq!(svc2.external_traffic_policy, Some(TrafficPolicy::Local));
    assert_eq!(svc2.node_port, Some(3001));
    assert_eq!(svc2.endpoints[0].local, Some(false));
    let svc5 = service(&a.services, "ns5/svc5:p80");
    assert_eq!(svc5.load_balancer_ips, ["5.6.7.8"]);
    assert_eq!(svc5.load_balancer_source_ranges, ["203.0.113.0/25"]);
    assert_eq!(svc5.session_affinity_seconds, Some(10800));
    let svc6 = service(&a.services, "ns6/svc6:p80");
    assert!(svc6.no_endpoints && svc6.endpoints.is_empty());
    assert_eq!(svc6.cluster_ip.as_deref(), Some("172.30.0.46"));
    insta::assert_json_snapshot!("nft_test_transaction_services", a.services);
}

#[test]
fn k3s_listing_services() {
    let rs = parse(&corpus(K3S_LISTING));
    assert!(nft::is_nftables_node(&rs));
    let a = nft::analyze(&rs);
    assert_eq!(a.services.len(), 11);
    // The unnamed port: chain `service-P6J77WGM-riset/hellopod-np-svc/tcp/`, nine endpoints, `mod 9`.
    let hello = service(&a.services, "riset/hellopod-np-svc:");
    assert_eq!(hello.port_name, "");
    assert_eq!(
        (hello.cluster_ip.as_deref(), hello.port, hello.node_port),
        (Some("10.43.195.72"), Some(8000), Some(30000))
    );
    assert_eq!(hello.endpoints.len(), 9);
    assert!(hello
        .endpoints
        .iter()
        .all(|e| (e.probability - 1.0 / 9.0).abs() < 1e-12));
    assert_eq!(hello.endpoints[0].ip, "10.42.2.218");
    assert_eq!(hello.endpoints[8].ip, "10.42.5.164");
    assert_eq!(hello.external_traffic_policy, Some(TrafficPolicy::Cluster));
    let dns = service(&a.services, "kube-system/kube-dns:dns");
    assert_eq!(dns.protocol.map(|p| p.name()), Some("udp"));
    assert_eq!(
        (dns.endpoints[0].ip.as_str(), dns.endpoints[0].port),
        ("10.42.0.171", Some(53))
    );
    // Both ports of otelcol-opentelemetry-collector have no endpoints (`goto reject-chain`, lines 62-63).
    let otel = service(&a.services, "riset/otelcol-opentelemetry-collector:otlp");
    assert!(otel.no_endpoints);
    assert_eq!(otel.lines, [54, 62]);
    insta::assert_json_snapshot!("nft_k3s_services", a.services);
}

/// The same ruleset as a transaction and as `nft -a list ruleset` after loading it gives the same
/// Services (apart from line numbers).
#[test]
fn transaction_and_listing_agree() {
    let strip = |mut services: Vec<Service>| {
        for s in &mut services {
            s.lines.clear();
            for e in &mut s.endpoints {
                e.lines.clear();
            }
        }
        services
    };
    let from_transaction = strip(nft::analyze(&parse(&corpus(TEST_TRANSACTION))).services);
    let from_listing = strip(
        nft::analyze(&parse(&fixture(
            "overall-nftables-rules-nft-a-list-ruleset.txt",
        )))
        .services,
    );
    assert_eq!(from_transaction, from_listing);
}

#[test]
fn local_policy_local_endpoints_and_key_ranges() {
    let a = nft::analyze(&parse(LOCAL_SERVICE));
    let web = service(&a.services, "ns/web:http");
    assert_eq!(web.external_traffic_policy, Some(TrafficPolicy::Local));
    assert_eq!(web.external_ips, ["203.0.113.9"]);
    assert_eq!(web.node_port, Some(30080));
    let eps: Vec<(&str, f64, Option<bool>)> = web
        .endpoints
        .iter()
        .map(|e| (e.ip.as_str(), e.probability, e.local))
        .collect();
    assert_eq!(
        eps,
        [
            ("10.1.0.5", 0.75, Some(true)),
            ("10.1.1.7", 0.25, Some(false))
        ]
    );
}

// ----- findings: each shown where it applies and not elsewhere -----

#[test]
fn etp_local_without_local_endpoints() {
    let a = nft::analyze(&parse(&corpus(TEST_TRANSACTION)));
    let f: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.code == nft::etp_local::CODE)
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].service.as_deref(), Some("ns2/svc2:p80"));
    assert_eq!(f[0].severity, Severity::Warning);
    // The drop elements (85-87), the external chain (71-74) and the dispatch elements (80-83).
    assert_eq!(f[0].lines, [71, 72, 73, 74, 80, 81, 82, 83, 85, 86, 87]);
    assert!(
        f[0].message
            .contains("1.2.3.4:80, 192.168.99.22:80, NodePort 3001"),
        "{}",
        f[0].message
    );
    // Not shown: eTP=Local with an endpoint on this node.
    let local = nft::analyze(&parse(LOCAL_SERVICE));
    assert!(local
        .findings
        .iter()
        .all(|f| f.code != nft::etp_local::CODE));
}

#[test]
fn no_endpoints_and_internal_local() {
    let a = nft::analyze(&parse(&corpus(TEST_TRANSACTION)));
    let f: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.code == nft::no_endpoints::CODE)
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].service.as_deref(), f[0].lines.as_slice()),
        (Some("ns6/svc6:p80"), &[148][..])
    );
    assert!(f[0].message.contains("ClusterIP 172.30.0.46:80"));
    assert!(a
        .findings
        .iter()
        .all(|f| f.code != nft::no_endpoints::CODE_ITP_LOCAL));
    let local = nft::analyze(&parse(LOCAL_SERVICE));
    assert!(local
        .findings
        .iter()
        .all(|f| f.code != nft::no_endpoints::CODE));

    let itp = "\
add set ip kube-proxy cluster-ips { type ipv4_addr ; }
add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; }
add element ip kube-proxy cluster-ips { 10.96.0.60 }
add element ip kube-proxy no-endpoint-services { 10.96.0.60 . tcp . 80 comment \"ns/internal:http\" : drop }
";
    let a = nft::analyze(&parse(itp));
    assert_eq!(
        codes(&a),
        [(
            nft::no_endpoints::CODE_ITP_LOCAL.to_string(),
            Some("ns/internal:http".to_string())
        )]
    );
    assert_eq!(a.findings[0].lines, [4]);
    assert!(!a.services[0].no_endpoints);
}

#[test]
fn hairpin_masquerade() {
    let a = nft::analyze(&parse(LOCAL_SERVICE));
    let f: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.code == nft::hairpin::CODE)
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].lines, [15]);
    assert!(f[0].message.contains("10.1.1.7:8080"));
    // That table has no postrouting chain at all, so nothing masquerades what it marks.
    assert!(a
        .findings
        .iter()
        .any(|f| f.code == nft::hairpin::CODE_MASQUERADE));
    // Not shown: kube-proxy's own rules.
    for name in [TEST_TRANSACTION, K3S_LISTING] {
        let a = nft::analyze(&parse(&corpus(name)));
        assert!(a
            .findings
            .iter()
            .all(|f| f.code != nft::hairpin::CODE && f.code != nft::hairpin::CODE_MASQUERADE));
    }
    // Shown when the `masquerade fully-random` rule is gone from the test ruleset.
    let cut = corpus(TEST_TRANSACTION).replace(
        "add rule ip kube-proxy masquerading masquerade fully-random\n",
        "",
    );
    let a = nft::analyze(&parse(&cut));
    let m: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.code == nft::hairpin::CODE_MASQUERADE)
        .collect();
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0].lines,
        [20, 22],
        "the masquerading chain and the nat postrouting base chain"
    );
}

#[test]
fn session_affinity() {
    let a = nft::analyze(&parse(&corpus(TEST_TRANSACTION)));
    let f: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.code == nft::affinity::CODE)
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].service.as_deref(), Some("ns5/svc5:p80"));
    assert_eq!(f[0].severity, Severity::Info);
    // The set (123), the check in the service chain (126) and the update in the endpoint chain (134).
    assert_eq!(f[0].lines, [123, 126, 134]);
    assert!(f[0].message.contains("10800 s (3 h)"));
    assert!(a
        .findings
        .iter()
        .all(|f| f.code != nft::affinity::CODE_BROKEN));
    // A Service without affinity gets neither.
    assert!(
        a.findings
            .iter()
            .filter(|f| f.service.as_deref() == Some("ns1/svc1:p80"))
            .count()
            == 0
    );
    // Broken when nothing records the clients.
    let cut = corpus(TEST_TRANSACTION).replace(
        "add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }\n",
        "",
    );
    let a = nft::analyze(&parse(&cut));
    let broken: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.code == nft::affinity::CODE_BROKEN)
        .collect();
    assert_eq!(broken.len(), 1);
    assert!(
        broken[0].message.contains("nothing adds clients"),
        "{}",
        broken[0].message
    );
}

#[test]
fn findings_of_the_corpus() {
    let a = nft::analyze(&parse(&corpus(TEST_TRANSACTION)));
    insta::assert_json_snapshot!("nft_test_transaction_findings", a.findings);
    let a = nft::analyze(&parse(&corpus(K3S_LISTING)));
    insta::assert_json_snapshot!("nft_k3s_findings", a.findings);
}

// ----- iptables-mode rules seen through nft -----

#[test]
fn iptables_nft_listing_of_the_iptables_test() {
    let rs = parse(&fixture(
        "overall-iptables-rules-iptables-nft-nft-list-ruleset.txt",
    ));
    assert!(!nft::is_nftables_node(&rs));
    let listing = nft::iptables_nft_chains(&rs).expect("KUBE chains");
    assert_eq!(listing.mode, Mode::Iptables);
    assert_eq!(listing.tables, ["ip filter", "ip nat"]);
    assert_eq!(listing.kube_chains, 26);
    let f = &listing.analysis.findings[0];
    assert_eq!(
        (f.code, f.severity),
        (nft::iptables_nft::CODE, Severity::Info)
    );
    assert!(f.message.contains("iptables-save"));
    assert!(
        f.lines.starts_with(&[1, 3]),
        "the iptables-nft warning line comes first: {:?}",
        f.lines
    );
    let services = &listing.analysis.services;
    // `meta random & 2147483647 < 1073741824` is probability 0.5 for the first of two endpoints.
    let svc4 = service(services, "172.30.0.44:80/tcp");
    let odds: Vec<(&str, f64)> = svc4
        .endpoints
        .iter()
        .map(|e| (e.ip.as_str(), e.probability))
        .collect();
    assert_eq!(odds, [("10.180.0.4", 0.5), ("10.180.0.5", 0.5)]);
    let svc2 = service(services, "172.30.0.42:80/tcp");
    assert_eq!(svc2.external_traffic_policy, Some(TrafficPolicy::Local));
    assert_eq!(svc2.external_ips, ["192.168.99.22", "1.2.3.4"]);
    assert_eq!(svc2.node_port, Some(3001));
    let svc5 = service(services, "172.30.0.45:80/tcp");
    assert_eq!(svc5.load_balancer_ips, ["5.6.7.8"]);
    assert_eq!(svc5.load_balancer_source_ranges, ["203.0.113.0/25"]);
    assert!(service(services, "172.30.0.46:80/tcp").no_endpoints);
    insta::assert_json_snapshot!("iptables_nft_services", services);
}

/// The odds of each endpoint, for a compact comparison.
fn odds_of(services: &[Service]) -> Vec<(String, Vec<EndpointOdds>)> {
    services
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                s.endpoints
                    .iter()
                    .map(|e| (e.ip.clone(), e.port, e.probability))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn iptables_nft_chain_listed_twice_is_one_chain() {
    // Found by fuzzing: the same chains pasted twice gave an endpoint odds of 1 from each copy (sum 2).
    // As one chain, the first unconditional jump takes every connection.
    let listing = corpus("calico-8025-k3s-nft-list-ruleset-iptables-nft-KUBE-chains-TRUNCATED.txt");
    let twice = format!("{listing}\n{listing}");
    let found = nft::iptables_nft_chains(&parse(&twice)).unwrap();
    let once = nft::iptables_nft_chains(&parse(&listing)).unwrap();
    assert_eq!(
        odds_of(&found.analysis.services),
        odds_of(&once.analysis.services)
    );
    for s in &found.analysis.services {
        let sum: f64 = s.endpoints.iter().map(|e| e.probability).sum();
        assert!((sum - 1.0).abs() < 1e-9, "{}: {sum}", s.id);
    }
}

#[test]
fn iptables_nft_ipv4_and_ipv6_tables_are_read_apart() {
    // kube-proxy names chains after the Service port, so a dual-stack node has the same KUBE-SVC-…
    // name in `ip nat` and `ip6 nat`, each with its own endpoints.
    let text = r#"table ip nat {
	chain KUBE-SERVICES {
		meta l4proto tcp ip daddr 10.96.0.1 tcp dport 443 counter packets 0 bytes 0 jump KUBE-SVC-NPX46M4PTMTKRN6Y
	}
	chain KUBE-SVC-NPX46M4PTMTKRN6Y {
		counter packets 0 bytes 0 jump KUBE-SEP-AAAAAAAAAAAAAAAA
	}
	chain KUBE-SEP-AAAAAAAAAAAAAAAA {
		meta l4proto tcp counter packets 0 bytes 0 dnat to 192.168.0.10:6443
	}
}
table ip6 nat {
	chain KUBE-SERVICES {
		meta l4proto tcp ip6 daddr fd00::1 tcp dport 443 counter packets 0 bytes 0 jump KUBE-SVC-NPX46M4PTMTKRN6Y
	}
	chain KUBE-SVC-NPX46M4PTMTKRN6Y {
		counter packets 0 bytes 0 jump KUBE-SEP-BBBBBBBBBBBBBBBB
	}
	chain KUBE-SEP-BBBBBBBBBBBBBBBB {
		meta l4proto tcp counter packets 0 bytes 0 dnat to [fd00::10]:6443
	}
}
"#;
    let found = nft::iptables_nft_chains(&parse(text)).unwrap();
    let odds = odds_of(&found.analysis.services);
    assert_eq!(odds.len(), 2, "{odds:?}");
    for (id, endpoints) in &odds {
        assert_eq!(endpoints.len(), 1, "{id}: {endpoints:?}");
        assert_eq!(endpoints[0].2, 1.0, "{id}: {endpoints:?}");
    }
}

#[test]
fn iptables_nft_fragments_from_the_corpus() {
    let calico = nft::iptables_nft_chains(&parse(&corpus(
        "calico-8025-k3s-nft-list-ruleset-iptables-nft-KUBE-chains-TRUNCATED.txt",
    )))
    .unwrap();
    let summary = odds_of(&calico.analysis.services);
    assert_eq!(
        summary,
        [
            (
                "10.43.0.10:53/udp".to_string(),
                vec![("10.42.0.7".to_string(), Some(53), 1.0)]
            ),
            (
                "10.43.23.129:443/tcp".to_string(),
                vec![("10.42.0.10".to_string(), Some(10250), 1.0)]
            ),
        ]
    );
    let saifsust = nft::iptables_nft_chains(&parse(&corpus(
        "saifsust-DevOps-iptables-nft-KUBE-SERVICES-nft-list-fragment.txt",
    )))
    .unwrap();
    let ids: Vec<&str> = saifsust
        .analysis
        .services
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "10.96.0.10:53/tcp",
            "10.96.0.10:53/udp",
            "10.96.0.10:9153/tcp",
            "10.96.0.1:443/tcp"
        ]
    );
    // Listed on two nodes: both lines are kept.
    assert_eq!(
        service(&saifsust.analysis.services, "10.96.0.1:443/tcp").lines,
        [4, 15]
    );
    assert!(saifsust.analysis.findings[0]
        .message
        .starts_with("The KUBE-… chain (listed without their table header) holds"));
}

#[test]
fn iptables_nft_three_endpoints_and_unknown_statistic() {
    let text = "\
table ip nat {
\tchain KUBE-SVC-ABC {
\t\t meta random & 2147483647 < 715827883 counter packets 0 bytes 0 jump KUBE-SEP-1
\t\t meta random & 2147483647 < 1073741824 counter packets 0 bytes 0 jump KUBE-SEP-2
\t\t counter packets 0 bytes 0 jump KUBE-SEP-3
\t}
\tchain KUBE-SVC-DEF {
\t\t xt match \"statistic\" counter packets 0 bytes 0 jump KUBE-SEP-4
\t\t counter packets 0 bytes 0 jump KUBE-SEP-5
\t}
}
";
    let listing = nft::iptables_nft_chains(&parse(text)).unwrap();
    let odds = |id: usize| -> Vec<f64> {
        listing.analysis.services[id]
            .endpoints
            .iter()
            .map(|e| e.probability)
            .collect()
    };
    let abc = odds(0);
    assert_eq!(abc.len(), 3);
    for p in abc {
        assert!((p - 1.0 / 3.0).abs() < 1e-6, "{p}");
    }
    assert_eq!(odds(1), [0.5, 0.5]);
    assert!(listing.analysis.findings[0].message.contains("equal split"));
}

#[test]
fn nftables_dumps_are_not_iptables_nft_listings() {
    for name in [TEST_TRANSACTION, K3S_LISTING] {
        assert!(nft::iptables_nft_chains(&parse(&corpus(name))).is_none());
    }
    assert!(!nft::is_nftables_node(&[]));
    assert!(!nft::is_nftables_node(&parse("table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t}\n}\n")));
}

// ----- per-packet cost -----

#[test]
fn lookups_per_packet() {
    // k3s: filter-prerouting (`ct state new jump firewall-check`), firewall-check (`vmap @firewall-ips`,
    // a miss), nat-prerouting (`jump services`), services (`vmap @service-ips`, a hit), the service chain
    // (masquerade check, `numgen … vmap`), the endpoint chain (hairpin check, DNAT): 8 rules, 3 lookups.
    let cost = nft::nftables_lookups_per_packet(&parse(&corpus(K3S_LISTING)));
    assert_eq!(
        cost.services.len(),
        9,
        "the two ports without endpoints have no ClusterIP dispatch"
    );
    assert!(
        cost.services.iter().all(|c| c.rules == 8 && c.lookups == 3),
        "{:?}",
        cost.services
    );
    assert_eq!(
        cost.services[0].chains[..4],
        [
            "filter-prerouting",
            "firewall-check",
            "nat-prerouting",
            "services"
        ]
    );
    assert_eq!(
        (cost.mean_rules, cost.max_rules, cost.mean_lookups),
        (Some(8.0), Some(8), Some(3.0))
    );
    // With affinity, the check (`ip saddr @affinity-…`, a lookup) and the update add two rules.
    let cost = nft::nftables_lookups_per_packet(&parse(&corpus(TEST_TRANSACTION)));
    let svc5 = cost
        .services
        .iter()
        .find(|c| c.service == "ns5/svc5:p80")
        .unwrap();
    assert_eq!((svc5.rules, svc5.lookups), (10, 4));
    assert_eq!(cost.max_rules, Some(10));
    assert!(nft::nftables_lookups_per_packet(&[]).mean_rules.is_none());
}

// ----- the snapshot reads nft sections -----

#[test]
fn snapshot_parses_nft_sections() {
    let paste = format!(
        "root@node:~# nft list table ip kube-proxy\n{}",
        corpus(K3S_LISTING)
    );
    let snapshot = svcpath_analysis::Snapshot::parse(&paste, &svcpath_analysis::Options::default());
    assert_eq!(snapshot.nft.len(), 1);
    let a = nft::analyze(&snapshot.nft);
    // Line numbers count from the start of the paste: one line more than in the file.
    assert_eq!(
        service(&a.services, "riset/otelcol-opentelemetry-collector:otlp").lines,
        [55, 63]
    );
}

fn nft_like() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("add rule ip kube-proxy service-AAAAAAAA-a/b/tcp/p"),
        Just("add element ip kube-proxy service-ips {"),
        Just("add element ip kube-proxy no-endpoint-services {"),
        Just("add chain ip kube-proxy endpoint-BBBBBBBB-a/b/tcp/p__10.0.0.1/80"),
        Just("add rule ip kube-proxy endpoint-BBBBBBBB-a/b/tcp/p__10.0.0.1/80"),
        Just("numgen random mod 3 vmap { 0 : goto endpoint-BBBBBBBB-a/b/tcp/p__10.0.0.1/80, 1-7 : goto x }"),
        Just("numgen random mod 0 vmap {"),
        Just("10.0.0.9 . tcp . 80 : goto service-AAAAAAAA-a/b/tcp/p }"),
        Just("1.2.3.4 . tcp . 80 comment \"a/b:p\" : goto reject-chain }"),
        Just("dnat to 10.0.0.1:80"), Just("ip saddr 10.0.0.1 jump mark-for-masquerade"),
        Just("table ip nat {"), Just("chain KUBE-SVC-X {"), Just("jump KUBE-SEP-Y"), Just("chain KUBE-SEP-Y {"),
        Just("meta random & 2147483647 < 99999999999"), Just("}"), Just("\n"), Just("ip daddr 10.0.0.9 tcp dport 80"),
    ];
    prop::collection::vec(word, 0..40).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn analysis_never_panics_and_odds_are_probabilities(text in nft_like()) {
        let rs = parse(&text);
        let a = nft::analyze(&rs);
        let _ = nft::nftables_lookups_per_packet(&rs);
        let mut all = a.services;
        if let Some(l) = nft::iptables_nft_chains(&rs) {
            all.extend(l.analysis.services);
        }
        for s in &all {
            let total: f64 = s.endpoints.iter().map(|e| e.probability).sum();
            prop_assert!(total <= 1.0 + 1e-9, "{} sums to {}", s.id, total);
            for e in &s.endpoints {
                prop_assert!((0.0..=1.0 + 1e-9).contains(&e.probability));
            }
        }
    }
}

/// Every Service path of the nft corpus dumps, one line per outcome: `verdict endpoint share
/// [masquerade] [uncertain]`. Each line was checked against the kernel (`scripts/conformance.sh`).
#[test]
fn service_paths_of_the_nft_corpus() {
    use svcpath_analysis::trace;
    use svcpath_analysis::{Options, Snapshot};
    for (name, node_ip) in [
        (TEST_TRANSACTION, "192.168.0.2"),
        (
            "repo-notes-k3s-nftables-mode-nft-list-table-kube-proxy.txt",
            "10.34.4.246",
        ),
    ] {
        let options = Options {
            node_ips: vec![node_ip.to_string()],
            ..Options::default()
        };
        let snapshot = Snapshot::parse(&corpus(name), &options);
        let report = snapshot.report(&options);
        let mut lines: Vec<String> = Vec::new();
        for service in &report.services {
            for (label, t) in trace::service_paths(&snapshot, &options, service) {
                lines.push(format!("{}: {label}", service.id));
                for o in &t.outcomes {
                    lines.push(format!(
                        "    {}{} {:.4}{}{}",
                        o.verdict,
                        o.endpoint
                            .as_deref()
                            .map(|e| format!(" {e}"))
                            .unwrap_or_default(),
                        o.probability,
                        if o.masquerade { " masquerade" } else { "" },
                        if o.uncertain { " uncertain" } else { "" }
                    ));
                }
            }
        }
        insta::assert_snapshot!(format!("nft_paths_{name}"), lines.join("\n"));
    }
}

// ---- Every nftables layout kube-proxy has written, read by what the rules do. ----

/// A dump of `tests/conformance/` (the showcase cluster in each release's layout).
fn conformance(name: &str) -> String {
    let path = format!(
        "{}/../../tests/conformance/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn report_of(text: &str) -> svcpath_analysis::Report {
    svcpath_analysis::analyze(text, &svcpath_analysis::Options::default())
}

/// One line per Service port: id, entry, NodePort, endpoints with odds (and locality), or why they
/// are unknown.
fn summary(report: &svcpath_analysis::Report) -> Vec<String> {
    report
        .services
        .iter()
        .map(|s| {
            let eps: Vec<String> = s
                .endpoints
                .iter()
                .map(|e| {
                    format!(
                        "{}:{} {:.4}{}",
                        e.ip,
                        e.port.map(|p| p.to_string()).unwrap_or_default(),
                        e.probability,
                        match e.local {
                            Some(true) => " local",
                            _ => "",
                        }
                    )
                })
                .collect();
            format!(
                "{} {}:{}/{} np={} {}{}{}",
                s.id,
                s.cluster_ip.as_deref().unwrap_or("?"),
                s.port.map(|p| p.to_string()).unwrap_or_default(),
                s.protocol.map(|p| p.name()).unwrap_or("?"),
                s.node_port.map(|p| p.to_string()).unwrap_or("-".into()),
                if s.no_endpoints { "NO-ENDPOINTS " } else { "" },
                eps.join(", "),
                s.endpoints_unknown
                    .as_ref()
                    .map(|u| format!("UNKNOWN {:?}", u.lines))
                    .unwrap_or_default()
            )
        })
        .collect()
}

const RELEASES: [(&str, &str); 5] = [
    ("nft-1.33.nft", "nftables 1.29–1.33"),
    ("nft-1.34.nft", "nftables 1.34–1.35"),
    ("nft-1.36.nft", "nftables 1.36"),
    ("nft-1.37.nft", "nftables 1.37+"),
    ("nft-1.38-design.nft", "nftables 1.38 design"),
];

#[test]
fn every_release_layout_gives_the_same_services_and_odds() {
    // Checked by hand against the showcase cluster (crates/gen/src/model.rs `showcase`): nine Service
    // ports; web has three endpoints (one on this node), the others two, single one, empty none.
    let reference = summary(&report_of(&conformance("nft-1.33.nft")));
    insta::assert_snapshot!("nft_release_showcase_services", reference.join("\n"));
    for (file, layout) in RELEASES {
        let report = report_of(&conformance(file));
        assert_eq!(report.mode, Mode::Nftables, "{file}");
        let l = report
            .layout
            .as_ref()
            .unwrap_or_else(|| panic!("{file}: no layout"));
        assert_eq!(l.name, layout, "{file}");
        assert!(!l.evidence.is_empty(), "{file}");
        // Locality of the endpoints is not visible in every layout: compare without it.
        let strip = |v: Vec<String>| -> Vec<String> {
            v.into_iter().map(|s| s.replace(" local", "")).collect()
        };
        assert_eq!(strip(summary(&report)), strip(reference.clone()), "{file}");
        assert!(
            !report.findings.iter().any(|f| f.code == "endpoints-unknown"
                || f.code == "hairpin-masquerade-missing"
                || f.code == "skewed-odds"),
            "{file}: {:?}",
            report.findings.iter().map(|f| &f.code).collect::<Vec<_>>()
        );
        let no_endpoints: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.code == "no-endpoints")
            .filter_map(|f| f.service.as_deref())
            .collect();
        assert_eq!(no_endpoints, ["shop/empty:http"], "{file}");
    }
}

#[test]
fn the_model_and_the_tracer_agree_on_every_release() {
    use svcpath_analysis::trace::{self, Origin, Packet};
    use svcpath_analysis::{Options, Snapshot};
    for (file, _) in RELEASES {
        let options = Options {
            node_ips: vec!["192.168.0.10".into()],
            ..Options::default()
        };
        let snapshot = Snapshot::parse(&conformance(file), &options);
        let report = snapshot.report(&options);
        for s in report.services.iter().filter(|s| !s.endpoints.is_empty()) {
            let t = trace::trace(
                &snapshot,
                &options,
                &Packet {
                    src: None,
                    dst: s.cluster_ip.clone().unwrap(),
                    dst_port: s.port.unwrap(),
                    protocol: s.protocol.unwrap(),
                    from: Origin::Pod,
                    returning_client: false,
                },
            );
            let mut traced: Vec<(String, f64)> = t
                .outcomes
                .iter()
                .map(|o| {
                    (
                        o.endpoint.clone().unwrap_or_else(|| o.verdict.to_string()),
                        o.probability,
                    )
                })
                .collect();
            traced.sort_by(|a, b| a.0.cmp(&b.0));
            let mut modelled: Vec<(String, f64)> = s
                .endpoints
                .iter()
                .map(|e| (format!("{}:{}", e.ip, e.port.unwrap()), e.probability))
                .collect();
            modelled.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(traced.len(), modelled.len(), "{file} {}: {traced:?}", s.id);
            for (a, b) in traced.iter().zip(&modelled) {
                assert_eq!(a.0, b.0, "{file} {}", s.id);
                assert!(
                    (a.1 - b.1).abs() < 1e-9,
                    "{file} {}: {traced:?} vs {modelled:?}",
                    s.id
                );
            }
            assert!(t.outcomes.iter().all(|o| !o.uncertain), "{file} {}", s.id);
        }
    }
}

/// kube-proxy 1.36 on a real node (tests/fixtures/nft/SOURCES.md): no endpoint chains, `dnat ip to
/// numgen random mod 2 map { … }` straight from the service chain; the base chains were cut.
#[test]
fn a_real_1_36_listing() {
    let path = format!(
        "{}/../../tests/fixtures/nft/kube-proxy-1.36-backend-api.nft",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let report = report_of(&text);
    assert_eq!(
        summary(&report),
        [
            "default/kubernetes:https 10.96.0.1:443/tcp np=- 192.168.0.231:6443 1.0000",
            "kproxy-lab/backend-api:http 10.100.192.23:80/tcp np=- 10.244.0.10:9898 0.5000, 10.244.0.8:9898 0.5000",
        ]
    );
    let layout = report.layout.unwrap();
    assert_eq!(layout.name, "nftables 1.36");
    // `mod 1` on line 42, the hairpin masquerade on line 38, the off-cluster mark on line 31.
    assert_eq!(layout.evidence, [31, 38, 42]);
    assert!(report.findings.iter().all(|f| f.code != "no-endpoints"));
    // The trailing shell prompt is recognised, not an error.
    assert!(report
        .diagnostics
        .iter()
        .all(|d| !format!("{:?}", d.severity).contains("Error")));
}

#[test]
fn an_endpoint_rule_not_understood_gives_unknown_endpoints_and_no_negative_claim() {
    // `jhash` picks by the client's address: not evaluated, so nothing is claimed about endpoints.
    let text = "\
table ip kube-proxy {
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 10.96.0.20 . tcp . 80 : goto service-YVSKLJHA-lab/api/tcp/http }
	}
	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr . meta l4proto . th dport vmap @service-ips
	}
	chain service-YVSKLJHA-lab/api/tcp/http {
		meta l4proto tcp dnat ip to jhash ip saddr mod 2 map { 0 : 10.244.0.10 . 9898, 1 : 10.244.0.8 . 9898 }
	}
}
";
    let report = report_of(text);
    let s = service(&report.services, "lab/api:http");
    assert!(!s.no_endpoints);
    let u = s.endpoints_unknown.as_ref().expect("unknown endpoints");
    assert_eq!(u.lines, [11]);
    assert!(u.reason.contains("line 11"), "{}", u.reason);
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"endpoints-unknown"), "{codes:?}");
    assert!(!codes.contains(&"no-endpoints"), "{codes:?}");
    let text_report = svcpath_analysis::render::text(&report);
    assert!(
        text_report.contains("endpoints: unknown — line 11"),
        "{text_report}"
    );
    assert!(!text_report.contains("no endpoints"), "{text_report}");
    // The chain named by the map is cut from the paste: unknown too, naming the map element's line.
    let cut = text.replace(
        "\tchain service-YVSKLJHA-lab/api/tcp/http {\n\t\tmeta l4proto tcp dnat ip to jhash ip saddr mod 2 map { 0 : 10.244.0.10 . 9898, 1 : 10.244.0.8 . 9898 }\n\t}\n",
        "",
    );
    let report = report_of(&cut);
    let s = service(&report.services, "lab/api:http");
    assert!(!s.no_endpoints);
    assert_eq!(s.endpoints_unknown.as_ref().unwrap().lines, [4]);
    assert!(report.findings.iter().all(|f| f.code != "no-endpoints"));
}

#[test]
fn fragments_without_a_table_header() {
    // `sed -n '/map service-ips/,/^\t}/p'`: a map block alone, tab-indented.
    let map_only = "\
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		comment \"ClusterIP, ExternalIP and LoadBalancer IP traffic\"
		elements = { 10.100.192.23 . tcp . 80 : goto service-YVSKLJHA-kproxy-lab/backend-api/tcp/http,
			     10.96.0.1 . tcp . 443 : goto service-2QRHZV4L-default/kubernetes/tcp/https }
	}
";
    let report = report_of(map_only);
    let entries: Vec<(String, Option<String>, Option<u16>, bool)> = report
        .services
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                s.cluster_ip.clone(),
                s.port,
                s.endpoints_unknown.is_some(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                "default/kubernetes:https".into(),
                Some("10.96.0.1".into()),
                Some(443),
                true
            ),
            (
                "kproxy-lab/backend-api:http".into(),
                Some("10.100.192.23".into()),
                Some(80),
                true
            ),
        ]
    );
    assert!(report.services.iter().all(|s| !s.no_endpoints));
    assert!(report.findings.iter().all(|f| f.code != "no-endpoints"));

    // `grep -A3 'chain service-'`: a 1.33 service chain whose second endpoint chain was cut, then the prompt.
    let cut = "\
	chain service-ULMVA6XW-ns1/svc1/tcp/p80 {
		ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
		numgen random mod 2 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80, 1 : goto endpoint-ZZZZ2KTY-ns1/svc1/tcp/p80__10.180.0.2/80 }
	}
	chain endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 {
		ip saddr 10.180.0.1 jump mark-for-masquerade
		meta l4proto tcp dnat to 10.180.0.1:80
	}
user@node:~$
";
    let report = report_of(cut);
    assert_eq!(
        summary(&report),
        ["ns1/svc1:p80 172.30.0.41:80/tcp np=- 10.180.0.1:80 0.5000, 10.180.0.2:80 0.5000"]
    );
    let missing: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code == "endpoint-chain-missing")
        .collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].lines, [3]);
    assert!(missing[0].message.contains("10.180.0.2:80"));
    assert_eq!(
        report.layout.unwrap().name,
        "nftables up to 1.35 (fragment)"
    );
}

#[test]
fn layouts_of_the_corpus() {
    let t = report_of(&corpus(TEST_TRANSACTION)).layout.unwrap();
    // `add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }` (line 15).
    assert_eq!(
        (t.name.as_str(), t.evidence.as_slice()),
        ("nftables 1.34–1.35", &[15][..])
    );
    let k = report_of(&corpus(K3S_LISTING)).layout.unwrap();
    assert_eq!(k.name, "nftables 1.29–1.33");
    assert_eq!(k.evidence, [82, 100]);
}

#[test]
fn ipv6_tables_handles_and_markdown() {
    // `nft -a list table ip6 kube-proxy` of a 1.36 node: handles after every rule.
    let text = "\
table ip6 kube-proxy { # handle 4
	map service-ips { # handle 9
		type ipv6_addr . inet_proto . inet_service : verdict
		elements = { fd00:96::10 . tcp . 80 : goto service-AAAAAAAA-ns/v6/tcp/http }
	}
	chain nat-prerouting { # handle 2
		type nat hook prerouting priority dstnat; policy accept;
		ip6 daddr . meta l4proto . th dport vmap @service-ips # handle 11
	}
	chain service-AAAAAAAA-ns/v6/tcp/http { # handle 20
		meta l4proto tcp dnat ip6 to numgen random mod 2 map { 0 : fd00:10::5 . 8080, 1 : fd00:10::6 . 8080 } # handle 21
	}
}
";
    let report = report_of(text);
    assert_eq!(
        summary(&report),
        ["ns/v6:http fd00:96::10:80/tcp np=- fd00:10::5:8080 0.5000, fd00:10::6:8080 0.5000"]
    );
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    let md = svcpath_analysis::render::markdown(&report);
    assert!(md.contains("**Rule layout:** nftables 1.36\\+"), "{md}");
    // Unknown endpoints in Markdown too.
    let unknown = report_of(&text.replace("numgen random mod 2 map", "jhash ip6 saddr mod 2 map"));
    let md = svcpath_analysis::render::markdown(&unknown);
    assert!(md.contains("unknown — line 11"), "{md}");
}

#[test]
fn hairpin_set_of_1_36() {
    let path = format!(
        "{}/../../tests/fixtures/nft/kube-proxy-1.36-backend-api.nft",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    // The real listing: every pod endpoint is in the set (the API server on the node's own address
    // is not, as kube-proxy writes it): no finding.
    assert!(report_of(&text)
        .findings
        .iter()
        .all(|f| f.code != nft::hairpin::CODE));
    // One endpoint taken out of the set: its hairpin connection would not be masqueraded.
    let edited = text.replace(
        "elements = { 10.244.0.8 . 10.244.0.8 . tcp . 9898,\n\t\t\t     10.244.0.10 . 10.244.0.10 . tcp . 9898 }",
        "elements = { 10.244.0.8 . 10.244.0.8 . tcp . 9898 }",
    );
    assert_ne!(edited, text);
    let report = report_of(&edited);
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code == nft::hairpin::CODE)
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].service.as_deref(),
        Some("kproxy-lab/backend-api:http")
    );
    assert!(found[0]
        .message
        .starts_with("10.244.0.10:9898 is not in the set @hairpin-connections"));
    // The set, the masquerade rule and the DNAT rule (one line up: the edit joined two lines).
    assert_eq!(found[0].lines, [3, 37, 45]);
}
