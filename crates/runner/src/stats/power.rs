//! Power of the paired t test over seeds: the smallest true mean difference
//! it detects with 80% power at the n at hand, and the seeds it needs to
//! detect a given one (the paper's delta), from our seeds' spread — as
//! statsmodels' `TTestPower` computes them (two-sided, α = 0.05).
//!
//! With standardised effect d = δ/σ and n seeds the statistic follows a
//! noncentral t with n − 1 degrees of freedom and noncentrality d·√n; the
//! power is P(T > c) + P(T < −c) for c = t(1 − α/2, n − 1). Write
//! T = (Z + d√n)/(W/√ν) with W ~ χ_ν: P(T > c) = E_W[Φ̄(c·W/√ν − d√n)], a
//! one-dimensional integral of smooth functions, done by Simpson's rule.

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::gamma::ln_gamma;

use super::{t_quantile, ALPHA};

/// The power aimed at when planning seeds.
pub const POWER: f64 = 0.8;
/// Beyond this many seeds a plan is reported as "more than".
pub const MAX_SEEDS: usize = 100_000;

/// Power of the two-sided one-sample t test at α with `n` ≥ 2 observations
/// for the standardised effect `d`.
pub fn power(d: f64, n: usize) -> f64 {
    let df = (n.max(2) - 1) as f64;
    let c = t_quantile(df, 1.0 - ALPHA / 2.0);
    let shift = d.abs() * (n as f64).sqrt();
    upper_tail(c, df, shift) + upper_tail(c, df, -shift)
}

/// P(T > c) for T noncentral t with `df` degrees of freedom and
/// noncentrality `shift`.
fn upper_tail(c: f64, df: f64, shift: f64) -> f64 {
    let z = Normal::standard();
    let scale = df.sqrt();
    // χ_ν has its mass within √ν ± 12 (sd ≤ 0.71); beyond is below 1e-30.
    let (from, to) = ((scale - 12.0).max(0.0), scale + 12.0);
    let steps = 4000;
    let h = (to - from) / steps as f64;
    let f = |w: f64| chi_pdf(w, df) * z.sf(c * w / scale - shift);
    let inner: f64 = (1..steps)
        .map(|i| f(from + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
        .sum();
    (f(from) + f(to) + inner) * h / 3.0
}

/// The density of χ with `df` degrees of freedom, its limit at 0 included
/// (√(2/π) for one degree of freedom, where statrs' `Chi` gives 0).
fn chi_pdf(w: f64, df: f64) -> f64 {
    if w <= 0.0 {
        return if df == 1.0 {
            (2.0 / std::f64::consts::PI).sqrt()
        } else {
            0.0
        };
    }
    let log = (df - 1.0) * w.ln()
        - w * w / 2.0
        - (df / 2.0 - 1.0) * std::f64::consts::LN_2
        - ln_gamma(df / 2.0);
    log.exp()
}

/// The smallest |δ| that `n` seeds detect with [`POWER`], for seed spread
/// `sd` (statsmodels' `solve_power(nobs=n)` times `sd`).
pub fn minimum_detectable(n: usize, sd: f64) -> f64 {
    let (mut low, mut high) = (0.0, 1.0);
    while power(high, n) < POWER {
        high *= 2.0;
    }
    for _ in 0..60 {
        let mid = 0.5 * (low + high);
        if power(mid, n) < POWER {
            low = mid;
        } else {
            high = mid;
        }
    }
    high * sd
}

/// The fewest seeds whose paired t test detects `delta` with [`POWER`] for
/// seed spread `sd`; `None` when no number up to [`MAX_SEEDS`] does
/// (`delta` 0, or tiny against `sd`).
pub fn seeds_needed(delta: f64, sd: f64) -> Option<usize> {
    let d = if sd > 0.0 {
        delta.abs() / sd
    } else {
        f64::INFINITY
    };
    if d == 0.0 || d.is_nan() {
        return None;
    }
    let enough = |n: usize| d.is_infinite() || power(d, n) >= POWER;
    let mut high = 2;
    while !enough(high) {
        high *= 2;
        if high > MAX_SEEDS {
            return None;
        }
    }
    let mut low = high / 2;
    // Power rises with n: the first n that is enough lies in (low, high].
    while high - low > 1 {
        let mid = (low + high) / 2;
        if enough(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    Some(high.max(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chi_density_is_statrs_inside_and_its_limit_at_zero() {
        use statrs::distribution::{Chi, Continuous};
        for df in [1u64, 2, 9, 99] {
            let chi = Chi::new(df).expect("valid");
            for w in [0.1, 1.0, 3.0, 10.0] {
                let (ours, theirs) = (chi_pdf(w, df as f64), chi.pdf(w));
                assert!((ours - theirs).abs() < 1e-12 * theirs.max(1.0), "{df} {w}");
            }
        }
        assert!((chi_pdf(0.0, 1.0) - 0.797_884_560_802_865_4).abs() < 1e-15);
    }

    #[test]
    fn at_no_effect_the_power_is_the_level() {
        for n in [2, 3, 10, 50] {
            // Simpson on a 4000-step grid: within 1e-8 (steepest at n = 2).
            assert!(
                (power(0.0, n) - ALPHA).abs() < 1e-8,
                "n = {n}: {}",
                power(0.0, n)
            );
        }
    }

    #[test]
    fn power_rises_with_effect_and_seeds_and_plans_are_minimal() {
        assert!(power(0.5, 10) < power(1.0, 10));
        assert!(power(0.5, 10) < power(0.5, 20));
        let n = seeds_needed(1.0, 2.0).expect("d = 0.5 is plannable");
        assert!(power(0.5, n) >= POWER && power(0.5, n - 1) < POWER);
        let mde = minimum_detectable(n, 2.0);
        assert!(mde <= 1.0 && mde > minimum_detectable(n + 5, 2.0));
        assert_eq!(seeds_needed(0.0, 1.0), None);
    }
}
