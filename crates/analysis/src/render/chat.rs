//! Markdown for chat tools (Slack, Teams, Mattermost, Jira's and most tickets' renderers): no backslash
//! escapes, which many of them print literally. Text that could start formatting (`*`, `_`, `~`, `<`,
//! `|`, `[`, `\`, `&`, `#`) goes into a code span instead, which every one of them renders as it is.

/// Characters that can start formatting, a link, HTML or an entity somewhere in a line.
fn risky(c: char) -> bool {
    matches!(
        c,
        '*' | '_' | '~' | '<' | '>' | '[' | ']' | '|' | '\\' | '&' | '#' | '`'
    )
}

/// A code span holding `text` literally (backticks inside get a longer fence).
pub fn code(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 || text.starts_with(' ') || text.ends_with(' ') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Text for a chat Markdown line: the text's own code spans are kept, words that could start
/// formatting become code spans, line breaks become spaces.
pub fn text(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect();
    let mut out = String::with_capacity(flat.len() + 8);
    let mut rest = flat.as_str();
    while !rest.is_empty() {
        // A balanced single-backtick span whose content has no backtick is kept as written.
        if let Some(start) = rest.find('`') {
            if let Some(len) = rest[start + 1..].find('`') {
                let inner = &rest[start + 1..start + 1 + len];
                if !inner.is_empty() && !inner.starts_with(' ') && !inner.ends_with(' ') {
                    words(&rest[..start], &mut out);
                    out.push_str(&rest[start..start + len + 2]);
                    rest = &rest[start + len + 2..];
                    continue;
                }
            }
        }
        words(rest, &mut out);
        break;
    }
    out
}

fn words(text: &str, out: &mut String) {
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.chars().any(risky) {
            // Sentence punctuation stays outside the span.
            let core = word.trim_end_matches(['.', ',', ';', ')', ':']);
            let tail = &word[core.len()..];
            let (lead, core) = match core.strip_prefix('(') {
                Some(c) => ("(", c),
                None => ("", core),
            };
            if core.is_empty() {
                out.push_str(word);
            } else {
                out.push_str(lead);
                out.push_str(&code(core));
                out.push_str(tail);
            }
        } else {
            out.push_str(word);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_backslashes_and_formatting_goes_into_code() {
        assert_eq!(
            text("default/kube-dns:dns (10.96.0.10:53)"),
            "default/kube-dns:dns (10.96.0.10:53)"
        );
        assert_eq!(text("set nf_conntrack_max."), "set `nf_conntrack_max`.");
        assert_eq!(
            text("run `kubectl get pods` now"),
            "run `kubectl get pods` now"
        );
        assert_eq!(text("<script>"), "`<script>`");
        assert_eq!(code("a`b"), "`` a`b ``");
    }
}
