//! Wording shared by the findings and the renderers: shares as percentages and lists in a sentence.

/// A share of new connections (0 to 1) as a percentage with one decimal: `12.5%` (findings, reports).
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A share as a trace step says it: whole numbers bare (`50%`), others with one decimal (`33.3%`).
pub fn percent_trimmed(share: f64) -> String {
    let v = share * 100.0;
    if (v - v.round()).abs() < 1e-6 {
        format!("{}%", v.round())
    } else {
        format!("{v:.1}%")
    }
}

/// A share as a rule note or a cause says it: one decimal and a space, `33.3 %`; shares under 0.1 %
/// keep three decimals so that they do not read as zero.
pub fn percent_spaced(share: f64) -> String {
    let v = share * 100.0;
    if v != 0.0 && v.abs() < 0.1 {
        format!("{v:.3} %")
    } else {
        format!("{v:.1} %")
    }
}

/// `a, b and c`.
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
