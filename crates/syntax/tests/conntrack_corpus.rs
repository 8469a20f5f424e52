//! Golden tests for the sysctl, conntrack and kernel-log parsers over the shared corpus (`sysctl/` and
//! `conntrack/`): every file is split and each of its sections parsed like the analysis does; the values
//! read are pinned by snapshots and, for the numbers that matter, by assertions checked by hand against
//! the files. Property tests check that the parsers never panic and that every line number and byte
//! span stays inside the text they were given.

use proptest::prelude::*;
use serde_json::{json, Value};
use svcpath_syntax::{conntrack, kernlog, split, sysctl, Origin, SectionKind};

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

/// What the analysis would read from a paste: each conntrack-related section and its parse.
struct Read {
    sysctls: Vec<sysctl::Sysctls>,
    stats: Vec<conntrack::Stats>,
    lists: Vec<conntrack::Listing>,
    logs: Vec<kernlog::KernelLog>,
    json: Value,
}

fn read_paste(paste: &str) -> Read {
    let mut read = Read {
        sysctls: vec![],
        stats: vec![],
        lists: vec![],
        logs: vec![],
        json: json!([]),
    };
    let mut sections = Vec::new();
    for section in split(paste) {
        let text = section.text(paste);
        let origin = section.origin();
        let command = section.command.as_deref();
        let (value, diagnostics) = match section.kind {
            SectionKind::Sysctl => {
                let p = sysctl::parse_with_command(text, origin, command);
                read.sysctls.push(p.value.clone());
                (serde_json::to_value(&p.value).unwrap(), p.diagnostics)
            }
            SectionKind::ConntrackStats => {
                let p = conntrack::parse_stats_with_command(text, origin, command);
                read.stats.push(p.value.clone());
                (serde_json::to_value(&p.value).unwrap(), p.diagnostics)
            }
            SectionKind::ConntrackList => {
                let p = conntrack::parse_list_with_command(text, origin, command);
                read.lists.push(p.value.clone());
                (serde_json::to_value(&p.value).unwrap(), p.diagnostics)
            }
            SectionKind::KernelLog => {
                let p = kernlog::parse(text, origin);
                read.logs.push(p.value.clone());
                (serde_json::to_value(&p.value).unwrap(), p.diagnostics)
            }
            _ => (Value::Null, Vec::new()),
        };
        sections.push(json!({
            "kind": section.kind,
            "lines": [section.first_line, section.last_line],
            "command": section.command,
            "value": value,
            "diagnostics": diagnostics.iter().map(|d| json!({"line": d.line, "severity": d.severity, "message": d.message})).collect::<Vec<_>>(),
        }));
    }
    read.json = Value::Array(sections);
    read
}

#[test]
fn every_corpus_file_parses_and_is_pinned() {
    for kind in ["sysctl", "conntrack"] {
        for (stem, text) in files(kind) {
            let read = read_paste(&text);
            insta::assert_json_snapshot!(format!("{kind}__{stem}"), read.json);
        }
    }
}

#[test]
fn sysctl_a_grep_conntrack_full() {
    let r = read_paste(&read("sysctl", "repo-notes-sysctl-a-grep-i-conntrack-full"));
    assert_eq!(r.sysctls.len(), 1);
    let s = &r.sysctls[0];
    assert_eq!(s.values.len(), 45);
    assert_eq!(s.number(sysctl::BUCKETS), Some(65536));
    assert_eq!(s.number(sysctl::COUNT), Some(0));
    assert_eq!(s.number(sysctl::TCP_TIMEOUT_ESTABLISHED), Some(432000));
    assert_eq!(s.number(sysctl::TCP_TIMEOUT_CLOSE_WAIT), Some(60));
    assert_eq!(s.number(sysctl::TCP_TIMEOUT_TIME_WAIT), Some(120));
    assert_eq!(s.number(sysctl::UDP_TIMEOUT), Some(30));
    assert_eq!(s.number(sysctl::UDP_TIMEOUT_STREAM), Some(180));
    // `net.netfilter.nf_conntrack_max` on line 20 and the `net.nf_conntrack_max` alias on line 46.
    let max: Vec<(u64, u32, &str)> = s
        .all(sysctl::MAX)
        .map(|v| (v.number.unwrap(), v.line, v.written_as.as_str()))
        .collect();
    assert_eq!(
        max,
        vec![
            (262144, 20, "net.netfilter.nf_conntrack_max"),
            (262144, 46, "net.nf_conntrack_max")
        ]
    );
    assert_eq!(s.get(sysctl::COUNT).unwrap().line, 5);
}

#[test]
fn single_keys_cat_and_permission_denied() {
    let r = read_paste(&read("sysctl", "kops-1828-sysctl-nf_conntrack_max-default"));
    assert_eq!(r.sysctls[0].number(sysctl::MAX), Some(131072));
    assert_eq!(r.sysctls[0].get(sysctl::MAX).unwrap().line, 2);

    // `# cat FILE` then the value alone: the file name comes from the command line.
    let r = read_paste(&read(
        "sysctl",
        "metal-stack-firewall-controller-165-proc-conntrack-max-hashsize",
    ));
    assert_eq!(r.sysctls.len(), 2);
    let max = r.sysctls[0].get(sysctl::MAX).unwrap();
    assert_eq!(
        (max.number, max.line, max.form),
        (Some(4194304), 2, sysctl::SysctlForm::Bare)
    );
    let hash = r.sysctls[1].get(sysctl::HASHSIZE).unwrap();
    assert_eq!((hash.number, hash.line), (Some(4194304), 4));

    // Before and after a change, then a write refused.
    let r = read_paste(&read(
        "sysctl",
        "serviced-1439-sysctl-conntrack-max-and-permission-denied",
    ));
    let values: Vec<(u64, u32)> = r
        .sysctls
        .iter()
        .flat_map(|s| s.all(sysctl::MAX))
        .map(|v| (v.number.unwrap(), v.line))
        .collect();
    assert_eq!(values, vec![(65536, 2), (655360, 6)]);
    let problems: Vec<_> = r.sysctls.iter().flat_map(|s| s.problems.iter()).collect();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 8);
    assert_eq!(problems[0].kind, sysctl::ProblemKind::PermissionDenied);
    assert_eq!(problems[0].key.as_deref(), Some(sysctl::MAX));
}

#[test]
fn proxy_logs_in_klog_and_logrus() {
    let r = read_paste(&read("sysctl", "k3s-3337-agent-log-set-sysctl-conntrack"));
    let got: Vec<(&str, u64, u32)> = r
        .logs
        .iter()
        .flat_map(|l| l.settings.iter())
        .map(|s| (s.key.as_str(), s.value, s.line))
        .collect();
    assert_eq!(
        got,
        vec![
            (sysctl::MAX, 131072, 2),
            (sysctl::TCP_TIMEOUT_ESTABLISHED, 99, 3),
            (sysctl::TCP_TIMEOUT_CLOSE_WAIT, 99, 4),
        ]
    );
    assert_eq!(r.logs[0].notes[0].kind, kernlog::NoteKind::UsedConntrackMin);
    assert_eq!(r.logs[0].notes[0].line, 1);

    let r = read_paste(&read(
        "sysctl",
        "k8s-75575-kube-proxy-log-conntrack-max-8cpu-TRUNCATED",
    ));
    let got: Vec<(u64, u32)> = r
        .logs
        .iter()
        .flat_map(|l| l.settings.iter())
        .map(|s| (s.value, s.line))
        .collect();
    assert_eq!(got, vec![(655350, 4), (655350, 5)]);

    let r = read_paste(&read(
        "conntrack",
        "k8s-71261-kube-proxy-log-setting-conntrack-max",
    ));
    let s = &r.logs[0].settings[0];
    assert_eq!((s.key.as_str(), s.value, s.line), (sysctl::MAX, 786432, 1));
    assert_eq!(s.time.as_deref(), Some("1120 15:18:19.757786"));
}

#[test]
fn conntrack_s_both_forms() {
    let r = read_paste(&read(
        "conntrack",
        "concourse-4153-conntrack-S-percpu-with-ignore",
    ));
    let s = &r.stats[0];
    assert_eq!(s.per_cpu.len(), 8);
    assert_eq!(
        s.per_cpu.iter().map(|c| c.cpu).collect::<Vec<_>>(),
        (0..8).collect::<Vec<_>>()
    );
    assert_eq!(s.per_cpu[7].get("search_restart"), Some(3938));
    assert_eq!(s.per_cpu[7].get("invalid"), Some(336));
    assert_eq!(s.per_cpu[0].get("ignore"), Some(2185350));
    assert_eq!(s.per_cpu[7].line, 9);
    assert_eq!(
        s.total("search_restart"),
        Some(403 + 379 + 408 + 392 + 404 + 446 + 401 + 3938)
    );
    assert_eq!(s.total("drop"), Some(0));
    assert_eq!(s.total("insert_failed"), Some(0));

    let r = read_paste(&read(
        "conntrack",
        "k8s-56903-conntrack-S-old-format-in-pod",
    ));
    let s = &r.stats[0];
    assert!(s.per_cpu.is_empty());
    assert_eq!(s.first_cpu_only.len(), 17);
    assert_eq!(s.entries(), Some((90, 2)));
    assert_eq!(s.total("found"), Some(3774748));
    assert_eq!(s.total("delete_list"), Some(327481));
    assert_eq!(s.total("drop"), Some(0));
    assert_eq!(
        s.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
        vec![19, 20]
    );
    assert_eq!(s.via_exec.as_ref().unwrap().line, 1);
}

#[test]
fn kernel_table_full_lines() {
    let r = read_paste(&read("conntrack", "k8s-18604-dmesg-table-full"));
    let full = &r.logs[0].table_full;
    assert_eq!(full.len(), 14);
    assert_eq!(
        full.iter().map(|e| e.line).collect::<Vec<_>>(),
        (1..=14).collect::<Vec<_>>()
    );
    assert_eq!(full[13].time.as_deref(), Some("1454509.461217"));

    let r = read_paste(&read("conntrack", "k8s-71261-dmesg-T-table-full"));
    let full = &r.logs[0].table_full;
    assert_eq!(full.len(), 4);
    assert_eq!(full[0].time.as_deref(), Some("Tue Nov 20 22:30:22 2018"));
    assert_eq!(full[0].format, kernlog::LogFormat::DmesgTime);
}

#[test]
fn conntrack_l_fragment() {
    let r = read_paste(&read(
        "conntrack",
        "k8s-91216-conntrack-L-dns-TIME_WAIT-FRAGMENT",
    ));
    let entries: Vec<conntrack::EntryRef<'_>> = r.lists[0].iter().collect();
    assert_eq!(entries.len(), 6);
    // The first entry lost its `tcp` at the start of the paste.
    assert!(entries[0].entry.partial);
    assert_eq!(
        (
            entries[0].protocol(),
            entries[0].entry.timeout,
            entries[0].line()
        ),
        ("tcp", Some(46), 2)
    );
    assert!(entries
        .iter()
        .all(|e| e.state() == Some("TIME_WAIT") && e.has_flag("ASSURED")));
    let to_dns = entries
        .iter()
        .filter(|e| e.original().dst.to_string() == "10.0.0.10" && e.original().dport == Some(53))
        .count();
    assert_eq!(to_dns, 5);
    assert_eq!(entries.iter().filter(|e| e.is_dnat()).count(), 5);
    assert_eq!(entries[3].original().src.to_string(), "127.0.0.1");
    assert_eq!(entries[1].reply().unwrap().src.to_string(), "10.64.1.6");
}

/// Every `line` and `{start, end}` span in a serialized value.
fn check_positions(value: &Value, origin: Origin, text: &str, lines: u32) -> Result<(), String> {
    match value {
        Value::Object(map) => {
            if let (Some(Value::Number(s)), Some(Value::Number(e))) =
                (map.get("start"), map.get("end"))
            {
                let (s, e) = (s.as_u64().unwrap() as usize, e.as_u64().unwrap() as usize);
                if s > e || s < origin.offset || e > origin.offset + text.len() {
                    return Err(format!(
                        "span {s}..{e} outside {}..{}",
                        origin.offset,
                        origin.offset + text.len()
                    ));
                }
            }
            if let Some(Value::Number(l)) = map.get("line") {
                let l = l.as_u64().unwrap() as u32;
                if l < origin.line || l >= origin.line + lines.max(1) {
                    return Err(format!(
                        "line {l} outside {}..{}",
                        origin.line,
                        origin.line + lines
                    ));
                }
            }
            map.values()
                .try_for_each(|v| check_positions(v, origin, text, lines))
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|v| check_positions(v, origin, text, lines)),
        _ => Ok(()),
    }
}

fn check_all(text: &str, offset: usize, line: u32) -> Result<(), String> {
    let origin = Origin { offset, line };
    let lines = svcpath_syntax::source::count_lines(text);
    let outputs = [
        serde_json::to_value(sysctl::parse(text, origin)).unwrap(),
        serde_json::to_value(conntrack::parse_stats(text, origin)).unwrap(),
        serde_json::to_value(conntrack::parse_list(text, origin)).unwrap(),
        serde_json::to_value(kernlog::parse(text, origin)).unwrap(),
    ];
    outputs
        .iter()
        .try_for_each(|v| check_positions(v, origin, text, lines))
}

/// Words that the parsers look for, to build text that reaches deep into them.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("cpu=".to_string()),
        Just("src=".to_string()),
        Just("dst=".to_string()),
        Just("sport=".to_string()),
        Just("dport=".to_string()),
        Just("[ASSURED]".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("=".to_string()),
        Just(":".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("tcp 6".to_string()),
        Just("ipv4 2".to_string()),
        Just("entries".to_string()),
        Just("net.netfilter.nf_conntrack_max".to_string()),
        Just("/proc/sys/net/netfilter/nf_conntrack_count".to_string()),
        Just("# cat".to_string()),
        Just("sysctl:".to_string()),
        Just("nf_conntrack: ".to_string()),
        Just("table full, dropping packet".to_string()),
        Just("callbacks suppressed".to_string()),
        Just("I0322 02:18:37.205893       1 conntrack.go:98] ".to_string()),
        Just("INFO[2021-05-18T19:44:36Z] ".to_string()),
        Just("level=info msg=".to_string()),
        Just(" kernel: ".to_string()),
        Just("k3s[1]: ".to_string()),
        Just("Set sysctl ".to_string()),
        Just("Setting nf_conntrack_max to ".to_string()),
        Just("\"Set sysctl\" entry=".to_string()),
        Just("nf_conntrack version 0.5.0 (".to_string()),
        Just("flow entries have been shown".to_string()),
        Just("kubectl exec -- conntrack".to_string()),
        Just("é".to_string()),
        Just("…".to_string()),
        "[0-9a-f]{1,24}",
        "[0-9]{1,25}",
        "[a-z_]{1,12}",
    ]
}

proptest! {
    #[test]
    fn parsers_never_panic_on_any_text(text in "\\PC{0,400}", offset in 0usize..1_000_000, line in 1u32..100_000) {
        prop_assert_eq!(check_all(&text, offset, line), Ok(()));
    }

    #[test]
    fn parsers_never_panic_on_token_soup(tokens in prop::collection::vec(token(), 0..80), offset in 0usize..1000, line in 1u32..1000) {
        let text: String = tokens.concat();
        prop_assert_eq!(check_all(&text, offset, line), Ok(()));
    }

    #[test]
    fn parsers_never_panic_on_split_pastes(tokens in prop::collection::vec(token(), 0..120)) {
        let text: String = tokens.concat();
        let _ = read_paste(&text);
    }
}
