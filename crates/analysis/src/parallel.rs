//! Independent work on both cores when the `parallel` feature is on (the CLI turns it on; the
//! WebAssembly build leaves it off): results come back in the order of the items, so the output is
//! the same either way.

/// `items.map(f)`, collected in the order of `items`: on rayon's threads with the `parallel` feature,
/// one after another without it.
#[cfg(feature = "parallel")]
pub(crate) fn map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync + Send) -> Vec<U> {
    use rayon::prelude::*;
    items.into_par_iter().map(f).collect()
}

/// `items.map(f)`, collected in the order of `items`: on rayon's threads with the `parallel` feature,
/// one after another without it.
#[cfg(not(feature = "parallel"))]
pub(crate) fn map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync + Send) -> Vec<U> {
    items.into_iter().map(f).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_of_the_items() {
        let items: Vec<u32> = (0..10_000).collect();
        let doubled = super::map(items, |x| x * 2);
        assert_eq!(doubled, (0..10_000).map(|x| x * 2).collect::<Vec<u32>>());
    }
}
