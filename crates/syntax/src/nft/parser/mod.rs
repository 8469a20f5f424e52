//! Reads nft statements and blocks (`table … { chain … { … } }`) and `nft -f` commands into a [`Ruleset`].

use std::collections::HashMap;

use crate::diag::{quote, Diagnostic, Parsed, Severity};
use crate::source::{Origin, Span};

use super::expr::{element, parse_elements, parse_rule};
use super::lexer::{Lexer, Tok, Token};
use super::{
    duration_seconds, priority_value, BaseChain, Chain, Command, Elements, NamedObject, Rule,
    Ruleset, Set, Table, TableWarning,
};

const FAMILIES: &[&str] = &["ip", "ip6", "inet", "arp", "bridge", "netdev"];

/// Named objects other than chains and sets that a table may hold in a `{ … }` block.
const OTHER_OBJECTS: &[&str] = &[
    "flowtable",
    "counter",
    "quota",
    "limit",
    "secmark",
    "synproxy",
    "tunnel",
];

const COMMAND_VERBS: &[&str] = &[
    "add", "create", "insert", "replace", "delete", "destroy", "flush",
];
const COMMAND_OBJECTS: &[&str] = &[
    "table",
    "chain",
    "rule",
    "set",
    "map",
    "element",
    "ruleset",
    "flowtable",
    "counter",
    "quota",
    "limit",
    "secmark",
    "synproxy",
    "ct",
];

pub(crate) fn parse(text: &str, origin: Origin) -> Parsed<Ruleset> {
    let mut p = Parser {
        lexer: Lexer::new(text, origin),
        src: text,
        base: origin.offset,
        diagnostics: Vec::new(),
        tables: Vec::new(),
        table_index: HashMap::new(),
        ruleset: Ruleset::default(),
        stack: Vec::new(),
        last_object: None,
    };
    p.run();
    p.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Table(usize),
    Chain(usize, usize),
    Set(usize, usize),
    /// A block whose content is not read (`flowtable`, `counter` …).
    Skip,
}

#[derive(Debug, Clone, Copy)]
enum Object {
    Table(usize),
    Chain(usize, usize),
    Set(usize, usize),
}

struct TableB {
    table: Table,
    chains: Vec<Option<Chain>>,
    chain_index: HashMap<String, usize>,
    sets: Vec<Option<Set>>,
    set_index: HashMap<String, usize>,
}

fn handle_of(comment: &str) -> Option<u64> {
    comment
        .strip_prefix("handle ")
        .and_then(|n| n.trim().parse().ok())
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    src: &'a str,
    base: usize,
    diagnostics: Vec<Diagnostic>,
    tables: Vec<Option<TableB>>,
    table_index: HashMap<(String, String), usize>,
    ruleset: Ruleset,
    stack: Vec<(Ctx, u32, Span)>,
    /// The object opened or added last, with its line, for a `# handle N` that follows on that line.
    last_object: Option<(u32, Object)>,
}

impl<'a> Parser<'a> {
    fn run(&mut self) {
        while let Some(t) = self.lexer.peek() {
            match &t.kind {
                Tok::Newline | Tok::Semi | Tok::Comma => {
                    self.lexer.next();
                }
                Tok::Comment(c) => {
                    let (c, line) = (*c, t.line);
                    self.standalone_comment(c, line);
                    self.lexer.next();
                }
                Tok::Close => {
                    let (line, span) = (t.line, t.span);
                    if self.stack.pop().is_none() {
                        self.diag(
                            line,
                            span,
                            Severity::Warning,
                            "a `}` that closes nothing was ignored".into(),
                        );
                    }
                    self.lexer.next();
                }
                _ => {
                    let (stmt, consumed) = self.collect();
                    if !consumed {
                        self.lexer.next();
                    }
                    self.statement(stmt);
                }
            }
        }
    }

    fn diag(&mut self, line: u32, span: Span, severity: Severity, message: String) {
        self.diagnostics.push(Diagnostic {
            line,
            span,
            severity,
            message,
        });
    }

    fn stmt_diag(&mut self, stmt: &Stmt<'_>, severity: Severity, message: String) {
        self.diag(stmt.line(), stmt.span(), severity, message);
    }

    fn source(&self, span: Span) -> &'a str {
        let start = span.start.saturating_sub(self.base);
        let end = span.end.saturating_sub(self.base);
        self.src.get(start..end).unwrap_or("")
    }

    fn standalone_comment(&mut self, comment: &'a str, line: u32) {
        if let Some(handle) = handle_of(comment) {
            self.ruleset.handles = true;
            if let Some((at, object)) = self.last_object {
                if at == line {
                    match object {
                        Object::Table(t) => {
                            if let Some(tb) = self.tables.get_mut(t).and_then(Option::as_mut) {
                                tb.table.handle = Some(handle);
                            }
                        }
                        Object::Chain(t, c) => {
                            if let Some(ch) = self.chain_mut(t, c) {
                                ch.handle = Some(handle);
                            }
                        }
                        Object::Set(t, s) => {
                            if let Some(set) = self.set_mut(t, s) {
                                set.handle = Some(handle);
                            }
                        }
                    }
                }
            }
            return;
        }
        // `# Warning: table ip nat is managed by iptables-nft, do not touch!`
        if let Some(rest) = comment.strip_prefix("Warning: table ") {
            if rest.contains("iptables-nft") {
                let table = rest.split(" is ").next().unwrap_or("").trim().to_string();
                self.ruleset
                    .iptables_nft_warnings
                    .push(TableWarning { table, line });
            }
        }
    }

    /// Whether the words so far, followed by `{`, open a block.
    fn is_block_header(&self, stmt: &Stmt<'_>) -> bool {
        let words: Vec<Option<&str>> = stmt.toks.iter().map(|t| t.word()).collect();
        let n = words.len();
        let w = |i: usize| words.get(i).copied().flatten();
        let in_table = matches!(self.stack.last(), Some((Ctx::Table(_), _, _)));
        match w(0) {
            Some("table") => n == 2 || (n == 3 && w(1).is_some_and(|f| FAMILIES.contains(&f))),
            Some("chain" | "set" | "map") => n == 2,
            Some("ct") => {
                in_table && n == 3 && matches!(w(1), Some("helper" | "timeout" | "expectation"))
            }
            Some(o) if OTHER_OBJECTS.contains(&o) => in_table && n == 2,
            Some("add" | "create") => match w(1) {
                Some("table") => n == 3 || n == 4,
                Some("chain" | "set" | "map" | "flowtable" | "counter" | "quota" | "limit") => {
                    n == 4 || n == 5
                }
                _ => false,
            },
            _ => false,
        }
    }

    fn statement(&mut self, stmt: Stmt<'a>) {
        if stmt.toks.is_empty() {
            if stmt.opens {
                self.stack.push((Ctx::Skip, 0, stmt.span()));
            }
            return;
        }
        let first = stmt.word(0).unwrap_or("");
        let second = stmt.word(1).unwrap_or("");
        if COMMAND_VERBS.contains(&first) && COMMAND_OBJECTS.contains(&second) {
            self.ruleset.transaction = true;
            self.command(stmt);
            return;
        }
        if stmt.opens {
            self.open_block(stmt);
            return;
        }
        match self.stack.last().map(|(c, _, _)| *c) {
            None => self.top_statement(stmt),
            Some(Ctx::Table(t)) => self.table_statement(t, stmt),
            Some(Ctx::Chain(t, c)) => self.chain_statement(t, c, stmt),
            Some(Ctx::Set(t, s)) => self.set_statement(t, s, stmt),
            Some(Ctx::Skip) => {}
        }
    }

    fn top_statement(&mut self, stmt: Stmt<'_>) {
        match stmt.word(0) {
            Some(
                "list" | "reset" | "monitor" | "describe" | "export" | "import" | "define"
                | "redefine" | "undefine" | "include",
            ) => {
                let text = self.source(stmt.span());
                self.stmt_diag(
                    &stmt,
                    Severity::Info,
                    format!("nft command not used by the analysis: {}", quote(text)),
                );
            }
            _ if is_shell_prompt(self.source(stmt.span())) => {
                let text = self.source(stmt.span());
                self.stmt_diag(
                    &stmt,
                    Severity::Info,
                    format!("a shell prompt after the listing, ignored: {}", quote(text)),
                );
            }
            _ => {
                let text = self.source(stmt.span());
                self.stmt_diag(
                    &stmt,
                    Severity::Error,
                    format!("not an nft statement, ignored: {}", quote(text)),
                );
            }
        }
    }

    fn table_statement(&mut self, t: usize, stmt: Stmt<'_>) {
        match stmt.word(0) {
            Some("comment") => {
                let comment = stmt.text(1);
                if let Some(tb) = self.tables.get_mut(t).and_then(Option::as_mut) {
                    tb.table.comment = comment;
                }
            }
            Some("flags") => {
                let flags: Vec<String> = stmt
                    .toks
                    .iter()
                    .skip(1)
                    .filter_map(|t| t.word().map(str::to_string))
                    .collect();
                if let Some(tb) = self.tables.get_mut(t).and_then(Option::as_mut) {
                    tb.table.flags = flags;
                }
            }
            _ => {
                let text = self.source(stmt.span());
                self.stmt_diag(
                    &stmt,
                    Severity::Warning,
                    format!("not a table declaration, ignored: {}", quote(text)),
                );
            }
        }
    }

    fn chain_statement(&mut self, t: usize, c: usize, stmt: Stmt<'_>) {
        let line = stmt.line();
        match stmt.word(0) {
            Some("type") => {
                let words: Vec<String> = stmt.toks.iter().filter_map(|t| t.text()).collect();
                let mut base = BaseChain {
                    line,
                    ..BaseChain::default()
                };
                base.kind = words.get(1).cloned().unwrap_or_default();
                let mut i = 2;
                while i < words.len() {
                    match words[i].as_str() {
                        "hook" => {
                            base.hook = words.get(i + 1).cloned().unwrap_or_default();
                            i += 2;
                        }
                        "device" => {
                            base.device = words.get(i + 1).cloned();
                            i += 2;
                        }
                        "priority" => {
                            base.priority_text = words.get(i + 1..).unwrap_or(&[]).join(" ");
                            base.priority = priority_value(&base.priority_text);
                            i = words.len();
                        }
                        _ => i += 1,
                    }
                }
                if base.hook.is_empty() {
                    self.stmt_diag(
                        &stmt,
                        Severity::Warning,
                        "a chain type without a hook".into(),
                    );
                }
                if let Some(chain) = self.chain_mut(t, c) {
                    let policy = chain.base.as_ref().and_then(|b| b.policy.clone());
                    base.policy = base.policy.or(policy);
                    chain.base = Some(base);
                }
            }
            Some("policy") => {
                let policy = stmt.word(1).map(str::to_string);
                if let Some(chain) = self.chain_mut(t, c) {
                    chain
                        .base
                        .get_or_insert_with(|| BaseChain {
                            line,
                            ..BaseChain::default()
                        })
                        .policy = policy;
                }
            }
            Some("comment") if stmt.toks.len() == 2 => {
                let comment = stmt.text(1);
                if let Some(chain) = self.chain_mut(t, c) {
                    chain.comment = comment;
                }
            }
            Some("devices" | "flags") if stmt.toks.len() >= 2 => {}
            _ => {
                let rule = self.rule(&stmt.toks, stmt.handle());
                if let Some(chain) = self.chain_mut(t, c) {
                    chain.rules.push(rule);
                }
            }
        }
    }

    fn set_statement(&mut self, t: usize, s: usize, mut stmt: Stmt<'_>) {
        let words: Vec<String> = stmt.toks.iter().filter_map(|t| t.text()).collect();
        let rest = words.get(1..).unwrap_or(&[]).join(" ");
        let mut elements = None;
        match stmt.word(0) {
            Some("type") => {
                let (key, data) = match rest.split_once(" : ") {
                    Some((k, d)) => (k.to_string(), Some(d.trim().to_string())),
                    None => (rest.clone(), None),
                };
                if let Some(set) = self.set_mut(t, s) {
                    set.key_type = key
                        .split(" . ")
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect();
                    set.data_type = data;
                }
            }
            Some("typeof") => {
                if let Some(set) = self.set_mut(t, s) {
                    set.typeof_text = Some(rest);
                }
            }
            Some("flags") => {
                if let Some(set) = self.set_mut(t, s) {
                    set.flags = words.into_iter().skip(1).collect();
                }
            }
            Some("timeout") => {
                if let Some(set) = self.set_mut(t, s) {
                    set.timeout_seconds = duration_seconds(&rest);
                    set.timeout = Some(rest);
                }
            }
            Some("size") => {
                if let Some(set) = self.set_mut(t, s) {
                    set.size = rest.parse().ok();
                }
            }
            Some("comment") => {
                if let Some(set) = self.set_mut(t, s) {
                    set.comment = Some(rest);
                }
            }
            Some("elements") => {
                elements = Some(match stmt.elements.take() {
                    Some(reader) => self.read_elements(reader),
                    None => self.brace_elements(&stmt),
                })
            }
            Some("policy" | "auto-merge" | "gc-interval" | "counter" | "quota" | "devices") => {}
            _ => {
                let text = self.source(stmt.span());
                self.stmt_diag(
                    &stmt,
                    Severity::Warning,
                    format!("not a set declaration, ignored: {}", quote(text)),
                );
            }
        }
        if let Some(elements) = elements {
            if let Some(set) = self.set_mut(t, s) {
                set.elements.append(elements);
            }
        }
    }

    /// The elements an [`ElementReader`] read, its problems reported.
    fn read_elements(&mut self, reader: ElementReader<'_>) -> Elements {
        for (line, span, message) in reader.problems {
            self.diag(line, span, Severity::Warning, message);
        }
        reader.elements
    }

    /// The elements inside the first `{ … }` of a statement.
    fn brace_elements(&mut self, stmt: &Stmt<'_>) -> Elements {
        let Some(open) = stmt.toks.iter().position(|t| t.kind == Tok::Open) else {
            self.stmt_diag(stmt, Severity::Warning, "elements without `{ … }`".into());
            return Elements::new();
        };
        let mut depth = 0usize;
        let mut end = stmt.toks.len();
        for (i, t) in stmt.toks.iter().enumerate().skip(open) {
            match t.kind {
                Tok::Open => depth += 1,
                Tok::Close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inner = stmt.toks.get(open + 1..end).unwrap_or(&[]);
        let mut problems = Vec::new();
        let elements = parse_elements(inner, &mut problems);
        for (line, span, message) in problems {
            self.diag(line, span, Severity::Warning, message);
        }
        elements
    }

    fn rule(&mut self, toks: &[Token<'_>], handle: Option<u64>) -> Rule {
        let parsed = parse_rule(toks, self.src, self.base);
        for (line, span, message) in parsed.problems {
            self.diag(line, span, Severity::Warning, message);
        }
        let span = match (toks.first(), toks.last()) {
            (Some(a), Some(b)) => Span::new(a.span.start, b.span.end.max(a.span.start)),
            _ => Span::default(),
        };
        if handle.is_some() {
            self.ruleset.handles = true;
        }
        Rule {
            line: toks.first().map(|t| t.line).unwrap_or(0),
            span,
            handle,
            text: self.source(span).to_string(),
            exprs: parsed.exprs,
            comment: parsed.comment,
        }
    }

    // ----- blocks -----

    fn open_block(&mut self, stmt: Stmt<'a>) {
        let line = stmt.line();
        let words: Vec<String> = stmt.toks.iter().filter_map(|t| t.text()).collect();
        match words.first().map(String::as_str) {
            Some("table") => {
                self.close_until(line, stmt.span(), |_| false);
                let (family, name) = match words.as_slice() {
                    [_, f, n] => (f.clone(), n.clone()),
                    [_, n] => ("ip".to_string(), n.clone()),
                    _ => return,
                };
                let t = self.table_for(&family, &name, line);
                self.last_object = Some((line, Object::Table(t)));
                self.stack.push((Ctx::Table(t), line, stmt.span()));
            }
            Some(kind @ ("chain" | "set" | "map")) => {
                let name = words.get(1).cloned().unwrap_or_default();
                self.close_until(line, stmt.span(), |c| matches!(c, Ctx::Table(_)));
                let t = match self.stack.last() {
                    Some((Ctx::Table(t), _, _)) => *t,
                    _ => self.table_for("", "", 0),
                };
                if kind == "chain" {
                    let (c, again) = self.chain_for(t, &name, line, stmt.span());
                    if again
                        && self
                            .tables
                            .get(t)
                            .and_then(Option::as_ref)
                            .is_some_and(|tb| tb.table.line.is_none())
                    {
                        self.stmt_diag(
                            &stmt,
                            Severity::Info,
                            format!("chain {name} is listed again; its rules are added to the first listing"),
                        );
                    }
                    self.last_object = Some((line, Object::Chain(t, c)));
                    self.stack.push((Ctx::Chain(t, c), line, stmt.span()));
                } else {
                    let s = self.set_for(t, &name, kind == "map", line, stmt.span());
                    self.last_object = Some((line, Object::Set(t, s)));
                    self.stack.push((Ctx::Set(t, s), line, stmt.span()));
                }
            }
            Some(other) => {
                let kind = if other == "ct" {
                    format!("ct {}", words.get(1).cloned().unwrap_or_default())
                } else {
                    other.to_string()
                };
                let name = words.last().cloned().unwrap_or_default();
                if let Some((Ctx::Table(t), _, _)) = self.stack.last() {
                    let t = *t;
                    if let Some(tb) = self.tables.get_mut(t).and_then(Option::as_mut) {
                        tb.table.objects.push(NamedObject { kind, name, line });
                    }
                }
                self.stack.push((Ctx::Skip, line, stmt.span()));
            }
            None => self.stack.push((Ctx::Skip, line, stmt.span())),
        }
    }

    /// Closes blocks that were left open (a paste cut inside a chain) until `keep` holds for the innermost.
    fn close_until(&mut self, line: u32, span: Span, keep: impl Fn(Ctx) -> bool) {
        while let Some((ctx, opened, _)) = self.stack.last().copied() {
            if keep(ctx) {
                return;
            }
            self.stack.pop();
            let what = self.describe(ctx);
            self.diag(
                line,
                span,
                Severity::Warning,
                format!("{what} (opened on line {opened}) is not closed with `}}` before line {line}; it was closed there"),
            );
        }
    }

    fn describe(&self, ctx: Ctx) -> String {
        match ctx {
            Ctx::Table(t) => match self.tables.get(t).and_then(Option::as_ref) {
                Some(tb) => format!("table {}", tb.table.label()),
                None => "a table".into(),
            },
            Ctx::Chain(t, c) => match self
                .tables
                .get(t)
                .and_then(Option::as_ref)
                .and_then(|tb| tb.chains.get(c))
                .and_then(Option::as_ref)
            {
                Some(ch) => format!("chain {}", ch.name),
                None => "a chain".into(),
            },
            Ctx::Set(t, s) => match self
                .tables
                .get(t)
                .and_then(Option::as_ref)
                .and_then(|tb| tb.sets.get(s))
                .and_then(Option::as_ref)
            {
                Some(set) => format!("{} {}", if set.is_map { "map" } else { "set" }, set.name),
                None => "a set".into(),
            },
            Ctx::Skip => "a block".into(),
        }
    }

    fn finish(mut self) -> Parsed<Ruleset> {
        // The tokenizer's reports come first, as when the whole section was tokenized before parsing.
        let mut diagnostics = std::mem::take(&mut self.lexer.diagnostics);
        diagnostics.append(&mut self.diagnostics);
        self.diagnostics = diagnostics;
        while let Some((ctx, opened, span)) = self.stack.pop() {
            if ctx == Ctx::Skip {
                continue;
            }
            let what = self.describe(ctx);
            self.diagnostics.push(Diagnostic {
                line: opened,
                span,
                severity: Severity::Info,
                message: format!(
                    "{what} opened on line {opened} is not closed: the paste may be cut off"
                ),
            });
        }
        for tb in self.tables.into_iter().flatten() {
            let mut table = tb.table;
            table.chains = tb.chains.into_iter().flatten().collect();
            table.sets = tb.sets.into_iter().flatten().collect();
            for set in &mut table.sets {
                set.elements.shrink_to_fit();
            }
            for chain in &mut table.chains {
                chain.rules.shrink_to_fit();
            }
            self.ruleset.tables.push(table);
        }
        Parsed {
            value: self.ruleset,
            diagnostics: self.diagnostics,
        }
    }
}

/// A bare shell prompt (`user@node:~$`, `[root@node ~]#`, `$`), as a paste that copied the terminal
/// ends: nothing after the prompt character.
fn is_shell_prompt(text: &str) -> bool {
    let t = text.trim();
    let Some(body) = t.strip_suffix(['$', '#', '%', '>']) else {
        return false;
    };
    let body = body.trim_end();
    body.is_empty()
        || (body.len() <= 120
            && !body.contains(['{', '}', ';', '"'])
            && (body.contains('@') || body.starts_with('[') && body.ends_with(']')))
}
mod collect;
mod command;
mod objects;

use collect::{ElementReader, Stmt};

#[cfg(test)]
mod prompt_tests;
