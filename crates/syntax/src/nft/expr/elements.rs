//! Set and map elements between `{` and `}`, and the `address:port` forms they hold.

use super::*;
use crate::nft::Elements;

/// Splits `10.0.0.1:80`, `[fd00::1]:80`, `:8080`, `10.0.0.1`, `fd00::1` into address and port.
pub fn split_address_port(text: &str) -> (Option<String>, Option<u16>) {
    let text = text.trim();
    // `10.0.0.1 . 80`: the address and port as concatenated data (kube-proxy's map values).
    if let Some((addr, port)) = text.split_once(" . ") {
        let port = port.trim().parse().ok();
        let addr = addr.trim();
        if port.is_none() || addr.contains(char::is_whitespace) {
            return (None, None);
        }
        return (Some(addr.trim_matches(['[', ']']).to_string()), port);
    }
    if text.contains(char::is_whitespace) {
        return (None, None);
    }
    if let Some(rest) = text.strip_prefix('[') {
        if let Some((addr, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return (Some(addr.to_string()), port);
        }
        return (None, None);
    }
    match text.matches(':').count() {
        0 => (Some(text.to_string()), None),
        1 => {
            let (addr, port) = text.split_once(':').unwrap_or((text, ""));
            let port = port.parse().ok();
            ((!addr.is_empty()).then(|| addr.to_string()), port)
        }
        _ => (Some(text.to_string()), None),
    }
}

/// Reads the elements between `{` and `}` (the braces excluded).
pub(crate) fn parse_elements(
    tokens: &[Token<'_>],
    problems: &mut Vec<(u32, Span, String)>,
) -> Elements {
    let mut out = Elements::new();
    let mut start = 0;
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            Tok::Open => depth += 1,
            Tok::Close => depth = depth.saturating_sub(1),
            Tok::Comma if depth == 0 => {
                if let Some(e) = element(tokens.get(start..i).unwrap_or(&[]), problems) {
                    out.push(e);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if let Some(e) = element(tokens.get(start..).unwrap_or(&[]), problems) {
        out.push(e);
    }
    out.shrink_to_fit();
    out
}

pub(crate) fn element(
    tokens: &[Token<'_>],
    problems: &mut Vec<(u32, Span, String)>,
) -> Option<Element> {
    let tokens: Vec<&Token<'_>> = tokens
        .iter()
        .filter(|t| !matches!(t.kind, Tok::Newline | Tok::Comment(_)))
        .collect();
    let first = tokens.first()?;
    let last = tokens.last()?;
    let mut e = Element {
        line: first.line,
        span: Span::new(first.span.start, last.span.end),
        ..Element::default()
    };
    let mut i = 0;
    let mut part = String::new();
    let mut value_words: Vec<String> = Vec::new();
    let mut in_value = false;
    while i < tokens.len() {
        let t = tokens[i];
        let word = t.word();
        match word {
            Some("comment") if !in_value => {
                e.comment = tokens.get(i + 1).and_then(|t| t.text());
                i += 2;
                continue;
            }
            Some(kw @ ("timeout" | "expires")) if !in_value => {
                let v = tokens.get(i + 1).and_then(|t| t.text());
                if kw == "timeout" {
                    e.timeout = v;
                } else {
                    e.expires = v;
                }
                i += 2;
                continue;
            }
            Some("counter") if !in_value => {
                let mut c = Counter::default();
                i += 1;
                while let Some(k) = tokens.get(i).and_then(|t| t.word()) {
                    let n = tokens
                        .get(i + 1)
                        .and_then(|t| t.word())
                        .and_then(|v| v.parse::<u64>().ok());
                    match (k, n) {
                        ("packets", Some(n)) => c.packets = n,
                        ("bytes", Some(n)) => c.bytes = n,
                        _ => break,
                    }
                    i += 2;
                }
                e.counter = Some(c);
                continue;
            }
            Some(":") if !in_value => {
                if !part.is_empty() {
                    e.key.push(std::mem::take(&mut part));
                }
                in_value = true;
            }
            Some(".") if !in_value => {
                e.key.push(std::mem::take(&mut part));
            }
            _ => {
                let text = t.text().unwrap_or_else(|| match t.kind {
                    Tok::Open => "{".into(),
                    Tok::Close => "}".into(),
                    Tok::Semi => ";".into(),
                    _ => String::new(),
                });
                if in_value {
                    value_words.push(text);
                } else {
                    if !part.is_empty() {
                        part.push(' ');
                    }
                    part.push_str(&text);
                }
            }
        }
        i += 1;
    }
    if !part.is_empty() {
        e.key.push(part);
    }
    if in_value {
        let words: Vec<&str> = value_words.iter().map(String::as_str).collect();
        e.value = Some(match words.as_slice() {
            ["accept"] => ElementValue::Verdict(Verdict::Accept),
            ["drop"] => ElementValue::Verdict(Verdict::Drop),
            ["return"] => ElementValue::Verdict(Verdict::Return),
            ["continue"] => ElementValue::Verdict(Verdict::Continue),
            ["jump", c] => ElementValue::Verdict(Verdict::Jump((*c).to_string())),
            ["goto", c] => ElementValue::Verdict(Verdict::Goto((*c).to_string())),
            [] => {
                problems.push((
                    e.line,
                    e.span,
                    "a map element without a value after `:`".into(),
                ));
                ElementValue::Data(String::new())
            }
            _ => ElementValue::Data(words.join(" ")),
        });
    }
    if e.key.is_empty() {
        problems.push((e.line, e.span, "a set element without a key".into()));
    }
    Some(e)
}
