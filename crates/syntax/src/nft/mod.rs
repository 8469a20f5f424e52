//! Parser for nftables text: `nft list ruleset`, `nft list table ip kube-proxy`, `nft -a` (with handles),
//! and `nft -f` transactions (`add table/chain/rule/set/map/element`, `flush`, `delete`).
//!
//! One section may mix both forms. The result is the ruleset the text describes: transactions are applied
//! in order (a `flush chain` empties the chain, a `delete element` removes the element). Every table,
//! chain, rule, set and element keeps the line it was written on. Rules are read into a list of
//! [`Expr`]s; what is not understood stays in the rule as [`Expr::Unknown`] with its text and span, and a
//! diagnostic says so. Chains listed without their `table` header (a fragment) go into a table with an
//! empty family and name.

mod expr;
pub mod json;
mod lexer;
mod packed;
mod parser;

use serde::Serialize;

use crate::diag::Parsed;
use crate::source::{Origin, Span};

pub use expr::{parse_rule_text, split_address_port};
pub use packed::{ElementRef, Elements, Key, ValueRef};

/// One word of an nft line as the nft tokenizer reads it, with its byte range in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineWord {
    /// The word; a quoted string without its quotes and escapes.
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub quoted: bool,
}

/// The words of one line as the nft parser tokenizes them: words, quoted strings, and `{`, `}`, `,`
/// and `;` as words of their own. A `#` comment ends them; an unclosed string runs to the end of the line.
pub fn line_words(line: &str) -> Vec<LineWord> {
    let mut diagnostics = Vec::new();
    let line = line.split(['\n', '\r']).next().unwrap_or("");
    lexer::tokenize(line, Origin::START, &mut diagnostics)
        .into_iter()
        .filter_map(|t| {
            let (text, quoted) = match t.kind {
                lexer::Tok::Word(w) => (w.to_string(), false),
                lexer::Tok::Str(s) => (s, true),
                lexer::Tok::Open => ("{".into(), false),
                lexer::Tok::Close => ("}".into(), false),
                lexer::Tok::Comma => (",".into(), false),
                lexer::Tok::Semi => (";".into(), false),
                lexer::Tok::Comment(_) | lexer::Tok::Newline => return None,
            };
            Some(LineWord {
                text,
                start: t.span.start,
                end: t.span.end,
                quoted,
            })
        })
        .collect()
}

/// Everything one nft section describes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ruleset {
    pub tables: Vec<Table>,
    /// True when the text used `nft -f` commands (`add rule …`), false for `nft list` output only.
    pub transaction: bool,
    /// True when `# handle N` annotations were seen (`nft -a`).
    pub handles: bool,
    /// `flush`, `delete` and `destroy` commands, in order (they have already been applied to `tables`).
    pub commands: Vec<Command>,
    /// Tables that carry `# Warning: table ip nat is managed by iptables-nft, do not touch!`.
    pub iptables_nft_warnings: Vec<TableWarning>,
}

impl Ruleset {
    /// The table with this family and name.
    pub fn table(&self, family: &str, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.family == family && t.name == name)
    }

    pub fn rule_count(&self) -> usize {
        self.tables
            .iter()
            .map(|t| t.chains.iter().map(|c| c.rules.len()).sum::<usize>())
            .sum()
    }
}

/// A table: `table ip kube-proxy { … }` or `add table ip kube-proxy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Table {
    /// `ip`, `ip6`, `inet`, `arp`, `bridge`, `netdev`; empty for chains listed without a table header.
    pub family: String,
    /// Empty for chains listed without a table header.
    pub name: String,
    /// Line that opened (or first added) the table; `None` when the paste shows no table header.
    pub line: Option<u32>,
    pub handle: Option<u64>,
    pub comment: Option<String>,
    pub flags: Vec<String>,
    pub chains: Vec<Chain>,
    /// Sets and maps.
    pub sets: Vec<Set>,
    /// Other named objects (`flowtable`, `counter`, `quota`, `ct helper` …), kept by kind, name and line.
    pub objects: Vec<NamedObject>,
}

impl Table {
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.name == name)
    }

    pub fn set(&self, name: &str) -> Option<&Set> {
        self.sets.iter().find(|s| s.name == name)
    }

    /// `ip kube-proxy`, or `(no table header)` for a fragment.
    pub fn label(&self) -> String {
        if self.family.is_empty() && self.name.is_empty() {
            "(no table header)".to_string()
        } else {
            format!("{} {}", self.family, self.name)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NamedObject {
    pub kind: String,
    pub name: String,
    pub line: u32,
}

/// A chain. Base chains carry a [`BaseChain`] hook declaration.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Chain {
    pub name: String,
    pub line: u32,
    pub span: Span,
    pub handle: Option<u64>,
    pub base: Option<BaseChain>,
    pub comment: Option<String>,
    pub rules: Vec<Rule>,
}

/// `type nat hook prerouting priority dstnat; policy accept;`
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BaseChain {
    /// `filter`, `nat` or `route`.
    pub kind: String,
    /// `prerouting`, `input`, `forward`, `output`, `postrouting`, `ingress`, `egress`.
    pub hook: String,
    /// The priority as written (`dstnat - 10`, `-110`).
    pub priority_text: String,
    /// The priority as a number (`dstnat - 10` is -110 in the ip families), when it can be computed.
    pub priority: Option<i32>,
    pub policy: Option<String>,
    pub device: Option<String>,
    pub line: u32,
}

/// One rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rule {
    /// Line the rule starts on.
    pub line: u32,
    pub span: Span,
    pub handle: Option<u64>,
    /// The rule as written (without `add rule FAMILY TABLE CHAIN` and without `# handle N`).
    pub text: String,
    pub exprs: Vec<Expr>,
    pub comment: Option<String>,
}

impl Rule {
    /// The rule's final verdict (`jump`, `goto`, `accept` …), if any.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.exprs.iter().rev().find_map(|e| match e {
            Expr::Verdict(v) => Some(v),
            _ => None,
        })
    }

    pub fn counter(&self) -> Option<Counter> {
        self.exprs.iter().find_map(|e| match e {
            Expr::Counter(c) => Some(*c),
            _ => None,
        })
    }

    /// The matches of this rule, in order.
    pub fn matches(&self) -> impl Iterator<Item = &Match> {
        self.exprs.iter().filter_map(|e| match e {
            Expr::Match(m) => Some(m),
            _ => None,
        })
    }

    /// The first match whose left side is exactly `selector` (e.g. `ip daddr`).
    pub fn find_match(&self, selector: &str) -> Option<&Match> {
        self.matches().find(|m| m.left.text() == selector)
    }

    /// True when some expression was not understood.
    pub fn has_unknown(&self) -> bool {
        self.exprs.iter().any(|e| matches!(e, Expr::Unknown { .. }))
    }
}

/// One expression or statement of a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expr {
    /// `ip daddr 10.0.0.1`, `ip saddr != 10.0.0.0/8`, `ct state new`, `ip daddr @cluster-ips`,
    /// `fib daddr type local`, `meta mark & 0x4000 == 0`, `meta random & 2147483647 < 1073741824`.
    Match(Match),
    /// `KEY vmap @map`, `KEY vmap { … }`, `KEY map { … }` (a lookup that gives a verdict or a value).
    Lookup(Lookup),
    /// `counter` or `counter packets N bytes N`.
    Counter(Counter),
    Verdict(Verdict),
    /// `reject` or `reject with …`.
    Reject {
        with: Option<String>,
    },
    /// `dnat to …`, `snat to …`, `masquerade`, `redirect to …` (boxed: the largest expression, and a rule
    /// has few).
    Nat(Box<Nat>),
    /// `meta mark set meta mark | 0x4000`, `mark set mark or 0x4000`, `ct mark set …`.
    Assign {
        target: String,
        value: String,
    },
    /// `update @set { ip saddr }`, `add @set { … }`, `delete @set { … }`.
    SetUpdate {
        op: String,
        set: String,
        key: String,
    },
    /// `xt match recent` / `xt target "…"`: an iptables extension that nft cannot show in its own syntax.
    Xt {
        what: String,
        name: String,
    },
    /// `log …`, `limit …`, `notrack`, `queue …` and other statements kept as text.
    Statement {
        name: String,
        args: String,
    },
    /// Text that was not understood, kept as written.
    Unknown {
        text: String,
        span: Span,
    },
}

/// The left side of a match or lookup: one or more selectors joined by ` . `.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Selector {
    /// Each part as written, e.g. `["ip daddr", "meta l4proto", "th dport"]`.
    pub parts: Vec<String>,
    /// A bitwise operation applied before comparing, e.g. `& 0x00004000`.
    pub bitwise: Option<String>,
    /// Set when the selector is `numgen random|inc mod N [offset M]`.
    pub numgen: Option<Numgen>,
}

impl Selector {
    /// The parts joined by ` . ` (without the bitwise part).
    pub fn text(&self) -> String {
        self.parts.join(" . ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Numgen {
    /// True for `numgen random`, false for `numgen inc`.
    pub random: bool,
    pub modulus: u32,
    pub offset: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub left: Selector,
    pub op: Op,
    pub right: Value,
}

/// The right side of a match.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Value {
    /// One value: an address, prefix, range, number or name.
    Single(String),
    /// `a,b,c` (e.g. `ct state established,related`).
    List(Vec<String>),
    /// `@name`: a named set.
    SetRef(String),
    /// `{ … }`: an anonymous set.
    Set(Elements),
}

impl Value {
    /// All plain values: the single value, the list, or the keys of an anonymous set (joined by ` . `).
    pub fn values(&self) -> Vec<String> {
        match self {
            Value::Single(v) => vec![v.clone()],
            Value::List(v) => v.clone(),
            Value::SetRef(_) => Vec::new(),
            Value::Set(elements) => elements.iter().map(|e| e.key().join(" . ")).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lookup {
    pub key: Selector,
    /// True for `vmap` (the value is a verdict), false for `map`.
    pub verdict_map: bool,
    pub map: MapRef,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum MapRef {
    Named(String),
    Anonymous(Elements),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counter {
    pub packets: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accept,
    Drop,
    Return,
    Continue,
    Jump(String),
    Goto(String),
    /// `queue …`, `stop`, or anything else that ends a rule.
    Other(String),
}

impl Verdict {
    /// The chain a `jump` or `goto` continues in.
    pub fn chain(&self) -> Option<&str> {
        match self {
            Verdict::Jump(c) | Verdict::Goto(c) => Some(c),
            _ => None,
        }
    }

    /// `accept`, `jump X`, …
    pub fn text(&self) -> String {
        match self {
            Verdict::Accept => "accept".into(),
            Verdict::Drop => "drop".into(),
            Verdict::Return => "return".into(),
            Verdict::Continue => "continue".into(),
            Verdict::Jump(c) => format!("jump {c}"),
            Verdict::Goto(c) => format!("goto {c}"),
            Verdict::Other(o) => o.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NatKind {
    Dnat,
    Snat,
    Masquerade,
    Redirect,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nat {
    pub kind: NatKind,
    /// `ip` / `ip6` in `dnat ip to …`.
    pub family: Option<String>,
    /// What follows `to`, as written (`10.180.0.1:80`, `[fd00::1]:80`, `:8080`).
    pub to: Option<String>,
    /// The address of `to`, when it is a plain address.
    pub address: Option<String>,
    pub port: Option<u16>,
    /// `random`, `fully-random`, `persistent`.
    pub flags: Vec<String>,
    /// `dnat ip to numgen random mod 2 map { 0 : 10.0.0.1 . 80, … }` or `dnat ip to KEY map @name`: the
    /// address (and port) come from a map looked up with a key of the packet or a generated number.
    pub map: Option<NatMap>,
}

/// The map of a NAT statement: its key and the map (elements hold `ADDR . PORT` or `ADDR` data).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NatMap {
    pub key: Selector,
    pub map: MapRef,
}

/// A named set or map.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Set {
    pub name: String,
    /// True for a `map`.
    pub is_map: bool,
    pub line: u32,
    pub span: Span,
    pub handle: Option<u64>,
    /// Key types of `type A . B . C : D`, e.g. `["ipv4_addr", "inet_proto", "inet_service"]`.
    pub key_type: Vec<String>,
    /// Data type of a map (`verdict`, `ipv4_addr` …).
    pub data_type: Option<String>,
    /// `typeof …` as written, when the set was declared that way.
    pub typeof_text: Option<String>,
    pub flags: Vec<String>,
    /// Element timeout as written (`10800s`, `3h`).
    pub timeout: Option<String>,
    /// The same timeout in seconds.
    pub timeout_seconds: Option<u64>,
    pub size: Option<u64>,
    pub comment: Option<String>,
    pub elements: Elements,
}

/// One element of a set or map (named or anonymous), owned: what the parsers build and [`Elements`]
/// stores packed ([`ElementRef::to_element`] gives it back).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Element {
    pub line: u32,
    pub span: Span,
    /// The key's parts: `["172.30.0.41", "tcp", "80"]` for `172.30.0.41 . tcp . 80`. Prefixes and ranges
    /// stay as written (`10.0.0.0/8`, `1-5`).
    pub key: Vec<String>,
    pub comment: Option<String>,
    pub timeout: Option<String>,
    pub expires: Option<String>,
    pub counter: Option<Counter>,
    /// The value of a map element.
    pub value: Option<ElementValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ElementValue {
    Verdict(Verdict),
    /// Data, its parts joined by ` . ` as written.
    Data(String),
}

impl Element {
    pub fn verdict(&self) -> Option<&Verdict> {
        match &self.value {
            Some(ElementValue::Verdict(v)) => Some(v),
            _ => None,
        }
    }
}

/// A `flush …`, `delete …` or `destroy …` command of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    pub line: u32,
    pub span: Span,
    pub verb: String,
    /// `ruleset`, `table`, `chain`, `rule`, `set`, `map`, `element` …
    pub object: String,
    /// The rest of the command as written.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableWarning {
    /// `ip nat`, `ip6 filter` …
    pub table: String,
    pub line: u32,
}

/// Parses one nft section: `nft list` text and `nft -f` commands, or `nft -j` JSON.
pub fn parse(text: &str, origin: Origin) -> Parsed<Ruleset> {
    if json::looks_like_json(text) {
        return json::parse(text, origin);
    }
    parser::parse(text, origin)
}

/// Reads an nft duration (`10800s`, `3h`, `2h59m58s`, `1d`, `500ms`, or a plain number of seconds) as whole
/// seconds.
pub fn duration_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(n) = text.parse::<u64>() {
        return Some(n);
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            if number.is_some() {
                return None;
            }
            number = Some(rest.get(..digits)?.parse().ok()?);
            rest = rest.get(digits..)?;
            continue;
        }
        let n = number.take()?;
        let (unit, factor_ms) = if rest.starts_with("ms") {
            ("ms", 1u64)
        } else if rest.starts_with('s') {
            ("s", 1_000)
        } else if rest.starts_with('m') {
            ("m", 60_000)
        } else if rest.starts_with('h') {
            ("h", 3_600_000)
        } else if rest.starts_with('d') {
            ("d", 86_400_000)
        } else {
            return None;
        };
        total = total.checked_add(n.checked_mul(factor_ms)?)?;
        rest = rest.get(unit.len()..)?;
    }
    if number.is_some() {
        return None;
    }
    Some(total / 1000)
}

/// The number behind a standard priority name in the `ip`, `ip6` and `inet` families.
pub fn standard_priority(name: &str) -> Option<i32> {
    Some(match name {
        "raw" => -300,
        "mangle" => -150,
        "dstnat" => -100,
        "filter" => 0,
        "security" => 50,
        "srcnat" => 100,
        _ => return None,
    })
}

/// Computes a chain priority as written: `-110`, `dstnat`, `dstnat - 10`, `filter + 5`.
pub fn priority_value(text: &str) -> Option<i32> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let base = |w: &str| w.parse::<i32>().ok().or_else(|| standard_priority(w));
    match words.as_slice() {
        [one] => {
            if let Some(v) = base(one) {
                return Some(v);
            }
            // `dstnat-10` written without blanks.
            let at = one.find(['+', '-']).filter(|&i| i > 0)?;
            let (name, delta) = one.split_at(at);
            let delta: i32 = delta.parse().ok()?;
            standard_priority(name)?.checked_add(delta)
        }
        [name, sign, n] => {
            let v = base(name)?;
            let n: i32 = n.parse().ok()?;
            match *sign {
                "+" => v.checked_add(n),
                "-" => v.checked_sub(n),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_seconds("10800s"), Some(10800));
        assert_eq!(duration_seconds("3h"), Some(10800));
        assert_eq!(duration_seconds("2h59m58s"), Some(10798));
        assert_eq!(duration_seconds("1d"), Some(86400));
        assert_eq!(duration_seconds("1500ms"), Some(1));
        assert_eq!(duration_seconds("42"), Some(42));
        assert_eq!(duration_seconds("h"), None);
        assert_eq!(duration_seconds("3x"), None);
        assert_eq!(duration_seconds("99999999999999999999h"), None);
    }

    #[test]
    fn priorities() {
        assert_eq!(priority_value("dstnat - 10"), Some(-110));
        assert_eq!(priority_value("dstnat"), Some(-100));
        assert_eq!(priority_value("-110"), Some(-110));
        assert_eq!(priority_value("srcnat"), Some(100));
        assert_eq!(priority_value("filter + 10"), Some(10));
        assert_eq!(priority_value("dstnat+10"), Some(-90));
        assert_eq!(priority_value("sideways"), None);
    }
}
