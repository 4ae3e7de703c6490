//! The seed-level estimate of a mean — a level, or a paired difference —
//! with its 95% Student t interval, the t test's p and the exact sign-flip
//! test's.
//!
//! The t interval is primary. On Gaussian deltas its coverage is exact at
//! every n (checked by simulation in the tests at n = 3, 10, 30), and it
//! exists at every n ≥ 2, while the sign-flip test's attainable levels are
//! multiples of 2/2ⁿ: at n ≤ 5 it cannot reject at 0.05 whatever the data,
//! so its inverted interval is the whole line. The sign-flip p is reported
//! beside as the distribution-free check: where the two disagree, the
//! Gaussian assumption is doing the work.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::ALPHA;

/// A mean over seeds with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation over seeds (n − 1).
    pub sd: f64,
    /// The 95% t interval of the mean: mean ± t(0.975, n − 1)·sd/√n.
    pub low: f64,
    pub high: f64,
    /// Two-sided p of the one-sample t test of mean 0 (for a difference).
    pub p_t: f64,
}

/// The estimate of the mean of `values`; `None` below two values.
pub fn estimate(values: &[f64]) -> Option<Estimate> {
    let (mean, sd) = super::mean_sd(values)?;
    let n = values.len();
    let se = sd / (n as f64).sqrt();
    let half = t_quantile((n - 1) as f64, 1.0 - ALPHA / 2.0) * se;
    let p_t = if se > 0.0 {
        let t = mean / se;
        2.0 * students_t((n - 1) as f64).sf(t.abs())
    } else if mean == 0.0 {
        1.0
    } else {
        0.0
    };
    Some(Estimate {
        n,
        mean,
        sd,
        low: mean - half,
        high: mean + half,
        p_t,
    })
}

/// The `p` quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(df: f64, p: f64) -> f64 {
    students_t(df).inverse_cdf(p)
}

/// Student's t with `df` ≥ 1 degrees of freedom (every caller passes
/// n − 1 for n ≥ 2).
fn students_t(df: f64) -> StudentsT {
    StudentsT::new(0.0, 1.0, df.max(1.0)).unwrap_or_else(|_| unreachable!("df ≥ 1 is valid"))
}

/// Exact two-sided sign-flip test of the mean of paired differences: the
/// share of the 2ⁿ sign assignments whose |mean| reaches the observed one.
/// Exact up to n = 20 seeds; beyond, the first 20 are used (a stated limit;
/// the t test carries the verdict).
pub fn sign_flip_p(diffs: &[f64]) -> f64 {
    let diffs = &diffs[..diffs.len().min(20)];
    let observed = diffs.iter().sum::<f64>().abs();
    let total = 1u64 << diffs.len();
    let mut reach = 0u64;
    for signs in 0..total {
        let sum: f64 = diffs
            .iter()
            .enumerate()
            .map(|(i, d)| if signs >> i & 1 == 1 { -d } else { *d })
            .sum();
        // A tolerance for rounding: a tie counts as reaching.
        if sum.abs() >= observed - 1e-9 {
            reach += 1;
        }
    }
    reach as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use statrs::distribution::Normal;

    #[test]
    fn the_interval_of_three_known_values() {
        // mean 2, sd 1, t(0.975, 2) = 4.302652729749464 (scipy).
        let e = estimate(&[1.0, 2.0, 3.0]).expect("three values");
        assert!((e.mean - 2.0).abs() < 1e-12 && (e.sd - 1.0).abs() < 1e-12);
        let half = 4.302_652_729_749_464 / 3f64.sqrt();
        assert!((e.low - (2.0 - half)).abs() < 1e-9, "{e:?}");
        assert!((e.high - (2.0 + half)).abs() < 1e-9, "{e:?}");
        assert!(estimate(&[1.0]).is_none());
    }

    #[test]
    fn the_t_interval_covers_the_true_mean_95_times_in_100() {
        let normal = Normal::new(0.8, 1.5).expect("valid");
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in [3, 10, 30] {
            let trials = 4000;
            let covered = (0..trials)
                .filter(|_| {
                    let draws: Vec<f64> = (0..n)
                        .map(|_| normal.inverse_cdf(rng.random_range(1e-12..1.0)))
                        .collect();
                    let e = estimate(&draws).expect("n ≥ 2");
                    e.low <= 0.8 && 0.8 <= e.high
                })
                .count();
            let share = covered as f64 / trials as f64;
            // Binomial sd at 4000 trials is 0.0034: ±0.012 is 3.5 sd.
            assert!((share - 0.95).abs() < 0.012, "n = {n}: coverage {share}");
        }
    }

    #[test]
    fn the_t_test_rejects_exactly_when_the_interval_excludes_zero() {
        for values in [
            vec![0.1, 0.5, 0.9],
            vec![1.0, 1.2, -0.1, 0.8],
            vec![-2.0, 0.5, 1.0, 0.3, 0.2],
        ] {
            let e = estimate(&values).expect("n ≥ 2");
            assert_eq!(e.p_t < ALPHA, e.low > 0.0 || e.high < 0.0, "{e:?}");
        }
    }

    /// The sign-flip p-value by brute force over sign vectors, written apart.
    fn brute_force(diffs: &[f64]) -> f64 {
        let n = diffs.len();
        let observed: f64 = diffs.iter().sum::<f64>().abs();
        let mut assignments: Vec<Vec<f64>> = vec![vec![]];
        for d in diffs {
            assignments = assignments
                .into_iter()
                .flat_map(|a| {
                    let (mut plus, mut minus) = (a.clone(), a);
                    plus.push(*d);
                    minus.push(-d);
                    [plus, minus]
                })
                .collect();
        }
        let reach = assignments
            .iter()
            .filter(|a| a.iter().sum::<f64>().abs() >= observed - 1e-9)
            .count();
        reach as f64 / (1u64 << n) as f64
    }

    #[test]
    fn the_sign_flip_test_equals_brute_force_and_its_known_values() {
        for diffs in [
            vec![1.0, 2.0, 3.0],
            vec![1.0, -2.0, 3.5, 0.5, 2.0],
            vec![0.3; 10],
            vec![2.0, -2.0],
        ] {
            assert!((sign_flip_p(&diffs) - brute_force(&diffs)).abs() < 1e-12);
        }
        // All ten positive: only the all-plus and all-minus assignments reach.
        assert!((sign_flip_p(&[0.3; 10]) - 2.0 / 1024.0).abs() < 1e-12);
        // Three seeds can never reach p < 0.25.
        assert!((sign_flip_p(&[1.0, 2.0, 3.0]) - 0.25).abs() < 1e-12);
    }
}
