//! The objects of an nft JSON listing (tables, chains, rules, sets and maps, elements) read into the
//! [`Ruleset`](super::super::Ruleset), each rule's statements through the text reader's rule parser.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::diag::Severity;
use crate::source::{Origin, Span};

use super::super::expr::{parse_elements, parse_rule};
use super::super::lexer::{tokenize, Tok, Token};
use super::super::{
    priority_value, BaseChain, Chain, Elements, Expr, MapRef, NamedObject, Rule, Set, Table,
    Value as NftValue,
};
use super::render::{self, Style};
use super::{Reader, MAX_STATEMENTS};

#[derive(Deserialize)]
struct JsonTable {
    family: String,
    name: String,
    handle: Option<u64>,
    comment: Option<String>,
    #[serde(default)]
    flags: Flags,
}

#[derive(Deserialize)]
struct JsonChain {
    family: String,
    table: String,
    name: String,
    handle: Option<u64>,
    #[serde(rename = "type")]
    kind: Option<String>,
    hook: Option<String>,
    prio: Option<Value>,
    policy: Option<String>,
    dev: Option<Value>,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct JsonRule<'a> {
    family: String,
    table: String,
    chain: String,
    handle: Option<u64>,
    comment: Option<String>,
    #[serde(borrow, default)]
    expr: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct JsonSet<'a> {
    family: String,
    table: String,
    name: String,
    handle: Option<u64>,
    #[serde(rename = "type")]
    key_type: Option<Types>,
    map: Option<Types>,
    #[serde(default)]
    flags: Flags,
    timeout: Option<u64>,
    size: Option<u64>,
    comment: Option<String>,
    #[serde(borrow, default)]
    elem: Option<&'a RawValue>,
}

/// `{"element": {"family", "table", "name", "elem": […]}}`.
#[derive(Deserialize)]
struct JsonElement<'a> {
    family: String,
    table: String,
    name: String,
    #[serde(borrow)]
    elem: &'a RawValue,
}

#[derive(Deserialize)]
struct JsonNamed {
    family: Option<String>,
    table: Option<String>,
    name: Option<String>,
}

/// A type (`"ipv4_addr"`) or a concatenation of types (`["ipv4_addr", "inet_service"]`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Types {
    One(String),
    Many(Vec<String>),
}

impl Types {
    pub(super) fn parts(&self) -> Vec<String> {
        match self {
            Types::One(s) => s.split(" . ").map(|p| p.trim().to_string()).collect(),
            Types::Many(v) => v.clone(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Flags {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Flags {
    pub(super) fn list(self) -> Vec<String> {
        match self {
            Flags::None => Vec::new(),
            Flags::One(s) => vec![s],
            Flags::Many(v) => v,
        }
    }
}

/// The elements of a set: a list, or one element alone.
fn element_list(raw: &RawValue) -> Vec<&RawValue> {
    if raw.get().trim_start().starts_with('[') {
        if let Ok(list) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
            return list;
        }
    }
    vec![raw]
}

impl<'a> Reader<'a> {
    pub(super) fn table_for(&mut self, family: &str, name: &str, line: Option<u32>) -> usize {
        let key = (family.to_string(), name.to_string());
        if let Some(&t) = self.table_index.get(&key) {
            return t;
        }
        self.ruleset.tables.push(Table {
            family: family.to_string(),
            name: name.to_string(),
            line,
            ..Table::default()
        });
        let t = self.ruleset.tables.len() - 1;
        self.table_index.insert(key, t);
        t
    }

    pub(super) fn chain_for(&mut self, t: usize, name: &str, span: Span) -> usize {
        let key = (t, name.to_string());
        if let Some(&c) = self.chain_index.get(&key) {
            return c;
        }
        let line = self.line_at(span);
        let chains = &mut self.ruleset.tables[t].chains;
        chains.push(Chain {
            name: name.to_string(),
            line,
            span,
            ..Chain::default()
        });
        let c = chains.len() - 1;
        self.chain_index.insert(key, c);
        c
    }

    pub(super) fn set_for(&mut self, t: usize, name: &str, is_map: bool, span: Span) -> usize {
        let key = (t, name.to_string());
        if let Some(&s) = self.set_index.get(&key) {
            return s;
        }
        let line = self.line_at(span);
        let sets = &mut self.ruleset.tables[t].sets;
        sets.push(Set {
            name: name.to_string(),
            is_map,
            line,
            span,
            ..Set::default()
        });
        let s = sets.len() - 1;
        self.set_index.insert(key, s);
        s
    }

    pub(super) fn table(&mut self, body: &'a RawValue) -> Result<(), String> {
        let j: JsonTable = serde_json::from_str(body.get()).map_err(|e| e.to_string())?;
        let span = self.span_of(body.get());
        let line = self.line_at(span);
        let t = self.table_for(&j.family, &j.name, Some(line));
        let table = &mut self.ruleset.tables[t];
        table.line = table.line.or(Some(line));
        table.handle = j.handle.or(table.handle);
        table.comment = j.comment.or(table.comment.take());
        let flags = j.flags.list();
        if !flags.is_empty() {
            table.flags = flags;
        }
        Ok(())
    }

    pub(super) fn chain(&mut self, body: &'a RawValue, span: Span) -> Result<(), String> {
        let j: JsonChain = serde_json::from_str(body.get()).map_err(|e| e.to_string())?;
        let line = self.line_at(span);
        let t = self.table_for(&j.family, &j.table, None);
        let c = self.chain_for(t, &j.name, span);
        let base = j.hook.map(|hook| {
            let (priority_text, priority) = match &j.prio {
                Some(Value::Number(n)) => match n.as_i64() {
                    Some(v) => (render::priority(&j.family, &hook, v), i32::try_from(v).ok()),
                    None => (n.to_string(), None),
                },
                Some(Value::String(s)) => (s.clone(), priority_value(s)),
                _ => (String::new(), None),
            };
            let device = match &j.dev {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Array(a)) => Some(
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                _ => None,
            };
            BaseChain {
                kind: j.kind.clone().unwrap_or_default(),
                hook,
                priority_text,
                priority,
                policy: j.policy.clone(),
                device,
                line,
            }
        });
        let chain = &mut self.ruleset.tables[t].chains[c];
        chain.line = line;
        chain.span = span;
        chain.handle = j.handle;
        chain.comment = j.comment;
        if base.is_some() {
            chain.base = base;
        }
        Ok(())
    }

    pub(super) fn rule(&mut self, body: &'a RawValue, span: Span) -> Result<(), String> {
        let j: JsonRule<'a> = serde_json::from_str(body.get()).map_err(|e| e.to_string())?;
        let line = self.line_at(span);
        let t = self.table_for(&j.family, &j.table, None);
        if !self.chain_index.contains_key(&(t, j.chain.clone())) {
            self.diag(
                span,
                Severity::Info,
                format!(
                    "rule for chain {}, which the JSON did not list before",
                    j.chain
                ),
            );
        }
        let c = self.chain_for(t, &j.chain, span);
        let mut texts = Vec::with_capacity(j.expr.len());
        let mut exprs = Vec::new();
        for (i, stmt) in j.expr.iter().enumerate() {
            let stmt_span = self.span_of(stmt.get());
            if i >= MAX_STATEMENTS {
                self.diag(
                    stmt_span,
                    Severity::Warning,
                    format!(
                        "a rule with more than {MAX_STATEMENTS} statements: the rest are not read"
                    ),
                );
                break;
            }
            let rendered = serde_json::from_str::<Value>(stmt.get())
                .map_err(|e| e.to_string())
                .and_then(|v| render::statement(&v, &j.family));
            match rendered {
                Ok(text) => {
                    if text.starts_with("xt ") {
                        self.xt.0 += 1;
                        self.xt.1.get_or_insert(stmt_span);
                    }
                    let stmt_line = self.line_at(stmt_span);
                    let (parsed, problems) = rule_exprs(&text, stmt_line, stmt_span);
                    for message in problems {
                        self.diag(stmt_span, Severity::Warning, message);
                    }
                    exprs.extend(parsed);
                    texts.push(text);
                }
                Err(reason) => {
                    self.diag(
                        stmt_span,
                        Severity::Warning,
                        format!("{reason}; the statement is kept as written"),
                    );
                    exprs.push(Expr::Unknown {
                        text: stmt.get().to_string(),
                        span: stmt_span,
                    });
                    texts.push(stmt.get().to_string());
                }
            }
        }
        let mut text = texts.join(" ");
        if let Some(c) = &j.comment {
            text.push_str(&format!(" comment {}", render::quoted(c)));
        }
        let rule = Rule {
            line,
            span,
            handle: j.handle,
            text: text.trim_start().to_string(),
            exprs,
            comment: j.comment,
        };
        self.ruleset.tables[t].chains[c].rules.push(rule);
        Ok(())
    }

    pub(super) fn set(
        &mut self,
        body: &'a RawValue,
        is_map: bool,
        span: Span,
    ) -> Result<(), String> {
        let j: JsonSet<'a> = serde_json::from_str(body.get()).map_err(|e| e.to_string())?;
        let t = self.table_for(&j.family, &j.table, None);
        let s = self.set_for(t, &j.name, is_map, span);
        let key_type = j.key_type.as_ref().map(Types::parts).unwrap_or_default();
        let styles = render::styles_of_types(&key_type);
        let elements = match j.elem {
            Some(e) => self.elements(element_list(e), &styles),
            None => Elements::new(),
        };
        let line = self.line_at(span);
        let set = &mut self.ruleset.tables[t].sets[s];
        set.is_map = is_map;
        set.line = line;
        set.span = span;
        set.handle = j.handle;
        set.key_type = key_type;
        set.data_type = j.map.map(|m| m.parts().join(" . "));
        set.flags = j.flags.list();
        if let Some(seconds) = j.timeout {
            set.timeout = Some(render::duration(seconds));
            set.timeout_seconds = Some(seconds);
        }
        set.size = j.size;
        set.comment = j.comment;
        set.elements.append(elements);
        Ok(())
    }

    pub(super) fn element(&mut self, body: &'a RawValue) -> Result<(), String> {
        let span = self.span_of(body.get());
        let j: JsonElement<'a> = serde_json::from_str(body.get()).map_err(|e| e.to_string())?;
        let t = self.table_for(&j.family, &j.table, None);
        let known = self.set_index.contains_key(&(t, j.name.clone()));
        let s = self.set_for(t, &j.name, false, span);
        let styles = render::styles_of_types(&self.ruleset.tables[t].sets[s].key_type.clone());
        let elements = self.elements(element_list(j.elem), &styles);
        let set = &mut self.ruleset.tables[t].sets[s];
        if !known && elements.iter().any(|e| e.value().is_some()) {
            set.is_map = true;
        }
        set.elements.append(elements);
        Ok(())
    }

    /// Reads the elements of a named set, each written in nft syntax and read by the text reader.
    pub(super) fn elements(&mut self, raws: Vec<&'a RawValue>, styles: &[Style]) -> Elements {
        let mut out = Elements::new();
        for raw in raws {
            let span = self.span_of(raw.get());
            let rendered = serde_json::from_str::<Value>(raw.get())
                .map_err(|e| e.to_string())
                .and_then(|v| render::set_element(&v, styles, 0));
            match rendered {
                Ok(text) => {
                    let mut diagnostics = Vec::new();
                    let tokens: Vec<Token<'_>> = tokenize(&text, Origin::START, &mut diagnostics)
                        .into_iter()
                        .filter(|t| !matches!(t.kind, Tok::Newline | Tok::Comment(_)))
                        .collect();
                    let mut problems = Vec::new();
                    let line = self.line_at(span);
                    for e in parse_elements(&tokens, &mut problems).iter() {
                        let mut e = e.to_element();
                        e.line = line;
                        e.span = span;
                        out.push(e);
                    }
                    for (_, _, message) in problems {
                        self.diag(span, Severity::Warning, message);
                    }
                }
                Err(reason) => {
                    self.diag(
                        span,
                        Severity::Warning,
                        format!("set element: {reason}; ignored"),
                    );
                }
            }
        }
        out
    }

    pub(super) fn named_object(&mut self, kind: &str, body: &'a RawValue, span: Span) {
        let Ok(j) = serde_json::from_str::<JsonNamed>(body.get()) else {
            return;
        };
        let (Some(family), Some(table)) = (j.family, j.table) else {
            return;
        };
        let line = self.line_at(span);
        let t = self.table_for(&family, &table, None);
        self.ruleset.tables[t].objects.push(NamedObject {
            kind: kind.to_string(),
            name: j.name.unwrap_or_default(),
            line,
        });
    }
}

/// Reads one statement written in nft syntax into expressions, with every span set to the statement's JSON
/// span. Returns the expressions and the messages of what the text reader did not understand.
fn rule_exprs(text: &str, line: u32, span: Span) -> (Vec<Expr>, Vec<String>) {
    let mut diagnostics = Vec::new();
    let tokens: Vec<Token<'_>> = tokenize(text, Origin::START, &mut diagnostics)
        .into_iter()
        .filter(|t| !matches!(t.kind, Tok::Newline | Tok::Comment(_)))
        .collect();
    let parsed = parse_rule(&tokens, text, 0);
    let mut exprs = parsed.exprs;
    for e in &mut exprs {
        relocate(e, line, span);
    }
    let problems = parsed
        .problems
        .into_iter()
        .map(|(_, _, message)| message)
        .chain(diagnostics.into_iter().map(|d| d.message))
        .collect();
    (exprs, problems)
}

/// Points the spans inside an expression (unknown parts, elements of anonymous sets) at the JSON statement.
fn relocate(e: &mut Expr, line: u32, span: Span) {
    let elements = match e {
        Expr::Unknown { span: s, .. } => {
            *s = span;
            return;
        }
        Expr::Match(m) => match &mut m.right {
            NftValue::Set(els) => els,
            _ => return,
        },
        Expr::Lookup(l) => match &mut l.map {
            MapRef::Anonymous(els) => els,
            MapRef::Named(_) => return,
        },
        _ => return,
    };
    elements.relocate(line, span);
}
