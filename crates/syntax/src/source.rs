//! Positions in the pasted text: byte spans, section origins and numbered lines.

use serde::Serialize;

/// A byte range `[start, end)` in the whole paste.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// Where a section's text begins in the whole paste: its byte offset and 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub offset: usize,
    pub line: u32,
}

impl Origin {
    /// The origin of a text that is the whole paste.
    pub const START: Origin = Origin { offset: 0, line: 1 };
}

impl Default for Origin {
    fn default() -> Self {
        Origin::START
    }
}

/// One line of a section, without its line ending (`\n`, `\r\n` or a lone `\r`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number in the whole paste.
    pub number: u32,
    /// Byte span of `text` in the whole paste.
    pub span: Span,
    /// The line's text, line ending removed.
    pub text: &'a str,
}

impl<'a> Line<'a> {
    /// The span of a sub-slice of this line's text (which must point into `self.text`).
    pub fn span_of(&self, part: &str) -> Span {
        let base = self.text.as_ptr() as usize;
        let at = part.as_ptr() as usize;
        if at >= base && at + part.len() <= base + self.text.len() {
            let start = self.span.start + (at - base);
            Span::new(start, start + part.len())
        } else {
            self.span
        }
    }
}

/// Iterates over the lines of `text`, numbered from `origin`.
pub fn lines(text: &str, origin: Origin) -> Lines<'_> {
    Lines {
        rest: text,
        offset: origin.offset,
        number: origin.line,
    }
}

/// Iterator returned by [`lines`].
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    rest: &'a str,
    offset: usize,
    number: u32,
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let bytes = self.rest.as_bytes();
        let (len, ending) = match memchr_line_end(bytes) {
            Some(i) if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') => (i, 2),
            Some(i) => (i, 1),
            None => (bytes.len(), 0),
        };
        let text = &self.rest[..len];
        let line = Line {
            number: self.number,
            span: Span::new(self.offset, self.offset + len),
            text,
        };
        self.rest = &self.rest[len + ending..];
        self.offset += len + ending;
        self.number = self.number.saturating_add(1);
        Some(line)
    }
}

fn memchr_line_end(bytes: &[u8]) -> Option<usize> {
    memchr::memchr2(b'\n', b'\r', bytes)
}

/// Counts the lines of `text` the way [`lines`] numbers them.
pub fn count_lines(text: &str) -> u32 {
    lines(text, Origin::START).count() as u32
}

/// Longest line a parser reads, in bytes. No tool svcpath reads prints longer lines (an iptables comment
/// is at most 256 bytes); a longer line is skipped with a diagnostic, which keeps the work per line small.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The message for a line longer than [`MAX_LINE_BYTES`], or `None` for a line of normal length.
pub fn too_long(line: &Line<'_>) -> Option<String> {
    (line.text.len() > MAX_LINE_BYTES).then(|| {
        format!(
            "this line is {} long; svcpath skips lines longer than {} (no dump prints such lines)",
            human_bytes(line.text.len()),
            human_bytes(MAX_LINE_BYTES)
        )
    })
}

/// `1.5 MB`, `300 KB`, `12 bytes`.
pub fn human_bytes(n: usize) -> String {
    const MB: usize = 1024 * 1024;
    if n >= MB {
        format!("{:.1} MB", n as f64 / MB as f64)
    } else if n >= 1024 {
        format!("{} KB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Text with terminal escape sequences removed, and what was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    pub text: String,
    /// How many lines had escape sequences, and the first of them (1-based).
    pub lines: u32,
    pub first_line: u32,
    /// For each removed sequence: the offset in `text` where it was, and the bytes removed up to and
    /// including it (so that offsets can be taken back to the paste).
    removed: Vec<(usize, usize)>,
}

impl Stripped {
    /// The offset in the original text of `offset` in the stripped one. A character boundary maps to a
    /// character boundary (whole sequences of whole characters were removed); where a sequence was
    /// removed, the offset after it is given.
    pub fn paste_offset(&self, offset: usize) -> usize {
        let before = self.removed.partition_point(|(at, _)| *at <= offset);
        let shift = before.checked_sub(1).map_or(0, |i| self.removed[i].1);
        offset + shift
    }
}

/// Removes terminal colour and cursor sequences that a terminal capture may contain: CSI sequences
/// (`ESC [ parameters final`, as `grep --color=always` writes), OSC sequences (`ESC ] … BEL` or `ESC \`,
/// window titles) and other two-character escapes. A sequence never swallows a line break, so line
/// numbers stay those of the paste. Returns `None` when there was nothing to remove.
pub fn strip_ansi(text: &str) -> Option<Stripped> {
    if !text.contains('\u{1b}') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut line = 1u32;
    let mut last_marked = 0u32;
    let mut lines = 0u32;
    let mut first_line = 0u32;
    let mut removed: Vec<(usize, usize)> = Vec::new();
    let mut removed_bytes = 0usize;
    let mut chars = text.char_indices().peekable();
    let peek =
        |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| chars.peek().map(|&(_, c)| c);
    while let Some((at, c)) = chars.next() {
        if c != '\u{1b}' {
            if c == '\n' || (c == '\r' && peek(&mut chars) != Some('\n')) {
                line = line.saturating_add(1);
            }
            out.push(c);
            continue;
        }
        if last_marked != line {
            last_marked = line;
            lines = lines.saturating_add(1);
            if first_line == 0 {
                first_line = line;
            }
        }
        match peek(&mut chars) {
            Some('[') => {
                chars.next();
                // Parameter and intermediate bytes, then one final byte in '@'..='~'.
                while let Some(d) = peek(&mut chars) {
                    if (' '..='?').contains(&d) {
                        chars.next();
                    } else {
                        if ('@'..='~').contains(&d) {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            Some(']') => {
                chars.next();
                // Up to BEL or ESC \\, never past the end of the line.
                while let Some(d) = peek(&mut chars) {
                    if d == '\n' || d == '\r' {
                        break;
                    }
                    chars.next();
                    if d == '\u{7}' {
                        break;
                    }
                    if d == '\u{1b}' {
                        if peek(&mut chars) == Some('\\') {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            Some(d) if (' '..='~').contains(&d) => {
                chars.next();
            }
            _ => {}
        }
        let next = chars.peek().map_or(text.len(), |&(i, _)| i);
        removed_bytes += next - at;
        removed.push((out.len(), removed_bytes));
    }
    Some(Stripped {
        text: out,
        lines,
        first_line,
        removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_handle_every_ending_and_keep_spans() {
        let text = "a\r\nbb\ncc\rd";
        let got: Vec<_> = lines(
            text,
            Origin {
                offset: 10,
                line: 5,
            },
        )
        .collect();
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].text, "a");
        assert_eq!(got[0].span, Span::new(10, 11));
        assert_eq!(got[1].number, 6);
        assert_eq!(got[1].span, Span::new(13, 15));
        assert_eq!(got[2].text, "cc");
        assert_eq!(got[3].text, "d");
        assert_eq!(got[3].number, 8);
    }

    #[test]
    fn span_of_a_part() {
        let text = "hello world";
        let line = lines(
            text,
            Origin {
                offset: 100,
                line: 1,
            },
        )
        .next()
        .unwrap();
        assert_eq!(line.span_of(&line.text[6..]), Span::new(106, 111));
    }

    #[test]
    fn ansi_is_removed() {
        let s = strip_ansi("\u{1b}[1;31m-A X\u{1b}[0m").unwrap();
        assert_eq!(s.text, "-A X");
        assert_eq!((s.lines, s.first_line), (1, 1));
        assert!(strip_ansi("plain").is_none());
    }

    #[test]
    fn stripped_offsets_go_back_to_the_paste() {
        // 'a' ESC[31m 'é' ESC[0m 'b': offsets 0, 1..6, 6..8, 8..12, 12.
        let paste = "a\u{1b}[31m\u{e9}\u{1b}[0mb";
        let s = strip_ansi(paste).unwrap();
        assert_eq!(s.text, "a\u{e9}b");
        let mapped: Vec<usize> = (0..=s.text.len()).map(|i| s.paste_offset(i)).collect();
        assert_eq!(mapped, [0, 6, 7, 12, 13]);
        // Character boundaries of the stripped text stay boundaries of the paste.
        for (i, _) in s.text.char_indices() {
            assert!(paste.is_char_boundary(s.paste_offset(i)));
        }
        assert_eq!(
            &paste[s.paste_offset(1)..s.paste_offset(3)],
            "\u{e9}\u{1b}[0m"
        );
    }

    #[test]
    fn an_unfinished_escape_keeps_the_line_break() {
        let s = strip_ansi("a\u{1b}[31\nb\n\u{1b}]0;title\nc\u{1b}[K").unwrap();
        assert_eq!(s.text, "a\nb\ntitle\nc".replace("title", ""));
        assert_eq!((s.lines, s.first_line), (3, 1));
    }
}
