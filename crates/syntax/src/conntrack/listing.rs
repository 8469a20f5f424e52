//! The entry listing: `conntrack -L` (any protocol, `-o extended`, `-o id`, `[UNREPLIED]`/`[ASSURED]`,
//! `mark=`, `zone=`, `use=`, the closing `N flow entries have been shown` line), `cat
//! /proc/net/nf_conntrack`, `conntrack -E` events, IPv4 and IPv6, entries cut off at the start.
//!
//! A node's table can hold a million entries, so the listing is read line by line into compact
//! entries: addresses are integers interned once per listing ([`Addr`] indexes [`Listing::addresses`]),
//! ports `u16`, states and event words interned, flags a bit set. [`EntryRef`] reads one entry with
//! its listing. The JSON form of a listing is the one readers already know (addresses as text).

use std::net::IpAddr;

use foldhash::HashMap;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use smallvec::SmallVec;

use super::{is_command_line, is_tool_message, Number, ToolMessage};
use crate::diag::{quote, Diagnostic, Parsed};
use crate::source::{lines, Line, Origin, Span};
use crate::sysctl::is_elision;

/// Distinct state and event words kept per listing (beyond that, a state reads as unknown).
const MAX_WORDS: usize = 256;
/// Most words read from one line.
const MAX_WORDS_PER_LINE: usize = 128;

/// `[ASSURED]`: the entry saw traffic both ways and is not evicted early.
pub const FLAG_ASSURED: u8 = 1;
/// `[UNREPLIED]`: no packet came back yet.
pub const FLAG_UNREPLIED: u8 = 2;
/// `[OFFLOAD]` / `[HW_OFFLOAD]`: the flow is offloaded to a flowtable.
pub const FLAG_OFFLOAD: u8 = 4;
/// Any other bracketed word.
const FLAG_OTHER: u8 = 8;

const FLAG_NAMES: [(&str, u8); 4] = [
    ("ASSURED", FLAG_ASSURED),
    ("UNREPLIED", FLAG_UNREPLIED),
    ("OFFLOAD", FLAG_OFFLOAD),
    ("HW_OFFLOAD", FLAG_OFFLOAD),
];

/// An address of a listing: an index into [`Listing::addresses`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr(pub u32);

/// What one listing section shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub entries: Vec<Entry>,
    /// Every distinct address of the entries, once.
    pub addresses: Vec<IpAddr>,
    /// Interned state and event words (`ESTABLISHED`, `NEW`, …).
    pub words: Vec<String>,
    /// `conntrack v1.4.5 (conntrack-tools): 1234 flow entries have been shown.`
    pub shown: Option<Number>,
    /// A line count (`conntrack -L | wc -l`, `wc -l /proc/net/nf_conntrack`).
    pub counted: Option<Number>,
    /// Lines of elided text (`...`).
    pub elided: Vec<u32>,
    pub errors: Vec<ToolMessage>,
}

/// One tracked connection, compact: read it through [`Listing::get`] / [`Listing::iter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub line: u32,
    /// Byte span of the line: its start and length.
    pub start: usize,
    pub len: u32,
    /// `ipv4`/`ipv6` in the `/proc/net/nf_conntrack` and `-o extended` forms.
    pub family: Option<Family>,
    /// Index into the protocol names (`tcp`, `udp`, `icmp`, …), inferred from the number when the name
    /// was cut off.
    protocol: u8,
    pub protocol_number: Option<u16>,
    /// Seconds until the entry expires.
    pub timeout: Option<u32>,
    /// TCP (or SCTP, DCCP) state, an index into [`Listing::words`].
    state: Option<u16>,
    pub original: Tuple,
    pub reply: Option<Tuple>,
    /// `FLAG_*` bits.
    pub flags: u8,
    pub mark: Option<u32>,
    pub zone: Option<u16>,
    /// `-o id`: the entry's id.
    pub id: Option<u32>,
    /// `use=`: references to the entry.
    pub use_count: Option<u32>,
    /// `conntrack -E` event word, an index into [`Listing::words`].
    event: Option<u16>,
    /// True when the start of the line was cut off (the protocol name is missing).
    pub partial: bool,
}

/// `ipv4` or `ipv6` as the extended forms print it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Ipv4,
    Ipv6,
}

/// One direction of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuple {
    pub src: Addr,
    pub dst: Addr,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// ICMP `type`, `code`, `id`.
    pub icmp: Option<(u8, u8, u16)>,
}

/// One direction of a connection with its addresses read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TupleRef {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
}

/// One entry read with its listing.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    pub listing: &'a Listing,
    pub entry: &'a Entry,
}

impl Listing {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
            && self.shown.is_none()
            && self.counted.is_none()
            && self.errors.is_empty()
    }

    pub fn ip(&self, addr: Addr) -> IpAddr {
        self.addresses
            .get(addr.0 as usize)
            .copied()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    pub fn get(&self, index: usize) -> Option<EntryRef<'_>> {
        self.entries.get(index).map(|entry| EntryRef {
            listing: self,
            entry,
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = EntryRef<'_>> + '_ {
        self.entries.iter().map(move |entry| EntryRef {
            listing: self,
            entry,
        })
    }

    fn word(&self, index: Option<u16>) -> Option<&str> {
        index.and_then(|i| self.words.get(usize::from(i)).map(String::as_str))
    }
}

impl<'a> EntryRef<'a> {
    pub fn line(&self) -> u32 {
        self.entry.line
    }

    pub fn span(&self) -> Span {
        Span::new(self.entry.start, self.entry.start + self.entry.len as usize)
    }

    pub fn protocol(&self) -> &'static str {
        PROTOCOLS
            .get(usize::from(self.entry.protocol))
            .copied()
            .unwrap_or("unknown")
    }

    pub fn state(&self) -> Option<&'a str> {
        self.listing.word(self.entry.state)
    }

    pub fn event(&self) -> Option<&'a str> {
        self.listing.word(self.entry.event)
    }

    pub fn original(&self) -> TupleRef {
        self.tuple(&self.entry.original)
    }

    pub fn reply(&self) -> Option<TupleRef> {
        self.entry.reply.as_ref().map(|t| self.tuple(t))
    }

    fn tuple(&self, t: &Tuple) -> TupleRef {
        TupleRef {
            src: self.listing.ip(t.src),
            dst: self.listing.ip(t.dst),
            sport: t.sport,
            dport: t.dport,
        }
    }

    /// True when the reply comes from another address or port than the original destination: the
    /// connection was DNAT'd (a Service, NodePort or hostPort).
    pub fn is_dnat(&self) -> bool {
        let o = &self.entry.original;
        match &self.entry.reply {
            Some(r) => r.src != o.dst || (r.sport.is_some() && r.sport != o.dport),
            None => false,
        }
    }

    /// True when the reply goes to another address or port than the original source: SNAT/masquerade.
    pub fn is_snat(&self) -> bool {
        let o = &self.entry.original;
        match &self.entry.reply {
            Some(r) => r.dst != o.src || (r.dport.is_some() && r.dport != o.sport),
            None => false,
        }
    }

    /// True when the entry carries the bracketed flag (`ASSURED`, `UNREPLIED`, `OFFLOAD`).
    pub fn has_flag(&self, flag: &str) -> bool {
        FLAG_NAMES
            .iter()
            .find(|(name, _)| *name == flag)
            .is_some_and(|(_, bit)| self.entry.flags & bit != 0)
    }
}

impl Serialize for Listing {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries: Vec<EntryRef<'_>> = self.iter().collect();
        let mut s = serializer.serialize_struct("Listing", 5)?;
        s.serialize_field("entries", &entries)?;
        s.serialize_field("shown", &self.shown)?;
        s.serialize_field("counted", &self.counted)?;
        s.serialize_field("elided", &self.elided)?;
        s.serialize_field("errors", &self.errors)?;
        s.end()
    }
}

/// A tuple as JSON: addresses as text, ICMP fields as `other` pairs.
#[derive(Serialize)]
struct TupleJson {
    src: String,
    dst: String,
    sport: Option<u16>,
    dport: Option<u16>,
    other: Vec<(&'static str, String)>,
}

impl EntryRef<'_> {
    fn tuple_json(&self, t: &Tuple) -> TupleJson {
        TupleJson {
            src: self.listing.ip(t.src).to_string(),
            dst: self.listing.ip(t.dst).to_string(),
            sport: t.sport,
            dport: t.dport,
            other: t
                .icmp
                .map(|(ty, code, id)| {
                    vec![
                        ("type", ty.to_string()),
                        ("code", code.to_string()),
                        ("id", id.to_string()),
                    ]
                })
                .unwrap_or_default(),
        }
    }

    fn flag_words(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (name, bit) in [
            ("ASSURED", FLAG_ASSURED),
            ("UNREPLIED", FLAG_UNREPLIED),
            ("OFFLOAD", FLAG_OFFLOAD),
            ("OTHER", FLAG_OTHER),
        ] {
            if self.entry.flags & bit != 0 {
                out.push(name);
            }
        }
        out
    }
}

impl Serialize for EntryRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.entry;
        let mut s = serializer.serialize_struct("Entry", 16)?;
        s.serialize_field("line", &e.line)?;
        s.serialize_field("span", &self.span())?;
        s.serialize_field("family", &e.family)?;
        s.serialize_field("protocol", self.protocol())?;
        s.serialize_field("protocol_number", &e.protocol_number)?;
        s.serialize_field("timeout", &e.timeout)?;
        s.serialize_field("state", &self.state())?;
        s.serialize_field("original", &self.tuple_json(&e.original))?;
        s.serialize_field("reply", &e.reply.as_ref().map(|t| self.tuple_json(t)))?;
        s.serialize_field("flags", &self.flag_words())?;
        s.serialize_field("mark", &e.mark)?;
        s.serialize_field("zone", &e.zone)?;
        s.serialize_field("event", &self.event())?;
        s.serialize_field("partial", &e.partial)?;
        if e.id.is_some() {
            s.serialize_field("id", &e.id)?;
        }
        if e.use_count.is_some() {
            s.serialize_field("use", &e.use_count)?;
        }
        s.end()
    }
}

/// Parses one `conntrack -L` section.
pub fn parse_list(text: &str, origin: Origin) -> Parsed<Listing> {
    parse_list_with_command(text, origin, None)
}

/// The interning tables while a listing is read.
#[derive(Default)]
struct Interner {
    addresses: HashMap<IpAddr, u32>,
    words: HashMap<String, u16>,
}

impl Interner {
    fn address(&mut self, listing: &mut Listing, ip: IpAddr) -> Addr {
        if let Some(&at) = self.addresses.get(&ip) {
            return Addr(at);
        }
        let at = u32::try_from(listing.addresses.len()).unwrap_or(u32::MAX);
        listing.addresses.push(ip);
        self.addresses.insert(ip, at);
        Addr(at)
    }

    fn word(&mut self, listing: &mut Listing, word: &str) -> Option<u16> {
        if let Some(&at) = self.words.get(word) {
            return Some(at);
        }
        if listing.words.len() >= MAX_WORDS {
            return None;
        }
        let at = u16::try_from(listing.words.len()).ok()?;
        listing.words.push(word.to_string());
        self.words.insert(word.to_string(), at);
        Some(at)
    }
}

/// Parses a listing section together with the command line that opened it (which tells whether a
/// number alone is a `wc -l` count).
pub fn parse_list_with_command(
    text: &str,
    origin: Origin,
    command: Option<&str>,
) -> Parsed<Listing> {
    let mut listing = Listing::default();
    let mut interner = Interner::default();
    let mut diagnostics = Vec::new();
    let counting = command.is_some_and(|c| c.contains("wc"));
    let mut partial_lines = 0usize;
    let mut first_partial = None;
    for line in lines(text, origin) {
        let t = line.text.trim();
        if t.is_empty() {
            continue;
        }
        if is_elision(t) {
            listing.elided.push(line.number);
            continue;
        }
        if let Some(n) = shown_count(t) {
            listing.shown = Some(Number {
                value: n,
                line: line.number,
                span: line.span_of(t),
            });
            continue;
        }
        if let Some(n) = wc_count(t, counting) {
            listing.counted = Some(Number {
                value: n,
                line: line.number,
                span: line.span_of(t),
            });
            continue;
        }
        match entry(&line, t, &mut listing, &mut interner) {
            Ok(Some(e)) => {
                if e.partial {
                    partial_lines += 1;
                    first_partial.get_or_insert(line);
                }
                listing.entries.push(e);
            }
            Ok(None) => {
                if is_tool_message(t) {
                    listing.errors.push(ToolMessage {
                        line: line.number,
                        span: line.span,
                        text: t.chars().take(200).collect(),
                    });
                } else if is_command_line(t) {
                    diagnostics.push(Diagnostic::info(
                        &line,
                        format!("a command line, not output: {}", quote(t)),
                    ));
                } else {
                    diagnostics.push(Diagnostic::error(
                        &line,
                        format!("not a conntrack entry, ignored: {}", quote(t)),
                    ));
                }
            }
            Err(message) => diagnostics.push(Diagnostic::warning(&line, message)),
        }
    }
    if let Some(first) = first_partial {
        diagnostics.push(Diagnostic::info(
            &first,
            if partial_lines == 1 {
                "1 entry starts mid-line (cut off in the paste); its protocol was read from its number".to_string()
            } else {
                format!("{partial_lines} entries start mid-line (cut off in the paste); their protocol was read from its number")
            },
        ));
    }
    if !listing.elided.is_empty() {
        diagnostics.push(Diagnostic {
            line: listing.elided[0],
            span: Span::new(origin.offset, origin.offset),
            severity: crate::Severity::Info,
            message: format!(
                "{} line(s) like `...` mark entries left out of the paste",
                listing.elided.len()
            ),
        });
    }
    listing.entries.shrink_to_fit();
    listing.addresses.shrink_to_fit();
    Parsed {
        value: listing,
        diagnostics,
    }
}

/// `conntrack v1.4.5 (conntrack-tools): 1234 flow entries have been shown.`
fn shown_count(t: &str) -> Option<u64> {
    let at = t.find(" flow entries have been shown")?;
    t[..at].split_whitespace().last()?.parse().ok()
}

/// `1234` under a `wc -l` command, or `1234 /proc/net/nf_conntrack`.
fn wc_count(t: &str, counting: bool) -> Option<u64> {
    let mut words = t.split_whitespace();
    let n = words.next()?;
    let rest = words.next();
    if words.next().is_some() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match rest {
        None if counting => n.parse().ok(),
        Some(file) if file.contains("nf_conntrack") || file.contains("ip_conntrack") => {
            n.parse().ok()
        }
        _ => None,
    }
}

fn protocol_name(number: u16) -> Option<&'static str> {
    Some(match number {
        1 => "icmp",
        2 => "igmp",
        6 => "tcp",
        17 => "udp",
        33 => "dccp",
        47 => "gre",
        58 => "icmpv6",
        132 => "sctp",
        136 => "udplite",
        _ => return None,
    })
}

const PROTOCOLS: [&str; 10] = [
    "tcp", "udp", "icmp", "icmpv6", "sctp", "dccp", "gre", "udplite", "igmp", "unknown",
];

fn protocol_index(name: &str) -> u8 {
    PROTOCOLS
        .iter()
        .position(|p| *p == name)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(9)
}

fn all_digits(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())
}

/// An address as conntrack prints it (also the zero-padded IPv6 form of `/proc/net/nf_conntrack`).
fn address(value: &str) -> Option<IpAddr> {
    value.parse().ok()
}

/// A tuple while it is read: its addresses may still be missing.
#[derive(Default)]
struct TupleWords {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    sport: Option<u16>,
    dport: Option<u16>,
    icmp: [Option<u16>; 3],
}

/// Reads one entry. `Ok(None)`: the line is not an entry at all; `Err`: it is one but broken.
fn entry(
    line: &Line<'_>,
    t: &str,
    listing: &mut Listing,
    interner: &mut Interner,
) -> Result<Option<Entry>, String> {
    let all: SmallVec<[&str; 32]> = t.split_whitespace().take(MAX_WORDS_PER_LINE).collect();
    let mut words: &[&str] = &all;
    let mut event_word = None;
    // `conntrack -E`: `[1234.5678]` timestamps and `[NEW]` event words before the entry.
    while let Some(first) = words.first() {
        if first.starts_with('[') && first.ends_with(']') && first.len() > 2 {
            let inner = &first[1..first.len() - 1];
            if inner.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
                event_word = Some(inner);
            }
            words = &words[1..];
        } else {
            break;
        }
    }
    let mut i = 0;
    let mut family = None;
    if let (Some(f), Some(n)) = (words.first(), words.get(1)) {
        if all_digits(n) {
            family = match *f {
                "ipv4" => Some(Family::Ipv4),
                "ipv6" => Some(Family::Ipv6),
                _ => None,
            };
            if family.is_some() {
                i = 2;
            }
        }
    }
    let (protocol, protocol_number, partial) = match (words.get(i), words.get(i + 1)) {
        (Some(p), Some(n)) if PROTOCOLS.contains(p) && all_digits(n) => {
            i += 2;
            (protocol_index(p), n.parse::<u16>().ok(), false)
        }
        (Some(n), Some(timeout))
            if family.is_none() && all_digits(n) && all_digits(timeout) && t.contains("src=") =>
        {
            let number = n.parse::<u16>().ok();
            let name = number.and_then(protocol_name).unwrap_or("unknown");
            i += 1;
            (protocol_index(name), number, true)
        }
        _ => return Ok(None),
    };
    if !t.contains("src=") {
        return Ok(None);
    }
    let mut timeout = None;
    if let Some(w) = words.get(i) {
        if all_digits(w) {
            timeout = Some(w.parse::<u32>().unwrap_or(u32::MAX));
            i += 1;
        }
    }
    let mut state_word = None;
    if let Some(w) = words.get(i) {
        if !w.contains('=')
            && !w.starts_with('[')
            && w.bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
        {
            state_word = Some(*w);
            i += 1;
        }
    }
    let mut original = TupleWords::default();
    let mut reply = TupleWords::default();
    let mut in_reply = false;
    let mut problems: Vec<&str> = Vec::new();
    let mut flags = 0u8;
    let (mut mark, mut zone, mut id, mut use_count) = (None, None, None, None);
    for w in words.iter().skip(i) {
        if let Some(flag) = w.strip_prefix('[').and_then(|f| f.strip_suffix(']')) {
            flags |= FLAG_NAMES
                .iter()
                .find(|(name, _)| *name == flag)
                .map(|(_, bit)| *bit)
                .unwrap_or(FLAG_OTHER);
            continue;
        }
        let Some((key, value)) = w.split_once('=') else {
            problems.push(w);
            continue;
        };
        if key == "src" && original.src.is_some() {
            in_reply = true;
        }
        let tuple = if in_reply { &mut reply } else { &mut original };
        match key {
            "src" | "dst" => match address(value) {
                Some(ip) if key == "src" => tuple.src = Some(ip),
                Some(ip) => tuple.dst = Some(ip),
                None => problems.push(w),
            },
            "sport" | "dport" => {
                let port = value.parse::<u16>().ok();
                if port.is_none() {
                    problems.push(w);
                }
                if key == "sport" {
                    tuple.sport = port;
                } else {
                    tuple.dport = port;
                }
            }
            "type" => tuple.icmp[0] = value.parse().ok(),
            "code" => tuple.icmp[1] = value.parse().ok(),
            // `id=` inside an ICMP tuple is the echo id; anywhere else it is `-o id`'s entry id.
            "id" if tuple.icmp[0].is_some() && tuple.icmp[2].is_none() => {
                tuple.icmp[2] = value.parse().ok();
            }
            "id" => id = value.parse().ok(),
            "mark" => mark = value.parse().ok(),
            "zone" => zone = value.parse().ok(),
            "use" => use_count = value.parse().ok(),
            _ => {}
        }
    }
    if original.dst.is_none() {
        return Err(format!(
            "a conntrack entry without a destination: {}",
            quote(t)
        ));
    }
    if !problems.is_empty() {
        return Err(format!(
            "words of a conntrack entry not understood ({}); the entry is left out",
            quote(&problems.join(" "))
        ));
    }
    let unspecified = |t: &TupleWords| {
        t.dst
            .map_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |d| {
                if d.is_ipv4() {
                    IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
                } else {
                    IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
                }
            })
    };
    let mut finish = |t: TupleWords, listing: &mut Listing| {
        let zero = unspecified(&t);
        Tuple {
            src: interner.address(listing, t.src.unwrap_or(zero)),
            dst: interner.address(listing, t.dst.unwrap_or(zero)),
            sport: t.sport,
            dport: t.dport,
            icmp: match t.icmp {
                [Some(ty), Some(code), id] => Some((
                    u8::try_from(ty).unwrap_or(u8::MAX),
                    u8::try_from(code).unwrap_or(u8::MAX),
                    id.unwrap_or(0),
                )),
                _ => None,
            },
        }
    };
    let original = finish(original, listing);
    let reply = in_reply.then(|| finish(reply, listing));
    let state = state_word.and_then(|w| interner.word(listing, w));
    let event = event_word.and_then(|w| interner.word(listing, w));
    Ok(Some(Entry {
        line: line.number,
        start: line.span.start,
        len: u32::try_from(line.span.end - line.span.start).unwrap_or(u32::MAX),
        family,
        protocol,
        protocol_number,
        timeout,
        state,
        original,
        reply,
        flags,
        mark,
        zone,
        id,
        use_count,
        event,
        partial,
    }))
}
