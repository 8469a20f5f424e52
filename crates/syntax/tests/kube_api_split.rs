//! The splitter finds `kubectl get … -o json|yaml` output in a paste: after a node dump with or without
//! the command line, its lone opening brace kept with the JSON, YAML by its first line; and the objects
//! read from the section carry the paste's line numbers.
#![allow(clippy::disallowed_methods)] // A test reads files.

use std::path::PathBuf;

use svcpath_syntax::kube_api;
use svcpath_syntax::split::{split, SectionKind};

fn fixture(case: &str, file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/kube-api")
        .join(case)
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn kinds(paste: &str) -> Vec<SectionKind> {
    split(paste).iter().map(|s| s.kind).collect()
}

#[test]
fn json_after_a_node_dump_with_and_without_its_command_line() {
    let node = fixture("stale-node", "node.txt");
    let api = fixture("stale-node", "api.json");
    for between in ["", "$ kubectl get svc,endpointslices,nodes -A -o json\n"] {
        let paste = format!("{node}{between}{api}");
        assert_eq!(
            kinds(&paste),
            [SectionKind::Iptables, SectionKind::KubeApi],
            "{between:?}"
        );
        let sections = split(&paste);
        let section = &sections[1];
        assert!(
            section.text(&paste).starts_with('{'),
            "the opening brace belongs to the JSON"
        );
        let parsed = kube_api::parse(section.text(&paste), section.origin());
        assert_eq!(parsed.diagnostics, vec![]);
        assert_eq!(parsed.value.services.len(), 3);
        // Lines are the paste's: the first Service opens four lines into the JSON.
        let first = section.first_line;
        assert_eq!(parsed.value.services[0].line, first + 3);
    }
}

#[test]
fn yaml_is_found_by_its_first_line() {
    let node = fixture("topology-other-zone", "node.txt");
    let api = fixture("topology-other-zone", "api.yaml");
    let paste = format!("{node}{api}");
    assert_eq!(
        kinds(&paste),
        [
            SectionKind::Iptables,
            SectionKind::Addresses,
            SectionKind::KubeApi
        ]
    );
    let sections = split(&paste);
    let parsed = kube_api::parse(sections[2].text(&paste), sections[2].origin());
    assert_eq!(parsed.diagnostics, vec![]);
    assert_eq!(parsed.value.nodes.len(), 2);
}

#[test]
fn a_json_document_alone_is_one_section() {
    let api = fixture("ipvs-named", "api.json");
    assert_eq!(kinds(&api), [SectionKind::KubeApi]);
}
