//! The conntrack verdict that knows kube-proxy: `nf_conntrack_max` from kube-proxy's formula for the CPUs
//! `conntrack -S` lists, one test per case (1.35 and older, the 1.36 cap, kind's `maxPerCore: 0`, an
//! oversized table, a full one, the ConfigMap of kubernetes#75575, no CPU count), the timeouts against
//! kube-proxy's pasted settings, and the facts those settings give (pod CIDR, configured mode).
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::path::PathBuf;

use svcpath_analysis::report::{Agreement, ConntrackReport, ConntrackVerdict, ExpectedMax};
use svcpath_analysis::{analyze, Options, Report};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/kube-proxy-config")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn report(paste: &str) -> Report {
    analyze(paste, &Options::default())
}

fn conntrack(paste: &str) -> ConntrackReport {
    report(paste).conntrack.expect("a conntrack report")
}

fn expected(paste: &str) -> ExpectedMax {
    conntrack(paste).expected_max.expect("expected_max")
}

fn sysctl(count: u64, max: u64) -> String {
    format!("$ sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max\nnet.netfilter.nf_conntrack_count = {count}\nnet.netfilter.nf_conntrack_max = {max}\n")
}

fn stats(cpus: u32) -> String {
    let mut out = String::from("$ conntrack -S\n");
    for cpu in 0..cpus {
        out.push_str(&format!(
            "cpu={cpu:<4}\tfound=12 invalid=3 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=4\n"
        ));
    }
    out
}

fn version_log(version: &str) -> String {
    format!("$ kubectl logs -n kube-system kube-proxy-abcde\nI0112 10:00:00.000000       1 server.go:484] \"Version info\" version=\"{version}\"\n")
}

#[test]
fn kube_proxy_1_35_and_older_scale_without_a_cap() {
    let paste = format!(
        "{}{}{}",
        version_log("v1.35.2"),
        sysctl(5_000, 2_097_152),
        stats(64)
    );
    let e = expected(&paste);
    assert_eq!(e.cpus, Some(64));
    assert_eq!((e.uncapped, e.capped), (Some(2_097_152), Some(1_048_576)));
    assert_eq!(e.value, Some(2_097_152));
    assert_eq!(e.agreement, Agreement::Matches);
    assert!(
        e.version_basis.contains("v1.35.2") && e.version_basis.contains("not capped"),
        "{}",
        e.version_basis
    );
    assert!(e.summary.contains("kube-proxy set it"), "{}", e.summary);
    assert_eq!(e.expected_buckets, Some(524_288));
}

#[test]
fn kube_proxy_1_36_caps_before_the_floor() {
    let capped = format!(
        "{}{}{}",
        version_log("v1.36.0"),
        sysctl(5_000, 1_048_576),
        stats(64)
    );
    let e = expected(&capped);
    assert_eq!(e.value, Some(1_048_576));
    assert_eq!(e.agreement, Agreement::Matches);
    assert!(
        e.summary
            .contains("32,768 × 64 CPUs = 2,097,152, cut to 1,048,576"),
        "{}",
        e.summary
    );
    // The uncapped value on a 1.36 node: kube-proxy did not set it.
    let uncapped = format!(
        "{}{}{}",
        version_log("v1.36.0"),
        sysctl(5_000, 2_097_152),
        stats(64)
    );
    let e = expected(&uncapped);
    assert_eq!(e.agreement, Agreement::NotSetByKubeProxy);
    assert!(
        e.summary.contains("kube-proxy did not set this"),
        "{}",
        e.summary
    );
    // No version: the node's value tells which release set it.
    let e = expected(&format!("{}{}", sysctl(5_000, 1_048_576), stats(64)));
    assert_eq!(
        (e.value, e.agreement),
        (Some(1_048_576), Agreement::Matches)
    );
    assert!(
        e.version_basis.contains("1.36 and newer"),
        "{}",
        e.version_basis
    );
    let e = expected(&format!("{}{}", sysctl(5_000, 3_000_000), stats(64)));
    assert_eq!((e.value, e.agreement), (None, Agreement::NotSetByKubeProxy));
    assert!(
        e.summary.contains("2,097,152") && e.summary.contains("1,048,576"),
        "{}",
        e.summary
    );
}

#[test]
fn below_the_cap_every_release_agrees() {
    let e = expected(&format!("{}{}", sysctl(1_000, 262_144), stats(8)));
    assert_eq!((e.value, e.uncapped, e.capped), (Some(262_144), None, None));
    assert_eq!(e.agreement, Agreement::Matches);
    assert_eq!(e.settings_source, "kube-proxy's defaults");
    // The floor: 4 CPUs give min.
    let e = expected(&format!("{}{}", sysctl(1_000, 131_072), stats(4)));
    assert_eq!(e.value, Some(131_072));
    assert_eq!(e.formula, "max(32,768 × 4 CPUs, 131,072) = 131,072");
}

#[test]
fn kind_max_per_core_zero_leaves_the_limit_alone() {
    let paste = format!(
        "$ cat /var/lib/kube-proxy/config.conf\n{}{}{}",
        fixture("kind-nftables-config.yaml"),
        sysctl(900, 262_144),
        stats(8)
    );
    let r = report(&paste);
    let e = r.conntrack.as_ref().unwrap().expected_max.clone().unwrap();
    assert_eq!(e.value, None);
    assert_eq!(e.max_per_core, 0);
    assert_eq!(e.agreement, Agreement::LeftAlone);
    assert!(
        e.summary.contains("leaves nf_conntrack_max alone"),
        "{}",
        e.summary
    );
    assert!(
        e.settings_source.contains("conntrack.maxPerCore: 0")
            && e.settings_source.contains("line 12"),
        "{}",
        e.settings_source
    );
    let mode = r.configured_mode.expect("configured mode");
    assert_eq!(mode.value, "nftables");
    assert!(mode.source.contains("line 6"), "{}", mode.source);
}

#[test]
fn a_table_far_beyond_need_is_a_warning() {
    // kubernetes#136228: 512 CPUs × 32,768 on kube-proxy 1.35.
    let paste = format!(
        "{}{}{}",
        version_log("v1.35.0"),
        sysctl(12_000, 16_777_216),
        stats(512)
    );
    let r = report(&paste);
    let e = r.conntrack.as_ref().unwrap().expected_max.clone().unwrap();
    assert_eq!(
        (e.value, e.agreement),
        (Some(16_777_216), Agreement::Matches)
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "conntrack-oversized")
        .expect("conntrack-oversized");
    assert_eq!(f.severity, svcpath_analysis::report::Severity::Warning);
    assert_eq!(f.lines, vec![4, 5]);
    assert!(
        f.message.contains("5.0 GiB") && f.message.contains("0.1 %"),
        "{}",
        f.message
    );
    // Used well: no finding; at or under the cap: none either.
    for paste in [
        format!("{}{}", sysctl(8_000_000, 16_777_216), stats(512)),
        format!("{}{}", sysctl(10, 1_048_576), stats(32)),
    ] {
        assert!(!report(&paste)
            .findings
            .iter()
            .any(|f| f.code == "conntrack-oversized"));
    }
}

#[test]
fn a_full_table_is_still_the_verdict_with_kube_proxys_value_beside_it() {
    let c = conntrack(&format!("{}{}", sysctl(262_144, 262_144), stats(8)));
    assert_eq!(c.verdict, ConntrackVerdict::Warning);
    let e = c.expected_max.unwrap();
    assert_eq!((e.value, e.agreement), (Some(262_144), Agreement::Matches));
    assert!(
        c.recommendations[0].starts_with("Raise the table to 524288"),
        "{:?}",
        c.recommendations
    );
}

#[test]
fn issue_75575_configmap_gives_min_on_8_cpus_and_the_product_on_32() {
    let config = fixture("configmap-k8s-75575.yaml");
    let e = expected(&format!("{config}{}{}", sysctl(1_000, 655_350), stats(8)));
    assert_eq!((e.value, e.agreement), (Some(655_350), Agreement::Matches));
    assert!(
        e.settings_source.contains("conntrack.maxPerCore: 65535"),
        "{}",
        e.settings_source
    );
    assert!(
        e.settings_source.contains("the kube-proxy ConfigMap"),
        "{}",
        e.settings_source
    );
    let e = expected(&format!(
        "{config}{}{}",
        sysctl(1_000, 2_097_120),
        stats(32)
    ));
    assert_eq!((e.uncapped, e.capped), (Some(2_097_120), Some(1_048_576)));
    assert_eq!(
        (e.value, e.agreement),
        (Some(2_097_120), Agreement::Matches)
    );
}

#[test]
fn no_cpu_count_is_unknown_never_a_guess() {
    let e = expected(&format!(
        "{}{}",
        fixture("configmap-k8s-75575.json"),
        sysctl(1_000, 655_350)
    ));
    assert_eq!(
        (e.value, e.cpus, e.agreement),
        (None, None, Agreement::Unknown)
    );
    assert!(e.summary.contains("unknown"), "{}", e.summary);
    // Without kube-proxy settings or CPUs there is nothing to say.
    assert_eq!(conntrack(&sysctl(1_000, 262_144)).expected_max, None);
}

#[test]
fn flagz_naming_a_config_file_is_not_taken_for_the_settings() {
    let paste = format!(
        "{}{}{}",
        fixture("flagz-1.32-with-config.txt"),
        sysctl(1_000, 262_144),
        stats(8)
    );
    let e = expected(&paste);
    assert!(
        e.settings_source
            .contains("/var/lib/kube-proxy/config.conf")
            && e.settings_source.contains("assumed"),
        "{}",
        e.settings_source
    );
    assert_eq!(e.value, Some(262_144));
}

#[test]
fn timeouts_against_kube_proxys_settings() {
    let paste = format!(
        "{}$ sysctl -a | grep conntrack\nnet.netfilter.nf_conntrack_count = 10\nnet.netfilter.nf_conntrack_max = 262144\nnet.netfilter.nf_conntrack_tcp_be_liberal = 0\nnet.netfilter.nf_conntrack_tcp_timeout_close_wait = 3600\nnet.netfilter.nf_conntrack_tcp_timeout_established = 86400\nnet.netfilter.nf_conntrack_udp_timeout = 30\nnet.netfilter.nf_conntrack_udp_timeout_stream = 120\n",
        fixture("flagz-1.35.json")
    );
    let c = conntrack(&paste);
    let row = |key: &str| {
        c.kube_proxy_timeouts
            .iter()
            .find(|t| t.key == key)
            .unwrap_or_else(|| panic!("{key}"))
    };
    assert_eq!(
        row("nf_conntrack_tcp_timeout_established").agreement,
        Agreement::Matches
    );
    assert_eq!(
        row("nf_conntrack_tcp_timeout_close_wait").agreement,
        Agreement::Matches
    );
    let udp = row("nf_conntrack_udp_timeout");
    assert_eq!(
        (udp.kube_proxy, udp.node, udp.agreement),
        (Some(30), Some(30), Agreement::Matches)
    );
    assert_eq!(
        row("nf_conntrack_udp_timeout_stream").agreement,
        Agreement::LeftAlone
    );
    let liberal = row("nf_conntrack_tcp_be_liberal");
    assert_eq!(
        (liberal.kube_proxy, liberal.node, liberal.agreement),
        (Some(1), Some(0), Agreement::NotSetByKubeProxy)
    );
    assert!(
        c.reasons.iter().any(
            |r| r.starts_with("nf_conntrack_tcp_be_liberal: kube-proxy sets 1")
                && r.contains("did not set this")
        ),
        "{:#?}",
        c.reasons
    );
}

#[test]
fn the_cluster_cidr_is_a_pod_cidr_fact_when_the_rules_show_none() {
    let r = report(&format!(
        "{}{}",
        fixture("flagz-1.35.json"),
        sysctl(1, 262_144)
    ));
    let cidrs: Vec<(&str, &str)> = r
        .node
        .pod_cidrs
        .iter()
        .map(|f| (f.value.as_str(), f.source.as_str()))
        .collect();
    assert_eq!(
        cidrs,
        vec![
            (
                "10.244.0.0/16",
                "cluster-cidr in kube-proxy's /flagz (line 1)"
            ),
            (
                "fd00:10:244::/56",
                "cluster-cidr in kube-proxy's /flagz (line 1)"
            )
        ]
    );
}

#[test]
fn the_capture_markers_of_docs_capture_md_are_read() {
    let paste = format!(
        "===== svcpath: conntrack-s =====\n{}===== svcpath: flagz =====\n\nkube-proxy flagz\nWarning: This endpoint is not meant to be machine parseable, has no formatting compatibility guarantees and is for debugging purposes only.\nconfig=\nconntrack-max-per-core=0\nproxy-mode=iptables\n===== svcpath: kube-proxy-config =====\n{}",
        stats(8).trim_start_matches("$ conntrack -S\n"),
        "data:\n  config.conf: |-\n    conntrack:\n      maxPerCore: 65535\n      min: 655350\n"
    );
    let r = report(&paste);
    let kinds: Vec<&str> = r.sections.iter().map(|s| s.kind.name()).collect();
    assert_eq!(
        kinds,
        vec!["conntrack_stats", "kube_proxy_config", "kube_proxy_config"]
    );
    // The ConfigMap wins over the flags: 65535 × 8 is below its min.
    let e = r.conntrack.unwrap().expected_max.unwrap();
    assert_eq!(
        (e.max_per_core, e.min, e.value),
        (65_535, 655_350, Some(655_350))
    );
    // The mode comes from /flagz (the ConfigMap sets none).
    assert_eq!(
        r.configured_mode.map(|m| m.value),
        Some("iptables".to_string())
    );
}

#[test]
fn a_configured_mode_the_rules_do_not_show_is_a_mismatch() {
    let rules = "$ iptables-save\n*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]\n:KUBE-SEP-AAAAAAAAAAAAAAAA - [0:0]\n-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU\n-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment \"kube-system/kube-dns:dns -> 10.244.0.5:53\" -j KUBE-SEP-AAAAAAAAAAAAAAAA\n-A KUBE-SEP-AAAAAAAAAAAAAAAA -p udp -m comment --comment \"kube-system/kube-dns:dns\" -m udp -j DNAT --to-destination 10.244.0.5:53\nCOMMIT\n";
    let r = report(&format!("{rules}{}", fixture("flagz-1.34.txt")));
    assert_eq!(r.mode, svcpath_analysis::report::Mode::Iptables);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "kube-proxy-mode-mismatch")
        .expect("mismatch");
    assert!(
        f.message.contains("ask for ipvs mode")
            && f.message.contains("proxy-mode in kube-proxy's /flagz"),
        "{}",
        f.message
    );
    // The same mode: no finding.
    let same = fixture("flagz-1.34.txt").replace("proxy-mode: ipvs", "proxy-mode: iptables");
    assert!(!report(&format!("{rules}{same}"))
        .findings
        .iter()
        .any(|f| f.code == "kube-proxy-mode-mismatch"));
}
