//! The one iptables tokenizer: a rule line's words with their byte ranges and quoting as iptables-save writes it.

use super::*;

/// Splits a rule into words: bare words and `"quoted strings"` with backslash escapes.
pub fn tokenize(text: &str) -> Result<Vec<Token<'_>>, String> {
    let mut words = Vec::new();
    let mut at = skip_whitespace(text, 0);
    while at < text.len() {
        let rest = &text[at..];
        if rest.starts_with('"') {
            match quoted(rest) {
                Ok((next, word)) => {
                    words.push(Token {
                        text: Cow::Owned(word),
                        quoted: true,
                    });
                    at = text.len() - next.len();
                }
                // An unterminated quote: a line cut off in the middle of a comment.
                Err(_) => {
                    return Err(format!(
                        "a quoted string is not closed (line cut off?): {}",
                        quote(rest)
                    ))
                }
            }
        } else {
            let end = word_end(text, at);
            words.push(Token {
                text: Cow::Borrowed(&text[at..end]),
                quoted: false,
            });
            at = end;
        }
        at = skip_whitespace(text, at);
    }
    Ok(words)
}

/// One word of a rule line as [`tokenize`] read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    pub text: Cow<'a, str>,
    /// Written in double quotes: always a value, whatever it looks like (`"--x"`, `"!"`, `"- "`), as
    /// getopt hands a quoted argument to the option before it.
    pub quoted: bool,
}

/// A word [`build_rule`] reads: its text, and whether it was quoted.
pub trait RuleWord {
    fn text(&self) -> &str;
    fn quoted(&self) -> bool {
        false
    }
}

impl RuleWord for Token<'_> {
    fn text(&self) -> &str {
        &self.text
    }
    fn quoted(&self) -> bool {
        self.quoted
    }
}

impl RuleWord for String {
    fn text(&self) -> &str {
        self
    }
}

impl RuleWord for &str {
    fn text(&self) -> &str {
        self
    }
}

/// The whitespace `iptables-save` and a terminal can put between words (Unicode's, as
/// [`char::is_whitespace`]); ASCII is decided from the byte alone.
fn whitespace_at(text: &str, at: usize) -> Option<usize> {
    match text.as_bytes()[at] {
        b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => Some(1),
        b if b < 0x80 => None,
        _ => text[at..]
            .chars()
            .next()
            .filter(|c| c.is_whitespace())
            .map(char::len_utf8),
    }
}

fn skip_whitespace(text: &str, mut at: usize) -> usize {
    while at < text.len() {
        match whitespace_at(text, at) {
            Some(n) => at += n,
            None => break,
        }
    }
    at
}

/// Where the unquoted word starting at `at` ends.
fn word_end(text: &str, mut at: usize) -> usize {
    while at < text.len() && whitespace_at(text, at).is_none() {
        // Step over a whole character, so that `at` stays on a character boundary.
        let b = text.as_bytes()[at];
        at += if b < 0x80 {
            1
        } else {
            text[at..].chars().next().map_or(1, char::len_utf8)
        };
    }
    at
}

fn quoted(input: &str) -> IResult<&str, String> {
    alt((
        map(nom::bytes::complete::tag("\"\""), |_| String::new()),
        delimited(
            char('"'),
            escaped_transform(
                is_not("\\\""),
                '\\',
                alt((
                    value('\\', char('\\')),
                    value('"', char('"')),
                    none_of("\\\""),
                )),
            ),
            char('"'),
        ),
    ))
    .parse(input)
}
