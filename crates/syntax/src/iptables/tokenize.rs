//! The one iptables tokenizer: a rule line's words with their byte ranges and quoting as iptables-save writes it.

use super::*;

/// Splits a rule into words: bare words and `"quoted strings"` with backslash escapes.
pub fn tokenize(text: &str) -> Result<Vec<Token<'_>>, String> {
    // At most one word more than there are spaces (tabs and other whitespace are rare): one
    // allocation per line instead of the vector growing word by word.
    let mut words = Vec::with_capacity(memchr::memchr_iter(b' ', text.as_bytes()).count() + 1);
    read_words(text, |token, _, _| words.push(token)).map_err(|(_, message)| message)?;
    Ok(words)
}

/// The words of a line as [`tokenize`] reads them, each with its byte range in `text`. A quoted string
/// the line does not close (a line cut off) ends the words; `unclosed` says where it starts.
pub fn tokenize_spanned(text: &str) -> SpannedWords<'_> {
    let mut words = Vec::new();
    let unclosed = read_words(text, |token, start, end| {
        words.push(SpannedToken { token, start, end })
    })
    .err()
    .map(|(at, _)| at);
    SpannedWords { words, unclosed }
}

/// What [`tokenize_spanned`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpannedWords<'a> {
    pub words: Vec<SpannedToken<'a>>,
    /// Byte offset of a `"` that no quote closes; the words stop before it.
    pub unclosed: Option<usize>,
}

/// A word and its byte range (`start..end`, quotes included) in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpannedToken<'a> {
    pub token: Token<'a>,
    pub start: usize,
    pub end: usize,
}

impl RuleWord for SpannedToken<'_> {
    fn text(&self) -> &str {
        &self.token.text
    }
    fn quoted(&self) -> bool {
        self.token.quoted
    }
}

/// The tokenizer itself: hands each word and its byte range to `push`. Fails at an unclosed quote,
/// with its offset and a message.
fn read_words<'a>(
    text: &'a str,
    mut push: impl FnMut(Token<'a>, usize, usize),
) -> Result<(), (usize, String)> {
    let mut at = skip_whitespace(text, 0);
    while at < text.len() {
        let rest = &text[at..];
        if rest.starts_with('"') {
            if let Some((word, length)) = plain_quoted(rest) {
                push(
                    Token {
                        text: Cow::Borrowed(word),
                        quoted: true,
                    },
                    at,
                    at + length,
                );
                at = skip_whitespace(text, at + length);
                continue;
            }
            match quoted(rest) {
                Ok((next, word)) => {
                    let end = text.len() - next.len();
                    push(
                        Token {
                            text: Cow::Owned(word),
                            quoted: true,
                        },
                        at,
                        end,
                    );
                    at = end;
                }
                // An unterminated quote: a line cut off in the middle of a comment.
                Err(_) => {
                    return Err((
                        at,
                        format!(
                            "a quoted string is not closed (line cut off?): {}",
                            quote(rest)
                        ),
                    ))
                }
            }
        } else {
            let end = word_end(text, at);
            push(
                Token {
                    text: Cow::Borrowed(&text[at..end]),
                    quoted: false,
                },
                at,
                end,
            );
            at = end;
        }
        at = skip_whitespace(text, at);
    }
    Ok(())
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
#[inline]
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
    let bytes = text.as_bytes();
    // The common case, one ASCII space, decided from the bytes alone.
    while at < bytes.len() && bytes[at] == b' ' {
        at += 1;
    }
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
    let bytes = text.as_bytes();
    // ASCII letters, digits and punctuation end no word: step over them a byte at a time.
    while at < bytes.len() && bytes[at] > b' ' && bytes[at] < 0x80 {
        at += 1;
    }
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

/// A quoted string without a backslash (every comment kube-proxy writes): its text borrowed from the
/// line and the length of the string with its quotes. `None` when a backslash comes before the
/// closing quote or no quote closes it; [`quoted`] reads those.
fn plain_quoted(input: &str) -> Option<(&str, usize)> {
    let inside = input.strip_prefix('"')?;
    let stop = memchr::memchr2(b'"', b'\\', inside.as_bytes())?;
    (inside.as_bytes()[stop] == b'"').then(|| (&inside[..stop], stop + 2))
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

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// A quoted string read without copying is the one the escaping reader gives, and ends where
        /// it ends.
        #[test]
        fn plain_quoted_strings_read_as_the_escaping_reader_reads_them(
            text in "\"[ab\"\\\\ ]{0,12}"
        ) {
            if let Some((word, length)) = plain_quoted(&text) {
                let (rest, escaped) = quoted(&text).expect("the escaping reader reads it too");
                proptest::prop_assert_eq!(word, escaped.as_str());
                proptest::prop_assert_eq!(&text[length..], rest);
            }
        }
    }

    #[test]
    fn comments_are_borrowed_from_the_line() {
        let words = tokenize(r#"-A X -m comment --comment "ns/svc:p cluster IP" -j Y"#).unwrap();
        assert_eq!(words[5].text, "ns/svc:p cluster IP");
        assert!(words[5].quoted);
        assert!(matches!(words[5].text, Cow::Borrowed(_)));
        let escaped = tokenize(r#"--comment "a \"b\"" x"#).unwrap();
        assert_eq!(escaped[1].text, r#"a "b""#);
        assert_eq!(escaped[2].text, "x");
    }
}
