//! Property tests of the API object reader: on any mix of kubectl-like JSON and YAML lines cut anywhere it
//! never panics and every line and span stays inside its section; and generated Services and
//! EndpointSlices read back as generated, from JSON and through the YAML reader alike.

use proptest::prelude::*;
use serde_json::json;
use svcpath_syntax::{kube_api, Origin};

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("],".to_string()),
        Just("\"apiVersion\": \"v1\",".to_string()),
        Just("\"kind\": \"List\",".to_string()),
        Just("\"items\": [".to_string()),
        Just("\"kind\": \"Service\",".to_string()),
        Just("\"kind\": \"EndpointSlice\",".to_string()),
        Just("\"metadata\": {\"name\": \"a\", \"namespace\": \"b\"},".to_string()),
        Just("\"spec\": {\"clusterIP\": \"10.96.0.1\", \"ports\": [{\"port\": 443}]}".to_string()),
        Just(
            "\"endpoints\": [{\"addresses\": [\"10.0.0.1\"], \"conditions\": {\"ready\": true}}],"
                .to_string()
        ),
        Just("apiVersion: v1".to_string()),
        Just("items:".to_string()),
        Just("- kind: Service".to_string()),
        Just("  metadata: {name: x}".to_string()),
        Just("  spec:".to_string()),
        Just("    ports:".to_string()),
        Just("    - port: 80".to_string()),
        Just("      nodePort: &a 99999".to_string()),
        Just("    - *a".to_string()),
        Just("---".to_string()),
        Just("  - [[[[".to_string()),
        Just("\t\"x\": 'y".to_string()),
        "[ -~]{0,30}",
        "\\PC{0,10}",
    ]
}

fn section_text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..40).prop_map(|lines| lines.join("\n"))
}

fn check(prefix: &str, text: &str) -> Result<kube_api::ApiObjects, TestCaseError> {
    let paste = format!("{prefix}{text}");
    let origin = Origin {
        offset: prefix.len(),
        line: 1 + prefix.matches('\n').count() as u32,
    };
    let parsed = kube_api::parse(&paste[origin.offset..], origin);
    let last = origin.line + text.matches('\n').count() as u32;
    for d in &parsed.diagnostics {
        prop_assert!(d.line >= origin.line && d.line <= last, "{d:?}");
        prop_assert!(
            d.span.start >= origin.offset
                && d.span.start <= d.span.end
                && d.span.end <= paste.len(),
            "{d:?}"
        );
        prop_assert!(paste.is_char_boundary(d.span.start) && paste.is_char_boundary(d.span.end));
    }
    let o = &parsed.value;
    for line in o
        .services
        .iter()
        .map(|s| s.line)
        .chain(o.slices.iter().map(|s| s.line))
        .chain(o.nodes.iter().map(|n| n.line))
    {
        prop_assert!(line >= origin.line && line <= last);
    }
    Ok(parsed.value)
}

#[derive(Debug, Clone)]
struct GenService {
    namespace: String,
    name: String,
    ip: [u8; 4],
    ports: Vec<(String, u16, bool)>,
    endpoints: Vec<([u8; 4], bool, bool)>,
}

fn service() -> impl Strategy<Value = GenService> {
    (
        "[a-z][a-z0-9-]{0,8}",
        "[a-z][a-z0-9-]{0,8}",
        any::<[u8; 4]>(),
        prop::collection::vec(("[a-z]{0,5}", 1u16..=65535, any::<bool>()), 0..4),
        prop::collection::vec((any::<[u8; 4]>(), any::<bool>(), any::<bool>()), 0..5),
    )
        .prop_map(|(namespace, name, ip, ports, endpoints)| GenService {
            namespace,
            name,
            ip,
            ports,
            endpoints,
        })
}

fn dotted(ip: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

fn list_json(services: &[GenService]) -> String {
    let mut items = Vec::new();
    for s in services {
        let ports: Vec<_> = s
            .ports
            .iter()
            .map(|(n, p, udp)| json!({"name": n, "port": p, "protocol": if *udp {"UDP"} else {"TCP"}}))
            .collect();
        items.push(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": s.name, "namespace": s.namespace},
            "spec": {"clusterIP": dotted(s.ip), "ports": ports}}));
        let endpoints: Vec<_> = s
            .endpoints
            .iter()
            .map(|(ip, ready, terminating)| {
                json!({"addresses": [dotted(*ip)],
                "conditions": {"ready": ready, "serving": ready, "terminating": terminating}})
            })
            .collect();
        items.push(
            json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": format!("{}-x", s.name), "namespace": s.namespace,
                         "labels": {"kubernetes.io/service-name": s.name}},
            "addressType": "IPv4", "endpoints": endpoints, "ports": ports}),
        );
    }
    serde_json::to_string_pretty(&json!({"apiVersion": "v1", "kind": "List", "items": items}))
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_stays_inside_the_section(prefix in "[a-z\n]{0,20}", text in section_text()) {
        check(&prefix, &text)?;
    }

    #[test]
    fn generated_objects_read_back_from_json_and_yaml(services in prop::collection::vec(service(), 0..5)) {
        let json_text = list_json(&services);
        let from_json = check("", &json_text)?;
        // JSON is YAML: behind a document marker the same text goes through the YAML reader.
        let from_yaml = check("", &format!("---\n{json_text}"))?;
        prop_assert_eq!(from_json.services.len(), services.len());
        for (read, made) in from_json.services.iter().zip(&services) {
            prop_assert_eq!(&read.name, &made.name);
            prop_assert_eq!(&read.namespace, &made.namespace);
            prop_assert_eq!(&read.cluster_ips, &vec![dotted(made.ip)]);
            let ports: Vec<(String, Option<u16>, String)> = read.ports.iter().map(|p| (p.name.clone(), p.port, p.protocol.clone())).collect();
            let want: Vec<(String, Option<u16>, String)> = made.ports.iter().map(|(n, p, udp)| (n.clone(), Some(*p), if *udp {"UDP".to_string()} else {"TCP".to_string()})).collect();
            prop_assert_eq!(ports, want);
        }
        for (read, made) in from_json.slices.iter().zip(&services) {
            prop_assert_eq!(read.service.as_deref(), Some(made.name.as_str()));
            let conditions: Vec<(Option<bool>, Option<bool>)> = read.endpoints.iter().map(|e| (e.ready, e.terminating)).collect();
            let want: Vec<(Option<bool>, Option<bool>)> = made.endpoints.iter().map(|(_, r, t)| (Some(*r), Some(*t))).collect();
            prop_assert_eq!(conditions, want);
        }
        let strip = |mut o: kube_api::ApiObjects| {
            o.services.iter_mut().for_each(|s| { s.line = 0; s.ports.iter_mut().for_each(|p| p.line = 0); });
            o.slices.iter_mut().for_each(|s| { s.line = 0; s.endpoints.iter_mut().for_each(|e| e.line = 0); });
            o
        };
        prop_assert_eq!(strip(from_yaml), strip(from_json));
    }
}
