//! A small YAML tree with line numbers, built from `yaml-rust2`'s events with limits: nesting depth,
//! number of nodes (aliases count every node they repeat, so an alias bomb stops at the limit) and
//! documents. JSON is read too (it is YAML's flow style).

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// Deepest nesting read.
pub(super) const MAX_DEPTH: usize = 64;
/// Most nodes (scalars, lists and maps, alias copies included) in one text.
pub(super) const MAX_NODES: usize = 100_000;
/// Most documents (`---`) read.
const MAX_DOCUMENTS: usize = 64;

/// One node; `line` is 1-based within the text given to [`load`].
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Scalar {
        text: String,
        line: u32,
        /// `|` block: its lines are the text's lines below the indicator, one for one.
        literal: bool,
        /// Plain (unquoted): `null`, `~` and an empty plain scalar mean "not set".
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    pub(super) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A scalar's text, `None` for `null`/`~`/empty plain scalars and for lists and maps.
    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar { text, plain, .. } => {
                let null = *plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                (!null).then_some(text.as_str())
            }
            _ => None,
        }
    }

    /// The line of a scalar, or of the first scalar inside a list or map.
    pub(super) fn line(&self) -> Option<u32> {
        match self {
            Node::Scalar { line, .. } => Some(*line),
            Node::Seq(items) => items.iter().find_map(Node::line),
            Node::Map(entries) => entries.iter().find_map(|(_, v)| v.line()),
        }
    }

    fn size(&self) -> usize {
        match self {
            Node::Scalar { .. } => 1,
            Node::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Node::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + v.size()).sum::<usize>(),
        }
    }
}

/// The documents read, and the first problem (message, 1-based line) when reading stopped early.
#[derive(Debug, Default)]
pub(super) struct Loaded {
    pub documents: Vec<Node>,
    pub problem: Option<(String, u32)>,
}

enum Open {
    Seq(Vec<Node>, usize),
    /// Entries so far, the key waiting for its value, the anchor.
    Map(Vec<(String, Node)>, Option<String>, usize),
}

/// Reads every document of `text` it can, stopping at the first syntax error or limit.
pub(super) fn load(text: &str) -> Loaded {
    let mut loaded = Loaded::default();
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: Vec<(usize, Node)> = Vec::new();
    let mut nodes = 0usize;
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(e) => e,
            Err(e) => {
                let line = u32::try_from(e.marker().line()).unwrap_or(u32::MAX).max(1);
                loaded.problem = Some((e.info().to_string(), line));
                return loaded;
            }
        };
        let line = u32::try_from(mark.line()).unwrap_or(u32::MAX).max(1);
        let finished: Option<(Node, usize)> = match event {
            Event::StreamEnd => return loaded,
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => None,
            Event::Scalar(text, style, anchor, _) => Some((
                Node::Scalar {
                    text,
                    line,
                    literal: style == TScalarStyle::Literal,
                    plain: style == TScalarStyle::Plain,
                },
                anchor,
            )),
            Event::Alias(id) => match anchors.iter().rev().find(|(a, _)| *a == id) {
                Some((_, node)) => {
                    let size = node.size();
                    if nodes.saturating_add(size) > MAX_NODES {
                        loaded.problem = Some((
                            format!("aliases repeat more than {MAX_NODES} nodes; reading stopped"),
                            line,
                        ));
                        return loaded;
                    }
                    nodes += size - 1;
                    Some((node.clone(), 0))
                }
                None => Some((
                    Node::Scalar {
                        text: String::new(),
                        line,
                        literal: false,
                        plain: true,
                    },
                    0,
                )),
            },
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    loaded.problem = Some((
                        format!("nested deeper than {MAX_DEPTH} levels; reading stopped"),
                        line,
                    ));
                    return loaded;
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new(), anchor)
                } else {
                    Open::Map(Vec::new(), None, anchor)
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(items, anchor)) => Some((Node::Seq(items), anchor)),
                Some(Open::Map(entries, _, anchor)) => Some((Node::Map(entries), anchor)),
                None => None,
            },
        };
        let Some((node, anchor)) = finished else {
            continue;
        };
        nodes += 1;
        if nodes > MAX_NODES {
            loaded.problem = Some((
                format!("more than {MAX_NODES} YAML nodes; reading stopped"),
                line,
            ));
            return loaded;
        }
        if anchor > 0 {
            anchors.push((anchor, node.clone()));
        }
        match stack.last_mut() {
            None => {
                loaded.documents.push(node);
                if loaded.documents.len() >= MAX_DOCUMENTS {
                    return loaded;
                }
            }
            Some(Open::Seq(items, _)) => items.push(node),
            Some(Open::Map(entries, pending, _)) => match pending.take() {
                Some(key) => entries.push((key, node)),
                None => {
                    // A key; a list or map used as a key is kept as an empty name.
                    *pending = Some(match node {
                        Node::Scalar { text, .. } => text,
                        _ => String::new(),
                    });
                }
            },
        }
    }
}
