//! Bytes to text: UTF-8 with or without a byte-order mark, UTF-16 LE/BE (what Windows PowerShell's `>`
//! writes), and anything else read as UTF-8 with the bytes that are not replaced by U+FFFD and reported
//! by line, as NUL bytes are.

/// The encoding a text was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (or bytes that are not, replaced line by line).
    Utf8,
    /// UTF-8 after a byte-order mark.
    Utf8Bom,
    /// UTF-16 little-endian after a byte-order mark.
    Utf16LeBom,
    /// UTF-16 big-endian after a byte-order mark.
    Utf16BeBom,
    /// UTF-16 little-endian without a mark: every second byte of the start is zero.
    Utf16LeGuessed,
}

impl Encoding {
    /// How a message names it.
    pub fn describe(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with a byte-order mark",
            Encoding::Utf16LeBom => "UTF-16 LE with a byte-order mark",
            Encoding::Utf16BeBom => "UTF-16 BE with a byte-order mark",
            Encoding::Utf16LeGuessed => "UTF-16 LE without a byte-order mark",
        }
    }
}

/// A line of the text where bytes were replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextIssue {
    /// 1-based line in the text.
    pub line: u32,
    /// Byte span in the text of the first replacement on the line.
    pub start: usize,
    pub end: usize,
    pub message: String,
}

/// The text, the encoding it was read in, and the lines where bytes were replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: Encoding,
    pub issues: Vec<TextIssue>,
}

/// Most lines with replaced bytes listed one by one; the last says how many more there were.
const MAX_ISSUES: usize = 100;

/// Which encoding the bytes are in, and where the text starts (after a byte-order mark).
pub fn sniff(bytes: &[u8]) -> (Encoding, usize) {
    match bytes {
        [0xef, 0xbb, 0xbf, ..] => (Encoding::Utf8Bom, 3),
        [0xff, 0xfe, ..] => (Encoding::Utf16LeBom, 2),
        [0xfe, 0xff, ..] => (Encoding::Utf16BeBom, 2),
        _ if looks_like_utf16_le(bytes) => (Encoding::Utf16LeGuessed, 0),
        _ => (Encoding::Utf8, 0),
    }
}

/// ASCII text written as UTF-16 LE without a mark: of the first 1,024 byte pairs, at least 90% are a
/// printable or white-space byte followed by a zero.
fn looks_like_utf16_le(bytes: &[u8]) -> bool {
    let pairs: Vec<&[u8]> = bytes.chunks_exact(2).take(1024).collect();
    if pairs.len() < 8 {
        return false;
    }
    let ascii = pairs
        .iter()
        .filter(|p| p[1] == 0 && (p[0].is_ascii_graphic() || p[0].is_ascii_whitespace()))
        .count();
    ascii * 10 >= pairs.len() * 9
}

/// Decodes `bytes` in the encoding [`sniff`] finds.
pub fn decode(bytes: &[u8]) -> Decoded {
    let (encoding, skip) = sniff(bytes);
    let body = &bytes[skip..];
    let mut out = match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => decode_utf8(body),
        Encoding::Utf16LeBom | Encoding::Utf16LeGuessed => decode_utf16(body, u16::from_le_bytes),
        Encoding::Utf16BeBom => decode_utf16(body, u16::from_be_bytes),
    };
    out.encoding = encoding;
    out
}

/// [`decode`] of bytes the caller gives up: clean UTF-8 (the usual capture) becomes the text without a
/// copy.
pub fn decode_owned(mut bytes: Vec<u8>) -> Decoded {
    let (encoding, skip) = sniff(&bytes);
    if matches!(encoding, Encoding::Utf8 | Encoding::Utf8Bom) && !bytes.contains(&0) {
        bytes.drain(..skip);
        match String::from_utf8(bytes) {
            Ok(text) => {
                return Decoded {
                    text,
                    encoding,
                    issues: Vec::new(),
                }
            }
            Err(e) => bytes = e.into_bytes(),
        }
        let mut out = decode_utf8(&bytes);
        out.encoding = encoding;
        return out;
    }
    decode(&bytes)
}

/// Collects the replacements, one issue per line.
struct Replacements {
    line: u32,
    last_reported: u32,
    bad_lines: usize,
    issues: Vec<TextIssue>,
}

impl Replacements {
    fn new() -> Self {
        Replacements {
            line: 1,
            last_reported: 0,
            bad_lines: 0,
            issues: Vec::new(),
        }
    }

    fn report(&mut self, at: usize, what: &str) {
        if self.line != self.last_reported {
            self.last_reported = self.line;
            self.bad_lines += 1;
            if self.issues.len() < MAX_ISSUES {
                self.issues.push(TextIssue {
                    line: self.line,
                    start: at,
                    end: at + 1,
                    message: format!("{what} on this line were replaced by \u{fffd}"),
                });
            }
        }
    }

    /// Appends `c` to `text`; NUL becomes U+FFFD and is reported.
    fn push(&mut self, text: &mut String, c: char) {
        if c == '\0' {
            self.report(text.len(), "NUL bytes");
            text.push('\u{fffd}');
            return;
        }
        if c == '\n' {
            self.line = self.line.saturating_add(1);
        }
        text.push(c);
    }

    fn finish(mut self) -> Vec<TextIssue> {
        if self.bad_lines > self.issues.len() {
            let more = self.bad_lines - self.issues.len();
            if let Some(last) = self.issues.last_mut() {
                last.message
                    .push_str(&format!(" (and {more} more lines like it)"));
            }
        }
        self.issues
    }
}

fn decode_utf8(bytes: &[u8]) -> Decoded {
    // Most input is clean UTF-8 without NUL bytes: taken whole, not character by character.
    if !bytes.contains(&0) {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return Decoded {
                text: text.to_string(),
                encoding: Encoding::Utf8,
                issues: Vec::new(),
            };
        }
    }
    let mut text = String::with_capacity(bytes.len());
    let mut replacements = Replacements::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            replacements.push(&mut text, c);
        }
        if !chunk.invalid().is_empty() {
            replacements.report(text.len(), "bytes that are not UTF-8");
            text.push('\u{fffd}');
        }
    }
    Decoded {
        text,
        encoding: Encoding::Utf8,
        issues: replacements.finish(),
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Decoded {
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut replacements = Replacements::new();
    let units = bytes.chunks_exact(2).map(|p| unit([p[0], p[1]]));
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => replacements.push(&mut text, c),
            Err(_) => {
                replacements.report(text.len(), "UTF-16 code units that are not text");
                text.push('\u{fffd}');
            }
        }
    }
    if bytes.len() % 2 == 1 {
        replacements.report(text.len(), "an odd last byte (UTF-16 needs pairs)");
        text.push('\u{fffd}');
    }
    Decoded {
        text,
        encoding: Encoding::Utf8,
        issues: replacements.finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut units: Vec<u16> = text.encode_utf16().collect();
        if bom {
            units.insert(0, 0xfeff);
        }
        for u in units {
            out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    #[test]
    fn utf16_with_either_mark_reads_as_the_text() {
        let text = "*nat\n-A KUBE-SERVICES -m comment --comment \"shop/web:http\" -j X\nCOMMIT\n";
        for (le, encoding) in [(true, Encoding::Utf16LeBom), (false, Encoding::Utf16BeBom)] {
            let decoded = decode(&utf16(text, le, true));
            assert_eq!(decoded.text, text);
            assert_eq!(decoded.encoding, encoding);
            assert!(decoded.issues.is_empty());
        }
        let guessed = decode(&utf16(text, true, false));
        assert_eq!(guessed.text, text);
        assert_eq!(guessed.encoding, Encoding::Utf16LeGuessed);
    }

    #[test]
    fn owned_bytes_decode_as_borrowed_ones() {
        for bytes in [
            &b"plain\n"[..],
            b"\xef\xbb\xbfmarked\n",
            b"bad \xff\n",
            b"nul\0\n",
            b"\xff\xfea\0\n\0",
        ] {
            assert_eq!(decode_owned(bytes.to_vec()), decode(bytes));
        }
    }

    #[test]
    fn a_utf8_mark_is_dropped() {
        let decoded = decode(b"\xef\xbb\xbf*filter\nCOMMIT\n");
        assert_eq!(decoded.text, "*filter\nCOMMIT\n");
        assert_eq!(decoded.encoding, Encoding::Utf8Bom);
    }

    #[test]
    fn other_bytes_are_replaced_and_reported_by_line() {
        let decoded = decode(b"ok\nbad \xff\xfe here\nnul\0\n");
        assert_eq!(decoded.text, "ok\nbad \u{fffd}\u{fffd} here\nnul\u{fffd}\n");
        let lines: Vec<u32> = decoded.issues.iter().map(|i| i.line).collect();
        assert_eq!(lines, [2, 3]);
        assert_eq!(
            decoded.issues[0].message,
            "bytes that are not UTF-8 on this line were replaced by \u{fffd}"
        );
    }

    #[test]
    fn a_lone_surrogate_and_an_odd_byte_are_reported() {
        let mut bytes = utf16("a\nb", true, true);
        bytes.extend([0x00, 0xd8]); // a high surrogate with nothing after it
        bytes.push(b'x');
        let decoded = decode(&bytes);
        assert_eq!(decoded.text, "a\nb\u{fffd}\u{fffd}");
        assert_eq!(decoded.issues.len(), 1);
        assert_eq!(decoded.issues[0].line, 2);
    }
}
