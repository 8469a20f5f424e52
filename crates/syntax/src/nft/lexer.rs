//! Splits nft text into tokens (words, strings, braces, separators, comments, line ends) with their lines
//! and byte spans in the whole paste.

use crate::diag::Diagnostic;
use std::collections::VecDeque;

use crate::source::{lines, Line, Lines, Origin, Span};

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// A run of characters that are not blanks, quotes, braces, `;`, `,` or `#`.
    Word(&'a str),
    /// A double-quoted string, quotes removed.
    Str(String),
    Open,
    Close,
    Semi,
    Comma,
    /// `# …` to the end of the line, `#` removed and trimmed.
    Comment(&'a str),
    /// The end of a line (not produced after a `\` continuation).
    Newline,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: Tok<'a>,
    pub line: u32,
    pub span: Span,
}

impl<'a> Token<'a> {
    pub fn word(&self) -> Option<&'a str> {
        match self.kind {
            Tok::Word(w) => Some(w),
            _ => None,
        }
    }

    /// The text of a word or string token.
    pub fn text(&self) -> Option<String> {
        match &self.kind {
            Tok::Word(w) => Some((*w).to_string()),
            Tok::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    pub fn is_word(&self, word: &str) -> bool {
        matches!(self.kind, Tok::Word(w) if w == word)
    }
}

/// Tokenizes a section. Unclosed strings run to the end of their line and are reported.
pub(crate) fn tokenize<'a>(
    text: &'a str,
    origin: Origin,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Token<'a>> {
    let mut lexer = Lexer::new(text, origin);
    let mut out = Vec::new();
    while let Some(t) = lexer.next() {
        out.push(t);
    }
    diagnostics.append(&mut lexer.diagnostics);
    out
}

/// The tokens of a section read a line at a time, so that a parser holds only the tokens it has not
/// consumed yet (a map of a million elements is never a million tokens in memory at once).
pub(crate) struct Lexer<'a> {
    lines: Lines<'a>,
    ahead: VecDeque<Token<'a>>,
    scratch: Vec<Token<'a>>,
    /// What the tokenizer reported (unclosed strings), in line order.
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str, origin: Origin) -> Lexer<'a> {
        Lexer {
            lines: lines(text, origin),
            ahead: VecDeque::new(),
            scratch: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Tokenizes the next line onto the tokens ahead; false at the end of the text.
    fn read_line(&mut self) -> bool {
        let Some(line) = self.lines.next() else {
            return false;
        };
        let continued = line_tokens(&line, &mut self.scratch, &mut self.diagnostics);
        if !continued {
            self.scratch.push(Token {
                kind: Tok::Newline,
                line: line.number,
                span: Span::new(line.span.end, line.span.end),
            });
        }
        self.ahead.extend(self.scratch.drain(..));
        true
    }

    /// The token `n` places ahead (0: the next one).
    pub fn peek_nth(&mut self, n: usize) -> Option<&Token<'a>> {
        while self.ahead.len() <= n {
            if !self.read_line() {
                return None;
            }
        }
        self.ahead.get(n)
    }

    pub fn peek(&mut self) -> Option<&Token<'a>> {
        self.peek_nth(0)
    }

    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Token<'a>> {
        self.peek_nth(0)?;
        self.ahead.pop_front()
    }
}

/// Tokenizes one line; returns true when it ends with a `\` continuation.
fn line_tokens<'a>(
    line: &Line<'a>,
    out: &mut Vec<Token<'a>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let text = line.text;
    let bytes = text.as_bytes();
    let mut i = 0;
    let at = |start: usize, end: usize| Span::new(line.span.start + start, line.span.start + end);
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\x0b' | b'\x0c' => i += 1,
            b'{' | b'}' | b';' | b',' => {
                let kind = match b {
                    b'{' => Tok::Open,
                    b'}' => Tok::Close,
                    b';' => Tok::Semi,
                    _ => Tok::Comma,
                };
                out.push(Token {
                    kind,
                    line: line.number,
                    span: at(i, i + 1),
                });
                i += 1;
            }
            b'#' => {
                let comment = text.get(i + 1..).unwrap_or("").trim();
                out.push(Token {
                    kind: Tok::Comment(comment),
                    line: line.number,
                    span: at(i, bytes.len()),
                });
                return false;
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut value = String::new();
                let mut closed = false;
                while i < bytes.len() {
                    match bytes[i] {
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        b'\\'
                            if i + 1 < bytes.len()
                                && (bytes[i + 1] == b'"' || bytes[i + 1] == b'\\') =>
                        {
                            value.push(bytes[i + 1] as char);
                            i += 2;
                        }
                        _ => {
                            // Copy one whole character.
                            let rest = text.get(i..).unwrap_or("");
                            match rest.chars().next() {
                                Some(c) => {
                                    value.push(c);
                                    i += c.len_utf8();
                                }
                                None => break,
                            }
                        }
                    }
                }
                if !closed {
                    diagnostics.push(Diagnostic {
                        line: line.number,
                        span: at(start, bytes.len()),
                        severity: crate::diag::Severity::Warning,
                        message: "a quoted string is not closed on its line; it was read to the end of the line".into(),
                    });
                }
                out.push(Token {
                    kind: Tok::Str(value),
                    line: line.number,
                    span: at(start, i),
                });
            }
            b'\\' if text[i + 1..].trim().is_empty() => return true,
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\x0b' | b'\x0c' | b'{' | b'}' | b';' | b',' | b'#' | b'"'
                    )
                {
                    i += 1;
                }
                // `start < i` always holds: the first byte is none of the stop bytes.
                let word = text.get(start..i).unwrap_or("");
                out.push(Token {
                    kind: Tok::Word(word),
                    line: line.number,
                    span: at(start, i),
                });
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Tok<'_>> {
        let mut d = Vec::new();
        tokenize(text, Origin::START, &mut d)
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn words_braces_strings_and_comments() {
        let got = kinds("elements = { 1.2.3.4, 5.6.7.8 } comment \"a \\\"b\\\"\" # handle 4\n");
        assert_eq!(
            got,
            vec![
                Tok::Word("elements"),
                Tok::Word("="),
                Tok::Open,
                Tok::Word("1.2.3.4"),
                Tok::Comma,
                Tok::Word("5.6.7.8"),
                Tok::Close,
                Tok::Word("comment"),
                Tok::Str("a \"b\"".into()),
                Tok::Comment("handle 4"),
                Tok::Newline,
            ]
        );
    }

    #[test]
    fn backslash_continues_a_line() {
        assert_eq!(
            kinds("a \\\nb"),
            vec![Tok::Word("a"), Tok::Word("b"), Tok::Newline]
        );
    }

    #[test]
    fn unclosed_string_is_reported() {
        let mut d = Vec::new();
        let t = tokenize("comment \"cut", Origin { offset: 5, line: 3 }, &mut d);
        assert_eq!(t[1].kind, Tok::Str("cut".into()));
        assert_eq!(t[1].span, Span::new(13, 17));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 3);
    }
}
