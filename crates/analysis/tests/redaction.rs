//! Redaction over every dump we have (the shared corpus, the page's samples, the kernel conformance
//! dumps): the redacted dump holds none of the original names, addresses or chain hashes of original
//! names, and explains exactly as the original does — the same findings, Services, odds and traces.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use svcpath_analysis::redact::{Redactor, KEPT_NAMES, VOCABULARY};
use svcpath_analysis::report::Report;
use svcpath_analysis::{analyze, trace, Options, Snapshot};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every dump: `../shared/corpus/**`, `web/samples`, `tests/conformance`.
fn dumps() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "txt" || e == "nft")
                && path.file_name().is_some_and(|n| n != "SOURCES.md")
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for dir in ["../shared/corpus", "web/samples", "tests/conformance"] {
        walk(&root().join(dir), &mut out);
    }
    out.sort();
    assert!(
        out.len() >= 50,
        "the corpus is missing: {} dumps",
        out.len()
    );
    out
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

/// Words of a text, cut at everything that cannot be part of a name.
fn name_words(text: &str) -> HashSet<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Words of a text, cut at everything that cannot be part of an address.
fn address_words(text: &str) -> HashSet<&str> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':'))
        .map(|w| w.trim_matches(['.', ':']))
        .filter(|w| !w.is_empty())
        .collect()
}

fn round(p: f64) -> i64 {
    (p * 1e6).round() as i64
}

/// Findings as (code, severity, Service) with the Service id redacted, counted.
fn findings(report: &Report, redact: &mut dyn FnMut(&str) -> String) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in &report.findings {
        let service = f.service.as_deref().map(&mut *redact).unwrap_or_default();
        *out.entry(format!("{} {:?} {service}", f.code, f.severity))
            .or_default() += 1;
    }
    out
}

/// A Service's traces as comparable facts: per path, its outcomes (verdict, odds, endpoint,
/// masquerade, uncertain), sorted.
fn traces(
    paths: &[(String, trace::Trace)],
    redact: &mut dyn FnMut(&str) -> String,
) -> Vec<Vec<String>> {
    paths
        .iter()
        .map(|(_, t)| {
            let mut outcomes: Vec<String> = t
                .outcomes
                .iter()
                .map(|o| {
                    format!(
                        "{} {} {} {} {}",
                        o.verdict,
                        round(o.probability),
                        o.endpoint.as_deref().map(&mut *redact).unwrap_or_default(),
                        o.masquerade,
                        o.uncertain
                    )
                })
                .collect();
            outcomes.sort();
            outcomes
        })
        .collect()
}

fn check(path: &Path) -> Result<(), String> {
    let name = path.display().to_string();
    let dump = read(path);
    let options = Options::default();
    let report = analyze(&dump, &options);
    let mut redactor = Redactor::for_input(Some(&report), &dump);
    let redacted = redactor.text(&dump);
    let redacted_options = redactor.options(&options);
    let after = analyze(&redacted, &redacted_options);
    let mut map = |s: &str| redactor.text(s);

    if redacted.lines().count() != dump.lines().count() {
        return Err(format!("{name}: line count changed"));
    }
    if report.mode != after.mode || report.leftover_modes != after.leftover_modes {
        return Err(format!(
            "{name}: mode {:?} became {:?}",
            report.mode, after.mode
        ));
    }
    let (before_findings, after_findings) = (
        findings(&report, &mut map),
        findings(&after, &mut |s: &str| s.to_string()),
    );
    if before_findings != after_findings {
        return Err(format!(
            "{name}: findings differ\n  original: {before_findings:?}\n  redacted: {after_findings:?}"
        ));
    }
    if report.rules != after.rules {
        return Err(format!(
            "{name}: rule counts {:?} became {:?}",
            report.rules, after.rules
        ));
    }
    if report.diagnostics.len() != after.diagnostics.len() {
        return Err(format!(
            "{name}: {} diagnostics became {}: {:?}",
            report.diagnostics.len(),
            after.diagnostics.len(),
            after
                .diagnostics
                .iter()
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        ));
    }
    let kinds = |r: &Report| {
        r.sections
            .iter()
            .map(|s| (s.kind, s.first_line, s.last_line))
            .collect::<Vec<_>>()
    };
    if kinds(&report) != kinds(&after) {
        return Err(format!("{name}: sections differ"));
    }
    if report.node.node_ips.len() != after.node.node_ips.len()
        || report.node.pod_cidrs.len() != after.node.pod_cidrs.len()
        || report.node.ip_family != after.node.ip_family
    {
        return Err(format!(
            "{name}: node facts differ: {:?} / {:?}",
            report.node, after.node
        ));
    }
    if report.conntrack.as_ref().map(|c| c.verdict) != after.conntrack.as_ref().map(|c| c.verdict) {
        return Err(format!("{name}: conntrack verdict differs"));
    }
    if report.services.len() != after.services.len() {
        return Err(format!(
            "{name}: {} Services became {}",
            report.services.len(),
            after.services.len()
        ));
    }
    let snapshot = Snapshot::parse(&dump, &options);
    let redacted_snapshot = Snapshot::parse(&redacted, &redacted_options);
    for service in &report.services {
        let id = map(&service.id);
        let Some(other) = after.services.iter().find(|s| s.id == id) else {
            return Err(format!(
                "{name}: Service {} ({id}) is missing after redaction",
                service.id
            ));
        };
        let endpoints = |s: &svcpath_analysis::report::Service,
                         f: &mut dyn FnMut(&str) -> String| {
            let mut e: Vec<_> = s
                .endpoints
                .iter()
                .map(|e| (f(&e.ip), e.port, round(e.probability), e.local))
                .collect();
            e.sort();
            e
        };
        let same = service.cluster_ip.as_deref().map(&mut map) == other.cluster_ip
            && service.port == other.port
            && service.node_port == other.node_port
            && service.protocol == other.protocol
            && service.no_endpoints == other.no_endpoints
            && service.external_traffic_policy == other.external_traffic_policy
            && service.session_affinity_seconds == other.session_affinity_seconds
            && service
                .external_ips
                .iter()
                .map(|s| map(s))
                .collect::<Vec<_>>()
                == other.external_ips
            && service
                .load_balancer_ips
                .iter()
                .map(|s| map(s))
                .collect::<Vec<_>>()
                == other.load_balancer_ips
            && endpoints(service, &mut map) == endpoints(other, &mut |s: &str| s.to_string());
        if !same {
            return Err(format!(
                "{name}: Service {} differs:\n  {service:?}\n  {other:?}",
                service.id
            ));
        }
        let before = traces(
            &trace::service_paths(&snapshot, &options, service),
            &mut map,
        );
        let after_traces = traces(
            &trace::service_paths(&redacted_snapshot, &redacted_options, other),
            &mut |s: &str| s.to_string(),
        );
        if before != after_traces {
            return Err(format!(
                "{name}: traces of {} differ\n  original: {before:?}\n  redacted: {after_traces:?}",
                service.id
            ));
        }
    }

    // Nothing of the original is left: names, addresses, chain hashes.
    let words = name_words(&redacted);
    for service in &report.services {
        for original in [&service.namespace, &service.name].into_iter().flatten() {
            if KEPT_NAMES.contains(&original.as_str()) {
                continue;
            }
            if after.services.iter().any(|s| {
                s.namespace.as_ref() == Some(original) || s.name.as_ref() == Some(original)
            }) {
                return Err(format!(
                    "{name}: the name {original} is in the redacted report"
                ));
            }
            let vocabulary = VOCABULARY.iter().any(|w| w.eq_ignore_ascii_case(original));
            if !vocabulary && words.contains(original.as_str()) {
                return Err(format!(
                    "{name}: the name {original} is left in the redacted dump"
                ));
            }
        }
    }
    // Port names and host names too: everything the redactor replaces is gone outside the vocabulary.
    for original in redactor.replaced_names() {
        let vocabulary = VOCABULARY.iter().any(|w| w.eq_ignore_ascii_case(&original));
        if !vocabulary && words.contains(original.as_str()) {
            return Err(format!(
                "{name}: the name {original} is left in the redacted dump"
            ));
        }
    }
    let mut images = HashSet::new();
    let mut changed = Vec::new();
    // Networks map to networks: `10.0.0.0/8` stays `10.0.0.0/8`.
    for token in dump.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':' || c == '/'))
    {
        if token.contains('/') {
            for word in address_words(&redactor.text(token)) {
                images.insert(word.to_string());
            }
        }
    }
    for word in address_words(&dump) {
        if let Some(mapped) = redactor.address(word) {
            if mapped != word {
                changed.push(word.to_string());
            }
            images.insert(mapped);
        }
    }
    let left = address_words(&redacted);
    for original in &changed {
        if left.contains(original.as_str()) && !images.contains(original) {
            return Err(format!(
                "{name}: the address {original} is left in the redacted dump"
            ));
        }
    }
    for (original, new) in redactor.chain_hashes() {
        if original != new && words.iter().any(|w| w.contains(original)) {
            return Err(format!(
                "{name}: the chain hash {original} is left in the redacted dump"
            ));
        }
    }
    Ok(())
}

#[test]
fn every_dump_redacts_to_the_same_analysis_and_leaks_nothing() {
    let failures: Vec<String> = dumps().iter().filter_map(|p| check(p).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} dumps:\n{}",
        failures.len(),
        dumps().len(),
        failures.join("\n\n")
    );
}
