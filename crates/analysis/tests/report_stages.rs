//! The report in stages (`Snapshot::report_in_stages`) ends in exactly the report `Snapshot::report`
//! gives, on every corpus dump, and hands over each stage once, in order, with the parts of the later
//! stages still empty and the parts of the earlier ones already final.

use svcpath_analysis::{Options, Report, ReportStage, Snapshot};

/// The report of `text` in stages: each stage with the report handed over then, and the report returned.
fn in_stages(text: &str) -> (Vec<(ReportStage, Report)>, Report, Report) {
    let options = Options::default();
    let snapshot = Snapshot::parse(text, &options);
    let mut seen = Vec::new();
    let last =
        snapshot.report_in_stages(&options, |stage, report| seen.push((stage, report.clone())));
    (seen, last, snapshot.report(&options))
}

#[test]
fn every_corpus_dump_ends_in_the_same_report() {
    let files = svcpath_testkit::corpus::every_file();
    assert!(files.len() > 20, "the corpus has {} dumps", files.len());
    for path in files {
        let text = svcpath_testkit::read_lossy(&path);
        let (seen, last, whole) = in_stages(&text);
        let name = path.display();
        assert_eq!(
            last, whole,
            "{name}: the staged report differs from the report"
        );
        let stages: Vec<ReportStage> = seen.iter().map(|(s, _)| *s).collect();
        assert_eq!(stages, ReportStage::ALL, "{name}");
        let (_, services) = &seen[0];
        assert_eq!(
            services.services, whole.services,
            "{name}: Services final at once"
        );
        assert_eq!(services.mode, whole.mode, "{name}");
        assert_eq!(services.node, whole.node, "{name}");
        assert_eq!(services.diagnostics, whole.diagnostics, "{name}");
        assert!(services.findings.is_empty(), "{name}: no findings yet");
        assert!(
            services.conntrack.is_none() && services.diagnosis.is_empty(),
            "{name}"
        );
        let (_, findings) = &seen[1];
        assert!(
            findings.conntrack.is_none() && findings.diagnosis.is_empty(),
            "{name}"
        );
        let (_, conntrack) = &seen[2];
        assert_eq!(
            conntrack.findings, whole.findings,
            "{name}: findings final before the diagnosis"
        );
        assert_eq!(conntrack.conntrack, whole.conntrack, "{name}");
        assert!(conntrack.diagnosis.is_empty(), "{name}");
        assert_eq!(
            &seen[3].1, &whole,
            "{name}: the last stage is the whole report"
        );
    }
}

#[test]
fn a_dump_with_findings_has_them_only_from_the_findings_stage_on() {
    use svcpath_analysis::report::FindingCode;
    // A finding the mode or the mode-neutral checks make (the conntrack ones come with the conntrack stage).
    let not_conntrack = |c: FindingCode| {
        !matches!(
            c,
            FindingCode::ConntrackCritical | FindingCode::ConntrackWarning
        )
    };
    let (seen, _, whole) = svcpath_testkit::corpus::every_file()
        .into_iter()
        .map(|p| in_stages(&svcpath_testkit::read_lossy(&p)))
        .find(|(_, _, whole)| whole.findings.iter().any(|f| not_conntrack(f.code)))
        .expect("a corpus dump with findings");
    assert!(seen[0].1.findings.is_empty());
    let found: Vec<_> = seen[1].1.findings.iter().map(|f| f.code).collect();
    let expected: Vec<_> = whole
        .findings
        .iter()
        .map(|f| f.code)
        .filter(|c| not_conntrack(*c))
        .collect();
    assert_eq!(found, expected);
}
