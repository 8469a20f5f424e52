//! Selectors (`ip daddr`, `meta l4proto . th dport`, `fib daddr type`), their comparisons, lookups and values.

use super::*;

impl<'t, 'a, 's> RuleParser<'t, 'a, 's> {
    /// A selector followed by a comparison, a lookup or `set`.
    pub(super) fn selector_expr(&mut self) {
        let start = self.c.i;
        let Some(selector) = self.selector() else {
            self.c.i = start;
            self.unknown();
            return;
        };
        match self.c.peek_word() {
            Some("set") => {
                self.c.next();
                let vstart = self.c.i;
                let mut n = 0;
                while let Some(x) = self.c.peek() {
                    match &x.kind {
                        Tok::Word(w) if is_statement(w) => break,
                        Tok::Word(w)
                            if n > 0
                                && is_selector_head(w)
                                && !matches!(w, &"meta" | &"mark" | &"ct") =>
                        {
                            break
                        }
                        Tok::Open => {
                            self.c.group();
                        }
                        _ => {
                            self.c.next();
                        }
                    }
                    n += 1;
                }
                let value = self.text_from(vstart);
                self.out.exprs.push(Expr::Assign {
                    target: selector.text(),
                    value,
                });
            }
            Some(kw @ ("vmap" | "map")) => {
                self.c.next();
                let verdict_map = kw == "vmap";
                let map = match self.c.peek() {
                    Some(t) if t.kind == Tok::Open => {
                        let inner = self.c.group();
                        let mut problems = Vec::new();
                        let elements = parse_elements(inner, &mut problems);
                        self.out.problems.extend(problems);
                        Some(MapRef::Anonymous(elements))
                    }
                    Some(t) => match t.word() {
                        Some("@") => {
                            self.c.next();
                            let name = self.c.next().and_then(Token::text);
                            name.map(MapRef::Named)
                        }
                        Some(w) if w.starts_with('@') => {
                            self.c.next();
                            Some(MapRef::Named(w.trim_start_matches('@').to_string()))
                        }
                        _ => None,
                    },
                    None => None,
                };
                match map {
                    Some(map) => self.out.exprs.push(Expr::Lookup(Lookup {
                        key: selector,
                        verdict_map,
                        map,
                    })),
                    None => {
                        let span = self.span_from(start);
                        self.push_unknown(start, span, format!("`{kw}` without a map"));
                    }
                }
            }
            _ => {
                let op = match self.c.peek_word() {
                    Some("==" | "eq") => Some(Op::Eq),
                    Some("!=" | "ne") => Some(Op::Ne),
                    Some("<" | "lt") => Some(Op::Lt),
                    Some(">" | "gt") => Some(Op::Gt),
                    Some("<=" | "le") => Some(Op::Le),
                    Some(">=" | "ge") => Some(Op::Ge),
                    _ => None,
                };
                if op.is_some() {
                    self.c.next();
                }
                match self.value() {
                    Some(right) => self.out.exprs.push(Expr::Match(Match {
                        left: selector,
                        op: op.unwrap_or(Op::Eq),
                        right,
                    })),
                    None => {
                        let span = self.span_from(start);
                        self.push_unknown(
                            start,
                            span,
                            format!("`{}` is not compared with anything", selector.text()),
                        );
                    }
                }
            }
        }
    }

    /// The right side of a match.
    pub(super) fn value(&mut self) -> Option<Value> {
        let t = self.c.peek()?;
        match &t.kind {
            Tok::Open => {
                let inner = self.c.group();
                let mut problems = Vec::new();
                let elements = parse_elements(inner, &mut problems);
                self.out.problems.extend(problems);
                Some(Value::Set(elements))
            }
            Tok::Word("@") => {
                self.c.next();
                let name = self.c.next().and_then(Token::text)?;
                Some(Value::SetRef(name))
            }
            Tok::Word(w) if w.starts_with('@') => {
                self.c.next();
                Some(Value::SetRef(w.trim_start_matches('@').to_string()))
            }
            Tok::Word(_) | Tok::Str(_) => {
                let mut first = t.text().unwrap_or_default();
                self.c.next();
                // A concatenated value: `1.2.3.4 . 80`.
                while self.c.peek().is_some_and(|x| x.is_word(".")) {
                    match self.c.peek_at(1).and_then(Token::text) {
                        Some(next) => {
                            first.push_str(" . ");
                            first.push_str(&next);
                            self.c.i += 2;
                        }
                        None => break,
                    }
                }
                let mut list = vec![first];
                while self.c.peek().is_some_and(|x| x.kind == Tok::Comma) {
                    match self.c.peek_at(1).and_then(Token::text) {
                        Some(next) => {
                            list.push(next);
                            self.c.i += 2;
                        }
                        None => {
                            self.c.next();
                            break;
                        }
                    }
                }
                if list.len() == 1 {
                    list.pop().map(Value::Single)
                } else {
                    Some(Value::List(list))
                }
            }
            _ => None,
        }
    }

    /// One selector, possibly concatenated with ` . ` and followed by a bitwise operation.
    pub(super) fn selector(&mut self) -> Option<Selector> {
        let mut selector = Selector::default();
        self.selector_part(&mut selector)?;
        // Bound the concatenation; nft allows few parts anyway.
        for _ in 0..16 {
            let is_dot = self.c.peek().is_some_and(|t| t.is_word("."));
            let next_is_selector = self
                .c
                .peek_at(1)
                .and_then(Token::word)
                .is_some_and(is_selector_head);
            if !(is_dot && next_is_selector) {
                break;
            }
            self.c.next();
            self.selector_part(&mut selector)?;
        }
        Some(selector)
    }

    pub(super) fn selector_part(&mut self, selector: &mut Selector) -> Option<()> {
        let start = self.c.i;
        let head = self.c.next()?.word()?;
        match head {
            "numgen" => {
                let mode = self.c.next()?.word()?;
                if self.c.peek_word() == Some("mod") {
                    self.c.next();
                }
                let modulus = self.c.next()?.word()?.parse::<u32>().ok()?;
                let mut offset = 0;
                if self.c.peek_word() == Some("offset") {
                    self.c.next();
                    offset = self.c.next()?.word()?.parse::<u32>().ok()?;
                }
                selector.numgen = Some(Numgen {
                    random: mode == "random",
                    modulus,
                    offset,
                });
            }
            "jhash" | "symhash" => {
                let mut n = 0;
                while let Some(w) = self.c.peek_word() {
                    self.c.next();
                    n += 1;
                    if w == "mod" {
                        self.c.next();
                        break;
                    }
                    if n > 12 {
                        break;
                    }
                }
                for key in ["seed", "offset"] {
                    if self.c.peek_word() == Some(key) {
                        self.c.i += 2;
                    }
                }
            }
            "fib" => {
                let mut n = 0;
                while let Some(w) = self.c.peek_word() {
                    self.c.next();
                    n += 1;
                    if matches!(w, "type" | "oif" | "oifname") || n > 8 {
                        break;
                    }
                }
            }
            "ct" => {
                let key = self.c.next()?.word()?;
                if matches!(key, "original" | "reply") {
                    let field = self.c.next()?.word()?;
                    if matches!(field, "ip" | "ip6") {
                        self.c.next()?.word()?;
                    }
                }
            }
            "meta" | "rt" | "socket" | "osf" | "exthdr" => {
                self.c.next()?.word()?;
            }
            "tcp" if self.c.peek_word() == Some("option") => {
                self.c.next();
                self.c.next()?.word()?;
                if self
                    .c
                    .peek_word()
                    .is_some_and(|w| !is_statement(w) && !w.starts_with(['=', '!', '<', '>']))
                {
                    self.c.next();
                }
            }
            _ if BARE_META.contains(&head) || head.starts_with('@') => {}
            _ => {
                // `ip daddr`, `tcp dport`, `th dport` …
                let field = self.c.peek_word()?;
                if field.starts_with('@') || is_statement(field) {
                    return None;
                }
                self.c.next();
            }
        }
        selector.parts.push(self.text_from(start));
        // `& 0x4000`, `and 0x4000`, `| 0x4000` …
        let mut ops = Vec::new();
        for _ in 0..8 {
            match self.c.peek_word() {
                Some(op @ ("&" | "|" | "^" | "and" | "or" | "xor" | "<<" | ">>")) => {
                    match self.c.peek_at(1).and_then(Token::word) {
                        Some(v) => {
                            ops.push(format!("{op} {v}"));
                            self.c.i += 2;
                        }
                        None => break,
                    }
                }
                _ => break,
            }
        }
        if !ops.is_empty() {
            selector.bitwise = Some(ops.join(" "));
        }
        Some(())
    }
}
