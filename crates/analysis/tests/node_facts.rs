//! Node facts and what rests on them: where each fact comes from (a rule, a host-network endpoint, the
//! user), outcomes that say when they depend on an unknown node IP, reasons for every uncertain
//! outcome, the IP family and rule counts of mixed pastes, and near-miss commands.

use svcpath_analysis::report::{DiagnosticSeverity, IpFamily, Protocol, SectionKind};
use svcpath_analysis::trace::{self, Hook, Origin, Packet, Trace, Verdict};
use svcpath_analysis::{analyze, Options, Snapshot};

fn corpus(kind: &str, file: &str) -> String {
    svcpath_testkit::corpus::read(format!("{kind}/{file}"))
}

fn overall() -> String {
    corpus("iptables", "k8s-test-TestOverallIPTablesRules.txt")
}

fn run(dump: &str, options: &Options, packet: Packet) -> Trace {
    let snapshot = Snapshot::parse(dump, options);
    trace::trace(&snapshot, options, &packet)
}

fn packet(dst: &str, port: u16, from: Origin) -> Packet {
    Packet {
        src: None,
        dst: dst.to_string(),
        dst_port: port,
        protocol: Protocol::Tcp,
        from,
        returning_client: false,
    }
}

#[test]
fn a_nodeport_trace_without_a_node_ip_says_so_and_asks_for_it() {
    let dump = overall();
    let unknown = run(
        &dump,
        &Options::default(),
        packet("192.168.0.2", 3003, Origin::External),
    );
    assert_eq!(unknown.outcomes.len(), 1, "{:#?}", unknown.outcomes);
    let o = &unknown.outcomes[0];
    assert_eq!(o.verdict, Verdict::Accept);
    assert!(
        o.uncertain,
        "an ACCEPT that rests on an unknown node IP is not certain"
    );
    assert!(
        o.uncertain_reasons
            .iter()
            .any(|r| r.contains("no node IP is known")
                && r.contains("192.168.0.2")
                && r.contains("give the node's IP")),
        "{:?}",
        o.uncertain_reasons
    );
    let options = Options {
        node_ips: vec!["192.168.0.2".into()],
        ..Options::default()
    };
    let known = run(
        &dump,
        &options,
        packet("192.168.0.2", 3003, Origin::External),
    );
    assert_eq!(known.outcomes.len(), 1, "{:#?}", known.outcomes);
    assert_eq!(known.outcomes[0].verdict, Verdict::Dnat);
    assert_eq!(known.outcomes[0].endpoint.as_deref(), Some("10.180.0.3:80"));
    assert!(!known.outcomes[0].uncertain);
    assert!(known.outcomes[0].uncertain_reasons.is_empty());
}

#[test]
fn cluster_ips_and_pod_addresses_do_not_ask_for_a_node_ip() {
    let dump = overall();
    // A ClusterIP from a pod: decided without knowing the node's address.
    let t = run(
        &dump,
        &Options::default(),
        packet("172.30.0.41", 80, Origin::Pod),
    );
    assert!(t.outcomes.iter().all(|o| !o.uncertain), "{:#?}", t.outcomes);
    // A Service without endpoints: its REJECT does not depend on the node's address either.
    let t = run(
        &dump,
        &Options::default(),
        packet("172.30.0.46", 80, Origin::Pod),
    );
    assert!(t.outcomes.iter().all(|o| !o.uncertain), "{:#?}", t.outcomes);
}

#[test]
fn every_uncertain_outcome_lists_its_reasons() {
    let mut uncertain = 0;
    for (kind, file) in [
        ("iptables", "k8s-test-TestOverallIPTablesRules.txt"),
        (
            "iptables",
            "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy.txt",
        ),
        (
            "iptables",
            "weave-3392-iptables-KUBE-SERVICES-externalIP-physdev-TRUNCATED.txt",
        ),
        (
            "iptables",
            "k8s-test-v1.28-TestEnableLocalhostNodePortsIPv6-ip6tables.txt",
        ),
        ("nft", "k8s-test-TestOverallNFTablesRules.txt"),
    ] {
        let dump = corpus(kind, file);
        let options = Options::default();
        let snapshot = Snapshot::parse(&dump, &options);
        let report = snapshot.report(&options);
        for service in &report.services {
            for (label, t) in trace::service_paths(&snapshot, &options, service) {
                for o in &t.outcomes {
                    if o.uncertain {
                        uncertain += 1;
                        assert!(!o.uncertain_reasons.is_empty(), "{file}: {label}");
                        // The tracer says what it assumed, not only that it assumed something.
                        assert!(
                            !o.uncertain_reasons
                                .iter()
                                .any(|r| r.starts_with("svcpath assumed something")),
                            "{file}: {label}: {:?}",
                            o.uncertain_reasons
                        );
                    } else {
                        assert!(o.uncertain_reasons.is_empty(), "{file}: {label}");
                    }
                }
            }
        }
    }
    assert!(
        uncertain >= 5,
        "the dumps have uncertain outcomes to check ({uncertain})"
    );
}

/// A node with a host-network endpoint (10.1.2.3, outside the pod CIDR 10.244.0.0/16) behind an
/// eTP=Local NodePort Service and a ClusterIP.
const HOST_NETWORK: &str = "\
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SVL-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-EXT-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]
-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES
-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment \"infra/agent:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA
-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -p tcp -m comment --comment \"infra/agent:http\" -m tcp --dport 30080 -j KUBE-EXT-AAAAAAAAAAAAAAAA
-A KUBE-EXT-AAAAAAAAAAAAAAAA -s 10.244.0.0/16 -m comment --comment \"pod traffic for infra/agent:http external destinations\" -j KUBE-SVC-AAAAAAAAAAAAAAAA
-A KUBE-EXT-AAAAAAAAAAAAAAAA -m comment --comment \"masquerade LOCAL traffic for infra/agent:http external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-AAAAAAAAAAAAAAAA -m comment --comment \"route LOCAL traffic for infra/agent:http external destinations\" -m addrtype --src-type LOCAL -j KUBE-SVC-AAAAAAAAAAAAAAAA
-A KUBE-EXT-AAAAAAAAAAAAAAAA -j KUBE-SVL-AAAAAAAAAAAAAAAA
-A KUBE-SVC-AAAAAAAAAAAAAAAA ! -s 10.244.0.0/16 -d 10.96.0.50/32 -p tcp -m comment --comment \"infra/agent:http cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment \"infra/agent:http -> 10.1.2.3:8080\" -j KUBE-SEP-BBBBBBBBBBBBBBBB
-A KUBE-SVL-AAAAAAAAAAAAAAAA -m comment --comment \"infra/agent:http -> 10.1.2.3:8080\" -j KUBE-SEP-BBBBBBBBBBBBBBBB
-A KUBE-SEP-BBBBBBBBBBBBBBBB -s 10.1.2.3/32 -m comment --comment infra/agent:http -j KUBE-MARK-MASQ
-A KUBE-SEP-BBBBBBBBBBBBBBBB -p tcp -m comment --comment infra/agent:http -m tcp -j DNAT --to-destination 10.1.2.3:8080
COMMIT
";

#[test]
fn a_host_network_endpoint_gives_the_node_ip_and_is_delivered_locally() {
    let options = Options::default();
    let report = analyze(HOST_NETWORK, &options);
    let fact = report
        .node
        .node_ips
        .iter()
        .find(|f| f.value == "10.1.2.3")
        .unwrap_or_else(|| panic!("{:?}", report.node.node_ips));
    assert!(
        fact.source.contains("host-network endpoint"),
        "{}",
        fact.source
    );
    assert!(!fact.lines.is_empty());

    // From a pod to the ClusterIP: DNAT to the node's own address, delivered locally (INPUT), not
    // forwarded, and not masqueraded (POSTROUTING is not on the way).
    let t = run(
        HOST_NETWORK,
        &options,
        packet("10.96.0.50", 80, Origin::Pod),
    );
    assert_eq!(t.outcomes.len(), 1, "{:#?}", t.outcomes);
    let o = &t.outcomes[0];
    assert_eq!(o.verdict, Verdict::Dnat);
    assert_eq!(o.endpoint.as_deref(), Some("10.1.2.3:8080"));
    assert!(!o.masquerade);
    assert!(
        o.steps.iter().any(|s| s.hook == Hook::Input),
        "{:#?}",
        o.steps
    );
    assert!(
        !o.steps.iter().any(|s| s.hook == Hook::Forward),
        "{:#?}",
        o.steps
    );

    // Its NodePort from outside: accepted on the node IP, DNATed locally, eTP=Local keeps the source.
    let t = run(
        HOST_NETWORK,
        &options,
        packet("10.1.2.3", 30080, Origin::External),
    );
    assert_eq!(t.outcomes.len(), 1, "{:#?}", t.outcomes);
    assert_eq!(t.outcomes[0].verdict, Verdict::Dnat);
    assert!(!t.outcomes[0].masquerade);
    assert!(
        !t.outcomes[0].uncertain,
        "{:?}",
        t.outcomes[0].uncertain_reasons
    );
}

#[test]
fn an_endpoint_outside_the_pod_network_with_no_node_ip_known_is_uncertain() {
    // Without the local chain kube-proxy does not say the endpoint is on this node: it might be this
    // node's own address, which the tracer cannot tell.
    let dump = HOST_NETWORK.replace("-A KUBE-SVL-AAAAAAAAAAAAAAAA -m comment --comment \"infra/agent:http -> 10.1.2.3:8080\" -j KUBE-SEP-BBBBBBBBBBBBBBBB\n", "");
    let options = Options::default();
    assert!(analyze(&dump, &options).node.node_ips.is_empty());
    let t = run(&dump, &options, packet("10.96.0.50", 80, Origin::Pod));
    let o = &t.outcomes[0];
    assert_eq!(o.verdict, Verdict::Dnat);
    assert!(o.uncertain);
    assert!(
        o.uncertain_reasons
            .iter()
            .any(|r| r.contains("host-network endpoint") && r.contains("10.1.2.3")),
        "{:?}",
        o.uncertain_reasons
    );
    // Given as the node IP by the user, it is delivered locally and certain.
    let options = Options {
        node_ips: vec!["10.1.2.3".into()],
        ..Options::default()
    };
    let t = run(&dump, &options, packet("10.96.0.50", 80, Origin::Pod));
    assert!(
        !t.outcomes[0].uncertain,
        "{:?}",
        t.outcomes[0].uncertain_reasons
    );
    assert!(t.outcomes[0].steps.iter().any(|s| s.hook == Hook::Input));
}

#[test]
fn pod_cidrs_and_node_ips_given_by_the_user_are_facts_that_say_so() {
    let options = Options {
        node_ips: vec!["192.168.0.2".into(), " ".into()],
        pod_cidrs: vec!["10.0.0.0/8".into(), "10.50.0.0/16".into()],
        ..Options::default()
    };
    let report = analyze(&overall(), &options);
    let ips: Vec<(&str, bool)> = report
        .node
        .node_ips
        .iter()
        .map(|f| (f.value.as_str(), f.given_by_user()))
        .collect();
    assert_eq!(ips, vec![("192.168.0.2", true)]);
    let cidrs: Vec<(&str, bool)> = report
        .node
        .pod_cidrs
        .iter()
        .map(|f| (f.value.as_str(), f.given_by_user()))
        .collect();
    // The user's first; one the rules show too is listed once.
    assert_eq!(cidrs, vec![("10.0.0.0/8", true), ("10.50.0.0/16", true)]);
    // Without options the rule is the source.
    let report = analyze(&overall(), &Options::default());
    assert!(
        report.node.pod_cidrs[0].source.contains("line 58"),
        "{:?}",
        report.node.pod_cidrs
    );
}

const EMPTY_IP6TABLES: &str = "\
# Generated by ip6tables-save v1.8.7 on Mon Mar  2 10:00:00 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
# Completed on Mon Mar  2 10:00:00 2026
";

#[test]
fn an_empty_ip6tables_save_does_not_make_an_ipv6_node() {
    let dump = overall();
    let mixed = format!("# iptables-save\n{dump}\n# ip6tables-save\n{EMPTY_IP6TABLES}");
    let report = analyze(&mixed, &Options::default());
    assert_eq!(report.node.ip_family, Some(IpFamily::Ipv4));
    // A real IPv6 dump beside it makes a dual-stack node.
    let v6 = corpus(
        "iptables",
        "k8s-test-v1.28-TestEnableLocalhostNodePortsIPv6-ip6tables.txt",
    );
    let v6 = if v6.contains("# Generated by ip6tables") {
        v6
    } else {
        format!("# Generated by ip6tables-save v1.8.7\n{v6}")
    };
    let dual = format!("# iptables-save\n{dump}\n# ip6tables-save\n{v6}");
    assert_eq!(
        analyze(&dual, &Options::default()).node.ip_family,
        Some(IpFamily::DualStack)
    );
    assert_eq!(
        analyze(&v6, &Options::default()).node.ip_family,
        Some(IpFamily::Ipv6)
    );
}

#[test]
fn the_iptables_nft_view_beside_iptables_save_is_not_counted_twice() {
    let save = "\
*nat
:PREROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
COMMIT
";
    let view = "\
table ip nat {
\tchain PREROUTING {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tcounter packets 0 bytes 0 jump KUBE-SERVICES
\t}
\tchain KUBE-SERVICES {
\t\tmeta l4proto tcp ip daddr 10.96.0.1 tcp dport 443 counter packets 0 bytes 0 jump KUBE-SVC-NPX46M4PTMTKRN6Y
\t}
}
table inet user {
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\ttcp dport 22 accept
\t}
}
";
    let alone = analyze(save, &Options::default()).rules;
    let both = analyze(
        &format!("# iptables-save\n{save}# nft list ruleset\n{view}"),
        &Options::default(),
    )
    .rules;
    assert_eq!(both.iptables_rules, alone.iptables_rules);
    // Only the rule of the table iptables-save does not show.
    assert_eq!(both.nft_rules, 1, "{both:?}");
}

#[test]
fn near_miss_commands_are_reported_with_the_command_to_run() {
    let paste = "\
root@node:~# iptables -t nat -L -n
Chain PREROUTING (policy ACCEPT)
target     prot opt source               destination
KUBE-SERVICES  all  --  0.0.0.0/0            0.0.0.0/0            /* kubernetes service portals */
";
    let report = analyze(paste, &Options::default());
    assert!(
        report.diagnostics.iter().any(|d| d.line == 1
            && d.severity == DiagnosticSeverity::Warning
            && d.message.contains("run `iptables-save`")),
        "{:?}",
        report.diagnostics
    );
    // The near miss replaces the generic "nothing to read".
    assert!(!report
        .diagnostics
        .iter()
        .any(|d| d.message.contains("nothing in the input looks like")));
}

#[test]
fn the_addresses_section_gives_the_node_ips() {
    let brief = "===== svcpath: addresses =====\n\
                 lo               UNKNOWN        127.0.0.1/8 ::1/128\n\
                 eth0@if12        UP             192.168.0.2/24 fe80::42:acff:fe11:2/64\n\
                 cni0             UP             10.0.0.1/24\n\
                 kube-ipvs0       DOWN           172.30.0.41/32\n";
    let paste = format!("{}{brief}", overall());
    let report = analyze(&paste, &Options::default());
    assert!(
        report
            .sections
            .iter()
            .any(|s| s.kind == SectionKind::Addresses),
        "{:?}",
        report.sections
    );
    let ips: Vec<&str> = report
        .node
        .node_ips
        .iter()
        .map(|f| f.value.as_str())
        .collect();
    assert_eq!(
        ips,
        vec!["192.168.0.2"],
        "only the node's own link: {:?}",
        report.node.node_ips
    );
    assert!(
        report.node.node_ips[0].source.contains("eth0"),
        "{}",
        report.node.node_ips[0].source
    );
    assert_eq!(
        report.node.addresses.len(),
        6,
        "{:?}",
        report.node.addresses
    );
    // The NodePort is now traced on that address without the user giving it.
    let t = run(
        &paste,
        &Options::default(),
        packet("192.168.0.2", 3003, Origin::External),
    );
    assert_eq!(t.outcomes[0].endpoint.as_deref(), Some("10.180.0.3:80"));

    // `ip addr` after a prompt, read without a marker.
    let full = "$ ip addr\n\
                1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n\
                \x20   inet 127.0.0.1/8 scope host lo\n\
                2: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n\
                \x20   link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n\
                \x20   inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic ens3\n\
                \x20   inet6 fe80::5054:ff:fe12:3456/64 scope link\n";
    let report = analyze(full, &Options::default());
    assert_eq!(report.sections.len(), 1, "{:?}", report.sections);
    assert_eq!(report.sections[0].kind, SectionKind::Addresses);
    assert!(
        report
            .diagnostics
            .iter()
            .all(|d| d.severity != DiagnosticSeverity::Error),
        "{:?}",
        report.diagnostics
    );
    let ips: Vec<&str> = report
        .node
        .node_ips
        .iter()
        .map(|f| f.value.as_str())
        .collect();
    assert_eq!(ips, vec!["10.0.2.15"]);
}
