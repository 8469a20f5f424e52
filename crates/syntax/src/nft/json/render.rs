//! Writes libnftables JSON expressions and statements back in the syntax `nft list` prints, so the text
//! reader turns them into the same [`Expr`](super::super::Expr)s as a text listing.
//!
//! Each function returns the text, or the reason the JSON was not understood. The forms follow
//! `man libnftables-json` and what `nft -j list ruleset` prints; numbers are written as nft writes them
//! (marks in hexadecimal as `0x00004000`, everything else in decimal), names and addresses as they are.

use serde_json::{Map, Value};

/// Deepest nesting of expressions read; deeper JSON is not understood (nft never writes more than a few).
pub(crate) const MAX_EXPR_DEPTH: usize = 24;

/// Meta keys nft prints without `meta` in front.
const UNQUALIFIED_META: &[&str] = &["iif", "oif", "iifname", "oifname", "iifgroup", "oifgroup"];

/// Binary operators of the `{"&": [a, b]}` form.
const BINARY_OPS: &[&str] = &["&", "|", "^", "<<", ">>"];

/// How to write the values of one position of a key: marks in hexadecimal, interface names quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Style {
    #[default]
    Decimal,
    Mark,
    Quoted,
}

/// Meta keys whose values nft prints quoted.
const QUOTED_META: &[&str] = &[
    "iifname", "oifname", "ibrname", "obrname", "iifkind", "oifkind",
];

type Rendered = Result<String, String>;

fn not_understood(what: &str, v: &Value) -> String {
    let mut text = v.to_string();
    if text.len() > 60 {
        let mut cut = 60;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    format!("{what} not understood: {text}")
}

/// The only key of a one-key object, with its value.
fn single(v: &Value) -> Option<(&str, &Value)> {
    let o = v.as_object()?;
    if o.len() != 1 {
        return None;
    }
    o.iter().next().map(|(k, v)| (k.as_str(), v))
}

fn str_field<'v>(o: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    o.get(key).and_then(Value::as_str)
}

/// A word as nft prints it: plain when it is one token for the text reader, quoted otherwise.
pub(crate) fn word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:/-@$+*[]".contains(c));
    if plain {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// A double-quoted string. The text reader has no escapes, so a quote inside becomes `'`.
pub(crate) fn quoted(s: &str) -> String {
    let inner: String = s
        .chars()
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("\"{inner}\"")
}

/// A duration in seconds as nft prints it: `3h`, `2h59m58s`, `1d`, `0s`.
pub(crate) fn duration(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = seconds;
    for (unit, size) in [("d", 86_400u64), ("h", 3_600), ("m", 60), ("s", 1)] {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

fn number(v: &Value, style: Style) -> Option<String> {
    if let Some(n) = v.as_u64() {
        return Some(match style {
            Style::Mark => format!("0x{n:08x}"),
            Style::Decimal | Style::Quoted => n.to_string(),
        });
    }
    if let Some(n) = v.as_i64() {
        return Some(n.to_string());
    }
    v.as_f64().map(|f| format!("{}", f.round() as i64))
}

/// The number styles of the parts of a key: one per part of a concatenation.
pub(crate) fn styles_of(left: &Value) -> Vec<Style> {
    match single(left) {
        Some(("concat", Value::Array(parts))) => parts.iter().map(style_of).collect(),
        _ => vec![style_of(left)],
    }
}

fn style_of(v: &Value) -> Style {
    match single(v) {
        Some(("meta" | "ct", Value::Object(o))) if str_field(o, "key") == Some("mark") => {
            Style::Mark
        }
        Some(("meta", Value::Object(o)))
            if str_field(o, "key").is_some_and(|k| QUOTED_META.contains(&k)) =>
        {
            Style::Quoted
        }
        Some((op, Value::Array(args))) if BINARY_OPS.contains(&op) => {
            args.first().map(style_of).unwrap_or_default()
        }
        _ => Style::Decimal,
    }
}

/// Number styles for a named set's key types (`mark` is written in hexadecimal).
pub(crate) fn styles_of_types(types: &[String]) -> Vec<Style> {
    types
        .iter()
        .map(|t| {
            if t == "mark" {
                Style::Mark
            } else {
                Style::Decimal
            }
        })
        .collect()
}

/// An expression (the left or right side of a match, a key, a value).
pub(crate) fn expr(v: &Value, styles: &[Style], depth: usize) -> Rendered {
    if depth > MAX_EXPR_DEPTH {
        return Err("expressions nested too deeply".into());
    }
    let style = styles.first().copied().unwrap_or_default();
    match v {
        Value::String(s) if style == Style::Quoted && !s.starts_with('@') => Ok(quoted(s)),
        Value::String(s) => Ok(word(s)),
        Value::Number(_) => number(v, style).ok_or_else(|| not_understood("number", v)),
        Value::Bool(true) => Ok("exists".into()),
        Value::Bool(false) => Ok("missing".into()),
        // A list of flags or names: `established,related`.
        Value::Array(items) => {
            let parts: Result<Vec<String>, String> =
                items.iter().map(|i| expr(i, styles, depth + 1)).collect();
            Ok(parts?.join(","))
        }
        Value::Null => Err("an empty expression".into()),
        Value::Object(_) => object_expr(v, styles, depth),
    }
}

fn object_expr(v: &Value, styles: &[Style], depth: usize) -> Rendered {
    let Some((key, body)) = single(v) else {
        return Err(not_understood("expression", v));
    };
    let style = styles.first().copied().unwrap_or_default();
    let o = body.as_object();
    let field = |k: &str| o.and_then(|o| str_field(o, k));
    match key {
        "payload" => {
            if let (Some(p), Some(f)) = (field("protocol"), field("field")) {
                return Ok(format!("{p} {f}"));
            }
            let n = |k: &str| o.and_then(|o| o.get(k)).and_then(Value::as_u64);
            match (field("base"), n("offset"), n("len")) {
                (Some(base), Some(offset), Some(len)) => Ok(format!("@{base},{offset},{len}")),
                _ => Err(not_understood("payload", v)),
            }
        }
        "meta" => match field("key") {
            Some(k) if UNQUALIFIED_META.contains(&k) => Ok(k.to_string()),
            Some(k) => Ok(format!("meta {k}")),
            None => Err(not_understood("meta", v)),
        },
        "ct" => {
            let Some(k) = field("key") else {
                return Err(not_understood("ct", v));
            };
            let mut out = String::from("ct");
            for part in [field("dir"), field("family")].into_iter().flatten() {
                out.push(' ');
                out.push_str(part);
            }
            out.push(' ');
            out.push_str(k);
            Ok(out)
        }
        "fib" => {
            let result = field("result").ok_or_else(|| not_understood("fib", v))?;
            let flags: Vec<String> = match o.and_then(|o| o.get("flags")) {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            Ok(format!("fib {} {result}", flags.join(" . ")))
        }
        "numgen" => {
            let mode = field("mode").unwrap_or("random");
            let n = |k: &str| o.and_then(|o| o.get(k)).and_then(Value::as_u64);
            let modulus = n("mod").ok_or_else(|| not_understood("numgen", v))?;
            let offset = n("offset").unwrap_or(0);
            Ok(if offset == 0 {
                format!("numgen {mode} mod {modulus}")
            } else {
                format!("numgen {mode} mod {modulus} offset {offset}")
            })
        }
        "jhash" | "symhash" => {
            let n = |k: &str| o.and_then(|o| o.get(k)).and_then(Value::as_u64);
            let modulus = n("mod").ok_or_else(|| not_understood(key, v))?;
            let mut out = key.to_string();
            if let Some(e) = o.and_then(|o| o.get("expr")) {
                out.push(' ');
                out.push_str(&expr(e, &[], depth + 1)?);
            }
            out.push_str(&format!(" mod {modulus}"));
            if let Some(seed) = n("seed") {
                out.push_str(&format!(" seed 0x{seed:x}"));
            }
            if let Some(offset) = n("offset").filter(|&x| x != 0) {
                out.push_str(&format!(" offset {offset}"));
            }
            Ok(out)
        }
        "rt" => match (field("key"), field("family")) {
            (Some(k), Some(f)) => Ok(format!("rt {f} {k}")),
            (Some(k), None) => Ok(format!("rt {k}")),
            _ => Err(not_understood("rt", v)),
        },
        "socket" => field("key")
            .map(|k| format!("socket {k}"))
            .ok_or_else(|| not_understood("socket", v)),
        "tcp option" => match (field("name"), field("field")) {
            (Some(n), Some(f)) => Ok(format!("tcp option {n} {f}")),
            (Some(n), None) => Ok(format!("tcp option {n}")),
            _ => Err(not_understood("tcp option", v)),
        },
        "concat" => {
            let parts = body.as_array().ok_or_else(|| not_understood("concat", v))?;
            let mut out = Vec::with_capacity(parts.len());
            for (i, p) in parts.iter().enumerate() {
                let s = styles.get(i).copied().unwrap_or_default();
                out.push(expr(p, &[s], depth + 1)?);
            }
            Ok(out.join(" . "))
        }
        "prefix" => {
            let addr = o
                .and_then(|o| o.get("addr"))
                .ok_or_else(|| not_understood("prefix", v))?;
            let len = o
                .and_then(|o| o.get("len"))
                .and_then(Value::as_u64)
                .ok_or_else(|| not_understood("prefix", v))?;
            Ok(format!("{}/{len}", expr(addr, &[style], depth + 1)?))
        }
        "range" => match body.as_array().map(Vec::as_slice) {
            Some([a, b]) => Ok(format!(
                "{}-{}",
                expr(a, &[style], depth + 1)?,
                expr(b, &[style], depth + 1)?
            )),
            _ => Err(not_understood("range", v)),
        },
        "set" => anonymous_set(body, styles, depth),
        "map" => {
            let (k, data) = key_and_data(o, v)?;
            Ok(format!(
                "{} map {}",
                expr(k, &[], depth + 1)?,
                set_or_ref(data, &styles_of(k), depth)?
            ))
        }
        "elem" => element_body(body, styles, depth),
        op if BINARY_OPS.contains(&op) => match body.as_array().map(Vec::as_slice) {
            Some([a, b]) => {
                let left_style = style_of(a);
                Ok(format!(
                    "{} {op} {}",
                    expr(a, &[], depth + 1)?,
                    expr(b, &[left_style], depth + 1)?
                ))
            }
            _ => Err(not_understood(op, v)),
        },
        "accept" | "drop" | "continue" | "return" | "jump" | "goto" => verdict(v),
        _ => Err(not_understood("expression", v)),
    }
}

fn key_and_data<'v>(
    o: Option<&'v Map<String, Value>>,
    whole: &Value,
) -> Result<(&'v Value, &'v Value), String> {
    match (o.and_then(|o| o.get("key")), o.and_then(|o| o.get("data"))) {
        (Some(k), Some(d)) => Ok((k, d)),
        _ => Err(not_understood("map", whole)),
    }
}

/// `@name` or `{ … }`.
fn set_or_ref(v: &Value, styles: &[Style], depth: usize) -> Rendered {
    match v {
        Value::String(s) if s.starts_with('@') => Ok(word(s)),
        _ => match single(v) {
            Some(("set", body)) => anonymous_set(body, styles, depth),
            _ => Err(not_understood("map or set", v)),
        },
    }
}

fn anonymous_set(body: &Value, styles: &[Style], depth: usize) -> Rendered {
    let items: Vec<&Value> = match body {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        parts.push(set_element(item, styles, depth + 1)?);
    }
    Ok(format!("{{ {} }}", parts.join(", ")))
}

/// One element of a set or map: a key, `[key, value]`, or `{"elem": {…}}`.
pub(crate) fn set_element(item: &Value, styles: &[Style], depth: usize) -> Rendered {
    if depth > MAX_EXPR_DEPTH {
        return Err("expressions nested too deeply".into());
    }
    match item {
        Value::Array(pair) if pair.len() == 2 => {
            let key = expr(&pair[0], styles, depth + 1)?;
            let value = match &pair[1] {
                v @ Value::Object(_) if is_verdict(v) => verdict(v)?,
                v => expr(v, &[], depth + 1)?,
            };
            Ok(format!("{key} : {value}"))
        }
        other => expr(other, styles, depth + 1),
    }
}

/// `{"elem": {"val": …, "timeout": 10800, "expires": 10796, "comment": "…"}}` as `VAL timeout 3h …`.
fn element_body(body: &Value, styles: &[Style], depth: usize) -> Rendered {
    let o = body
        .as_object()
        .ok_or_else(|| not_understood("elem", body))?;
    let val = o.get("val").ok_or_else(|| not_understood("elem", body))?;
    let mut out = expr(val, styles, depth + 1)?;
    for k in ["timeout", "expires"] {
        if let Some(n) = o.get(k).and_then(Value::as_u64) {
            out.push_str(&format!(" {k} {}", duration(n)));
        }
    }
    if let Some(Value::Object(c)) = o.get("counter") {
        let n = |k: &str| c.get(k).and_then(Value::as_u64).unwrap_or(0);
        out.push_str(&format!(
            " counter packets {} bytes {}",
            n("packets"),
            n("bytes")
        ));
    }
    if let Some(c) = str_field(o, "comment") {
        out.push_str(&format!(" comment {}", quoted(c)));
    }
    Ok(out)
}

fn is_verdict(v: &Value) -> bool {
    matches!(
        single(v).map(|(k, _)| k),
        Some("accept" | "drop" | "continue" | "return" | "jump" | "goto" | "queue")
    )
}

/// `accept`, `drop`, `continue`, `return`, `jump X`, `goto X`.
pub(crate) fn verdict(v: &Value) -> Rendered {
    let Some((k, body)) = single(v) else {
        return Err(not_understood("verdict", v));
    };
    match k {
        "accept" | "drop" | "continue" | "return" => Ok(k.to_string()),
        "jump" | "goto" => body
            .as_object()
            .and_then(|o| str_field(o, "target"))
            .map(|t| format!("{k} {}", word(t)))
            .ok_or_else(|| not_understood(k, v)),
        _ => Err(not_understood("verdict", v)),
    }
}

/// One statement of a rule's `expr` list. `family` is the table's family (for `reject`'s default).
pub(crate) fn statement(v: &Value, family: &str) -> Rendered {
    let Some((k, body)) = single(v) else {
        return Err(not_understood("statement", v));
    };
    let o = body.as_object();
    let get = |key: &str| o.and_then(|o| o.get(key));
    let field = |key: &str| o.and_then(|o| str_field(o, key));
    match k {
        "match" => {
            let (Some(left), Some(right)) = (get("left"), get("right")) else {
                return Err(not_understood("match", v));
            };
            let op = field("op").unwrap_or("==");
            let styles = styles_of(left);
            let l = expr(left, &[], 1)?;
            let r = expr(right, &styles, 1)?;
            let binary = single(left).is_some_and(|(k, _)| BINARY_OPS.contains(&k));
            Ok(match op {
                "==" if binary => format!("{l} == {r}"),
                "==" | "in" => format!("{l} {r}"),
                "!=" | "<" | ">" | "<=" | ">=" => format!("{l} {op} {r}"),
                _ => return Err(not_understood("match operator", v)),
            })
        }
        "accept" | "drop" | "continue" | "return" | "jump" | "goto" => verdict(v),
        "counter" => match body {
            Value::Null => Ok("counter".into()),
            Value::String(name) => Ok(format!("counter name {}", word(name))),
            Value::Object(c) => {
                let n = |k: &str| c.get(k).and_then(Value::as_u64).unwrap_or(0);
                Ok(format!(
                    "counter packets {} bytes {}",
                    n("packets"),
                    n("bytes")
                ))
            }
            _ => Err(not_understood("counter", v)),
        },
        "mangle" => match (get("key"), get("value")) {
            (Some(key), Some(value)) => Ok(format!(
                "{} set {}",
                expr(key, &[], 1)?,
                expr(value, &styles_of(key), 1)?
            )),
            _ => Err(not_understood("mangle", v)),
        },
        "vmap" => {
            let (key, data) = key_and_data(o, v)?;
            Ok(format!(
                "{} vmap {}",
                expr(key, &[], 1)?,
                set_or_ref(data, &styles_of(key), 1)?
            ))
        }
        "reject" => reject(o, family),
        "dnat" | "snat" | "masquerade" | "redirect" => nat(k, o, v),
        "set" | "map" => set_statement(k, o, v),
        "log" => {
            let mut out = String::from("log");
            if let Some(p) = field("prefix") {
                out.push_str(&format!(" prefix {}", quoted(p)));
            }
            for key in ["group", "snaplen", "queue-threshold"] {
                if let Some(n) = get(key).and_then(Value::as_u64) {
                    out.push_str(&format!(" {key} {n}"));
                }
            }
            if let Some(l) = field("level") {
                out.push_str(&format!(" level {l}"));
            }
            Ok(out)
        }
        "limit" => {
            let rate = get("rate")
                .and_then(Value::as_u64)
                .ok_or_else(|| not_understood("limit", v))?;
            let per = field("per").unwrap_or("second");
            let over = if get("inv").and_then(Value::as_bool) == Some(true) {
                "over "
            } else {
                ""
            };
            let unit = field("rate_unit")
                .filter(|u| *u != "packets")
                .map(|u| format!(" {u}"))
                .unwrap_or_default();
            let mut out = format!("limit rate {over}{rate}{unit}/{per}");
            if let Some(b) = get("burst")
                .and_then(Value::as_u64)
                .filter(|&b| b != 5 && b != 0)
            {
                out.push_str(&format!(" burst {b} packets"));
            }
            Ok(out)
        }
        "notrack" => Ok("notrack".into()),
        "xt" => {
            let kind = field("type").unwrap_or("match");
            let name = field("name").unwrap_or("");
            Ok(format!("xt {kind} {}", word(name)))
        }
        "queue" => {
            let mut out = String::from("queue");
            if let Some(n) = get("num") {
                out.push_str(&format!(" num {}", expr(n, &[], 1)?));
            }
            Ok(out)
        }
        _ => Err(not_understood("statement", v)),
    }
}

fn reject(o: Option<&Map<String, Value>>, family: &str) -> Rendered {
    let Some(o) = o else {
        return Ok("reject".into());
    };
    let kind = str_field(o, "type");
    let code = o.get("expr").and_then(Value::as_str);
    let default_kind = match family {
        "ip" => "icmp",
        "ip6" => "icmpv6",
        _ => "icmpx",
    };
    Ok(match (kind, code) {
        (None, None) => "reject".into(),
        (Some(k), Some("port-unreachable")) if k == default_kind => "reject".into(),
        (Some(k), Some(c)) => format!("reject with {k} {c}"),
        (Some(k), None) => format!("reject with {k}"),
        (None, Some(c)) => format!("reject with {default_kind} {c}"),
    })
}

fn nat(kind: &str, o: Option<&Map<String, Value>>, whole: &Value) -> Rendered {
    let mut out = kind.to_string();
    let Some(o) = o else {
        return if whole
            .as_object()
            .is_some_and(|w| w.get(kind) == Some(&Value::Null))
        {
            Ok(out)
        } else {
            Err(not_understood(kind, whole))
        };
    };
    let addr = o.get("addr");
    let port = o.get("port");
    if addr.is_some() || port.is_some() {
        if let Some(f) = str_field(o, "family") {
            out.push(' ');
            out.push_str(f);
        }
        out.push_str(" to ");
        let port_text = port.map(|p| expr(p, &[], 1)).transpose()?;
        match addr {
            Some(Value::String(a)) => {
                let a = word(a);
                match &port_text {
                    Some(p) if a.contains(':') => out.push_str(&format!("[{a}]:{p}")),
                    Some(p) => out.push_str(&format!("{a}:{p}")),
                    None => out.push_str(&a),
                }
            }
            Some(a) => {
                out.push_str(&expr(a, &[], 1)?);
                if let Some(p) = &port_text {
                    out.push_str(&format!(":{p}"));
                }
            }
            None => {
                if let Some(p) = &port_text {
                    out.push_str(&format!(":{p}"));
                }
            }
        }
    }
    let flags: Vec<&str> = match o.get("flags") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !flags.is_empty() {
        out.push(' ');
        out.push_str(&flags.join(","));
    }
    Ok(out)
}

/// `{"set": {"op": "update", "elem": …, "set": "@name"}}` and the `map` form with `data`.
fn set_statement(k: &str, o: Option<&Map<String, Value>>, whole: &Value) -> Rendered {
    let Some(o) = o else {
        return Err(not_understood(k, whole));
    };
    let op = str_field(o, "op").unwrap_or("add");
    let name = str_field(o, k).ok_or_else(|| not_understood(k, whole))?;
    let elem = o.get("elem").ok_or_else(|| not_understood(k, whole))?;
    let mut inner = expr(elem, &[], 1)?;
    if let Some(data) = o.get("data") {
        inner.push_str(&format!(" : {}", expr(data, &[], 1)?));
    }
    let name = if name.starts_with('@') {
        name.to_string()
    } else {
        format!("@{name}")
    };
    Ok(format!("{op} {} {{ {inner} }}", word(&name)))
}

/// A chain priority as nft prints it: a standard name when it is within 10 of one that fits the hook
/// (`dstnat - 10`, `filter + 10`, `srcnat`), the number otherwise.
pub(crate) fn priority(family: &str, hook: &str, value: i64) -> String {
    if matches!(family, "ip" | "ip6" | "inet") {
        let names: [(&str, i64, bool); 6] = [
            ("raw", -300, true),
            ("mangle", -150, true),
            ("dstnat", -100, hook == "prerouting"),
            ("filter", 0, true),
            ("security", 50, true),
            ("srcnat", 100, hook == "postrouting"),
        ];
        for (name, base, fits) in names {
            if fits && (value - base).abs() <= 10 {
                let offset = value - base;
                return match offset {
                    0 => name.to_string(),
                    o if o > 0 => format!("{name} + {o}"),
                    o => format!("{name} - {}", -o),
                };
            }
        }
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn priorities_as_nft_prints_them() {
        assert_eq!(priority("ip", "prerouting", -110), "dstnat - 10");
        assert_eq!(priority("ip", "input", -110), "-110");
        assert_eq!(priority("ip", "output", -100), "-100");
        assert_eq!(priority("inet", "prerouting", -150), "mangle");
        assert_eq!(priority("inet", "forward", 10), "filter + 10");
        assert_eq!(priority("inet", "forward", 20), "20");
        assert_eq!(priority("ip", "postrouting", 100), "srcnat");
    }

    #[test]
    fn durations_as_nft_prints_them() {
        assert_eq!(duration(10800), "3h");
        assert_eq!(duration(10798), "2h59m58s");
        assert_eq!(duration(86400), "1d");
        assert_eq!(duration(0), "0s");
    }

    #[test]
    fn marks_are_hexadecimal() {
        let m = json!({"match": {"op": "==", "left": {"&": [{"meta": {"key": "mark"}}, 16384]}, "right": 0}});
        assert_eq!(
            statement(&m, "ip").unwrap(),
            "meta mark & 0x00004000 == 0x00000000"
        );
        let s = json!({"mangle": {"key": {"meta": {"key": "mark"}}, "value": {"|": [{"meta": {"key": "mark"}}, 16384]}}});
        assert_eq!(
            statement(&s, "ip").unwrap(),
            "meta mark set meta mark | 0x00004000"
        );
        let r = json!({"match": {"op": "<", "left": {"&": [{"meta": {"key": "random"}}, 2147483647]}, "right": 536870912}});
        assert_eq!(
            statement(&r, "ip").unwrap(),
            "meta random & 2147483647 < 536870912"
        );
    }

    #[test]
    fn nat_forms() {
        let d = json!({"dnat": {"family": "ip", "addr": {"map": {"key": {"numgen": {"mode": "random", "mod": 2, "offset": 0}}, "data": {"set": [[0, {"concat": ["10.244.0.10", 9898]}], [1, {"concat": ["10.244.0.8", 9898]}]]}}}}});
        assert_eq!(
            statement(&d, "ip").unwrap(),
            "dnat ip to numgen random mod 2 map { 0 : 10.244.0.10 . 9898, 1 : 10.244.0.8 . 9898 }"
        );
        let v6 = json!({"dnat": {"addr": "fd00::5", "port": 8080}});
        assert_eq!(statement(&v6, "ip6").unwrap(), "dnat to [fd00::5]:8080");
        let r = json!({"redirect": {"port": 80}});
        assert_eq!(statement(&r, "ip").unwrap(), "redirect to :80");
        let m = json!({"masquerade": {"flags": ["random", "persistent"]}});
        assert_eq!(statement(&m, "ip").unwrap(), "masquerade random,persistent");
        assert_eq!(
            statement(&json!({"masquerade": null}), "ip").unwrap(),
            "masquerade"
        );
    }

    #[test]
    fn rejects_and_unknowns() {
        let plain = json!({"reject": {"type": "icmp", "expr": "port-unreachable"}});
        assert_eq!(statement(&plain, "ip").unwrap(), "reject");
        assert_eq!(
            statement(&plain, "inet").unwrap(),
            "reject with icmp port-unreachable"
        );
        let tcp = json!({"reject": {"type": "tcp reset"}});
        assert_eq!(statement(&tcp, "inet").unwrap(), "reject with tcp reset");
        assert!(statement(&json!({"frobnicate": {"x": 1}}), "ip").is_err());
        assert!(statement(&json!({"a": 1, "b": 2}), "ip").is_err());
        assert!(statement(&json!([1, 2]), "ip").is_err());
        assert!(statement(&json!({"match": {"op": "~", "left": 1, "right": 2}}), "ip").is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut v = json!("10.0.0.1");
        for _ in 0..(MAX_EXPR_DEPTH + 5) {
            v = json!({"concat": [v]});
        }
        assert!(expr(&v, &[], 0).is_err());
    }

    #[test]
    fn set_updates_and_elements() {
        let u = json!({"set": {"op": "update", "elem": {"elem": {"val": {"payload": {"protocol": "ip", "field": "saddr"}}, "timeout": 10800}}, "set": "@affinity-X"}});
        assert_eq!(
            statement(&u, "ip").unwrap(),
            "update @affinity-X { ip saddr timeout 3h }"
        );
        let e = json!([{"elem": {"val": {"concat": ["10.96.0.12", "tcp", 6379]}, "comment": "ns/db:redis"}}, {"goto": {"target": "reject-chain"}}]);
        assert_eq!(
            set_element(&e, &[], 0).unwrap(),
            "10.96.0.12 . tcp . 6379 comment \"ns/db:redis\" : goto reject-chain"
        );
        let ct = json!({"vmap": {"key": {"concat": [{"payload": {"protocol": "ip", "field": "daddr"}}, {"ct": {"key": "mark"}}]}, "data": {"set": [[{"concat": ["10.0.0.1", 1]}, {"jump": {"target": "x"}}]]}}});
        assert_eq!(
            statement(&ct, "ip").unwrap(),
            "ip daddr . ct mark vmap { 10.0.0.1 . 0x00000001 : jump x }"
        );
    }
}
