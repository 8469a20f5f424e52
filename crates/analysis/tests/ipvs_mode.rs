//! IPVS mode: the node model, Services, odds and findings on the corpus dumps (golden snapshots) and on
//! small inputs that show, or do not show, each finding.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use svcpath_analysis::ipvs::{analyze, is_ipvs_node};
use svcpath_analysis::report::{Finding, Severity};
use svcpath_analysis::{ModeAnalysis, Options, Snapshot};
use svcpath_syntax::{ipset, iptables, ipvs, Origin};

fn corpus(path: &str) -> String {
    svcpath_testkit::corpus::read(path)
}

fn listing(text: &str) -> ipvs::Listing {
    ipvs::parse(text, Origin::START).value
}

fn sets(text: &str) -> Vec<ipset::IpSet> {
    ipset::parse(text, Origin::START).value
}

fn rules(text: &str) -> iptables::Ruleset {
    iptables::parse(text, Origin::START).value
}

fn json(analysis: &ModeAnalysis) -> serde_json::Value {
    serde_json::json!({ "services": analysis.services, "findings": analysis.findings })
}

fn codes(analysis: &ModeAnalysis) -> Vec<&str> {
    analysis.findings.iter().map(|f| f.code.as_str()).collect()
}

fn with_code<'a>(analysis: &'a ModeAnalysis, code: &str) -> Vec<&'a Finding> {
    analysis
        .findings
        .iter()
        .filter(|f| f.code == code)
        .collect()
}

// ---------------------------------------------------------------- corpus

#[test]
fn each_ipvsadm_file_alone() {
    for name in [
        "kube-router-160-ipvsadm-ln-stats",
        "kube-router-415-ipvsadm-L-resolved-names",
        "opsnull-follow-me-251-ipvsadm-L-n",
        "repo-notes-azure-kubeadm-ipvsadm-ln",
        "repo-workshop-calico-aws-watch-ipvsadm-L-n-rate",
        "k8s-81308-ipvsadm-l-timeout",
    ] {
        let l = listing(&corpus(&format!("ipvs/{name}.txt")));
        let analysis = analyze(std::slice::from_ref(&l), &[], &[]);
        insta::assert_json_snapshot!(format!("alone__{name}"), json(&analysis));
        assert_eq!(
            is_ipvs_node(std::slice::from_ref(&l), &[], &[]),
            !l.services.is_empty(),
            "{name}"
        );
    }
}

#[test]
fn azure_kubeadm_node_with_sets_and_rules() {
    let l = listing(&corpus("ipvs/repo-notes-azure-kubeadm-ipvsadm-ln.txt"));
    let s = sets(&corpus(
        "ipset/repo-notes-azure-kubeadm-ipset-list-kube-proxy-ipvs.txt",
    ));
    let r = rules(&corpus(
        "iptables/repo-notes-azure-kubeadm-ipvs-mode-iptables-save-grep-KUBE.txt",
    ));
    assert!(
        is_ipvs_node(&[], &[], std::slice::from_ref(&r)),
        "the iptables grep alone shows IPVS mode"
    );
    assert!(
        is_ipvs_node(&[], std::slice::from_ref(&s), &[]),
        "the ipset listing alone shows IPVS mode"
    );
    let analysis = analyze(&[l], &[s], &[r]);
    insta::assert_json_snapshot!("azure_kubeadm_node", json(&analysis));
    // Hand-checked: four Services, the DNS ones with two endpoints at 50 % each, all roles from the sets.
    assert_eq!(analysis.services.len(), 4);
    let dns = analysis
        .services
        .iter()
        .find(|s| s.id == "10.96.0.10:53/udp")
        .unwrap();
    assert_eq!(dns.endpoints.len(), 2);
    assert!(dns
        .endpoints
        .iter()
        .all(|e| e.probability == 0.5 && e.local == Some(true) && e.weight == Some(1)));
    let api = analysis
        .services
        .iter()
        .find(|s| s.id == "10.96.0.1:443/tcp")
        .unwrap();
    assert_eq!(api.endpoints[0].active_connections, Some(4));
    assert_eq!(api.scheduler.as_deref(), Some("rr"));
    // Every local DNS endpoint has its KUBE-LOOP-BACK entry; nothing is left over from iptables mode.
    assert!(with_code(&analysis, "ipvs-hairpin-without-loopback-entry").is_empty());
    assert!(with_code(&analysis, "iptables-mode-leftovers").is_empty());
    assert_eq!(with_code(&analysis, "ipvs-masquerade-rules").len(), 1);
}

#[test]
fn azure_iptables_and_sets_without_ipvsadm() {
    let s = sets(&corpus(
        "ipset/repo-notes-azure-kubeadm-ipset-list-kube-proxy-ipvs.txt",
    ));
    let r = rules(&corpus(
        "iptables/repo-notes-azure-kubeadm-ipvs-mode-iptables-save-grep-KUBE.txt",
    ));
    let analysis = analyze(&[], &[s], &[r]);
    insta::assert_json_snapshot!("azure_kubeadm_without_ipvsadm", json(&analysis));
    // The four KUBE-CLUSTER-IP members become Services whose endpoints are unknown.
    assert_eq!(analysis.services.len(), 4);
    assert!(analysis
        .services
        .iter()
        .all(|s| s.endpoints.is_empty() && !s.no_endpoints));
    // And say so, with the set member that shows each of them.
    for s in &analysis.services {
        let unknown = s.endpoints_unknown.as_ref().expect("endpoints unknown");
        assert!(unknown.reason.contains("no `ipvsadm -Ln` listing"));
        assert_eq!(unknown.lines.len(), 1);
        assert!(s.lines.contains(&unknown.lines[0]));
    }
}

#[test]
fn cilium_node_is_ipvs_with_iptables_leftovers() {
    let nat = rules(&corpus(
        "iptables/repo-notes-cilium-ipvs-node-iptables-save-t-nat-garbled-DNAT.txt",
    ));
    let filter = rules(&corpus(
        "iptables/repo-notes-cilium-ipvs-node-iptables-save-t-filter.txt",
    ));
    assert!(is_ipvs_node(&[], &[], std::slice::from_ref(&nat)));
    assert!(is_ipvs_node(&[], &[], &[nat.clone(), filter.clone()]));
    // The filter table alone shows nothing that only IPVS mode writes.
    assert!(!is_ipvs_node(&[], &[], std::slice::from_ref(&filter)));
    let analysis = analyze(&[], &[], &[nat, filter]);
    insta::assert_json_snapshot!("cilium_node", json(&analysis));
    let leftovers = with_code(&analysis, "iptables-mode-leftovers");
    assert_eq!(leftovers.len(), 1);
    let f = leftovers[0];
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message.contains("7 per-Service chain(s)"),
        "{}",
        f.message
    );
    assert!(f.message.contains("7 endpoint chain(s)"), "{}", f.message);
    assert!(
        f.message.contains("4 \"has no endpoints\" reject rule(s)"),
        "{}",
        f.message
    );
    assert!(f.message.contains("garbled"), "{}", f.message);
}

#[test]
fn kube_router_stats_are_too_few_to_judge() {
    let l = listing(&corpus("ipvs/kube-router-160-ipvsadm-ln-stats.txt"));
    let analysis = analyze(&[l], &[], &[]);
    let few = with_code(&analysis, "ipvs-too-few-connections");
    assert_eq!(few.len(), 1);
    // 21 connections over 8 equally weighted servers: 2.6 expected each, below 5.
    assert!(
        few[0].message.contains("21 connection(s)"),
        "{}",
        few[0].message
    );
    assert!(few[0].message.contains("2.6"), "{}", few[0].message);
}

#[test]
fn a_whole_paste_fills_the_snapshot() {
    let paste = format!(
        "root@node:~# ipvsadm -Ln\n{}\nroot@node:~# ipset list\n{}\nroot@node:~# iptables-save\n{}",
        corpus("ipvs/repo-notes-azure-kubeadm-ipvsadm-ln.txt").trim_start_matches("ipvsadm -ln\n"),
        corpus("ipset/repo-notes-azure-kubeadm-ipset-list-kube-proxy-ipvs.txt")
            .trim_start_matches("ipset list\n"),
        corpus("iptables/repo-notes-azure-kubeadm-ipvs-mode-iptables-save-grep-KUBE.txt")
            .trim_start_matches("iptables-save|grep KUBE\n"),
    );
    let snapshot = Snapshot::parse(&paste, &Options::default());
    assert_eq!(snapshot.ipvs.len(), 1);
    assert_eq!(snapshot.ipvs[0].services.len(), 4);
    assert_eq!(snapshot.ipsets.len(), 1);
    assert_eq!(snapshot.ipsets[0].len(), 14);
    assert!(is_ipvs_node(
        &snapshot.ipvs,
        &snapshot.ipsets,
        &snapshot.iptables
    ));
    let analysis = analyze(&snapshot.ipvs, &snapshot.ipsets, &snapshot.iptables);
    assert_eq!(analysis.services.len(), 4);
    // Lines refer to the whole paste: the first virtual service is on line 5 of the paste.
    let api = analysis
        .services
        .iter()
        .find(|s| s.id == "10.96.0.1:443/tcp")
        .unwrap();
    assert_eq!(api.lines.first(), Some(&5));
}

// ---------------------------------------------------------------- grouping and naming

const HEADER: &str = "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";

#[test]
fn cluster_ip_and_node_ports_group_into_one_service() {
    let l = listing(&format!(
        "{HEADER}TCP  10.96.5.5:80 wrr\n  -> 10.244.1.7:8080 Masq 3 0 0\n  -> 10.244.2.9:8080 Masq 1 0 0\n\
         TCP  192.168.1.10:30080 wrr\n  -> 10.244.1.7:8080 Masq 3 0 0\n  -> 10.244.2.9:8080 Masq 1 0 0\n\
         TCP  127.0.0.1:30080 wrr\n  -> 10.244.1.7:8080 Masq 3 0 0\n  -> 10.244.2.9:8080 Masq 1 0 0\n"
    ));
    let s = sets(
        "Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nMembers:\n10.96.5.5,tcp:80 comment \"shop/web:http\"\n\n\
         Name: KUBE-NODE-PORT-TCP\nType: bitmap:port\nMembers:\n30080\n",
    );
    let analysis = analyze(&[l], &[s], &[]);
    assert_eq!(analysis.services.len(), 1, "{:#?}", analysis.services);
    let svc = &analysis.services[0];
    assert_eq!(svc.id, "shop/web:http");
    assert_eq!(svc.cluster_ip.as_deref(), Some("10.96.5.5"));
    assert_eq!(svc.node_port, Some(30080));
    assert_eq!(svc.port, Some(80));
    let shares: Vec<f64> = svc.endpoints.iter().map(|e| e.probability).collect();
    assert_eq!(shares, [0.75, 0.25]);
}

#[test]
fn without_a_node_port_set_entry_each_vip_is_its_own_service() {
    let l = listing(&format!(
        "{HEADER}TCP  10.96.5.5:80 rr\n  -> 10.244.1.7:8080 Masq 1 0 0\nTCP  192.168.1.10:30080 rr\n  -> 10.244.1.7:8080 Masq 1 0 0\n"
    ));
    let analysis = analyze(&[l], &[], &[]);
    let ids: Vec<&str> = analysis.services.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["10.96.5.5:80/tcp", "192.168.1.10:30080/tcp"]);
    // Roles guessed from the port range fill the fields.
    assert_eq!(analysis.services[1].node_port, Some(30080));
}

#[test]
fn names_from_iptables_comments() {
    let l = listing(&format!(
        "{HEADER}UDP  10.96.0.10:53 rr\n  -> 10.244.0.3:53 Masq 1 0 0\n"
    ));
    let r = rules("*filter\n-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns has no endpoints\" -m udp --dport 53 -j REJECT\nCOMMIT\n");
    let analysis = analyze(&[l], &[], &[r]);
    assert_eq!(analysis.services[0].id, "kube-system/kube-dns:dns");
    assert_eq!(
        analysis.services[0].namespace.as_deref(),
        Some("kube-system")
    );
}

// ---------------------------------------------------------------- findings, each with and without

const LOOPBACK_RULE: &str = "*nat\n:KUBE-POSTROUTING - [0:0]\n-A KUBE-POSTROUTING -m comment --comment \"Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose\" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE\n-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\nCOMMIT\n";

#[test]
fn hairpin_without_loopback_entry() {
    let l = listing(&format!("{HEADER}TCP  10.96.0.10:9153 rr\n  -> 10.244.0.3:9153 Masq 1 0 0\n  -> 10.244.1.4:9153 Masq 1 0 0\n"));
    let missing = sets(
        "Name: KUBE-LOOP-BACK\nType: hash:ip,port,ip\nMembers:\n10.244.0.3,udp:53,10.244.0.3\n",
    );
    let present = sets("Name: KUBE-LOOP-BACK\nType: hash:ip,port,ip\nMembers:\n10.244.0.3,udp:53,10.244.0.3\n10.244.0.3,tcp:9153,10.244.0.3\n");
    let shows = analyze(
        std::slice::from_ref(&l),
        &[missing],
        &[rules(LOOPBACK_RULE)],
    );
    let found = with_code(&shows, "ipvs-hairpin-without-loopback-entry");
    assert_eq!(found.len(), 1, "{:?}", codes(&shows));
    assert!(found[0].message.contains("10.244.0.3:9153"));
    assert!(found[0].lines.contains(&4));
    let clean = analyze(
        std::slice::from_ref(&l),
        std::slice::from_ref(&present),
        &[rules(LOOPBACK_RULE)],
    );
    assert!(with_code(&clean, "ipvs-hairpin-without-loopback-entry").is_empty());
    // The set is filled but KUBE-POSTROUTING lacks the rule that uses it.
    let no_rule =
        rules("*nat\n-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\nCOMMIT\n");
    let broken = analyze(&[l], &[present], &[no_rule]);
    assert_eq!(
        with_code(&broken, "ipvs-hairpin-without-loopback-entry").len(),
        1
    );
}

#[test]
fn etp_local_node_port_without_local_real_servers() {
    let l = listing(&format!(
        "{HEADER}TCP  10.96.7.7:80 rr\n  -> 10.244.1.4:80 Masq 1 0 0\nTCP  192.168.1.10:31500 rr\n  -> 10.244.1.4:80 Masq 1 0 0\n"
    ));
    let base = "Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nMembers:\n10.96.7.7,tcp:80\n\nName: KUBE-NODE-PORT-TCP\nType: bitmap:port\nMembers:\n31500\n\n\
                Name: KUBE-NODE-PORT-LOCAL-TCP\nType: bitmap:port\nMembers:\n31500\n\n";
    let remote = sets(&format!(
        "{base}Name: KUBE-LOOP-BACK\nType: hash:ip,port,ip\nMembers:\n"
    ));
    let shows = analyze(std::slice::from_ref(&l), &[remote], &[]);
    let found = with_code(&shows, "etp-local-no-local-endpoints");
    assert_eq!(found.len(), 1, "{:?}", codes(&shows));
    assert_eq!(found[0].service.as_deref(), Some("10.96.7.7:80/tcp"));
    let local = sets(&format!("{base}Name: KUBE-LOOP-BACK\nType: hash:ip,port,ip\nMembers:\n10.244.1.4,tcp:80,10.244.1.4\n"));
    let clean = analyze(&[l], &[local], &[]);
    assert!(with_code(&clean, "etp-local-no-local-endpoints").is_empty());
    assert_eq!(
        clean.services[0].external_traffic_policy,
        Some(svcpath_analysis::report::TrafficPolicy::Local)
    );
}

#[test]
fn persistence_behind_a_shared_source() {
    let concentrated = listing(&format!(
        "{HEADER}TCP  10.96.3.3:443 rr persistent 10800\n  -> 10.244.1.4:443 Masq 1 40 200\n  -> 10.244.2.5:443 Masq 1 0 2\n"
    ));
    let shows = analyze(&[concentrated], &[], &[]);
    let found = with_code(&shows, "ipvs-persistence-shared-source");
    assert_eq!(found.len(), 1, "{:?}", codes(&shows));
    assert_eq!(found[0].severity, Severity::Warning);
    assert!(
        found[0].message.contains("240 of its 242"),
        "{}",
        found[0].message
    );
    // Even counts on a persistent cluster IP, and a non-persistent concentrated service: nothing to say.
    let even = listing(&format!("{HEADER}TCP  10.96.3.3:443 rr persistent 10800\n  -> 10.244.1.4:443 Masq 1 5 50\n  -> 10.244.2.5:443 Masq 1 4 52\n"));
    assert!(with_code(
        &analyze(&[even], &[], &[]),
        "ipvs-persistence-shared-source"
    )
    .is_empty());
    let plain = listing(&format!("{HEADER}TCP  10.96.3.3:443 rr\n  -> 10.244.1.4:443 Masq 1 40 200\n  -> 10.244.2.5:443 Masq 1 0 2\n"));
    assert!(with_code(
        &analyze(&[plain], &[], &[]),
        "ipvs-persistence-shared-source"
    )
    .is_empty());
}

#[test]
fn weight_zero_real_server_still_holding_connections() {
    let draining = listing(&format!("{HEADER}TCP  10.96.3.3:80 rr\n  -> 10.244.1.4:80 Masq 0 3 12\n  -> 10.244.2.5:80 Masq 1 1 1\n"));
    let shows = analyze(&[draining], &[], &[]);
    let found = with_code(&shows, "ipvs-weight-zero-draining");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].lines, vec![3, 4]);
    // Weight 0 gets probability 0.
    assert_eq!(shows.services[0].endpoints[0].probability, 0.0);
    assert_eq!(shows.services[0].endpoints[1].probability, 1.0);
    let drained = listing(&format!("{HEADER}TCP  10.96.3.3:80 rr\n  -> 10.244.1.4:80 Masq 0 0 0\n  -> 10.244.2.5:80 Masq 1 1 1\n"));
    assert!(with_code(&analyze(&[drained], &[], &[]), "ipvs-weight-zero-draining").is_empty());
}

#[test]
fn virtual_service_without_real_servers() {
    let empty = listing(&format!(
        "{HEADER}TCP  10.96.9.9:80 rr\nTCP  10.96.9.10:80 rr\n  -> 10.244.1.4:80 Masq 1 0 0\n"
    ));
    let shows = analyze(&[empty], &[], &[]);
    let found = with_code(&shows, "ipvs-no-real-servers");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].service.as_deref(), Some("10.96.9.9:80/tcp"));
    assert!(shows.services[0].no_endpoints);
    assert!(!shows.services[1].no_endpoints);
}

#[test]
fn leftovers_need_ipvs_beside_them() {
    let leftover = "*nat\n:KUBE-SVC-AAAA - [0:0]\n:KUBE-SEP-BBBB - [0:0]\n-A KUBE-SVC-AAAA -j KUBE-SEP-BBBB\nCOMMIT\n";
    let ipvs_rules =
        "*nat\n-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT\nCOMMIT\n";
    let shows = analyze(&[], &[], &[rules(leftover), rules(ipvs_rules)]);
    let found = with_code(&shows, "iptables-mode-leftovers");
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].severity,
        Severity::Info,
        "nothing jumps into the old chains"
    );
    // iptables mode alone is not a leftover.
    assert!(with_code(
        &analyze(&[], &[], &[rules(leftover)]),
        "iptables-mode-leftovers"
    )
    .is_empty());
}

#[test]
fn conntrack_reminder_with_numbers() {
    let l = listing(&corpus("ipvs/repo-notes-azure-kubeadm-ipvsadm-ln.txt"));
    let shows = analyze(&[l], &[], &[]);
    let found = with_code(&shows, "ipvs-conntrack-still-in-path");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains(
            "4 virtual service(s) with 6 real server(s), holding 4 active and 0 inactive"
        ),
        "{}",
        found[0].message
    );
    let without = analyze(
        &[],
        &[sets(&corpus(
            "ipset/repo-notes-azure-kubeadm-ipset-list-kube-proxy-ipvs.txt",
        ))],
        &[],
    );
    assert!(with_code(&without, "ipvs-conntrack-still-in-path").is_empty());
}

#[test]
fn imbalance_is_tested_with_chi_square() {
    let stats = "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\n";
    let skewed = listing(&format!("{HEADER}TCP  10.0.0.1:80 rr\n  -> 10.1.0.1:80 Masq 1 0 0\n  -> 10.1.0.2:80 Masq 1 0 0\n{stats}TCP  10.0.0.1:80 400 0 0 0 0\n  -> 10.1.0.1:80 300 0 0 0 0\n  -> 10.1.0.2:80 100 0 0 0 0\n"));
    let shows = analyze(&[skewed], &[], &[]);
    let found = with_code(&shows, "ipvs-unbalanced");
    assert_eq!(found.len(), 1, "{:?}", codes(&shows));
    assert!(
        found[0].message.contains("Chi-square = 100.0"),
        "{}",
        found[0].message
    );
    // 3:1 weights make the same split the expected one.
    let weighted = listing(&format!("{HEADER}TCP  10.0.0.1:80 wrr\n  -> 10.1.0.1:80 Masq 3 0 0\n  -> 10.1.0.2:80 Masq 1 0 0\n{stats}TCP  10.0.0.1:80 400 0 0 0 0\n  -> 10.1.0.1:80 300 0 0 0 0\n  -> 10.1.0.2:80 100 0 0 0 0\n"));
    let fits = analyze(&[weighted], &[], &[]);
    assert!(with_code(&fits, "ipvs-unbalanced").is_empty());
    assert_eq!(with_code(&fits, "ipvs-balanced").len(), 1);
}

#[test]
fn live_counts_pile_up_and_least_connection_is_explained() {
    let l = listing(&format!("{HEADER}TCP  10.0.0.1:80 wlc\n  -> 10.1.0.1:80 Masq 1 80 20\n  -> 10.1.0.2:80 Masq 1 2 3\n"));
    let shows = analyze(&[l], &[], &[]);
    assert_eq!(
        with_code(&shows, "ipvs-connections-pile-up").len(),
        1,
        "{:?}",
        codes(&shows)
    );
    let live = with_code(&shows, "ipvs-scheduler-live-counts");
    assert_eq!(live.len(), 1);
    assert!(
        live[0].message.contains("10.1.0.1:80 80/20"),
        "{}",
        live[0].message
    );
    let even = listing(&format!("{HEADER}TCP  10.0.0.1:80 rr\n  -> 10.1.0.1:80 Masq 1 40 10\n  -> 10.1.0.2:80 Masq 1 38 12\n"));
    let calm = analyze(&[even], &[], &[]);
    assert!(with_code(&calm, "ipvs-connections-pile-up").is_empty());
    assert!(with_code(&calm, "ipvs-scheduler-live-counts").is_empty());
}

#[test]
fn explanations_appear_only_when_their_input_does() {
    // Roles guessed without ipsets; not with them.
    let l = listing(&format!("{HEADER}TCP  10.96.5.5:80 rr\n  -> 10.244.1.7:8080 Masq 1 0 0\nTCP  192.168.1.10:30080 rr\n  -> 10.244.1.7:8080 Masq 1 0 0\n"));
    assert_eq!(
        with_code(
            &analyze(std::slice::from_ref(&l), &[], &[]),
            "ipvs-roles-guessed"
        )
        .len(),
        1
    );
    let s = sets("Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nMembers:\n10.96.5.5,tcp:80\n\nName: KUBE-NODE-PORT-TCP\nType: bitmap:port\nMembers:\n30080\n");
    let with_sets = analyze(std::slice::from_ref(&l), &[s], &[]);
    assert!(with_code(&with_sets, "ipvs-roles-guessed").is_empty());
    assert_eq!(
        with_sets.services.len(),
        1,
        "grouped by the node-port set entry"
    );

    // Masquerade summary needs IPVS-mode rules.
    assert!(with_code(
        &analyze(std::slice::from_ref(&l), &[], &[]),
        "ipvs-masquerade-rules"
    )
    .is_empty());
    assert_eq!(
        with_code(
            &analyze(&[], &[], &[rules(LOOPBACK_RULE)]),
            "ipvs-masquerade-rules"
        )
        .len(),
        1
    );

    // Hashing schedulers are explained; round robin needs no explanation.
    let sh = listing(&format!(
        "{HEADER}TCP  10.0.0.1:80 sh\n  -> 10.1.0.1:80 Masq 1 0 0\n"
    ));
    assert_eq!(
        with_code(&analyze(&[sh], &[], &[]), "ipvs-scheduler-hashing").len(),
        1
    );
    assert!(with_code(
        &analyze(std::slice::from_ref(&l), &[], &[]),
        "ipvs-scheduler-hashing"
    )
    .is_empty());

    // A rate listing with traffic shows shares but runs no test; the corpus file has no traffic on real servers.
    let rate = listing("Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port\nTCP  10.0.0.1:80 9 0 0 0 0\n  -> 10.1.0.1:80 6 0 0 0 0\n  -> 10.1.0.2:80 3 0 0 0 0\n");
    let rate_only = analyze(&[rate], &[], &[]);
    let found = with_code(&rate_only, "ipvs-rate-not-a-count");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("10.1.0.1:80 6/s (66.7%)"),
        "{}",
        found[0].message
    );
    let calico = listing(&corpus(
        "ipvs/repo-workshop-calico-aws-watch-ipvsadm-L-n-rate.txt",
    ));
    assert!(with_code(&analyze(&[calico], &[], &[]), "ipvs-rate-not-a-count").is_empty());
}

#[test]
fn a_large_node_is_analysed_quickly() {
    let mut listing_text = String::from(HEADER);
    let mut set_text = String::from("Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nMembers:\n");
    let mut node_ports = String::from("\nName: KUBE-NODE-PORT-TCP\nType: bitmap:port\nMembers:\n");
    for i in 0..3000u32 {
        let vip = format!("10.96.{}.{}", i / 250, i % 250 + 1);
        let pods = format!(
            "  -> 10.244.{}.{}:8080 Masq 1 0 0\n  -> 10.245.{}.{}:8080 Masq 1 0 0\n",
            i / 250,
            i % 250 + 1,
            i / 250,
            i % 250 + 1
        );
        listing_text.push_str(&format!(
            "TCP  {vip}:80 rr\n{pods}TCP  192.168.1.10:{} rr\n{pods}",
            30000 + i
        ));
        set_text.push_str(&format!("{vip},tcp:80\n"));
        node_ports.push_str(&format!("{}\n", 30000 + i));
    }
    set_text.push_str(&node_ports);
    let started = std::time::Instant::now();
    let analysis = analyze(&[listing(&listing_text)], &[sets(&set_text)], &[]);
    assert_eq!(analysis.services.len(), 3000);
    assert!(analysis.services.iter().all(|s| s.node_port.is_some()));
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

    #[test]
    fn analysis_never_panics(lines in proptest::collection::vec(
        proptest::prop_oneof![
            proptest::strategy::Just(HEADER.to_string()),
            "(TCP|UDP|FWM) +(10\\.0\\.0\\.[0-9]|\\[fd00::[0-9]\\]|127\\.0\\.0\\.1):[0-9]{1,5} +(rr|wlc|sh|mh|lc)( persistent [0-9]{1,3})?",
            "  -> 10\\.1\\.0\\.[0-9]:[0-9]{1,2} +Masq +[0-2] +[0-9]{1,3} +[0-9]{1,3}",
            "Name: KUBE-(LOOP-BACK|CLUSTER-IP|NODE-PORT-TCP|NODE-PORT-LOCAL-TCP|6-CLUSTER-IP)",
            "Type: (hash:ip,port,ip|hash:ip,port|bitmap:port)",
            proptest::strategy::Just("Members:".to_string()),
            "10\\.(0|1)\\.0\\.[0-9],(tcp|udp):[0-9]{1,2}(,10\\.1\\.0\\.[0-9])?",
            "3[0-9]{4}",
        ],
        0..40,
    )) {
        let text = lines.join("\n");
        let l = ipvs::parse(&text, Origin::START).value;
        let s = ipset::parse(&text, Origin::START).value;
        let analysis = analyze(std::slice::from_ref(&l), std::slice::from_ref(&s), &[]);
        for f in &analysis.findings {
            proptest::prop_assert!(!f.message.is_empty());
        }
        let _ = is_ipvs_node(&[l], &[s], &[]);
    }
}

#[test]
fn unread_real_server_line_is_unknown_never_no_real_servers() {
    // The only line under 10.96.9.9:80 is not one svcpath reads as a real server.
    let paste = format!(
        "IP Virtual Server version 1.2.1 (size=4096)\n{HEADER}TCP  10.96.9.9:80 rr\n  => 10.244.1.4:80 Masq 1 0 0\nTCP  10.96.9.10:80 rr\n  -> 10.244.1.5:80 Masq 1 0 0\n"
    );
    let report = svcpath_analysis::analyze(&paste, &Options::default());
    assert_eq!(report.mode, svcpath_analysis::report::Mode::Ipvs);
    let nine = report
        .services
        .iter()
        .find(|s| s.id == "10.96.9.9:80/tcp")
        .unwrap();
    let unknown = nine.endpoints_unknown.as_ref().expect("endpoints unknown");
    assert_eq!(unknown.lines, vec![5]);
    assert!(unknown.reason.contains("line 5"), "{}", unknown.reason);
    assert!(!nine.no_endpoints);
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(!codes.contains(&"ipvs-no-real-servers"), "{codes:?}");
    assert!(!codes.contains(&"no-endpoints"), "{codes:?}");
    let finding = report
        .findings
        .iter()
        .find(|f| f.code == "endpoints-unknown")
        .expect("endpoints-unknown");
    assert_eq!(finding.lines, vec![5]);
    // The other virtual service is read as before.
    let ten = report
        .services
        .iter()
        .find(|s| s.id == "10.96.9.10:80/tcp")
        .unwrap();
    assert!(ten.endpoints_unknown.is_none());
    assert_eq!(ten.endpoints.len(), 1);

    // An unknown weight column: the real server is shown, its share is not known.
    let weight = format!(
        "IP Virtual Server version 1.2.1 (size=4096)\n{HEADER}TCP  10.96.9.9:80 rr\n  -> 10.244.1.4:80 Masq heavy 0 0\n  -> 10.244.1.6:80 Masq 1 0 0\n"
    );
    let report = svcpath_analysis::analyze(&weight, &Options::default());
    let nine = &report.services[0];
    assert_eq!(nine.endpoints.len(), 2);
    assert_eq!(
        nine.endpoints_unknown.as_ref().map(|u| u.lines.clone()),
        Some(vec![5])
    );

    // Without the unread line, an empty virtual service is said to have no real servers.
    let empty = format!(
        "IP Virtual Server version 1.2.1 (size=4096)\n{HEADER}TCP  10.96.9.9:80 rr\nTCP  10.96.9.10:80 rr\n  -> 10.244.1.5:80 Masq 1 0 0\n"
    );
    let report = svcpath_analysis::analyze(&empty, &Options::default());
    assert!(report
        .findings
        .iter()
        .any(|f| f.code == "ipvs-no-real-servers"));
    assert!(report
        .services
        .iter()
        .all(|s| s.endpoints_unknown.is_none()));
}
