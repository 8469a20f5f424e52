//! Parser for `ipset list` / `ipset -L` output (and the `create` / `add` lines of `ipset save`): each set's
//! name, type, header options, counts and members with their per-member options (`timeout`, `packets`,
//! `bytes`, `comment`, `nomatch`, `skbmark` …).
//!
//! Members are read by the set's type: `hash:ip,port,ip` members `10.0.0.5,tcp:53,10.0.0.5` give an
//! address, a protocol and port, and a second address; `bitmap:port` members are bare ports.

mod member;

pub use member::Member;
use member::{part_index, MemberDraft, MemberExtras, PackedMember, IN_EXTRAS};

use crate::diag::{quote, Diagnostic, Parsed};
use crate::source::{lines, Line, Origin, Span};

/// One set.
///
/// Its members are stored packed (a set may hold millions): their elements one after another in one
/// string, each member a fixed-size record of offsets and numbers, and what few members have (counters,
/// comments, odd parts) on the side. [`IpSet::members`] reads them back as [`Member`] views.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpSet {
    pub name: String,
    /// Line of `Name:` (or of `create`).
    pub line: u32,
    pub span: Span,
    /// `hash:ip,port,ip`, `bitmap:port` …
    pub set_type: Option<String>,
    pub revision: Option<u32>,
    /// `family inet`, `inet6`.
    pub family: Option<String>,
    pub hashsize: Option<u64>,
    pub maxelem: Option<u64>,
    /// `range 0-65535` of a bitmap set.
    pub range: Option<String>,
    /// Default timeout of members, when the set has one.
    pub timeout: Option<u64>,
    /// The set stores per-member comments.
    pub comments: bool,
    /// The set stores per-member packet and byte counters.
    pub counters: bool,
    /// Header words not listed above, as `(key, value)`.
    pub other_header: Vec<(String, Option<String>)>,
    pub size_in_memory: Option<u64>,
    pub references: Option<u64>,
    /// `Number of entries:` (missing in older ipset versions).
    pub number_of_entries: Option<u64>,
    /// The members' elements, one after another.
    elements: String,
    members: Vec<PackedMember>,
    extras: Vec<MemberExtras>,
}

impl IpSet {
    /// True when the set's members carry a port (`hash:ip,port…`, `bitmap:port`).
    pub fn has_port(&self) -> bool {
        self.set_type.as_deref().is_some_and(|t| t.contains("port"))
    }

    /// The members in the order listed.
    pub fn members(&self) -> impl ExactSizeIterator<Item = Member<'_>> + Clone + '_ {
        self.members
            .iter()
            .map(move |packed| Member { set: self, packed })
    }

    /// The `index`-th member listed.
    pub fn member(&self, index: usize) -> Option<Member<'_>> {
        self.members
            .get(index)
            .map(|packed| Member { set: self, packed })
    }

    /// How many members are listed.
    pub fn member_count(&self) -> usize {
        self.members.len()
    }
}

/// Parses one `ipset list` section.
pub fn parse(text: &str, origin: Origin) -> Parsed<Vec<IpSet>> {
    let mut parser = SetParser {
        section_end: origin.offset + text.len(),
        ..SetParser::default()
    };
    for line in lines(text, origin) {
        parser.line(&line);
    }
    parser.finish()
}

#[derive(Default)]
struct SetParser {
    sets: Vec<IpSet>,
    diagnostics: Vec<Diagnostic>,
    /// Inside `Members:` of the last set.
    in_members: bool,
    /// Where the section ends in the paste (bounds what a member list may reserve).
    section_end: usize,
}

impl SetParser {
    fn line(&mut self, line: &Line<'_>) {
        let text = line.text.trim();
        if text.is_empty() {
            self.in_members = false;
            return;
        }
        if is_ipset_command(text) {
            self.in_members = false;
            return;
        }
        if let Some(name) = text.strip_prefix("Name:") {
            self.close_set();
            let name = name.trim();
            if name.is_empty() {
                self.diagnostics
                    .push(Diagnostic::error(line, "`Name:` without a set name"));
            }
            self.sets.push(IpSet {
                name: name.to_string(),
                line: line.number,
                span: line.span,
                ..IpSet::default()
            });
            self.in_members = false;
            return;
        }
        if self.in_members {
            if let Some(set) = self.sets.last_mut() {
                if !looks_like_field(text) {
                    let (element, draft) =
                        read_member(line, text, set.set_type.as_deref(), &mut self.diagnostics);
                    set.push_member(line, element, draft);
                    return;
                }
            }
            self.in_members = false;
        }
        if let Some((key, value)) = text.split_once(':') {
            let value = value.trim();
            let known = matches!(
                key,
                "Type"
                    | "Revision"
                    | "Header"
                    | "Size in memory"
                    | "References"
                    | "Number of entries"
                    | "Members"
            );
            if known {
                let Some(set) = self.sets.last_mut() else {
                    self.diagnostics.push(Diagnostic::error(
                        line,
                        format!("{key}: before any `Name:` line; ignored"),
                    ));
                    return;
                };
                match key {
                    "Type" => set.set_type = Some(value.to_string()),
                    "Revision" => set.revision = value.parse().ok(),
                    "Header" => read_header(set, value),
                    "Size in memory" => set.size_in_memory = value.parse().ok(),
                    "References" => set.references = value.parse().ok(),
                    "Number of entries" => set.number_of_entries = value.parse().ok(),
                    _ => {
                        self.in_members = true;
                        set.reserve_members(self.section_end.saturating_sub(line.span.end));
                        if !value.is_empty() {
                            self.diagnostics
                                .push(Diagnostic::warning(line, "text after `Members:` ignored"));
                        }
                    }
                }
                return;
            }
        }
        if let Some(rest) = text.strip_prefix("create ") {
            self.close_set();
            let mut words = rest.split_whitespace();
            let name = words.next().unwrap_or("").to_string();
            let set_type = words.next().map(str::to_string);
            let header: Vec<&str> = words.collect();
            let mut set = IpSet {
                name,
                line: line.number,
                span: line.span,
                set_type,
                ..IpSet::default()
            };
            read_header(&mut set, &header.join(" "));
            self.sets.push(set);
            return;
        }
        if let Some(rest) = text.strip_prefix("add ") {
            let (name, element) = rest.trim_start().split_once(' ').unwrap_or((rest, ""));
            let Some(index) = self.sets.iter().rposition(|s| s.name == name) else {
                self.diagnostics.push(Diagnostic::error(
                    line,
                    format!(
                        "`add` to the set {} that was not created before",
                        quote(name)
                    ),
                ));
                return;
            };
            let set = &mut self.sets[index];
            let (element, draft) = read_member(
                line,
                element.trim(),
                set.set_type.as_deref(),
                &mut self.diagnostics,
            );
            set.push_member(line, element, draft);
            return;
        }
        // A member line right after a set without `Members:` (a cut paste) or anything else.
        self.diagnostics.push(Diagnostic::error(
            line,
            format!("not an ipset line, ignored: {}", quote(text)),
        ));
    }

    fn close_set(&mut self) {
        self.in_members = false;
    }

    fn finish(self) -> Parsed<Vec<IpSet>> {
        let mut diagnostics = self.diagnostics;
        for set in &self.sets {
            if let Some(n) = set.number_of_entries {
                if n != set.member_count() as u64 {
                    diagnostics.push(Diagnostic {
                        line: set.line,
                        span: set.span,
                        severity: crate::diag::Severity::Warning,
                        message: format!(
                            "the set {} says it has {n} entries but {} members are listed (a cut paste?)",
                            quote(&set.name),
                            set.member_count()
                        ),
                    });
                }
            }
        }
        let mut sets = self.sets;
        for set in &mut sets {
            set.shrink();
        }
        Parsed {
            value: sets,
            diagnostics,
        }
    }
}

/// Reads one member line's `text` (element, then options) by the set's type: the element, and where
/// its parts are. What is not understood is said in one diagnostic for the line.
fn read_member<'t>(
    line: &Line<'_>,
    text: &'t str,
    set_type: Option<&str>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (&'t str, MemberDraft) {
    let (element, options) = match text.split_once(char::is_whitespace) {
        Some((e, o)) => (e, o.trim()),
        None => (text, ""),
    };
    let mut member = MemberDraft::default();
    let dims = set_type.and_then(|t| t.split_once(':')).map(|(_, d)| d);
    let dim_count = dims.map_or(0, |d| d.split(',').count());
    let mut problems = Vec::new();
    let mut part_count = 0;
    for (i, part) in element.split(',').enumerate() {
        part_count += 1;
        let dim = dims
            .and_then(|d| d.split(',').nth(i))
            .unwrap_or_else(|| guess_dimension(part));
        match dim {
            "ip" | "net" => {
                let index = part_index(i);
                let slot = if member.address.is_none() {
                    Some((&mut member.address, &mut member.extras.address))
                } else if member.second_address.is_none() {
                    Some((
                        &mut member.second_address,
                        &mut member.extras.second_address,
                    ))
                } else {
                    None
                };
                match slot {
                    Some((at, owned)) => {
                        *at = Some(index);
                        if index == IN_EXTRAS {
                            *owned = Some(part.to_string());
                        }
                    }
                    None => member.extras.other_parts.push(part.to_string()),
                }
                if !looks_like_address(part) {
                    problems.push(format!("{} is not an address", quote(part)));
                }
            }
            "port" => {
                let (protocol, ports) = match part.split_once(':') {
                    Some((p, n)) => (Some(p), n),
                    None => (None, part),
                };
                let index = part_index(i);
                let lowercase = protocol.is_none_or(|p| !p.bytes().any(|b| b.is_ascii_uppercase()));
                if index == IN_EXTRAS || !lowercase {
                    member.port_part = Some(IN_EXTRAS);
                    member.extras.protocol = protocol.map(str::to_ascii_lowercase);
                } else {
                    member.port_part = Some(index);
                    member.extras.protocol = None;
                }
                let (first, last) = match ports.split_once('-') {
                    Some((a, b)) => (a, Some(b)),
                    None => (ports, None),
                };
                member.port = first.parse().ok();
                member.port_end = last.and_then(|l| l.parse().ok());
                if member.port.is_none() {
                    problems.push(format!("{} is not a port", quote(part)));
                }
            }
            _ => member.extras.other_parts.push(part.to_string()),
        }
    }
    if dim_count != 0 && part_count != dim_count {
        problems.push(format!(
            "{part_count} parts where the set type has {dim_count}"
        ));
    }
    read_member_options(&mut member, options, &mut problems);
    if !problems.is_empty() {
        diagnostics.push(Diagnostic::warning(
            line,
            format!(
                "set member {} not fully understood: {}",
                quote(text),
                problems.join("; ")
            ),
        ));
    }
    (element, member)
}

/// A shell command line that runs ipset (`# ipset list`, `$ sudo ipset -L`, `ipset list KUBE-CLUSTER-IP`).
fn is_ipset_command(text: &str) -> bool {
    let Some(at) = text.find("ipset") else {
        return false;
    };
    let before = text[..at].trim_end();
    let before = before.strip_suffix("sudo").unwrap_or(before).trim_end();
    let after = &text[at + "ipset".len()..];
    let prompt_like = before.is_empty()
        || before.ends_with('#')
        || before.ends_with('$')
        || before.ends_with('>');
    prompt_like && (after.is_empty() || after.starts_with(' ')) && text.len() < 300
}

/// `Type: …`-like lines end a member list even without a blank line between sets.
fn looks_like_field(text: &str) -> bool {
    [
        "Name:",
        "Type:",
        "Revision:",
        "Header:",
        "Size in memory:",
        "References:",
        "Number of entries:",
        "Members:",
    ]
    .iter()
    .any(|p| text.starts_with(p))
}

fn guess_dimension(part: &str) -> &'static str {
    if part.contains(':') && !part.contains('.') && part.split(':').count() == 2 {
        "port"
    } else if looks_like_address(part) {
        "ip"
    } else if part.bytes().all(|b| b.is_ascii_digit() || b == b'-') && !part.is_empty() {
        "port"
    } else {
        "other"
    }
}

fn looks_like_address(part: &str) -> bool {
    let ip = part.split('/').next().unwrap_or(part);
    let ip = ip.split('-').next().unwrap_or(ip);
    // Redacted addresses (`XXX.XXX.174.108`) still count as addresses.
    ip.parse::<std::net::IpAddr>().is_ok()
        || (ip.split('.').count() == 4 && ip.split('.').all(|o| !o.is_empty() && o.len() <= 3))
}

fn read_header(set: &mut IpSet, header: &str) {
    let words: Vec<&str> = header.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        let key = words[i];
        let value = words.get(i + 1).copied();
        let takes_value = !matches!(key, "comment" | "counters" | "skbinfo" | "forceadd");
        match key {
            "family" => set.family = value.map(str::to_string),
            "hashsize" => set.hashsize = value.and_then(|v| v.parse().ok()),
            "maxelem" => set.maxelem = value.and_then(|v| v.parse().ok()),
            "range" => set.range = value.map(str::to_string),
            "timeout" => set.timeout = value.and_then(|v| v.parse().ok()),
            "comment" => set.comments = true,
            "counters" => set.counters = true,
            _ => set.other_header.push((
                key.to_string(),
                if takes_value {
                    value.map(str::to_string)
                } else {
                    None
                },
            )),
        }
        i += if takes_value { 2 } else { 1 };
    }
}

fn read_member_options(member: &mut MemberDraft, options: &str, problems: &mut Vec<String>) {
    let mut rest = options.trim();
    let mut guard = 0;
    while !rest.is_empty() && guard < 64 {
        guard += 1;
        let (key, after) = match rest.split_once(char::is_whitespace) {
            Some((k, a)) => (k, a.trim_start()),
            None => (rest, ""),
        };
        if key == "nomatch" {
            member.nomatch = true;
            rest = after;
            continue;
        }
        if key == "comment" {
            // `comment "text with spaces"`
            if let Some(quoted) = after.strip_prefix('"') {
                match quoted.find('"') {
                    Some(end) => {
                        member.extras.comment = Some(quoted[..end].to_string());
                        rest = quoted[end + 1..].trim_start();
                    }
                    None => {
                        member.extras.comment = Some(quoted.to_string());
                        problems.push("the comment's closing quote is missing".to_string());
                        rest = "";
                    }
                }
            } else {
                let (value, after) = after.split_once(char::is_whitespace).unwrap_or((after, ""));
                member.extras.comment = Some(value.to_string());
                rest = after.trim_start();
            }
            continue;
        }
        let (value, after) = match after.split_once(char::is_whitespace) {
            Some((v, a)) => (v, a.trim_start()),
            None => (after, ""),
        };
        let number = value.parse::<u64>().ok();
        match key {
            "timeout" => member.extras.timeout = number,
            "packets" => member.extras.packets = number,
            "bytes" => member.extras.bytes = number,
            _ => member.extras.other_options.push((
                key.to_string(),
                Some(value.to_string()).filter(|v| !v.is_empty()),
            )),
        }
        if matches!(key, "timeout" | "packets" | "bytes") && number.is_none() {
            problems.push(format!("{key} without a number"));
        }
        rest = after;
    }
    if !rest.is_empty() {
        problems.push("too many member options; the rest is ignored".to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_with_members_and_options() {
        let p = parse(
            "Name: KUBE-LOOP-BACK\nType: hash:ip,port,ip\nRevision: 5\nHeader: family inet hashsize 1024 maxelem 65536 comment counters\n\
             Size in memory: 416\nReferences: 1\nNumber of entries: 2\nMembers:\n\
             10.0.0.5,tcp:53,10.0.0.5 packets 3 bytes 180 comment \"kube-system/kube-dns:dns-tcp\"\n\
             fd00::5,udp:53,fd00::5 timeout 30 nomatch\n",
            Origin::START,
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let set = &p.value[0];
        assert_eq!(set.name, "KUBE-LOOP-BACK");
        assert!(set.comments && set.counters);
        assert_eq!(set.hashsize, Some(1024));
        let m = set.member(0).unwrap();
        assert_eq!(
            (m.address(), m.protocol(), m.port()),
            (Some("10.0.0.5"), Some("tcp"), Some(53))
        );
        assert_eq!(m.second_address(), Some("10.0.0.5"));
        assert_eq!(m.comment(), Some("kube-system/kube-dns:dns-tcp"));
        assert_eq!((m.packets(), m.bytes()), (Some(3), Some(180)));
        assert!(set.member(1).unwrap().nomatch());
        assert_eq!(set.member(1).unwrap().timeout(), Some(30));
    }

    #[test]
    fn bitmap_ports_and_save_format() {
        let p = parse(
            "create KUBE-NODE-PORT-TCP bitmap:port range 0-65535\nadd KUBE-NODE-PORT-TCP 30080\nadd KUBE-NODE-PORT-TCP 31000-31002\n",
            Origin::START,
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let set = &p.value[0];
        assert_eq!(set.range.as_deref(), Some("0-65535"));
        assert_eq!(set.member(0).unwrap().port(), Some(30080));
        assert_eq!(set.member(1).unwrap().port_end(), Some(31002));
    }

    #[test]
    fn a_count_mismatch_and_garbage_are_reported() {
        let p = parse(
            "Name: X\nType: hash:ip\nNumber of entries: 3\nMembers:\n10.0.0.1\n\nwhat\n",
            Origin {
                offset: 0,
                line: 20,
            },
        );
        let lines: Vec<u32> = p.diagnostics.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![26, 20]);
    }

    #[test]
    fn members_are_packed_in_32_bytes_without_an_allocation_each() {
        assert!(std::mem::size_of::<PackedMember>() <= 32);
        let p = parse(
            "Name: S\nType: hash:ip,port\nNumber of entries: 2\nMembers:\n10.0.0.1,tcp:80\n10.0.0.2,udp:53\n",
            Origin::START,
        );
        let set = &p.value[0];
        assert!(set.extras.is_empty(), "plain members need no extras");
        assert_eq!(set.elements, "10.0.0.1,tcp:8010.0.0.2,udp:53");
        assert_eq!(set.members.capacity(), 2);
    }

    #[test]
    fn odd_members_keep_every_part() {
        let far: String = (0..300).map(|_| "x,").collect();
        let text = format!(
            "Name: S\nType: hash:ip,port,ip\nMembers:\n10.0.0.1,TCP:80,10.0.0.9 packets 2 skbmark 0x1\n\nName: T\nMembers:\n{far}10.0.0.7\n"
        );
        let p = parse(
            &text,
            Origin {
                offset: 100,
                line: 1,
            },
        );
        let set = &p.value[0];
        let m = set.member(0).unwrap();
        assert_eq!(m.protocol(), Some("tcp"));
        assert_eq!((m.port(), m.second_address()), (Some(80), Some("10.0.0.9")));
        assert_eq!(m.packets(), Some(2));
        assert_eq!(
            m.other_options(),
            &[("skbmark".to_string(), Some("0x1".to_string()))]
        );
        assert_eq!(
            m.span(),
            Span::new(
                100 + text.find("10.0.0.1,TCP").unwrap(),
                100 + text.find(" 0x1").unwrap() + 4
            )
        );
        let far_member = p.value[1].member(0).unwrap();
        assert_eq!(far_member.element(), format!("{far}10.0.0.7"));
        assert_eq!(far_member.address(), Some("10.0.0.7"));
        assert_eq!(far_member.other_parts().len(), 300);
    }
}
