//! Unit tests of the API object reader: JSON and YAML give the same objects, with lines; bad input
//! gives diagnostics, never a panic.

use super::*;

const LIST_JSON: &str = r#"{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "svc1", "namespace": "ns1"},
            "spec": {
                "clusterIP": "172.30.0.41",
                "clusterIPs": ["172.30.0.41"],
                "internalTrafficPolicy": "Local",
                "ports": [{"name": "p80", "port": 80, "protocol": "TCP", "targetPort": 80}],
                "sessionAffinity": "ClientIP",
                "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
                "type": "ClusterIP"
            }
        },
        {
            "addressType": "IPv4",
            "apiVersion": "discovery.k8s.io/v1",
            "endpoints": [
                {
                    "addresses": ["10.0.1.1"],
                    "conditions": {"ready": false, "serving": true, "terminating": true},
                    "nodeName": "node-a",
                    "zone": "zone-a",
                    "hints": {"forZones": [{"name": "zone-b"}]}
                }
            ],
            "kind": "EndpointSlice",
            "metadata": {
                "labels": {"kubernetes.io/service-name": "svc1"},
                "name": "svc1-abcde",
                "namespace": "ns1"
            },
            "ports": [{"name": "p80", "port": 80, "protocol": "TCP"}]
        },
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "node-a", "labels": {"topology.kubernetes.io/zone": "zone-a"}},
            "spec": {"podCIDR": "10.0.1.0/24", "podCIDRs": ["10.0.1.0/24"]},
            "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.2"}]}
        }
    ],
    "kind": "List",
    "metadata": {"resourceVersion": ""}
}
"#;

const LIST_YAML: &str = "apiVersion: v1
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: svc1
    namespace: ns1
  spec:
    clusterIP: 172.30.0.41
    clusterIPs:
    - 172.30.0.41
    internalTrafficPolicy: Local
    ports:
    - name: p80
      port: 80
      protocol: TCP
      targetPort: 80
    sessionAffinity: ClientIP
    sessionAffinityConfig:
      clientIP:
        timeoutSeconds: 10800
    type: ClusterIP
- addressType: IPv4
  apiVersion: discovery.k8s.io/v1
  endpoints:
  - addresses:
    - 10.0.1.1
    conditions:
      ready: false
      serving: true
      terminating: true
    nodeName: node-a
    zone: zone-a
    hints:
      forZones:
      - name: zone-b
  kind: EndpointSlice
  metadata:
    labels:
      kubernetes.io/service-name: svc1
    name: svc1-abcde
    namespace: ns1
  ports:
  - name: p80
    port: 80
    protocol: TCP
- apiVersion: v1
  kind: Node
  metadata:
    name: node-a
    labels:
      topology.kubernetes.io/zone: zone-a
  spec:
    podCIDR: 10.0.1.0/24
    podCIDRs:
    - 10.0.1.0/24
  status:
    addresses:
    - type: InternalIP
      address: 192.168.0.2
kind: List
metadata:
  resourceVersion: \"\"
";

fn without_lines(mut o: ApiObjects) -> ApiObjects {
    for s in &mut o.services {
        s.line = 0;
        s.ports.iter_mut().for_each(|p| p.line = 0);
    }
    for s in &mut o.slices {
        s.line = 0;
        s.endpoints.iter_mut().for_each(|e| e.line = 0);
    }
    o.nodes.iter_mut().for_each(|n| n.line = 0);
    o
}

#[test]
fn a_list_in_json_is_read_field_by_field() {
    let parsed = parse(LIST_JSON, Origin::START);
    assert_eq!(parsed.diagnostics, vec![]);
    let o = parsed.value;
    let s = &o.services[0];
    assert_eq!((s.namespace.as_str(), s.name.as_str()), ("ns1", "svc1"));
    assert_eq!(s.cluster_ips, ["172.30.0.41"]);
    assert_eq!(s.internal_traffic_policy.as_deref(), Some("Local"));
    assert_eq!(s.affinity_timeout_seconds, Some(10800));
    assert_eq!(s.ports[0].port, Some(80));
    assert_eq!(s.ports[0].target_port.as_deref(), Some("80"));
    assert_eq!(s.line, 4);
    assert_eq!(s.ports[0].line, 12);
    let e = &o.slices[0].endpoints[0];
    assert_eq!(o.slices[0].service.as_deref(), Some("svc1"));
    assert_eq!(
        (e.ready, e.serving, e.terminating),
        (Some(false), Some(true), Some(true))
    );
    assert_eq!(e.for_zones, ["zone-b"]);
    assert_eq!(e.line, 22);
    let n = &o.nodes[0];
    assert_eq!(n.zone.as_deref(), Some("zone-a"));
    assert_eq!(
        n.addresses,
        [("InternalIP".to_string(), "192.168.0.2".to_string())]
    );
    assert_eq!(n.pod_cidrs, ["10.0.1.0/24"]);
}

#[test]
fn yaml_gives_the_same_objects_as_json() {
    let json = parse(LIST_JSON, Origin::START);
    let yaml = parse(LIST_YAML, Origin::START);
    assert_eq!(yaml.diagnostics, vec![]);
    assert_eq!(yaml.value.services[0].line, 3);
    assert_eq!(yaml.value.slices[0].endpoints[0].line, 26);
    assert_eq!(without_lines(yaml.value), without_lines(json.value));
}

#[test]
fn lines_count_from_the_sections_origin() {
    let parsed = parse(
        LIST_JSON,
        Origin {
            offset: 100,
            line: 41,
        },
    );
    assert_eq!(parsed.value.services[0].line, 44);
}

#[test]
fn json_without_its_opening_brace_is_read() {
    let without = LIST_JSON.trim_start().strip_prefix('{').unwrap();
    let parsed = parse(without, Origin { offset: 1, line: 1 });
    assert_eq!(parsed.diagnostics, vec![]);
    assert_eq!(parsed.value.services[0].line, 4);
    assert_eq!(parsed.value.nodes.len(), 1);
}

#[test]
fn several_documents_and_single_objects() {
    let text = "{\"kind\": \"Service\", \"metadata\": {\"name\": \"a\"}, \"spec\": {\"clusterIP\": \"None\"}}\n\
                {\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}}\n";
    let parsed = parse(text, Origin::START);
    let s = &parsed.value.services[0];
    assert_eq!(s.namespace, "default");
    assert!(s.headless);
    assert!(s.cluster_ips.is_empty());
    assert_eq!(parsed.diagnostics.len(), 1);
    assert!(parsed.diagnostics[0].message.contains("\"Pod\" left out"));
    let yaml = "---\nkind: Service\nmetadata: {name: a}\n---\nkind: Node\nmetadata: {name: n}\n";
    let parsed = parse(yaml, Origin::START);
    assert_eq!(
        (parsed.value.services.len(), parsed.value.nodes.len()),
        (1, 1)
    );
    assert_eq!(parsed.value.nodes[0].line, 5);
}

#[test]
fn old_endpoints_become_slices_with_ready_and_not_ready_addresses() {
    let text = r#"{"kind": "Endpoints", "metadata": {"name": "kubernetes", "namespace": "default"},
 "subsets": [{"addresses": [{"ip": "10.0.0.5", "nodeName": "m1"}],
              "notReadyAddresses": [{"ip": "10.0.0.6"}],
              "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}]}"#;
    let parsed = parse(text, Origin::START);
    let s = &parsed.value.slices[0];
    assert!(s.legacy);
    assert_eq!(s.service.as_deref(), Some("kubernetes"));
    assert_eq!(s.endpoints.len(), 2);
    assert_eq!(s.endpoints[0].ready, Some(true));
    assert_eq!(s.endpoints[1].ready, Some(false));
    assert_eq!(s.endpoints[1].line, 3);
    assert_eq!(s.ports[0].port, Some(6443));
}

#[test]
fn a_cut_json_keeps_nothing_it_cannot_prove_and_says_where() {
    let cut = &LIST_JSON[..LIST_JSON.find("\"kind\": \"Node\"").unwrap()];
    let parsed = parse(cut, Origin::START);
    assert_eq!(parsed.diagnostics.len(), 1);
    assert!(parsed.diagnostics[0].message.contains("cannot be read"));
    assert!(parsed.diagnostics[0].line >= 40, "{:?}", parsed.diagnostics);
}

#[test]
fn a_cut_yaml_keeps_the_objects_before_the_cut() {
    let cut = &LIST_YAML[..LIST_YAML.find("- apiVersion: v1\n  kind: Node").unwrap()];
    let cut = format!("{cut}  bad: [unclosed\n");
    let parsed = parse(&cut, Origin::START);
    assert_eq!(parsed.value.services.len(), 1);
    assert_eq!(parsed.value.slices.len(), 1);
    assert!(!parsed.diagnostics.is_empty());
}

#[test]
fn fields_of_the_wrong_shape_are_warnings_with_their_line() {
    let text =
        "kind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: eighty\n    name: [x]\n";
    let parsed = parse(text, Origin::START);
    assert_eq!(parsed.value.services[0].ports[0].port, None);
    let mut lines: Vec<u32> = parsed.diagnostics.iter().map(|d| d.line).collect();
    lines.sort_unstable();
    assert_eq!(lines, [6, 7]);
}

#[test]
fn an_alias_bomb_stops_at_the_value_budget() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("b{}", i - 1)
        };
        text.push_str(&format!(
            "b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    let parsed = parse(&text, Origin::START);
    assert!(parsed
        .diagnostics
        .iter()
        .any(|d| d.message.contains("values (aliases expanded)")));
}

#[test]
fn deep_nesting_is_bounded() {
    let deep_json = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let parsed = parse(&deep_json, Origin::START);
    assert!(!parsed.diagnostics.is_empty());
    let deep_yaml = format!("a: {}{}", "[".repeat(5000), "]".repeat(5000));
    let parsed = parse(&deep_yaml, Origin::START);
    assert!(
        parsed
            .diagnostics
            .iter()
            .any(|d| d.message.contains("nests deeper") || d.message.contains("recursion")),
        "{:?}",
        parsed.diagnostics
    );
}
