//! Almost Stochastic Order (del Barrio et al. 2018; Dror et al. 2019), as
//! deepsig ≥ 1.2.3 computes it (Ulmer et al. 2022): ε_min, the smallest ε
//! for which "A is ε-almost stochastically larger than B" holds at the
//! stated confidence. ε_min = 0 is A dominating B at every quantile,
//! 1 is B dominating A; Ulmer et al. read ε_min < τ = 0.2 as "A is better".
//! A second view on the seeds' score distributions beside the paired
//! interval: it compares distributions, not means, and needs no pairing.
//!
//! The violation ratio ε_W is the share of the squared 2-Wasserstein
//! distance between the quantile functions F⁻¹ (A) and G⁻¹ (B) where A is
//! below B, integrated on the grid dt, 2dt, …, < 1:
//! ε_W = ∫_{F⁻¹<G⁻¹} (F⁻¹ − G⁻¹)² / ∫ (F⁻¹ − G⁻¹)². Its spread comes from
//! a bootstrap of both quantile functions (each resample draws n and m
//! uniforms through them); ε_min = ε_W − σ̂·Φ⁻¹(1 − confidence)/c, with
//! c = √(nm/(n+m)) and σ̂ the standard deviation of c·(ε_W* − ε_W) over the
//! resamples, clipped to [0, 1]: an upper confidence bound on ε_W, so that
//! few seeds give an ε_min near 0.5 or above, never a confident "better".

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, Normal};

/// deepsig's defaults.
pub const DT: f64 = 0.005;
pub const CONFIDENCE: f64 = 0.95;
pub const BOOTSTRAP: usize = 1000;
/// Ulmer et al.'s threshold: ε_min below it reads as "A is better".
pub const TAU: f64 = 0.2;

/// The empirical quantile function of `sorted` at `p`: the ⌈np⌉-th
/// smallest value (a step function, as deepsig's).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let index = (n as f64 * p).ceil() as usize;
    sorted[index.clamp(1, n) - 1]
}

/// ε_W of A over B (each non-empty), as deepsig computes it: on the grid
/// t = dt, 2dt, … below 1 (numpy's `arange(dt, 1, dt)`), the squared
/// distance where A's quantile is below B's, over the whole squared
/// distance; deepsig leaves the grid's first point out of the numerator
/// ("t in (0, 1)"), and so does this. Identical quantile functions (no
/// distance at all) give 0.5: no order either way.
pub fn violation_ratio(a: &[f64], b: &[f64]) -> f64 {
    let (a, b) = (sorted(a), sorted(b));
    let points = ((1.0 - DT) / DT).ceil() as usize;
    let (mut violation, mut distance) = (0.0, 0.0);
    for k in 0..points {
        let t = DT + k as f64 * DT;
        let (f, g) = (quantile(&a, t), quantile(&b, t));
        let squared = (g - f).powi(2) * DT;
        distance += squared;
        if f < g && k > 0 {
            violation += squared;
        }
    }
    if distance == 0.0 {
        0.5
    } else {
        violation / distance
    }
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// ε_min of A over B from `BOOTSTRAP` resamples of a ChaCha8 stream seeded
/// with `seed`; `None` when either side is empty.
pub fn eps_min(a: &[f64], b: &[f64], seed: u64) -> Option<f64> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let ratio = violation_ratio(a, b);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let c = (n * m / (n + m)).sqrt();
    let (sa, sb) = (sorted(a), sorted(b));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draw = |s: &[f64]| -> Vec<f64> {
        (0..s.len())
            .map(|_| quantile(s, rng.random::<f64>()))
            .collect()
    };
    let distances: Vec<f64> = (0..BOOTSTRAP)
        .map(|_| {
            let (ra, rb) = (draw(&sa), draw(&sb));
            c * (violation_ratio(&ra, &rb) - ratio)
        })
        .collect();
    let mean = distances.iter().sum::<f64>() / BOOTSTRAP as f64;
    // np.std: the population standard deviation.
    let var = distances.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / BOOTSTRAP as f64;
    // deepsig: ε_W − σ̂/c · Φ⁻¹(1 − confidence), an upper confidence bound.
    let z = Normal::standard().inverse_cdf(1.0 - CONFIDENCE);
    Some((ratio - var.sqrt() * z / c).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_violation_ratio_of_dominance_and_its_mirror() {
        let low = [1.0, 2.0, 3.0];
        let high = [4.0, 5.0, 6.0];
        assert_eq!(violation_ratio(&high, &low), 0.0);
        // deepsig leaves the grid's first point out of the numerator, so
        // full violation reads 1 − Δt/(1 − Δt) short of 1.
        let full = violation_ratio(&low, &high);
        assert!(full > 0.99 && full < 1.0, "{full}");
        assert_eq!(violation_ratio(&low, &low), 0.5);
        // Crossing quantile functions: the two shares add up to 1 but for
        // the grid's first point, which deepsig leaves out of both numerators.
        let wide = [0.0, 2.0, 4.0];
        let sum = violation_ratio(&wide, &low) + violation_ratio(&low, &wide);
        assert!(sum < 1.0 && sum > 0.98, "{sum}");
    }

    #[test]
    fn eps_min_is_zero_for_clear_dominance_and_never_confident_on_noise() {
        let low = [30.0, 31.0, 32.0, 31.5, 30.5];
        let high = [40.0, 41.0, 42.0, 41.5, 40.5];
        assert_eq!(eps_min(&high, &low, 1), Some(0.0));
        let e = eps_min(&low, &high, 1).expect("non-empty");
        assert!(e > 0.99, "{e}");
        // Interleaved scores: an upper bound well above τ.
        let other = [30.2, 31.4, 31.9, 30.7, 31.1];
        let e = eps_min(&low, &other, 1).expect("non-empty");
        assert!(e > 0.5, "{e}");
        assert_eq!(eps_min(&[], &low, 1), None);
    }
}
