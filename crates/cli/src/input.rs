//! Reading the input: files or stdin as bytes, invalid UTF-8 replaced and reported by line.

use std::io::Read;

use svcpath_analysis::report::DiagnosticEntry;

/// The text to analyse and what was wrong with its bytes.
pub struct Input {
    pub text: String,
    pub diagnostics: Vec<DiagnosticEntry>,
}

/// Reads and joins the files (stdin for none or `-`), one after another with a line break between.
pub fn read(files: &[String]) -> Result<Input, String> {
    let mut bytes = Vec::new();
    if files.is_empty() {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
    } else {
        for (i, file) in files.iter().enumerate() {
            if i > 0 && !bytes.ends_with(b"\n") {
                bytes.push(b'\n');
            }
            if file == "-" {
                std::io::stdin()
                    .lock()
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("cannot read standard input: {e}"))?;
            } else {
                let mut f =
                    std::fs::File::open(file).map_err(|e| format!("cannot read {file}: {e}"))?;
                f.read_to_end(&mut bytes)
                    .map_err(|e| format!("cannot read {file}: {e}"))?;
            }
        }
    }
    // Valid UTF-8 without NUL bytes, the usual input, becomes the text as it is: no copy, no scan
    // character by character.
    if !bytes.contains(&0) {
        match String::from_utf8(bytes) {
            Ok(text) => {
                return Ok(Input {
                    text,
                    diagnostics: Vec::new(),
                })
            }
            Err(e) => bytes = e.into_bytes(),
        }
    }
    Ok(decode(&bytes))
}

/// Turns bytes into text: invalid UTF-8 sequences and NUL bytes become U+FFFD, each line where that
/// happened gets one diagnostic (at most 100 are listed).
pub fn decode(bytes: &[u8]) -> Input {
    // Most input is clean UTF-8 without NUL bytes: take it whole, without going character by character.
    if !bytes.contains(&0) {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return Input {
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
                    severity: "warning".to_string(),
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
    Input { text, diagnostics }
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
        assert_eq!(input.diagnostics[1].line, 3);
    }
}
