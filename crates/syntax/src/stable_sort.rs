//! One stable sort for every crate of svcpath, so that the WebAssembly module carries one copy of the
//! standard library's sort instead of one per element type and comparison (each copy is about 4 KB).
//!
//! [`sort_by`] orders exactly as `slice::sort_by` does (stable: equal elements keep their order). Natively
//! it is `slice::sort_by`. On wasm32 it sorts a list of positions with a comparison behind `&dyn Fn`, the one
//! instantiation of the sort, then moves the elements into that order.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, keeping equal elements in the order they had (as `slice::sort_by`).
pub fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    items.sort_by(compare);
    #[cfg(target_arch = "wasm32")]
    sort_through_positions(items, compare);
}

/// Sorts `items` by the key `key` gives each (as `slice::sort_by_key`).
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` in their own order (as `slice::sort`).
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The wasm32 way: positions sorted by one non-generic sort, then the elements moved along its cycles.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn sort_through_positions<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    let view: &[T] = items;
    let mut order = stable_order(view.len(), &|a, b| compare(&view[a], &view[b]));
    // `order[i]` is the position of the element that belongs at `i`; follow each cycle once.
    for start in 0..order.len() {
        let mut current = start;
        loop {
            let next = order[current];
            order[current] = current;
            if next == start || next == current {
                break;
            }
            items.swap(current, next);
            current = next;
        }
    }
}

/// Positions `0..len` in the stable order `compare` gives them: the one instantiation of the sort.
#[inline(never)]
fn stable_order(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The wasm32 way orders exactly as the standard sort, equal keys included.
        #[test]
        fn positions_sort_as_the_standard_sort(pairs in proptest::collection::vec((0u8..6, any::<u16>()), 0..200)) {
            let mut expected = pairs.clone();
            expected.sort_by_key(|p| p.0);
            let mut got = pairs;
            sort_through_positions(&mut got, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn sorts_by_key_and_in_order() {
        let mut words = vec!["b", "a", "c", "a"];
        sort(&mut words);
        assert_eq!(words, ["a", "a", "b", "c"]);
        let mut pairs = vec![(2, 'x'), (1, 'y'), (2, 'a'), (1, 'b')];
        sort_by_key(&mut pairs, |p| p.0);
        assert_eq!(pairs, [(1, 'y'), (1, 'b'), (2, 'x'), (2, 'a')]);
    }
}
