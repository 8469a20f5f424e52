//! Collecting one statement's tokens from the lexer: where a statement ends, when it goes on over a
//! line end inside braces, and the elements of `elements = { … }` read one at a time as they come.

use super::*;

/// One statement: its tokens (line ends and comments removed) and whether it opened a block. The
/// elements of a set's `elements = { … }` are read into `elements` as they come instead of into `toks`.
pub(super) struct Stmt<'a> {
    pub(super) toks: Vec<Token<'a>>,
    pub(super) comments: Vec<&'a str>,
    pub(super) opens: bool,
    pub(super) elements: Option<ElementReader<'a>>,
    /// The span of the statement's last token, and whether a line end after it continues the statement
    /// inside braces (`,`, `{`, `.`, `:`, `=`).
    pub(super) last: Option<(Span, bool)>,
}

/// The elements of an `elements = { … }` statement, read one at a time between the braces.
pub(super) struct ElementReader<'a> {
    /// The tokens of the element being read.
    pub(super) current: Vec<Token<'a>>,
    pub(super) elements: Elements,
    pub(super) problems: Vec<(u32, Span, String)>,
    /// False once the `}` that closes the elements was read.
    pub(super) open: bool,
}

impl<'a> ElementReader<'a> {
    pub(super) fn end_element(&mut self) {
        if let Some(e) = element(&self.current, &mut self.problems) {
            self.elements.push(e);
        }
        self.current.clear();
    }
}

impl<'a> Stmt<'a> {
    pub(super) fn push(&mut self, t: Token<'a>) {
        self.last = Some((t.span, continues_after(&t)));
        self.toks.push(t);
    }

    pub(super) fn line(&self) -> u32 {
        self.toks.first().map(|t| t.line).unwrap_or(0)
    }

    pub(super) fn span(&self) -> Span {
        match (self.toks.first(), self.last) {
            (Some(a), Some((b, _))) => Span::new(a.span.start, b.end.max(a.span.start)),
            _ => Span::default(),
        }
    }

    pub(super) fn word(&self, n: usize) -> Option<&'a str> {
        self.toks.get(n).and_then(|t| t.word())
    }

    pub(super) fn text(&self, n: usize) -> Option<String> {
        self.toks.get(n).and_then(|t| t.text())
    }

    pub(super) fn handle(&self) -> Option<u64> {
        self.comments.iter().find_map(|c| handle_of(c))
    }
}

/// Whether a line end after this token continues a statement inside braces.
pub(super) fn continues_after(t: &Token<'_>) -> bool {
    match &t.kind {
        Tok::Comma | Tok::Open => true,
        Tok::Word(w) => matches!(*w, "." | ":" | "="),
        _ => false,
    }
}

impl<'a> Parser<'a> {
    /// Collects one statement's tokens, and whether it consumed any. Inside braces a statement continues
    /// over line ends when the line ends with `,`, `{`, `.`, `:` or `=`, or the next line starts with `}`
    /// or `,`.
    pub(super) fn collect(&mut self) -> (Stmt<'a>, bool) {
        let mut stmt = Stmt {
            toks: Vec::new(),
            comments: Vec::new(),
            opens: false,
            elements: None,
            last: None,
        };
        let in_set = matches!(self.stack.last(), Some((Ctx::Set(..), _, _)));
        let mut consumed = false;
        let mut depth = 0usize;
        while let Some(t) = self.lexer.peek() {
            let (line, is_open) = (t.line, t.kind == Tok::Open);
            match &t.kind {
                Tok::Newline => {
                    if depth == 0 {
                        break;
                    }
                    if self.continues(stmt.last) {
                        self.lexer.next();
                        consumed = true;
                        continue;
                    }
                    self.diag(
                        line,
                        stmt.span(),
                        Severity::Warning,
                        "a `{` is not closed on this line; the statement was read up to the end of the line".into(),
                    );
                    break;
                }
                Tok::Semi | Tok::Close if depth == 0 => break,
                _ => {}
            }
            if is_open && depth == 0 && self.is_block_header(&stmt) {
                self.lexer.next();
                stmt.opens = true;
                return (stmt, true);
            }
            let Some(t) = self.lexer.next() else { break };
            consumed = true;
            if let Tok::Comment(c) = t.kind {
                stmt.comments.push(c);
                continue;
            }
            if let Some(reader) = stmt.elements.as_mut().filter(|r| r.open) {
                // Inside `elements = { … }`: one element per `,` at the first depth.
                let last = Some((t.span, continues_after(&t)));
                if depth == 1 && t.kind == Tok::Close {
                    depth = 0;
                    reader.end_element();
                    reader.open = false;
                    stmt.push(t);
                    continue;
                }
                match t.kind {
                    Tok::Comma if depth == 1 => reader.end_element(),
                    Tok::Open => {
                        depth += 1;
                        reader.current.push(t);
                    }
                    Tok::Close => {
                        depth -= 1;
                        reader.current.push(t);
                    }
                    _ => reader.current.push(t),
                }
                stmt.last = last;
                continue;
            }
            match t.kind {
                Tok::Open => {
                    depth += 1;
                    let first = in_set
                        && stmt.elements.is_none()
                        && stmt.toks.first().is_some_and(|f| f.is_word("elements"));
                    stmt.push(t);
                    if first {
                        stmt.elements = Some(ElementReader {
                            current: Vec::new(),
                            elements: Elements::new(),
                            problems: Vec::new(),
                            open: true,
                        });
                    }
                }
                Tok::Close => {
                    depth -= 1;
                    stmt.push(t);
                }
                _ => stmt.push(t),
            }
        }
        if let Some(reader) = stmt.elements.as_mut().filter(|r| r.open) {
            // Cut before the closing `}`: the elements read so far.
            reader.end_element();
        }
        (stmt, consumed)
    }

    /// Whether the statement goes on after the line end ahead (the next token).
    pub(super) fn continues(&mut self, last: Option<(Span, bool)>) -> bool {
        if last.is_some_and(|(_, cont)| cont) {
            return true;
        }
        let mut n = 1;
        loop {
            match self.lexer.peek_nth(n).map(|t| &t.kind) {
                Some(Tok::Newline | Tok::Comment(_)) => n += 1,
                Some(Tok::Close | Tok::Comma) => return true,
                _ => return false,
            }
        }
    }
}
