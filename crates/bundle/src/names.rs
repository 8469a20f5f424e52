//! A node's name: from a `===== svcpath: node =====` or `hostname` marker, a `hostname`/`uname -n`
//! command and the line it printed, a shell prompt (`root@NAME:~#`, `[root@NAME ~]#`), the folder an
//! archive keeps the node's files in, or the file's name.

/// Where a node's name comes from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NameSource {
    /// A `===== svcpath: node =====` (or `hostname`) marker and the line after it.
    Marker,
    /// A `hostname` or `uname -n` command and the line it printed, or a `hostname` file beside the
    /// node's files (a sosreport's).
    Hostname,
    /// A shell prompt, `root@NAME:~#` or `[root@NAME ~]#`.
    Prompt,
    /// The archive's folder holding the node's files.
    Folder,
    /// The file's name.
    FileName,
    /// Nothing names it (standard input).
    Unknown,
}

impl NameSource {
    /// How a file list says it.
    pub fn describe(self) -> &'static str {
        match self {
            NameSource::Marker => "svcpath marker",
            NameSource::Hostname => "hostname",
            NameSource::Prompt => "shell prompt",
            NameSource::Folder => "folder",
            NameSource::FileName => "file name",
            NameSource::Unknown => "not named",
        }
    }
}

/// A host name as `hostname` prints it: letters, digits, `-`, `.` and `_`, 1 to 253 characters.
pub(crate) fn is_host_name(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= 253
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && word.bytes().any(|b| b.is_ascii_alphanumeric())
}

/// Commands run from a workstation, not on the node: their prompt names the workstation.
const REMOTE_COMMANDS: &[&str] = &["kubectl", "oc", "ssh", "scp", "gcloud", "aws", "az", "k"];

/// The name the text itself gives, with its source: the strongest found (a marker before a
/// `hostname` command before a prompt), the first of each.
pub(crate) fn from_text(text: &str) -> Option<(String, NameSource)> {
    let mut best: Option<(String, NameSource)> = None;
    let mut lines = lines_with_offsets(text);
    let take = |name: &str, source: NameSource, best: &mut Option<(String, NameSource)>| {
        if is_host_name(name) && best.as_ref().is_none_or(|(_, s)| source < *s) {
            *best = Some((name.to_string(), source));
        }
    };
    // Only three kinds of line can name the node: a marker (`=====` first), a line holding a prompt
    // (an `@`) and a `hostname`/`uname`/`cat` command (`h`, `u` or `c` first, after any `$ `/`# `).
    // The line ends and the `@`s of the whole text are found with `memchr` passes, so the other lines
    // (all but a few of a large capture) cost a look at their first bytes.
    let mut ats = memchr::memchr_iter(b'@', text.as_bytes());
    let mut next_at = ats.next();
    while let Some((start, line)) = lines.next() {
        while next_at.is_some_and(|at| at < start) {
            next_at = ats.next();
        }
        let holds_at = next_at.is_some_and(|at| at < start + line.len());
        if !holds_at && !may_name_the_node(line) {
            continue;
        }
        if best.as_ref().is_some_and(|(_, s)| *s == NameSource::Marker) {
            // Nothing is stronger than a marker, and the first one found stays.
            break;
        }
        let trimmed = line.trim();
        if let Some(kind) = marker_kind(trimmed) {
            let source = match kind.as_str() {
                "node" | "node-name" => Some(NameSource::Marker),
                "hostname" | "uname-n" => Some(NameSource::Hostname),
                _ => None,
            };
            if let Some(source) = source {
                if let Some(next) = lines
                    .by_ref()
                    .map(|(_, l)| l.trim())
                    .find(|l| !l.is_empty())
                {
                    take(next, source, &mut best);
                }
            }
            continue;
        }
        if best
            .as_ref()
            .is_some_and(|(_, s)| *s <= NameSource::Hostname)
        {
            continue;
        }
        let (prompt_host, command) = split_prompt(trimmed);
        if is_hostname_command(command) {
            if let Some(next) = lines.next().map(|(_, l)| l.trim()) {
                take(next, NameSource::Hostname, &mut best);
                continue;
            }
        }
        if let Some(host) = prompt_host {
            let first = command.split_whitespace().next().unwrap_or("");
            if !REMOTE_COMMANDS.contains(&first) {
                take(host, NameSource::Prompt, &mut best);
            }
        }
    }
    best
}

/// The lines of a text as `str::lines` gives them, every trailing `\r` taken off, each with the offset
/// it starts at; the line ends found with `memchr`.
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut ends = memchr::memchr_iter(b'\n', text.as_bytes());
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let end = ends.next().unwrap_or(text.len());
        let line = (start, text[start..end].trim_end_matches('\r'));
        start = end + 1;
        Some(line)
    })
}

/// Whether a line without an `@` may be a marker or a `hostname`/`uname -n`/`cat /etc/hostname`
/// command: `=`, `h`, `u` or `c` first once the blanks (as `trim` takes them) and a `$ ` or `# `
/// prompt are taken off.
fn may_name_the_node(line: &str) -> bool {
    let rest = line.trim_start();
    match rest.as_bytes() {
        [b'=' | b'h' | b'u' | b'c', ..] => true,
        [b'$' | b'#', b' ', ..] => {
            matches!(rest[2..].trim_start().as_bytes(), [b'h' | b'u' | b'c', ..])
        }
        _ => false,
    }
}

/// `===== svcpath: KIND =====` → `kind`, lower-cased.
fn marker_kind(line: &str) -> Option<String> {
    let inner = line.strip_prefix("=====")?.strip_suffix("=====")?.trim();
    let kind = inner.strip_prefix("svcpath:")?.trim();
    Some(kind.to_ascii_lowercase())
}

/// `hostname`, `uname -n`, `cat /etc/hostname`, after any `$ ` or `# ` prompt.
fn is_hostname_command(command: &str) -> bool {
    if !(command.starts_with("hostname")
        || command.starts_with("uname")
        || command.starts_with("cat /etc/hostname"))
    {
        return false;
    }
    let words: Vec<&str> = command.split_whitespace().collect();
    matches!(
        words.as_slice(),
        ["hostname"] | ["hostname", "-s" | "-f" | "--fqdn" | "--short"] | ["uname", "-n"]
    ) || matches!(words.as_slice(), ["cat", "/etc/hostname"])
}

/// A prompt's host and the command after it: `root@node-a:~# iptables-save` → (`node-a`,
/// `iptables-save`); `[root@node-a ~]# …` too; `$ cmd` and `# cmd` give no host.
fn split_prompt(line: &str) -> (Option<&str>, &str) {
    if let Some(rest) = line.strip_prefix('[') {
        // [user@host dir]# command
        if let Some((inside, command)) = rest.split_once(']') {
            if let Some((user, host_dir)) = inside.split_once('@') {
                let host = host_dir.split_whitespace().next().unwrap_or("");
                if is_user(user) {
                    if let Some(command) = command
                        .strip_prefix('#')
                        .or_else(|| command.strip_prefix('$'))
                    {
                        return (Some(host), command.trim());
                    }
                }
            }
        }
        return (None, line);
    }
    if let Some((user, rest)) = line.split_once('@') {
        if is_user(user) {
            // host:dir# command, or host dir# command
            let end = rest
                .find(|c: char| c == ':' || c.is_whitespace())
                .unwrap_or(rest.len());
            let (host, after) = rest.split_at(end);
            if let Some(at) = after.find(['#', '$']) {
                return (Some(host), after[at + 1..].trim());
            }
        }
        return (None, line);
    }
    let command = line
        .strip_prefix("$ ")
        .or_else(|| line.strip_prefix("# "))
        .unwrap_or(line);
    (None, command.trim())
}

fn is_user(user: &str) -> bool {
    !user.is_empty()
        && user.len() <= 32
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Words that name what a file holds, not the node: `iptables-save.txt` is some node's iptables.
const CAPTURE_WORDS: &[&str] = &[
    "iptables-save",
    "ip6tables-save",
    "iptables-legacy-save",
    "ip6tables-legacy-save",
    "iptables-nft-save",
    "iptables",
    "ip6tables",
    "nft-ruleset",
    "nft_list_ruleset",
    "nft-list-ruleset",
    "ruleset",
    "nftables",
    "nft",
    "ipvsadm",
    "ipvs",
    "ipset",
    "ipsets",
    "sysctl",
    "sysctls",
    "conntrack-s",
    "conntrack-l",
    "conntrack",
    "dmesg",
    "kube-proxy-log",
    "kube-proxy",
    "kubeproxy",
    "node-snapshot",
    "snapshot",
    "capture",
    "svcpath",
    "dump",
    "rules",
    "addresses",
    "ip-addr",
    "uname",
    "logs",
    "log",
];

/// The file's name without folders and without the extensions a capture gets (`.txt`, `.log`,
/// `.out`, `.gz`, `.json`).
pub(crate) fn file_stem(path: &str) -> &str {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let mut stem = base;
    loop {
        let lower = stem.to_ascii_lowercase();
        let cut = [
            ".txt", ".log", ".out", ".gz", ".tgz", ".tar", ".zip", ".json", ".dump", ".save",
        ]
        .iter()
        .find(|ext| lower.ends_with(*ext) && lower.len() > ext.len());
        match cut {
            Some(ext) => stem = &stem[..stem.len() - ext.len()],
            None => return stem,
        }
    }
}

/// Whether a file's stem only says what it holds (`iptables-save`, `ipset`, `node-snapshot`).
pub(crate) fn is_capture_word(stem: &str) -> bool {
    CAPTURE_WORDS.contains(&stem.to_ascii_lowercase().as_str())
}

/// The node a file's stem names, the capture word taken off: `node-a_iptables-save` → `node-a`,
/// `ipset-node-b` → `node-b`; `None` when the stem is only a capture word.
pub(crate) fn node_from_stem(stem: &str) -> Option<String> {
    if is_capture_word(stem) || !is_host_name(stem) {
        return None;
    }
    let lower = stem.to_ascii_lowercase();
    for word in CAPTURE_WORDS {
        for sep in ['-', '_', '.'] {
            if let Some(head) = lower.strip_suffix(word).and_then(|h| h.strip_suffix(sep)) {
                if is_host_name(head) && !is_capture_word(head) {
                    return Some(stem[..head.len()].to_string());
                }
            }
            if let Some(tail) = lower.strip_prefix(word).and_then(|t| t.strip_prefix(sep)) {
                if is_host_name(tail) && !is_capture_word(tail) {
                    return Some(stem[stem.len() - tail.len()..].to_string());
                }
            }
        }
    }
    Some(stem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_markers_commands_and_prompts() {
        let marked = "===== svcpath: node =====\nworker-1\n===== svcpath: iptables-save =====\n";
        assert_eq!(
            from_text(marked),
            Some(("worker-1".to_string(), NameSource::Marker))
        );
        let hostname = "root@ignored:~# hostname\nnode-b.example\n*nat\n";
        assert_eq!(
            from_text(hostname),
            Some(("node-b.example".to_string(), NameSource::Hostname))
        );
        let prompt = "[root@node-c ~]# iptables-save\n*nat\nCOMMIT\n";
        assert_eq!(
            from_text(prompt),
            Some(("node-c".to_string(), NameSource::Prompt))
        );
        let debian = "root@node-d:/# iptables-save\n";
        assert_eq!(
            from_text(debian),
            Some(("node-d".to_string(), NameSource::Prompt))
        );
    }

    #[test]
    fn a_workstation_prompt_does_not_name_the_node() {
        let remote =
            "me@laptop:~$ kubectl exec -n kube-system kube-proxy-x -- iptables-save\n*nat\n";
        assert_eq!(from_text(remote), None);
        assert_eq!(from_text("*nat\n-A X -j Y\nCOMMIT\n"), None);
    }

    #[test]
    fn file_names_give_the_node_without_the_capture_word() {
        assert_eq!(file_stem("dir/node-a.txt"), "node-a");
        assert_eq!(file_stem("node-a.iptables.txt.gz"), "node-a.iptables");
        assert_eq!(
            node_from_stem("node-a_iptables-save").as_deref(),
            Some("node-a")
        );
        assert_eq!(node_from_stem("ipset-node-b").as_deref(), Some("node-b"));
        assert_eq!(node_from_stem("node-a.iptables").as_deref(), Some("node-a"));
        assert_eq!(node_from_stem("worker-3").as_deref(), Some("worker-3"));
        assert_eq!(node_from_stem("iptables-save"), None);
        assert_eq!(node_from_stem("node-snapshot"), None);
    }

    /// The reading before lines were filtered by their first bytes: every line split as a prompt.
    fn from_text_reading_every_line(text: &str) -> Option<(String, NameSource)> {
        let mut best: Option<(String, NameSource)> = None;
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
        let take = |name: &str, source: NameSource, best: &mut Option<(String, NameSource)>| {
            if is_host_name(name) && best.as_ref().is_none_or(|(_, s)| source < *s) {
                *best = Some((name.to_string(), source));
            }
        };
        while let Some(line) = lines.next() {
            let trimmed = line.trim();
            if let Some(kind) = marker_kind(trimmed) {
                let source = match kind.as_str() {
                    "node" | "node-name" => Some(NameSource::Marker),
                    "hostname" | "uname-n" => Some(NameSource::Hostname),
                    _ => None,
                };
                if let Some(source) = source {
                    if let Some(next) = lines.by_ref().map(str::trim).find(|l| !l.is_empty()) {
                        take(next, source, &mut best);
                    }
                }
                continue;
            }
            if best
                .as_ref()
                .is_some_and(|(_, s)| *s <= NameSource::Hostname)
            {
                continue;
            }
            let (prompt_host, command) = split_prompt(trimmed);
            if is_hostname_command(command) {
                if let Some(next) = lines.next().map(str::trim) {
                    take(next, NameSource::Hostname, &mut best);
                    continue;
                }
            }
            if let Some(host) = prompt_host {
                let first = command.split_whitespace().next().unwrap_or("");
                if !REMOTE_COMMANDS.contains(&first) {
                    take(host, NameSource::Prompt, &mut best);
                }
            }
        }
        best
    }

    /// Pieces of lines that name a node, nearly name one, or say nothing about it.
    const PIECES: &[&str] = &[
        "===== svcpath: node =====",
        "===== svcpath: hostname =====",
        "===== svcpath: iptables-save =====",
        "=====svcpath:uname-n=====",
        "hostname",
        "hostname -f",
        "uname -n",
        "cat /etc/hostname",
        "$ hostname",
        "#  uname -n",
        "# hostname",
        "root@node-a:~# ",
        "[root@node-b ~]# ",
        "me@laptop:~$ kubectl get pods",
        "ec2-user@ip-10-0-0-1 ~$ ",
        "node-c.example",
        "worker_7",
        "*nat",
        "-A KUBE-SERVICES -j KUBE-NODEPORTS",
        "COMMIT",
        "# Generated by iptables-save",
        "a@b",
        " ",
        "\t",
        "\u{a0}",
        "\u{b}",
        "\r",
        "",
        "[x]",
        "ü",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Filtering lines by their first bytes and `@`s finds the same name as reading every line.
        #[test]
        fn the_filtered_reading_finds_what_every_line_gives(
            lines in proptest::collection::vec(
                proptest::collection::vec(0..PIECES.len(), 1..4), 0..12)
        ) {
            let text: String = lines
                .iter()
                .map(|pieces| pieces.iter().map(|&i| PIECES[i]).collect::<String>() + "\n")
                .collect();
            proptest::prop_assert_eq!(from_text(&text), from_text_reading_every_line(&text));
        }

        /// The lines, and where each starts, are those `str::lines` gives.
        #[test]
        fn lines_and_offsets_are_those_of_str_lines(text in "[ab@\r\n]{0,24}") {
            let ours: Vec<(usize, &str)> = lines_with_offsets(&text).collect();
            let std_lines: Vec<(usize, &str)> = text
                .lines()
                .map(|l| (l.as_ptr() as usize - text.as_ptr() as usize, l.trim_end_matches('\r')))
                .collect();
            proptest::prop_assert_eq!(ours, std_lines);
        }
    }
}
