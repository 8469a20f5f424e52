//! `kubectl get … -o json` into the value tree: each document of the section (kubectl prints one per
//! command; a paste may hold several), each value with its byte offset, read through `serde_json`'s raw
//! values so that nothing but the text itself is trusted.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::tree::{Node, Value};
use super::Budget;

/// A problem met while reading: where (byte offset in the section) and what.
pub(crate) struct Problem {
    pub at: usize,
    pub message: String,
}

/// Reads every JSON document of `text`. A text that starts with a key (its opening brace was left on
/// the line before, in another section) is read as if the brace were there.
pub(crate) fn read(text: &str, budget: &mut Budget) -> (Vec<Node>, Vec<Problem>) {
    let trimmed = text.trim_start();
    if trimmed.starts_with('"') {
        let lead = text.len() - trimmed.len();
        let braced = format!("{{{trimmed}");
        let (mut docs, mut problems) = read_braced(&braced, budget);
        // Offsets in the braced copy are one past the brace; in `text` they start `lead` bytes in.
        for d in &mut docs {
            shift(d, lead);
        }
        for p in &mut problems {
            p.at = (p.at + lead).saturating_sub(1);
        }
        return (docs, problems);
    }
    read_braced(text, budget)
}

fn shift(node: &mut Node, lead: usize) {
    node.at = (node.at + lead).saturating_sub(1);
    match &mut node.value {
        Value::List(items) => items.iter_mut().for_each(|n| shift(n, lead)),
        Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| shift(n, lead)),
        _ => {}
    }
}

fn read_braced(text: &str, budget: &mut Budget) -> (Vec<Node>, Vec<Problem>) {
    let mut docs = Vec::new();
    let mut problems = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    loop {
        let before = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(raw)) => match convert(text, raw, 0, budget) {
                Ok(node) => docs.push(node),
                Err(p) => {
                    problems.push(p);
                    break;
                }
            },
            Some(Err(e)) => {
                let at = offset_of_line_col(text, e.line(), e.column()).max(before);
                problems.push(Problem {
                    at: at.min(text.len()),
                    message: format!("the JSON cannot be read from here on: {e}"),
                });
                break;
            }
        }
    }
    (docs, problems)
}

fn offset_in(text: &str, part: &str) -> usize {
    (part.as_ptr() as usize)
        .saturating_sub(text.as_ptr() as usize)
        .min(text.len())
}

fn offset_of_line_col(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

/// The entries of a JSON object in their order, values left raw.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

fn convert(text: &str, raw: &RawValue, depth: usize, budget: &mut Budget) -> Result<Node, Problem> {
    let body = raw.get();
    let at = offset_in(text, body);
    if !budget.take_node() {
        return Err(Problem {
            at,
            message: budget.exhausted_message(),
        });
    }
    if depth > super::MAX_DEPTH {
        return Err(Problem {
            at,
            message: format!(
                "the JSON nests deeper than {} levels here: the rest is not read",
                super::MAX_DEPTH
            ),
        });
    }
    let value = match body.as_bytes().first() {
        Some(b'{') => {
            let entries: Entries = serde_json::from_str(body).map_err(|e| Problem {
                at,
                message: format!("this JSON object cannot be read: {e}"),
            })?;
            let mut out = Vec::with_capacity(entries.0.len());
            for (k, v) in entries.0 {
                out.push((k, convert(text, v, depth + 1, budget)?));
            }
            Value::Map(out)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(body).map_err(|e| Problem {
                at,
                message: format!("this JSON list cannot be read: {e}"),
            })?;
            let mut out = Vec::with_capacity(items.len());
            for v in items {
                out.push(convert(text, v, depth + 1, budget)?);
            }
            Value::List(out)
        }
        Some(b'"') => Value::Scalar {
            text: serde_json::from_str::<String>(body).unwrap_or_default(),
            quoted: true,
        },
        Some(b'n') => Value::Null,
        _ => Value::Scalar {
            text: body.to_string(),
            quoted: false,
        },
    };
    Ok(Node { value, at })
}
