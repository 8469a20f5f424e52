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
    bytes.iter().position(|&b| b == b'\n' || b == b'\r')
}

/// Counts the lines of `text` the way [`lines`] numbers them.
pub fn count_lines(text: &str) -> u32 {
    lines(text, Origin::START).count() as u32
}

/// Removes terminal colour and cursor sequences (`ESC [ … letter`) that a terminal capture may contain.
/// Returns `None` when there was nothing to remove.
pub fn strip_ansi(text: &str) -> Option<String> {
    if !text.contains('\u{1b}') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // Parameters and intermediates, then one final byte in '@'..='~'.
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    Some(out)
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
        assert_eq!(strip_ansi("\u{1b}[1;31m-A X\u{1b}[0m").unwrap(), "-A X");
        assert!(strip_ansi("plain").is_none());
    }
}
