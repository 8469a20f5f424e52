//! From an archive's entries to its nodes: the entries are grouped by the folder (or the file name)
//! that names their node, each group is named by the strongest name its texts give, and a group's
//! texts are joined into one, each file's lines and replaced bytes kept in place.

use crate::names::{self, NameSource};
use crate::text::Decoded;
use crate::{NodeText, Part};

/// One text file of an archive (or the file itself).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) path: String,
    pub(crate) decoded: Decoded,
}

/// Folders that hold nodes' files but are no node: `nodes/node-a/…`, `host-collectors/…`.
const STRUCTURAL: &[&str] = &[
    "nodes",
    "node",
    "hosts",
    "host-collectors",
    "run-host",
    "host",
    "bundle",
    "captures",
    "capture",
    "support-bundle",
    "svcpath",
    "snapshots",
    "output",
    "out",
    "data",
    "tmp",
];

/// A plain file: one node, named by its text or its file name.
pub(crate) fn single(file_name: &str, entry: Entry) -> NodeText {
    let (name, source) = names::from_text(&entry.decoded.text).unwrap_or_else(|| {
        match names::file_stem(file_name) {
            "" | "-" => ("node".to_string(), NameSource::Unknown),
            stem => (
                names::node_from_stem(stem).unwrap_or_else(|| stem.to_string()),
                NameSource::FileName,
            ),
        }
    });
    join(name, source, vec![entry])
}

/// The group an entry's path puts it in, and the name that gives: the nearest folder above it that is
/// neither a capture word nor structural; else the node its file name names; else the archive's root.
fn key_of(parts: &[&str]) -> (String, NameSource) {
    if let Some(at) = parts.iter().position(|p| *p == "sos_commands") {
        // A sosreport: its root folder is the node.
        return match at {
            0 => (String::new(), NameSource::FileName),
            _ => (parts[at - 1].to_string(), NameSource::Folder),
        };
    }
    let dirs = &parts[..parts.len().saturating_sub(1)];
    let dirs = match dirs.last() {
        Some(&"etc") => &dirs[..dirs.len() - 1],
        _ => dirs,
    };
    if let Some(dir) = dirs.iter().rev().find(|d| {
        !names::is_capture_word(d) && !STRUCTURAL.contains(&d.to_ascii_lowercase().as_str())
    }) {
        return ((*dir).to_string(), NameSource::Folder);
    }
    let stem = names::file_stem(parts.last().copied().unwrap_or(""));
    match names::node_from_stem(stem) {
        Some(node) => (node, NameSource::FileName),
        None => (String::new(), NameSource::FileName),
    }
}

/// The nodes of an archive named `archive_name`, from its text entries and its `hostname` files.
pub(crate) fn nodes(
    archive_name: &str,
    entries: Vec<Entry>,
    host_files: &[(String, String)],
) -> Vec<NodeText> {
    let all_paths: Vec<Vec<&str>> = entries
        .iter()
        .map(|e| e.path.as_str())
        .chain(host_files.iter().map(|(p, _)| p.as_str()))
        .map(|p| p.split('/').collect())
        .collect();
    let mut depth = 0;
    while let Some(first) = all_paths.first().and_then(|p| p.get(depth)) {
        if !all_paths
            .iter()
            .all(|p| p.len() > depth + 1 && p.get(depth) == Some(first))
        {
            break;
        }
        depth += 1;
    }
    // The last common folder names a single node when nothing deeper does (`sosreport-node-a-…/`).
    let root_name = match depth {
        0 => None,
        d => all_paths.first().map(|p| p[d - 1].to_string()),
    };
    let archive_stem = names::file_stem(archive_name);
    let root = root_name
        .filter(|r| !STRUCTURAL.contains(&r.to_ascii_lowercase().as_str()))
        .map(|r| (r, NameSource::Folder))
        .unwrap_or_else(|| match archive_stem {
            "" | "-" => ("node".to_string(), NameSource::Unknown),
            stem => (stem.to_string(), NameSource::FileName),
        });
    let key = |path: &str| {
        let parts: Vec<&str> = path.split('/').skip(depth).collect();
        key_of(&parts)
    };
    // A `hostname` file names the group of the folder it is in.
    let host_key = |path: &str| {
        let mut parts: Vec<&str> = path.split('/').skip(depth).collect();
        if let Some(last) = parts.last_mut() {
            *last = "capture";
        }
        key_of(&parts).0
    };
    // Groups in the order their first entry comes.
    let mut groups: Vec<(String, NameSource, Vec<Entry>)> = Vec::new();
    for entry in entries {
        let (k, source) = key(&entry.path);
        match groups.iter_mut().find(|g| g.0 == k) {
            Some(group) => group.2.push(entry),
            None => groups.push((k, source, vec![entry])),
        }
    }
    let mut nodes: Vec<NodeText> = Vec::new();
    for (k, source, entries) in groups {
        let from_host_file = host_files
            .iter()
            .find(|(p, _)| host_key(p) == k)
            .map(|(_, name)| (name.clone(), NameSource::Hostname));
        let from_text = entries
            .iter()
            .filter_map(|e| names::from_text(&e.decoded.text))
            .min_by_key(|(_, s)| *s);
        let from_path = if k.is_empty() {
            root.clone()
        } else {
            (k.clone(), source)
        };
        let (name, source) = [from_text, from_host_file, Some(from_path)]
            .into_iter()
            .flatten()
            .min_by_key(|(_, s)| *s)
            .unwrap_or_else(|| root.clone());
        let joined = join(name, source, entries);
        match nodes.iter_mut().find(|n| n.name == joined.name) {
            Some(node) => append_node(node, joined),
            None => nodes.push(joined),
        }
    }
    nodes
}

fn empty() -> NodeText {
    NodeText {
        name: String::new(),
        name_source: NameSource::Unknown,
        text: String::new(),
        files: Vec::new(),
        parts: Vec::new(),
        text_issues: Vec::new(),
    }
}

/// A node of the entries' texts, one after another.
fn join(name: String, source: NameSource, entries: Vec<Entry>) -> NodeText {
    let mut node = NodeText {
        name,
        name_source: source,
        ..empty()
    };
    for entry in entries {
        let single = NodeText {
            text: entry.decoded.text,
            files: vec![entry.path.clone()],
            parts: vec![Part {
                file: entry.path,
                first_line: 1,
                last_line: 0,
                bytes: 0,
                encoding: entry.decoded.encoding,
            }],
            text_issues: entry.decoded.issues,
            ..empty()
        };
        append_node(&mut node, with_part_size(single));
    }
    node
}

/// A one-file node's part given the size and last line of its text.
fn with_part_size(mut node: NodeText) -> NodeText {
    // As many lines as `str::lines` gives: one per line break, and a last one without a break.
    let unbroken_last = !node.text.is_empty() && !node.text.ends_with('\n');
    let lines = line_count(&node.text).saturating_add(u32::from(unbroken_last));
    if let Some(part) = node.parts.first_mut() {
        part.bytes = node.text.len();
        part.last_line = lines.max(1);
    }
    node
}

/// Appends `more`'s text to `node`'s: a line break first when the text so far does not end with
/// one; its parts and replaced bytes moved to where it now starts.
fn append_node(node: &mut NodeText, more: NodeText) {
    if !node.text.is_empty() && !node.text.ends_with('\n') {
        node.text.push('\n');
    }
    let offset = node.text.len();
    let lines_before = line_count(&node.text);
    node.text_issues
        .extend(more.text_issues.into_iter().map(|mut i| {
            i.line = i.line.saturating_add(lines_before);
            i.start += offset;
            i.end += offset;
            i
        }));
    node.parts.extend(more.parts.into_iter().map(|mut p| {
        p.first_line = p.first_line.saturating_add(lines_before);
        p.last_line = p.last_line.saturating_add(lines_before);
        p
    }));
    node.files.extend(more.files);
    if node.text.is_empty() {
        // The first text is moved, not copied: a 256 MiB capture is not held twice.
        node.text = more.text;
    } else {
        node.text.push_str(&more.text);
    }
}

/// Line breaks in a text.
fn line_count(text: &str) -> u32 {
    u32::try_from(memchr::memchr_iter(b'\n', text.as_bytes()).count()).unwrap_or(u32::MAX)
}

/// The node a file given alone names: the name its text or folder gives, or its file name unless
/// that only says what it holds (`node-a.txt` → `node-a`, `iptables.txt` → none); `None` for
/// standard input.
fn node_key(node: &NodeText) -> Option<&str> {
    match node.name_source {
        NameSource::Marker | NameSource::Hostname | NameSource::Prompt | NameSource::Folder => {
            Some(&node.name)
        }
        NameSource::FileName => {
            let file = node.files.first()?;
            names::node_from_stem(names::file_stem(file)).map(|_| node.name.as_str())
        }
        NameSource::Unknown => None,
    }
}

/// Whether a file's own text tells which node it is, or it holds a node's rules (an `iptables-save`
/// table, an nft table, `ipvsadm -Ln`): then its name is another node's when it differs. A file name
/// alone on a file of settings (`sysctl-conntrack.txt`) says nothing of that.
fn names_a_node(node: &NodeText) -> bool {
    match node.name_source {
        NameSource::Marker | NameSource::Hostname | NameSource::Prompt | NameSource::Folder => true,
        NameSource::FileName => holds_rules(&node.text),
        NameSource::Unknown => false,
    }
}

/// Whether the text holds a proxy's rules: a line opening an `iptables-save` table, an nft table, or
/// `ipvsadm`'s header.
fn holds_rules(text: &str) -> bool {
    text.lines().any(|line| {
        matches!(line, "*nat" | "*filter" | "*mangle" | "*raw")
            || line.starts_with("table ip")
            || line.starts_with("table inet")
            || line.starts_with("IP Virtual Server version")
    })
}

/// Files given together, each one node as opened: the files of one node (`iptables.txt ipset.txt`,
/// or all naming the same node) joined into one. When two or more files name different nodes — by
/// their text (a hostname, a prompt), or by their file name on files that each hold rules
/// (`node-a.txt`, `node-b.txt`, each an `iptables-save`) — one node per name: the files naming the
/// same node joined (`node-a-sysctl.txt` with `node-a-iptables.txt`), a file naming none of them kept
/// apart.
pub(crate) fn group_files(nodes: Vec<NodeText>) -> Vec<NodeText> {
    let mut named: Vec<&str> = nodes
        .iter()
        .filter(|n| names_a_node(n))
        .filter_map(node_key)
        .collect();
    named.sort_unstable();
    named.dedup();
    if named.len() < 2 {
        return vec![join_nodes(nodes)];
    }
    let named: Vec<String> = named.into_iter().map(str::to_string).collect();
    let mut groups: Vec<(Option<String>, Vec<NodeText>)> = Vec::new();
    for node in nodes {
        let key = node_key(&node)
            .filter(|k| named.iter().any(|n| n == k))
            .map(str::to_string);
        match groups.iter_mut().find(|(k, _)| key.is_some() && *k == key) {
            Some((_, files)) => files.push(node),
            None => groups.push((key, vec![node])),
        }
    }
    groups
        .into_iter()
        .map(|(_, files)| join_nodes(files))
        .collect()
}

/// The nodes, each given as its own file (`svcpath explain iptables.txt ipset.txt`), joined into one,
/// named by the first of them with the strongest name.
pub(crate) fn join_nodes(nodes: Vec<NodeText>) -> NodeText {
    let mut nodes = nodes.into_iter();
    let Some(mut first) = nodes.next() else {
        return NodeText {
            name: "node".to_string(),
            ..empty()
        };
    };
    for node in nodes {
        if node.name_source < first.name_source {
            first.name.clone_from(&node.name);
            first.name_source = node.name_source;
        }
        append_node(&mut first, node);
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A part's last line is the count `str::lines` gives, whether or not the text ends in a break.
    #[test]
    fn a_part_ends_on_the_last_line_str_lines_counts() {
        for text in [
            "",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "\n",
            "\n\n",
            "a\n\nb\r",
            "x\n\n\n",
        ] {
            let node = with_part_size(NodeText {
                text: text.to_string(),
                parts: vec![Part {
                    file: "f".to_string(),
                    first_line: 1,
                    last_line: 0,
                    bytes: 0,
                    encoding: crate::text::Encoding::Utf8,
                }],
                ..empty()
            });
            let expected = u32::try_from(text.lines().count()).unwrap().max(1);
            assert_eq!(node.parts[0].last_line, expected, "{text:?}");
            assert_eq!(node.parts[0].bytes, text.len());
        }
    }
}
