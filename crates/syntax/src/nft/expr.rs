//! Reads the expressions and statements of one nft rule, and the elements of a `{ … }` set or map.

use crate::source::{Origin, Span};

use super::lexer::{tokenize, Tok, Token};
use super::{
    Counter, Element, ElementValue, Expr, Lookup, MapRef, Match, Nat, NatKind, NatMap, Numgen, Op,
    Selector, Value, Verdict,
};

/// Protocol headers whose fields are written `PROTO FIELD` (`ip daddr`, `th dport`).
const HEADERS: &[&str] = &[
    "ip", "ip6", "tcp", "udp", "udplite", "sctp", "dccp", "th", "icmp", "icmpv6", "ether", "vlan",
    "arp", "ah", "esp", "comp", "igmp", "gre", "ipcomp", "dst", "hbh", "frag", "rt0", "rt2", "mh",
    "srh", "vxlan", "geneve", "gretap", "cgroupv2",
];

/// Meta keys that may be written without `meta`.
const BARE_META: &[&str] = &[
    "mark",
    "iif",
    "iifname",
    "iiftype",
    "oif",
    "oifname",
    "oiftype",
    "skuid",
    "skgid",
    "nftrace",
    "rtclassid",
    "ibrname",
    "obrname",
    "ibriport",
    "obriport",
    "pkttype",
    "cpu",
    "iifgroup",
    "oifgroup",
    "cgroup",
    "ipsec",
    "time",
    "day",
    "hour",
    "priority",
];

/// Words that begin a selector of other kinds.
const SELECTOR_HEADS: &[&str] = &[
    "meta", "ct", "fib", "numgen", "jhash", "symhash", "rt", "socket", "osf", "exthdr",
];

/// Words that begin a statement.
const STATEMENTS: &[&str] = &[
    "counter",
    "comment",
    "accept",
    "drop",
    "return",
    "continue",
    "jump",
    "goto",
    "queue",
    "reject",
    "dnat",
    "snat",
    "masquerade",
    "redirect",
    "log",
    "limit",
    "notrack",
    "update",
    "xt",
    "quota",
    "meter",
    "flow",
    "tproxy",
    "synproxy",
    "dup",
    "fwd",
    "stop",
];

const NAT_FLAGS: &[&str] = &["random", "fully-random", "persistent"];

fn is_selector_head(word: &str) -> bool {
    HEADERS.contains(&word)
        || BARE_META.contains(&word)
        || SELECTOR_HEADS.contains(&word)
        || word.starts_with("@th,")
        || word.starts_with("@nh,")
        || word.starts_with("@ll,")
}

fn is_statement(word: &str) -> bool {
    STATEMENTS.contains(&word)
}

/// What reading a rule gave.
#[derive(Debug, Default)]
pub(crate) struct RuleParse {
    pub exprs: Vec<Expr>,
    pub comment: Option<String>,
    /// Spans, lines and messages of what was not understood.
    pub problems: Vec<(u32, Span, String)>,
}

/// Reads a rule from its tokens (no line ends or comments among them). `src` is the section text that
/// starts at byte `base` of the paste; unknown parts are quoted from it.
pub(crate) fn parse_rule(tokens: &[Token<'_>], src: &str, base: usize) -> RuleParse {
    let mut p = RuleParser {
        c: Cursor { toks: tokens, i: 0 },
        src,
        base,
        out: RuleParse::default(),
    };
    p.run();
    p.out
}

/// Reads one rule written on its own, e.g. `ip daddr 10.0.0.1 tcp dport 80 jump X`. Spans count from 0.
pub fn parse_rule_text(text: &str) -> Vec<Expr> {
    let mut diagnostics = Vec::new();
    let tokens: Vec<Token<'_>> = tokenize(text, Origin::START, &mut diagnostics)
        .into_iter()
        .filter(|t| !matches!(t.kind, Tok::Newline | Tok::Comment(_)))
        .collect();
    parse_rule(&tokens, text, 0).exprs
}

struct Cursor<'t, 'a> {
    toks: &'t [Token<'a>],
    i: usize,
}

impl<'t, 'a> Cursor<'t, 'a> {
    fn peek(&self) -> Option<&'t Token<'a>> {
        self.toks.get(self.i)
    }

    fn peek_at(&self, n: usize) -> Option<&'t Token<'a>> {
        self.toks.get(self.i + n)
    }

    fn peek_word(&self) -> Option<&'a str> {
        self.peek().and_then(Token::word)
    }

    fn next(&mut self) -> Option<&'t Token<'a>> {
        let t = self.toks.get(self.i);
        if t.is_some() {
            self.i += 1;
        }
        t
    }

    /// At an opening brace: the tokens up to the matching closing brace, which is consumed.
    fn group(&mut self) -> &'t [Token<'a>] {
        let start = self.i + 1;
        let mut depth = 0usize;
        let mut j = self.i;
        while j < self.toks.len() {
            match self.toks[j].kind {
                Tok::Open => depth += 1,
                Tok::Close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.i = j + 1;
                        return self.toks.get(start..j).unwrap_or(&[]);
                    }
                }
                _ => {}
            }
            j += 1;
        }
        self.i = self.toks.len();
        self.toks.get(start..).unwrap_or(&[])
    }
}

struct RuleParser<'t, 'a, 's> {
    c: Cursor<'t, 'a>,
    src: &'s str,
    base: usize,
    out: RuleParse,
}

impl<'t, 'a, 's> RuleParser<'t, 'a, 's> {
    fn run(&mut self) {
        // Each pass consumes at least one token, so this ends.
        while let Some(tok) = self.c.peek() {
            let before = self.c.i;
            match &tok.kind {
                Tok::Word(w) => self.word(w),
                _ => self.unknown(),
            }
            if self.c.i == before {
                self.c.i += 1;
            }
        }
    }

    fn text_of(&self, from: &Token<'_>, to: &Token<'_>) -> String {
        let start = from.span.start.saturating_sub(self.base);
        let end = to.span.end.saturating_sub(self.base);
        self.src.get(start..end).unwrap_or("").to_string()
    }

    fn span_from(&self, start: usize) -> Span {
        let first = self.c.toks.get(start).map(|t| t.span.start).unwrap_or(0);
        let last = self
            .c
            .toks
            .get(self.c.i.saturating_sub(1))
            .map(|t| t.span.end)
            .unwrap_or(first);
        Span::new(first, last.max(first))
    }

    /// Text of the tokens from `start` to the cursor.
    fn text_from(&self, start: usize) -> String {
        match (
            self.c.toks.get(start),
            self.c.toks.get(self.c.i.saturating_sub(1)),
        ) {
            (Some(a), Some(b)) if self.c.i > start => self.text_of(a, b),
            _ => String::new(),
        }
    }

    fn word(&mut self, w: &'a str) {
        match w {
            "counter" => self.counter(),
            "comment" => {
                self.c.next();
                match self.c.peek().and_then(Token::text) {
                    Some(text) => {
                        self.c.next();
                        self.out.comment = Some(text);
                    }
                    None => self.problem_here("`comment` without its text"),
                }
            }
            "accept" | "drop" | "return" | "continue" => {
                self.c.next();
                let v = match w {
                    "accept" => Verdict::Accept,
                    "drop" => Verdict::Drop,
                    "return" => Verdict::Return,
                    _ => Verdict::Continue,
                };
                self.out.exprs.push(Expr::Verdict(v));
            }
            "jump" | "goto" => {
                let start = self.c.i;
                self.c.next();
                match self.c.peek().and_then(Token::text) {
                    Some(chain) => {
                        self.c.next();
                        self.out.exprs.push(Expr::Verdict(if w == "jump" {
                            Verdict::Jump(chain)
                        } else {
                            Verdict::Goto(chain)
                        }));
                    }
                    None => {
                        let span = self.span_from(start);
                        self.push_unknown(start, span, format!("`{w}` without a chain name"));
                    }
                }
            }
            "queue" | "stop" => {
                let start = self.c.i;
                self.c.next();
                self.args_until_statement();
                self.out
                    .exprs
                    .push(Expr::Verdict(Verdict::Other(self.text_from(start))));
            }
            "reject" => {
                self.c.next();
                let mut with = None;
                if self.c.peek_word() == Some("with") {
                    self.c.next();
                    let start = self.c.i;
                    let mut n = 0;
                    while let Some(x) = self.c.peek_word() {
                        if n >= 4
                            || is_statement(x)
                            || (n > 0
                                && is_selector_head(x)
                                && x != "icmp"
                                && x != "icmpv6"
                                && x != "tcp")
                        {
                            break;
                        }
                        self.c.next();
                        n += 1;
                    }
                    with = Some(self.text_from(start));
                }
                self.out.exprs.push(Expr::Reject { with });
            }
            "dnat" | "snat" | "masquerade" | "redirect" => self.nat(w),
            "log" | "limit" | "notrack" | "quota" | "meter" | "flow" | "tproxy" | "synproxy"
            | "dup" | "fwd" => {
                self.c.next();
                let start_args = self.c.i;
                self.args_until_statement();
                let args = self.text_from(start_args);
                self.out.exprs.push(Expr::Statement {
                    name: w.to_string(),
                    args,
                });
            }
            "xt" => {
                self.c.next();
                let what = self.c.peek_word().map(str::to_string);
                if what.is_some() {
                    self.c.next();
                }
                let name = self.c.peek().and_then(Token::text);
                if name.is_some() {
                    self.c.next();
                }
                self.out.exprs.push(Expr::Xt {
                    what: what.unwrap_or_default(),
                    name: name.unwrap_or_default(),
                });
            }
            "update" | "add" | "delete"
                if self
                    .c
                    .peek_at(1)
                    .and_then(Token::word)
                    .is_some_and(|n| n.starts_with('@')) =>
            {
                self.set_update(w)
            }
            _ if is_selector_head(w) => self.selector_expr(),
            _ => self.unknown(),
        }
    }

    fn counter(&mut self) {
        self.c.next();
        let mut counter = Counter::default();
        loop {
            match self.c.peek_word() {
                Some("packets") => {
                    self.c.next();
                    counter.packets = self.number();
                }
                Some("bytes") => {
                    self.c.next();
                    counter.bytes = self.number();
                }
                Some("name") => {
                    self.c.next();
                    self.c.next();
                }
                _ => break,
            }
        }
        self.out.exprs.push(Expr::Counter(counter));
    }

    fn number(&mut self) -> u64 {
        match self.c.peek_word().and_then(|w| w.parse::<u64>().ok()) {
            Some(n) => {
                self.c.next();
                n
            }
            None => {
                self.problem_here("a counter without its number");
                0
            }
        }
    }

    /// Skips the arguments of a statement: everything up to the next statement or selector.
    fn args_until_statement(&mut self) {
        let mut n = 0;
        while let Some(t) = self.c.peek() {
            match &t.kind {
                Tok::Word(x) if n > 0 && (is_statement(x) || is_selector_head(x)) => break,
                Tok::Word(x) if n == 0 && is_statement(x) => break,
                Tok::Open => {
                    self.c.group();
                }
                _ => {
                    self.c.next();
                }
            }
            n += 1;
        }
    }

    fn nat(&mut self, w: &str) {
        self.c.next();
        let kind = match w {
            "dnat" => NatKind::Dnat,
            "snat" => NatKind::Snat,
            "masquerade" => NatKind::Masquerade,
            _ => NatKind::Redirect,
        };
        let mut nat = Nat {
            kind,
            family: None,
            to: None,
            address: None,
            port: None,
            flags: Vec::new(),
            map: None,
        };
        if matches!(self.c.peek_word(), Some("ip" | "ip6"))
            && self.c.peek_at(1).is_some_and(|t| t.is_word("to"))
        {
            nat.family = self.c.peek_word().map(str::to_string);
            self.c.next();
        }
        if self.c.peek_word() == Some("to") {
            self.c.next();
            let start = self.c.i;
            if let Some(map) = self.nat_map() {
                nat.to = Some(self.text_from(start));
                nat.map = Some(map);
            }
            while let Some(t) = self.c.peek().filter(|_| nat.map.is_none()) {
                match &t.kind {
                    Tok::Word(x) if is_statement(x) || NAT_FLAGS.contains(x) => break,
                    Tok::Open => {
                        self.c.group();
                    }
                    Tok::Word(_) | Tok::Str(_) => {
                        self.c.next();
                    }
                    _ => break,
                }
            }
            let to = self.text_from(start);
            if nat.map.is_none() && to.is_empty() {
                self.problem_here(&format!("`{w} to` without an address"));
            } else if nat.map.is_none() {
                let (address, port) = split_address_port(&to);
                nat.address = address;
                nat.port = port;
                nat.to = Some(to);
            }
        }
        while let Some(flag) = self.c.peek_word().filter(|x| NAT_FLAGS.contains(x)) {
            nat.flags.push(flag.to_string());
            self.c.next();
            if self.c.peek().is_some_and(|t| t.kind == Tok::Comma) {
                self.c.next();
            }
        }
        self.out.exprs.push(Expr::Nat(nat));
    }

    /// `numgen random mod 2 map { … }`, `ip daddr . th dport map @name` after `dnat to`: the key and the
    /// map, or `None` (cursor unchanged) when what follows `to` is an address.
    fn nat_map(&mut self) -> Option<NatMap> {
        let start = self.c.i;
        if !self.c.peek_word().is_some_and(is_selector_head) {
            return None;
        }
        let found = (|| {
            let key = self.selector()?;
            if self.c.peek_word() != Some("map") {
                return None;
            }
            self.c.next();
            let map = match self.c.peek() {
                Some(t) if t.kind == Tok::Open => {
                    let inner = self.c.group();
                    let mut problems = Vec::new();
                    let elements = parse_elements(inner, &mut problems);
                    self.out.problems.extend(problems);
                    MapRef::Anonymous(elements)
                }
                Some(t) => {
                    let w = t.word()?;
                    if w == "@" {
                        self.c.next();
                        MapRef::Named(self.c.next().and_then(Token::text)?)
                    } else if let Some(name) = w.strip_prefix('@') {
                        self.c.next();
                        MapRef::Named(name.to_string())
                    } else {
                        return None;
                    }
                }
                None => return None,
            };
            Some(NatMap { key, map })
        })();
        if found.is_none() {
            self.c.i = start;
        }
        found
    }

    fn set_update(&mut self, op: &str) {
        self.c.next();
        let name = self.c.next().and_then(Token::word).unwrap_or("@");
        let set = name.trim_start_matches('@').to_string();
        let mut key = String::new();
        if self.c.peek().is_some_and(|t| t.kind == Tok::Open) {
            let inner = self.c.group();
            if let (Some(a), Some(b)) = (inner.first(), inner.last()) {
                key = self.text_of(a, b);
            }
        }
        self.out.exprs.push(Expr::SetUpdate {
            op: op.to_string(),
            set,
            key,
        });
    }

    /// A selector followed by a comparison, a lookup or `set`.
    fn selector_expr(&mut self) {
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
    fn value(&mut self) -> Option<Value> {
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
    fn selector(&mut self) -> Option<Selector> {
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

    fn selector_part(&mut self, selector: &mut Selector) -> Option<()> {
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

    /// Keeps what is not understood, up to the next statement or selector, as [`Expr::Unknown`].
    fn unknown(&mut self) {
        let start = self.c.i;
        self.c.next();
        while let Some(t) = self.c.peek() {
            match &t.kind {
                Tok::Word(w) if is_statement(w) || is_selector_head(w) => break,
                Tok::Open => {
                    self.c.group();
                }
                _ => {
                    self.c.next();
                }
            }
        }
        let span = self.span_from(start);
        let text = self.text_from(start);
        self.push_unknown(
            start,
            span,
            format!(
                "not understood, kept as written: {}",
                crate::diag::quote(&text)
            ),
        );
    }

    fn push_unknown(&mut self, start: usize, span: Span, message: String) {
        let line = self.c.toks.get(start).map(|t| t.line).unwrap_or(0);
        let text = self.text_from(start);
        self.out.exprs.push(Expr::Unknown { text, span });
        self.out.problems.push((line, span, message));
    }

    fn problem_here(&mut self, message: &str) {
        let (line, span) = match self
            .c
            .peek()
            .or_else(|| self.c.toks.get(self.c.i.saturating_sub(1)))
        {
            Some(t) => (t.line, t.span),
            None => (0, Span::default()),
        };
        self.out.problems.push((line, span, message.to_string()));
    }
}

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
) -> Vec<Element> {
    let mut out = Vec::new();
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
    out
}

fn element(tokens: &[Token<'_>], problems: &mut Vec<(u32, Span, String)>) -> Option<Element> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dnat_through_a_numgen_map() {
        let exprs = parse_rule_text(
            "meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.244.0.10 . 9898, 1 : 10.244.0.8 . 9898 }",
        );
        assert_eq!(exprs.len(), 2, "{exprs:?}");
        let Expr::Nat(n) = &exprs[1] else {
            panic!("{exprs:?}")
        };
        assert_eq!(n.kind, NatKind::Dnat);
        assert_eq!(n.family.as_deref(), Some("ip"));
        let map = n.map.as_ref().expect("a NAT map");
        assert_eq!(map.key.numgen.map(|g| g.modulus), Some(2));
        let MapRef::Anonymous(els) = &map.map else {
            panic!()
        };
        assert_eq!(els.len(), 2);
        assert_eq!(els[0].key, ["0"]);
        assert_eq!(
            els[1].value,
            Some(ElementValue::Data("10.244.0.8 . 9898".to_string()))
        );
        assert_eq!(n.address, None);
    }

    #[test]
    fn dnat_through_a_named_map_with_a_ct_mark_key() {
        let exprs = parse_rule_text(
            "dnat ip to ct mark . ip daddr . meta l4proto . th dport map @endpoints-tcp",
        );
        let Expr::Nat(n) = &exprs[0] else {
            panic!("{exprs:?}")
        };
        let map = n.map.as_ref().expect("a NAT map");
        assert_eq!(
            map.key.parts,
            ["ct mark", "ip daddr", "meta l4proto", "th dport"]
        );
        assert_eq!(map.map, MapRef::Named("endpoints-tcp".to_string()));
        assert!(!exprs.iter().any(|e| matches!(e, Expr::Unknown { .. })));
    }

    #[test]
    fn dnat_to_concatenated_address_and_port() {
        let exprs = parse_rule_text("meta l4proto tcp dnat ip to 10.244.0.8 . 9898");
        let Expr::Nat(n) = &exprs[1] else {
            panic!("{exprs:?}")
        };
        assert_eq!(n.address.as_deref(), Some("10.244.0.8"));
        assert_eq!(n.port, Some(9898));
        assert!(n.map.is_none());
        let v6 = parse_rule_text("dnat ip6 to [fd00:10::3]:9898");
        let Expr::Nat(n) = &v6[0] else {
            panic!("{v6:?}")
        };
        assert_eq!(n.address.as_deref(), Some("fd00:10::3"));
        assert_eq!(n.port, Some(9898));
    }

    #[test]
    fn kube_proxy_dispatch_rule() {
        let exprs = parse_rule_text("ip daddr . meta l4proto . th dport vmap @service-ips");
        let Expr::Lookup(l) = &exprs[0] else {
            panic!("{exprs:?}")
        };
        assert_eq!(l.key.parts, ["ip daddr", "meta l4proto", "th dport"]);
        assert!(l.verdict_map);
        assert_eq!(l.map, MapRef::Named("service-ips".into()));
    }

    #[test]
    fn numgen_vmap() {
        let exprs = parse_rule_text(
            "numgen random mod 2 vmap { 0 : goto endpoint-A/80, 1 : goto endpoint-B/80 }",
        );
        let Expr::Lookup(l) = &exprs[0] else {
            panic!("{exprs:?}")
        };
        assert_eq!(
            l.key.numgen,
            Some(Numgen {
                random: true,
                modulus: 2,
                offset: 0
            })
        );
        let MapRef::Anonymous(els) = &l.map else {
            panic!()
        };
        assert_eq!(els.len(), 2);
        assert_eq!(els[1].key, ["1"]);
        assert_eq!(
            els[1].verdict(),
            Some(&Verdict::Goto("endpoint-B/80".into()))
        );
    }

    #[test]
    fn matches_counters_and_nat() {
        let exprs = parse_rule_text("meta l4proto tcp ip saddr != 10.42.0.0/16 ip daddr 10.43.23.129  tcp dport 443 counter packets 3 bytes 180 dnat to 10.42.0.10:10250 fully-random");
        assert_eq!(exprs.len(), 6, "{exprs:?}");
        let Expr::Match(m) = &exprs[1] else { panic!() };
        assert_eq!(m.op, Op::Ne);
        assert_eq!(m.right, Value::Single("10.42.0.0/16".into()));
        assert_eq!(
            exprs[4],
            Expr::Counter(Counter {
                packets: 3,
                bytes: 180
            })
        );
        let Expr::Nat(n) = &exprs[5] else { panic!() };
        assert_eq!(n.address.as_deref(), Some("10.42.0.10"));
        assert_eq!(n.port, Some(10250));
        assert_eq!(n.flags, ["fully-random"]);
    }

    #[test]
    fn marks_and_random() {
        let exprs = parse_rule_text("meta mark & 0x00004000 == 0x00000000 return");
        let Expr::Match(m) = &exprs[0] else { panic!() };
        assert_eq!(m.left.bitwise.as_deref(), Some("& 0x00004000"));
        assert_eq!(m.right, Value::Single("0x00000000".into()));
        let exprs = parse_rule_text("mark set mark or 0x4000");
        assert_eq!(
            exprs,
            vec![Expr::Assign {
                target: "mark".into(),
                value: "mark or 0x4000".into()
            }]
        );
        let exprs = parse_rule_text(
            " meta random & 2147483647 < 1073741824 counter packets 0 bytes 0 jump KUBE-SEP-X",
        );
        let Expr::Match(m) = &exprs[0] else { panic!() };
        assert_eq!(m.op, Op::Lt);
        assert_eq!(exprs[2], Expr::Verdict(Verdict::Jump("KUBE-SEP-X".into())));
    }

    #[test]
    fn affinity_update_and_anonymous_sets() {
        let exprs = parse_rule_text("update @affinity-X { ip saddr }");
        assert_eq!(
            exprs,
            vec![Expr::SetUpdate {
                op: "update".into(),
                set: "affinity-X".into(),
                key: "ip saddr".into()
            }]
        );
        let exprs = parse_rule_text("ip saddr != { 203.0.113.0/25, 5.6.7.8 } drop");
        let Expr::Match(m) = &exprs[0] else { panic!() };
        assert_eq!(m.right.values(), ["203.0.113.0/25", "5.6.7.8"]);
    }

    #[test]
    fn fib_ct_and_lists() {
        let exprs = parse_rule_text(
            "fib saddr type local jump mark-for-masquerade comment \"masquerade local traffic\"",
        );
        let Expr::Match(m) = &exprs[0] else { panic!() };
        assert_eq!(m.left.text(), "fib saddr type");
        assert_eq!(m.right, Value::Single("local".into()));
        let exprs = parse_rule_text("ct state related,established counter accept");
        let Expr::Match(m) = &exprs[0] else { panic!() };
        assert_eq!(
            m.right,
            Value::List(vec!["related".into(), "established".into()])
        );
        let exprs = parse_rule_text("ct status dnat drop");
        assert_eq!(exprs.len(), 2);
    }

    #[test]
    fn unknown_is_kept_with_its_span() {
        let exprs = parse_rule_text("ip daddr 1.2.3.4 frobnicate 7 accept");
        assert_eq!(exprs.len(), 3);
        assert_eq!(
            exprs[1],
            Expr::Unknown {
                text: "frobnicate 7".into(),
                span: Span::new(17, 29)
            }
        );
    }

    #[test]
    fn xt_and_reject() {
        let exprs = parse_rule_text(
            "meta l4proto tcp  xt match recent  counter packets 0 bytes 0 dnat to 10.180.0.3:80",
        );
        assert_eq!(
            exprs[1],
            Expr::Xt {
                what: "match".into(),
                name: "recent".into()
            }
        );
        let exprs = parse_rule_text("reject with icmp type host-unreachable");
        assert_eq!(
            exprs,
            vec![Expr::Reject {
                with: Some("icmp type host-unreachable".into())
            }]
        );
    }

    #[test]
    fn element_attributes() {
        let mut d = Vec::new();
        let toks: Vec<_> = tokenize(
            "1.2.3.4 . tcp . 80 comment \"ns2/svc2:p80\" : drop, tcp . 3001 : goto x",
            Origin::START,
            &mut d,
        )
        .into_iter()
        .filter(|t| t.kind != Tok::Newline)
        .collect();
        let mut problems = Vec::new();
        let els = parse_elements(&toks, &mut problems);
        assert!(problems.is_empty());
        assert_eq!(els[0].key, ["1.2.3.4", "tcp", "80"]);
        assert_eq!(els[0].comment.as_deref(), Some("ns2/svc2:p80"));
        assert_eq!(els[0].verdict(), Some(&Verdict::Drop));
        assert_eq!(els[1].key, ["tcp", "3001"]);
    }

    #[test]
    fn address_forms() {
        assert_eq!(
            split_address_port("[fd00::1]:80"),
            (Some("fd00::1".into()), Some(80))
        );
        assert_eq!(split_address_port(":8080"), (None, Some(8080)));
        assert_eq!(
            split_address_port("fd00::1"),
            (Some("fd00::1".into()), None)
        );
    }
}
