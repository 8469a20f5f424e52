//! How an ipset's members are stored: packed records of offsets into one string of elements, with
//! what only some members have on the side, and [`Member`], the view that reads one back.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::IpSet;
use crate::source::{Line, Span};

/// A part index meaning "not there".
pub(super) const NO_PART: u8 = u8::MAX;
/// A part index meaning "stored in the member's extras" (a part past index 253, or a protocol not
/// printed in lowercase).
pub(super) const IN_EXTRAS: u8 = u8::MAX - 1;
/// An extras index meaning "none".
pub(super) const NO_EXTRAS: u32 = u32::MAX;
pub(super) const HAS_PORT: u8 = 1;
pub(super) const HAS_PORT_END: u8 = 2;
pub(super) const NOMATCH: u8 = 4;

/// One member as stored: 32 bytes, no allocation of its own.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PackedMember {
    line: u32,
    /// The line's span, relative to the set's line (see [`MemberExtras::span`] when that does not fit).
    span_from_set: u32,
    span_len: u32,
    /// The element's byte range in [`IpSet::elements`].
    element_start: u32,
    element_len: u32,
    /// Which comma-separated part of the element is the address, the second address, the port.
    address: u8,
    second_address: u8,
    port_part: u8,
    flags: u8,
    port: u16,
    port_end: u16,
    /// Index into [`IpSet::extras`], or [`NO_EXTRAS`].
    extras: u32,
}

/// What only some members have.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct MemberExtras {
    /// The line's span when it is too far from the set's line for [`PackedMember`].
    pub(super) span: Option<Span>,
    /// Parts [`PackedMember`] cannot index, and a protocol not printed in lowercase.
    pub(super) address: Option<String>,
    pub(super) second_address: Option<String>,
    pub(super) protocol: Option<String>,
    pub(super) other_parts: Vec<String>,
    pub(super) timeout: Option<u64>,
    pub(super) packets: Option<u64>,
    pub(super) bytes: Option<u64>,
    pub(super) comment: Option<String>,
    pub(super) other_options: Vec<(String, Option<String>)>,
}

/// One member (entry) of a set, read from its packed form.
#[derive(Clone, Copy)]
pub struct Member<'a> {
    pub(super) set: &'a IpSet,
    pub(super) packed: &'a PackedMember,
}

impl std::fmt::Debug for Member<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("line", &self.line())
            .field("element", &self.element())
            .finish_non_exhaustive()
    }
}

static NO_EXTRA: MemberExtras = MemberExtras {
    span: None,
    address: None,
    second_address: None,
    protocol: None,
    other_parts: Vec::new(),
    timeout: None,
    packets: None,
    bytes: None,
    comment: None,
    other_options: Vec::new(),
};

impl<'a> Member<'a> {
    fn extras(&self) -> &'a MemberExtras {
        self.set
            .extras
            .get(self.packed.extras as usize)
            .unwrap_or(&NO_EXTRA)
    }

    fn part(&self, index: u8) -> Option<&'a str> {
        match index {
            NO_PART | IN_EXTRAS => None,
            i => self.element().split(',').nth(i as usize),
        }
    }

    pub fn line(&self) -> u32 {
        self.packed.line
    }

    /// The byte span of the member's line in the paste.
    pub fn span(&self) -> Span {
        self.extras().span.unwrap_or_else(|| {
            let start = self.set.span.start + self.packed.span_from_set as usize;
            Span::new(start, start + self.packed.span_len as usize)
        })
    }

    /// The element as printed (`10.96.0.1,tcp:443`).
    pub fn element(&self) -> &'a str {
        let start = self.packed.element_start as usize;
        self.set
            .elements
            .get(start..start + self.packed.element_len as usize)
            .unwrap_or("")
    }

    /// First address (or network) of the element.
    pub fn address(&self) -> Option<&'a str> {
        match self.packed.address {
            IN_EXTRAS => self.extras().address.as_deref(),
            i => self.part(i),
        }
    }

    /// Second address or network (`hash:ip,port,ip`, `hash:ip,port,net`).
    pub fn second_address(&self) -> Option<&'a str> {
        match self.packed.second_address {
            IN_EXTRAS => self.extras().second_address.as_deref(),
            i => self.part(i),
        }
    }

    /// `tcp`, `udp`, `sctp` … of the port part, in lowercase.
    pub fn protocol(&self) -> Option<&'a str> {
        match self.packed.port_part {
            IN_EXTRAS => self.extras().protocol.as_deref(),
            i => self.part(i).and_then(|p| p.split_once(':')).map(|(p, _)| p),
        }
    }

    pub fn port(&self) -> Option<u16> {
        (self.packed.flags & HAS_PORT != 0).then_some(self.packed.port)
    }

    /// Last port of a port range (`30000-32767`).
    pub fn port_end(&self) -> Option<u16> {
        (self.packed.flags & HAS_PORT_END != 0).then_some(self.packed.port_end)
    }

    /// Interface, MAC or mark parts the other fields do not hold.
    pub fn other_parts(&self) -> &'a [String] {
        &self.extras().other_parts
    }

    pub fn timeout(&self) -> Option<u64> {
        self.extras().timeout
    }

    pub fn packets(&self) -> Option<u64> {
        self.extras().packets
    }

    pub fn bytes(&self) -> Option<u64> {
        self.extras().bytes
    }

    pub fn comment(&self) -> Option<&'a str> {
        self.extras().comment.as_deref()
    }

    pub fn nomatch(&self) -> bool {
        self.packed.flags & NOMATCH != 0
    }

    /// Options not listed above (`skbmark 0x1`, `skbprio 1:1` …).
    pub fn other_options(&self) -> &'a [(String, Option<String>)] {
        &self.extras().other_options
    }
}

impl Serialize for Member<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_struct("Member", 15)?;
        m.serialize_field("line", &self.line())?;
        m.serialize_field("span", &self.span())?;
        m.serialize_field("element", self.element())?;
        m.serialize_field("address", &self.address())?;
        m.serialize_field("protocol", &self.protocol())?;
        m.serialize_field("port", &self.port())?;
        m.serialize_field("port_end", &self.port_end())?;
        m.serialize_field("second_address", &self.second_address())?;
        m.serialize_field("other_parts", self.other_parts())?;
        m.serialize_field("timeout", &self.timeout())?;
        m.serialize_field("packets", &self.packets())?;
        m.serialize_field("bytes", &self.bytes())?;
        m.serialize_field("comment", &self.comment())?;
        m.serialize_field("nomatch", &self.nomatch())?;
        m.serialize_field("other_options", self.other_options())?;
        m.end()
    }
}

/// The members serialised as a list, for [`IpSet`]'s `Serialize`.
pub(super) struct MemberList<'a>(&'a IpSet);

impl Serialize for MemberList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.members())
    }
}

impl Serialize for IpSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("IpSet", 18)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("line", &self.line)?;
        s.serialize_field("span", &self.span)?;
        s.serialize_field("set_type", &self.set_type)?;
        s.serialize_field("revision", &self.revision)?;
        s.serialize_field("family", &self.family)?;
        s.serialize_field("hashsize", &self.hashsize)?;
        s.serialize_field("maxelem", &self.maxelem)?;
        s.serialize_field("range", &self.range)?;
        s.serialize_field("timeout", &self.timeout)?;
        s.serialize_field("comments", &self.comments)?;
        s.serialize_field("counters", &self.counters)?;
        s.serialize_field("other_header", &self.other_header)?;
        s.serialize_field("size_in_memory", &self.size_in_memory)?;
        s.serialize_field("references", &self.references)?;
        s.serialize_field("number_of_entries", &self.number_of_entries)?;
        s.serialize_field("members", &MemberList(self))?;
        s.end()
    }
}

/// A member being read, before it is packed into its set.
#[derive(Default)]
pub(super) struct MemberDraft {
    pub(super) address: Option<u8>,
    pub(super) second_address: Option<u8>,
    pub(super) port_part: Option<u8>,
    pub(super) port: Option<u16>,
    pub(super) port_end: Option<u16>,
    pub(super) nomatch: bool,
    pub(super) extras: MemberExtras,
}

/// Where a part index goes: itself when it fits, else the extras.
pub(super) fn part_index(i: usize) -> u8 {
    if i < IN_EXTRAS as usize {
        i as u8
    } else {
        IN_EXTRAS
    }
}

impl IpSet {
    /// Packs a member read from `line` with `element` into the set.
    pub(super) fn push_member(&mut self, line: &Line<'_>, element: &str, mut draft: MemberDraft) {
        let span_from_set = line
            .span
            .start
            .checked_sub(self.span.start)
            .and_then(|d| u32::try_from(d).ok());
        let span_len = u32::try_from(line.span.end.saturating_sub(line.span.start)).ok();
        let (span_from_set, span_len) = match (span_from_set, span_len) {
            (Some(from), Some(len)) => (from, len),
            _ => {
                draft.extras.span = Some(line.span);
                (0, 0)
            }
        };
        // Elements past 4 GiB of one set cannot be indexed; such an element reads as empty.
        let element_start = u32::try_from(self.elements.len()).ok();
        let element_len = u32::try_from(element.len()).ok();
        let (element_start, element_len) = match (element_start, element_len) {
            (Some(s), Some(l)) if s.checked_add(l).is_some() => {
                self.elements.push_str(element);
                (s, l)
            }
            _ => (0, 0),
        };
        let mut flags = 0;
        if draft.port.is_some() {
            flags |= HAS_PORT;
        }
        if draft.port_end.is_some() {
            flags |= HAS_PORT_END;
        }
        if draft.nomatch {
            flags |= NOMATCH;
        }
        let extras = match u32::try_from(self.extras.len()) {
            Ok(i) if i != NO_EXTRAS && draft.extras != MemberExtras::default() => {
                self.extras.push(draft.extras);
                i
            }
            _ => NO_EXTRAS,
        };
        self.members.push(PackedMember {
            line: line.number,
            span_from_set,
            span_len,
            element_start,
            element_len,
            address: draft.address.unwrap_or(NO_PART),
            second_address: draft.second_address.unwrap_or(NO_PART),
            port_part: draft.port_part.unwrap_or(NO_PART),
            flags,
            port: draft.port.unwrap_or(0),
            port_end: draft.port_end.unwrap_or(0),
            extras,
        });
    }

    /// Room for the members `Number of entries:` announces, at most one per two bytes of the text
    /// left (a member line takes at least two), so a false count cannot reserve more than the input.
    pub(super) fn reserve_members(&mut self, text_left: usize) {
        let announced = self.number_of_entries.unwrap_or(0);
        let bound = (text_left / 2) as u64;
        let room = announced.min(bound) as usize;
        self.members
            .reserve(room.saturating_sub(self.members.len()));
    }

    /// Frees what the member lists reserved beyond their size.
    pub(super) fn shrink(&mut self) {
        self.elements.shrink_to_fit();
        self.members.shrink_to_fit();
        self.extras.shrink_to_fit();
    }
}
