//! The command lines of a paste: which tool a shell prompt or a bare command line ran, and so which
//! kind of section its output opens.

use super::{kube_proxy, SectionKind};

/// Recognises a shell command line: an optional prompt (`$ `, `# `, `user@host:~# `, `[root@h ~]# `)
/// followed by a known tool's name.
pub(super) fn command_kind(text: &str) -> Option<SectionKind> {
    let command = strip_prompt(text)?;
    let command = command.trim_start_matches("sudo ").trim_start();
    let command = command
        .strip_prefix("watch ")
        .map(|c| {
            // watch's own options before the command
            let mut rest = c.trim_start();
            while let Some(r) = rest.strip_prefix('-') {
                rest = r.split_once(' ').map(|(_, r)| r.trim_start()).unwrap_or("");
            }
            rest
        })
        .unwrap_or(command);
    // The tool may come after `kubectl exec … --`, `chroot /host`, `nsenter …` or a pipe: take the first
    // word that names a known tool.
    let words = || {
        command
            .split(|c: char| c.is_whitespace() || c == '|' || c == ';' || c == '(')
            .map(|w| w.rsplit('/').next().unwrap_or(w))
    };
    let tool = words()
        .find(|w| tool_kind(w, command).is_some_and(|k| k != SectionKind::Other))
        .or_else(|| words().find(|w| tool_kind(w, command).is_some()))?;
    tool_kind(tool, command)
}

pub(super) fn tool_kind(tool: &str, command: &str) -> Option<SectionKind> {
    let kind = match tool {
        "iptables-save"
        | "ip6tables-save"
        | "iptables-legacy-save"
        | "ip6tables-legacy-save"
        | "iptables-nft-save"
        | "ip6tables-nft-save" => SectionKind::Iptables,
        "iptables" | "ip6tables" | "iptables-legacy" | "ip6tables-legacy" | "iptables-nft"
        | "ip6tables-nft"
            if crate::iptables::table_of_list_command(command).is_some() =>
        {
            // `iptables [-t TABLE] -S [CHAIN] [-v]`: rules in iptables-save's syntax.
            SectionKind::Iptables
        }
        "ipvsadm" | "ipvsadm-save" => SectionKind::Ipvsadm,
        "ipset" => SectionKind::Ipset,
        "nft" => SectionKind::Nft,
        "sysctl" => SectionKind::Sysctl,
        "conntrack" => {
            if command.contains(" -L") || command.contains(" --dump") || command.contains(" -E") {
                SectionKind::ConntrackList
            } else {
                SectionKind::ConntrackStats
            }
        }
        "dmesg" | "journalctl" => SectionKind::KernelLog,
        "cat" | "grep" | "tail" | "head" | "wc" if command.contains("conntrack") => {
            if command.contains("/proc/net/stat/nf_conntrack") {
                SectionKind::ConntrackStats
            } else if command.contains("/proc/net/nf_conntrack") {
                SectionKind::ConntrackList
            } else if command.contains("/var/log") || command.contains("kern") {
                SectionKind::KernelLog
            } else {
                SectionKind::Sysctl
            }
        }
        "kubectl" if command.contains(" logs ") && command.contains("kube-proxy") => {
            SectionKind::KernelLog
        }
        "kubectl" | "curl" | "wget" | "cat" if kube_proxy::settings_command(command) => {
            SectionKind::KubeProxyConfig
        }
        "ip" if ip_addr_command(command) => SectionKind::Addresses,
        "kubectl" if crate::kube_api::detect::is_get_command(command) => SectionKind::KubeApi,
        "uname" | "date" | "ip" | "hostname" | "kubectl" => SectionKind::Other,
        _ => return None,
    };
    Some(kind)
}

/// `ip addr`, `ip a`, `ip -br a s`, `ip -4 -o address show`: the `ip` command listing addresses.
fn ip_addr_command(command: &str) -> bool {
    let mut words = command
        .split_whitespace()
        .skip_while(|w| w.rsplit('/').next() != Some("ip"));
    words.next();
    words
        .find(|w| !w.starts_with('-'))
        .is_some_and(|object| "address".starts_with(object) && !object.is_empty())
}

/// `N: NAME: <FLAGS>` — the first line of an interface in `ip addr` / `ip link`.
pub(super) fn interface_header(text: &str) -> bool {
    let Some((index, rest)) = text.split_once(": ") else {
        return false;
    };
    if index.is_empty() || index.len() > 6 || !index.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    match rest.split_once(": <") {
        Some((name, _)) => !name.is_empty() && !name.contains(' '),
        None => false,
    }
}

/// Returns the command after a shell prompt, or the whole line when it starts with a bare command name.
/// `None` when the line does not look like a command line at all.
pub(crate) fn strip_prompt(text: &str) -> Option<&str> {
    // A prompt never starts with `-` or `:` (see below) and no tool's name does, so rule lines (`-A …`) and
    // chain declarations (`:KUBE-…`) are not command lines: deciding that first spares three searches
    // of every line of a large iptables dump.
    if text.starts_with('-') || text.starts_with(':') {
        return None;
    }
    // `user@host:~$ cmd`, `[root@host ~]# cmd`, `host# cmd`, `$ cmd`, `# cmd`.
    for sep in ["$ ", "# ", "> "] {
        if let Some(i) = text.find(sep) {
            let prompt = text[..i].trim_end();
            let prompt_like = prompt.is_empty()
                || prompt.contains('@')
                || prompt.ends_with(']')
                || prompt.ends_with('~')
                || prompt.ends_with(':')
                || (!prompt.contains(' ') && prompt.len() < 40);
            if prompt_like && !prompt.starts_with('-') && !prompt.starts_with(':') {
                return Some(&text[i + sep.len()..]);
            }
        }
    }
    // A bare command line, as people paste `ipvsadm -ln` above the output.
    let first = text.split_whitespace().next()?;
    if matches!(first, "kubectl" | "curl") && kube_proxy::settings_command(text) {
        return Some(text);
    }
    let tool = first.rsplit('/').next().unwrap_or(first);
    let tool = tool.split('|').next().unwrap_or(tool);
    let known = matches!(
        tool,
        "iptables-save"
            | "ip6tables-save"
            | "iptables-legacy-save"
            | "ip6tables-legacy-save"
            | "iptables-nft-save"
            | "iptables"
            | "ip6tables"
            | "iptables-legacy"
            | "iptables-nft"
            | "ipvsadm"
            | "ipvsadm-save"
            | "ipset"
            | "nft"
            | "sysctl"
            | "conntrack"
            | "dmesg"
            | "journalctl"
            | "sudo"
            | "watch"
    );
    // Output lines of these tools never start with the tool's name followed by an option or a verb.
    let looks_like_invocation = text.len() < 300
        && !text.contains(" = ")
        && (text == tool
            || text[first.len()..].trim_start().starts_with('-')
            || text[first.len()..].trim_start().starts_with('|')
            || text[first.len()..].trim_start().starts_with("list")
            || text[first.len()..].trim_start().starts_with("net.")
            || first.contains('|'));
    (known && looks_like_invocation).then_some(text)
}
