//! The words of an nft or ipvsadm line with their byte ranges, for the walkers that read those lines.

/// A word of the line with its byte range; quotes are kept in `raw` and removed in `text`.
#[derive(Debug, Clone)]
pub(super) struct Word<'a> {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) raw: &'a str,
    pub(super) text: String,
}

/// Splits a line into words the way a shell would: spaces and tabs separate, double quotes group
/// (with `\"` inside), an unclosed quote runs to the end of the line.
pub(super) fn words(line: &str) -> Vec<Word<'_>> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        let mut text = String::new();
        let mut quoted = false;
        while i < bytes.len() {
            let b = bytes[i];
            if !quoted && matches!(b, b' ' | b'\t') {
                break;
            }
            if b == b'"' {
                quoted = !quoted;
                i += 1;
                continue;
            }
            if quoted && b == b'\\' && bytes.get(i + 1) == Some(&b'"') {
                text.push('"');
                i += 2;
                continue;
            }
            // Copy one whole character.
            let ch_len = line[i..].chars().next().map_or(1, char::len_utf8);
            text.push_str(&line[i..i + ch_len]);
            i += ch_len;
        }
        out.push(Word {
            start,
            end: i,
            raw: &line[start..i],
            text,
        });
    }
    out
}
