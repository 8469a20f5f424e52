//! Reader for nftables' JSON output (`nft -j list ruleset`, `nft -j list table ip kube-proxy`, `nft -j -a …`):
//! the libnftables-json schema `{"nftables": [{"metainfo": …}, {"table": …}, {"chain": …}, {"rule": …},
//! {"set": …}, {"map": …}, {"element": …}]}`, read into the same [`Ruleset`] the text reader builds.
//!
//! Each statement of a rule is written back in `nft list` syntax (the `render` module) and read by the text
//! reader's rule parser, so the analysis sees one kind of tree whatever the input was. The objects of the
//! `nftables` array are read one by one: a paste cut in the middle keeps every object before the cut.
//! Lines and byte spans point at the JSON object (JSON is often one line: the span tells where). What is
//! not understood stays in the rule as [`Expr::Unknown`](crate::nft::Expr::Unknown) with its JSON text,
//! and a diagnostic says so.

mod objects;
mod render;

use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::diag::{quote, Diagnostic, Diagnostics, Parsed, Severity};
use crate::source::{Origin, Span};

use super::{Command, Ruleset};

/// Deepest nesting of JSON arrays and objects read in one object of the `nftables` array.
pub const MAX_JSON_DEPTH: usize = 64;
/// Most objects read from the `nftables` array; the rest are counted in one diagnostic.
pub const MAX_OBJECTS: usize = 1_000_000;
/// Most statements read in one rule.
pub const MAX_STATEMENTS: usize = 256;

/// Whether a section's text is nft JSON: it starts with `{` (or `"nftables"`, when a pretty printer put the
/// opening brace on the line before) and names the `nftables` array near its start.
pub fn looks_like_json(text: &str) -> bool {
    let t = text.trim_start();
    let head = t.get(..t.len().min(256)).unwrap_or(t);
    let head = match head.char_indices().nth(200) {
        Some((i, _)) => &head[..i],
        None => head,
    };
    ((t.starts_with('{') || t.starts_with("\"nftables\"")) && head.contains("\"nftables\""))
        || starts_with_object(t)
}

/// The kinds of object the `nftables` list holds.
const OBJECT_KINDS: &[&str] = &[
    "metainfo",
    "table",
    "chain",
    "rule",
    "set",
    "map",
    "element",
    "flowtable",
    "counter",
    "quota",
];

/// Whether `text` starts with one object of the `nftables` list, `{"rule": {`, as `jq -c '.nftables[]'`
/// prints them one per line.
pub(crate) fn starts_with_object(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('{').map(str::trim_start) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('"') else {
        return false;
    };
    OBJECT_KINDS.iter().any(|k| {
        rest.strip_prefix(k)
            .and_then(|r| r.strip_prefix('"'))
            .map(str::trim_start)
            .is_some_and(|r| r.starts_with(':'))
    })
}

/// Reads one section of nft JSON.
pub fn parse(text: &str, origin: Origin) -> Parsed<Ruleset> {
    let mut reader = Reader {
        text,
        origin,
        newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
        diagnostics: Diagnostics::default(),
        ruleset: Ruleset::default(),
        table_index: HashMap::new(),
        chain_index: HashMap::new(),
        set_index: HashMap::new(),
        cut: None,
        xt: (0, None),
    };
    reader.run();
    if let Some(span) = reader.cut {
        reader.leave_out_unread_chains(span);
    }
    if let (n, Some(span)) = reader.xt {
        reader.diag(
            span,
            Severity::Info,
            format!("{n} iptables extension(s) (`xt`, from iptables-nft) in the JSON: nft's JSON names them without their options (the text listing or iptables-save shows what they match)"),
        );
    }
    let mut ruleset = reader.ruleset;
    ruleset.handles = ruleset.tables.iter().any(|t| {
        t.handle.is_some()
            || t.chains
                .iter()
                .any(|c| c.rules.iter().any(|r| r.handle.is_some()))
    });
    Parsed {
        value: ruleset,
        diagnostics: reader.diagnostics.finish(),
    }
}

struct Reader<'a> {
    text: &'a str,
    origin: Origin,
    /// Offsets of the line ends in `text`, to turn offsets into line numbers.
    newlines: Vec<usize>,
    diagnostics: Diagnostics,
    ruleset: Ruleset,
    table_index: HashMap<(String, String), usize>,
    chain_index: HashMap<(usize, String), usize>,
    set_index: HashMap<(usize, String), usize>,
    /// Where the reading stopped before the end of the `nftables` list (a cut paste, broken JSON).
    cut: Option<Span>,
    /// iptables extensions (`xt`) met in rules: how many, and the first one's span.
    xt: (usize, Option<Span>),
}

fn skip_ws(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
        pos += 1;
    }
    pos
}

/// How deep arrays and objects nest in `raw` (strings skipped).
fn nesting_depth(raw: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in raw.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

impl<'a> Reader<'a> {
    /// The span in the whole paste of a slice of `text`; anything else gives the empty span at the end.
    fn span_of(&self, part: &str) -> Span {
        let base = self.text.as_ptr() as usize;
        let ptr = part.as_ptr() as usize;
        let inside = ptr >= base && ptr + part.len() <= base + self.text.len();
        let (at, len) = if inside {
            (ptr - base, part.len())
        } else {
            (self.text.len(), 0)
        };
        Span::new(self.origin.offset + at, self.origin.offset + at + len)
    }

    fn line_at(&self, span: Span) -> u32 {
        let local = span.start.saturating_sub(self.origin.offset);
        let before = self.newlines.partition_point(|&n| n < local);
        self.origin.line.saturating_add(before as u32)
    }

    fn diag(&mut self, span: Span, severity: Severity, message: String) {
        let line = self.line_at(span);
        self.diagnostics.push(Diagnostic {
            line,
            span,
            severity,
            message,
        });
    }

    fn run(&mut self) {
        let text = self.text;
        let first = skip_ws(text, 0);
        if starts_with_object(&text[first..]) {
            // One object after another, as `jq -c '.nftables[]'` prints them.
            self.read_objects(first, false);
            return;
        }
        let Some(key) = text.find("\"nftables\"") else {
            let first = text.chars().next().map_or(0, char::len_utf8);
            let span = self.span_of(&text[..first]);
            self.diag(
                span,
                Severity::Error,
                "JSON without an \"nftables\" array: not nft JSON output".into(),
            );
            return;
        };
        let mut pos = skip_ws(text, key + "\"nftables\"".len());
        let opened = text.get(pos..pos + 1) == Some(":") && {
            pos = skip_ws(text, pos + 1);
            text.get(pos..pos + 1) == Some("[")
        };
        if !opened {
            let span = self.span_of(&text[key..key + "\"nftables\"".len()]);
            self.diag(
                span,
                Severity::Error,
                "\"nftables\" is not followed by a list `[`: the JSON is not read".into(),
            );
            return;
        }
        let Some(mut pos) = self.read_objects(pos + 1, true) else {
            return;
        };
        // After the list: the closing brace, then nothing but blanks (or a shell prompt).
        pos = skip_ws(text, pos);
        if text.as_bytes().get(pos) == Some(&b'}') {
            pos = skip_ws(text, pos + 1);
        }
        if pos < text.len() {
            let rest = &text[pos..];
            let span = self.span_of(rest);
            self.diag(
                span,
                Severity::Info,
                format!(
                    "text after the JSON document was ignored: {}",
                    quote(rest.lines().next().unwrap_or(""))
                ),
            );
        }
    }

    /// Reads the objects from `pos` on: the items of the `nftables` list up to its `]` (`in_list`, and
    /// then returns the position after it), or objects one after another up to the end of the text.
    /// Returns `None` when the reading stopped early (a cut, broken JSON, a limit); `self.cut` says where.
    fn read_objects(&mut self, mut pos: usize, in_list: bool) -> Option<usize> {
        let text = self.text;
        let mut count = 0usize;
        loop {
            pos = skip_ws(text, pos);
            let rest = &text[pos..];
            if rest.is_empty() {
                if !in_list {
                    return Some(pos);
                }
                let span = self.span_of(&text[text.len()..]);
                self.diag(
                    span,
                    Severity::Info,
                    "the JSON ends before the \"nftables\" list is closed: the paste may be cut off; everything before the cut is read".into(),
                );
                self.cut = Some(span);
                return None;
            }
            if in_list && rest.starts_with(']') {
                return Some(pos + 1);
            }
            if !in_list && !rest.starts_with('{') {
                let line = rest.lines().next().unwrap_or("");
                let span = self.span_of(line);
                self.diag(
                    span,
                    Severity::Warning,
                    format!("not an nft JSON object, ignored: {}", quote(line)),
                );
                pos += line.len();
                continue;
            }
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
            match stream.next() {
                Some(Ok(raw)) => {
                    pos += stream.byte_offset();
                    count += 1;
                    if count > MAX_OBJECTS {
                        let span = self.span_of(raw.get());
                        self.diag(
                            span,
                            Severity::Error,
                            format!("more than {MAX_OBJECTS} objects in the \"nftables\" list; the rest are not read"),
                        );
                        self.cut = Some(span);
                        return None;
                    }
                    self.object(raw);
                }
                Some(Err(e)) => {
                    let mut at = (pos + stream.byte_offset()).min(text.len());
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    let span = self.span_of(&text[pos..at.max(pos)]);
                    let (severity, message) = if e.is_eof() {
                        (Severity::Info, "the JSON ends inside an object: the paste may be cut off; everything before the cut is read".to_string())
                    } else {
                        (Severity::Error, format!("broken JSON ({e}); the objects before it are read, the rest is not"))
                    };
                    self.diag(span, severity, message);
                    self.cut = Some(span);
                    return None;
                }
                None => return Some(pos),
            }
            pos = skip_ws(text, pos);
            match text.as_bytes().get(pos) {
                Some(b',') => pos += 1,
                Some(b']') if in_list => return Some(pos + 1),
                None => {}
                Some(_) if !in_list => {}
                Some(_) => {
                    let next = text[pos..].chars().next().map_or(0, char::len_utf8);
                    let span = self.span_of(&text[pos..pos + next]);
                    self.diag(
                        span,
                        Severity::Error,
                        "expected `,` or `]` between the objects of the \"nftables\" list; the rest is not read".into(),
                    );
                    self.cut = Some(span);
                    return None;
                }
            }
        }
    }

    /// One object of the `nftables` list: `{"KIND": {…}}`.
    fn object(&mut self, raw: &'a RawValue) {
        let span = self.span_of(raw.get());
        if nesting_depth(raw.get()) > MAX_JSON_DEPTH {
            self.diag(
                span,
                Severity::Error,
                format!("an object nested deeper than {MAX_JSON_DEPTH} levels was not read"),
            );
            return;
        }
        let fields: HashMap<String, &'a RawValue> = match serde_json::from_str(raw.get()) {
            Ok(f) => f,
            Err(e) => {
                self.diag(
                    span,
                    Severity::Warning,
                    format!(
                        "not an nft JSON object ({e}), ignored: {}",
                        quote(raw.get())
                    ),
                );
                return;
            }
        };
        let mut kinds: Vec<(&String, &&'a RawValue)> = fields.iter().collect();
        crate::stable_sort::sort_by_key(&mut kinds, |(k, _)| k.as_str());
        for (kind, body) in kinds {
            self.kind(kind, body, span, false);
        }
    }

    fn kind(&mut self, kind: &str, body: &'a RawValue, span: Span, in_command: bool) {
        let result = match kind {
            "metainfo" => Ok(()),
            "table" => self.table(body),
            "chain" => self.chain(body, span),
            "rule" => self.rule(body, span),
            "set" | "map" => self.set(body, kind == "map", span),
            "element" => self.element(body),
            "add" | "create" | "insert" | "replace" if !in_command => {
                self.ruleset.transaction = true;
                match serde_json::from_str::<HashMap<String, &'a RawValue>>(body.get()) {
                    Ok(inner) => {
                        let mut inner: Vec<_> = inner.into_iter().collect();
                        crate::stable_sort::sort_by(&mut inner, |a, b| a.0.cmp(&b.0));
                        for (k, b) in inner {
                            self.kind(&k, b, span, true);
                        }
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            "flush" | "delete" | "destroy" if !in_command => {
                self.ruleset.transaction = true;
                let line = self.line_at(span);
                self.ruleset.commands.push(Command {
                    line,
                    span,
                    verb: kind.to_string(),
                    object: first_key(body.get()).unwrap_or_default(),
                    text: body.get().to_string(),
                });
                self.diag(
                    span,
                    Severity::Info,
                    format!("JSON command `{kind}` is listed but not applied to the ruleset"),
                );
                Ok(())
            }
            "flowtable" | "counter" | "quota" | "limit" | "secmark" | "synproxy" | "ct helper"
            | "ct timeout" | "ct expectation" | "tunnel" => {
                self.named_object(kind, body, span);
                Ok(())
            }
            _ => {
                self.diag(
                    span,
                    Severity::Info,
                    format!("nft JSON object `{kind}` is not used by the analysis"),
                );
                Ok(())
            }
        };
        if let Err(e) = result {
            self.diag(
                span,
                Severity::Warning,
                format!(
                    "nft JSON `{kind}` not understood ({e}), ignored: {}",
                    quote(body.get())
                ),
            );
        }
    }

    /// nft lists a table's chains before their rules, so a listing cut among the rules shows the chains
    /// whose rules came after the cut as empty. Their rules are unknown, not absent: they are left out (as
    /// a cut text listing leaves them out) and a diagnostic names them.
    fn leave_out_unread_chains(&mut self, cut: Span) {
        let Some(table) = self.ruleset.tables.last_mut() else {
            return;
        };
        let last_with_rules = table.chains.iter().rposition(|c| !c.rules.is_empty());
        let first_unread = last_with_rules.map_or(0, |i| i + 1);
        let unread: Vec<String> = table
            .chains
            .get(first_unread..)
            .unwrap_or(&[])
            .iter()
            .filter(|c| c.rules.is_empty())
            .map(|c| c.name.clone())
            .collect();
        if unread.is_empty() {
            return;
        }
        let label = table.label();
        table
            .chains
            .retain(|c| !(c.rules.is_empty() && unread.contains(&c.name)));
        let mut names = unread
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if unread.len() > 5 {
            names.push_str(&format!(" and {} more", unread.len() - 5));
        }
        self.diag(
            cut,
            Severity::Info,
            format!(
                "the JSON is cut before the rules of {} chain(s) of table {label} ({names}): their rules are unknown, so these chains are left out",
                unread.len()
            ),
        );
    }
}

/// The first key of a JSON object, e.g. `rule` for `{"rule": {…}}`.
fn first_key(raw: &str) -> Option<String> {
    let map: HashMap<String, &RawValue> = serde_json::from_str(raw).ok()?;
    map.into_keys().min()
}

#[cfg(test)]
mod tests;
