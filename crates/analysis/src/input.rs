//! Bytes to text for every front end: invalid UTF-8 sequences and NUL bytes become U+FFFD, and each line
//! where that happened gets a diagnostic, so the CLI (files, stdin) and the page (dropped or chosen files,
//! pastes) report the same thing with the same line numbers.

use crate::report::DiagnosticEntry;

/// The text and what was wrong with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub diagnostics: Vec<DiagnosticEntry>,
}

/// Turns bytes into text: invalid UTF-8 sequences and NUL bytes become U+FFFD, each line where that
/// happened gets one diagnostic (at most 100 are listed).
pub fn decode(bytes: &[u8]) -> Decoded {
    // Most input is clean UTF-8 without NUL bytes: take it whole, without going character by character.
    if !bytes.contains(&0) {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return Decoded {
                text: text.to_string(),
                diagnostics: Vec::new(),
            };
        }
    }
    let mut diagnostics = Vec::new();
    let mut text = String::with_capacity(bytes.len());
    let mut line = 1u32;
    let mut last_reported = 0u32;
    let mut bad_lines = 0usize;
    let mut rest = bytes;
    let mut report = |line: u32, at: usize, what: &str, diagnostics: &mut Vec<DiagnosticEntry>| {
        if line != last_reported {
            last_reported = line;
            bad_lines += 1;
            if diagnostics.len() < 100 {
                diagnostics.push(DiagnosticEntry {
                    line,
                    severity: crate::report::DiagnosticSeverity::Warning,
                    message: format!("{what} on this line were replaced by \u{fffd}"),
                    start: at,
                    end: at + 1,
                });
            }
        }
    };
    while !rest.is_empty() {
        let (valid, invalid_len) = match std::str::from_utf8(rest) {
            Ok(s) => (s, 0),
            Err(e) => {
                let (good, _) = rest.split_at(e.valid_up_to());
                // SAFETY-free: from_utf8 said this prefix is valid.
                let s = std::str::from_utf8(good).unwrap_or("");
                (s, e.error_len().unwrap_or(rest.len() - e.valid_up_to()))
            }
        };
        for c in valid.chars() {
            if c == '\0' {
                report(line, text.len(), "NUL bytes", &mut diagnostics);
                text.push('\u{fffd}');
                continue;
            }
            if c == '\n' {
                line = line.saturating_add(1);
            }
            text.push(c);
        }
        let consumed = valid.len();
        if invalid_len > 0 {
            report(
                line,
                text.len(),
                "bytes that are not UTF-8",
                &mut diagnostics,
            );
            text.push('\u{fffd}');
        }
        rest = &rest[consumed + invalid_len..];
    }
    if bad_lines > diagnostics.len() {
        let more = bad_lines - diagnostics.len();
        if let Some(last) = diagnostics.last_mut() {
            last.message
                .push_str(&format!(" (and {more} more lines like it)"));
        }
    }
    Decoded { text, diagnostics }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_are_replaced_and_reported_by_line() {
        let input = decode(b"ok\nbad \xff\xfe here\nnul\0\n");
        assert_eq!(input.text, "ok\nbad \u{fffd}\u{fffd} here\nnul\u{fffd}\n");
        assert_eq!(input.diagnostics.len(), 2);
        assert_eq!(input.diagnostics[0].line, 2);
        assert_eq!(
            input.diagnostics[0].message,
            "bytes that are not UTF-8 on this line were replaced by \u{fffd}"
        );
        assert_eq!(input.diagnostics[1].line, 3);
        assert_eq!(
            input.diagnostics[1].message,
            "NUL bytes on this line were replaced by \u{fffd}"
        );
        let clean = decode(b"fine\n");
        assert_eq!(clean.text, "fine\n");
        assert!(clean.diagnostics.is_empty());
    }
}
