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
    p.out.exprs.shrink_to_fit();
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
        self.out.exprs.push(Expr::Nat(Box::new(nat)));
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

mod elements;
mod selector;

pub use elements::split_address_port;
pub(crate) use elements::{element, parse_elements};

#[cfg(test)]
mod tests;
