//! Reading the input: files or stdin as bytes, invalid UTF-8 replaced and reported by line.

use std::io::Read;

use svcpath_analysis::report::DiagnosticEntry;

/// The text to analyse and what was wrong with its bytes.
pub(crate) struct Input {
    pub(crate) text: String,
    pub(crate) diagnostics: Vec<DiagnosticEntry>,
}

/// Reads and joins the files (stdin for none or `-`), one after another with a line break between.
pub(crate) fn read(files: &[String]) -> Result<Input, String> {
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
/// happened gets one diagnostic (see `svcpath_analysis::input`).
pub(crate) fn decode(bytes: &[u8]) -> Input {
    let decoded = svcpath_analysis::input::decode(bytes);
    Input {
        text: decoded.text,
        diagnostics: decoded.diagnostics,
    }
}
