//! Kernel conformance: svcpath's packet traces checked against the Linux kernel.
//!
//! For every case in `tests/conformance/cases.json` (complete corpus dumps, the kernel oracle's example
//! dump, and edge-case dumps written for this test) the test traces each Service's paths with
//! `trace::service_paths` plus the case's extra packets, turns every trace into a probe with the
//! outcome shares and masquerade fractions the trace predicts, runs the kernel oracle
//! (`../shared/oracle/kernel-oracle`, which loads the dump into real netfilter in private network
//! namespaces and opens real connections), and asserts that the kernel agrees with every probe.
//!
//! Needs root, the oracle and its tools, so it is `#[ignore]`d: `scripts/conformance.sh` runs it.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::{json, Value};
use svcpath_analysis::trace::{self, Hook, Origin, Outcome, Packet, Trace, Verdict};
use svcpath_analysis::{Options, Snapshot};

/// Connections per probe whose outcome is a split between endpoints, and per single-outcome probe.
const COUNT_ODDS: u32 = 3000;
const COUNT_VERDICT: u32 = 200;
/// Connections of a single-outcome probe that reaches the node's own TCP stack: the oracle's event
/// stream misses some RST-ended connections in larger bursts (see tests/conformance/NOTES.md).
const COUNT_TO_NODE: u32 = 50;
/// Clients and connections of an affinity probe.
const AFFINITY_CLIENTS: u32 = 64;
const AFFINITY_COUNT: u32 = 1280;
/// New clients (one connection each) of a probe whose clients would be remembered after connecting.
const FRESH_CLIENTS: usize = 1000;

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    /// A file under `tests/conformance/`, `corpus:PATH` under the shared corpus, or `oracle:PATH`
    /// under the oracle's directory.
    dump: String,
    #[serde(default)]
    node_ips: Vec<String>,
    /// Packets to trace besides every Service's own paths.
    #[serde(default)]
    packets: Vec<LabelledPacket>,
    /// Skip the Service paths (only the listed packets).
    #[serde(default)]
    packets_only: bool,
    /// An nftables ruleset: loaded with `nft -f` by `scripts/nft-oracle.py` (the oracle with its
    /// loading step replaced) instead of `iptables-restore`.
    #[serde(default)]
    nft: bool,
    /// The cluster's API objects (`kubectl get … -o json`), read by svcpath beside the dump (the kernel
    /// loads the dump alone). Every endpoint the join calls stale (`extra_on_node`) must be one the kernel
    /// sends connections to: the rules really use what the API no longer lists.
    #[serde(default)]
    api: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LabelledPacket {
    label: String,
    packet: Packet,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

fn shared() -> PathBuf {
    repo_root().join("..").join("shared")
}

fn resolve(dump: &str) -> PathBuf {
    if let Some(p) = dump.strip_prefix("fixture:") {
        repo_root().join("tests").join("fixtures").join(p)
    } else if let Some(p) = dump.strip_prefix("corpus:") {
        shared().join("corpus").join(p)
    } else if let Some(p) = dump.strip_prefix("oracle:") {
        shared().join("oracle").join(p)
    } else {
        repo_root().join("tests").join("conformance").join(dump)
    }
}

/// Significance level of each probe's chi-square (shares) and binomial (masquerade) test.
const ALPHA: &str = "0.00001";

/// What the oracle observes for a traced outcome: the endpoint a DNATed connection reached, or
/// `passed` / `dropped` / `rejected`. The kernel confirms a connection's conntrack entry when its
/// first packet leaves POSTROUTING (or reaches INPUT's end), so a packet the node sends to itself and
/// then drops in INPUT still shows up as a connection.
fn oracle_key(o: &Outcome) -> String {
    let confirmed = o.steps.iter().any(|s| s.hook == Hook::Postrouting);
    match o.verdict {
        Verdict::Dnat => o.endpoint.clone().unwrap_or_else(|| "passed".to_string()),
        Verdict::Accept => "passed".to_string(),
        Verdict::Drop | Verdict::Reject if confirmed => {
            o.endpoint.clone().unwrap_or_else(|| "passed".to_string())
        }
        Verdict::Reject => "rejected".to_string(),
        Verdict::Drop => "dropped".to_string(),
    }
}

struct Probe {
    case: String,
    label: String,
    json: Value,
    trace: Trace,
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == ':' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(80).collect()
}

/// How a probe's connections are spread over clients.
enum Clients {
    /// Every connection from the traced source.
    One,
    /// The trace passes a `-m recent --set` rule, so a client is remembered after its first
    /// connection: these clients (each traced alike) connect once each.
    Fresh(Vec<String>),
    /// Remembered clients: each connects several times and must stick to its first endpoint.
    Sticky(Vec<String>),
}

fn probe_for(case: &str, index: usize, label: &str, t: &Trace, clients: Clients) -> Option<Value> {
    if t.outcomes.is_empty() {
        return None;
    }
    let src = t.packet.src.clone()?;
    let src_ip: IpAddr = src.parse().ok()?;
    let dst: IpAddr = t.packet.dst.parse().ok()?;
    if !src_ip.is_ipv4() || !dst.is_ipv4() {
        return None;
    }
    let mut expect: BTreeMap<String, f64> = BTreeMap::new();
    let mut masq: BTreeMap<String, f64> = BTreeMap::new();
    for o in &t.outcomes {
        let key = oracle_key(o);
        *expect.entry(key.clone()).or_default() += o.probability;
        if o.masquerade {
            let masq_key = if key == "passed" {
                "no-dnat".to_string()
            } else {
                key
            };
            *masq.entry(masq_key).or_default() += o.probability;
        }
    }
    // The oracle checks masquerade per outcome: the fraction of that outcome's connections.
    let no_dnat: f64 = ["passed", "dropped", "rejected"]
        .iter()
        .filter_map(|k| expect.get(*k))
        .sum();
    let mut expect_masq = serde_json::Map::new();
    for (key, p) in &expect {
        match key.as_str() {
            "dropped" | "rejected" => {}
            "passed" => {
                let m = masq.get("no-dnat").copied().unwrap_or(0.0);
                expect_masq.insert("no-dnat".to_string(), json!(round(m / no_dnat)));
            }
            _ => {
                let m = masq.get(key).copied().unwrap_or(0.0);
                expect_masq.insert(key.clone(), json!(round(m / p)));
            }
        }
    }
    let mut probe = serde_json::Map::new();
    probe.insert(
        "name".into(),
        json!(format!("{case}/{index:02}-{}", slug(label))),
    );
    probe.insert("from".into(), serde_json::to_value(t.packet.from).ok()?);
    probe.insert("dst_ip".into(), json!(t.packet.dst));
    probe.insert("dst_port".into(), json!(t.packet.dst_port));
    probe.insert(
        "proto".into(),
        serde_json::to_value(t.packet.protocol).ok()?,
    );
    // A SYN delivered to the node itself is answered with a RST (nothing listens), which ends its
    // conntrack entry at once; the oracle sees such connections only in its event stream, which drops
    // events when many probes run together.
    let isolate = t.packet.protocol == svcpath_analysis::report::Protocol::Tcp
        && t.outcomes
            .iter()
            .any(|o| o.steps.iter().any(|s| s.hook == Hook::Input));
    let expect: serde_json::Map<String, Value> =
        expect.into_iter().map(|(k, v)| (k, json!(v))).collect();
    match clients {
        Clients::One => {
            let n = match (expect.len() > 1, isolate) {
                (true, _) => COUNT_ODDS,
                (false, true) => COUNT_TO_NODE,
                (false, false) => COUNT_VERDICT,
            };
            probe.insert("src_ip".into(), json!(src));
            probe.insert("count".into(), json!(n));
        }
        Clients::Fresh(sources) => {
            probe.insert("count".into(), json!(sources.len()));
            probe.insert("src_ip".into(), json!(sources));
        }
        Clients::Sticky(sources) => {
            let n = if sources.len() > 1 {
                AFFINITY_COUNT
            } else {
                300
            };
            probe.insert("src_ip".into(), json!(sources));
            probe.insert("count".into(), json!(n));
            probe.insert("expect_affinity".into(), json!(true));
        }
    }
    if isolate {
        probe.insert("isolate".into(), json!(true));
    }
    probe.insert("expect".into(), Value::Object(expect));
    probe.insert("expect_masq".into(), Value::Object(expect_masq));
    Some(Value::Object(probe))
}

fn round(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e9).round() / 1e9
    } else {
        0.0
    }
}

/// Up to `max` client addresses from the block after `first` whose own trace ends exactly like
/// `t` (so the predicted shares hold for each of them); none for host-originated packets.
fn equivalent_clients(
    snapshot: &Snapshot,
    options: &Options,
    t: &Trace,
    max: usize,
) -> Vec<String> {
    let Some(IpAddr::V4(first)) = t.packet.src.as_deref().and_then(|s| s.parse().ok()) else {
        return Vec::new();
    };
    if t.packet.from == Origin::Node {
        return Vec::new();
    }
    let signature = |t: &Trace| -> Vec<(String, bool, u64)> {
        let mut v: Vec<_> = t
            .outcomes
            .iter()
            .map(|o| {
                (
                    oracle_key(o),
                    o.masquerade,
                    (o.probability * 1e9).round() as u64,
                )
            })
            .collect();
        v.sort();
        v
    };
    let want = signature(t);
    let base = u32::from(first);
    let mut out = Vec::new();
    for i in 0..4096u32 {
        let Some(a) = base.checked_add(i) else { break };
        let candidate = Ipv4Addr::from(a).to_string();
        let mut p = t.packet.clone();
        p.src = Some(candidate.clone());
        if signature(&trace::trace(snapshot, options, &p)) == want {
            out.push(candidate);
            if out.len() >= max {
                break;
            }
        }
    }
    out
}

/// Whether any rule a trace passed adds the client to a `-m recent` list.
fn remembers_client(t: &Trace, dump_lines: &[&str]) -> bool {
    t.outcomes.iter().flat_map(|o| o.rules.iter()).any(|&line| {
        let text = line
            .checked_sub(1)
            .and_then(|i| dump_lines.get(i as usize))
            .copied()
            .unwrap_or("");
        (text.contains("-m recent") && text.contains("--set"))
            || (text.contains("update @") && text.contains("saddr"))
    })
}

fn same_packet(a: &Packet, b: &Packet) -> bool {
    a.from == b.from
        && a.src == b.src
        && a.dst == b.dst
        && a.dst_port == b.dst_port
        && a.protocol == b.protocol
        && a.returning_client == b.returning_client
}

fn probes_for_case(case: &Case, text: &str) -> (Vec<Probe>, Options, Snapshot) {
    let options = Options {
        node_ips: case.node_ips.clone(),
        ..Options::default()
    };
    let snapshot = Snapshot::parse(text, &options);
    let report = snapshot.report(&options);
    let mut traced: Vec<(String, Trace)> = Vec::new();
    if !case.packets_only {
        for service in &report.services {
            for (label, t) in trace::service_paths(&snapshot, &options, service) {
                traced.push((format!("{}: {label}", service.id), t));
            }
        }
    }
    for p in &case.packets {
        traced.push((
            p.label.clone(),
            trace::trace(&snapshot, &options, &p.packet),
        ));
    }
    let dump_lines: Vec<&str> = text.lines().collect();
    let mut probes: Vec<Probe> = Vec::new();
    for (label, t) in traced {
        if probes
            .iter()
            .any(|p| same_packet(&p.trace.packet, &t.packet))
        {
            continue;
        }
        let clients = if t.packet.returning_client {
            let mut c = equivalent_clients(&snapshot, &options, &t, AFFINITY_CLIENTS as usize);
            if c.len() < 8 {
                c = t.packet.src.clone().into_iter().collect();
            }
            Clients::Sticky(c)
        } else if remembers_client(&t, &dump_lines) {
            let c = equivalent_clients(&snapshot, &options, &t, FRESH_CLIENTS);
            if c.len() >= 100 {
                Clients::Fresh(c)
            } else {
                // Too few clients alike (a hairpin or host-originated packet): check that the one
                // client sticks to one endpoint instead of the odds.
                Clients::Sticky(t.packet.src.clone().into_iter().collect())
            }
        } else {
            Clients::One
        };
        let index = probes.len() + 1;
        if let Some(json) = probe_for(&case.name, index, &label, &t, clients) {
            probes.push(Probe {
                case: case.name.clone(),
                label,
                json,
                trace: t,
            });
        }
    }
    (probes, options, snapshot)
}

struct Row {
    case: String,
    label: String,
    from: String,
    dst: String,
    n: u64,
    expected: String,
    observed: String,
    masq: String,
    uncertain: bool,
    agree: bool,
}

fn describe_expect(v: &Value) -> String {
    let Some(map) = v.as_object() else {
        return String::new();
    };
    map.iter()
        .map(|(k, p)| format!("{k} {:.3}", p.as_f64().unwrap_or(0.0)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_hist(v: &Value, breakdown: &Value) -> String {
    let Some(map) = v.as_object() else {
        return String::new();
    };
    map.iter()
        .map(|(k, n)| {
            if k == "no-dnat" {
                let parts: Vec<String> = breakdown
                    .as_object()
                    .map(|b| {
                        b.iter()
                            .filter(|(_, c)| c.as_u64().unwrap_or(0) > 0)
                            .map(|(name, c)| format!("{name} {c}"))
                            .collect()
                    })
                    .unwrap_or_default();
                parts.join(", ")
            } else {
                format!("{k} {n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn run_case(case: &Case, oracle: &Path, work: &Path, rows: &mut Vec<Row>) -> Result<(), String> {
    let dump_path = resolve(&case.dump);
    let text =
        std::fs::read_to_string(&dump_path).map_err(|e| format!("{}: {e}", dump_path.display()))?;
    let analysed = match &case.api {
        Some(api) => {
            let path = resolve(api);
            let objects =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            format!("{text}\n{objects}")
        }
        None => text.clone(),
    };
    let (probes, options, snapshot) = probes_for_case(case, &analysed);
    if probes.is_empty() {
        return Err(format!("case {}: no probe could be derived", case.name));
    }
    let report = snapshot.report(&options);
    let cluster_cidr = report
        .node
        .pod_cidrs
        .iter()
        .map(|f| f.value.clone())
        .find(|c| !c.contains(':'));
    let links = trace::link_names(&snapshot);
    let dir = work.join(slug(&case.name));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // The oracle reads the dump from a file of its own (the corpus is read-only).
    let dump_copy = dir.join("dump.txt");
    std::fs::write(&dump_copy, &text).map_err(|e| e.to_string())?;
    let mut file = serde_json::Map::new();
    file.insert("node_ips".into(), json!(case.node_ips));
    if let Some(c) = &cluster_cidr {
        file.insert("cluster_cidr".into(), json!(c));
    }
    file.insert(
        "probes".into(),
        Value::Array(probes.iter().map(|p| p.json.clone()).collect()),
    );
    let probes_path = dir.join("probes.json");
    std::fs::write(
        &probes_path,
        serde_json::to_string_pretty(&Value::Object(file)).unwrap_or_default(),
    )
    .map_err(|e| e.to_string())?;
    let traces_path = dir.join("traces.json");
    let traces: Vec<Value> = probes
        .iter()
        .map(|p| json!({"label": p.label, "trace": p.trace}))
        .collect();
    std::fs::write(
        &traces_path,
        serde_json::to_string_pretty(&traces).unwrap_or_default(),
    )
    .map_err(|e| e.to_string())?;
    let out_path = dir.join("output.json");
    let mut cmd = if case.nft {
        let mut c = Command::new("python3");
        c.arg(repo_root().join("scripts").join("nft-oracle.py"))
            .env("SVCPATH_ORACLE", oracle);
        c
    } else {
        Command::new(oracle)
    };
    cmd.arg("run")
        .arg("--dump")
        .arg(&dump_copy)
        .arg("--probes")
        .arg(&probes_path)
        .arg("-o")
        .arg(&out_path)
        .arg("--group")
        // About a hundred probes are split tests: at the oracle's default alpha of 0.001 one run in ten
        // would fail a probe by chance alone. At 1e-5 that is one run in a thousand, and a real
        // disagreement (a share off by a few points over thousands of connections) still fails by far.
        .arg("--alpha")
        .arg(ALPHA)
        .arg("--quiet")
        .arg("--pod-if")
        .arg(links.pod.as_deref().unwrap_or("cni0"))
        .arg("--ext-if")
        .arg(links.uplink.as_deref().unwrap_or("eth0"));
    for ip in &case.node_ips {
        cmd.arg("--node-ip").arg(ip);
    }
    let status = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", oracle.display()))?;
    let code = status.status.code().unwrap_or(-1);
    if code != 0 && code != 3 {
        return Err(format!(
            "case {}: the oracle failed (exit {code}): {}",
            case.name,
            String::from_utf8_lossy(&status.stderr)
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    let output: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    if let Some(failed) = output
        .pointer("/load/failed_rules")
        .and_then(Value::as_array)
    {
        for f in failed {
            eprintln!(
                "  [{}] the oracle could not load line {}: {} ({})",
                case.name,
                f.get("line").map(|l| l.to_string()).unwrap_or_default(),
                f.get("action").and_then(Value::as_str).unwrap_or("?"),
                f.get("effect").and_then(Value::as_str).unwrap_or("")
            );
        }
    }
    let results = output
        .get("probes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for p in &probes {
        let name = p.json.get("name").and_then(Value::as_str).unwrap_or("");
        let result = results
            .iter()
            .find(|r| r.get("name").and_then(Value::as_str) == Some(name));
        let (n, observed, masq, agree) = match result {
            Some(r) => (
                r.get("sent").and_then(Value::as_u64).unwrap_or(0),
                describe_hist(
                    r.get("histogram").unwrap_or(&Value::Null),
                    r.get("no_dnat_breakdown").unwrap_or(&Value::Null),
                ),
                format!(
                    "{} / {}",
                    r.get("masquerade").and_then(Value::as_u64).unwrap_or(0),
                    describe_expect(p.json.get("expect_masq").unwrap_or(&Value::Null))
                ),
                r.pointer("/check/agree")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            ),
            None => (0, "(no result)".to_string(), String::new(), false),
        };
        rows.push(Row {
            case: p.case.clone(),
            label: p.label.clone(),
            from: p
                .json
                .get("from")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            dst: format!(
                "{}:{}/{}",
                p.json.get("dst_ip").and_then(Value::as_str).unwrap_or(""),
                p.json
                    .get("dst_port")
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                p.json.get("proto").and_then(Value::as_str).unwrap_or("")
            ),
            n,
            expected: describe_expect(p.json.get("expect").unwrap_or(&Value::Null)),
            observed,
            masq,
            uncertain: p.trace.outcomes.iter().any(|o| o.uncertain),
            agree,
        });
    }
    if case.api.is_some() {
        stale_rows(case, &report, &probes, &results, rows)?;
    }
    Ok(())
}

/// One row per endpoint the API join calls stale: the kernel must send some of the Service's
/// connections there (what svcpath's `api-endpoint-stale-on-node` finding says the rules do).
fn stale_rows(
    case: &Case,
    report: &svcpath_analysis::Report,
    probes: &[Probe],
    results: &[Value],
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let mut checked = 0;
    for service in &report.services {
        let Some(api) = &service.api else { continue };
        for stale in &api.extra_on_node {
            let finding = report.findings.iter().any(|f| {
                f.code.as_str().contains("stale")
                    && f.service.as_deref() == Some(service.id.as_str())
                    && f.message.contains(stale.as_str())
            });
            let mut reached = 0;
            let mut sent = 0;
            for p in probes
                .iter()
                .filter(|p| p.label.starts_with(&format!("{}: ", service.id)))
            {
                let name = p.json.get("name").and_then(Value::as_str).unwrap_or("");
                let Some(r) = results
                    .iter()
                    .find(|r| r.get("name").and_then(Value::as_str) == Some(name))
                else {
                    continue;
                };
                sent += r.get("sent").and_then(Value::as_u64).unwrap_or(0);
                reached += r
                    .pointer("/histogram")
                    .and_then(|h| h.get(stale.as_str()))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
            }
            checked += 1;
            rows.push(Row {
                case: case.name.clone(),
                label: format!(
                    "{}: stale endpoint {stale} (the API no longer lists it)",
                    service.id
                ),
                from: "any".to_string(),
                dst: service.cluster_ip.clone().unwrap_or_default(),
                n: sent,
                expected: format!("reached; finding raised: {finding}"),
                observed: format!("{stale} {reached}"),
                masq: String::new(),
                uncertain: false,
                agree: finding && reached > 0,
            });
        }
    }
    if checked == 0 {
        return Err(format!(
            "case {}: the API join found no stale endpoint to check",
            case.name
        ));
    }
    Ok(())
}

#[test]
#[ignore = "needs root and the kernel oracle: run scripts/conformance.sh"]
fn kernel_agrees_with_the_tracer() {
    let oracle = std::env::var_os("SVCPATH_ORACLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared().join("oracle").join("kernel-oracle"));
    assert!(
        oracle.exists(),
        "kernel oracle not found at {}",
        oracle.display()
    );
    let manifest = repo_root()
        .join("tests")
        .join("conformance")
        .join("cases.json");
    let cases: Vec<Case> =
        serde_json::from_str(&std::fs::read_to_string(&manifest).expect("cases.json"))
            .expect("cases.json");
    let only = std::env::var("SVCPATH_CONFORMANCE_ONLY").ok();
    let work = std::env::temp_dir().join(format!("svcpath-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work dir");
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for case in &cases {
        if only.as_deref().is_some_and(|o| !case.name.contains(o)) {
            continue;
        }
        let started = std::time::Instant::now();
        match run_case(case, &oracle, &work, &mut rows) {
            Ok(()) => eprintln!(
                "  {} done in {:.1} s",
                case.name,
                started.elapsed().as_secs_f64()
            ),
            Err(e) => errors.push(e),
        }
    }
    println!();
    println!("| case | probe | from | dst | n | svcpath predicts | kernel observed | masq kernel / predicted | agree |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &rows {
        println!(
            "| {} | {}{} | {} | {} | {} | {} | {} | {} | {} |",
            r.case,
            r.label,
            if r.uncertain { " (uncertain)" } else { "" },
            r.from,
            r.dst,
            r.n,
            r.expected,
            r.observed,
            r.masq,
            if r.agree { "yes" } else { "**NO**" }
        );
    }
    let passed = rows.iter().filter(|r| r.agree).count();
    let failed = rows.len() - passed;
    println!();
    for e in &errors {
        println!("error: {e}");
    }
    println!("oracle inputs and outputs: {}", work.display());
    println!("{passed} passed, {failed} failed");
    assert!(
        errors.is_empty() && failed == 0,
        "{failed} probe(s) disagree with the kernel, {} case error(s)",
        errors.len()
    );
}
