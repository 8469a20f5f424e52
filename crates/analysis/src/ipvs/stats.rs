//! The chi-square goodness-of-fit test, written out: does the number of connections each real server got
//! fit the share its weight promises? Includes the chi-square survival function (the regularized upper
//! incomplete gamma function), so no statistics library is needed.

/// Expected count below which a cell makes the chi-square approximation unreliable (Cochran's rule).
pub const MIN_EXPECTED: f64 = 5.0;

/// Significance level below which svcpath calls a distribution unbalanced. Strict, because many services
/// are tested at once.
pub const ALPHA: f64 = 0.01;

/// The outcome of a goodness-of-fit test.
#[derive(Debug, Clone, PartialEq)]
pub enum Fit {
    /// Fewer than two cells with a positive expectation: nothing to compare.
    NotApplicable,
    /// Some expected count is below [`MIN_EXPECTED`]: too few observations to judge.
    TooFew { total: u64, smallest_expected: f64 },
    /// The test ran.
    Tested {
        statistic: f64,
        degrees_of_freedom: u32,
        p_value: f64,
    },
}

/// Tests observed counts against weights (cells with weight 0 must be left out by the caller).
pub fn goodness_of_fit(observed: &[u64], weights: &[f64]) -> Fit {
    if observed.len() != weights.len() || observed.len() < 2 {
        return Fit::NotApplicable;
    }
    let total: u64 = observed.iter().fold(0u64, |a, b| a.saturating_add(*b));
    let weight_sum: f64 = weights.iter().sum();
    let positive = |w: f64| w.is_finite() && w > 0.0;
    if !positive(weight_sum) || weights.iter().any(|w| !positive(*w)) {
        return Fit::NotApplicable;
    }
    let n = total as f64;
    let expected: Vec<f64> = weights.iter().map(|w| n * w / weight_sum).collect();
    let smallest_expected = expected.iter().copied().fold(f64::INFINITY, f64::min);
    if smallest_expected < MIN_EXPECTED {
        return Fit::TooFew {
            total,
            smallest_expected,
        };
    }
    let statistic: f64 = observed
        .iter()
        .zip(&expected)
        .map(|(o, e)| {
            let d = *o as f64 - e;
            d * d / e
        })
        .sum();
    let degrees_of_freedom = (observed.len() - 1) as u32;
    Fit::Tested {
        statistic,
        degrees_of_freedom,
        p_value: chi_square_survival(statistic, degrees_of_freedom),
    }
}

/// P(X ≥ x) for a chi-square variable with `k` degrees of freedom.
pub fn chi_square_survival(x: f64, k: u32) -> f64 {
    if k == 0 || x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    regularized_gamma_q(f64::from(k) / 2.0, x / 2.0)
}

const MAX_ITERATIONS: usize = 1000;
const EPSILON: f64 = 1e-15;

/// Q(a, x) = Γ(a, x) / Γ(a): a series for small x, a continued fraction (modified Lentz) otherwise.
pub fn regularized_gamma_q(a: f64, x: f64) -> f64 {
    if x < a + 1.0 {
        1.0 - gamma_p_series(a, x)
    } else {
        gamma_q_continued_fraction(a, x)
    }
    .clamp(0.0, 1.0)
}

fn gamma_p_series(a: f64, x: f64) -> f64 {
    let mut term = 1.0 / a;
    let mut sum = term;
    let mut ap = a;
    for _ in 0..MAX_ITERATIONS {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if term.abs() < sum.abs() * EPSILON {
            break;
        }
    }
    sum * (-x + a * x.ln() - ln_gamma(a)).exp()
}

fn gamma_q_continued_fraction(a: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..=MAX_ITERATIONS {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPSILON {
            break;
        }
    }
    (-x + a * x.ln() - ln_gamma(a)).exp() * h
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, nine coefficients).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-12));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-12));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-12
        ));
        assert!(close(ln_gamma(101.0), 363.739_375_555_563_5, 1e-9));
    }

    #[test]
    fn survival_matches_tables() {
        // Critical values from a chi-square table.
        assert!(close(
            chi_square_survival(3.841_458_820_694_124, 1),
            0.05,
            1e-9
        ));
        assert!(close(
            chi_square_survival(6.634_896_601_021_214, 1),
            0.01,
            1e-9
        ));
        assert!(close(
            chi_square_survival(11.070_497_693_516_35, 5),
            0.05,
            1e-9
        ));
        assert!(close(
            chi_square_survival(20.090_235_029_663_23, 8),
            0.01,
            1e-9
        ));
        assert!(close(
            chi_square_survival(124.342_113_404_060_7, 100),
            0.05,
            1e-8
        ));
        // With two degrees of freedom the survival function is exp(−x/2).
        assert!(close(chi_square_survival(10.0, 2), (-5.0f64).exp(), 1e-12));
        assert_eq!(chi_square_survival(0.0, 3), 1.0);
        assert!(chi_square_survival(1e6, 3) < 1e-100);
    }

    #[test]
    fn goodness_of_fit_cases() {
        assert_eq!(goodness_of_fit(&[5], &[1.0]), Fit::NotApplicable);
        assert!(matches!(
            goodness_of_fit(&[2, 2, 3], &[1.0, 1.0, 1.0]),
            Fit::TooFew { total: 7, .. }
        ));
        match goodness_of_fit(&[50, 50], &[1.0, 1.0]) {
            Fit::Tested {
                statistic,
                degrees_of_freedom,
                p_value,
            } => {
                assert_eq!((statistic, degrees_of_freedom, p_value), (0.0, 1, 1.0));
            }
            other => panic!("{other:?}"),
        }
        match goodness_of_fit(&[90, 10], &[1.0, 1.0]) {
            Fit::Tested {
                statistic, p_value, ..
            } => {
                assert!(close(statistic, 64.0, 1e-12));
                assert!(p_value < 1e-10);
            }
            other => panic!("{other:?}"),
        }
        // 3:1 weights, observed 300:100 fits exactly.
        assert!(
            matches!(goodness_of_fit(&[300, 100], &[3.0, 1.0]), Fit::Tested { p_value, .. } if p_value > 0.99)
        );
    }
}
