//! The move to nftables mode: the section appears for iptables- and IPVS-mode dumps of the corpus
//! (golden snapshots), and each blocker or behaviour change on a dump that shows it and one that does not.

use svcpath_analysis::migration::Migration;
use svcpath_analysis::{analyze, Options};

fn corpus(path: &str) -> String {
    svcpath_testkit::corpus::read(path)
}

fn migration(paste: &str) -> Migration {
    analyze(paste, &Options::default())
        .migration
        .expect("a migration section")
}

fn codes(paste: &str) -> Vec<String> {
    migration(paste).items.into_iter().map(|i| i.code).collect()
}

fn has(paste: &str, code: &str) -> bool {
    codes(paste).iter().any(|c| c == code)
}

fn lines_of(paste: &str, code: &str) -> Vec<u32> {
    migration(paste)
        .items
        .into_iter()
        .find(|i| i.code == code)
        .map(|i| i.lines)
        .unwrap_or_default()
}

fn line_of(paste: &str, text: &str) -> u32 {
    paste
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text}")) as u32
        + 1
}

// ---------------------------------------------------------------- golden

#[test]
fn the_section_for_the_corpus_dumps() {
    for (name, paste) in [
        (
            "iptables-TestOverallIPTablesRules",
            corpus("iptables/k8s-test-TestOverallIPTablesRules.txt"),
        ),
        (
            "iptables-minik8s-flannel-full",
            corpus("iptables/repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy.txt"),
        ),
        (
            "iptables-TestDisableLocalhostNodePortsIPv4",
            corpus("iptables/k8s-test-v1.28-TestDisableLocalhostNodePortsIPv4-no-localnet.txt"),
        ),
        (
            "ipvs-calico-aws-rate",
            corpus("ipvs/repo-workshop-calico-aws-watch-ipvsadm-L-n-rate.txt"),
        ),
        (
            "ipvs-opsnull-persistent",
            corpus("ipvs/opsnull-follow-me-251-ipvsadm-L-n.txt"),
        ),
        (
            "ipvs-azure-kubeadm-node",
            format!(
                "{}\n{}\n{}",
                corpus("ipvs/repo-notes-azure-kubeadm-ipvsadm-ln.txt"),
                corpus("ipset/repo-notes-azure-kubeadm-ipset-list-kube-proxy-ipvs.txt"),
                corpus("iptables/repo-notes-azure-kubeadm-ipvs-mode-iptables-save-grep-KUBE.txt"),
            ),
        ),
    ] {
        let report = analyze(&paste, &Options::default());
        let m = report
            .migration
            .clone()
            .unwrap_or_else(|| panic!("{name}: no section"));
        insta::assert_json_snapshot!(name, m);
        // The section is rendered in both formats.
        let text = svcpath_analysis::render::text(&report);
        assert!(text.contains("MOVE TO NFTABLES MODE"), "{name}");
        let markdown = svcpath_analysis::render::markdown(&report);
        assert!(markdown.contains("#### Move to nftables mode"), "{name}");
    }
}

#[test]
fn no_section_for_an_nftables_node_or_nothing() {
    let nft = corpus("nft/repo-notes-k3s-nftables-mode-nft-list-table-kube-proxy.txt");
    assert!(analyze(&nft, &Options::default()).migration.is_none());
    assert!(analyze("hello\n", &Options::default()).migration.is_none());
}

// ---------------------------------------------------------------- each item

/// A small iptables-mode node: one NodePort Service, NodePorts on every local address, no localhost
/// NodePorts, the conntrack INVALID workaround.
const NODE: &str = r#"*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FORWARD - [0:0]
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-AAAA - [0:0]
:KUBE-EXT-AAAA - [0:0]
:KUBE-SEP-A1 - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAA
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j KUBE-EXT-AAAA
-A KUBE-EXT-AAAA -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-AAAA -j KUBE-SVC-AAAA
-A KUBE-SVC-AAAA -m comment --comment "default/web:http -> 10.244.1.5:8080" -j KUBE-SEP-A1
-A KUBE-SEP-A1 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080
COMMIT
"#;

fn node_with(from: &str, to: &str) -> String {
    assert!(NODE.contains(from), "{from}");
    NODE.replacen(from, to, 1)
}

#[test]
fn the_small_node_shows_only_what_it_has() {
    let m = migration(NODE);
    let codes: Vec<&str> = m.items.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes, vec!["nodeport-addresses", "conntrack-invalid-drop"]);
    assert_eq!(m.objects.service_ports, 1);
    assert_eq!(m.objects.service_chains, 1);
    assert_eq!(m.objects.endpoint_chains, 1);
    // Fixed 16 + service, external and endpoint chains.
    assert_eq!(m.objects.chains, 19);
    assert!(m.rules_per_packet_now.is_some());
    assert_eq!(m.rules_per_packet_nftables, Some(6.0));
}

#[test]
fn localhost_nodeports() {
    let dump = node_with(
        "-A KUBE-NODEPORTS -p tcp",
        "-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment \"default/web:http\" -m tcp --dport 30080 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-AAAA\n-A KUBE-NODEPORTS -p tcp",
    );
    assert!(has(&dump, "localhost-nodeports"));
    assert_eq!(
        lines_of(&dump, "localhost-nodeports"),
        vec![line_of(&dump, "-d 127.0.0.0/8 -p tcp")]
    );
    assert!(!has(NODE, "localhost-nodeports"));
    // route_localnet=1 in a sysctl paste is the same evidence.
    let sysctl =
        format!("{NODE}$ sysctl -a | grep route_localnet\nnet.ipv4.conf.all.route_localnet = 1\n");
    assert!(has(&sysctl, "localhost-nodeports"));
    let off =
        format!("{NODE}$ sysctl -a | grep route_localnet\nnet.ipv4.conf.all.route_localnet = 0\n");
    assert!(!has(&off, "localhost-nodeports"));
}

#[test]
fn nodeport_addresses() {
    assert!(has(NODE, "nodeport-addresses"));
    assert_eq!(
        lines_of(NODE, "nodeport-addresses"),
        vec![line_of(NODE, "--dst-type LOCAL")]
    );
    // `--nodeport-addresses` narrowed the jump to the node's address.
    let narrowed = node_with(
        "-m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS",
        "-d 192.168.1.10/32 -j KUBE-NODEPORTS",
    );
    assert!(!has(&narrowed, "nodeport-addresses"));
}

/// An IPVS node: a ClusterIP, a NodePort on two node addresses and on 127.0.0.1, and a load-balancer IP.
fn ipvs_node(scheduler: &str) -> String {
    format!(
        "IP Virtual Server version 1.2.1 (size=4096)\n\
         Prot LocalAddress:Port Scheduler Flags\n\
         \x20 -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
         TCP  10.96.0.20:80 {scheduler}\n\
         \x20 -> 10.244.1.5:8080              Masq    1      0          0\n\
         TCP  192.168.1.10:30080 {scheduler}\n\
         \x20 -> 10.244.1.5:8080              Masq    1      0          0\n\
         TCP  10.0.0.10:30080 {scheduler}\n\
         \x20 -> 10.244.1.5:8080              Masq    1      0          0\n\
         TCP  127.0.0.1:30080 {scheduler}\n\
         \x20 -> 10.244.1.5:8080              Masq    1      0          0\n"
    )
}

const IPSETS: &str = "Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nRevision: 5\nHeader: family inet hashsize 1024 maxelem 65536\nSize in memory: 200\nReferences: 2\nNumber of entries: 1\nMembers:\n10.96.0.20,tcp:80\n\nName: KUBE-NODE-PORT-TCP\nType: bitmap:port\nRevision: 3\nHeader: range 0-65535\nSize in memory: 8268\nReferences: 1\nNumber of entries: 1\nMembers:\n30080\n\nName: KUBE-LOAD-BALANCER\nType: hash:ip,port\nRevision: 5\nHeader: family inet hashsize 1024 maxelem 65536\nSize in memory: 200\nReferences: 2\nNumber of entries: 1\nMembers:\n203.0.113.7,tcp:80\n";

#[test]
fn ipvs_scheduler() {
    let wlc = ipvs_node("wlc");
    assert!(has(&wlc, "ipvs-scheduler"), "{:?}", codes(&wlc));
    let m = migration(&wlc);
    let item = m.items.iter().find(|i| i.code == "ipvs-scheduler").unwrap();
    assert!(
        item.message.contains("weighted least connection"),
        "{}",
        item.message
    );
    assert!(item.lines.contains(&4));
    assert!(!has(&ipvs_node("rr"), "ipvs-scheduler"));
    // Not an IPVS node: no scheduler to judge.
    assert!(!has(NODE, "ipvs-scheduler"));
}

#[test]
fn ipvs_nodeport_addresses_and_localhost() {
    let node = ipvs_node("rr");
    assert!(has(&node, "nodeport-addresses"), "{:?}", codes(&node));
    assert_eq!(lines_of(&node, "nodeport-addresses"), vec![6, 8]);
    assert!(has(&node, "localhost-nodeports"));
    assert_eq!(lines_of(&node, "localhost-nodeports"), vec![10]);
    // One node address, no 127.0.0.1: neither.
    let one: String = node.lines().take(7).map(|l| format!("{l}\n")).collect();
    assert!(!has(&one, "nodeport-addresses"), "{:?}", codes(&one));
    assert!(!has(&one, "localhost-nodeports"));
}

#[test]
fn kube_ipvs0_addresses() {
    let with_lb = format!(
        "{}TCP  203.0.113.7:80 rr\n  -> 10.244.1.5:8080              Masq    1      0          0\n$ ipset list\n{IPSETS}",
        ipvs_node("rr")
    );
    assert!(
        has(&with_lb, "kube-ipvs0-addresses"),
        "{:?}",
        codes(&with_lb)
    );
    let item = migration(&with_lb)
        .items
        .into_iter()
        .find(|i| i.code == "kube-ipvs0-addresses")
        .unwrap();
    assert!(item.message.contains("203.0.113.7"));
    assert!(item.message.contains("strictARP"));
    assert!(!has(&ipvs_node("rr"), "kube-ipvs0-addresses"));
}

#[test]
fn rules_in_kube_chains() {
    let inside = node_with(
        "-A KUBE-SERVICES -d 10.96.0.20/32",
        "-A KUBE-SERVICES -s 10.0.0.0/8 -j SITE-AUDIT\n-A KUBE-SERVICES -d 10.96.0.20/32",
    );
    assert!(has(&inside, "rules-in-kube-chains"));
    assert_eq!(
        lines_of(&inside, "rules-in-kube-chains"),
        vec![line_of(&inside, "-j SITE-AUDIT")]
    );
    let into = node_with(
        "-A KUBE-MARK-MASQ -j MARK",
        "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j KUBE-MARK-MASQ\n-A KUBE-MARK-MASQ -j MARK",
    );
    assert!(has(&into, "rules-in-kube-chains"));
    let m = migration(&into);
    let item = m
        .items
        .iter()
        .find(|i| i.code == "rules-in-kube-chains")
        .unwrap();
    assert_eq!(item.severity, svcpath_analysis::report::Severity::Critical);
    assert!(
        item.message.contains("CNI-HOSTPORT-MASQ"),
        "{}",
        item.message
    );
    assert!(!has(NODE, "rules-in-kube-chains"));
}

#[test]
fn kernel_and_nft_too_old() {
    let old =
        format!("{NODE}$ uname -r\n5.4.0-42-generic\n$ nft --version\nnftables v0.9.3 (Topsy)\n");
    assert!(has(&old, "kernel-too-old"), "{:?}", codes(&old));
    assert_eq!(
        lines_of(&old, "kernel-too-old"),
        vec![line_of(&old, "5.4.0-42")]
    );
    assert!(has(&old, "nft-too-old"));
    assert_eq!(
        lines_of(&old, "nft-too-old"),
        vec![line_of(&old, "nftables v0.9.3")]
    );
    let new = format!(
        "{NODE}$ uname -r\n6.8.0-45-generic\n$ nft --version\nnftables v1.0.9 (Old Doc Yak #3)\n"
    );
    assert!(!has(&new, "kernel-too-old"), "{:?}", codes(&new));
    assert!(!has(&new, "nft-too-old"));
    // Without versions in the paste nothing is said about them.
    assert!(!has(NODE, "kernel-too-old"));
    assert!(!has(NODE, "nft-too-old"));
}

#[test]
fn conntrack_invalid_drop() {
    assert!(has(NODE, "conntrack-invalid-drop"));
    let without = node_with(
        "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n",
        "",
    );
    assert!(!has(&without, "conntrack-invalid-drop"));
}

#[test]
fn ipvs_deprecation_and_external_ips_are_stated() {
    let notes = migration(&ipvs_node("rr")).notes.join(" ");
    assert!(notes.contains("deprecated since Kubernetes 1.35"));
    assert!(notes.contains("1.43"));
    assert!(notes.contains("default mode in 1.40"));
    let iptables_notes = migration(NODE).notes.join(" ");
    assert!(!iptables_notes.contains("IPVS mode is deprecated"));
    assert!(!iptables_notes.contains("externalIPs"));
    let overall = migration(&corpus("iptables/k8s-test-TestOverallIPTablesRules.txt"))
        .notes
        .join(" ");
    assert!(overall.contains("externalIPs, which are deprecated since Kubernetes 1.36 (KEP-5707)"));
}
