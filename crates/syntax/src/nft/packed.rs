//! The elements of one set, map or anonymous `{ … }` stored packed: every key part and data value in
//! one string, a fixed-size record per element, verdicts shared, and the rarely written parts
//! (comments, timeouts, counters) on the side. A map of a million elements then costs about its text
//! plus 40 bytes an element instead of a struct of owned strings each. [`ElementRef`] reads one back.

use std::fmt;

use serde::ser::{Serialize, SerializeSeq, Serializer};

use crate::source::Span;

use super::{Counter, Element, ElementValue, Verdict};

/// No value, data, or (from `VERDICT_BASE` on) the index of a shared verdict.
const NO_VALUE: u32 = 0;
const DATA_VALUE: u32 = 1;
const VERDICT_BASE: u32 = 2;
const NO_EXTRA: u32 = u32::MAX;
/// How many of the most recent distinct verdicts a new one is compared with before it is added.
const VERDICT_WINDOW: usize = 16;

/// The elements of a set or map, in the order they were written: one pointer (nothing at all when
/// empty), so that a rule's anonymous `{ … }` keeps its expression small.
#[derive(Clone, Default)]
pub struct Elements {
    store: Option<Box<Store>>,
}

/// The store of an empty [`Elements`].
static EMPTY: Store = Store {
    text: String::new(),
    records: Vec::new(),
    part_ends: Vec::new(),
    verdicts: Vec::new(),
    extras: Vec::new(),
};

#[derive(Clone, Default)]
struct Store {
    /// Key parts and data values back to back.
    text: String,
    records: Vec<Record>,
    /// The end (in `text`) of each key part; an element's parts are consecutive.
    part_ends: Vec<u32>,
    verdicts: Vec<Verdict>,
    extras: Vec<Extra>,
}

#[derive(Debug, Clone, Copy)]
struct Record {
    line: u32,
    span_start: u32,
    span_end: u32,
    /// Where the first key part starts in `text`.
    text_start: u32,
    first_part: u32,
    parts: u32,
    /// `NO_VALUE`, `DATA_VALUE` (the data follows the key in `text`, up to `value_end`) or a verdict.
    value: u32,
    value_end: u32,
    /// Index into `extras`, or `NO_EXTRA`.
    extra: u32,
}

#[derive(Debug, Clone, Default)]
struct Extra {
    comment: Option<String>,
    timeout: Option<String>,
    expires: Option<String>,
    counter: Option<Counter>,
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Elements {
    pub fn new() -> Elements {
        Elements::default()
    }

    pub fn len(&self) -> usize {
        self.store.as_ref().map_or(0, |s| s.records.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `index`.
    pub fn get(&self, index: usize) -> Option<ElementRef<'_>> {
        let store = self.store.as_deref()?;
        store.records.get(index).map(|record| ElementRef {
            store,
            record: *record,
        })
    }

    pub fn first(&self) -> Option<ElementRef<'_>> {
        self.get(0)
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = ElementRef<'_>> + DoubleEndedIterator + '_ {
        let store = self.store.as_deref().unwrap_or(&EMPTY);
        store.records.iter().map(move |record| ElementRef {
            store,
            record: *record,
        })
    }

    /// Every element, owned.
    pub fn to_vec(&self) -> Vec<Element> {
        self.iter().map(|e| e.to_element()).collect()
    }

    /// Adds an element at the end.
    pub fn push(&mut self, element: Element) {
        self.store.get_or_insert_with(Box::default).push(element);
    }
    /// Adds the elements of `other` at the end.
    pub fn append(&mut self, other: Elements) {
        if self.is_empty() {
            *self = other;
            return;
        }
        for element in other.iter() {
            self.push(element.to_element());
        }
    }

    pub fn clear(&mut self) {
        *self = Elements::default();
    }

    /// Keeps the elements for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(ElementRef<'_>) -> bool) {
        let old = std::mem::take(self);
        for element in old.iter() {
            if keep(element) {
                self.push(element.to_element());
            }
        }
    }

    /// Gives every element this line and span (elements read from a text that is not the paste's).
    pub fn relocate(&mut self, line: u32, span: Span) {
        let Some(store) = self.store.as_mut() else {
            return;
        };
        for record in &mut store.records {
            record.line = line;
            record.span_start = offset(span.start);
            record.span_end = offset(span.end);
        }
    }

    /// Releases the spare capacity of the growing buffers once the set is complete.
    pub fn shrink_to_fit(&mut self) {
        if let Some(s) = self.store.as_mut() {
            s.text.shrink_to_fit();
            s.records.shrink_to_fit();
            s.part_ends.shrink_to_fit();
            s.verdicts.shrink_to_fit();
            s.extras.shrink_to_fit();
        }
    }
}

impl Store {
    fn push(&mut self, element: Element) {
        let text_start = offset(self.text.len());
        let first_part = offset(self.part_ends.len());
        for part in &element.key {
            self.text.push_str(part);
            self.part_ends.push(offset(self.text.len()));
        }
        let (value, value_end) = match element.value {
            None => (NO_VALUE, offset(self.text.len())),
            Some(ElementValue::Data(data)) => {
                self.text.push_str(&data);
                (DATA_VALUE, offset(self.text.len()))
            }
            Some(ElementValue::Verdict(verdict)) => {
                (self.verdict_index(verdict), offset(self.text.len()))
            }
        };
        let extra = if element.comment.is_some()
            || element.timeout.is_some()
            || element.expires.is_some()
            || element.counter.is_some()
        {
            self.extras.push(Extra {
                comment: element.comment,
                timeout: element.timeout,
                expires: element.expires,
                counter: element.counter,
            });
            offset(self.extras.len() - 1)
        } else {
            NO_EXTRA
        };
        self.records.push(Record {
            line: element.line,
            span_start: offset(element.span.start),
            span_end: offset(element.span.end),
            text_start,
            first_part,
            parts: offset(element.key.len()),
            value,
            value_end,
            extra,
        });
    }

    /// The code of a verdict: one already used by a recent element, or a new one.
    fn verdict_index(&mut self, verdict: Verdict) -> u32 {
        let start = self.verdicts.len().saturating_sub(VERDICT_WINDOW);
        let found = self
            .verdicts
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .position(|v| *v == verdict)
            .map(|i| start + i);
        let index = found.unwrap_or_else(|| {
            self.verdicts.push(verdict);
            self.verdicts.len() - 1
        });
        offset(index).saturating_add(VERDICT_BASE)
    }
}

impl FromIterator<Element> for Elements {
    fn from_iter<I: IntoIterator<Item = Element>>(iter: I) -> Elements {
        let mut out = Elements::new();
        out.extend(iter);
        out
    }
}

impl Extend<Element> for Elements {
    fn extend<I: IntoIterator<Item = Element>>(&mut self, iter: I) {
        for element in iter {
            self.push(element);
        }
    }
}

impl<'s> IntoIterator for &'s Elements {
    type Item = ElementRef<'s>;
    type IntoIter = Box<dyn Iterator<Item = ElementRef<'s>> + 's>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl PartialEq for Elements {
    fn eq(&self, other: &Elements) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl fmt::Debug for Elements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|e| e.to_element()))
            .finish()
    }
}

/// The same JSON as a list of [`Element`]s.
impl Serialize for Elements {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for element in self.iter() {
            seq.serialize_element(&element.to_element())?;
        }
        seq.end()
    }
}

/// One element read back from [`Elements`].
#[derive(Clone, Copy)]
pub struct ElementRef<'s> {
    store: &'s Store,
    record: Record,
}

/// The value of a map element, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRef<'s> {
    Verdict(&'s Verdict),
    /// Data, its parts joined by ` . ` as written.
    Data(&'s str),
}

impl ValueRef<'_> {
    pub fn to_owned(self) -> ElementValue {
        match self {
            ValueRef::Verdict(v) => ElementValue::Verdict(v.clone()),
            ValueRef::Data(d) => ElementValue::Data(d.to_string()),
        }
    }
}

impl<'s> ElementRef<'s> {
    pub fn line(&self) -> u32 {
        self.record.line
    }

    pub fn span(&self) -> Span {
        Span::new(
            self.record.span_start as usize,
            self.record.span_end as usize,
        )
    }

    /// The key's parts: `172.30.0.41`, `tcp`, `80` for `172.30.0.41 . tcp . 80`. Prefixes and ranges stay
    /// as written (`10.0.0.0/8`, `1-5`).
    pub fn key(&self) -> Key<'s> {
        Key {
            store: self.store,
            text_start: self.record.text_start,
            first_part: self.record.first_part,
            parts: self.record.parts,
        }
    }

    pub fn value(&self) -> Option<ValueRef<'s>> {
        match self.record.value {
            NO_VALUE => None,
            DATA_VALUE => {
                let start = self.key().end();
                Some(ValueRef::Data(
                    self.store
                        .text
                        .get(start..self.record.value_end as usize)
                        .unwrap_or(""),
                ))
            }
            code => self
                .store
                .verdicts
                .get((code - VERDICT_BASE) as usize)
                .map(ValueRef::Verdict),
        }
    }

    pub fn verdict(&self) -> Option<&'s Verdict> {
        match self.value() {
            Some(ValueRef::Verdict(v)) => Some(v),
            _ => None,
        }
    }

    fn extra(&self) -> Option<&'s Extra> {
        self.store.extras.get(self.record.extra as usize)
    }

    pub fn comment(&self) -> Option<&'s str> {
        self.extra().and_then(|x| x.comment.as_deref())
    }

    pub fn timeout(&self) -> Option<&'s str> {
        self.extra().and_then(|x| x.timeout.as_deref())
    }

    pub fn expires(&self) -> Option<&'s str> {
        self.extra().and_then(|x| x.expires.as_deref())
    }

    pub fn counter(&self) -> Option<Counter> {
        self.extra().and_then(|x| x.counter)
    }

    /// The element as an owned [`Element`].
    pub fn to_element(&self) -> Element {
        Element {
            line: self.line(),
            span: self.span(),
            key: self.key().to_vec(),
            comment: self.comment().map(str::to_string),
            timeout: self.timeout().map(str::to_string),
            expires: self.expires().map(str::to_string),
            counter: self.counter(),
            value: self.value().map(ValueRef::to_owned),
        }
    }
}

impl PartialEq for ElementRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.line() == other.line()
            && self.span() == other.span()
            && self.key() == other.key()
            && self.comment() == other.comment()
            && self.timeout() == other.timeout()
            && self.expires() == other.expires()
            && self.counter() == other.counter()
            && self.value() == other.value()
    }
}

impl fmt::Debug for ElementRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_element().fmt(f)
    }
}

/// The key parts of one element.
#[derive(Clone, Copy)]
pub struct Key<'s> {
    store: &'s Store,
    text_start: u32,
    first_part: u32,
    parts: u32,
}

impl<'s> Key<'s> {
    pub fn len(&self) -> usize {
        self.parts as usize
    }

    pub fn is_empty(&self) -> bool {
        self.parts == 0
    }

    /// Part `index`.
    pub fn get(&self, index: usize) -> Option<&'s str> {
        if index >= self.len() {
            return None;
        }
        let at = self.first_part as usize + index;
        let start = if index == 0 {
            self.text_start as usize
        } else {
            *self.store.part_ends.get(at - 1)? as usize
        };
        let end = *self.store.part_ends.get(at)? as usize;
        self.store.text.get(start..end)
    }

    pub fn first(&self) -> Option<&'s str> {
        self.get(0)
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'s str> + 's {
        let key = *self;
        (0..key.len()).map(move |i| key.get(i).unwrap_or(""))
    }

    /// The parts as an array, when there are exactly `N`.
    pub fn parts<const N: usize>(&self) -> Option<[&'s str; N]> {
        if self.len() != N {
            return None;
        }
        let mut out = [""; N];
        for (slot, part) in out.iter_mut().zip(self.iter()) {
            *slot = part;
        }
        Some(out)
    }

    /// The parts joined by `separator` (` . ` as nft prints a concatenation).
    pub fn join(&self, separator: &str) -> String {
        let mut out = String::new();
        for (i, part) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(separator);
            }
            out.push_str(part);
        }
        out
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }

    /// Where the last part ends in the store's text.
    fn end(&self) -> usize {
        if self.parts == 0 {
            return self.text_start as usize;
        }
        self.store
            .part_ends
            .get((self.first_part + self.parts - 1) as usize)
            .map_or(self.text_start as usize, |e| *e as usize)
    }

    /// True when the parts are `other`'s, in order.
    pub fn equals<S: AsRef<str>>(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl PartialEq for Key<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Key<'_> {
    fn eq(&self, other: &[S]) -> bool {
        self.equals(other)
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Key<'_> {
    fn eq(&self, other: &[S; N]) -> bool {
        self.equals(other)
    }
}

impl fmt::Debug for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(line: u32, key: &[&str], value: Option<ElementValue>) -> Element {
        Element {
            line,
            span: Span::new(line as usize * 10, line as usize * 10 + 5),
            key: key.iter().map(|k| k.to_string()).collect(),
            value,
            ..Element::default()
        }
    }

    #[test]
    fn elements_read_back_as_written() {
        let written = vec![
            element(
                1,
                &["10.0.0.1", "tcp", "80"],
                Some(ElementValue::Verdict(Verdict::Goto("svc-a".into()))),
            ),
            element(
                2,
                &["10.0.0.2", "", "443"],
                Some(ElementValue::Verdict(Verdict::Accept)),
            ),
            element(3, &["0"], Some(ElementValue::Data("10.1.0.1 . 80".into()))),
            Element {
                comment: Some("ns/web:http".into()),
                counter: Some(Counter {
                    packets: 3,
                    bytes: 180,
                }),
                timeout: Some("3h".into()),
                ..element(4, &["10.0.0.4"], None)
            },
            element(5, &[], Some(ElementValue::Data(String::new()))),
            element(
                6,
                &["10.0.0.6", "tcp", "80"],
                Some(ElementValue::Verdict(Verdict::Goto("svc-a".into()))),
            ),
        ];
        let packed: Elements = written.iter().cloned().collect();
        assert_eq!(packed.len(), written.len());
        let back: Vec<Element> = packed.iter().map(|e| e.to_element()).collect();
        assert_eq!(back, written);
        assert_eq!(
            packed.store.as_ref().unwrap().verdicts.len(),
            2,
            "the repeated goto is stored once"
        );
        let first = packed.first().unwrap();
        assert_eq!(first.key().parts::<3>(), Some(["10.0.0.1", "tcp", "80"]));
        assert_eq!(first.key().join(" . "), "10.0.0.1 . tcp . 80");
        assert!(first.key() == ["10.0.0.1", "tcp", "80"]);
        assert_eq!(
            packed.get(2).unwrap().value(),
            Some(ValueRef::Data("10.1.0.1 . 80"))
        );
        assert_eq!(packed.get(3).unwrap().comment(), Some("ns/web:http"));
        assert_eq!(packed.get(4).unwrap().key().first(), None);
        assert_eq!(
            serde_json::to_string(&packed).unwrap(),
            serde_json::to_string(&written).unwrap()
        );
    }

    #[test]
    fn retain_append_and_clear() {
        let mut packed: Elements = (1..=4)
            .map(|n| element(n, &[&format!("10.0.0.{n}")], None))
            .collect();
        packed.retain(|e| e.line() % 2 == 0);
        let keys: Vec<String> = packed.iter().map(|e| e.key().join(".")).collect();
        assert_eq!(keys, ["10.0.0.2", "10.0.0.4"]);
        packed.append(std::iter::once(element(9, &["10.0.0.9"], None)).collect());
        assert_eq!(packed.len(), 3);
        assert_eq!(packed.get(2).unwrap().line(), 9);
        packed.clear();
        assert!(packed.is_empty());
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn an_anonymous_set_keeps_its_expression_small() {
        assert_eq!(
            std::mem::size_of::<Elements>(),
            std::mem::size_of::<usize>()
        );
        assert!(Elements::new().store.is_none());
    }
}
