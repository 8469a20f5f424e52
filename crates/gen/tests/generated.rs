//! Generated dumps: what svcpath reads from them matches the cluster they were drawn from, the same seed
//! gives the same bytes, small dumps are pinned as golden files, and (ignored by default: root, the
//! `iptables` and `nftables` packages and `unshare` are needed) the kernel accepts them and prints them
//! back byte for byte.

use std::process::{Command, Stdio};

use svcpath_analysis::report::{Mode as ReportMode, TrafficPolicy};
use svcpath_analysis::{analyze, Options};
use svcpath_gen::{cluster, generate, Mode, Spec};
use svcpath_syntax::SectionKind;

/// A small cluster whose seed draws every feature: ClientIP affinity, NodePorts with policy Cluster and
/// Local, policy Local with and without endpoints on the node, UDP, unnamed ports, a Service without
/// endpoints.
const SMALL: Spec = Spec {
    services: 8,
    endpoints: 3,
    empty_services: 1,
    seed: 258,
};

const CHECKED: Spec = Spec {
    services: 60,
    endpoints: 7,
    empty_services: 4,
    seed: 11,
};

#[test]
fn iptables_dump_is_explained_with_every_service_and_its_odds() {
    let report = explain(Mode::Iptables, ReportMode::Iptables);
    assert_eq!(report.services.len(), 64);
    check_services(&report, Mode::Iptables);
}

#[test]
fn nftables_dump_is_explained_with_every_service_and_its_odds() {
    let report = explain(Mode::Nftables, ReportMode::Nftables);
    assert_eq!(report.services.len(), 64);
    check_services(&report, Mode::Nftables);
}

#[test]
fn ipvs_dump_is_explained_with_every_service_and_its_odds() {
    let report = explain(Mode::Ipvs, ReportMode::Ipvs);
    // ipvsadm names no Service: a NodePort's virtual service is tied to its Service through the real
    // servers they share, so one without any (no endpoints, or policy Local and no endpoint on this
    // node) stands alone.
    let lone_node_ports = cluster(&CHECKED)
        .services
        .iter()
        .filter(|s| {
            s.node_port.is_some()
                && (s.endpoints.is_empty() || (s.local_policy && !s.has_local_endpoints()))
        })
        .count();
    assert!(lone_node_ports > 0, "the seed draws the case");
    assert_eq!(report.services.len(), 64 + lone_node_ports);
    check_services(&report, Mode::Ipvs);
}

/// The report for the generated dump of [`CHECKED`], which must be read in `expected` mode without a
/// single diagnostic.
fn explain(mode: Mode, expected: ReportMode) -> svcpath_analysis::Report {
    let dump = generate(mode, &CHECKED);
    let report = analyze(&dump, &Options::default());
    assert_eq!(report.mode, expected);
    assert!(
        report.diagnostics.is_empty(),
        "unexpected diagnostics: {:?}",
        report.diagnostics
    );
    report
}

/// The Service ports of [`CHECKED`] are in the report: those with endpoints with every endpoint at the
/// same odds, the others marked as without endpoints, each with its address, NodePort, policy and
/// affinity as far as the mode's dump shows them.
fn check_services(report: &svcpath_analysis::Report, mode: Mode) {
    let spec = CHECKED;
    let with_endpoints: Vec<_> = report
        .services
        .iter()
        .filter(|s| !s.endpoints.is_empty())
        .collect();
    assert_eq!(with_endpoints.len(), 60);
    for s in &with_endpoints {
        assert_eq!(s.endpoints.len(), 7, "{}", s.id);
        assert!(!s.no_endpoints, "{}", s.id);
        for e in &s.endpoints {
            assert!(
                (e.probability - 1.0 / 7.0).abs() < 1e-9,
                "{} -> {}: {}",
                s.id,
                e.ip,
                e.probability
            );
        }
    }
    let empty = report
        .services
        .iter()
        .filter(|s| s.no_endpoints && s.cluster_ip.is_some())
        .count();
    assert_eq!(empty, 4);

    // Every Service port of the cluster is found with its address, NodePort, policy and affinity.
    let drawn = cluster(&spec);
    for svc in &drawn.services {
        let id = if svc.port_name.is_empty() {
            format!("{}/{}:", svc.namespace, svc.name)
        } else {
            svc.port_name_string()
        };
        // ipvsadm shows addresses only: the Service is its ClusterIP virtual service.
        let cluster_ip = svc.cluster_ip.to_string();
        let found = report
            .services
            .iter()
            .find(|s| match mode {
                Mode::Ipvs => s.cluster_ip.as_deref() == Some(cluster_ip.as_str()),
                _ => s.id == id,
            })
            .unwrap_or_else(|| panic!("{id} is missing from the report"));
        assert_eq!(
            found.cluster_ip.as_deref(),
            Some(svc.cluster_ip.to_string().as_str()),
            "{id}"
        );
        assert_eq!(found.port, Some(svc.port), "{id}");
        // What the dump cannot tie to the Service: in iptables mode the NodePort of a Service without
        // endpoints shows only in the filter table's KUBE-EXTERNAL-SERVICES REJECT rule, which the model
        // does not read yet; in IPVS mode a NodePort virtual service without real servers shares none
        // with the ClusterIP one.
        let node_port_shown = match mode {
            Mode::Ipvs => svc.endpoints.iter().any(|e| e.local || !svc.local_policy),
            _ => !svc.endpoints.is_empty(),
        };
        if node_port_shown {
            assert_eq!(found.node_port, svc.node_port, "{id}");
        }
        if !svc.endpoints.is_empty() {
            assert_eq!(found.session_affinity_seconds, svc.affinity_seconds, "{id}");
        }
        if svc.node_port.is_some() && node_port_shown {
            let policy = if svc.local_policy {
                TrafficPolicy::Local
            } else {
                TrafficPolicy::Cluster
            };
            assert_eq!(found.external_traffic_policy, Some(policy), "{id}");
        }
        if svc.local_policy && svc.has_local_endpoints() {
            for e in &found.endpoints {
                let local = svc
                    .endpoints
                    .iter()
                    .any(|d| d.local && d.ip.to_string() == e.ip);
                assert_eq!(e.local, Some(local), "{id} -> {}", e.ip);
            }
        }
    }
}

#[test]
fn features_are_drawn_at_their_rates() {
    let drawn = cluster(&Spec::new(2000, 4, 5));
    let services = &drawn.services;
    assert_eq!(services.len(), 2020);
    let count =
        |f: &dyn Fn(&svcpath_gen::model::Service) -> bool| services.iter().filter(|s| f(s)).count();
    let node_ports = count(&|s| s.node_port.is_some());
    let local = count(&|s| s.local_policy);
    let affinity = count(&|s| s.affinity_seconds.is_some());
    assert!((220..=380).contains(&node_ports), "{node_ports} NodePorts");
    assert!((50..=170).contains(&local), "{local} with policy Local");
    assert!((60..=150).contains(&affinity), "{affinity} with affinity");
    assert_eq!(count(&|s| s.endpoints.is_empty()), 20);
    // NodePorts are unique (health-check ports included).
    let mut ports: Vec<u16> = services
        .iter()
        .flat_map(|s| s.node_port.into_iter().chain(s.health_check_node_port))
        .collect();
    let all = ports.len();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), all);
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    for mode in [Mode::Iptables, Mode::Ipvs, Mode::Nftables] {
        let a = generate(mode, &Spec::new(120, 4, 9));
        let b = generate(mode, &Spec::new(120, 4, 9));
        let c = generate(mode, &Spec::new(120, 4, 10));
        assert_eq!(a, b, "{}", mode.name());
        assert_ne!(a, c, "{}", mode.name());
    }
}

#[test]
fn ipvs_dump_is_ipvsadm_then_ipset() {
    let dump = generate(Mode::Ipvs, &Spec::new(50, 4, 3));
    let sections = svcpath_syntax::split(&dump);
    let kinds: Vec<SectionKind> = sections.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [SectionKind::Ipvsadm, SectionKind::Ipset]);
    let drawn = cluster(&Spec::new(50, 4, 3));
    let virtual_services = dump
        .lines()
        .filter(|l| l.starts_with("TCP  ") || l.starts_with("UDP  "))
        .count();
    let node_ports = drawn
        .services
        .iter()
        .filter(|s| s.node_port.is_some())
        .count();
    assert_eq!(virtual_services, drawn.services.len() + node_ports);
    // `  -> %-28s %-7s %-6d %-10u %-10u`: 70 characters, trailing spaces included.
    for line in dump.lines().filter(|l| l.starts_with("  -> 1")) {
        assert_eq!(line.len(), 70, "{line:?}");
    }
}

#[test]
fn nft_dump_is_one_nft_section() {
    let dump = generate(Mode::Nftables, &Spec::new(50, 4, 3));
    let kinds: Vec<SectionKind> = svcpath_syntax::split(&dump)
        .iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(kinds, [SectionKind::Nft]);
}

#[test]
fn small_dumps_are_pinned() {
    insta::assert_snapshot!("iptables", generate(Mode::Iptables, &SMALL));
    insta::assert_snapshot!("ipvs", generate(Mode::Ipvs, &SMALL));
    insta::assert_snapshot!("nftables", generate(Mode::Nftables, &SMALL));
}

/// Runs `command` with `input` on stdin; returns its stdout, or panics with its stderr.
fn run(command: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(command[0])
        .args(&command[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("the command runs");
    writer
        .join()
        .expect("the writer thread ends")
        .expect("the input is written");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The dump without what changes from one save to the next: comment lines (dates) and counters.
fn without_counters(dump: &str) -> String {
    dump.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| match (l.starts_with(':'), l.rfind(" [")) {
            (true, Some(i)) => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
#[ignore = "needs root and the iptables package; run by scripts/bench.sh"]
fn iptables_restore_accepts_the_dump_and_saves_it_back_unchanged() {
    let dump = generate(Mode::Iptables, &Spec::new(300, 10, 4));
    run(&["iptables-restore", "--test"], &dump);
    // Loaded into a fresh network namespace, the rules come back from iptables-save as generated.
    let saved = run(
        &[
            "unshare",
            "-n",
            "sh",
            "-c",
            "iptables-restore && iptables-save",
        ],
        &dump,
    );
    assert_eq!(without_counters(&saved), without_counters(&dump));
}

/// Lines of an nft listing with every set element on its own line, sorted: nft lists objects and
/// elements in an order of its own (by version and hash), so the listing is compared as a multiset.
fn nft_lines(listing: &str) -> Vec<String> {
    let joined = listing.replace(",\n\t\t\t     ", ", ");
    let mut lines = Vec::new();
    for line in joined.lines().filter(|l| !l.trim().is_empty()) {
        match line
            .strip_prefix("\t\telements = { ")
            .and_then(|l| l.strip_suffix(" }"))
        {
            Some(items) => lines.extend(items.split(", ").map(|i| format!("element {i}"))),
            None => lines.push(line.to_string()),
        }
    }
    lines.sort();
    lines
}

#[test]
#[ignore = "needs root and the nftables package; run by scripts/bench.sh"]
fn nft_loads_the_dump_and_lists_it_back() {
    let dump = generate(Mode::Nftables, &Spec::new(300, 10, 4));
    let listed = run(
        &[
            "unshare",
            "-n",
            "sh",
            "-c",
            "nft -f - && nft list table ip kube-proxy",
        ],
        &dump,
    );
    assert_eq!(nft_lines(&listed), nft_lines(&dump));
}

/// Each kube-proxy release's nftables layout of [`CHECKED`] is explained with every Service port, its
/// address, NodePort, policy, affinity, locality and odds, without a diagnostic or a finding that the
/// rules were edited.
#[test]
fn every_nftables_release_is_explained_with_every_service_and_its_odds() {
    use svcpath_gen::{nftables, Release};
    for release in [
        Release::V1_33,
        Release::V1_34,
        Release::V1_36,
        Release::V1_37,
    ] {
        let mut bytes = Vec::new();
        nftables::write_release(&cluster(&CHECKED), release, &mut bytes).unwrap();
        let dump = String::from_utf8(bytes).unwrap();
        let report = analyze(&dump, &Options::default());
        assert_eq!(report.mode, ReportMode::Nftables, "{release:?}");
        assert!(
            report.diagnostics.is_empty(),
            "{release:?}: {:?}",
            report.diagnostics
        );
        assert_eq!(report.services.len(), 64, "{release:?}");
        check_services(&report, Mode::Nftables);
        for code in [
            "endpoints-unknown",
            "skewed-odds",
            "hairpin-masquerade-missing",
        ] {
            assert!(
                report.findings.iter().all(|f| f.code != code),
                "{release:?}: {code}"
            );
        }
    }
}

/// The kernel conformance dumps of each release are this generator's showcase output (after their
/// three comment lines), so regenerating them is reproducible.
#[test]
fn conformance_dumps_are_the_showcase_of_each_release() {
    use svcpath_gen::{nftables, showcase, Release};
    for (version, release) in [
        ("1.33", Release::V1_33),
        ("1.34", Release::V1_34),
        ("1.36", Release::V1_36),
        ("1.37", Release::V1_37),
    ] {
        let path = format!(
            "{}/../../tests/conformance/nft-{version}.nft",
            env!("CARGO_MANIFEST_DIR")
        );
        let file = std::fs::read_to_string(&path).unwrap();
        let body: String = file.split_inclusive('\n').skip(3).collect();
        let mut bytes = Vec::new();
        nftables::write_release(&showcase(), release, &mut bytes).unwrap();
        assert_eq!(body, String::from_utf8(bytes).unwrap(), "{path}");
        assert!(file.contains(&format!("--kube-proxy-version {version}")));
    }
    assert_eq!(Release::parse("1.35"), Some(Release::V1_34));
    assert_eq!(Release::parse("v1.36.2"), Some(Release::V1_36));
    assert_eq!(Release::parse("1.28"), None);
}
