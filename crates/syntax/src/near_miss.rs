//! Near-miss commands: output of a command close to one svcpath reads that lacks what it needs —
//! `iptables -L` instead of `iptables-save`, `ipvsadm -L` without `-n`, `nft list tables`,
//! `conntrack -C` alone — recognised by its command line or by lines only that command prints, and
//! reported with the command to run instead.

use crate::diag::{Diagnostic, Severity};
use crate::source::{lines, Line, Origin};

/// One warning per near-miss command line, and one per kind of near-miss output seen without its
/// command line. At most this many in all.
const MAX_REPORTS: usize = 20;

/// The near misses in a paste, as warnings with their line.
pub fn find(paste: &str) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::new();
    // Kinds reported already (by a command line or by output): output of a kind is reported once.
    let mut seen: Vec<Miss> = Vec::new();
    let mut chain_headers = 0usize;
    let mut first_listing: Option<(Diagnostic, Miss)> = None;
    for line in lines(paste, Origin::START) {
        if out.len() >= MAX_REPORTS {
            break;
        }
        let text = line.text.trim();
        if text.is_empty() || text.starts_with('-') || text.starts_with(':') {
            continue;
        }
        if let Some(miss) = command_miss(text) {
            out.push(Diagnostic::new(&line, miss.severity(), miss.message()));
            if !seen.contains(&miss) {
                seen.push(miss);
            }
            continue;
        }
        if let Some(miss) = output_miss(text) {
            if miss == Miss::IptablesList && text.starts_with("Chain ") {
                chain_headers += 1;
            }
            if !seen.contains(&miss) && first_listing.as_ref().is_none_or(|(_, m)| *m != miss) {
                if miss == Miss::IptablesList {
                    first_listing = Some((warning(&line, miss), miss));
                } else {
                    out.push(warning(&line, miss));
                    seen.push(miss);
                }
            }
        }
    }
    if let Some((mut d, miss)) = first_listing {
        if !seen.contains(&miss) {
            d.message = format!(
                "{} ({} chain header{} like `Chain KUBE-SERVICES (2 references)` from here on)",
                d.message,
                chain_headers,
                if chain_headers == 1 { "" } else { "s" }
            );
            out.push(d);
        }
    }
    crate::stable_sort::sort_by_key(&mut out, |d| (d.line, d.span.start));
    out
}

fn warning(line: &Line<'_>, miss: Miss) -> Diagnostic {
    Diagnostic::new(line, miss.severity(), miss.message())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Miss {
    IptablesList,
    IpvsadmNames,
    NftTables,
    ConntrackCount,
}

impl Miss {
    fn severity(self) -> Severity {
        match self {
            Miss::ConntrackCount => Severity::Info,
            _ => Severity::Warning,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Miss::IptablesList => {
                "this is `iptables -L` output, a table for people: it hides the match details svcpath needs \
                 (marks, comments, probabilities, interfaces), so it is not read; run `iptables-save` (and \
                 `ip6tables-save`) instead"
            }
            Miss::IpvsadmNames => {
                "`ipvsadm -L` without `-n` prints host and service names instead of addresses and ports, \
                 which svcpath cannot map back; run `ipvsadm -Ln`"
            }
            Miss::NftTables => {
                "`nft list tables` lists only the names of the tables, not their chains and rules; run \
                 `nft list ruleset`"
            }
            Miss::ConntrackCount => {
                "`conntrack -C` gives only the number of entries; for a verdict add the limit \
                 (`sysctl net.netfilter.nf_conntrack_max`) and the drop counters (`conntrack -S`)"
            }
        }
    }
}

/// The tools whose near-miss invocations are recognised.
fn tool_of(word: &str) -> Option<&'static str> {
    let name = word.rsplit('/').next().unwrap_or(word);
    Some(match name {
        "iptables" | "ip6tables" | "iptables-legacy" | "ip6tables-legacy" | "iptables-nft"
        | "ip6tables-nft" => "iptables",
        "ipvsadm" => "ipvsadm",
        "nft" => "nft",
        "conntrack" => "conntrack",
        _ => return None,
    })
}

/// A command line (with or without a prompt, after `sudo`, `kubectl exec … --`, `chroot /host`) that
/// runs a near-miss command.
fn command_miss(text: &str) -> Option<Miss> {
    if text.len() > 300
        || !text.contains("iptables")
            && !text.contains("ipvsadm")
            && !text.contains("nft")
            && !text.contains("conntrack")
    {
        return None;
    }
    let command = crate::split::strip_prompt(text).unwrap_or(text);
    let mut words = command
        .split(|c: char| c.is_whitespace() || c == ';' || c == '(')
        .filter(|w| !w.is_empty());
    // The first word must be a command, not output that mentions one.
    let first = command.split_whitespace().next()?;
    let first_ok = tool_of(first).is_some()
        || matches!(
            first.rsplit('/').next().unwrap_or(first),
            "sudo" | "kubectl" | "chroot" | "nsenter" | "watch" | "docker" | "crictl" | "oc"
        );
    if !first_ok {
        return None;
    }
    let tool = words.by_ref().find_map(tool_of)?;
    let args: Vec<&str> = words
        .take_while(|w| !w.starts_with('|') && *w != "&&")
        .collect();
    // Short options may be combined (`-nvL`); long ones stand alone.
    let short = |c: char| {
        args.iter()
            .any(|a| a.starts_with('-') && !a.starts_with("--") && a[1..].contains(c))
    };
    let long = |name: &str| args.contains(&name);
    match tool {
        "iptables" if short('L') || long("--list") => Some(Miss::IptablesList),
        "ipvsadm"
            if (short('L') || short('l') || long("--list"))
                && !(short('n') || long("--numeric"))
                // Timeouts and the sync daemon have no addresses to resolve.
                && !(long("--timeout") || long("--daemon")) =>
        {
            Some(Miss::IpvsadmNames)
        }
        "nft" if args.first() == Some(&"list") && matches!(args.get(1), Some(&"tables")) => {
            Some(Miss::NftTables)
        }
        "conntrack" if short('C') || long("--count") => Some(Miss::ConntrackCount),
        _ => None,
    }
}

/// A line only a near-miss command prints.
fn output_miss(text: &str) -> Option<Miss> {
    // iptables -L: `Chain INPUT (policy ACCEPT)`, `Chain KUBE-SERVICES (2 references)`, and the
    // column header.
    if let Some(rest) = text.strip_prefix("Chain ") {
        let mut parts = rest.splitn(2, ' ');
        let (name, tail) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if !name.is_empty()
            && (tail.starts_with("(policy ")
                || tail.ends_with(" references)")
                || tail.ends_with(" reference)"))
        {
            return Some(Miss::IptablesList);
        }
    }
    let columns: Vec<&str> = text.split_whitespace().collect();
    if columns.starts_with(&["target", "prot", "opt", "source", "destination"])
        || columns.starts_with(&["pkts", "bytes", "target", "prot", "opt", "in", "out"])
        || columns.starts_with(&["num", "target", "prot", "opt", "source", "destination"])
    {
        return Some(Miss::IptablesList);
    }
    // ipvsadm -L: a virtual service or real server with a name for its port (`:https`, `:domain`).
    let service = matches!(columns.first(), Some(&("TCP" | "UDP" | "SCTP"))) && columns.len() >= 3;
    let server = columns.first() == Some(&"->") && columns.len() >= 4;
    if service || server {
        if let Some((_, port)) = columns[1].rsplit_once(':') {
            if !port.is_empty()
                && port.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
                && port != "Port"
            {
                return Some(Miss::IpvsadmNames);
            }
        }
    }
    // nft list tables: `table ip nat` with no `{`.
    if columns.len() == 3 && columns[0] == "table" && !text.contains('{') {
        let family = columns[1];
        if matches!(family, "ip" | "ip6" | "inet" | "arp" | "bridge" | "netdev") {
            return Some(Miss::NftTables);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(paste: &str) -> Vec<(u32, String)> {
        find(paste)
            .into_iter()
            .map(|d| (d.line, d.message))
            .collect()
    }

    #[test]
    fn command_lines_name_the_command_to_run() {
        for (command, expected) in [
            ("# iptables -L -n -v", "run `iptables-save`"),
            ("root@node:~# iptables -t nat -nvL", "run `iptables-save`"),
            (
                "$ sudo iptables --list KUBE-SERVICES -t nat",
                "run `iptables-save`",
            ),
            ("[root@n ~]# ipvsadm -L", "run `ipvsadm -Ln`"),
            (
                "kubectl exec -n kube-system kube-proxy-x -- ipvsadm -l",
                "run `ipvsadm -Ln`",
            ),
            ("# nft list tables", "run `nft list ruleset`"),
            ("$ conntrack -C", "`conntrack -C` gives only"),
        ] {
            let found = messages(&format!("{command}\nsomething\n"));
            assert_eq!(found.len(), 1, "{command}: {found:?}");
            assert_eq!(found[0].0, 1);
            assert!(found[0].1.contains(expected), "{command}: {}", found[0].1);
        }
    }

    #[test]
    fn the_right_commands_are_not_near_misses() {
        for command in [
            "# iptables-save",
            "# ipvsadm -Ln",
            "# ipvsadm -L -n --stats",
            "sudo ipvsadm -l --timeout",
            "# nft list ruleset",
            "# conntrack -S",
            // `iptables -S` (one table's rules) is read as iptables rules.
            "iptables -t nat -S",
            "# iptables -A INPUT -j ACCEPT",
            "-A KUBE-SERVICES -j KUBE-NODEPORTS",
            "TCP  10.96.0.1:443 rr",
            "  -> 10.0.0.5:6443            Masq    1      0          0",
            "table ip kube-proxy {",
            "Prot LocalAddress:Port Scheduler Flags",
        ] {
            assert!(
                messages(command).is_empty(),
                "{command}: {:?}",
                messages(command)
            );
        }
    }

    #[test]
    fn listing_output_without_its_command_is_recognised_once() {
        let paste = "Chain INPUT (policy ACCEPT)\n\
                     target     prot opt source               destination\n\
                     KUBE-FIREWALL  all  --  0.0.0.0/0            0.0.0.0/0\n\
                     \n\
                     Chain KUBE-SERVICES (2 references)\n\
                     target     prot opt source               destination\n";
        let found = messages(paste);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 1);
        assert!(found[0].1.contains("run `iptables-save`"));
        assert!(found[0].1.contains("2 chain headers"), "{}", found[0].1);
        // With its command line, the command line alone is reported.
        let found = messages(&format!("# iptables -L\n{paste}"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 1);
    }

    #[test]
    fn named_ipvs_listings_and_table_lists_are_recognised() {
        let ipvs = "IP Virtual Server version 1.2.1 (size=4096)\n\
                    Prot LocalAddress:Port Scheduler Flags\n\
                    \x20 -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
                    TCP  kubernetes.default.svc.cluster.local:https rr\n\
                    \x20 -> 10-0-0-5.kubernetes.default.svc.cluster.local:sun-sr-https Masq 1 0 0\n";
        let found = messages(ipvs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 4);
        assert!(found[0].1.contains("ipvsadm -Ln"));
        let found = messages("table ip filter\ntable ip nat\ntable inet kube-proxy\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("nft list ruleset"));
    }
}
