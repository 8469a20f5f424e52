//! Golden tests of the join of the cluster's API objects (`kubectl get … -o json|yaml`) with node dumps
//! (`tests/fixtures/kube-api/<case>/`, sources in its SOURCES.md): each case's Services with their `api`
//! part, the report's `api` block and the API findings are pinned by a snapshot, and the facts that
//! matter are asserted by hand.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::path::PathBuf;

use serde_json::{json, Value};
use svcpath_analysis::{analyze, Options, Report};

fn case_dir(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/kube-api")
        .join(case)
}

fn read(case: &str, file: &str) -> String {
    let path = case_dir(case).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The node dump, then the API objects, as one paste (what the page and `svcpath explain A B` read).
fn paste(case: &str, api_file: &str) -> String {
    let node = read(case, "node.txt");
    let api = read(case, api_file);
    format!("{node}\n{api}")
}

fn report(case: &str) -> Report {
    analyze(&paste(case, "api.json"), &Options::default())
}

fn api_findings(r: &Report) -> Vec<&svcpath_analysis::report::Finding> {
    r.findings
        .iter()
        .filter(|f| f.code.as_str().starts_with("api-"))
        .collect()
}

fn codes(r: &Report) -> Vec<&str> {
    api_findings(r).iter().map(|f| f.code.as_str()).collect()
}

/// What a case's snapshot pins.
fn pinned(r: &Report) -> Value {
    json!({
        "mode": r.mode,
        "api": r.api,
        "services": r.services.iter().map(|s| json!({
            "id": s.id, "namespace": s.namespace, "name": s.name, "port_name": s.port_name,
            "endpoints": s.endpoints.iter().map(|e| format!("{}:{}", e.ip, e.port.unwrap_or(0))).collect::<Vec<_>>(),
            "api": s.api,
        })).collect::<Vec<_>>(),
        "findings": api_findings(r),
        "errors": r.diagnostics.iter().filter(|d| d.severity != svcpath_analysis::report::DiagnosticSeverity::Info).map(|d| (d.line, d.message.clone())).collect::<Vec<_>>(),
    })
}

fn service<'a>(r: &'a Report, id: &str) -> &'a svcpath_analysis::report::Service {
    r.services
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no Service {id}"))
}

const CASES: &[&str] = &[
    "consistent",
    "stale-node",
    "missing-ready-endpoint",
    "terminating-fallback",
    "topology-other-zone",
    "itp-local",
    "ipvs-named",
];

#[test]
fn every_case_is_pinned() {
    for case in CASES {
        let r = report(case);
        insta::assert_json_snapshot!(format!("api_join__{case}"), pinned(&r));
    }
}

#[test]
fn the_node_dump_reads_no_differently_beside_the_api_objects() {
    for case in CASES {
        let alone = analyze(&read(case, "node.txt"), &Options::default());
        let joined = report(case);
        assert!(alone.api.is_none(), "{case}");
        assert!(alone.services.iter().all(|s| s.api.is_none()), "{case}");
        let ids = |r: &Report| r.services.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&alone), ids(&joined), "{case}");
        let errors = |r: &Report| {
            r.diagnostics
                .iter()
                .filter(|d| d.severity != svcpath_analysis::report::DiagnosticSeverity::Info)
                .count()
        };
        assert_eq!(
            errors(&joined),
            errors(&alone),
            "{case}: the API objects read cleanly"
        );
        assert!(
            joined.services.iter().all(|s| s.api.is_some()),
            "{case}: every Service is joined"
        );
    }
}

#[test]
fn consistent_node_has_no_api_finding() {
    let r = report("consistent");
    assert_eq!(codes(&r), Vec::<&str>::new());
    let svc2 = service(&r, "ns2/svc2:p8080").api.as_ref().unwrap();
    assert_eq!(svc2.endpoints, ["10.0.2.1:8080"]);
    assert!(svc2.missing_on_node.is_empty() && svc2.extra_on_node.is_empty());
}

#[test]
fn stale_node_keeps_the_endpoint_the_api_lost() {
    let r = report("stale-node");
    let svc3 = service(&r, "ns3/svc3:p80");
    let api = svc3.api.as_ref().unwrap();
    assert_eq!(api.endpoints, ["10.0.3.2:80"]);
    assert_eq!(api.extra_on_node, ["10.0.3.1:80"]);
    assert_eq!(api.missing_on_node[0].endpoint, "10.0.3.2:80");
    assert_eq!(api.missing_on_node[0].reason, "unexplained");
    let stale = api_findings(&r)
        .into_iter()
        .find(|f| f.code.as_str().contains("stale"))
        .expect("a stale finding");
    assert_eq!(stale.service.as_deref(), Some("ns3/svc3:p80"));
    assert!(stale.message.contains("10.0.3.1:80"));
    assert!(codes(&r).contains(&"api-endpoint-not-synced"));
    // The other Services agree with the API.
    assert!(service(&r, "ns1/svc1:p80")
        .api
        .as_ref()
        .unwrap()
        .extra_on_node
        .is_empty());
}

#[test]
fn missing_ready_endpoint_is_not_synced() {
    let r = report("missing-ready-endpoint");
    let api = service(&r, "ns2/svc2:p8080").api.clone().unwrap();
    assert_eq!(api.missing_on_node.len(), 1);
    assert_eq!(api.missing_on_node[0].endpoint, "10.0.2.2:8080");
    assert_eq!(api.missing_on_node[0].reason, "unexplained");
    assert_eq!(codes(&r), ["api-endpoint-not-synced"]);
    assert!(api_findings(&r)[0].code.as_str().contains("sync"));
}

#[test]
fn terminating_endpoints_are_a_fallback_only() {
    let r = report("terminating-fallback");
    assert_eq!(codes(&r), Vec::<&str>::new());
    // svc1: no endpoint ready, the node uses the terminating one.
    let svc1 = service(&r, "ns1/svc1:p80").api.clone().unwrap();
    assert!(svc1.endpoints.is_empty());
    assert!(svc1.extra_on_node.is_empty());
    assert!(svc1.notes[0].contains("fallback"));
    // svc2: a ready endpoint, so the terminating one is left out, for that reason.
    let svc2 = service(&r, "ns2/svc2:p8080").api.clone().unwrap();
    assert_eq!(svc2.missing_on_node[0].endpoint, "10.0.2.3:8080");
    assert_eq!(svc2.missing_on_node[0].reason, "terminating");
}

#[test]
fn topology_hints_for_another_zone_explain_a_missing_endpoint() {
    let r = report("topology-other-zone");
    let join = r.api.as_ref().unwrap();
    assert_eq!(join.node_name.as_deref(), Some("node-a"));
    assert_eq!(join.zone.as_deref(), Some("zone-a"));
    let svc2 = service(&r, "ns2/svc2:p8080").api.clone().unwrap();
    assert_eq!(svc2.missing_on_node[0].endpoint, "10.0.2.2:8080");
    assert_eq!(svc2.missing_on_node[0].reason, "topology");
    assert!(svc2.missing_on_node[0].detail.contains("zone-b"));
    assert_eq!(codes(&r), Vec::<&str>::new());
}

#[test]
fn the_same_objects_in_yaml_join_alike() {
    let from_json = report("topology-other-zone");
    let from_yaml = analyze(
        &paste("topology-other-zone", "api.yaml"),
        &Options::default(),
    );
    let without_lines = |r: &Report| {
        let mut v: Vec<Value> = r
            .services
            .iter()
            .map(|s| serde_json::to_value(&s.api).unwrap())
            .collect();
        for s in &mut v {
            s["lines"] = Value::Null;
            for m in s["missing_on_node"].as_array_mut().unwrap() {
                m["lines"] = Value::Null;
            }
        }
        v
    };
    assert_eq!(without_lines(&from_yaml), without_lines(&from_json));
    assert_eq!(
        from_yaml.api.as_ref().unwrap().node_name.as_deref(),
        Some("node-a")
    );
}

#[test]
fn internal_traffic_policy_local_needs_this_nodes_name() {
    let r = report("itp-local");
    let svc1 = service(&r, "ns1/svc1:p80").api.clone().unwrap();
    assert_eq!(svc1.missing_on_node[0].endpoint, "10.0.1.2:80");
    assert_eq!(svc1.missing_on_node[0].reason, "local-only");
    assert!(svc1.missing_on_node[0].detail.contains("node-b"));
    assert_eq!(codes(&r), Vec::<&str>::new());
    // Without the Node objects, the endpoint the rules call local names this node.
    let without_nodes = |keep_local_node_name: bool| {
        let node = read("itp-local", "node.txt");
        let mut api: Value = serde_json::from_str(&read("itp-local", "api.json")).unwrap();
        let items = api["items"].as_array_mut().unwrap();
        items.retain(|i| i["kind"] != "Node");
        if !keep_local_node_name {
            for item in items.iter_mut().filter(|i| i["kind"] == "EndpointSlice") {
                for e in item["endpoints"].as_array_mut().unwrap() {
                    if e["addresses"][0] == "10.0.1.1" {
                        e.as_object_mut().unwrap().remove("nodeName");
                    }
                }
            }
        }
        analyze(
            &format!("{node}\n{}", serde_json::to_string_pretty(&api).unwrap()),
            &Options::default(),
        )
    };
    let r = without_nodes(true);
    let join = r.api.as_ref().unwrap();
    assert_eq!(join.node_name.as_deref(), Some("node-a"));
    assert!(join.node_name_source.contains("local"));
    // And without that either, this node's name is unknown: the reason says so, nothing is called stale.
    let r = without_nodes(false);
    let svc1 = service(&r, "ns1/svc1:p80").api.clone().unwrap();
    assert_eq!(r.api.as_ref().unwrap().node_name, None);
    assert_eq!(svc1.missing_on_node.len(), 1, "{:?}", svc1.missing_on_node);
    assert!(svc1.missing_on_node[0]
        .detail
        .contains("this node's name is not known"));
    assert!(svc1.missing_on_node.iter().all(|m| m.reason == "unknown"));
    assert!(svc1.extra_on_node.is_empty());
    assert_eq!(codes(&r), Vec::<&str>::new());
}

#[test]
fn an_ipvs_node_is_named_from_the_api() {
    let r = report("ipvs-named");
    assert_eq!(r.mode, svcpath_analysis::report::Mode::Ipvs);
    let dns_udp = service(&r, "10.96.0.10:53/udp");
    assert_eq!(dns_udp.namespace.as_deref(), Some("kube-system"));
    assert_eq!(dns_udp.name.as_deref(), Some("kube-dns"));
    assert_eq!(dns_udp.port_name, "dns");
    assert_eq!(service(&r, "10.96.0.10:53/tcp").port_name, "dns-tcp");
    assert_eq!(
        service(&r, "10.96.0.1:443/tcp").name.as_deref(),
        Some("kubernetes")
    );
    assert_eq!(codes(&r), Vec::<&str>::new());
}

#[test]
fn services_one_side_lacks_are_listed() {
    // The API without svc2, and with a Service the node has no rules for.
    let node = read("consistent", "node.txt");
    let mut api: Value = serde_json::from_str(&read("consistent", "api.json")).unwrap();
    let items = api["items"].as_array_mut().unwrap();
    for item in items.iter_mut() {
        if item["metadata"]["name"] == "svc2" && item["kind"] == "Service" {
            item["metadata"]["namespace"] = json!("ns1");
            item["metadata"]["name"] = json!("svc9");
            item["spec"]["clusterIP"] = json!("172.30.0.49");
            item["spec"]["clusterIPs"] = json!(["172.30.0.49"]);
        }
    }
    let r = analyze(
        &format!("{node}\n{}", serde_json::to_string_pretty(&api).unwrap()),
        &Options::default(),
    );
    let join = r.api.as_ref().unwrap();
    assert_eq!(join.services_without_rules[0].id, "ns1/svc9:p8080");
    assert_eq!(
        join.services_without_rules[0].address,
        "172.30.0.49:8080/tcp"
    );
    // ns2 is a namespace the API objects do not cover: nothing said about ns2/svc2.
    assert!(join.rules_without_service.is_empty());
    assert_eq!(codes(&r), ["api-service-not-synced"]);
}

#[test]
fn a_policy_the_rules_do_not_implement_is_a_finding() {
    let node = read("consistent", "node.txt");
    let mut api: Value = serde_json::from_str(&read("consistent", "api.json")).unwrap();
    for item in api["items"].as_array_mut().unwrap() {
        if item["metadata"]["name"] == "svc1" && item["kind"] == "Service" {
            item["spec"]["sessionAffinity"] = json!("ClientIP");
            item["spec"]["sessionAffinityConfig"] = json!({"clientIP": {"timeoutSeconds": 600}});
        }
    }
    let r = analyze(
        &format!("{node}\n{}", serde_json::to_string_pretty(&api).unwrap()),
        &Options::default(),
    );
    let f = api_findings(&r);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].code.as_str(), "api-policy-mismatch");
    assert!(f[0].message.contains("ClientIP affinity (600 s)"));
}

#[test]
fn cut_or_broken_api_objects_never_give_a_negative_claim() {
    let full = paste("stale-node", "api.json");
    for cut in [full.len() / 2, full.len() * 3 / 4, full.len() - 10] {
        let mut at = cut;
        while !full.is_char_boundary(at) {
            at -= 1;
        }
        let r = analyze(&full[..at], &Options::default());
        // The JSON cut: its document cannot be read, a diagnostic says so, and nothing is claimed.
        assert!(r
            .diagnostics
            .iter()
            .any(|d| d.message.contains("cannot be read")));
        assert_eq!(codes(&r), Vec::<&str>::new());
        assert!(r.services.iter().all(|s| s.api.is_none()));
    }
}
