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
}
