//! A hierarchical bootstrap of a paired seed-level F1 difference: each
//! resample draws n seeds with replacement, then, inside each drawn seed,
//! the test sentences with replacement (the same sentences for both
//! systems: the pair shares its test set), and averages the per-seed
//! differences of micro F1. It carries both sources of variation a claim
//! about a method has — which seeds were trained, which sentences were
//! annotated — where the pooled randomization test (`report::significance`)
//! holds the trained models fixed and so ignores the first.
//!
//! The interval is the resamples' 2.5th and 97.5th percentile; the
//! two-sided p is twice the smaller share of resamples on either side of 0
//! (capped at 1). The stream is ChaCha8 from a stated seed.

use atner::metrics::Counts;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One seed's pair: per test sentence, system A's and system B's counts.
pub type SeedPair<'a> = (&'a [Counts], &'a [Counts]);

/// What the bootstrap gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrap {
    pub low: f64,
    pub high: f64,
    pub p: f64,
    pub resamples: usize,
}

/// The hierarchical bootstrap of mean F1(A) − F1(B) over `seeds`; `None`
/// for fewer than two seeds, or a seed whose two systems differ in
/// sentence count (not a pair).
pub fn hierarchical(seeds: &[SeedPair], resamples: usize, seed: u64) -> Option<Bootstrap> {
    if seeds.len() < 2
        || seeds
            .iter()
            .any(|(a, b)| a.len() != b.len() || a.is_empty())
    {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| {
            let sum: f64 = (0..seeds.len())
                .map(|_| resampled_delta(seeds[rng.random_range(0..seeds.len())], &mut rng))
                .sum();
            sum / seeds.len() as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let below = means.iter().filter(|m| **m <= 0.0).count();
    let above = means.iter().filter(|m| **m >= 0.0).count();
    let side = below.min(above) as f64 / resamples as f64;
    Some(Bootstrap {
        low: percentile(&means, 0.025),
        high: percentile(&means, 0.975),
        p: (2.0 * side).min(1.0),
        resamples,
    })
}

/// F1(A) − F1(B) over the sentences of one seed drawn with replacement.
fn resampled_delta((a, b): SeedPair, rng: &mut ChaCha8Rng) -> f64 {
    let (mut sum_a, mut sum_b) = (Counts::default(), Counts::default());
    for _ in 0..a.len() {
        let i = rng.random_range(0..a.len());
        sum_a.add(&a[i]);
        sum_b.add(&b[i]);
    }
    sum_a.f1() - sum_b.f1()
}

/// The `q` quantile of sorted `values`, linearly interpolated (numpy's
/// default).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let at = q * (sorted.len() - 1) as f64;
    let (i, frac) = (at.floor() as usize, at.fract());
    match sorted.get(i + 1) {
        Some(next) => sorted[i] + frac * (next - sorted[i]),
        None => sorted[i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(hits: &[(u64, u64, u64)]) -> Vec<Counts> {
        hits.iter().map(|&(c, g, o)| Counts::new(c, g, o)).collect()
    }

    #[test]
    fn identical_systems_give_zero_and_a_clear_winner_a_small_p() {
        let a = sentences(&[(1, 1, 1), (0, 1, 1), (2, 2, 3), (1, 2, 2)]);
        let same = [(&a[..], &a[..]), (&a[..], &a[..])];
        let b = hierarchical(&same, 500, 1).expect("two seeds");
        assert_eq!((b.low, b.high, b.p), (0.0, 0.0, 1.0));
        let perfect = sentences(&[(1, 1, 1), (1, 1, 1), (3, 3, 3), (2, 2, 2)]);
        let pairs = [(&perfect[..], &a[..]); 3];
        let b = hierarchical(&pairs, 500, 1).expect("three seeds");
        assert!(b.low > 0.0 && b.p < 0.01, "{b:?}");
        assert!(hierarchical(&pairs[..1], 500, 1).is_none());
    }

    #[test]
    fn seed_variation_widens_the_interval() {
        // Same sentences, but system A's advantage flips between seeds: the
        // interval must contain 0, though each seed alone is decisive.
        let good = sentences(&[(1, 1, 1); 30]);
        let bad = sentences(&[(0, 1, 1); 30]);
        let pairs = [(&good[..], &bad[..]), (&bad[..], &good[..])];
        let b = hierarchical(&pairs, 2000, 3).expect("two seeds");
        assert!(b.low < 0.0 && b.high > 0.0, "{b:?}");
    }

    #[test]
    fn percentiles_interpolate_as_numpy_does() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.5), 2.5);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 1.0), 4.0);
        assert!((percentile(&v, 0.025) - 1.075).abs() < 1e-12);
    }
}
