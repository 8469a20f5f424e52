//! Unit tests of the packet tracer. The expectations on the dumps under `tests/conformance/` are the
//! ones the kernel oracle confirmed (`scripts/conformance.sh`).

use super::*;
use crate::model::Protocol;
use std::sync::Arc;

pub(super) fn conformance_dump(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/conformance")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A dump of the shared corpus beside the repository (a missing corpus fails the test rather than
/// skipping it).
fn corpus(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/iptables")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(super) fn run(dump: &str, node_ips: &[&str], packet: Packet) -> Trace {
    let options = Options {
        node_ips: node_ips.iter().map(|s| s.to_string()).collect(),
        ..Options::default()
    };
    let snapshot = Snapshot::parse(dump, &options);
    trace(&snapshot, &options, &packet)
}

pub(super) fn pkt(from: Origin, src: Option<&str>, dst: &str, port: u16) -> Packet {
    Packet {
        src: src.map(str::to_string),
        dst: dst.to_string(),
        dst_port: port,
        protocol: Protocol::Tcp,
        from,
        returning_client: false,
    }
}

/// `(verdict endpoint, probability to 4 places, masquerade, uncertain)` per outcome.
pub(super) fn summary(t: &Trace) -> Vec<(String, f64, bool, bool)> {
    t.outcomes
        .iter()
        .map(|o| {
            let what = match &o.endpoint {
                Some(e) => format!("{} {e}", o.verdict),
                None => o.verdict.to_string(),
            };
            (
                what,
                (o.probability * 1e4).round() / 1e4,
                o.masquerade,
                o.uncertain,
            )
        })
        .collect()
}

pub(super) fn total(t: &Trace) -> f64 {
    t.outcomes.iter().map(|o| o.probability).sum()
}

pub(super) fn s(what: &str, p: f64, masq: bool) -> (String, f64, bool, bool) {
    (what.to_string(), p, masq, false)
}

#[test]
fn clusterip_from_a_pod_splits_evenly_and_is_not_masqueraded() {
    let dump = conformance_dump("affinity-udp-ranges.txt");
    let mut p = pkt(Origin::Pod, None, "10.96.0.10", 53);
    p.protocol = Protocol::Udp;
    let t = run(&dump, &["192.168.20.5"], p);
    assert_eq!(
        summary(&t),
        vec![
            s("dnat 10.244.1.31:53", 0.25, false),
            s("dnat 10.244.2.32:53", 0.25, false),
            s("dnat 10.244.3.33:53", 0.25, false),
            s("dnat 10.244.4.34:53", 0.25, false),
        ]
    );
    assert!((total(&t) - 1.0).abs() < 1e-9);
    // The source was chosen: the pod CIDR + 2, and the trace says so.
    assert_eq!(t.packet.src.as_deref(), Some("10.244.0.2"));
    assert!(t.notes.iter().any(|n| n.contains("source 10.244.0.2")));
}

#[test]
fn node_to_clusterip_is_masqueraded() {
    let dump = conformance_dump("affinity-udp-ranges.txt");
    let t = run(
        &dump,
        &["192.168.20.5"],
        pkt(Origin::Node, None, "10.96.40.20", 443),
    );
    assert_eq!(
        summary(&t),
        vec![
            s("dnat 10.244.2.41:8443", 0.5, true),
            s("dnat 10.244.3.42:8443", 0.5, true)
        ]
    );
    assert_eq!(t.packet.src.as_deref(), Some("192.168.20.5"));
    let steps: Vec<&str> = t.outcomes[0].steps.iter().map(|s| s.hook.name()).collect();
    assert_eq!(steps.first(), Some(&"OUTPUT"));
    assert!(steps.contains(&"POSTROUTING"));
}

#[test]
fn hairpin_masquerades_only_the_connection_back_to_itself() {
    let dump = conformance_dump("etp-local.txt");
    let t = run(
        &dump,
        &["192.168.10.5"],
        pkt(Origin::Pod, Some("10.244.3.10"), "10.96.10.10", 80),
    );
    assert_eq!(
        summary(&t),
        vec![
            s("dnat 10.244.3.10:8080", 0.5, true),
            s("dnat 10.244.4.11:8080", 0.5, false)
        ]
    );
}

#[test]
fn etp_local_without_local_endpoints_drops_outside_traffic_only() {
    let dump = conformance_dump("etp-local.txt");
    let nodes = ["192.168.10.5"];
    let outside = run(
        &dump,
        &nodes,
        pkt(Origin::External, None, "192.168.10.5", 30101),
    );
    assert_eq!(summary(&outside), vec![s("drop", 1.0, false)]);
    let last = outside.outcomes[0].steps.last().unwrap();
    assert_eq!(
        (last.hook.name(), last.table.as_str(), last.chain.as_str()),
        ("INPUT", "filter", "KUBE-EXTERNAL-SERVICES")
    );
    // Pods and the node itself are short-circuited to the cluster-wide chain.
    let pod = run(&dump, &nodes, pkt(Origin::Pod, None, "192.168.10.5", 30101));
    assert_eq!(summary(&pod), vec![s("dnat 10.244.4.12:8080", 1.0, false)]);
    let node = run(
        &dump,
        &nodes,
        pkt(Origin::Node, None, "192.168.10.5", 30101),
    );
    assert_eq!(summary(&node), vec![s("dnat 10.244.4.12:8080", 1.0, true)]);
    // With a local endpoint, outside traffic keeps its source address.
    let local = run(
        &dump,
        &nodes,
        pkt(Origin::External, None, "198.51.100.20", 80),
    );
    assert_eq!(
        summary(&local),
        vec![s("dnat 10.244.3.10:8080", 1.0, false)]
    );
}

#[test]
fn v1_22_drop_mark_is_only_checked_on_input_and_output() {
    let dump = conformance_dump("etp-local-v1.22.txt");
    let nodes = ["192.168.10.5"];
    // The LB IP is not an address of the node: the packet is forwarded, and FORWARD does not look at 0x8000.
    let lb = run(
        &dump,
        &nodes,
        pkt(Origin::External, None, "198.51.100.21", 80),
    );
    assert_eq!(summary(&lb), vec![s("accept", 1.0, false)]);
    assert!(lb.outcomes[0]
        .steps
        .iter()
        .any(|s| s.note.contains("0x0 -> 0x8000")));
    let np = run(
        &dump,
        &nodes,
        pkt(Origin::External, None, "192.168.10.5", 30101),
    );
    assert_eq!(summary(&np), vec![s("drop", 1.0, false)]);
    assert_eq!(np.outcomes[0].steps.last().unwrap().chain, "KUBE-FIREWALL");
    // Localhost NodePorts: masqueraded (the 127.0.0.0/8 rule), and the KUBE-FIREWALL localnet rule
    // lets DNATed connections pass.
    let lo = run(&dump, &nodes, pkt(Origin::Node, None, "127.0.0.1", 30100));
    assert_eq!(
        summary(&lo),
        vec![
            s("dnat 10.244.3.10:8080", 0.5, true),
            s("dnat 10.244.4.11:8080", 0.5, true)
        ]
    );
    assert_eq!(lo.packet.src.as_deref(), Some("127.0.0.1"));
}

#[test]
fn no_endpoints_and_source_ranges() {
    let dump = conformance_dump("affinity-udp-ranges.txt");
    let nodes = ["192.168.20.5"];
    let empty = run(&dump, &nodes, pkt(Origin::Pod, None, "10.96.40.30", 80));
    assert_eq!(summary(&empty), vec![s("reject", 1.0, false)]);
    assert!(empty.outcomes[0]
        .steps
        .last()
        .unwrap()
        .note
        .contains("REJECT"));
    let empty_np = run(
        &dump,
        &nodes,
        pkt(Origin::External, None, "192.168.20.5", 31080),
    );
    assert_eq!(summary(&empty_np), vec![s("reject", 1.0, false)]);
    let inside = run(
        &dump,
        &nodes,
        pkt(Origin::External, Some("198.51.100.1"), "203.0.113.50", 443),
    );
    assert_eq!(
        summary(&inside),
        vec![
            s("dnat 10.244.2.41:8443", 0.5, true),
            s("dnat 10.244.3.42:8443", 0.5, true)
        ]
    );
    let outside = run(
        &dump,
        &nodes,
        pkt(Origin::External, Some("203.0.113.7"), "203.0.113.50", 443),
    );
    assert_eq!(summary(&outside), vec![s("drop", 1.0, false)]);
    assert_eq!(
        outside.outcomes[0].steps.last().unwrap().chain,
        "KUBE-PROXY-FIREWALL"
    );
}

#[test]
fn a_returning_client_goes_back_to_its_first_endpoint() {
    let dump = conformance_dump("affinity-udp-ranges.txt");
    let nodes = ["192.168.20.5"];
    let new = run(&dump, &nodes, pkt(Origin::Pod, None, "10.96.40.10", 80));
    let mut again = pkt(Origin::Pod, None, "10.96.40.10", 80);
    again.returning_client = true;
    let returning = run(&dump, &nodes, again);
    let third = 1.0 / 3.0;
    for t in [&new, &returning] {
        let shares: Vec<f64> = t.outcomes.iter().map(|o| o.probability).collect();
        assert_eq!(shares.len(), 3);
        assert!(
            shares.iter().all(|p| (p - third).abs() < 1e-6),
            "{shares:?}"
        );
    }
    // The first connection is placed by the statistic rules; the second by the -m recent check of the
    // endpoint it got first.
    let lines: Vec<&str> = dump.lines().collect();
    for o in &returning.outcomes {
        let first_rule = o
            .rules
            .iter()
            .find(|&&l| lines[(l - 1) as usize].starts_with("-A KUBE-SVC-YKCQ3ZMNXW2T7HBU"))
            .unwrap();
        let text = lines[(first_rule - 1) as usize];
        assert!(text.contains("--rcheck"), "{text}");
        assert!(text.contains(o.endpoint.as_deref().unwrap()), "{text}");
    }
    for o in &new.outcomes {
        assert!(o
            .rules
            .iter()
            .all(|&l| !lines[(l - 1) as usize].contains("--rcheck")));
    }
}

#[test]
fn rules_others_added_are_evaluated_too() {
    let dump = conformance_dump("user-rules.txt");
    let nodes = ["192.168.30.5"];
    let case = |p: Packet| summary(&run(&dump, &nodes, p));
    // A DNAT ahead of KUBE-SERVICES.
    assert_eq!(
        case(pkt(Origin::Pod, Some("10.244.7.5"), "10.96.50.10", 80)),
        vec![s("dnat 10.244.9.9:8080", 1.0, false)]
    );
    // A RETURN ahead of it: no Service at all, and the CNI's masquerade rule for traffic leaving the cluster.
    assert_eq!(
        case(pkt(Origin::Pod, Some("10.244.8.5"), "10.96.50.10", 80)),
        vec![s("accept", 1.0, true)]
    );
    // Every 4th connection to the canary.
    assert_eq!(
        case(pkt(Origin::Pod, None, "10.96.50.40", 80)),
        vec![
            s("dnat 10.244.1.91:80", 0.75, false),
            s("dnat 10.244.9.11:80", 0.25, false)
        ]
    );
    // A connection mark from mangle read in nat.
    assert_eq!(
        case(pkt(Origin::Pod, Some("10.244.5.5"), "10.96.50.20", 5432)),
        vec![s("dnat 10.244.9.12:5432", 1.0, false)]
    );
    // A REJECT in FORWARD sees the port after DNAT.
    assert_eq!(
        case(pkt(Origin::Pod, Some("10.244.6.5"), "10.96.50.20", 5432)),
        vec![s("reject 10.244.2.71:5432", 1.0, false)]
    );
    // The mangle mark that collides with kube-proxy's masquerade bit.
    assert_eq!(
        case(pkt(Origin::Pod, None, "10.96.50.30", 8443)),
        vec![s("dnat 10.244.1.81:8443", 1.0, true)]
    );
    // -g: falling off the chain it went to ends PREROUTING, so KUBE-SERVICES never sees the packet,
    // and FORWARD's DROP policy ends it.
    let goto = run(
        &dump,
        &nodes,
        pkt(Origin::External, None, "100.100.100.100", 81),
    );
    assert_eq!(summary(&goto), vec![s("drop", 1.0, false)]);
    assert!(goto.outcomes[0]
        .steps
        .iter()
        .any(|s| s.note.contains("goto OPS-LEGACY")));
    assert_eq!(
        goto.outcomes[0].steps.last().unwrap().note,
        "end of FORWARD: policy DROP"
    );
    assert_eq!(
        case(pkt(Origin::External, None, "100.100.100.100", 80)),
        vec![s("dnat 10.244.9.10:80", 1.0, false)]
    );
    // INPUT rules do not protect a NodePort (it is forwarded after DNAT), but they do the unused ones.
    assert_eq!(
        case(pkt(Origin::External, None, "192.168.30.5", 30080)).len(),
        2
    );
    assert_eq!(
        case(pkt(Origin::External, None, "192.168.30.5", 30999)),
        vec![s("drop", 1.0, false)]
    );
    // A quarantine rule matching on the uplink's name and the DNAT conntrack state.
    assert_eq!(
        case(pkt(
            Origin::External,
            Some("198.51.100.15"),
            "192.168.30.5",
            30080
        )),
        vec![
            s("drop 10.244.1.61:8080", 0.5, false),
            s("drop 10.244.2.62:8080", 0.5, false)
        ]
    );
    // REDIRECT of host traffic: to 127.0.0.1, which KUBE-FIREWALL lets pass because it was DNATed.
    assert_eq!(
        case(pkt(Origin::Node, None, "10.96.50.99", 80)),
        vec![s("dnat 127.0.0.1:15001", 1.0, false)]
    );
}

#[test]
fn kube_proxy_test_dumps_get_the_jumps_kube_proxy_installs() {
    let dump = corpus("k8s-test-TestOverallIPTablesRules.txt");
    let t = run(
        &dump,
        &["192.168.0.2"],
        pkt(Origin::Pod, None, "172.30.0.41", 80),
    );
    assert_eq!(summary(&t), vec![s("dnat 10.180.0.1:80", 1.0, false)]);
    assert!(t
        .notes
        .iter()
        .any(|n| n.starts_with("nat PREROUTING -> KUBE-SERVICES")));
    let first = &t.outcomes[0].steps[1];
    assert_eq!((first.chain.as_str(), first.line), ("PREROUTING", None));
    assert!(first.note.contains("not in the dump"));
    // The LB with source ranges and affinity, from inside the range.
    let lb = run(
        &dump,
        &["192.168.0.2"],
        pkt(Origin::External, Some("203.0.113.1"), "5.6.7.8", 80),
    );
    assert_eq!(summary(&lb), vec![s("dnat 10.180.0.3:80", 1.0, true)]);
}

#[test]
fn ipv6_rules_are_traced() {
    let dump = corpus("k8s-test-v1.28-TestEnableLocalhostNodePortsIPv6-ip6tables.txt");
    let t = run(
        &dump,
        &["fd00:ab34::10"],
        pkt(Origin::Pod, Some("fd00:10:244::5"), "fd00:ab34::20", 80),
    );
    assert!(!t.outcomes.is_empty(), "{t:?}");
    assert!(
        t.outcomes.iter().all(|o| o.verdict == Verdict::Dnat
            && o.endpoint.as_deref().is_some_and(|e| e.starts_with('['))),
        "{:?}",
        summary(&t)
    );
    assert!((total(&t) - 1.0).abs() < 1e-9);
}

#[test]
fn a_node_address_as_source_from_outside_is_a_martian() {
    let dump = conformance_dump("etp-local.txt");
    let t = run(
        &dump,
        &["192.168.10.5"],
        pkt(Origin::Pod, Some("192.168.10.5"), "10.96.10.10", 80),
    );
    // DNAT happens in PREROUTING; the routing decision after it drops the packet.
    assert_eq!(
        summary(&t),
        vec![
            s("drop 10.244.3.10:8080", 0.5, false),
            s("drop 10.244.4.11:8080", 0.5, false)
        ]
    );
    assert!(t.outcomes[0].steps.last().unwrap().note.contains("martian"));
}

const BASE: &str = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";

fn nat_dump(rules: &str) -> String {
    format!("{BASE}{rules}COMMIT\n")
}

#[test]
fn jump_loops_and_deep_stacks_end_uncertain() {
    let looped = nat_dump(":A - [0:0]\n:B - [0:0]\n-A PREROUTING -j A\n-A A -j B\n-A B -j A\n");
    let t = run(
        &looped,
        &[],
        pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert_eq!(summary(&t), vec![("drop".to_string(), 1.0, false, true)]);
    assert!(t.outcomes[0].steps.last().unwrap().note.contains("loop"));

    let mut deep = String::new();
    for i in 0..100 {
        deep.push_str(&format!(":C{i} - [0:0]\n-A C{i} -j C{}\n", i + 1));
    }
    let t = run(
        &nat_dump(&format!("{deep}-A PREROUTING -j C0\n")),
        &[],
        pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert_eq!(summary(&t), vec![("drop".to_string(), 1.0, false, true)]);
    assert!(t.outcomes[0]
        .steps
        .last()
        .unwrap()
        .note
        .contains("deeper than 64"));
}

#[test]
fn many_random_splits_are_capped_and_still_sum_to_one() {
    let mut rules = String::new();
    for i in 0..40 {
        rules.push_str(&format!(
            "-A PREROUTING -m statistic --mode random --probability 0.5 -j MARK --set-mark {}\n",
            i + 1
        ));
    }
    let t = run(
        &nat_dump(&rules),
        &[],
        pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert!((total(&t) - 1.0).abs() < 1e-9, "{}", total(&t));
    assert!(t
        .notes
        .iter()
        .any(|n| n.contains("more than 4096 branches")));
    assert!(t.outcomes.iter().any(|o| o.uncertain));
}

#[test]
fn identical_outcomes_are_merged() {
    let dump = nat_dump(
        ":SVC - [0:0]\n:SEP - [0:0]\n-A PREROUTING -j SVC\n-A SVC -m statistic --mode random --probability 0.3 -j SEP\n-A SVC -j SEP\n-A SEP -p tcp -j DNAT --to-destination 10.1.1.1:80\n",
    );
    let t = run(
        &dump,
        &[],
        pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert_eq!(summary(&t), vec![s("dnat 10.1.1.1:80", 1.0, false)]);
    // The likelier branch's path is kept: it skipped the 30% rule.
    assert_eq!(t.outcomes[0].rules, vec![8, 10, 11]);
}

#[test]
fn marks_and_connection_marks() {
    let dump = format!(
        "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-mark 0x5\n-A PREROUTING -j CONNMARK --save-mark\n-A PREROUTING -j MARK --and-mark 0x0\n-A PREROUTING -j MARK --xor-mark 0x100\n-A PREROUTING -j CONNMARK --restore-mark\nCOMMIT\n{}",
        nat_dump("-A PREROUTING -m mark --mark 0x5 -p tcp -j DNAT --to-destination 10.1.1.5:80\n-A PREROUTING -p tcp -j DNAT --to-destination 10.1.1.6:80\n")
    );
    let t = run(
        &dump,
        &[],
        pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert_eq!(summary(&t), vec![s("dnat 10.1.1.5:80", 1.0, false)]);
    let notes: Vec<&str> = t.outcomes[0]
        .steps
        .iter()
        .map(|s| s.note.as_str())
        .collect();
    assert!(notes.contains(&"MARK: mark 0x5 -> 0x0"), "{notes:?}");
    assert!(notes.contains(&"MARK: mark 0x0 -> 0x100"), "{notes:?}");
    assert!(
        notes.contains(&"CONNMARK --restore-mark: mark 0x5"),
        "{notes:?}"
    );
}

#[test]
fn unknown_matches_are_assumed_and_marked_uncertain() {
    let dump = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m string --string evil --algo bm -j DROP\n-A FORWARD -m nfacct --nfacct-name counted -j ACCEPT\nCOMMIT\n";
    let t = run(
        dump,
        &[],
        pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert_eq!(summary(&t), vec![("drop".to_string(), 1.0, false, true)]);
    assert!(t.outcomes[0]
        .steps
        .iter()
        .any(|s| s.note.starts_with("assumed: `-m string")));
    // nfacct only counts: matching it is no assumption.
    let counted = "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m nfacct --nfacct-name counted -j DROP\nCOMMIT\n";
    let t = run(
        counted,
        &[],
        pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert_eq!(summary(&t), vec![s("drop", 1.0, false)]);
    // The owner of a forwarded packet: there is none, so `-m owner` does not match (and is no guess).
    let owner = "*filter\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m owner --uid-owner 0 -j DROP\n-A OUTPUT -m owner --uid-owner 0 -j DROP\nCOMMIT\n";
    let t = run(
        owner,
        &[],
        pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert_eq!(summary(&t), vec![s("accept", 1.0, false)]);
    let t = run(
        owner,
        &[],
        pkt(Origin::Node, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert_eq!(summary(&t), vec![("drop".to_string(), 1.0, false, true)]);
}

#[test]
fn interface_names() {
    let dump = "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -i docker0 -j DROP\n-A FORWARD -o eth0 -j ACCEPT\n-A FORWARD -i cni0 -o cni0 -j REJECT\n-A FORWARD -i weird7 -j DROP\nCOMMIT\n";
    // docker0 is not a pods' link: certain; cni0 is taken as the pods' link; eth0 as the uplink.
    let t = run(
        dump,
        &[],
        pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert_eq!(summary(&t), vec![s("accept", 1.0, false)]);
    assert!(t
        .notes
        .iter()
        .any(|n| n.contains("pods' link is taken to be cni0")));
    let t = run(
        "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j DNAT --to-destination 10.244.1.1:80\nCOMMIT\n*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -i cni0 -o cni0 -j REJECT\nCOMMIT\n",
        &[],
        Packet { src: Some("10.244.0.2".into()), ..pkt(Origin::Pod, None, "10.96.0.1", 80) },
    );
    // Without a pod CIDR, a DNAT target is taken to be a pod: pod to pod on cni0.
    assert_eq!(summary(&t), vec![s("reject 10.244.1.1:80", 1.0, false)]);
    // A name that could be anything: not taken to be the packet's link, and said so.
    let t = run(
        "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -i weird7 -j DROP\nCOMMIT\n",
        &[],
        pkt(Origin::External, None, "10.96.0.1", 80),
    );
    assert_eq!(summary(&t), vec![("accept".to_string(), 1.0, false, true)]);
}

#[test]
fn ipset_members_decide_set_matches() {
    let paste = "# iptables-save\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m set --match-set KUBE-CLUSTER-IP dst,dst -j DNAT --to-destination 10.1.1.1:80\nCOMMIT\n# ipset list\nName: KUBE-CLUSTER-IP\nType: hash:ip,port\nRevision: 5\nHeader: family inet hashsize 1024 maxelem 65536\nSize in memory: 400\nReferences: 1\nNumber of entries: 1\nMembers:\n10.96.0.1,tcp:443\n";
    let options = Options::default();
    let snapshot = Snapshot::parse(paste, &options);
    if snapshot.ipsets.is_empty() {
        return;
    }
    let hit = trace(
        &snapshot,
        &options,
        &pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 443),
    );
    assert_eq!(summary(&hit), vec![s("dnat 10.1.1.1:80", 1.0, false)]);
    let miss = trace(
        &snapshot,
        &options,
        &pkt(Origin::Pod, Some("10.0.0.2"), "10.96.0.1", 80),
    );
    assert_eq!(summary(&miss), vec![s("accept", 1.0, false)]);
}

#[test]
fn unreadable_packets_trace_nothing_and_say_why() {
    let dump = conformance_dump("etp-local.txt");
    let t = run(&dump, &[], pkt(Origin::Pod, None, "not-an-ip", 80));
    assert!(t.outcomes.is_empty());
    assert!(t.notes[0].contains("not an IP address"));
    let t = run(
        &dump,
        &[],
        pkt(Origin::Pod, Some("10.0.0.1"), "fd00::1", 80),
    );
    assert!(t.outcomes.is_empty());
    let t = run("", &[], pkt(Origin::Pod, None, "10.0.0.1", 80));
    assert!(t.outcomes.is_empty());
}

#[test]
fn service_paths_cover_every_way_in() {
    let dump = conformance_dump("affinity-udp-ranges.txt");
    let options = Options {
        node_ips: vec!["192.168.20.5".into()],
        ..Options::default()
    };
    let snapshot = Snapshot::parse(&dump, &options);
    let report = snapshot.report(&options);
    let mut labels = Vec::new();
    for service in &report.services {
        for (label, t) in service_paths(&snapshot, &options, service) {
            assert!((total(&t) - 1.0).abs() < 1e-9, "{label}");
            labels.push(format!("{}: {label} => {:?}", service.id, summary(&t)));
        }
    }
    insta::with_settings!({ snapshot_path => "../../tests/snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("trace_service_paths", labels.join("\n"));
    });
}

#[test]
fn hairpin_trace_steps() {
    let dump = conformance_dump("etp-local.txt");
    let t = run(
        &dump,
        &["192.168.10.5"],
        pkt(Origin::Pod, Some("10.244.3.10"), "10.96.10.10", 80),
    );
    insta::with_settings!({ snapshot_path => "../../tests/snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("trace_hairpin", t);
    });
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    const FRAGMENTS: &[&str] = &[
        "-j A",
        "-j B",
        "-g A",
        "-j RETURN",
        "-j ACCEPT",
        "-j DROP",
        "-j REJECT",
        "-p tcp -j DNAT --to-destination 10.1.1.1:80",
        "-j DNAT --to-destination garbage",
        "-m statistic --mode random --probability 0.5 -j A",
        "-m statistic --mode nth --every 3 -j B",
        "-j MARK --or-mark 0x4000",
        "-m mark --mark 0x4000/0x4000 -j MASQUERADE",
        "-m recent --rcheck --name X -j A",
        "-m recent --set --name X -j B",
        "-m addrtype --dst-type LOCAL -j A",
        "! -s 10.0.0.0/8 -j MARK --xor-mark 0x1",
        "-i cni0 -j DROP",
        "-m conntrack --ctstate DNAT -j ACCEPT",
        "-m weird --what ever -j A",
        "-j NOPE-CHAIN",
        "-m set --match-set S src -j DROP",
        "-d 10.96.0.0/12 -p udp -m udp --dport 53 -j REDIRECT --to-ports 5353",
    ];

    fn dump(picks: &[(u8, u8, u8)]) -> String {
        let mut out = String::new();
        for table in ["nat", "filter"] {
            out.push_str(&format!("*{table}\n:A - [0:0]\n:B - [0:0]\n"));
            for (chain, fragment, t) in picks {
                if (*t % 2 == 0) != (table == "nat") {
                    continue;
                }
                let chains = [
                    "PREROUTING",
                    "OUTPUT",
                    "POSTROUTING",
                    "A",
                    "B",
                    "INPUT",
                    "FORWARD",
                ];
                let chain = chains[*chain as usize % chains.len()];
                let fragment = FRAGMENTS[*fragment as usize % FRAGMENTS.len()];
                out.push_str(&format!("-A {chain} {fragment}\n"));
            }
            out.push_str("COMMIT\n");
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn any_ruleset_traces_to_outcomes_that_sum_to_one(
            picks in proptest::collection::vec((0u8..16, 0u8..64, 0u8..4), 0..40),
            from in 0u8..3,
            returning in any::<bool>(),
        ) {
            let from = [Origin::Pod, Origin::Node, Origin::External][from as usize];
            let mut p = pkt(from, None, "10.96.0.1", 80);
            p.returning_client = returning;
            let t = run(&dump(&picks), &["192.168.1.1"], p);
            prop_assert!(!t.outcomes.is_empty());
            let sum = total(&t);
            prop_assert!((sum - 1.0).abs() < 1e-9, "sum {}", sum);
            for o in &t.outcomes {
                prop_assert!(["dnat", "accept", "drop", "reject"].contains(&o.verdict.name()));
                prop_assert!(o.probability > 0.0);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,400}", dst in "[0-9a-f.:]{0,20}") {
            let _ = run(&text, &["192.168.1.1"], pkt(Origin::Pod, None, &dst, 80));
        }
    }
}

#[test]
fn every_corpus_service_traces_within_bounds() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/iptables");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    let mut traced = 0;
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let options = Options {
            node_ips: vec!["192.168.0.2".into()],
            ..Options::default()
        };
        let snapshot = Snapshot::parse(&text, &options);
        let report = snapshot.report(&options);
        let tracer = Tracer::new(&snapshot, &options);
        for service in &report.services {
            for (label, t) in tracer.service_paths(service) {
                traced += 1;
                if !t.outcomes.is_empty() {
                    assert!(
                        (total(&t) - 1.0).abs() < 1e-9,
                        "{}: {label}",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(traced > 0 || !dir.exists());
}

/// Facts read once and shared by tracers built one after another (as the page's worker keeps them
/// beside its snapshot) give the traces a tracer reading everything itself gives, notes included.
#[test]
fn tracers_sharing_facts_trace_as_a_fresh_tracer() {
    let options = Options::default();
    for name in [
        "k8s-test-TestOverallIPTablesRules.txt",
        "repo-notes-azure-kubeadm-ipvs-mode-iptables-save-grep-KUBE.txt",
    ] {
        let snapshot = Snapshot::parse(&corpus(name), &options);
        let report = snapshot.report(&options);
        let facts = TraceFacts::of(&snapshot, &options);
        let fresh = Tracer::new(&snapshot, &options);
        let mut packets = vec![pkt(Origin::Pod, None, "10.96.0.1", 443)];
        for service in &report.services {
            for (_, t) in fresh.service_paths(service) {
                packets.push(t.packet);
            }
        }
        for packet in &packets {
            // A new tracer per packet, as the worker builds one per request.
            let shared = Tracer::sharing(&snapshot, Arc::clone(&facts)).trace(packet);
            assert_eq!(
                shared,
                Tracer::new(&snapshot, &options).trace(packet),
                "{name}"
            );
        }
        if snapshot.mode() == crate::model::Mode::Ipvs {
            let t = Tracer::sharing(&snapshot, Arc::clone(&facts)).trace(&packets[0]);
            assert!(t.notes.iter().any(|n| n.contains("IPVS mode")), "{name}");
        }
    }
}
