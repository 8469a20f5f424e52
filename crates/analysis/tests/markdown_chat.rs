//! Plain-chat Markdown of every corpus dump: no backslash escapes (chat tools print them literally),
//! and a Markdown renderer shows the names and messages exactly as the text report has them.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::path::PathBuf;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use svcpath_analysis::{analyze, render, Options};

fn corpus_files() -> Vec<PathBuf> {
    let out = svcpath_testkit::corpus::every_file();
    assert!(
        out.len() > 30,
        "the corpus is missing: {}",
        svcpath_testkit::corpus::dir().display()
    );
    out
}

/// What a renderer shows: text and code spans, breaks as spaces, one line per block; and whether it
/// saw raw HTML or a link.
fn rendered(md: &str) -> (String, bool) {
    let mut out = String::new();
    let mut markup = false;
    for event in Parser::new(md) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_)) => out.push('\n'),
            Event::Html(_)
            | Event::InlineHtml(_)
            | Event::Start(Tag::Link { .. } | Tag::Image { .. }) => markup = true,
            _ => {}
        }
    }
    (out, markup)
}

/// Spaces collapsed: a renderer joins words across the lines of a paragraph.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn chat_markdown_has_no_backslash_escapes_and_renders_the_text() {
    let mut checked = 0;
    for path in corpus_files() {
        let paste = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
        let report = analyze(&paste, &Options::default());
        let md = render::markdown_chat(&report);
        let name = path.display();
        let (shown, markup) = rendered(&md);
        assert!(
            !markup,
            "{name}: raw HTML or a link in chat Markdown:\n{md}"
        );
        // A backslash escape disappears when rendered; every backslash written must still be shown.
        assert_eq!(
            md.matches('\\').count(),
            shown.matches('\\').count(),
            "{name}: backslash escapes in chat Markdown:\n{md}"
        );
        assert!(
            !md.contains("<details>") && !md.contains("|---|"),
            "{name}: HTML or a table"
        );
        let shown = squash(&shown);
        for s in &report.services {
            assert!(
                shown.contains(&squash(&s.id)),
                "{name}: Service {} not shown as written",
                s.id
            );
        }
        for f in &report.findings {
            // The message's own code spans render without their backticks.
            let want = squash(&f.message.replace('`', ""));
            assert!(
                shown.contains(&want),
                "{name}: finding not shown as written:\n{want}\n--- shown:\n{shown}"
            );
        }
        for c in &report.diagnosis {
            assert!(
                shown.contains(&squash(&c.summary.replace('`', ""))),
                "{name}: cause {}",
                c.summary
            );
            if let Some(rule) = &c.rule {
                assert!(shown.contains(&squash(rule)), "{name}: rule {rule}");
            }
        }
        checked += 1;
    }
    assert!(checked > 30);
}

#[test]
fn github_markdown_still_escapes_and_chat_does_not() {
    // Names and messages as a hostile paste could make them.
    let report = svcpath_analysis::Report {
        services: vec![svcpath_analysis::report::Service {
            id: "ns/a_b*c:<x>".to_string(),
            ..Default::default()
        }],
        findings: vec![svcpath_analysis::report::Finding {
            code: svcpath_analysis::report::FindingCode::NoEndpoints,
            severity: svcpath_analysis::report::Severity::Warning,
            service: Some("ns/a_b*c:<x>".to_string()),
            lines: vec![3],
            message: "ns/a_b*c:<x> has [no](javascript:x) endpoints; run `kubectl get pods`."
                .to_string(),
        }],
        ..Default::default()
    };
    let github = render::markdown(&report);
    let chat = render::markdown_chat(&report);
    assert!(github.contains("a\\_b\\*c\\:\\<x\\>"), "{github}");
    assert!(!chat.contains('\\'), "{chat}");
    assert!(chat.contains("`ns/a_b*c:<x>`"), "{chat}");
    let (shown, markup) = rendered(&chat);
    assert!(!markup, "{chat}");
    assert!(
        squash(&shown)
            .contains("ns/a_b*c:<x> has [no](javascript:x) endpoints; run kubectl get pods."),
        "{shown}"
    );
}
