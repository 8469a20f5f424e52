//! Each finding code is produced in one file: scans `src/` (tests and comments left out) for the places
//! that make a finding with a code — `Finding::new(FindingCode::X`, `code: FindingCode::X` in a literal,
//! `const …: FindingCode = FindingCode::X`, the conntrack verdict's `(FindingCode::X, Severity…` — and
//! fails when a code has producers in two files, or when a code of the enum has none.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Codes still written by the iptables check and again by the nftables or IPVS analysis (a run-time
/// dedupe keeps the mode's). Each must become one producer; the test fails when one is fixed and left
/// listed here, so the list only shrinks.
const STILL_PRODUCED_TWICE: &[&str] = &[];

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code right after `FindingCode::` at the start of `text`, if any.
fn variant(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix("FindingCode::")?;
    let name: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
    (!name.is_empty()).then_some(name)
}

/// Every code a file produces.
fn produced(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("Finding::new(") {
        out.extend(variant(&code[at + "Finding::new(".len()..]));
    }
    for (at, _) in code.match_indices("code: FindingCode::") {
        out.extend(variant(&code[at + "code: ".len()..]));
    }
    for (at, _) in code.match_indices(": FindingCode = ") {
        out.extend(variant(&code[at + ": FindingCode = ".len()..]));
    }
    for (at, _) in code.match_indices("(FindingCode::") {
        let rest = &code[at + 1..];
        if rest
            .split_once(',')
            .is_some_and(|(_, after)| after.trim_start().starts_with("Severity"))
        {
            out.extend(variant(rest));
        }
    }
    out
}

/// The code of a file without comment lines and without its unit tests.
fn code_of(text: &str) -> String {
    let code: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    let code = code.join("\n");
    match code.find("#[cfg(test)]") {
        Some(at) => code[..at].to_string(),
        None => code,
    }
}

#[test]
fn each_finding_code_has_one_producing_file() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut producers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &all {
        let rel = file.strip_prefix(&src).unwrap().display().to_string();
        if rel == "report/code.rs" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read file");
        for code in produced(&code_of(&text)) {
            producers.entry(code).or_default().insert(rel.clone());
        }
    }
    let codes = svcpath_analysis::report::FindingCode::ALL;
    for code in codes {
        let name = format!("{code:?}");
        assert!(
            producers.contains_key(&name),
            "{name} ({code}) is produced nowhere: {producers:?}"
        );
    }
    let twice: Vec<&str> = producers
        .iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(code, _)| code.as_str())
        .collect();
    let unexpected: Vec<_> = twice
        .iter()
        .filter(|c| !STILL_PRODUCED_TWICE.contains(c))
        .map(|c| (c, &producers[*c]))
        .collect();
    assert!(
        unexpected.is_empty(),
        "codes produced in more than one file: {unexpected:?}"
    );
    let fixed: Vec<_> = STILL_PRODUCED_TWICE
        .iter()
        .filter(|c| !twice.contains(c))
        .collect();
    assert!(
        fixed.is_empty(),
        "now produced once, take them off STILL_PRODUCED_TWICE: {fixed:?}"
    );
}

#[test]
fn producers_are_read_from_each_form() {
    let code = "Finding::new(\n FindingCode::NoEndpoints, x)\nFinding { code: FindingCode::JumpLoop, }\n\
                pub const CODE: FindingCode = FindingCode::SkewedOdds;\n(FindingCode::ConntrackWarning, Severity::Warning)\n\
                if f.code == FindingCode::GarbledDnat {}";
    assert_eq!(
        produced(code),
        vec!["NoEndpoints", "JumpLoop", "SkewedOdds", "ConntrackWarning"]
    );
}

/// In nftables mode the mode's wording of a code wins for a Service port (it names the maps), and the
/// mode-neutral wording is not added beside it: each of these Service ports has the code once.
#[test]
fn nftables_mode_words_its_service_findings_once() {
    use svcpath_analysis::report::FindingCode;
    let paste = svcpath_testkit::corpus::read("nft/k8s-test-TestOverallNFTablesRules.txt");
    let report = svcpath_analysis::analyze(&paste, &svcpath_analysis::Options::default());
    let cases = [
        (
            FindingCode::EtpLocalNoLocalEndpoints,
            "ns2/svc2:p80",
            "no-endpoint maps",
        ),
        (
            FindingCode::NoEndpoints,
            "ns6/svc6:p80",
            "to its reject chain",
        ),
        (
            FindingCode::SessionAffinity,
            "ns5/svc5:p80",
            "update @affinity-",
        ),
    ];
    for (code, service, wording) in cases {
        let found: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.code == code && f.service.as_deref() == Some(service))
            .collect();
        assert_eq!(found.len(), 1, "{code} for {service}: {found:?}");
        assert!(found[0].message.contains(wording), "{:?}", found[0].message);
    }
}

/// Findings that name no Service are each kept: two dumps (IPv4 and IPv6) with an unreferenced
/// kube-proxy chain each give one `unused-kube-chain` per dump, each with its own chain and line.
#[test]
fn findings_without_a_service_are_kept_when_their_code_repeats() {
    use svcpath_analysis::report::FindingCode;
    let dump = |family: &str, chain: &str| {
        format!(
            "# Generated by {family}-save v1.8.7 on Wed Dec  2 10:00:00 2026\n*nat\n:PREROUTING ACCEPT [0:0]\n\
             :KUBE-SERVICES - [0:0]\n:{chain} - [0:0]\n-A PREROUTING -m comment --comment \"kubernetes \
             service portals\" -j KUBE-SERVICES\n-A {chain} -j RETURN\nCOMMIT\n\
             # Completed on Wed Dec  2 10:00:00 2026\n"
        )
    };
    let paste = dump("iptables", "KUBE-SVC-AAAAAAAAAAAAAAAA")
        + &dump("ip6tables", "KUBE-SVC-BBBBBBBBBBBBBBBB");
    let report = svcpath_analysis::analyze(&paste, &svcpath_analysis::Options::default());
    let unused: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code == FindingCode::UnusedKubeChain)
        .collect();
    assert_eq!(unused.len(), 2, "{unused:?}");
    assert!(unused[0].message.contains("KUBE-SVC-AAAAAAAAAAAAAAAA"));
    assert!(unused[1].message.contains("KUBE-SVC-BBBBBBBBBBBBBBBB"));
    assert_eq!(
        (unused[0].lines.as_slice(), unused[1].lines.as_slice()),
        (&[5][..], &[14][..])
    );
}
