//! The Wilson score interval of a proportion (a probe's held-out accuracy):
//! unlike the Wald interval p ± z·√(p(1−p)/n), it stays inside [0, 1] and
//! keeps its coverage near 0 and 1 and at small n (Brown, Cai & DasGupta
//! 2001). Checked against statsmodels' `proportion_confint(method="wilson")`
//! (scripts/proportion_fixtures.py).

use statrs::distribution::{ContinuousCDF, Normal};

use super::ALPHA;

/// The 1 − α Wilson interval of `correct` successes in `total` trials;
/// `None` for no trials.
pub fn wilson(correct: usize, total: usize) -> Option<(f64, f64)> {
    if total == 0 || correct > total {
        return None;
    }
    let z = Normal::standard().inverse_cdf(1.0 - ALPHA / 2.0);
    let (n, p) = (total as f64, correct as f64 / total as f64);
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_of_a_hundred_is_the_textbook_interval() {
        // 1.96·√(0.0025 + 1.96²/40000) / (1 + 1.96²/100), by hand.
        let (low, high) = wilson(50, 100).expect("an interval");
        assert!(
            (low - 0.40383).abs() < 1e-4 && (high - 0.59617).abs() < 1e-4,
            "{low} {high}"
        );
        assert_eq!(wilson(0, 0), None);
        assert_eq!(wilson(3, 2), None);
    }
}
