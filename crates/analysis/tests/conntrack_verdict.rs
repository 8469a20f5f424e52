//! The conntrack verdict: one test per rule (critical on "table full" lines or drops, warning from 80 %
//! fill, ok below it, unknown with the missing command named, none without conntrack input), mixed pastes
//! run through `analyze` (iptables-save + sysctl + conntrack -S, and more), the verdict pinned for every
//! corpus file of `sysctl/` and `conntrack/` (each snapshot read by hand), and a property test that any
//! paste of conntrack-like lines gives a report without a panic.

use proptest::prelude::*;
use svcpath_analysis::conntrack::{verdict, Inputs};
use svcpath_analysis::report::{
    ConntrackReport, ConntrackVerdict, Endpoint, Protocol, Service, TrafficPolicy,
};
use svcpath_analysis::{analyze, Options};
use svcpath_syntax::{conntrack, Origin};

fn files(kind: &str) -> Vec<(String, String)> {
    svcpath_testkit::corpus::texts(kind)
        .into_iter()
        .map(|(name, text)| (name.trim_end_matches(".txt").to_string(), text))
        .collect()
}

fn read(kind: &str, stem: &str) -> String {
    files(kind)
        .into_iter()
        .find(|(name, _)| name == stem)
        .unwrap_or_else(|| panic!("no corpus file {kind}/{stem}.txt"))
        .1
}

fn conntrack_of(paste: &str) -> ConntrackReport {
    analyze(paste, &Options::default())
        .conntrack
        .unwrap_or_else(|| panic!("no conntrack report for:\n{paste}"))
}

fn sysctl_lines(count: u64, max: u64) -> String {
    format!(
        "root@node-1:~# sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max\nnet.netfilter.nf_conntrack_count = {count}\nnet.netfilter.nf_conntrack_max = {max}\n"
    )
}

/// `conntrack -S` for `cpus` CPUs, with `extra` on CPU 1 (e.g. `drop=5`).
fn stats_lines(cpus: u32, extra: &str) -> String {
    let mut out = String::from("root@node-1:~# conntrack -S\n");
    for cpu in 0..cpus {
        let (drop, early) = if cpu == 1 && !extra.is_empty() {
            (extra, "")
        } else {
            ("drop=0", "early_drop=0")
        };
        out.push_str(&format!(
            "cpu={cpu:<4}\tfound=12 invalid=3 insert=0 insert_failed=0 {drop} {early} error=0 search_restart=40\n"
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------------
// The rules.

#[test]
fn table_full_lines_are_critical_even_with_a_low_fill() {
    let paste = format!(
        "{}root@node-1:~# dmesg -T | grep conntrack\n[Tue Nov 20 22:30:22 2018] nf_conntrack: table full, dropping packet\n",
        sysctl_lines(1_000, 262_144)
    );
    let ct = conntrack_of(&paste);
    assert_eq!(ct.verdict, ConntrackVerdict::Critical);
    assert_eq!(ct.table_full_lines, vec![5]);
    assert_eq!(ct.fill_ratio, Some(0.0038));
    assert!(
        ct.summary
            .starts_with("Critical: the conntrack table was full"),
        "{}",
        ct.summary
    );
    assert!(
        ct.summary.contains("0.4 % full (1,000 of 262,144 entries)"),
        "{}",
        ct.summary
    );
}

#[test]
fn the_doubled_prefix_and_journal_lines_count_too() {
    let paste = "Nov 20 22:30:22 node-1 kernel: nf_conntrack: nf_conntrack: table full, dropping packet\nNov 20 22:30:23 node-1 kernel: net_ratelimit: 311 callbacks suppressed\n";
    let ct = conntrack_of(paste);
    assert_eq!(ct.verdict, ConntrackVerdict::Critical);
    assert_eq!(ct.table_full_lines, vec![1]);
    assert!(
        ct.reasons
            .iter()
            .any(|r| r.contains("hid 311 more messages")),
        "{:#?}",
        ct.reasons
    );
}

#[test]
fn a_drop_counter_is_critical() {
    let paste = format!(
        "{}{}",
        sysctl_lines(1_000, 262_144),
        stats_lines(4, "drop=5 early_drop=0")
    );
    let ct = conntrack_of(&paste);
    assert_eq!(ct.verdict, ConntrackVerdict::Critical);
    assert_eq!(ct.drops, Some(5));
    assert_eq!(ct.early_drop, Some(0));
    assert_eq!(ct.cpus, Some(4));
    assert!(ct.summary.contains("drop = 5"), "{}", ct.summary);
    assert!(
        ct.reasons.iter().any(|r| r.starts_with("drop = 5")),
        "{:#?}",
        ct.reasons
    );
}

#[test]
fn an_early_drop_counter_is_critical() {
    let paste = format!(
        "{}{}",
        sysctl_lines(1_000, 262_144),
        stats_lines(2, "drop=0 early_drop=7")
    );
    let ct = conntrack_of(&paste);
    assert_eq!(ct.verdict, ConntrackVerdict::Critical);
    assert_eq!((ct.drops, ct.early_drop), (Some(0), Some(7)));
}

#[test]
fn drops_in_the_old_stats_form_are_critical() {
    let paste = "entries   \t\t90\ndrop      \t\t3\nearly_drop\t\t0\n";
    let ct = conntrack_of(paste);
    assert_eq!(ct.verdict, ConntrackVerdict::Critical);
    assert_eq!(ct.count, Some(90));
    assert_eq!(ct.per_cpu.len(), 1);
    assert!(
        ct.reasons.iter().any(|r| r.contains("first CPU")),
        "{:#?}",
        ct.reasons
    );
}

#[test]
fn eighty_percent_is_a_warning_and_just_below_is_ok() {
    // 80 % of 262,144 is 209,715.2.
    let ct = conntrack_of(&format!(
        "{}{}",
        sysctl_lines(209_716, 262_144),
        stats_lines(2, "")
    ));
    assert_eq!(ct.verdict, ConntrackVerdict::Warning);
    assert!(
        ct.summary.starts_with(
            "Warning: the conntrack table is 80.0 % full (209,716 of 262,144 entries)"
        ),
        "{}",
        ct.summary
    );
    let ct = conntrack_of(&format!(
        "{}{}",
        sysctl_lines(209_715, 262_144),
        stats_lines(2, "")
    ));
    assert_eq!(ct.verdict, ConntrackVerdict::Ok);
    // A full table without drop counters or logs is still only a warning.
    let ct = conntrack_of(&sysctl_lines(262_144, 262_144));
    assert_eq!(ct.verdict, ConntrackVerdict::Warning);
    assert_eq!(ct.fill_ratio, Some(1.0));
}

#[test]
fn below_eighty_percent_without_drops_is_ok() {
    let ct = conntrack_of(&format!(
        "{}{}",
        sysctl_lines(31_457, 262_144),
        stats_lines(8, "")
    ));
    assert_eq!(ct.verdict, ConntrackVerdict::Ok);
    assert_eq!(ct.fill_ratio, Some(0.12));
    assert_eq!(
        ct.summary,
        "OK: the conntrack table is 12.0 % full (31,457 of 262,144 entries), and `conntrack -S` counts no drops."
    );
    assert!(ct.recommendations.is_empty(), "{:#?}", ct.recommendations);
}

#[test]
fn no_count_or_no_max_is_unknown_and_names_the_command() {
    let ct = conntrack_of("core@node ~ $ sysctl net.netfilter.nf_conntrack_max\nnet.netfilter.nf_conntrack_max = 131072\n");
    assert_eq!(ct.verdict, ConntrackVerdict::Unknown);
    assert_eq!((ct.count, ct.max), (None, Some(131_072)));
    assert!(
        ct.summary
            .contains("`sysctl net.netfilter.nf_conntrack_count`"),
        "{}",
        ct.summary
    );
    assert_eq!(ct.missing[0], "sysctl net.netfilter.nf_conntrack_count");

    let ct = conntrack_of("$ conntrack -C\n48211\n");
    assert_eq!(ct.verdict, ConntrackVerdict::Unknown);
    assert_eq!((ct.count, ct.max), (Some(48_211), None));
    assert!(
        ct.summary
            .contains("`sysctl net.netfilter.nf_conntrack_max`"),
        "{}",
        ct.summary
    );
    assert_eq!(ct.missing[0], "sysctl net.netfilter.nf_conntrack_max");

    // Per-CPU counters without drops say nothing about the fill.
    let ct = conntrack_of(&stats_lines(2, ""));
    assert_eq!(ct.verdict, ConntrackVerdict::Unknown);
    assert_eq!(
        ct.missing,
        vec!["sysctl -a 2>/dev/null | grep nf_conntrack"]
    );
}

#[test]
fn no_conntrack_input_gives_no_report() {
    let paste = read(
        "iptables",
        "k8s-test-TestSyncProxyRulesRepeated-1-full-sync",
    );
    assert!(analyze(&paste, &Options::default()).conntrack.is_none());
    assert!(analyze(
        "root@node-1:~# sysctl net.ipv4.ip_forward\nnet.ipv4.ip_forward = 1\n",
        &Options::default()
    )
    .conntrack
    .is_none());
    assert!(analyze("", &Options::default()).conntrack.is_none());
    assert!(verdict(&Inputs::default(), &[]).is_none());
}

// ---------------------------------------------------------------------------------------------------
// Mixed pastes through `analyze`.

const SYSCTL_SECTION: &str = "\
root@node-1:~# sysctl -a 2>/dev/null | grep conntrack
net.netfilter.nf_conntrack_buckets = 65536
net.netfilter.nf_conntrack_count = 221184
net.netfilter.nf_conntrack_max = 262144
net.netfilter.nf_conntrack_tcp_timeout_close_wait = 3600
net.netfilter.nf_conntrack_tcp_timeout_established = 86400
net.netfilter.nf_conntrack_tcp_timeout_time_wait = 120
net.netfilter.nf_conntrack_udp_timeout = 30
net.netfilter.nf_conntrack_udp_timeout_stream = 120
";

const STATS_SECTION: &str = "\
root@node-1:~# conntrack -S
cpu=0   \tfound=1204 invalid=88 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=311 clash_resolve=7 chaintoolong=0
cpu=1   \tfound=1189 invalid=91 insert=0 insert_failed=12 drop=0 early_drop=0 error=0 search_restart=298 clash_resolve=5 chaintoolong=0
cpu=2   \tfound=1311 invalid=75 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=305 clash_resolve=9 chaintoolong=0
cpu=3   \tfound=1250 invalid=80 insert=0 insert_failed=3 drop=0 early_drop=0 error=0 search_restart=322 clash_resolve=4 chaintoolong=0
";

#[test]
fn mixed_paste_iptables_sysctl_and_stats() {
    let iptables = read(
        "iptables",
        "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy",
    );
    let paste = format!("root@node-1:~# iptables-save\n{iptables}{SYSCTL_SECTION}{STATS_SECTION}");
    let report = analyze(&paste, &Options::default());
    assert!(
        !report.services.is_empty(),
        "the iptables part should give Services"
    );
    let ct = report.conntrack.clone().expect("conntrack report");
    assert_eq!(ct.verdict, ConntrackVerdict::Warning);
    assert_eq!(
        (ct.count, ct.max, ct.buckets),
        (Some(221_184), Some(262_144), Some(65_536))
    );
    assert_eq!(ct.fill_ratio, Some(0.8438));
    assert_eq!(ct.cpus, Some(4));
    assert_eq!(
        (ct.drops, ct.early_drop, ct.insert_failed),
        (Some(0), Some(0), Some(15))
    );
    assert_eq!(ct.per_cpu.len(), 4);
    assert_eq!(ct.per_cpu[1].counters[3], ("insert_failed".to_string(), 12));
    assert!(ct.table_full_lines.is_empty());
    // kube-proxy's value on 4 CPUs is the 131,072 floor; the node has more.
    assert!(
        ct.reasons
            .iter()
            .any(|r| r.contains("max(32,768 × 4 CPUs, 131,072) = 131,072") && r.contains("more")),
        "{:#?}",
        ct.reasons
    );
    // insert_failed with a UDP DNS Service in the rules: the DNS race.
    assert!(
        ct.reasons.iter().any(|r| r
            .starts_with("insert_failed = 15 in total (cpu 1: 12, cpu 3: 3)")
            && r.contains("DNS race")),
        "{:#?}",
        ct.reasons
    );
    assert!(
        ct.reasons
            .iter()
            .any(|r| r.contains("kube-system/kube-dns:dns") && r.contains("UDP")),
        "{:#?}",
        ct.reasons
    );
    // Doubling, rounded up to a multiple of 131,072, with its memory.
    assert!(
        ct.recommendations[0].starts_with(
            "Raise the table to 524288 entries: `sysctl -w net.netfilter.nf_conntrack_max=524288`"
        ),
        "{:#?}",
        ct.recommendations
    );
    assert!(
        ct.recommendations[0]
            .contains("about 160.0 MiB (524,288 × ~320 B, an estimate), now 80.0 MiB"),
        "{}",
        ct.recommendations[0]
    );
    assert!(
        ct.recommendations[1]
            .contains("`echo 131072 > /sys/module/nf_conntrack/parameters/hashsize`")
            && ct.recommendations[1].contains("1.0 MiB"),
        "{:#?}",
        ct.recommendations
    );
    assert!(
        ct.recommendations
            .iter()
            .any(|r| r.contains("single-request-reopen")),
        "{:#?}",
        ct.recommendations
    );
    assert_eq!(ct.missing, vec!["conntrack -L"]);
    let timeouts: Vec<(String, Option<u64>)> = ct
        .timeouts
        .iter()
        .map(|t| (t.key.clone(), t.seconds))
        .collect();
    assert_eq!(
        timeouts,
        vec![
            (
                "nf_conntrack_tcp_timeout_established".to_string(),
                Some(86_400)
            ),
            (
                "nf_conntrack_tcp_timeout_close_wait".to_string(),
                Some(3_600)
            ),
            ("nf_conntrack_tcp_timeout_time_wait".to_string(), Some(120)),
            ("nf_conntrack_udp_timeout".to_string(), Some(30)),
            ("nf_conntrack_udp_timeout_stream".to_string(), Some(120)),
        ]
    );
    insta::assert_json_snapshot!("mixed_iptables_sysctl_stats", ct);
}

#[test]
fn mixed_paste_with_a_listing_names_the_services_that_fill_the_table() {
    let iptables = read(
        "iptables",
        "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy",
    );
    let mut listing = String::from("root@node-1:~# conntrack -L\n");
    for port in 0..6u32 {
        listing.push_str(&format!(
            "udp      17 {} src=10.244.1.{} dst=10.96.0.10 sport={} dport=53 src=10.244.0.2 dst=10.244.1.{} sport=53 dport={} mark=0 use=1\n",
            20 + port,
            port + 5,
            40_000 + port,
            port + 5,
            40_000 + port
        ));
    }
    listing.push_str("tcp      6 102 TIME_WAIT src=10.244.1.5 dst=10.96.0.1 sport=51000 dport=443 src=192.168.56.10 dst=10.244.1.5 sport=6443 dport=51000 [ASSURED] mark=0 use=1\n");
    listing.push_str("tcp      6 431999 ESTABLISHED src=192.168.56.1 dst=192.168.56.10 sport=50022 dport=22 src=192.168.56.10 dst=192.168.56.1 sport=22 dport=50022 [ASSURED] mark=0 use=1\n");
    listing.push_str("conntrack v1.4.6 (conntrack-tools): 8 flow entries have been shown.\n");
    let paste = format!(
        "root@node-1:~# iptables-save\n{iptables}{listing}{}",
        sysctl_lines(8, 262_144)
    );
    let ct = conntrack_of(&paste);
    assert_eq!(ct.verdict, ConntrackVerdict::Ok);
    let breakdown: Vec<(String, u64)> = ct
        .breakdown
        .iter()
        .map(|b| (b.key.clone(), b.entries))
        .collect();
    assert_eq!(
        breakdown,
        vec![
            ("total".to_string(), 8),
            ("udp".to_string(), 6),
            ("tcp".to_string(), 2),
            ("tcp ESTABLISHED".to_string(), 1),
            ("tcp TIME_WAIT".to_string(), 1),
            ("dns (port 53)".to_string(), 6),
            ("dnat (Service traffic)".to_string(), 7),
            (
                "dst 10.96.0.10:53 udp (kube-system/kube-dns:dns)".to_string(),
                6
            ),
            (
                "dst 10.96.0.1:443 tcp (default/kubernetes:https)".to_string(),
                1
            ),
            ("dst 192.168.56.10:22 tcp".to_string(), 1),
        ]
    );
    assert!(ct.reasons.iter().any(|r| r.starts_with("The largest single destination is 10.96.0.10:53 udp (kube-system/kube-dns:dns): 6 entries (75.0 %)")), "{:#?}", ct.reasons);
    assert!(
        ct.recommendations
            .iter()
            .any(|r| r.contains("NodeLocal DNSCache")),
        "{:#?}",
        ct.recommendations
    );
}

#[test]
fn mixed_paste_critical_with_kube_proxy_log_and_two_stats_runs() {
    let paste = format!(
        "{}{}{}{}{}",
        read(
            "conntrack",
            "k8s-71261-kube-proxy-log-setting-conntrack-max"
        ),
        read("conntrack", "k8s-71261-dmesg-T-table-full"),
        sysctl_lines(786_400, 786_432),
        stats_lines(24, "drop=10 early_drop=3"),
        stats_lines(24, "drop=42 early_drop=3"),
    );
    let ct = conntrack_of(&paste);
    assert_eq!(ct.verdict, ConntrackVerdict::Critical);
    assert_eq!(ct.table_full_lines, vec![2, 3, 4, 5]);
    assert_eq!(
        (ct.count, ct.max, ct.cpus),
        (Some(786_400), Some(786_432), Some(24))
    );
    assert_eq!(ct.drops, Some(42));
    assert!(
        ct.reasons
            .iter()
            .any(|r| r.contains("drop +32: drops are happening now")),
        "{:#?}",
        ct.reasons
    );
    // 24 CPUs: kube-proxy's value is 786,432, which the node has.
    assert!(
        ct.reasons
            .iter()
            .any(|r| r.contains("= 786,432 and hashsize = 196,608") && r.contains("exactly that")),
        "{:#?}",
        ct.reasons
    );
    assert!(
        ct.recommendations[0].starts_with("Raise the table to 1572864 entries"),
        "{:#?}",
        ct.recommendations
    );
    assert_eq!(
        ct.missing,
        vec![
            "sysctl net.netfilter.nf_conntrack_buckets",
            "sysctl -a 2>/dev/null | grep 'nf_conntrack_.*timeout'",
            "conntrack -L"
        ]
    );
}

#[test]
fn kube_proxy_value_lower_than_set_and_changed_since() {
    let paste = format!(
        "I0322 02:18:37.206052       1 conntrack.go:52] Setting nf_conntrack_max to 262144\n{}{}",
        sysctl_lines(5_000, 131_072),
        stats_lines(8, "")
    );
    let ct = conntrack_of(&paste);
    assert_eq!(ct.max, Some(131_072));
    assert!(
        ct.reasons.iter().any(|r| r.contains(
            "logged setting nf_conntrack_max to 262,144 (line 1), but it is 131,072 now"
        )),
        "{:#?}",
        ct.reasons
    );
    assert!(
        ct.reasons
            .iter()
            .any(|r| r.contains("= 262,144 and hashsize = 65,536") && r.contains("less")),
        "{:#?}",
        ct.reasons
    );
}

#[test]
fn the_capture_one_liner_output_is_read() {
    // The sections `docs/capture.md` prints, under their marker lines.
    let paste = "\
===== svcpath: sysctl =====
net.netfilter.nf_conntrack_buckets = 65536
net.netfilter.nf_conntrack_count = 1200
net.netfilter.nf_conntrack_max = 262144
net.netfilter.nf_conntrack_tcp_timeout_established = 86400
net.nf_conntrack_max = 262144
/sys/module/nf_conntrack/parameters/hashsize = 65536
===== svcpath: conntrack-s =====
cpu=0   \tfound=3 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=1
cpu=1   \tfound=5 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=2
1187
===== svcpath: dmesg =====
[    1.234567] nf_conntrack version 0.5.0 (65536 buckets, 262144 max)
===== svcpath: uname =====
5.15.0-91-generic
";
    let report = analyze(paste, &Options::default());
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    let ct = report.conntrack.unwrap();
    assert_eq!(ct.verdict, ConntrackVerdict::Ok);
    // The sysctl count wins over `conntrack -C` (1187) read a moment later.
    assert_eq!(
        (ct.count, ct.max, ct.buckets, ct.cpus),
        (Some(1200), Some(262_144), Some(65_536), Some(2))
    );
    assert_eq!(ct.missing, Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------------
// Services given directly.

fn service(
    id: &str,
    protocol: Protocol,
    ip: &str,
    port: u16,
    node_port: Option<u16>,
    local: bool,
) -> Service {
    Service {
        id: id.to_string(),
        protocol: Some(protocol),
        cluster_ip: Some(ip.to_string()),
        port: Some(port),
        node_port,
        external_traffic_policy: node_port.map(|_| TrafficPolicy::Cluster),
        endpoints: vec![Endpoint {
            ip: "10.244.1.9".to_string(),
            port: Some(port),
            probability: 1.0,
            local: Some(local),
            ..Endpoint::default()
        }],
        ..Service::default()
    }
}

#[test]
fn services_explain_what_feeds_the_table() {
    let stats = conntrack::parse_stats(&stats_lines(2, ""), Origin::START).value;
    let services = vec![
        service(
            "kube-system/kube-dns:dns",
            Protocol::Udp,
            "10.96.0.10",
            53,
            None,
            false,
        ),
        service(
            "default/web:http",
            Protocol::Tcp,
            "10.96.12.7",
            80,
            Some(30080),
            true,
        ),
    ];
    let inputs = Inputs {
        stats: std::slice::from_ref(&stats),
        ..Inputs::default()
    };
    let ct = verdict(&inputs, &services).unwrap();
    let joined = ct.reasons.join("\n");
    assert!(
        joined.contains("2 Service ports (2 with endpoints) are DNAT'd by kube-proxy"),
        "{joined}"
    );
    assert!(
        joined.contains("1 of them is UDP (kube-system/kube-dns:dns)"),
        "{joined}"
    );
    assert!(
        joined.contains("1 have a NodePort")
            && joined.contains("1 with externalTrafficPolicy Cluster are also masqueraded"),
        "{joined}"
    );
    assert!(
        joined.contains("1 have endpoints on this node") && joined.contains("hairpin"),
        "{joined}"
    );
}

// ---------------------------------------------------------------------------------------------------
// The corpus.

#[test]
fn every_corpus_file_has_a_pinned_verdict() {
    for kind in ["sysctl", "conntrack"] {
        for (stem, text) in files(kind) {
            let report = analyze(&text, &Options::default());
            insta::assert_json_snapshot!(format!("{kind}__{stem}"), report.conntrack);
        }
    }
}

#[test]
fn corpus_verdicts_checked_by_hand() {
    let verdict_of = |kind: &str, stem: &str| conntrack_of(&read(kind, stem));
    let ct = verdict_of("conntrack", "k8s-18604-dmesg-table-full");
    assert_eq!(
        (ct.verdict, ct.table_full_lines.len()),
        (ConntrackVerdict::Critical, 14)
    );
    let ct = verdict_of("conntrack", "k8s-71261-dmesg-T-table-full");
    assert_eq!(
        (ct.verdict, ct.table_full_lines.len()),
        (ConntrackVerdict::Critical, 4)
    );
    let ct = verdict_of("conntrack", "concourse-4153-conntrack-S-percpu-with-ignore");
    assert_eq!(
        (ct.verdict, ct.cpus, ct.drops),
        (ConntrackVerdict::Unknown, Some(8), Some(0))
    );
    assert!(
        ct.reasons
            .iter()
            .any(|r| r.contains("concentrated on cpu 7 (3,938, median 404)")),
        "{:#?}",
        ct.reasons
    );
    let ct = verdict_of("conntrack", "k8s-56903-conntrack-S-old-format-in-pod");
    assert_eq!(
        (ct.verdict, ct.count, ct.drops),
        (ConntrackVerdict::Unknown, Some(90), Some(0))
    );
    assert!(
        ct.missing.iter().any(|m| m.contains("hostNetwork")),
        "{:#?}",
        ct.missing
    );
    let ct = verdict_of(
        "conntrack",
        "k8s-71261-kube-proxy-log-setting-conntrack-max",
    );
    assert_eq!(
        (ct.verdict, ct.max),
        (ConntrackVerdict::Unknown, Some(786_432))
    );
    let ct = verdict_of("conntrack", "k8s-91216-conntrack-L-dns-TIME_WAIT-FRAGMENT");
    assert_eq!(ct.verdict, ConntrackVerdict::Unknown);
    assert_eq!(ct.breakdown[0].entries, 6);
    assert!(ct
        .breakdown
        .iter()
        .any(|b| b.key == "tcp TIME_WAIT" && b.entries == 6));
    assert!(ct
        .breakdown
        .iter()
        .any(|b| b.key == "dst 10.0.0.10:53 tcp" && b.entries == 5));
    let ct = verdict_of("sysctl", "repo-notes-sysctl-a-grep-i-conntrack-full");
    assert_eq!(
        (ct.verdict, ct.count, ct.max, ct.buckets, ct.fill_ratio),
        (
            ConntrackVerdict::Ok,
            Some(0),
            Some(262_144),
            Some(65_536),
            Some(0.0)
        )
    );
    assert!(
        ct.recommendations
            .iter()
            .any(|r| r.contains("nf_conntrack_tcp_timeout_established=86400")),
        "{:#?}",
        ct.recommendations
    );
    let ct = verdict_of(
        "sysctl",
        "metal-stack-firewall-controller-165-proc-conntrack-max-hashsize",
    );
    assert_eq!(
        (ct.verdict, ct.max, ct.buckets),
        (ConntrackVerdict::Unknown, Some(4_194_304), Some(4_194_304))
    );
    let ct = verdict_of(
        "sysctl",
        "serviced-1439-sysctl-conntrack-max-and-permission-denied",
    );
    assert_eq!(ct.max, Some(655_360));
    assert!(ct.reasons.iter().any(|r| r.contains("changed within the paste: 65,536 (line 2), then 655,360 (line 6)")), "{:#?}", ct.reasons);
    let ct = verdict_of("sysctl", "k3s-3337-agent-log-set-sysctl-conntrack");
    assert_eq!(ct.max, Some(131_072));
    assert_eq!(ct.timeouts[0].seconds, Some(99));
    let ct = verdict_of(
        "sysctl",
        "k8s-75575-kube-proxy-log-conntrack-max-8cpu-TRUNCATED",
    );
    assert_eq!(ct.max, Some(655_350));
    let ct = verdict_of("sysctl", "kops-1828-sysctl-nf_conntrack_max-default");
    assert_eq!(
        (ct.verdict, ct.max),
        (ConntrackVerdict::Unknown, Some(131_072))
    );
}

/// Lines of every conntrack-related kind, some broken, to paste together in any order.
fn conntrack_line() -> impl Strategy<Value = String> {
    let n = || "[0-9]{1,22}";
    prop_oneof![
        n().prop_map(|v| format!("net.netfilter.nf_conntrack_count = {v}")),
        n().prop_map(|v| format!("net.netfilter.nf_conntrack_max = {v}")),
        n().prop_map(|v| format!("net.netfilter.nf_conntrack_buckets = {v}")),
        n().prop_map(|v| format!("net.netfilter.nf_conntrack_tcp_timeout_time_wait = {v}")),
        n().prop_map(|v| format!("net.netfilter.nf_conntrack_tcp_timeout_established = {v}")),
        (0u32..600, n(), n()).prop_map(|(c, d, e)| format!("cpu={c} found=1 insert_failed={d} drop={e} early_drop=0 search_restart={e}")),
        n().prop_map(|v| format!("drop      \t\t{v}")),
        Just("[1454500.910215] nf_conntrack: table full, dropping packet".to_string()),
        n().prop_map(|v| format!("I1120 15:18:19.757786   26448 conntrack.go:52] Setting nf_conntrack_max to {v}")),
        (n(), "[0-9.]{1,15}").prop_map(|(t, ip)| format!("tcp      6 {t} TIME_WAIT src=10.0.0.1 dst={ip} sport=1 dport=53 src={ip} dst=10.0.0.1 sport=53 dport=1 [ASSURED] mark=0 use=1")),
        Just("root@node-1:~# conntrack -S".to_string()),
        Just("root@node-1:~# conntrack -L".to_string()),
        Just("$ conntrack -C".to_string()),
        n(),
        "\\PC{0,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn any_conntrack_paste_gives_a_report_without_panic(lines in prop::collection::vec(conntrack_line(), 0..40)) {
        let paste = lines.join("\n");
        let report = analyze(&paste, &Options::default());
        if let Some(ct) = report.conntrack {
            if let Some(f) = ct.fill_ratio {
                prop_assert!(f >= 0.0 && f.is_finite());
            }
            prop_assert!(!ct.summary.is_empty());
            if ct.verdict == ConntrackVerdict::Unknown {
                prop_assert!(ct.count.is_none() || ct.max.is_none());
                prop_assert!(!ct.missing.is_empty());
            }
        }
    }
}
