//! Comparing nodes and diffing two moments (`svcpath_analysis::nodes`): golden snapshots over the
//! fixtures of `tests/fixtures/nodes/` (three generated nodes saved back by `iptables-save`, two real
//! nodes from a blog post, a real before/after pair from kubernetes' tests), and the rules every
//! comparison keeps: disagreeing rows first, the black hole naming its nodes, unknown never different, a
//! resync with new chain hashes and another order diffing empty.
#![allow(clippy::disallowed_methods)]

use svcpath_analysis::nodes::{compare, diff, render, Aspect, NodeFindingCode};
use svcpath_analysis::report::{
    Endpoint, Finding, FindingCode, Report, Service, Severity, TrafficPolicy, Unknown,
};
use svcpath_analysis::{analyze, Options};

fn fixture(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    svcpath_testkit::read_lossy(&root.join("tests/fixtures/nodes").join(path))
}

fn report(path: &str) -> Report {
    analyze(&fixture(path), &Options::default())
}

fn three_nodes() -> Vec<(String, Report)> {
    ["node-a", "node-b", "node-c"]
        .iter()
        .map(|n| {
            (
                n.to_string(),
                report(&format!("etp-black-hole-stale/{n}.txt")),
            )
        })
        .collect()
}

#[test]
fn three_nodes_golden() {
    let comparison = compare(&three_nodes());
    insta::assert_json_snapshot!("three_nodes_json", comparison);
    insta::assert_snapshot!("three_nodes_text", render::compare_text(&comparison));
    insta::assert_snapshot!(
        "three_nodes_markdown",
        render::compare_markdown(&comparison)
    );
}

#[test]
fn disagreeing_rows_come_first_and_the_black_hole_names_its_nodes() {
    let comparison = compare(&three_nodes());
    let first_consistent = comparison
        .services
        .iter()
        .position(|s| s.consistent)
        .expect("shop/empty:http is the same everywhere");
    assert!(comparison.services[..first_consistent]
        .iter()
        .all(|s| !s.consistent));
    assert!(comparison.services[first_consistent..]
        .iter()
        .all(|s| s.consistent));
    let remote = comparison
        .findings
        .iter()
        .find(|f| {
            f.code == NodeFindingCode::EtpLocalBlackHole
                && f.service.as_deref() == Some("shop/remote:http")
        })
        .expect("the black hole of shop/remote:http");
    assert_eq!(remote.nodes, ["node-a", "node-c"]);
    assert!(
        remote.message.contains("only node-b accepts it"),
        "{}",
        remote.message
    );
    let odd = comparison
        .findings
        .iter()
        .find(|f| f.code == NodeFindingCode::OddNodeOut)
        .expect("node-c is the odd node out");
    assert_eq!(odd.nodes, ["node-c"]);
    let missing = comparison
        .services
        .iter()
        .find(|s| s.id == "shop/lb:http")
        .unwrap();
    assert_eq!(missing.missing_on, ["node-c"]);
    assert_eq!(missing.differs, [Aspect::Presence]);
}

#[test]
fn the_same_node_twice_agrees_everywhere() {
    let a = report("etp-black-hole-stale/node-a.txt");
    let comparison = compare(&[("x".into(), a.clone()), ("x".into(), a)]);
    assert_eq!(comparison.disagreeing(), 0);
    // Only node-a's own black hole (shop/remote:http drops on both copies) is left: nothing differs.
    assert!(
        comparison
            .findings
            .iter()
            .all(|f| f.code == NodeFindingCode::EtpLocalBlackHole),
        "{:?}",
        comparison.findings
    );
    assert_eq!(comparison.nodes[1].name, "x (2)");
}

fn service(id: &str, endpoints: &[&str]) -> Service {
    Service {
        id: id.into(),
        endpoints: endpoints
            .iter()
            .map(|e| {
                let (ip, port) = e.split_once(':').unwrap();
                Endpoint {
                    ip: ip.into(),
                    port: port.parse().ok(),
                    probability: 1.0 / endpoints.len() as f64,
                    ..Endpoint::default()
                }
            })
            .collect(),
        ..Service::default()
    }
}

fn node_with(services: Vec<Service>) -> Report {
    Report {
        services,
        ..Report::default()
    }
}

#[test]
fn a_node_whose_endpoints_are_unknown_is_not_different() {
    let known = node_with(vec![service(
        "ns/web:http",
        &["10.0.0.1:80", "10.0.0.2:80"],
    )]);
    let mut cut = service("ns/web:http", &["10.0.0.1:80"]);
    cut.endpoints_unknown = Some(Unknown {
        reason: "the Service chain is not in the paste".into(),
        lines: vec![3],
    });
    let comparison = compare(&[
        ("a".into(), known.clone()),
        ("b".into(), known.clone()),
        ("c".into(), node_with(vec![cut])),
    ]);
    assert!(
        comparison.services[0].consistent,
        "{:?}",
        comparison.services[0]
    );
    assert!(comparison.findings.is_empty(), "{:?}", comparison.findings);
    // A node whose paste holds no Service at all says nothing about the Service either.
    let comparison = compare(&[
        ("a".into(), known.clone()),
        ("empty".into(), Report::default()),
    ]);
    assert!(comparison.services[0].consistent);
    assert!(comparison.services[0].missing_on.is_empty());
}

#[test]
fn the_odd_node_out_is_the_one_the_others_disagree_with() {
    let good = node_with(vec![service(
        "ns/web:http",
        &["10.0.0.1:80", "10.0.0.2:80"],
    )]);
    let stale = node_with(vec![service(
        "ns/web:http",
        &["10.0.0.1:80", "10.0.0.9:80"],
    )]);
    let comparison = compare(&[
        ("a".into(), good.clone()),
        ("b".into(), stale),
        ("c".into(), good),
    ]);
    let finding = &comparison.findings[0];
    assert_eq!(finding.code, NodeFindingCode::EndpointsDiffer);
    assert_eq!(finding.nodes, ["b"]);
    assert!(
        finding.message.contains("10.0.0.9:80"),
        "{}",
        finding.message
    );
}

#[test]
fn a_black_hole_on_every_node_says_none_accepts() {
    let mut dropping = service("ns/web:http", &["10.0.0.1:80"]);
    dropping.external_traffic_policy = Some(TrafficPolicy::Local);
    dropping.endpoints[0].local = Some(false);
    let mut r = node_with(vec![dropping]);
    r.findings = vec![Finding::new(
        FindingCode::EtpLocalNoLocalEndpoints,
        Severity::Critical,
        Some("ns/web:http"),
        vec![4],
        "no local endpoint".into(),
    )];
    let comparison = compare(&[("a".into(), r.clone()), ("b".into(), r)]);
    let hole = comparison
        .findings
        .iter()
        .find(|f| f.code == NodeFindingCode::EtpLocalBlackHole)
        .expect("black hole");
    assert_eq!(hole.nodes, ["a", "b"]);
    assert!(
        hole.message.contains("none shown accepts it"),
        "{}",
        hole.message
    );
}

#[test]
fn real_two_nodes_golden() {
    let comparison = compare(&[
        (
            "node-with-local-pods".into(),
            report("aws-nlb/node-with-local-pods.txt"),
        ),
        (
            "node-without-local-pods".into(),
            report("aws-nlb/node-without-local-pods.txt"),
        ),
    ]);
    assert_eq!(
        comparison.findings[0].code,
        NodeFindingCode::EtpLocalBlackHole
    );
    assert_eq!(comparison.findings[0].nodes, ["node-without-local-pods"]);
    insta::assert_json_snapshot!("aws_nlb_json", comparison);
}

#[test]
fn a_resync_with_new_chain_hashes_and_another_order_diffs_empty() {
    let before = fixture("resync/before.txt");
    let after = fixture("resync/after.txt");
    assert_ne!(before, after);
    let d = diff(
        &analyze(&before, &Options::default()),
        &analyze(&after, &Options::default()),
    );
    assert!(d.is_empty(), "{d:#?}");
    assert!(d.unknown.is_empty() && d.notes.is_empty());
    insta::assert_snapshot!("resync_text", render::diff_text(&d));
}

#[test]
fn real_before_after_golden() {
    let d = diff(
        &report("sync-steps/before.txt"),
        &report("sync-steps/after.txt"),
    );
    assert_eq!(d.added, ["ns3/svc3:p80", "ns4/svc4:p80"]);
    assert_eq!(d.removed, ["ns2/svc2:p8080"]);
    // ns1/svc1's chain is not rewritten by the partial restore: its endpoints are unknown, not gone.
    assert!(d.changed.iter().all(|c| c.endpoints_removed.is_empty()));
    assert!(d.unknown.contains(&"ns1/svc1:p80".to_string()));
    assert!(d.findings_added.contains(&"no-endpoints".to_string()));
    insta::assert_json_snapshot!("sync_steps_json", d);
    insta::assert_snapshot!("sync_steps_markdown", render::diff_markdown(&d));
}

#[test]
fn diff_of_the_stale_node_names_every_change() {
    let d = diff(
        &report("etp-black-hole-stale/node-a.txt"),
        &report("etp-black-hole-stale/node-c.txt"),
    );
    assert_eq!(d.removed, ["shop/lb:http"]);
    let web = d.changed.iter().find(|c| c.id == "shop/web:http").unwrap();
    assert_eq!(web.endpoints_added, ["172.31.255.1:8080"]);
    assert_eq!(web.endpoints_removed, ["172.16.2.11:8080"]);
    let local = d
        .changed
        .iter()
        .find(|c| c.id == "shop/local:http")
        .unwrap();
    let drops = local.drops_external.as_ref().expect("drops external now");
    assert_eq!((drops.before, drops.after), (Some(false), Some(true)));
    assert!(d.rules.is_some());
    insta::assert_json_snapshot!("stale_diff_json", d);
}

#[test]
fn a_full_conntrack_table_and_mixed_modes_are_named_by_node() {
    let iptables = fixture("etp-black-hole-stale/node-a.txt");
    let full = format!(
        "{iptables}\nroot@node-b:~# sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max\nnet.netfilter.nf_conntrack_count = 262000\nnet.netfilter.nf_conntrack_max = 262144\n"
    );
    let ipvs = "root@node-c:~# ipvsadm -Ln\nIP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.96.0.1:443 rr\n  -> 192.168.0.10:6443            Masq    1      0          0\n";
    let comparison = compare(&[
        ("node-a".into(), analyze(&iptables, &Options::default())),
        ("node-b".into(), analyze(&full, &Options::default())),
        ("node-c".into(), analyze(ipvs, &Options::default())),
    ]);
    let conntrack = comparison
        .findings
        .iter()
        .find(|f| f.code == NodeFindingCode::ConntrackNearFull)
        .expect("node-b's table is near full");
    assert_eq!(conntrack.nodes, ["node-b"]);
    assert!(
        conntrack.message.contains("node-b (100% full)"),
        "{}",
        conntrack.message
    );
    let modes = comparison
        .findings
        .iter()
        .find(|f| f.code == NodeFindingCode::MixedModes)
        .expect("iptables and ipvs");
    assert_eq!(modes.nodes, ["node-c"]);
}

#[test]
fn findings_name_the_nodes_in_the_order_given() {
    let mut nodes = three_nodes();
    nodes[0].0 = "worker-a".into();
    let comparison = compare(&nodes);
    let hole = comparison
        .findings
        .iter()
        .find(|f| f.service.as_deref() == Some("shop/remote:http"))
        .unwrap();
    assert_eq!(hole.nodes, ["worker-a", "node-c"]);
    assert!(
        hole.message.contains("no endpoint on worker-a and node-c"),
        "{}",
        hole.message
    );
}

fn ipvs_real_server(address: &str) -> String {
    format!("  -> {address:<28} Masq    1      0          0         \n")
}

#[test]
fn real_ipvs_delete_deployment_golden() {
    let d = diff(
        &report("ipvs-delete-deployment/before.txt"),
        &report("ipvs-delete-deployment/after.txt"),
    );
    // One virtual service listed at both moments: five seconds after the deployment was deleted, one
    // of its four pods is gone from IPVS and the other three take a third of new connections each.
    assert!(d.added.is_empty() && d.removed.is_empty(), "{d:#?}");
    assert_eq!(d.changed.len(), 1, "{d:#?}");
    let service = &d.changed[0];
    assert_eq!(service.id, "[fd00:4000::fb7]:5001/tcp");
    assert_eq!(service.endpoints_removed, ["[1100::404]:5001"]);
    assert!(service.endpoints_added.is_empty());
    assert_eq!(
        service
            .odds
            .iter()
            .map(|o| o.endpoint.as_str())
            .collect::<Vec<_>>(),
        ["[1100::105]:5001", "[1100::204]:5001", "[1100::304]:5001"]
    );
    assert!(service
        .odds
        .iter()
        .all(|o| o.before == 0.25 && (o.after - 1.0 / 3.0).abs() < 1e-9));
    // Both moments list the same one virtual service: nothing is unknown, the count is unchanged.
    assert!(d.unknown.is_empty() && d.notes.is_empty(), "{d:#?}");
    assert!(d.rules.is_none());
    insta::assert_json_snapshot!("ipvs_delete_deployment_json", d);
    insta::assert_snapshot!("ipvs_delete_deployment_text", render::diff_text(&d));
}

#[test]
fn a_listing_of_one_virtual_service_proves_nothing_of_the_others() {
    // The earlier moment as a whole `ipvsadm -Ln` would list it, with the Service's second port
    // (5003/TCP in the paste's `kubectl get svc`) beside the one the real capture shows.
    let filtered = fixture("ipvs-delete-deployment/before.txt");
    let whole = format!(
        "{}TCP  [fd00:4000::fb7]:5003 rr\n{}",
        filtered.replace("ipvsadm -Ln -t [fd00:4000::fb7]:5001", "ipvsadm -Ln"),
        ipvs_real_server("[1100::105]:5003")
    );
    let whole = analyze(&whole, &Options::default());
    assert_eq!(whole.services.len(), 2);
    let d = diff(&whole, &report("ipvs-delete-deployment/after.txt"));
    assert!(d.removed.is_empty(), "{d:#?}");
    assert_eq!(d.unknown, ["[fd00:4000::fb7]:5003/tcp"]);
    assert!(
        d.notes[0].contains("`vm-002 ~ # ipvsadm -Ln -t [fd00:4000::fb7]:5001` (line 4)")
            && d.notes[0]
                .contains("1 Service port it does not show is unknown at that moment, not removed"),
        "{:?}",
        d.notes
    );
    // Two virtual services against one is no rule count change.
    assert!(d.rules.is_none(), "{d:#?}");
    // The virtual service the later listing does show is still diffed.
    assert_eq!(d.changed[0].endpoints_removed, ["[1100::404]:5001"]);
    // The other way round, a virtual service only a later whole listing has is not "added".
    let d = diff(&report("ipvs-delete-deployment/before.txt"), &whole);
    assert!(d.added.is_empty(), "{d:#?}");
    assert_eq!(d.unknown, ["[fd00:4000::fb7]:5003/tcp"]);
    assert!(d.notes[0].contains("not added"), "{:?}", d.notes);
}

#[test]
fn a_grep_of_the_later_moment_removes_nothing_it_does_not_show() {
    let node = fixture("etp-black-hole-stale/node-a.txt");
    let grep: String =
        std::iter::once("root@node-a:~# iptables-save | grep shop/web\n".to_string())
            .chain(
                node.lines()
                    .filter(|l| l.contains("shop/web"))
                    .map(|l| format!("{l}\n")),
            )
            .collect();
    let whole = analyze(&node, &Options::default());
    let d = diff(&whole, &analyze(&grep, &Options::default()));
    assert!(d.removed.is_empty(), "{d:#?}");
    let others = whole
        .services
        .iter()
        .filter(|s| !s.id.starts_with("shop/web"))
        .count();
    assert!(others > 0);
    assert!(d.unknown.len() >= others, "{d:#?}");
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("iptables-save | grep shop/web") && n.contains("not removed")),
        "{:?}",
        d.notes
    );
    // Nor are the findings of the Services it hides resolved, nor 110 rules compared with 11.
    assert!(
        d.findings_gone
            .iter()
            .chain(&d.findings_appeared)
            .all(|f| f.service.as_ref().is_none_or(|s| !d.unknown.contains(s))),
        "{d:#?}"
    );
    assert!(d.rules.is_none() && d.rules_per_packet.is_none(), "{d:#?}");
}
