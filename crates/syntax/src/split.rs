//! The splitter: finds the sections (iptables-save, ipvsadm, sysctl, …) in one big paste.
//!
//! A paste is read line by line. Three things start a section: a marker line written by the capture
//! command (`===== svcpath: KIND … =====`), a shell command line naming a known tool (with or without a
//! prompt before it), and a line whose content belongs unmistakably to another kind than the current
//! section. Lines that fit any kind (blank lines, `...`, prose) stay in the current section; the parser of
//! that section reports what it did not understand.

use serde::Serialize;

use crate::source::{lines, Line, Origin, Span};

mod command;
mod kube_proxy;

pub(crate) use command::strip_prompt;
use command::{command_kind, interface_header};
/// What a section of the paste holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// `iptables-save` / `ip6tables-save` output, also fragments from `| grep`.
    Iptables,
    /// `ipvsadm -Ln`, `--stats`, `--rate`, `-Lnc`, `--timeout`, `ipvsadm-save`.
    Ipvsadm,
    /// `ipset list`.
    Ipset,
    /// `nft list ruleset`, `nft list table`, `nft -f` transactions.
    Nft,
    /// `sysctl` output and `/proc/sys` or `/sys/module` values about conntrack.
    Sysctl,
    /// `conntrack -S` and `conntrack -C`.
    ConntrackStats,
    /// `conntrack -L` entries.
    ConntrackList,
    /// Kernel log lines (`dmesg`, `journalctl -k`) and kube-proxy log lines.
    KernelLog,
    /// The node's interface addresses: `ip -brief addr`, `ip addr`, `ip -o addr`.
    Addresses,
    /// Anything else (`uname -r`, `date`, prose): kept and shown, not analysed.
    Other,
    /// `kubectl get svc,endpointslices,nodes -o json|yaml`: the cluster's view.
    KubeApi,
    /// kube-proxy's own settings: its `/flagz` page, its configuration file or ConfigMap.
    KubeProxyConfig,
}

impl SectionKind {
    pub const ALL: [SectionKind; 12] = [
        SectionKind::Iptables,
        SectionKind::Ipvsadm,
        SectionKind::Ipset,
        SectionKind::Nft,
        SectionKind::Sysctl,
        SectionKind::ConntrackStats,
        SectionKind::ConntrackList,
        SectionKind::KernelLog,
        SectionKind::Addresses,
        SectionKind::Other,
        SectionKind::KubeApi,
        SectionKind::KubeProxyConfig,
    ];

    /// The stable name used in markers, JSON and the user interface.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Iptables => "iptables",
            SectionKind::Ipvsadm => "ipvsadm",
            SectionKind::Ipset => "ipset",
            SectionKind::Nft => "nft",
            SectionKind::Sysctl => "sysctl",
            SectionKind::ConntrackStats => "conntrack_stats",
            SectionKind::ConntrackList => "conntrack_list",
            SectionKind::KernelLog => "kernel_log",
            SectionKind::Addresses => "addresses",
            SectionKind::Other => "other",
            SectionKind::KubeApi => "kube_api",
            SectionKind::KubeProxyConfig => "kube_proxy_config",
        }
    }

    /// Inverse of [`SectionKind::name`]; also accepts the marker words of the capture command.
    pub fn from_name(name: &str) -> Option<SectionKind> {
        let n = name.trim().to_ascii_lowercase();
        Some(match n.as_str() {
            "iptables"
            | "iptables-save"
            | "ip6tables"
            | "ip6tables-save"
            | "iptables-legacy-save"
            | "ip6tables-legacy-save"
            | "iptables-nft-save" => SectionKind::Iptables,
            "ipvsadm" | "ipvs" | "ipvsadm-stats" | "ipvsadm-rate" | "ipvsadm-save" => {
                SectionKind::Ipvsadm
            }
            "ipset" => SectionKind::Ipset,
            "nft" | "nftables" => SectionKind::Nft,
            "sysctl" => SectionKind::Sysctl,
            "conntrack_stats" | "conntrack-s" | "conntrack-stats" | "conntrack-c" => {
                SectionKind::ConntrackStats
            }
            "conntrack_list" | "conntrack-l" | "conntrack-list" => SectionKind::ConntrackList,
            "kernel_log" | "dmesg" | "journalctl" | "kernel-log" | "kube-proxy-log" => {
                SectionKind::KernelLog
            }
            "addresses" | "ip-addr" | "ip-address" => SectionKind::Addresses,
            "other" | "uname" | "date" => SectionKind::Other,
            "kube_api" | "kube-api" | "kubectl-get" => SectionKind::KubeApi,
            n if kube_proxy::MARKERS.contains(&n) => SectionKind::KubeProxyConfig,
            _ => return None,
        })
    }
}

/// How the splitter decided a section's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Detection {
    /// A `===== svcpath: KIND =====` marker line.
    Marker,
    /// A shell command line naming the tool.
    Command,
    /// The content of the lines.
    Content,
    /// Chosen by the user.
    User,
}

/// One section of the paste.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub kind: SectionKind,
    pub detection: Detection,
    /// The marker or command line that opened it, when there was one.
    pub command: Option<String>,
    /// 1-based first and last line of the section's content (the command line excluded).
    pub first_line: u32,
    pub last_line: u32,
    /// Byte span of the content in the whole paste.
    pub span: Span,
}

impl Section {
    /// Where the section's text begins, for handing to a parser.
    pub fn origin(&self) -> Origin {
        Origin {
            offset: self.span.start,
            line: self.first_line,
        }
    }

    /// The section's text, cut from the whole paste.
    pub fn text<'a>(&self, paste: &'a str) -> &'a str {
        paste.get(self.span.start..self.span.end).unwrap_or("")
    }
}

/// What one line says about the section it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    /// A marker or command line: the next lines are of this kind.
    Opens(SectionKind, Detection),
    /// A line that only this kind prints.
    Content(SectionKind),
    /// Fits anywhere.
    Neutral,
}

/// Finds the sections of a paste. Every line of the paste belongs to exactly one section or is a
/// marker/command line; sections are in paste order and never overlap.
pub fn split(paste: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut current: Option<Section> = None;
    let mut previous_content: Option<SectionKind> = None;
    // Within an iptables section: the tables opened so far and the dump's family, to see where a
    // second dump (ip6tables-save after iptables-save) begins without a command line between them.
    let mut dump = DumpState::default();

    let close = |current: &mut Option<Section>, sections: &mut Vec<Section>| {
        if let Some(s) = current.take() {
            if s.span.end > s.span.start || s.command.is_some() {
                sections.push(s);
            }
        }
    };

    for line in lines(paste, Origin::START) {
        let rest = paste.get(line.span.end..).unwrap_or("");
        let line_hint = match hint(&line, current.as_ref().map(|s| s.kind), previous_content) {
            // kubectl's JSON opens with a lone `{`: it belongs to the object below it.
            // (kube-proxy's ConfigMap, read by its own parser, keeps its `{` too.)
            Hint::Neutral
                if current.as_ref().map(|s| s.kind) != Some(SectionKind::KubeProxyConfig)
                    && crate::kube_api::detect::opens_object(line.text, rest) =>
            {
                Hint::Content(SectionKind::KubeApi)
            }
            h => h,
        };
        match line_hint {
            Hint::Opens(kind, detection) => {
                close(&mut current, &mut sections);
                dump = DumpState::default();
                current = Some(Section {
                    kind,
                    detection,
                    command: Some(line.text.trim().chars().take(200).collect()),
                    first_line: line.number.saturating_add(1),
                    last_line: line.number,
                    span: Span::new(line_end(paste, line), line_end(paste, line)),
                });
                previous_content = None;
            }
            Hint::Content(kind) => {
                let continues = match &current {
                    Some(s) => s.kind == kind || compatible(s.kind, kind),
                    None => false,
                };
                let next_dump = continues
                    && kind == SectionKind::Iptables
                    && dump.starts_another(line.text.trim());
                if !continues || next_dump {
                    dump = DumpState::default();
                    dump.starts_another(line.text.trim());
                    close(&mut current, &mut sections);
                    current = Some(Section {
                        kind,
                        detection: Detection::Content,
                        command: None,
                        first_line: line.number,
                        last_line: line.number,
                        span: line.span,
                    });
                }
                extend(current.as_mut(), &line);
                previous_content = Some(kind);
            }
            Hint::Neutral => {
                if current.is_none() {
                    if line.text.trim().is_empty() {
                        continue;
                    }
                    current = Some(Section {
                        kind: SectionKind::Other,
                        detection: Detection::Content,
                        command: None,
                        first_line: line.number,
                        last_line: line.number,
                        span: line.span,
                    });
                }
                extend(current.as_mut(), &line);
            }
        }
    }
    close(&mut current, &mut sections);
    for s in &mut sections {
        trim_trailing_blank(paste, s);
    }
    sections
}

/// Splits with some sections' kinds chosen by the user: `overrides` pairs a section's first line with the
/// kind to use instead of the guessed one.
pub fn split_with_overrides(paste: &str, overrides: &[(u32, SectionKind)]) -> Vec<Section> {
    let mut sections = split(paste);
    for s in &mut sections {
        if let Some((_, kind)) = overrides.iter().find(|(line, _)| *line == s.first_line) {
            s.kind = *kind;
            s.detection = Detection::User;
        }
    }
    sections
}

/// What an iptables section has shown so far of the dump it holds.
#[derive(Debug, Default)]
struct DumpState {
    /// Built-in tables (`*filter`, `*nat`, …) opened, one bit each.
    tables: u8,
    /// Whether a `# Generated by ip6tables…` (true) or `# Generated by iptables…` (false) line was seen.
    ipv6: Option<bool>,
    /// A `*table` line or rule seen since the last `# Generated by` line.
    content: bool,
}

impl DumpState {
    /// Notes one iptables line; true when it begins another dump than the one so far: a
    /// `# Generated by` line of the other family, or a built-in table opened a second time.
    fn starts_another(&mut self, text: &str) -> bool {
        if let Some(generator) = text.strip_prefix("# Generated by ") {
            let ipv6 = generator.starts_with("ip6tables");
            let another = self.content && self.ipv6.is_some_and(|v| v != ipv6);
            if another {
                *self = DumpState::default();
            }
            self.ipv6 = Some(ipv6);
            return another;
        }
        if let Some(name) = text.strip_prefix('*') {
            let bit = match name.trim() {
                "filter" => 1,
                "nat" => 2,
                "mangle" => 4,
                "raw" => 8,
                "security" => 16,
                _ => 0,
            };
            let another = bit != 0 && self.tables & bit != 0;
            if another {
                self.ipv6 = None;
                self.tables = 0;
            }
            self.tables |= bit;
            self.content = true;
            return another;
        }
        self.content = true;
        false
    }
}

/// Kinds whose output legitimately interleaves: `conntrack -S` after `conntrack -C` and so on.
fn compatible(current: SectionKind, seen: SectionKind) -> bool {
    matches!(
        (current, seen),
        (SectionKind::Other, SectionKind::Other)
            | (SectionKind::ConntrackStats, SectionKind::ConntrackStats)
    )
}

fn extend(section: Option<&mut Section>, line: &Line<'_>) {
    if let Some(s) = section {
        if s.span.end <= s.span.start {
            s.span.start = line.span.start;
            s.first_line = line.number;
        }
        s.span.end = line.span.end;
        s.last_line = line.number;
    }
}

fn line_end(paste: &str, line: Line<'_>) -> usize {
    let bytes = paste.as_bytes();
    let mut end = line.span.end;
    if bytes.get(end) == Some(&b'\r') {
        end += 1;
    }
    if bytes.get(end) == Some(&b'\n') {
        end += 1;
    }
    end
}

fn trim_trailing_blank(paste: &str, s: &mut Section) {
    let text = s.text(paste);
    let trimmed = text.trim_end();
    if trimmed.len() < text.len() {
        let removed_newlines = text[trimmed.len()..]
            .bytes()
            .filter(|&b| b == b'\n')
            .count() as u32;
        s.span.end = s.span.start + trimmed.len();
        s.last_line = s
            .last_line
            .saturating_sub(removed_newlines)
            .max(s.first_line);
        if trimmed.is_empty() {
            s.last_line = s.first_line.saturating_sub(1);
        }
    }
}

/// The marker line the capture command prints before each section.
pub const MARKER_PREFIX: &str = "===== svcpath:";

fn hint(line: &Line<'_>, current: Option<SectionKind>, previous: Option<SectionKind>) -> Hint {
    let text = line.text.trim();
    if text.is_empty() {
        return Hint::Neutral;
    }
    if let Some(rest) = text.strip_prefix(MARKER_PREFIX) {
        let word = rest
            .trim()
            .trim_end_matches('=')
            .split_whitespace()
            .next()
            .unwrap_or("");
        return Hint::Opens(
            SectionKind::from_name(word).unwrap_or(SectionKind::Other),
            Detection::Marker,
        );
    }
    if kube_proxy::yaml_comment(text, current) {
        return Hint::Neutral;
    }
    let save_comment = text.starts_with("# Generated by")
        || text.starts_with("# Completed on")
        || text.starts_with("# Warning:");
    if let Some(kind) = command_kind(text).filter(|_| !save_comment) {
        return Hint::Opens(kind, Detection::Command);
    }
    match content_kind(text, current, previous) {
        Some(kind) => Hint::Content(kind),
        None => Hint::Neutral,
    }
}

/// Recognises lines that only one tool prints.
fn content_kind(
    text: &str,
    current: Option<SectionKind>,
    previous: Option<SectionKind>,
) -> Option<SectionKind> {
    use SectionKind::*;
    let in_kind = |k: SectionKind| current == Some(k) || previous == Some(k);

    if kube_proxy::settings_line(text) {
        return Some(KubeProxyConfig);
    }

    // iptables-save
    if text.starts_with("# Generated by ip")
        || text.starts_with("# Completed on")
        || text.starts_with("# Warning: iptables-legacy tables present")
        || (text.starts_with('*')
            && text.len() < 20
            && text[1..].chars().all(|c| c.is_ascii_lowercase()))
        || text == "COMMIT"
        || matches!(
            text.split_once(char::is_whitespace).map(|(c, _)| c),
            Some("-A" | "-I" | "-N" | "-X" | "-F" | "-P")
        )
        || (text.starts_with('[') && text.contains("] -A "))
        || (text.starts_with(':') && text.split_whitespace().count() >= 2 && !text.contains("://"))
    {
        return Some(Iptables);
    }
    // ip addr: `2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 …`
    if interface_header(text) {
        return Some(Addresses);
    }
    // ipvsadm
    if text.starts_with("IP Virtual Server version")
        || text.starts_with("Prot LocalAddress:Port")
        || text.starts_with("-> RemoteAddress:Port")
        || text.starts_with("pro expire state")
        || text.starts_with("IPVS connection entries")
        || text.starts_with("Timeout (tcp tcpfin udp)")
        || (text.starts_with("-> ") && (in_kind(Ipvsadm) || ipvs_real_server_like(text)))
        || ipvs_service_like(text)
        || text.starts_with("-A -t ")
        || text.starts_with("-A -u ")
        || text.starts_with("-a -t ")
        || text.starts_with("-a -u ")
    {
        return Some(Ipvsadm);
    }
    if text.starts_with("Every ") && text.contains("ipvsadm") {
        return Some(Ipvsadm);
    }
    // ipset
    if text.starts_with("Name: ")
        || (text.starts_with("Type: ")
            && (text.contains("hash:") || text.contains("bitmap:") || text.contains("list:")))
        || (in_kind(Ipset)
            && (text.starts_with("Revision:")
                || text.starts_with("Header:")
                || text.starts_with("Size in memory:")
                || text.starts_with("References:")
                || text.starts_with("Number of entries:")
                || text == "Members:"))
    {
        return Some(Ipset);
    }
    // nft
    if text.starts_with("table ip ")
        || text.starts_with("table ip6 ")
        || text.starts_with("table inet ")
        || text.starts_with("table bridge ")
        || text.starts_with("table arp ")
        || text.starts_with("table netdev ")
        || text.starts_with("add table ")
        || text.starts_with("add chain ")
        || text.starts_with("add rule ")
        || text.starts_with("add element ")
        || text.starts_with("add map ")
        || text.starts_with("add set ")
        || text.starts_with("flush table ")
        || text.starts_with("delete table ")
        // A chain listed without its table (a fragment of `nft list ruleset`), and the note iptables-nft
        // prints above the tables it manages.
        || (text.starts_with("chain ") && (text.ends_with('{') || text.contains("{ # handle ")))
        // A map or set block listed alone (`sed -n '/map service-ips/,/^\t}/p'`).
        || ((text.starts_with("map ") || text.starts_with("set "))
            && (text.ends_with('{') || text.contains("{ # handle ")))
        || (text.starts_with("# Warning: table ") && text.contains("iptables-nft"))
        // `nft -j list …` JSON, on one line or pretty-printed (`"nftables": [` on its own line).
        || nft_json_start(text)
    {
        return Some(Nft);
    }
    // sysctl and /proc values
    if (text.starts_with("net.netfilter.nf_conntrack")
        || text.starts_with("net.nf_conntrack_max")
        || text.starts_with("net.ipv4.netfilter.ip_conntrack")
        || text.starts_with("/proc/sys/net/netfilter/")
        || text.starts_with("/proc/sys/net/nf_conntrack_max")
        || text.starts_with("/sys/module/nf_conntrack/"))
        && (text.contains('=') || text.contains(':') || text.split_whitespace().count() == 2)
        || text.starts_with("sysctl: ")
    {
        return Some(Sysctl);
    }
    // conntrack -S / -C
    if (text.starts_with("cpu=") && text.contains('='))
        || (in_kind(ConntrackStats) && text.chars().all(|c| c.is_ascii_digit()))
        || conntrack_old_stats_like(text)
    {
        return Some(ConntrackStats);
    }
    // conntrack -L
    if conntrack_entry_like(text) || text.contains("flow entries have been shown") {
        return Some(ConntrackList);
    }
    // kernel and kube-proxy logs
    if text.contains("nf_conntrack: ")
        || text.contains("nf_conntrack:")
        || text.contains("nf_conntrack version ")
        || text.contains("callbacks suppressed")
        || (text.contains("conntrack") && kube_log_like(text))
        || (text.starts_with('[') && text.contains("] ") && in_kind(KernelLog))
        || kube_proxy_record_like(text)
    {
        return Some(KernelLog);
    }
    if in_kind(Sysctl) && text.chars().all(|c| c.is_ascii_digit()) {
        return Some(Sysctl);
    }
    // kube-proxy's ConfigMap is an API object too, but its own parser reads it whole.
    (current != Some(KubeProxyConfig) && crate::kube_api::detect::is_object_line(text))
        .then_some(KubeApi)
}

fn ipvs_service_like(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let proto = words.next().unwrap_or("");
    if !matches!(proto, "TCP" | "UDP" | "SCTP" | "FWM") {
        return false;
    }
    let addr = words.next().unwrap_or("");
    let sched = words.next();
    (addr.contains(':') || proto == "FWM") && sched.is_some()
}

fn ipvs_real_server_like(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.len() >= 5
        && words[0] == "->"
        && matches!(words[2], "Masq" | "Route" | "Tunnel" | "Local" | "FullNat")
}

fn conntrack_old_stats_like(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let key = words.next().unwrap_or("");
    let value = words.next().unwrap_or("");
    words.next().is_none()
        && matches!(
            key,
            "entries"
                | "searched"
                | "found"
                | "new"
                | "invalid"
                | "ignore"
                | "delete"
                | "delete_list"
                | "insert"
                | "insert_failed"
                | "drop"
                | "early_drop"
                | "icmp_error"
                | "expect_new"
                | "expect_create"
                | "expect_delete"
                | "search_restart"
        )
        && value.chars().all(|c| c.is_ascii_digit())
        && !value.is_empty()
}

fn conntrack_entry_like(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("");
    let second = words.next().unwrap_or("");
    let first_is_proto = matches!(
        first,
        "tcp" | "udp" | "icmp" | "sctp" | "icmpv6" | "ipv4" | "ipv6" | "unknown" | "dccp" | "gre"
    );
    // An entry cut off at the start of a paste lost its protocol name: `6 46 TIME_WAIT src=…`.
    let cut_off = !first.is_empty()
        && first.chars().all(|c| c.is_ascii_digit())
        && text.contains(" src=")
        && text.contains(" dst=");
    (first_is_proto || cut_off)
        && second.chars().all(|c| c.is_ascii_digit())
        && text.contains("src=")
}

fn kube_log_like(text: &str) -> bool {
    // klog: `I0215 12:00:00.000000   1 file.go:123] msg`; logrus: `time="…" level=info msg="…"`.
    let b = text.as_bytes();
    (b.len() > 5
        && matches!(b[0], b'I' | b'W' | b'E' | b'F')
        && b[1..5].iter().all(u8::is_ascii_digit))
        || text.contains("level=")
        || text.contains("kube-proxy")
        || kube_proxy::logrus_text_like(text)
}

/// A kube-proxy log record: klog with a Go source file as caller, a `--logging-format=json` record, or
/// either behind `kubectl logs --prefix`, a container-runtime time or a journald prefix.
fn kube_proxy_record_like(text: &str) -> bool {
    use crate::kubelog::prefix::{klog_header, strip_outer};
    let (outer, rest) = strip_outer(text);
    if outer.pod.is_some_and(|p| p.starts_with("kube-proxy")) {
        return true;
    }
    if let Some(h) = klog_header(rest) {
        return h.seconds.is_some() && h.caller.contains(".go:");
    }
    rest.starts_with("{\"ts\":") && rest.contains("\"msg\":")
}

/// The start of nft JSON output: `{"nftables": [` on one line, `"nftables": [` below a lone `{`, or one
/// object of its list on its own line (`{"rule": {`, as `jq -c '.nftables[]'` prints them).
fn nft_json_start(text: &str) -> bool {
    if crate::nft::json::starts_with_object(text) {
        return true;
    }
    let rest = text.strip_prefix('{').map(str::trim_start).unwrap_or(text);
    rest.strip_prefix("\"nftables\"")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix(':'))
        .is_some_and(|r| r.trim_start().starts_with('['))
}

#[cfg(test)]
mod tests;
