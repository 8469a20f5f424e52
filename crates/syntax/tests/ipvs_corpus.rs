//! Golden tests: every ipvsadm and ipset file of the shared corpus parses without a panic, and what it
//! yields (virtual services, real servers, weights, counters, sets and members) is pinned in snapshots.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::path::PathBuf;

use proptest::prelude::*;
use svcpath_syntax::{ipset, ipvs, Origin, Span};

fn corpus_dir(kind: &str) -> PathBuf {
    svcpath_testkit::corpus::path(kind)
}

fn corpus_files(kind: &str) -> Vec<(String, String)> {
    svcpath_testkit::corpus::texts(kind)
}

/// A compact, readable summary of a listing for the snapshot.
fn summary(listing: &ipvs::Listing) -> serde_json::Value {
    serde_json::json!({
        "version": listing.version,
        "table_size": listing.table_size,
        "views": listing.views.iter().map(|v| serde_json::json!({"view": v.view, "line": v.line, "command": v.command, "watch_interval": v.watch_interval})).collect::<Vec<_>>(),
        "numeric": listing.numeric,
        "timeouts": listing.timeouts,
        "unresolved_names": listing.unresolved_names,
        "services": listing.services.iter().map(|s| serde_json::json!({
            "key": s.key(),
            "address": s.address.as_ref().map(|a| &a.text),
            "line": s.line,
            "lines": s.lines,
            "scheduler": s.scheduler,
            "flags": s.scheduler_flags,
            "persistent": s.persistent_seconds,
            "stats": s.stats.map(|c| [c.connections.value, c.in_packets.value, c.out_packets.value, c.in_bytes.value, c.out_bytes.value]),
            "rate": s.rate.map(|r| [r.connections_per_second.value, r.in_packets_per_second.value, r.out_packets_per_second.value, r.in_bytes_per_second.value, r.out_bytes_per_second.value]),
            "real_servers": s.real_servers.iter().map(|r| serde_json::json!({
                "address": r.address.text,
                "key": r.address.key(),
                "line": r.line,
                "forward": r.forward,
                "weight": r.weight,
                "active": r.active_connections,
                "inactive": r.inactive_connections,
                "stats": r.stats.as_deref().map(|c| [c.connections.value, c.in_packets.value, c.out_packets.value, c.in_bytes.value, c.out_bytes.value]),
                "rate": r.rate.as_deref().map(|x| [x.connections_per_second.value, x.in_packets_per_second.value, x.out_packets_per_second.value, x.in_bytes_per_second.value, x.out_bytes_per_second.value]),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "connections": listing.connections.len(),
    })
}

#[test]
fn every_ipvsadm_file_parses() {
    let files = corpus_files("ipvs");
    assert!(
        files.len() >= 6,
        "expected the six ipvsadm files, found {}",
        files.len()
    );
    for (name, text) in files {
        let parsed = ipvs::parse(&text, Origin::START);
        let value = serde_json::json!({
            "listing": summary(&parsed.value),
            "diagnostics": parsed.diagnostics,
        });
        insta::assert_json_snapshot!(format!("ipvs__{}", name.trim_end_matches(".txt")), value);
    }
}

#[test]
fn every_ipset_file_parses() {
    let files = corpus_files("ipset");
    assert!(files.len() >= 2);
    for (name, text) in files {
        let parsed = ipset::parse(&text, Origin::START);
        let sets: Vec<_> = parsed
            .value
            .iter()
            .map(|s| {
                serde_json::json!({
                    "name": s.name,
                    "line": s.line,
                    "type": s.set_type,
                    "family": s.family,
                    "range": s.range,
                    "timeout": s.timeout,
                    "references": s.references,
                    "number_of_entries": s.number_of_entries,
                    "members": s.members().map(|m| serde_json::json!({
                        "line": m.line(),
                        "element": m.element(),
                        "address": m.address(),
                        "protocol": m.protocol(),
                        "port": m.port(),
                        "second_address": m.second_address(),
                        "timeout": m.timeout(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        insta::assert_json_snapshot!(
            format!("ipset__{}", name.trim_end_matches(".txt")),
            serde_json::json!({ "sets": sets, "diagnostics": parsed.diagnostics })
        );
    }
}

/// Hand-checked facts, independent of the snapshots.
#[test]
fn hand_checked_facts() {
    let text =
        std::fs::read_to_string(corpus_dir("ipvs").join("kube-router-160-ipvsadm-ln-stats.txt"))
            .unwrap();
    let l = ipvs::parse(&text, Origin::START).value;
    assert_eq!(l.services.len(), 3);
    let web = &l.services[2];
    assert_eq!(web.key().as_deref(), Some("tcp/10.3.0.42:80"));
    let s = web.stats.unwrap();
    assert_eq!(
        [
            s.connections.value,
            s.in_packets.value,
            s.out_packets.value,
            s.in_bytes.value,
            s.out_bytes.value
        ],
        [14209, 111769, 74613, 7207174, 8334358]
    );
    assert_eq!(web.real_servers.len(), 8);
    let conns: Vec<u64> = web
        .real_servers
        .iter()
        .map(|r| r.stats.as_ref().unwrap().connections.value)
        .collect();
    assert_eq!(conns, [2, 2, 2, 3, 3, 3, 3, 3]);

    let text = std::fs::read_to_string(
        corpus_dir("ipvs").join("repo-workshop-calico-aws-watch-ipvsadm-L-n-rate.txt"),
    )
    .unwrap();
    let l = ipvs::parse(&text, Origin::START).value;
    assert_eq!(l.services.len(), 17);
    assert_eq!(l.views[0].watch_interval, Some(2.0));
    let busy = l
        .services
        .iter()
        .find(|s| s.key().as_deref() == Some("tcp/10.49.120.28:80"))
        .unwrap();
    assert_eq!(busy.rate.unwrap().out_bytes_per_second.value, 995);
    assert_eq!(busy.real_servers.len(), 3);

    let text =
        std::fs::read_to_string(corpus_dir("ipvs").join("opsnull-follow-me-251-ipvsadm-L-n.txt"))
            .unwrap();
    let l = ipvs::parse(&text, Origin::START).value;
    assert_eq!(l.services.len(), 7);
    assert_eq!(l.services[3].persistent_seconds, Some(10800));
    assert_eq!(l.real_server_count(), 14);

    let text = std::fs::read_to_string(
        corpus_dir("ipvs").join("kube-router-415-ipvsadm-L-resolved-names.txt"),
    )
    .unwrap();
    let parsed = ipvs::parse(&text, Origin::START);
    assert_eq!(parsed.value.numeric, Some(false));
    assert_eq!(parsed.value.services.len(), 8);
    assert!(parsed.value.services.iter().all(|s| s.key().is_none()));
    assert!(parsed
        .value
        .unresolved_names
        .iter()
        .any(|u| u.name == "ip-10-0-62-121.ec2.internal:"));

    let text = std::fs::read_to_string(
        corpus_dir("ipset").join("repo-notes-azure-kubeadm-ipset-list-kube-proxy-ipvs.txt"),
    )
    .unwrap();
    let sets = ipset::parse(&text, Origin::START).value;
    assert_eq!(sets.len(), 14);
    let cluster = sets.iter().find(|s| s.name == "KUBE-CLUSTER-IP").unwrap();
    assert_eq!(cluster.member_count(), 4);
    assert_eq!(cluster.member(2).unwrap().port(), Some(44134));
}

fn within(span: Span, start: usize, end: usize) -> bool {
    span.start >= start && span.end <= end && span.start <= span.end
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn ipvsadm_parser_never_panics_and_spans_stay_inside(text in "\\PC{0,400}", offset in 0usize..1000) {
        let parsed = ipvs::parse(&text, Origin { offset, line: 3 });
        let end = offset + text.len();
        for d in &parsed.diagnostics {
            prop_assert!(d.span == Span::default() || within(d.span, offset, end), "{:?}", d);
        }
        for s in &parsed.value.services {
            prop_assert!(within(s.span, offset, end));
            for r in &s.real_servers {
                prop_assert!(within(r.span, offset, end));
            }
        }
        for c in &parsed.value.connections {
            prop_assert!(within(c.span, offset, end));
        }
    }

    #[test]
    fn ipvsadm_parser_survives_listing_like_noise(lines in proptest::collection::vec(
        prop_oneof![
            Just("IP Virtual Server version 1.2.1 (size=4096)".to_string()),
            Just("Prot LocalAddress:Port Scheduler Flags".to_string()),
            Just("Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes".to_string()),
            Just("Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS".to_string()),
            Just("  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn".to_string()),
            Just("IPVS connection entries".to_string()),
            "(TCP|UDP|SCTP|FWM) +[0-9a-f.:\\[\\]]{0,20} +[a-z0-9() ,]{0,30}",
            "  -> [0-9a-zA-Z.:\\[\\]-]{0,30} +(Masq|Route)? +[0-9KMGT -]{0,30}",
            "-(A|a) +-(t|u|f|r|s|p|w|m|b|M) +[0-9a-z.:,\\[\\] -]{0,30}",
            "(TCP|UDP) [0-9]{1,3}:[0-9]{2} +[A-Z_]{0,12} [0-9.:]{0,20} [0-9.:]{0,20} [0-9.:]{0,20}",
            "Timeout \\(tcp tcpfin udp\\):[ 0-9]{0,30}",
            "Every [0-9.]{0,4}s?:.{0,40}",
        ],
        0..30,
    )) {
        let text = lines.join("\n");
        let parsed = ipvs::parse(&text, Origin::START);
        for d in &parsed.diagnostics {
            prop_assert!(d.span == Span::default() || within(d.span, 0, text.len()));
        }
    }

    #[test]
    fn ipset_parser_never_panics_and_spans_stay_inside(text in "\\PC{0,400}", offset in 0usize..1000) {
        let parsed = ipset::parse(&text, Origin { offset, line: 1 });
        let end = offset + text.len();
        for d in &parsed.diagnostics {
            prop_assert!(within(d.span, offset, end), "{:?}", d);
        }
        for s in &parsed.value {
            prop_assert!(within(s.span, offset, end));
            for m in s.members() {
                prop_assert!(within(m.span(), offset, end));
            }
        }
    }

    #[test]
    fn ipset_parser_survives_set_like_noise(lines in proptest::collection::vec(
        prop_oneof![
            "Name: [A-Z-]{0,20}",
            "Type: (hash|bitmap|list):(ip|port|net|ip,port|ip,port,ip|ip,port,net|set)",
            "Header: [a-z0-9 -]{0,40}",
            Just("Members:".to_string()),
            "[0-9.,:a-z/-]{0,30}( (timeout|packets|bytes|comment|nomatch|skbmark) [0-9a-z\"]{0,10}){0,4}",
            "(create|add) [A-Z-]{0,10} [a-z0-9:,. -]{0,30}",
            Just(String::new()),
        ],
        0..30,
    )) {
        let text = lines.join("\n");
        let parsed = ipset::parse(&text, Origin::START);
        for d in &parsed.diagnostics {
            prop_assert!(within(d.span, 0, text.len()));
        }
    }
}
