//! Unit tests of the conntrack wording helpers.

use super::*;

#[test]
fn number_formats() {
    assert_eq!(n(0), "0");
    assert_eq!(n(262_144), "262,144");
    assert_eq!(n(1_048_576), "1,048,576");
    assert_eq!(pct(0.85), "85.0 %");
    assert_eq!(bytes(262_144 * 320), "80.0 MiB");
    assert_eq!(secs(432_000), "432,000 s (5 days)");
    assert_eq!(secs(3_600), "3,600 s (1 hour)");
    assert_eq!(secs(120), "120 s");
    assert_eq!(line_list([1, 2, 3].into_iter()), "1–3");
    assert_eq!(line_list([1, 5].into_iter()), "1, 5");
}
