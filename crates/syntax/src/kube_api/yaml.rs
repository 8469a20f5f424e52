//! `kubectl get … -o yaml` into the value tree, from `yaml-rust2`'s events (each with its position):
//! documents (`---`), anchors and aliases (each alias copies its anchor's tree, counted against the
//! node budget, so a "billion laughs" document stops at the budget), nesting bounded.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use super::json::Problem;
use super::tree::{Node, Value};
use super::Budget;

/// A list or map being built, with the key waiting for its value.
enum Open {
    List(Node),
    Map(Node, Option<String>),
}

/// Reads every YAML document of `text`.
pub(crate) fn read(text: &str, budget: &mut Budget) -> (Vec<Node>, Vec<Problem>) {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect();
    let at_of = |line: usize, col: usize| -> usize {
        let start = line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(text.len());
        // The column counts characters; a line's start is exact, the column only where it is ASCII.
        let rest = &text[start..];
        let col_bytes = rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map(|(i, _)| i)
            .unwrap_or(0);
        (start + col_bytes).min(text.len())
    };
    let mut docs = Vec::new();
    let mut problems = Vec::new();
    let mut stack: Vec<(Open, usize)> = Vec::new();
    let mut anchors: Vec<(usize, Node)> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(e) => e,
            Err(e) => {
                let m = e.marker();
                problems.push(Problem {
                    at: at_of(m.line(), m.col() + 1),
                    message: format!("the YAML cannot be read from here on: {}", e.info()),
                });
                break;
            }
        };
        let at = at_of(mark.line(), mark.col() + 1);
        let (node, anchor) = match event {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {
                continue
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= super::MAX_DEPTH {
                    problems.push(Problem {
                        at,
                        message: format!(
                            "the YAML nests deeper than {} levels here: the rest is not read",
                            super::MAX_DEPTH
                        ),
                    });
                    break;
                }
                if !budget.take_node() {
                    problems.push(Problem {
                        at,
                        message: budget.exhausted_message(),
                    });
                    break;
                }
                let open = if matches!(event, Event::SequenceStart(..)) {
                    Open::List(Node {
                        value: Value::List(Vec::new()),
                        at,
                    })
                } else {
                    Open::Map(
                        Node {
                            value: Value::Map(Vec::new()),
                            at,
                        },
                        None,
                    )
                };
                stack.push((open, anchor));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some((Open::List(n), anchor)) | Some((Open::Map(n, _), anchor)) => (n, anchor),
                None => continue,
            },
            Event::Scalar(text, style, anchor, _) => {
                if !budget.take_node() {
                    problems.push(Problem {
                        at,
                        message: budget.exhausted_message(),
                    });
                    break;
                }
                let quoted = !matches!(style, TScalarStyle::Plain);
                let value =
                    if !quoted && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
                        Value::Null
                    } else {
                        Value::Scalar { text, quoted }
                    };
                (Node { value, at }, anchor)
            }
            Event::Alias(id) => match anchors.iter().rev().find(|(a, _)| *a == id) {
                None => {
                    problems.push(Problem {
                        at,
                        message: "an alias (`*name`) names no anchor before it".to_string(),
                    });
                    (Node::null(at), 0)
                }
                Some((_, target)) => {
                    if !budget.take_nodes(count(target)) {
                        problems.push(Problem {
                            at,
                            message: budget.exhausted_message(),
                        });
                        break;
                    }
                    let mut copy = target.clone();
                    copy.at = at;
                    (copy, 0)
                }
            },
        };
        if anchor != 0 {
            anchors.push((anchor, node.clone()));
        }
        attach(&mut stack, &mut docs, node);
    }
    // A document cut in the middle: keep what was opened.
    while let Some((open, _)) = stack.pop() {
        let node = match open {
            Open::List(n) | Open::Map(n, _) => n,
        };
        attach(&mut stack, &mut docs, node);
    }
    (docs, problems)
}

/// Puts a finished node where it belongs: as the next item, a map's key or value, or a document.
fn attach(stack: &mut [(Open, usize)], docs: &mut Vec<Node>, node: Node) {
    match stack.last_mut() {
        None => docs.push(node),
        Some((Open::List(list), _)) => {
            if let Value::List(items) = &mut list.value {
                items.push(node);
            }
        }
        Some((Open::Map(map, key), _)) => match key.take() {
            None => *key = Some(node.text().unwrap_or_default().to_string()),
            Some(k) => {
                if let Value::Map(entries) = &mut map.value {
                    entries.push((k, node));
                }
            }
        },
    }
}

fn count(node: &Node) -> usize {
    1 + match &node.value {
        Value::List(items) => items.iter().map(count).sum(),
        Value::Map(entries) => entries.iter().map(|(_, n)| count(n)).sum(),
        _ => 0,
    }
}
