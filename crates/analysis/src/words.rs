//! Wording shared by the findings and the renderers: shares as percentages and lists in a sentence.

/// A share of new connections (0 to 1) as a percentage with one decimal: `12.5%`.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// `a, b and c`.
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
