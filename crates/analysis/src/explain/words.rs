//! The words of an nft or ipvsadm line with their byte ranges, as the syntax crate's tokenizers read
//! them (`nft::line_words`, `ipvs::line_words`), for the walkers that explain those lines.

/// A word of the line with its byte range; `raw` is the text of the range (quotes kept), `text` the
/// word as the tokenizer read it.
#[derive(Debug, Clone)]
pub(super) struct Word<'a> {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) raw: &'a str,
    pub(super) text: String,
}

/// An nft line's words: words, strings, and `{ } , ;` each on their own.
pub(super) fn nft_words(line: &str) -> Vec<Word<'_>> {
    svcpath_syntax::nft::line_words(line)
        .into_iter()
        .map(|w| Word {
            start: w.start,
            end: w.end,
            raw: line.get(w.start..w.end).unwrap_or(""),
            text: w.text,
        })
        .collect()
}

/// An ipvsadm line's words.
pub(super) fn ipvs_words(line: &str) -> Vec<Word<'_>> {
    svcpath_syntax::ipvs::line_words(line)
        .into_iter()
        .map(|(start, w)| Word {
            start,
            end: start + w.len(),
            raw: w,
            text: w.to_string(),
        })
        .collect()
}
