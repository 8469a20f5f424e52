//! The tracer's layout holds: no import circle among the modules of `src/trace/` (each `use` line and
//! each inline `super::…`/`crate::trace::…` path is an edge to the module it names), and no source file
//! there over 800 lines (tests apart).
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Most lines a source file of the tracer may have.
const MAX_LINES: usize = 800;

/// A module of the tracer: `trace`, `trace::engine`, `trace::nft::walk`, … with its source (tests cut).
struct Module {
    path: Vec<String>,
    file: PathBuf,
    source: String,
}

fn trace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/trace")
}

/// Test files (`tests.rs`, `*_tests.rs`) hold no module of the tracer's layout.
fn is_test_file(path: &Path) -> bool {
    path.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s == "tests" || s.ends_with("_tests"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !is_test_file(&path) {
            out.push(path);
        }
    }
}

/// The source without its inline test module (`#[cfg(test)] mod tests { … }` ends a file here).
fn without_tests(source: &str) -> String {
    match source.find("#[cfg(test)]\nmod tests {") {
        Some(i) => source[..i].to_string(),
        None => source.to_string(),
    }
}

/// The source without comments and string literals, so that only code is read for paths.
fn code_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            // A char literal like '{' would unbalance the braces of a `use` group.
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                if rest.len() >= 2 && rest.chars().nth(1) == Some('\'') {
                    chars.next();
                    chars.next();
                } else if rest.starts_with('\\') {
                    for c in chars.by_ref() {
                        if c == '\'' {
                            break;
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn modules() -> Vec<Module> {
    let dir = trace_dir();
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    files
        .into_iter()
        .map(|file| {
            let rel = file.strip_prefix(&dir).expect("under src/trace");
            let mut path = vec!["trace".to_string()];
            for part in rel.iter() {
                let part = part.to_str().expect("UTF-8 file name");
                match part.strip_suffix(".rs") {
                    Some("mod") => {}
                    Some(stem) => path.push(stem.to_string()),
                    None => path.push(part.to_string()),
                }
            }
            let source = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            Module {
                path,
                file,
                source: without_tests(&source),
            }
        })
        .collect()
}

/// Every full path a `use` tree stands for: `a::{b, c::{d, e}}` gives `a::b`, `a::c::d`, `a::c::e`.
fn expand_use(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = tree[open + 1..]
        .strip_suffix('}')
        .unwrap_or(&tree[open + 1..]);
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(expand_use)
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

/// The paths the code names: each `use` tree expanded, and each inline `super::…`, `self::…` or
/// `crate::trace::…` path.
fn named_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    // `use` statements (possibly over several lines).
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + 4..];
        if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
            if let Some(end) = after.find(';') {
                out.extend(expand_use(&after[..end]));
            }
        }
        rest = after;
    }
    // Inline paths.
    let bytes = code.as_bytes();
    for start in ["super::", "self::", "crate::trace::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            let before = at.checked_sub(1).map(|j| bytes[j] as char);
            if before.is_none_or(|c| !c.is_alphanumeric() && c != '_' && c != ':') {
                let end = code[at..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .map_or(code.len(), |e| at + e);
                out.push(code[at..end].trim_end_matches(':').to_string());
            }
            from = at + start.len();
        }
    }
    out
}

/// The module of the tracer a path from module `from` names, if any: the longest known prefix.
fn resolve(from: &[String], path: &str, known: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut segments = path.split("::").filter(|s| !s.is_empty()).peekable();
    let mut base: Vec<String> = match segments.peek().copied() {
        Some("crate") => {
            segments.next();
            Vec::new()
        }
        Some("super") | Some("self") => from.to_vec(),
        _ => return None,
    };
    while let Some(&s) = segments.peek() {
        match s {
            "super" => {
                base.pop()?;
            }
            "self" => {}
            _ => break,
        }
        segments.next();
    }
    let mut best = None;
    let mut candidate = base;
    if known.contains(&candidate) {
        best = Some(candidate.clone());
    }
    for s in segments {
        candidate.push(s.to_string());
        if known.contains(&candidate) {
            best = Some(candidate.clone());
        }
    }
    best
}

type Graph = BTreeMap<Vec<String>, BTreeSet<Vec<String>>>;

fn import_graph(modules: &[Module]) -> Graph {
    let known: BTreeSet<Vec<String>> = modules.iter().map(|m| m.path.clone()).collect();
    let mut graph = Graph::new();
    for m in modules {
        let edges = graph.entry(m.path.clone()).or_default();
        for path in named_paths(&code_only(&m.source)) {
            if let Some(to) = resolve(&m.path, &path, &known) {
                if to != m.path {
                    edges.insert(to);
                }
            }
        }
    }
    graph
}

/// A circle of imports, as the modules on it (the first repeated at the end), if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<Vec<String>>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &Vec<String>,
        graph: &Graph,
        marks: &mut BTreeMap<Vec<String>, Mark>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let i = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[i..].to_vec();
                cycle.push(node.clone());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.clone(), Mark::Open);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        let mut stack = Vec::new();
        if let Some(cycle) = visit(node, graph, &mut marks, &mut stack) {
            return Some(cycle);
        }
    }
    None
}

fn name(path: &[String]) -> String {
    path.join("::")
}

#[test]
fn the_tracer_has_no_import_circle() {
    let modules = modules();
    let graph = import_graph(&modules);
    // The reader sees the edges it must: a broken reader would find no circle anywhere.
    let edge = |from: &str, to: &str| {
        graph
            .iter()
            .any(|(f, t)| name(f) == from && t.iter().any(|t| name(t) == to))
    };
    assert!(edge("trace::engine", "trace::state"), "{graph:#?}");
    assert!(edge("trace::nft::walk", "trace::nft"), "{graph:#?}");
    assert!(
        edge("trace::iptables::walk", "trace::iptables::eval"),
        "{graph:#?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        let names: Vec<String> = cycle.iter().map(|p| name(p)).collect();
        panic!("import circle in src/trace: {}", names.join(" -> "));
    }
}

#[test]
fn the_reader_finds_circles() {
    let m = |p: &str| p.split("::").map(str::to_string).collect::<Vec<_>>();
    let known: BTreeSet<Vec<String>> = ["trace", "trace::a", "trace::b", "trace::b::c"]
        .into_iter()
        .map(m)
        .collect();
    assert_eq!(
        resolve(&m("trace::b::c"), "super::super::a::Thing", &known),
        Some(m("trace::a"))
    );
    assert_eq!(
        resolve(&m("trace::a"), "crate::trace::b::c::f", &known),
        Some(m("trace::b::c"))
    );
    assert_eq!(resolve(&m("trace::a"), "std::fmt", &known), None);
    assert_eq!(
        expand_use("super::{a, b::{C, D}}"),
        ["super::a", "super::b::C", "super::b::D"]
    );
    let code = code_only("use super::{a, b::{C, D}};\n// super::x::y\nlet s = \"super::z\";\nlet c = '{';\nsuper::b::f();\n");
    let paths = named_paths(&code);
    assert!(paths.contains(&"super::b::D".to_string()), "{paths:?}");
    assert!(paths.contains(&"super::b::f".to_string()), "{paths:?}");
    assert!(
        !paths.iter().any(|p| p.contains('x') || p.contains('z')),
        "{paths:?}"
    );
    let mut graph = Graph::new();
    graph
        .entry(m("trace::a"))
        .or_default()
        .insert(m("trace::b"));
    graph
        .entry(m("trace::b"))
        .or_default()
        .insert(m("trace::b::c"));
    assert_eq!(find_cycle(&graph), None);
    graph
        .entry(m("trace::b::c"))
        .or_default()
        .insert(m("trace::a"));
    assert_eq!(
        find_cycle(&graph),
        Some(vec![
            m("trace::a"),
            m("trace::b"),
            m("trace::b::c"),
            m("trace::a")
        ])
    );
}

#[test]
fn no_tracer_file_is_over_800_lines() {
    let long: Vec<String> = modules()
        .iter()
        .map(|m| {
            let lines = std::fs::read_to_string(&m.file)
                .map(|s| s.lines().count())
                .unwrap_or(0);
            (m, lines)
        })
        .filter(|(_, lines)| *lines > MAX_LINES)
        .map(|(m, lines)| format!("{}: {lines} lines", m.file.display()))
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}
