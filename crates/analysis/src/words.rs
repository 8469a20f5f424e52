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

/// A share as the page's tables and traces say it: whole when within 0.05 of a whole number (`50%`,
/// `100%`), else one decimal (`33.3%`); clamped to 0–100 %, `?` for a share that is not a number.
pub fn percent_rounded(share: f64) -> String {
    if !share.is_finite() {
        return "?".to_string();
    }
    let p = (share * 100.0).clamp(0.0, 100.0);
    if (p - p.round()).abs() < 0.05 {
        format!("{:.0}%", p.round())
    } else {
        format!("{p:.1}%")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ways_a_share_is_written() {
        assert_eq!(percent_rounded(1.0), "100%");
        assert_eq!(percent_rounded(0.33333333349), "33.3%");
        assert_eq!(percent_rounded(0.5), "50%");
        assert_eq!(percent_rounded(0.4999), "50%");
        assert_eq!(percent_rounded(1.2), "100%");
        assert_eq!(percent_rounded(f64::NAN), "?");
        // Where the page's way differs from the trace steps' and the reports'.
        assert_eq!(percent_trimmed(0.4999), "50.0%");
        assert_eq!(percent(0.5), "50.0%");
    }
}
