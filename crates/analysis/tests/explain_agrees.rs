//! The Source view's notes and the report agree on every corpus and fixture line: for every iptables
//! rule the report read, the explanation names the same chain, target and owner, states the same
//! `statistic` share, and for every endpoint the report lists, the same share of its Service and the
//! same DNAT address; for every nft rule on a line of its own, the same verdict, DNAT address and owner.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::path::{Path, PathBuf};

use svcpath_analysis::explain::{explain, nft_rule_owners, percent, LineFacts, LineKind};
use svcpath_analysis::iptables::odds::statistic_probability;
use svcpath_analysis::owner::Owners;
use svcpath_analysis::{Options, Snapshot};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.txt` file under `dir`, recursively, sorted.
fn texts_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("{} is missing", dir.display());
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            texts_under(&path, out);
        } else if path.extension().is_some_and(|x| x == "txt") {
            out.push(path);
        }
    }
}

/// The corpus, the fixture dumps and the page's samples, by name.
fn dumps() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    texts_under(&root().join("../shared/corpus"), &mut paths);
    texts_under(&root().join("tests/fixtures"), &mut paths);
    texts_under(&root().join("crates/syntax/tests/fixtures"), &mut paths);
    texts_under(&root().join("web/samples"), &mut paths);
    let mut out: Vec<(String, String)> = paths
        .into_iter()
        .map(|p| {
            let text = String::from_utf8_lossy(&std::fs::read(&p).expect("readable")).into_owned();
            (p.display().to_string(), text)
        })
        .collect();
    // Negated and nth draws, which no capture shows: the share after `!` is the one the report uses.
    out.push((
        "negated and nth statistic".into(),
        "*nat\n\
         -A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment \"ns/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-X\n\
         -A KUBE-SVC-X -m comment --comment \"ns/web:http -> 10.0.0.1:80\" -m statistic --mode random ! --probability 0.30000000000 -j KUBE-SEP-A\n\
         -A KUBE-SVC-X -m comment --comment \"ns/web:http -> 10.0.0.2:80\" -m statistic --mode nth --every 2 --packet 0 -j KUBE-SEP-B\n\
         -A KUBE-SVC-X -m comment --comment \"ns/web:http -> 10.0.0.3:80\" -j KUBE-SEP-C\n\
         -A KUBE-SEP-A -p tcp -m comment --comment \"ns/web:http\" -m tcp -j DNAT --to-destination 10.0.0.1:80\n\
         -A KUBE-SEP-B -p tcp -m comment --comment \"ns/web:http\" -m tcp -j DNAT --to-destination 10.0.0.2:80\n\
         -A KUBE-SEP-C -p tcp -m comment --comment \"ns/web:http\" -m tcp -j DNAT --to-destination 10.0.0.3:80\n\
         COMMIT\n"
            .into(),
    ));
    out
}

/// The paste's lines by 1-based number, as the report counts them.
fn line_of<'t>(lines: &[&'t str], n: u32) -> &'t str {
    lines.get(n as usize - 1).copied().unwrap_or("")
}

#[test]
fn source_notes_and_the_report_agree_on_every_corpus_line() {
    let options = Options::default();
    let (mut rules, mut shares, mut endpoints, mut dnats, mut nft_rules) = (0, 0, 0, 0, 0);
    for (name, text) in dumps() {
        let snapshot = Snapshot::parse(&text, &options);
        let report = snapshot.report(&options);
        let owners = Owners::build(
            &snapshot.iptables.iter().collect::<Vec<_>>(),
            &snapshot.nft.iter().collect::<Vec<_>>(),
        );
        let lines: Vec<&str> = text.lines().collect();
        // What the worker sends beside the report: each nft rule line's owner.
        let nft_owners = nft_rule_owners(&snapshot);
        let explained = |n: u32| {
            explain(
                LineKind::Iptables,
                line_of(&lines, n),
                &LineFacts::from_report(&report, n),
            )
        };
        // Every rule the report read: same chain, target, owner and draw.
        for ruleset in &snapshot.iptables {
            for table in &ruleset.tables {
                for chain in &table.chains {
                    for rule in &chain.rules {
                        let at = format!("{name}:{}", rule.line);
                        let e = explained(rule.line).unwrap_or_else(|| panic!("{at}: no note"));
                        assert_eq!(e.facts.chain.as_deref(), Some(chain.name.as_str()), "{at}");
                        assert_eq!(e.facts.target.as_deref(), rule.target_name(), "{at}");
                        if let Some(owner) = owners.line(rule.line) {
                            assert_eq!(e.owner, Some(owner), "{at}");
                        }
                        if rule.module("statistic").is_some() {
                            let p = statistic_probability(rule);
                            assert_eq!(e.facts.match_share, p, "{at}");
                            if let Some(p) = p {
                                let note = e
                                    .parts
                                    .iter()
                                    .find(|x| x.term == Some("statistic"))
                                    .unwrap_or_else(|| panic!("{at}: no statistic note"));
                                assert!(
                                    note.meaning.contains(&format!("random {}", percent(p)))
                                        || rule.option("every").is_some(),
                                    "{at}: {}",
                                    note.meaning
                                );
                                shares += 1;
                            }
                        }
                        rules += 1;
                    }
                }
            }
        }
        // Every nft rule the report read, written on a line of its own in an nft section: the same
        // verdict, DNAT address and owner.
        let is_nft_line = |n: u32| {
            report.sections.iter().any(|s| {
                LineKind::from_section(s.kind.name()) == Some(LineKind::Nft)
                    && (s.first_line..=s.last_line).contains(&n)
            })
        };
        for ruleset in &snapshot.nft {
            for table in &ruleset.tables {
                for chain in &table.chains {
                    for rule in &chain.rules {
                        let n = rule.line;
                        let line = line_of(&lines, n);
                        let alone = line.trim_end().ends_with(rule.text.trim_end())
                            && owners.line(n).is_some();
                        if !is_nft_line(n) || !alone {
                            continue;
                        }
                        let at = format!("{name}:{n}");
                        let facts = LineFacts {
                            owner: nft_owners
                                .binary_search_by_key(&n, |(l, _)| *l)
                                .ok()
                                .map(|i| nft_owners[i].1),
                            ..LineFacts::default()
                        };
                        let Some(e) = explain(LineKind::Nft, line, &facts) else {
                            continue;
                        };
                        assert_eq!(
                            e.facts.target,
                            rule.verdict().map(|v| v.text()),
                            "{at}: {line}"
                        );
                        let dnat = rule.exprs.iter().find_map(|x| match x {
                            svcpath_syntax::nft::Expr::Nat(nat)
                                if nat.kind == svcpath_syntax::nft::NatKind::Dnat =>
                            {
                                nat.to.clone()
                            }
                            _ => None,
                        });
                        assert_eq!(e.facts.dnat_to, dnat, "{at}: {line}");
                        assert_eq!(e.owner, owners.line(n), "{at}: {line}");
                        nft_rules += 1;
                    }
                }
            }
        }
        // Every endpoint the report lists from iptables rules: the note on its rule gives the report's
        // share, and its DNAT rule the report's address.
        let is_iptables_line = |n: u32| {
            report.sections.iter().any(|s| {
                LineKind::from_section(s.kind.name()) == Some(LineKind::Iptables)
                    && (s.first_line..=s.last_line).contains(&n)
            })
        };
        for service in &report.services {
            for endpoint in &service.endpoints {
                let Some(&first) = endpoint.lines.first() else {
                    continue;
                };
                if !is_iptables_line(first) {
                    continue;
                }
                let at = format!("{name}:{first} ({})", service.id);
                let e = explained(first).unwrap_or_else(|| panic!("{at}: no note"));
                if e.facts.match_share.is_some() {
                    assert_eq!(e.facts.endpoint_share, Some(endpoint.probability), "{at}");
                    let note = e
                        .parts
                        .iter()
                        .find(|x| x.term == Some("statistic"))
                        .unwrap();
                    assert!(
                        note.meaning.contains(&format!(
                            "endpoint gets {} of all",
                            percent(endpoint.probability)
                        )) || note.meaning.contains(&format!(
                            "gives this endpoint {} of all",
                            percent(endpoint.probability)
                        )),
                        "{at}: {}",
                        note.meaning
                    );
                    endpoints += 1;
                }
                let dnat_to: Vec<String> = endpoint
                    .lines
                    .iter()
                    .filter_map(|&n| explained(n)?.facts.dnat_to)
                    .collect();
                if let Some(to) = dnat_to.first() {
                    let (ip, port) = svcpath_syntax::nft::split_address_port(to);
                    assert_eq!(ip.as_deref(), Some(endpoint.ip.as_str()), "{at}: {to}");
                    assert_eq!(port, endpoint.port, "{at}: {to}");
                    dnats += 1;
                }
            }
        }
    }
    // The corpus holds thousands of rules; the counts show the comparisons ran.
    eprintln!(
        "{rules} rules, {shares} draws, {endpoints} endpoint shares, {dnats} DNAT addresses, {nft_rules} nft rules"
    );
    assert!(rules > 800, "{rules} rules");
    assert!(
        shares >= 35 && endpoints >= 35 && dnats >= 80 && nft_rules >= 250,
        "{shares} {endpoints} {dnats} {nft_rules}"
    );
}
