//! The conntrack table entry by entry (`tests/fixtures/conntrack/`, sources in its SOURCES.md): golden
//! snapshots of the report's `conntrack.table`, `services` and `stale` for every fixture, and the facts
//! that matter asserted by hand — which entries are stale and which current, that nothing is called
//! stale when a Service's endpoints are unknown, and that `trace --established` answers the entry's
//! endpoint.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::path::PathBuf;

use serde_json::json;
use svcpath_analysis::conntrack::trace_established;
use svcpath_analysis::report::StaleKind;
use svcpath_analysis::trace::{Origin, Packet, Verdict};
use svcpath_analysis::{analyze, Options, Report, Snapshot};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/conntrack")
}

fn read(name: &str) -> String {
    let path = fixture_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn report(text: &str) -> Report {
    analyze(text, &Options::default())
}

#[test]
fn every_fixture_is_read_and_pinned() {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        let r = report(&read(&name));
        let c = r
            .conntrack
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no conntrack part"));
        let table = c
            .table
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no table"));
        assert!(table.entries > 0, "{name}");
        let value = json!({
            "table": c.table,
            "services": c.services,
            "stale": c.stale,
            "findings": r.findings.iter().filter(|f| f.code.as_str().starts_with("conntrack-")).map(|f| json!({"code": f.code, "lines": f.lines})).collect::<Vec<_>>(),
        });
        insta::assert_json_snapshot!(name.trim_end_matches(".txt").to_string(), value);
    }
}

#[test]
fn removed_endpoint_and_never_dnat_entries_are_stale_the_others_current() {
    let r = report(&read("stale-udp-dns.txt"));
    let c = r.conntrack.unwrap();
    let table = c.table.unwrap();
    assert_eq!(table.entries, 5);
    assert_eq!(table.by_protocol["udp"], 4);
    assert_eq!(table.unreplied_udp, 2);
    assert_eq!(table.to_services, 4);
    let dns = &c.services[0];
    assert_eq!(dns.service, "kube-system/kube-dns:dns");
    assert_eq!(dns.entries, 4);
    assert_eq!(dns.stale, Some(2));
    assert_eq!(dns.never_dnat, 1);
    assert_eq!(dns.by_endpoint["10.244.1.7:53"], 1);
    assert_eq!(dns.by_endpoint["10.244.2.8:53"], 1);
    let stale: Vec<(u32, &str, StaleKind)> = c
        .stale
        .iter()
        .map(|s| (s.line, s.translated_to.as_str(), s.kind))
        .collect();
    assert_eq!(
        stale,
        vec![
            (34, "10.244.3.9:53", StaleKind::EndpointGone),
            (35, "10.96.0.10:53", StaleKind::NeverDnat)
        ]
    );
    assert_eq!(
        c.stale[0].command,
        "conntrack -D -p udp --orig-dst 10.96.0.10 --reply-src 10.244.3.9"
    );
    assert_eq!(c.stale[0].client, "10.244.1.9:43000");
    let finding = r
        .findings
        .iter()
        .find(|f| f.code.as_str().contains("stale"))
        .expect("a stale finding");
    assert_eq!(finding.service.as_deref(), Some("kube-system/kube-dns:dns"));
    assert_eq!(finding.lines, vec![34, 35]);
}

#[test]
fn entries_to_a_service_without_endpoints_are_called_out() {
    // Without its endpoint rules kube-proxy's chain says "no endpoints": every DNAT'd entry is stale.
    let text = read("stale-udp-dns.txt");
    let cut: String = text
        .lines()
        .filter(|l| !l.contains("KUBE-SEP-") && !l.contains("-> 10.244"))
        .map(|l| format!("{l}\n"))
        .collect();
    let r = report(&cut);
    let c = r.conntrack.unwrap();
    let dns = &c.services[0];
    assert!(dns.no_endpoints);
    assert_eq!(dns.stale, Some(4));
    assert!(r
        .findings
        .iter()
        .any(|f| f.code.as_str() == "conntrack-entries-without-endpoints"));
}

#[test]
fn trace_established_answers_the_entry_endpoint() {
    let text = read("stale-udp-dns.txt");
    let options = Options::default();
    let snapshot = Snapshot::parse(&text, &options);
    let packet = |src: &str| Packet {
        src: Some(src.to_string()),
        dst: "10.96.0.10".to_string(),
        dst_port: 53,
        protocol: svcpath_analysis::report::Protocol::Udp,
        from: Origin::Pod,
        returning_client: false,
    };
    let t = trace_established(&snapshot, &options, &packet("10.244.1.9"), None);
    assert_eq!(t.outcomes.len(), 1);
    assert_eq!(t.outcomes[0].endpoint.as_deref(), Some("10.244.3.9:53"));
    assert_eq!(t.outcomes[0].verdict, Verdict::Dnat);
    let flow = t.established.unwrap();
    assert_eq!(flow.line, 34);
    assert_eq!(flow.stale, Some(true));
    // A current entry: not stale.
    let t = trace_established(&snapshot, &options, &packet("10.244.1.6"), Some(42000));
    assert_eq!(t.outcomes[0].endpoint.as_deref(), Some("10.244.2.8:53"));
    assert_eq!(t.established.unwrap().stale, Some(false));
    // No entry for this client: a new connection's odds.
    let t = trace_established(&snapshot, &options, &packet("10.244.1.99"), None);
    assert!(t.established.is_none());
    assert_eq!(t.outcomes.len(), 2);
    assert!(t.notes[0].contains("no listed conntrack entry"));
}

#[test]
fn ipvs_connections_are_joined_without_conntrack_listing() {
    let text = "\
===== svcpath: ipvsadm =====
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
UDP  10.96.0.10:53 rr
  -> 10.244.1.7:53                Masq    1      0          1
===== svcpath: ipvsadm-c =====
IPVS connection entries
pro expire state       source             virtual            destination
UDP 04:58  UDP         10.244.1.5:41000   10.96.0.10:53      10.244.1.7:53
UDP 04:59  UDP         10.244.1.9:43000   10.96.0.10:53      10.244.3.9:53
===== svcpath: conntrack-s =====
cpu=0 found=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0
";
    let r = report(text);
    let Some(c) = r.conntrack else {
        panic!("no conntrack part")
    };
    let Some(table) = c.table else {
        panic!("no table: {:?}", r.sections)
    };
    assert_eq!(table.source, "ipvsadm -Lnc");
    assert_eq!(table.entries, 2);
    assert_eq!(c.stale.len(), 1, "{:?}", c.stale);
    assert_eq!(c.stale[0].translated_to, "10.244.3.9:53");
}
