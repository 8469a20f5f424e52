//! iptables-mode pastes that are not whole `iptables-save` dumps: a Service chain listed alone with
//! `iptables -t nat -S CHAIN -v`, and Service chains without their `KUBE-SERVICES` line.

use svcpath_analysis::{analyze, Options};

/// `iptables -t nat -S KUBE-SVC-AAAA -v`, as pasted with its prompt.
const LISTED_CHAIN: &str = "root@node:~# iptables -t nat -S KUBE-SVC-AAAA -v\n\
-N KUBE-SVC-AAAA\n\
-A KUBE-SVC-AAAA ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -c 3 180 -j KUBE-MARK-MASQ\n\
-A KUBE-SVC-AAAA -m comment --comment \"default/web:http -> 10.244.1.5:8080\" -m statistic --mode random --probability 0.50000000000 -c 10 600 -j KUBE-SEP-A1\n\
-A KUBE-SVC-AAAA -m comment --comment \"default/web:http -> 10.244.2.6:8080\" -c 12 720 -j KUBE-SEP-A2\n";

#[test]
fn iptables_dash_s_verbose_of_one_service_chain() {
    let report = analyze(LISTED_CHAIN, &Options::default());
    assert_eq!(report.sections.len(), 1);
    assert_eq!(
        report.sections[0].kind,
        svcpath_analysis::report::SectionKind::Iptables
    );
    assert_eq!(
        report.sections[0].detection,
        svcpath_analysis::report::Detection::Command
    );
    // Every line was read: no "not an iptables-save line" and no table guessed from chain names.
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(report.services.len(), 1);
    let web = &report.services[0];
    assert_eq!(web.id, "default/web:http");
    let eps: Vec<(&str, u64)> = web
        .endpoints
        .iter()
        .map(|e| (e.ip.as_str(), (e.probability * 1000.0).round() as u64))
        .collect();
    assert_eq!(eps, vec![("10.244.1.5", 500), ("10.244.2.6", 500)]);
}

#[test]
fn the_service_chains_masquerade_rule_proves_the_cluster_ip() {
    let report = analyze(LISTED_CHAIN, &Options::default());
    let web = &report.services[0];
    assert_eq!(web.cluster_ip.as_deref(), Some("10.96.0.20"));
    assert_eq!(web.port, Some(80));
    assert_eq!(web.protocol, Some(svcpath_analysis::report::Protocol::Tcp));
    assert!(web.lines.contains(&3));

    // Without the masquerade rule (a NoOp local detector writes none) nothing names the ClusterIP.
    let without: String = LISTED_CHAIN
        .lines()
        .filter(|l| !l.contains("KUBE-MARK-MASQ"))
        .map(|l| format!("{l}\n"))
        .collect();
    let report = analyze(&without, &Options::default());
    assert_eq!(report.services[0].cluster_ip, None);
    assert_eq!(report.services[0].port, None);

    // The KUBE-SERVICES line, when present, is the ClusterIP's first source.
    let with_entry = format!(
        "{LISTED_CHAIN}-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-AAAA\n"
    );
    let report = analyze(&with_entry, &Options::default());
    assert_eq!(report.services[0].cluster_ip.as_deref(), Some("10.96.0.20"));
}
