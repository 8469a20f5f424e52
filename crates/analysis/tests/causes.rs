//! The cause first: rule owners, the findings for rules that are not Kubernetes' but decide a Service's
//! fate (each on a dump that shows it and one that does not), the diagnosis that groups and ranks
//! findings, and the CentOS-like host-firewall case.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use svcpath_analysis::diagnosis::Cause;
use svcpath_analysis::owner::Owner;
use svcpath_analysis::report::Severity;
use svcpath_analysis::{analyze, render, Options, Report};

fn report(dump: &str, node_ips: &[&str]) -> Report {
    let options = Options {
        node_ips: node_ips.iter().map(|s| s.to_string()).collect(),
        ..Options::default()
    };
    analyze(dump, &options)
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

fn host_firewall_case() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/conformance/host-firewall-reject.txt"
    );
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A two-endpoint ClusterIP Service and a filter table whose FORWARD chain the tests fill.
fn dump(nat_prerouting_first: &str, filter_rules: &str) -> String {
    format!(
        r#"*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AAAA - [0:0]
:KUBE-SEP-A1 - [0:0]
:KUBE-SEP-A2 - [0:0]
{nat_prerouting_first}-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAA
-A KUBE-SVC-AAAA ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-AAAA -m comment --comment "default/web:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A1
-A KUBE-SVC-AAAA -m comment --comment "default/web:http -> 10.244.2.6:8080" -j KUBE-SEP-A2
-A KUBE-SEP-A1 -s 10.244.1.5/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-A1 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080
-A KUBE-SEP-A2 -s 10.244.2.6/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-A2 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.2.6:8080
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:FLANNEL-FWD - [0:0]
{filter_rules}-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
-A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
COMMIT
"#
    )
}

const FLANNEL_ACCEPT: &str =
    "-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD\n";

fn line_of(dump: &str, text: &str) -> u32 {
    dump.lines()
        .position(|l| l == text)
        .map(|i| i as u32 + 1)
        .expect(text)
}

#[test]
fn service_blocked_by_a_host_reject_in_forward() {
    let reject = "-A FORWARD -j REJECT --reject-with icmp-host-prohibited";
    let d = dump("", &format!("{reject}\n{FLANNEL_ACCEPT}"));
    let r = report(&d, &[]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "service-blocked-by-foreign-rule")
        .expect("finding");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.service.as_deref(), Some("default/web:http"));
    let line = line_of(&d, reject);
    assert_eq!(f.lines, vec![line]);
    assert!(
        f.message
            .starts_with("pods on this node cannot reach default/web:http"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains(&format!(
            "line {line}, a host firewall REJECT in filter FORWARD"
        )),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("after kube-proxy's DNAT"),
        "{}",
        f.message
    );
}

#[test]
fn service_not_blocked_when_the_cni_accepts_first() {
    let d = dump(
        "",
        &format!("{FLANNEL_ACCEPT}-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n"),
    );
    let r = report(&d, &[]);
    assert!(
        !codes(&r).contains(&"service-blocked-by-foreign-rule"),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn kube_proxys_own_reject_is_not_a_foreign_block() {
    // A Service without endpoints: kube-proxy's filter REJECT is how it is meant to work.
    let d = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n\
             -A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n\
             -A OUTPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n\
             -A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment \"default/empty:http has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\n\
             -A FORWARD -j DROP\nCOMMIT\n";
    let r = report(d, &[]);
    assert!(codes(&r).contains(&"no-endpoints"), "{:?}", codes(&r));
    assert!(
        !codes(&r).contains(&"service-blocked-by-foreign-rule"),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn service_bypassed_by_an_accept_ahead_of_kube_services() {
    let accept = "-A PREROUTING -d 10.96.0.0/12 -j ACCEPT";
    let d = dump(&format!("{accept}\n"), FLANNEL_ACCEPT);
    let r = report(&d, &[]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "service-bypassed-by-foreign-rule")
        .expect("finding");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.lines, vec![line_of(&d, accept)]);
    assert!(
        f.message.contains("not load-balanced by kube-proxy"),
        "{}",
        f.message
    );
    // After the jump to KUBE-SERVICES the same rule changes nothing for Services.
    let after = dump("", FLANNEL_ACCEPT).replace(
        "-A OUTPUT -m comment",
        &format!("{accept}\n-A OUTPUT -m comment"),
    );
    let r = report(&after, &[]);
    assert!(
        !codes(&r).contains(&"service-bypassed-by-foreign-rule"),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn node_traffic_blocked_by_an_input_catch_all() {
    let drop = "-A INPUT -j DROP";
    let d = dump(
        "",
        &format!(
            "-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n{drop}\n{FLANNEL_ACCEPT}"
        ),
    );
    let r = report(&d, &["192.168.0.5"]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "node-traffic-blocked")
        .expect("finding");
    assert_eq!(f.lines, vec![line_of(&d, drop)]);
    assert!(f.message.contains("VXLAN"), "{}", f.message);
    assert!(f.message.contains("kubelet"), "{}", f.message);
    // Pod traffic passes (flannel accepts it in FORWARD): a warning, not critical.
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        !f.message.contains("pods on this node talking"),
        "{}",
        f.message
    );
    // With the node's ports allowed ahead of the catch-all, nothing is blocked.
    let allowed = dump(
        "",
        &format!(
            "-A INPUT -p udp -m udp --dport 8472 -j ACCEPT\n-A INPUT -p udp -m udp --dport 6081 -j ACCEPT\n\
             -A INPUT -p tcp -m tcp --dport 10250 -j ACCEPT\n{drop}\n{FLANNEL_ACCEPT}"
        ),
    );
    let r = report(&allowed, &["192.168.0.5"]);
    assert!(
        !codes(&r).contains(&"node-traffic-blocked"),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn pod_traffic_blocked_by_a_forward_catch_all_is_critical() {
    let d = dump("", &format!("-A FORWARD -j REJECT\n{FLANNEL_ACCEPT}"));
    let r = report(&d, &[]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "node-traffic-blocked")
        .expect("finding");
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.message
            .contains("pods on this node talking to pods on other nodes"),
        "{}",
        f.message
    );
    assert!(f.message.contains("no node IP is known"), "{}", f.message);
}

fn first_cause(r: &Report) -> &Cause {
    r.diagnosis.first().expect("a cause")
}

#[test]
fn centos_like_host_firewall_case_names_the_reject_line_and_owner_first() {
    let dump = host_firewall_case();
    let forward = line_of(
        &dump,
        "-A FORWARD -j REJECT --reject-with icmp-host-prohibited",
    );
    let input = line_of(
        &dump,
        "-A INPUT -j REJECT --reject-with icmp-host-prohibited",
    );
    for node_ips in [&[][..], &["192.168.157.133"][..]] {
        let r = report(&dump, node_ips);
        // The first finding and the first cause are critical and name the REJECT line and its owner.
        assert_eq!(r.findings[0].severity, Severity::Critical);
        assert!(r.findings[0]
            .lines
            .iter()
            .any(|l| *l == forward || *l == input));
        let cause = first_cause(&r);
        assert_eq!(cause.severity, Severity::Critical);
        assert_eq!(cause.code, "service-blocked-by-foreign-rule");
        assert_eq!(cause.line, Some(forward), "{node_ips:?}");
        assert_eq!(cause.owner, Some(Owner::Host));
        assert_eq!(
            cause.rule.as_deref(),
            Some("-A FORWARD -j REJECT --reject-with icmp-host-prohibited")
        );
        assert!(
            cause.summary.contains(&format!("line {forward}")),
            "{}",
            cause.summary
        );
        assert!(cause.summary.contains("host firewall"), "{}", cause.summary);
        assert!(cause.services.len() >= 5, "{:?}", cause.services);
        let trace = cause.trace.as_ref().expect("deciding trace");
        assert_eq!(trace.verdict, "reject");
        assert!(
            (trace.probability - 1.0).abs() < 1e-9,
            "{}",
            trace.probability
        );
        let last = trace.steps.last().expect("steps");
        assert_eq!((last.line, last.owner), (Some(forward), Some(Owner::Host)));
        // Every Service here has endpoints: none is called endpoint-less.
        assert!(!codes(&r).contains(&"no-endpoints"));
        // The node-level finding names both catch-alls.
        let node = r
            .findings
            .iter()
            .find(|f| f.code == "node-traffic-blocked")
            .expect("node finding");
        assert_eq!(node.lines, vec![forward, input]);
        // The reports open with the same cause.
        let text = render::text(&r);
        assert!(
            text.starts_with("WHAT IS WRONG HERE\n  1. [critical] "),
            "{text}"
        );
        let first = text.lines().nth(1).unwrap_or_default();
        assert!(
            first.contains(&format!("line {forward}")) && first.contains("host firewall"),
            "{first}"
        );
        for md in [render::markdown(&r), render::markdown_chat(&r)] {
            let block: String = md.lines().take(6).collect::<Vec<_>>().join("\n");
            assert!(block.contains("What is wrong here"), "{block}");
            assert!(
                block.contains("1. **critical**") && block.contains(&format!("line {forward}")),
                "{block}"
            );
        }
    }
    // With the node IP known, the API server on this node is rejected in INPUT: its own cause.
    let r = report(&dump, &["192.168.157.133"]);
    assert!(r
        .diagnosis
        .iter()
        .any(|c| c.line == Some(input) && c.services == ["default/kubernetes:https"]));
}

#[test]
fn the_same_finding_for_many_services_is_one_cause() {
    let mut d = String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n");
    for i in 1..=8 {
        d.push_str(&format!(
            "-A KUBE-SERVICES -d 10.96.0.{i}/32 -p tcp -m comment --comment \"default/svc{i}:http has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\n"
        ));
    }
    d.push_str("COMMIT\n");
    let r = report(&d, &[]);
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.code == "no-endpoints")
            .count(),
        8
    );
    let causes: Vec<&Cause> = r
        .diagnosis
        .iter()
        .filter(|c| c.code == "no-endpoints")
        .collect();
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].findings, 8);
    assert_eq!(causes[0].services.len(), 8);
    assert!(
        causes[0]
            .summary
            .starts_with("8 Services have no ready endpoints"),
        "{}",
        causes[0].summary
    );
    assert_eq!(
        render::text(&r)
            .matches("Services have no ready endpoints")
            .count(),
        1
    );
    // Its proof is kube-proxy's REJECT, traced.
    let trace = causes[0].trace.as_ref().expect("trace");
    assert_eq!(trace.verdict, "reject");
    assert_eq!(
        trace.steps.last().and_then(|s| s.owner),
        Some(Owner::KubeProxy)
    );
}

#[test]
fn nothing_wrong_is_said_plainly() {
    let r = report(&dump("", FLANNEL_ACCEPT), &[]);
    assert!(r.diagnosis.is_empty(), "{:?}", r.diagnosis);
    assert!(render::text(&r).starts_with("WHAT IS WRONG HERE\n  Nothing wrong found"));
    assert!(render::markdown_chat(&r).contains("Nothing wrong found"));
}

#[test]
fn trace_steps_carry_their_owner() {
    let dump = host_firewall_case();
    let r = report(&dump, &[]);
    let trace = first_cause(&r).trace.as_ref().expect("trace");
    let owners: Vec<Option<Owner>> = trace
        .steps
        .iter()
        .filter(|s| s.line.is_some())
        .map(|s| s.owner)
        .collect();
    assert!(owners.contains(&Some(Owner::KubeProxy)));
    assert!(owners.contains(&Some(Owner::Docker)), "{owners:?}");
    assert!(owners.iter().all(Option::is_some), "{owners:?}");
}

#[test]
fn a_service_with_endpoints_is_not_called_endpoint_less() {
    // A stale "has no endpoints" REJECT beside the Service's endpoint chains.
    let d = dump("", FLANNEL_ACCEPT).replace(
        ":FLANNEL-FWD - [0:0]\n",
        ":FLANNEL-FWD - [0:0]\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"default/web:http has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\n",
    );
    let r = report(&d, &[]);
    let web = r
        .services
        .iter()
        .find(|s| s.id == "default/web:http")
        .expect("service");
    assert!(web.no_endpoints && !web.endpoints.is_empty(), "{web:?}");
    assert!(!codes(&r).contains(&"no-endpoints"), "{:?}", codes(&r));
}
