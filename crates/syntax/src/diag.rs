//! Diagnostics: what a parser did not understand, with the line and byte span that show it.

use serde::Serialize;

use crate::source::{Line, Span};

/// How much a diagnostic matters to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context only: something was recognised but deliberately not used.
    Info,
    /// Part of a line was not understood; the rest of it was used.
    Warning,
    /// A whole line or more was not understood and is left out of the analysis.
    Error,
}

/// One thing a parser could not (fully) understand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// 1-based line number in the whole paste.
    pub line: u32,
    /// Byte span in the whole paste.
    pub span: Span,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn new(line: &Line<'_>, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            line: line.number,
            span: line.span,
            severity,
            message: message.into(),
        }
    }

    pub fn error(line: &Line<'_>, message: impl Into<String>) -> Self {
        Self::new(line, Severity::Error, message)
    }

    pub fn warning(line: &Line<'_>, message: impl Into<String>) -> Self {
        Self::new(line, Severity::Warning, message)
    }

    pub fn info(line: &Line<'_>, message: impl Into<String>) -> Self {
        Self::new(line, Severity::Info, message)
    }
}

/// A parser's answer: the value it could build, and what it could not understand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed<T> {
    pub value: T,
    pub diagnostics: Vec<Diagnostic>,
}

/// Most diagnostics one parser keeps for one section; past it they are counted, and one closing
/// diagnostic says how many were left out. Bounds memory on a paste of garbage.
pub const MAX_DIAGNOSTICS: usize = 1000;

/// A list of diagnostics that keeps at most [`MAX_DIAGNOSTICS`] and counts the rest.
#[derive(Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
    left_out: usize,
    first_left_out: Option<(u32, Span)>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if self.list.len() < MAX_DIAGNOSTICS {
            self.list.push(diagnostic);
        } else {
            self.left_out += 1;
            self.first_left_out
                .get_or_insert((diagnostic.line, diagnostic.span));
        }
    }

    pub fn len(&self) -> usize {
        self.list.len() + self.left_out
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kept diagnostics, plus one that says how many were left out.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        if let Some((line, span)) = self.first_left_out {
            self.list.push(Diagnostic {
                line,
                span,
                severity: Severity::Error,
                message: format!(
                    "{} more problems from line {line} on are not listed (svcpath lists the first {MAX_DIAGNOSTICS} of a section)",
                    self.left_out
                ),
            });
        }
        self.list
    }
}

/// Longest excerpt of user text quoted in a diagnostic message, in characters.
pub const MAX_QUOTE_CHARS: usize = 80;

/// Quotes user text for a message: at most [`MAX_QUOTE_CHARS`] characters, control characters shown escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == MAX_QUOTE_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_past_the_limit_are_counted() {
        let text = "x";
        let line = crate::source::lines(text, crate::Origin::START)
            .next()
            .unwrap();
        let mut d = Diagnostics::default();
        for _ in 0..MAX_DIAGNOSTICS + 5 {
            d.push(Diagnostic::error(&line, "bad"));
        }
        assert_eq!(d.len(), MAX_DIAGNOSTICS + 5);
        let list = d.finish();
        assert_eq!(list.len(), MAX_DIAGNOSTICS + 1);
        assert!(list[MAX_DIAGNOSTICS].message.starts_with("5 more problems"));
    }

    #[test]
    fn quote_cuts_long_text_and_escapes_controls() {
        let long = "x".repeat(200);
        let q = quote(&long);
        assert_eq!(q.chars().count(), MAX_QUOTE_CHARS + 3);
        assert_eq!(quote("a\u{1b}[31m"), "\"a\\u{1b}[31m\"");
    }
}
