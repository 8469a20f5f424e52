//! `Word`: a shared, immutable piece of text from a dump (a chain name, an option's value), and the
//! `Interner` that lets every repeat of the same text share one allocation.
//!
//! A large `iptables-save` dump repeats a few thousand distinct words millions of times (`-m`,
//! `comment`, `KUBE-MARK-MASQ`, each Service's chain names and comment). Owning each occurrence as
//! its own `String` made the parse tree some 20 times the size of the input and spent a third of
//! the time in the allocator; interned words cost one allocation per distinct word.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// Text shared between every place that holds it; cheap to clone, compares as its text.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Word(Arc<str>);

impl Word {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Word {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Word {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Word {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl From<&str> for Word {
    fn from(text: &str) -> Self {
        Word(Arc::from(text))
    }
}

impl From<String> for Word {
    fn from(text: String) -> Self {
        Word(Arc::from(text))
    }
}

impl From<&String> for Word {
    fn from(text: &String) -> Self {
        Word(Arc::from(text.as_str()))
    }
}

impl From<Word> for String {
    fn from(word: Word) -> Self {
        word.0.to_string()
    }
}

impl PartialEq<str> for Word {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Word {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Word {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<Word> for str {
    fn eq(&self, other: &Word) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Word> for &str {
    fn eq(&self, other: &Word) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Word> for String {
    fn eq(&self, other: &Word) -> bool {
        self.as_str() == &*other.0
    }
}

impl Serialize for Word {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Hands out one shared [`Word`] per distinct text. It holds every word it gave out, so it lives as
/// long as one parse and is dropped with the parser.
#[derive(Default)]
pub struct Interner {
    words: HashSet<Word, foldhash::fast::RandomState>,
}

impl Interner {
    pub fn intern(&mut self, text: &str) -> Word {
        if let Some(word) = self.words.get(text) {
            return word.clone();
        }
        let word = Word::from(text);
        self.words.insert(word.clone());
        word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_words_share_their_text_and_compare_as_text() {
        let mut interner = Interner::default();
        let a = interner.intern("KUBE-MARK-MASQ");
        let b = interner.intern("KUBE-MARK-MASQ");
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "KUBE-MARK-MASQ");
        assert_eq!("KUBE-MARK-MASQ", a);
        assert_ne!(a, interner.intern("KUBE-MARK-DROP"));
        assert_eq!(format!("{a} {a:?}"), "KUBE-MARK-MASQ \"KUBE-MARK-MASQ\"");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"KUBE-MARK-MASQ\"");
    }
}
