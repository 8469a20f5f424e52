//! Maps and sets keyed by a dump's chain names, rule lines and addresses, hashed with foldhash.
//!
//! std's default hasher (SipHash) resists collisions chosen by an attacker; these maps only index
//! what one paste holds, are never iterated to make output (lookups and membership only, so their
//! order cannot show), and are built for every chain and rule of a large dump, where SipHash was
//! several percent of an explanation's time.

use std::collections::{HashMap, HashSet};

/// A `HashMap` with foldhash's fast hasher.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A `HashSet` with foldhash's fast hasher.
pub(crate) type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;

/// An empty map with room for `capacity` entries.
pub(crate) fn map_with_capacity<K, V>(capacity: usize) -> FastMap<K, V> {
    FastMap::with_capacity_and_hasher(capacity, Default::default())
}

/// An empty set with room for `capacity` members.
pub(crate) fn set_with_capacity<T>(capacity: usize) -> FastSet<T> {
    FastSet::with_capacity_and_hasher(capacity, Default::default())
}
