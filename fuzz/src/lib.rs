//! Invariants the fuzz targets check on every input: spans inside the paste on character boundaries,
//! line numbers inside the paste, sections in order and apart.
#![forbid(unsafe_code)]

use svcpath_syntax::{Diagnostic, Origin, Section, Span};

/// Turns fuzzer bytes into text the way a paste reaches the parsers: invalid UTF-8 replaced.
pub fn text_of(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// A paste with `section` placed after two lines of other text, and the section's origin in it, so that
/// a parser's offsets and line numbers are checked against a non-zero origin.
pub fn embed(section: &str) -> (String, Origin) {
    let head = "# before\n\n";
    let paste = format!("{head}{section}");
    (
        paste,
        Origin {
            offset: head.len(),
            line: 3,
        },
    )
}

/// Panics unless `span` lies inside `paste[origin.offset..]` on character boundaries.
pub fn check_span(paste: &str, origin: Origin, span: Span, what: &str) {
    assert!(
        span.start <= span.end,
        "{what}: span {span:?} runs backwards"
    );
    assert!(
        span.start >= origin.offset && span.end <= paste.len(),
        "{what}: span {span:?} is outside {}..{}",
        origin.offset,
        paste.len()
    );
    assert!(
        paste.is_char_boundary(span.start) && paste.is_char_boundary(span.end),
        "{what}: span {span:?} cuts a character"
    );
}

/// Panics unless every diagnostic's span and line lie inside the section.
pub fn check_diagnostics(paste: &str, origin: Origin, diagnostics: &[Diagnostic]) {
    let last_line = origin.line + svcpath_syntax::source::count_lines(&paste[origin.offset..]);
    for d in diagnostics {
        check_span(paste, origin, d.span, &d.message);
        assert!(
            d.line >= origin.line && d.line <= last_line.max(origin.line),
            "diagnostic line {} outside {}..={last_line}: {}",
            d.line,
            origin.line,
            d.message
        );
        assert!(!d.message.is_empty(), "empty diagnostic message");
    }
}

/// Panics unless the sections are in paste order, apart, inside the paste and on character boundaries.
pub fn check_sections(paste: &str, sections: &[Section]) {
    let lines = svcpath_syntax::source::count_lines(paste);
    let mut previous_end = 0usize;
    let mut previous_last_line = 0u32;
    for s in sections {
        check_span(paste, Origin::START, s.span, "section");
        assert!(
            s.span.start >= previous_end,
            "section {:?} overlaps the one before (ends at {previous_end})",
            s.span
        );
        assert!(
            s.first_line > previous_last_line || s.span.start == s.span.end,
            "section lines {}..{} overlap the one before (last {previous_last_line})",
            s.first_line,
            s.last_line
        );
        assert!(
            s.last_line <= lines.max(1) && s.first_line <= lines.saturating_add(1),
            "section lines {}..{} outside the paste's {lines} lines",
            s.first_line,
            s.last_line
        );
        assert_eq!(s.text(paste).len(), s.span.end - s.span.start);
        previous_end = s.span.end;
        previous_last_line = s.last_line.max(previous_last_line);
    }
}

/// Runs a section parser on the fuzzer's bytes, alone and after two lines of other text, and checks
/// every diagnostic's span and line.
pub fn check_section_parser<T>(
    data: &[u8],
    parse: impl Fn(&str, Origin) -> svcpath_syntax::Parsed<T>,
) {
    let text = text_of(data);
    for (paste, origin) in [(text.clone(), Origin::START), embed(&text)] {
        let parsed = parse(&paste[origin.offset..], origin);
        check_diagnostics(&paste, origin, &parsed.diagnostics);
    }
}
