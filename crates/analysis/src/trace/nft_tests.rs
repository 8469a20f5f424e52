//! Unit tests of the tracer on nftables rulesets. The expectations on `nft-edge.nft` and the corpus's
//! nft dumps are the ones the kernel confirmed (`scripts/conformance.sh`, nft cases).

use super::tests::{conformance_dump, pkt, run, s, summary, total};
use super::*;
use crate::model::Protocol;

/// The kube-proxy test transaction, read from the shared corpus beside the repository (a missing corpus
/// fails the test rather than skipping it).
fn overall() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/nft/k8s-test-TestOverallNFTablesRules.txt");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn clusterip_splits_by_numgen_and_only_the_node_is_masqueraded() {
    let dump = overall();
    let nodes = ["192.168.0.2"];
    let pod = run(&dump, &nodes, pkt(Origin::Pod, None, "172.30.0.44", 80));
    assert_eq!(
        summary(&pod),
        vec![
            s("dnat 10.180.0.4:80", 0.5, false),
            s("dnat 10.180.0.5:80", 0.5, false)
        ]
    );
    // The pod CIDR comes from `ip saddr != 10.0.0.0/8 jump mark-for-masquerade`.
    assert_eq!(pod.packet.src.as_deref(), Some("10.0.0.2"));
    // Base chains are found by hook and priority.
    assert!(pod.notes.iter().any(|n| n
        == "PREROUTING runs, by priority: ip kube-proxy filter-prerouting-pre-dnat (-110), \
            ip kube-proxy nat-prerouting (nat -100, run from the NAT hook)"));
    let steps = &pod.outcomes[0].steps;
    assert!(steps
        .iter()
        .any(|st| st.chain == "services" && st.note.contains("vmap @service-ips")));
    assert!(steps
        .iter()
        .any(|st| st.note.starts_with("numgen random mod 2 vmap: 0, 50%")));
    let node = run(&dump, &nodes, pkt(Origin::Node, None, "172.30.0.44", 80));
    assert_eq!(
        summary(&node),
        vec![
            s("dnat 10.180.0.4:80", 0.5, true),
            s("dnat 10.180.0.5:80", 0.5, true)
        ]
    );
    assert_eq!(node.outcomes[0].steps[0].hook, Hook::Output);
}

#[test]
fn hairpin_masquerades_only_the_connection_back_to_itself() {
    let dump = overall();
    let t = run(
        &dump,
        &["192.168.0.2"],
        pkt(Origin::Pod, Some("10.180.0.4"), "172.30.0.44", 80),
    );
    assert_eq!(
        summary(&t),
        vec![
            s("dnat 10.180.0.4:80", 0.5, true),
            s("dnat 10.180.0.5:80", 0.5, false)
        ]
    );
}

#[test]
fn etp_local_without_local_endpoints_drops_outside_traffic_only() {
    let dump = overall();
    let nodes = ["192.168.0.2"];
    let outside = run(
        &dump,
        &nodes,
        pkt(Origin::External, None, "192.168.0.2", 3001),
    );
    assert_eq!(summary(&outside), vec![s("drop", 1.0, false)]);
    let last = outside.outcomes[0].steps.last().unwrap();
    assert_eq!(
        (last.hook.name(), last.chain.as_str()),
        ("INPUT", "nodeport-endpoints-check")
    );
    let pod = run(&dump, &nodes, pkt(Origin::Pod, None, "192.168.0.2", 3001));
    assert_eq!(summary(&pod), vec![s("dnat 10.180.0.2:80", 1.0, false)]);
    let node = run(&dump, &nodes, pkt(Origin::Node, None, "192.168.0.2", 3001));
    assert_eq!(summary(&node), vec![s("dnat 10.180.0.2:80", 1.0, true)]);
}

#[test]
fn no_endpoints_reject_and_invalid_clusterips() {
    let dump = overall();
    let nodes = ["192.168.0.2"];
    let t = run(&dump, &nodes, pkt(Origin::Pod, None, "172.30.0.46", 80));
    assert_eq!(summary(&t), vec![s("reject", 1.0, false)]);
    assert_eq!(t.outcomes[0].steps.last().unwrap().chain, "reject-chain");
    // A port the ClusterIP does not serve is rejected, an unallocated ClusterIP dropped.
    let port = run(&dump, &nodes, pkt(Origin::Pod, None, "172.30.0.41", 81));
    assert_eq!(summary(&port), vec![s("reject", 1.0, false)]);
    let unallocated = run(&dump, &nodes, pkt(Origin::Pod, None, "172.30.0.99", 80));
    assert_eq!(summary(&unallocated), vec![s("drop", 1.0, false)]);
    // A served port is neither.
    let served = run(&dump, &nodes, pkt(Origin::Pod, None, "172.30.0.41", 80));
    assert_eq!(summary(&served), vec![s("dnat 10.180.0.1:80", 1.0, false)]);
}

#[test]
fn load_balancer_source_ranges() {
    let dump = overall();
    let nodes = ["192.168.0.2"];
    let inside = run(
        &dump,
        &nodes,
        pkt(Origin::External, Some("203.0.113.9"), "5.6.7.8", 80),
    );
    assert_eq!(summary(&inside), vec![s("dnat 10.180.0.3:80", 1.0, true)]);
    let outside = run(
        &dump,
        &nodes,
        pkt(Origin::External, Some("203.0.113.200"), "5.6.7.8", 80),
    );
    assert_eq!(summary(&outside), vec![s("drop", 1.0, false)]);
    assert!(outside.outcomes[0]
        .steps
        .last()
        .unwrap()
        .chain
        .starts_with("firewall-"));
}

const AFFINITY: &str = "table ip kube-proxy {
	set affinity-AAAA-ns/svc/tcp/p80__10.1.0.1/80 {
		type ipv4_addr
		flags dynamic,timeout
		timeout 3h
	}
	set affinity-BBBB-ns/svc/tcp/p80__10.1.0.2/80 {
		type ipv4_addr
		flags dynamic,timeout
		timeout 3h
	}
	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.96.0.5 tcp dport 80 goto service-SSSS-ns/svc/tcp/p80
	}
	chain service-SSSS-ns/svc/tcp/p80 {
		ip saddr @affinity-AAAA-ns/svc/tcp/p80__10.1.0.1/80 goto endpoint-AAAA-ns/svc/tcp/p80__10.1.0.1/80
		ip saddr @affinity-BBBB-ns/svc/tcp/p80__10.1.0.2/80 goto endpoint-BBBB-ns/svc/tcp/p80__10.1.0.2/80
		numgen random mod 2 vmap { 0 : goto endpoint-AAAA-ns/svc/tcp/p80__10.1.0.1/80, 1 : goto endpoint-BBBB-ns/svc/tcp/p80__10.1.0.2/80 }
	}
	chain endpoint-AAAA-ns/svc/tcp/p80__10.1.0.1/80 {
		update @affinity-AAAA-ns/svc/tcp/p80__10.1.0.1/80 { ip saddr }
		meta l4proto tcp dnat to 10.1.0.1:80
	}
	chain endpoint-BBBB-ns/svc/tcp/p80__10.1.0.2/80 {
		update @affinity-BBBB-ns/svc/tcp/p80__10.1.0.2/80 { ip saddr }
		meta l4proto tcp dnat to 10.1.0.2:80
	}
}
";

#[test]
fn a_returning_client_goes_back_to_its_first_endpoint() {
    let first = run(AFFINITY, &[], pkt(Origin::Pod, None, "10.96.0.5", 80));
    assert_eq!(
        summary(&first),
        vec![
            s("dnat 10.1.0.1:80", 0.5, false),
            s("dnat 10.1.0.2:80", 0.5, false)
        ]
    );
    let mut p = pkt(Origin::Pod, None, "10.96.0.5", 80);
    p.returning_client = true;
    let again = run(AFFINITY, &[], p);
    assert_eq!(summary(&again), summary(&first));
    for o in &again.outcomes {
        let endpoint = o.endpoint.as_deref().unwrap();
        // The second connection is decided by the affinity set, not by numgen.
        assert!(o.steps[0]
            .note
            .contains(&format!("first connection went to {endpoint}")));
        assert!(o
            .steps
            .iter()
            .any(|st| st.note.starts_with("goto endpoint-")));
        assert!(!o.steps.iter().any(|st| st.note.contains("numgen")));
    }
    // Without `update @…` a returning client is like a new one.
    let plain = AFFINITY.replace("update @", "counter comment \"x\" # @");
    let mut p = pkt(Origin::Pod, None, "10.96.0.5", 80);
    p.returning_client = true;
    let t = run(&plain, &[], p);
    assert!(t
        .notes
        .iter()
        .any(|n| n.contains("no rule on the way adds clients")));
}

#[test]
fn nat_chains_run_at_the_nat_hook_whatever_their_priority() {
    let dump = conformance_dump("nft-edge.nft");
    let nodes = ["192.168.30.5"];
    // The user's nat chain (priority -150) DNATs to 10.244.0.30; the filter chain at -120 that drops
    // 10.244.0.30 runs before it, because every nat chain runs at the NAT hook (-100).
    let t = run(&dump, &nodes, pkt(Origin::Pod, None, "10.96.1.12", 80));
    assert_eq!(summary(&t), vec![s("dnat 10.244.0.30:8080", 1.0, false)]);
    // kube-proxy's nat chain is not consulted after the user's DNAT.
    assert!(!t.outcomes[0]
        .steps
        .iter()
        .any(|st| st.chain == "nat-prerouting"));
    assert!(t.notes.iter().any(|n| n
        == "PREROUTING runs, by priority: inet user pre-filter (-120), ip kube-proxy filter-prerouting (-110), \
            inet user pre-nat (nat -150, run from the NAT hook), ip kube-proxy nat-prerouting (nat -100, run from the NAT hook)"));
}

#[test]
fn uneven_maps_offsets_marks_and_user_tables() {
    let dump = conformance_dump("nft-edge.nft");
    let nodes = ["192.168.30.5"];
    let uneven = run(
        &dump,
        &nodes,
        pkt(Origin::Pod, Some("10.244.0.66"), "10.96.1.10", 80),
    );
    // `0-1 : goto A1, 2 : goto A2`; the user's mark makes kube-proxy masquerade this client.
    assert_eq!(
        summary(&uneven),
        vec![
            s("dnat 10.244.1.11:8080", 0.6667, true),
            s("dnat 10.244.2.12:8080", 0.3333, true)
        ]
    );
    let mut dns = pkt(Origin::Pod, None, "10.96.1.40", 53);
    dns.protocol = Protocol::Udp;
    let dns = run(&dump, &nodes, dns);
    assert_eq!(
        summary(&dns),
        vec![
            s("dnat 10.244.1.31:53", 0.3333, false),
            s("dnat 10.244.2.32:53", 0.3333, false),
            s("dnat 10.244.3.33:53", 0.3333, false)
        ]
    );
    assert!((total(&dns) - 1.0).abs() < 1e-9);
    // The user's forward chain: interval set, interface names and a port range, policy drop.
    let blocked = run(
        &dump,
        &nodes,
        pkt(Origin::External, None, "10.244.9.5", 8080),
    );
    assert_eq!(summary(&blocked), vec![s("drop", 1.0, false)]);
    let ranged = run(
        &dump,
        &nodes,
        pkt(Origin::External, None, "10.244.5.5", 9050),
    );
    assert_eq!(summary(&ranged), vec![s("accept", 1.0, false)]);
    let other = run(&dump, &nodes, pkt(Origin::External, None, "10.244.5.5", 22));
    assert_eq!(summary(&other), vec![s("drop", 1.0, false)]);
    assert!(other.outcomes[0]
        .steps
        .last()
        .unwrap()
        .note
        .contains("policy drop"));
    let reset = run(&dump, &nodes, pkt(Origin::Node, None, "203.0.113.50", 7777));
    assert_eq!(summary(&reset), vec![s("reject", 1.0, false)]);
}

#[test]
fn iptables_tables_run_among_the_nft_base_chains() {
    let nft = overall();
    // What the capture command prints on a node with kube-proxy in nftables mode: iptables-save (here
    // a FORWARD policy DROP that lets one endpoint through, and a user DNAT), then `nft list ruleset`,
    // which also lists the iptables-nft view of the nat table.
    let dump = format!(
        "===== svcpath: iptables-save =====\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -d 10.180.0.4/32 -j ACCEPT\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -d 10.96.0.99/32 -p tcp --dport 80 -j DNAT --to-destination 10.180.0.4:80\n-A PREROUTING -d 172.30.0.44/32 -p tcp --dport 80 -j DNAT --to-destination 10.180.0.9:80\nCOMMIT\n===== svcpath: nft =====\n# Warning: table ip nat is managed by iptables-nft, do not touch!\ntable ip nat {{\n\tchain PREROUTING {{\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t}}\n}}\n{nft}"
    );
    let nodes = ["192.168.0.2"];
    let t = run(&dump, &nodes, pkt(Origin::Pod, None, "172.30.0.44", 80));
    assert_eq!(
        summary(&t),
        vec![
            s("dnat 10.180.0.4:80", 0.5, false),
            s("drop 10.180.0.5:80", 0.5, false)
        ]
    );
    let drop = t
        .outcomes
        .iter()
        .find(|o| o.verdict == Verdict::Drop)
        .unwrap();
    let last = drop.steps.last().unwrap();
    assert_eq!(
        (last.hook.name(), last.table.as_str()),
        ("FORWARD", "filter")
    );
    assert!(t.notes.iter().any(|n| n.contains("iptables filter (0)")));
    assert!(t
        .notes
        .iter()
        .any(|n| n.starts_with("the nft table ip nat is the iptables-nft view")));
    // Both nat chains sit at the NAT hook with priority -100: an order the dump does not show, and
    // the trace says which it took (kube-proxy's, created later, first). kube-proxy's does not map
    // 10.96.0.99, so the iptables nat table DNATs.
    assert!(t
        .notes
        .iter()
        .any(|n| n.starts_with("base chains of equal priority")
            && n.contains("PREROUTING ip kube-proxy nat-prerouting before iptables nat")));
    let user = run(&dump, &nodes, pkt(Origin::Pod, None, "10.96.0.99", 80));
    assert_eq!(summary(&user), vec![s("dnat 10.180.0.4:80", 1.0, false)]);
    let steps = &user.outcomes[0].steps;
    let kube = steps.iter().position(|st| st.chain == "nat-prerouting");
    let dnat = steps
        .iter()
        .position(|st| st.table == "nat" && st.note.starts_with("DNAT to 10.180.0.4:80"));
    assert!(kube.is_some() && dnat.is_some() && kube < dnat);
    // The mapping kube-proxy's chain set for 172.30.0.44 (above) left the iptables nat table, whose
    // rule would send it to 10.180.0.9, unconsulted.
    assert!(!t
        .outcomes
        .iter()
        .flat_map(|o| &o.steps)
        .any(|st| st.table == "nat"));
}

#[test]
fn ipv6_tables_trace_ipv6_packets_only() {
    let dump = "table ip6 kube-proxy {
	map service-ips {
		type ipv6_addr . inet_proto . inet_service : verdict
		elements = { fd00:10:96::a . tcp . 80 : goto svc }
	}
	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip6 daddr . meta l4proto . th dport vmap @service-ips
	}
	chain svc {
		numgen random mod 2 vmap { 0 : goto ep5, 1 : goto ep6 }
	}
	chain ep5 {
		meta l4proto tcp dnat to [fd00:10:244::5]:80
	}
	chain ep6 {
		meta l4proto tcp dnat to [fd00:10:244::6]:80
	}
}
";
    let t = run(dump, &[], pkt(Origin::Pod, None, "fd00:10:96::a", 80));
    assert_eq!(
        summary(&t),
        vec![
            s("dnat [fd00:10:244::5]:80", 0.5, false),
            s("dnat [fd00:10:244::6]:80", 0.5, false)
        ]
    );
    let v4 = run(dump, &[], pkt(Origin::Pod, None, "10.96.0.10", 80));
    assert!(v4.outcomes.is_empty());
    assert!(v4
        .notes
        .iter()
        .any(|n| n.contains("no nft base chain for IPv4 packets")));
}

#[test]
fn iptables_nft_statistic_splits_by_meta_random() {
    // How iptables-nft lists `-m statistic --mode random --probability 0.25` and the rest.
    let dump = "table ip nat {
	chain PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		meta l4proto tcp ip daddr 10.96.0.9 tcp dport 80 counter packets 0 bytes 0 jump KUBE-SVC-X
	}
	chain KUBE-SVC-X {
		 meta random & 2147483647 < 536870912 counter packets 0 bytes 0 jump KUBE-SEP-A
		 counter packets 0 bytes 0 jump KUBE-SEP-B
	}
	chain KUBE-SEP-A {
		meta l4proto tcp counter packets 0 bytes 0 dnat to 10.1.0.1:80
	}
	chain KUBE-SEP-B {
		meta l4proto tcp counter packets 0 bytes 0 dnat to 10.1.0.2:80
	}
}
";
    let t = run(dump, &[], pkt(Origin::Pod, None, "10.96.0.9", 80));
    assert_eq!(
        summary(&t),
        vec![
            s("dnat 10.1.0.2:80", 0.75, false),
            s("dnat 10.1.0.1:80", 0.25, false)
        ]
    );
}

#[test]
fn unknown_expressions_are_assumed_and_marked_uncertain() {
    let dump = "table inet t {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		meta cpu 1 ip daddr 10.96.0.9 dnat ip to 10.1.0.9:80
		ip daddr 10.96.0.8 frobnicate 7 dnat ip to 10.1.0.8:80
		ip daddr 10.96.0.7 dnat ip to 10.1.0.7:80
	}
}
";
    let cpu = run(dump, &[], pkt(Origin::Pod, None, "10.96.0.9", 80));
    assert_eq!(cpu.outcomes.len(), 1);
    assert!(cpu.outcomes[0].uncertain);
    assert!(cpu.outcomes[0]
        .steps
        .iter()
        .any(|st| st.note.contains("`meta cpu` is not modelled")));
    let unknown = run(dump, &[], pkt(Origin::Pod, None, "10.96.0.8", 80));
    assert!(unknown.outcomes[0].uncertain);
    assert!(unknown.outcomes[0]
        .steps
        .iter()
        .any(|st| st.note.contains("not understood")));
    // A rule that needs no assumption is certain.
    let known = run(dump, &[], pkt(Origin::Pod, None, "10.96.0.7", 80));
    assert_eq!(summary(&known), vec![s("dnat 10.1.0.7:80", 1.0, false)]);
}

#[test]
fn loops_missing_chains_and_deep_stacks_end_without_panic() {
    let looped = "table ip t {
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		jump a
	}
	chain a {
		jump b
	}
	chain b {
		jump a
	}
}
";
    let t = run(looped, &[], pkt(Origin::Pod, None, "10.96.0.1", 80));
    assert_eq!(t.outcomes.len(), 1);
    assert!(t.outcomes[0].uncertain);
    assert_eq!(t.outcomes[0].verdict, Verdict::Drop);
    let missing = "table ip t {
	chain pre {
		type filter hook prerouting priority 0; policy drop;
		jump nowhere
		ip daddr 10.96.0.1 accept
	}
}
";
    let t = run(missing, &[], pkt(Origin::Pod, None, "10.96.0.1", 80));
    assert_eq!(t.outcomes.len(), 1);
    assert!(t.outcomes[0].uncertain);
    assert_eq!(t.outcomes[0].verdict, Verdict::Accept);
    let t = run(missing, &[], pkt(Origin::Pod, None, "10.96.0.2", 80));
    assert_eq!(t.outcomes[0].verdict, Verdict::Drop);
    // A chain stack deeper than the limit.
    let mut deep = String::from(
        "table ip t {\n chain pre {\n  type filter hook prerouting priority 0; policy accept;\n  jump c0\n }\n",
    );
    for i in 0..100 {
        deep.push_str(&format!(" chain c{i} {{\n  jump c{}\n }}\n", i + 1));
    }
    deep.push_str("}\n");
    let t = run(&deep, &[], pkt(Origin::Pod, None, "10.96.0.1", 80));
    assert!(t.outcomes.iter().all(|o| o.uncertain));
}

#[test]
fn service_paths_of_an_nft_node() {
    let dump = include_str!("../../../../web/samples/k3s-nftables-mode.txt");
    let options = Options::default();
    let snapshot = Snapshot::parse(dump, &options);
    let report = snapshot.report(&options);
    assert_eq!(report.mode, report::Mode::Nftables);
    // Node IP and pod CIDR from kube-proxy's table.
    assert_eq!(report.node.node_ips[0].value, "10.34.4.246");
    assert_eq!(report.node.pod_cidrs[0].value, "10.42.0.0/16");
    let tracer = Tracer::new(&snapshot, &options);
    let svc = report
        .services
        .iter()
        .find(|s| s.id == "riset/hellopod-np-svc:")
        .unwrap();
    let paths = tracer.service_paths(svc);
    let labels: Vec<&str> = paths.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        [
            "ClusterIP 10.43.195.72:8000 from a pod",
            "ClusterIP 10.43.195.72:8000 from the node",
            "ClusterIP 10.43.195.72:8000 from endpoint 10.42.2.218 itself (hairpin)",
            "NodePort 10.34.4.246:30000 from outside",
        ]
    );
    for (label, t) in &paths {
        assert_eq!(t.outcomes.len(), 9, "{label}");
        assert!((total(t) - 1.0).abs() < 1e-9, "{label}");
        assert!(t
            .outcomes
            .iter()
            .all(|o| o.verdict == Verdict::Dnat && !o.uncertain));
    }
    // Outside traffic to the NodePort is masqueraded (eTP Cluster), pod traffic is not.
    assert!(paths[3].1.outcomes.iter().all(|o| o.masquerade));
    assert!(paths[0].1.outcomes.iter().all(|o| !o.masquerade));
    // Every Service of the node traces to outcomes that sum to one.
    for svc in &report.services {
        for (label, t) in tracer.service_paths(svc) {
            assert!(!t.outcomes.is_empty(), "{}: {label}", svc.id);
            assert!((total(&t) - 1.0).abs() < 1e-9, "{}: {label}", svc.id);
        }
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn rule() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "ip daddr 10.96.0.1 jump a",
            "ip daddr { 10.96.0.0/24, 10.97.0.1-10.97.0.9 } goto b",
            "meta l4proto . th dport vmap { tcp . 80 : jump a, udp . 53 : drop }",
            "numgen random mod 3 vmap { 0 : jump a, 1-2 : jump b }",
            "numgen random mod 2 == 1 jump b",
            "meta mark & 0x4000 != 0 return",
            "meta mark set meta mark | 0x4000",
            "ct state new jump a",
            "fib daddr type local accept",
            "ip saddr @s drop",
            "update @s { ip saddr }",
            "dnat to 10.1.0.1:80",
            "masquerade",
            "reject",
            "return",
            "jump pre",
            "goto a",
            "iifname \"cni0\" accept",
            "tcp dport 80 counter",
            "zzz yyy",
            "ip daddr . meta l4proto . th dport vmap @m",
        ])
        .prop_map(str::to_string)
    }

    fn ruleset() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(rule(), 0..6),
            prop::collection::vec(rule(), 0..6),
            prop::collection::vec(rule(), 0..6),
            prop::sample::select(vec!["nat", "filter"]),
            prop::sample::select(vec!["prerouting", "output", "forward", "postrouting"]),
        )
            .prop_map(|(p, a, b, kind, hook)| {
                format!(
                    "table ip t {{\n set s {{\n  type ipv4_addr\n  flags dynamic\n }}\n map m {{\n  type ipv4_addr . inet_proto . inet_service : verdict\n  elements = {{ 10.96.0.1 . tcp . 80 : goto a }}\n }}\n chain pre {{\n  type {kind} hook {hook} priority 0; policy accept;\n  {}\n }}\n chain a {{\n  {}\n }}\n chain b {{\n  {}\n }}\n}}\n",
                    p.join("\n  "),
                    a.join("\n  "),
                    b.join("\n  ")
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_nft_ruleset_traces_to_outcomes_that_sum_to_one(
            dump in ruleset(),
            from in prop::sample::select(vec![Origin::Pod, Origin::Node, Origin::External]),
            returning in any::<bool>(),
        ) {
            let mut p = pkt(from, None, "10.96.0.1", 80);
            p.returning_client = returning;
            let t = run(&dump, &["192.168.0.2"], p);
            prop_assert!(!t.outcomes.is_empty());
            prop_assert!((total(&t) - 1.0).abs() < 1e-9);
            for o in &t.outcomes {
                prop_assert!(o.probability > 0.0 && o.probability <= 1.0 + 1e-12);
            }
        }
    }
}

/// The nft findings and the traces of the same Services tell the same story: each finding's effect
/// shows in the Service's paths, and Services without the finding do not show it.
#[test]
fn findings_agree_with_the_traces() {
    let dump = overall();
    let options = Options {
        node_ips: vec!["192.168.0.2".to_string()],
        ..Options::default()
    };
    let snapshot = Snapshot::parse(&dump, &options);
    let report = snapshot.report(&options);
    let tracer = Tracer::new(&snapshot, &options);
    let has = |code: &str, id: &str| {
        report
            .findings
            .iter()
            .any(|f| f.code == code && f.service.as_deref() == Some(id))
    };
    let mut checked = 0;
    for svc in &report.services {
        let paths = tracer.service_paths(svc);
        let from_outside: Vec<&Trace> = paths
            .iter()
            .filter(|(l, _)| l.ends_with("from outside"))
            .map(|(_, t)| t)
            .collect();
        // eTP Local without a local endpoint: outside traffic to the NodePort is dropped.
        let outside_dropped = from_outside
            .iter()
            .any(|t| t.outcomes.iter().all(|o| o.verdict == Verdict::Drop));
        assert_eq!(
            outside_dropped,
            has("etp-local-no-local-endpoints", &svc.id),
            "{}",
            svc.id
        );
        // eTP Cluster: outside traffic that reaches an endpoint is masqueraded.
        if has("etp-cluster-client-ip-lost", &svc.id) {
            assert!(from_outside.iter().all(|t| t
                .outcomes
                .iter()
                .all(|o| o.verdict != Verdict::Dnat || o.masquerade)));
            checked += 1;
        }
        // No endpoints: the ClusterIP rejects.
        let pod = &paths[0].1;
        assert_eq!(
            pod.outcomes.iter().all(|o| o.verdict == Verdict::Reject),
            has("no-endpoints", &svc.id),
            "{}",
            svc.id
        );
        // Session affinity: there is a returning-client path, and it is decided by the client set.
        let returning = paths
            .iter()
            .find(|(l, _)| l.contains("connected before"))
            .map(|(_, t)| t);
        assert_eq!(
            returning.is_some(),
            has("session-affinity", &svc.id),
            "{}",
            svc.id
        );
        if let Some(t) = returning {
            assert!(t.outcomes.iter().all(|o| o.steps[0]
                .note
                .contains("added it to the client list(s) affinity-")));
        }
        // Hairpin: no finding, and the endpoint reaching itself is masqueraded.
        if let Some((_, t)) = paths.iter().find(|(l, _)| l.contains("(hairpin)")) {
            assert!(!has("hairpin-masquerade-missing", &svc.id));
            let src = t.packet.src.clone().unwrap();
            assert!(t
                .outcomes
                .iter()
                .filter(|o| o
                    .endpoint
                    .as_deref()
                    .is_some_and(|e| e.starts_with(&format!("{src}:"))))
                .all(|o| o.masquerade));
        }
    }
    assert_eq!(checked, 3);
}

/// `dnat ip to numgen … map { … }` (kube-proxy 1.36+), a single DNAT (1.37), and `ct mark set numgen`
/// with a named map keyed by `ct mark` (the 1.38 design), as the kernel confirmed on the conformance
/// dumps of each release.
#[test]
fn dnat_maps_of_each_release() {
    for file in ["nft-1.36.nft", "nft-1.37.nft", "nft-1.38-design.nft"] {
        let dump = conformance_dump(file);
        let nodes = ["192.168.0.10"];
        let web = run(&dump, &nodes, pkt(Origin::Pod, None, "10.96.0.11", 80));
        assert_eq!(
            summary(&web),
            vec![
                s("dnat 172.16.0.11:8080", 0.3333, false),
                s("dnat 172.16.1.11:8080", 0.3333, false),
                s("dnat 172.16.2.11:8080", 0.3333, false)
            ],
            "{file}"
        );
        let single = run(&dump, &nodes, pkt(Origin::Pod, None, "10.96.0.17", 80));
        assert_eq!(
            summary(&single),
            vec![s("dnat 172.16.1.17:8080", 1.0, false)],
            "{file}"
        );
        // From the node: the off-cluster mark of the `services` chain masquerades it.
        let node = run(&dump, &nodes, pkt(Origin::Node, None, "10.96.0.17", 80));
        assert_eq!(
            summary(&node),
            vec![s("dnat 172.16.1.17:8080", 1.0, true)],
            "{file}"
        );
        // Hairpin: only the connection back to the client itself is masqueraded (the set).
        let hairpin = run(
            &dump,
            &nodes,
            pkt(Origin::Pod, Some("172.16.1.12"), "10.96.0.12", 80),
        );
        assert_eq!(
            summary(&hairpin),
            vec![
                s("dnat 172.16.1.12:8080", 0.5, true),
                s("dnat 172.16.2.12:8080", 0.5, false)
            ],
            "{file}"
        );
    }
}

#[test]
fn dnat_map_offsets_ranges_misses_and_ipv6() {
    let dump = "\
table ip t {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.96.5.1 dnat ip to numgen random mod 4 offset 2 map { 2-4 : 10.1.0.1 . 80, 5 : 10.1.0.2 . 81 }
		ip daddr 10.96.5.2 dnat ip to numgen random mod 4 map { 0 : 10.1.0.3 . 80 }
		ip daddr 10.96.5.2 dnat ip to 10.1.0.9:99
		ip daddr 10.96.5.3 dnat ip to th dport map { 80 : 10.1.0.4 . 8080, 443 : 10.1.0.5 . 8443 }
	}
}
table ip6 t6 {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip6 daddr fd00:96::1 dnat ip6 to numgen random mod 2 map { 0 : fd00:10::1 . 80, 1 : fd00:10::2 . 80 }
	}
}
";
    let t = run(dump, &[], pkt(Origin::Pod, None, "10.96.5.1", 80));
    assert_eq!(
        summary(&t),
        vec![
            s("dnat 10.1.0.1:80", 0.75, false),
            s("dnat 10.1.0.2:81", 0.25, false)
        ]
    );
    // Three of four numbers find no element: the rule stops there and the next one DNATs.
    let t = run(dump, &[], pkt(Origin::Pod, None, "10.96.5.2", 80));
    assert_eq!(
        summary(&t),
        vec![
            s("dnat 10.1.0.9:99", 0.75, false),
            s("dnat 10.1.0.3:80", 0.25, false)
        ]
    );
    let t = run(dump, &[], pkt(Origin::Pod, None, "10.96.5.3", 443));
    assert_eq!(summary(&t), vec![s("dnat 10.1.0.5:8443", 1.0, false)]);
    let t = run(dump, &[], pkt(Origin::Pod, None, "fd00:96::1", 80));
    assert_eq!(
        summary(&t),
        vec![
            s("dnat [fd00:10::1]:80", 0.5, false),
            s("dnat [fd00:10::2]:80", 0.5, false)
        ]
    );
}
