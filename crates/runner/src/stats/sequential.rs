//! Seeds in rounds: a group-sequential design for a paired per-seed delta,
//! so that a sweep can look at a claim after every round of seeds and stop
//! where it is settled without inflating its error.
//!
//! Looking after each round and stopping as soon as a 95% interval excludes
//! something is not a 95% procedure: each look is another chance to err.
//! The design here plans its looks in advance (at `first`, `first + round`,
//! …, `max_seeds` seeds) and spends the error α equally over them
//! (Bonferroni boundaries): the interval at each of the K looks is the
//! Student t interval at level 1 − α/K. By the union bound the K intervals
//! cover the true delta *simultaneously* with probability ≥ 1 − α, so a
//! claim stopped at any look, for any reason, keeps a valid interval, and a
//! true null delta is rejected at some look with probability ≤ α.
//!
//! Assumptions: per-seed deltas independent and Gaussian (as the fixed-n t
//! interval assumes; the tests check type-I error and coverage by
//! simulation on Gaussian and on heavy-tailed t₃ deltas); the looks fixed
//! before the first one. Bonferroni is conservative next to O'Brien–Fleming
//! or Pocock boundaries (which need the looks' joint distribution) and next
//! to confidence sequences for bounded data (whose bounds on an F1 delta,
//! ±100, would make them very wide at our n); its price in seeds against a
//! fixed-n design is measured by `expected_seeds`, recorded in BENCHMARKS.md.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, Normal};

use super::{mean_sd, t_quantile};

/// The planned looks and the error spent over them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Design {
    /// Family error of one claim over all its looks (two-sided).
    pub alpha: f64,
    /// Seeds at the first look (≥ 2).
    pub first: usize,
    /// Seeds added per round (≥ 1).
    pub round: usize,
    /// Seeds at the last look (≥ `first`).
    pub max_seeds: usize,
}

impl Design {
    /// The seed counts at which the claim is looked at: `first`, then every
    /// `round` more, and `max_seeds` last.
    pub fn looks(&self) -> Vec<usize> {
        let mut looks: Vec<usize> = (self.first..self.max_seeds)
            .step_by(self.round.max(1))
            .collect();
        looks.push(self.max_seeds);
        looks
    }

    /// The two-sided error of each look's interval: α / K.
    pub fn level(&self) -> f64 {
        self.alpha / self.looks().len() as f64
    }

    /// The interval of all of `deltas` (≥ 2) at a look's level, its state
    /// still open: what `judge` decides from, and what a preview before the
    /// first planned look shows.
    pub fn look(&self, deltas: &[f64]) -> Option<Look> {
        let (mean, sd) = mean_sd(deltas)?;
        let half = self.half_width(deltas.len(), sd);
        Some(Look {
            n: deltas.len(),
            mean,
            sd,
            low: mean - half,
            high: mean + half,
            state: State::Open,
        })
    }

    /// Half the width of a look's interval at `n` seeds and spread `sd`.
    pub fn half_width(&self, n: usize, sd: f64) -> f64 {
        t_quantile((n.max(2) - 1) as f64, 1.0 - self.level() / 2.0) * sd / (n as f64).sqrt()
    }
}

/// Where a claim stands after a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Neither 0 nor the reference is excluded yet; more seeds are planned.
    Open,
    /// The interval excludes 0: the sign of the delta is decided.
    Decided,
    /// The interval excludes the reference effect (and contains 0).
    RuledOut,
    /// The last planned look left it open: undecided at this budget.
    Undecided,
}

impl State {
    pub fn settled(self) -> bool {
        self != State::Open
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Decided => "direction decided",
            State::RuledOut => "reference ruled out",
            State::Undecided => "undecided at max_seeds",
        }
    }
}

/// One look at a claim: its n seeds, mean, spread and interval at level
/// 1 − α/K.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Look {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub low: f64,
    pub high: f64,
    pub state: State,
}

/// The claim's looks so far: at every planned look that `deltas` (per-seed
/// paired deltas in seed order) reaches, until the first that settles it.
/// A claim stopped at a look is not looked at again: its last look is its
/// result.
pub fn judge(design: &Design, deltas: &[f64], reference: Option<f64>) -> Vec<Look> {
    let mut looks = Vec::new();
    for n in design.looks().into_iter().filter(|n| *n <= deltas.len()) {
        let Some(mut look) = design.look(&deltas[..n]) else {
            continue;
        };
        let excludes = |x: f64| x < look.low || x > look.high;
        look.state = if excludes(0.0) {
            State::Decided
        } else if reference.is_some_and(excludes) {
            State::RuledOut
        } else if n >= design.max_seeds {
            State::Undecided
        } else {
            State::Open
        };
        looks.push(look);
        if look.state.settled() {
            break;
        }
    }
    looks
}

/// The first planned look at which the claim would settle if its mean and
/// spread stayed as observed: where the half width falls below the mean's
/// distance from 0 (or from the reference). `None` when no planned look
/// would (the claim will end undecided at `max_seeds` unless the mean
/// moves).
pub fn projected(design: &Design, look: &Look, reference: Option<f64>) -> Option<usize> {
    let distance = reference
        .map_or(0.0, |r| (look.mean - r).abs())
        .max(look.mean.abs());
    design
        .looks()
        .into_iter()
        .filter(|n| *n >= look.n)
        .find(|n| design.half_width(*n, look.sd) < distance)
}

/// Per-seed deltas for a simulation: Gaussian, or Student t with 3 degrees
/// of freedom (heavy tails) scaled to the same standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tails {
    Gaussian,
    T3,
}

/// `n` simulated per-seed deltas of mean `delta` and standard deviation `sd`.
pub fn simulate(rng: &mut ChaCha8Rng, tails: Tails, delta: f64, sd: f64, n: usize) -> Vec<f64> {
    let standard = Normal::standard();
    let mut normal = || standard.inverse_cdf(rng.random_range(1e-12..1.0));
    (0..n)
        .map(|_| {
            let z = match tails {
                Tails::Gaussian => normal(),
                // t₃ = Z / √(χ²₃/3) has variance 3: scaled by 1/√3.
                Tails::T3 => {
                    let chi: f64 = (0..3).map(|_| normal().powi(2)).sum();
                    normal() / (chi / 3.0).sqrt() / 3f64.sqrt()
                }
            };
            delta + sd * z
        })
        .collect()
}

/// What the design costs and gives on simulated deltas: the mean number of
/// seeds at which a claim stops, and the share of claims whose sign is
/// decided (the design's power at `delta`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Operating {
    pub mean_seeds: f64,
    pub decided: f64,
}

/// The operating characteristics of `design` at a true `delta` and `sd`,
/// over `sims` simulated claims (ChaCha8 seeded `seed`).
pub fn expected_seeds(design: &Design, delta: f64, sd: f64, sims: usize, seed: u64) -> Operating {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut seeds, mut decided) = (0usize, 0usize);
    for _ in 0..sims {
        let deltas = simulate(&mut rng, Tails::Gaussian, delta, sd, design.max_seeds);
        let looks = judge(design, &deltas, None);
        let last = looks.last().map_or(design.max_seeds, |l| l.n);
        seeds += last;
        decided += usize::from(looks.last().is_some_and(|l| l.state == State::Decided));
    }
    Operating {
        mean_seeds: seeds as f64 / sims as f64,
        decided: decided as f64 / sims as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESIGN: Design = Design {
        alpha: 0.05,
        first: 5,
        round: 5,
        max_seeds: 40,
    };
    const SIMS: usize = 4000;

    /// Monte Carlo slack: three standard errors of a share near α.
    fn slack() -> f64 {
        3.0 * (0.05f64 * 0.95 / SIMS as f64).sqrt()
    }

    #[test]
    fn looks_are_planned_and_the_error_is_split_over_them() {
        assert_eq!(DESIGN.looks(), vec![5, 10, 15, 20, 25, 30, 35, 40]);
        assert!((DESIGN.level() - 0.05 / 8.0).abs() < 1e-15);
        let uneven = Design {
            round: 7,
            max_seeds: 20,
            ..DESIGN
        };
        assert_eq!(uneven.looks(), vec![5, 12, 19, 20]);
        let single = Design {
            first: 10,
            max_seeds: 10,
            ..DESIGN
        };
        assert_eq!(single.looks(), vec![10]);
        // One look is the fixed-n 95% t interval.
        assert!((single.half_width(10, 1.0) - 2.262_157_162_798_2 / 10f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn a_null_delta_is_rejected_at_some_look_at_most_alpha_of_the_time() {
        for tails in [Tails::Gaussian, Tails::T3] {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let rejected = (0..SIMS)
                .filter(|_| {
                    let deltas = simulate(&mut rng, tails, 0.0, 3.5, DESIGN.max_seeds);
                    judge(&DESIGN, &deltas, None)
                        .last()
                        .is_some_and(|l| l.state == State::Decided)
                })
                .count() as f64
                / SIMS as f64;
            assert!(rejected <= 0.05 + slack(), "{tails:?}: {rejected}");
        }
    }

    #[test]
    fn every_look_covers_the_true_delta_together_at_least_1_minus_alpha() {
        for tails in [Tails::Gaussian, Tails::T3] {
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let covered = (0..SIMS)
                .filter(|_| {
                    let deltas = simulate(&mut rng, tails, 2.0, 3.5, DESIGN.max_seeds);
                    // Every planned look, not only those up to a stop.
                    DESIGN.looks().iter().all(|&n| {
                        let (mean, sd) = mean_sd(&deltas[..n]).expect("n ≥ 2");
                        (mean - 2.0).abs() <= DESIGN.half_width(n, sd)
                    })
                })
                .count() as f64
                / SIMS as f64;
            assert!(covered >= 0.95 - slack(), "{tails:?}: {covered}");
        }
    }

    #[test]
    fn naive_repeated_95_percent_looks_would_err_more_than_alpha() {
        // The reason for the design: the same looks at 95% each.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let naive = |d: &[f64]| {
            DESIGN.looks().iter().any(|&n| {
                let (mean, sd) = mean_sd(&d[..n]).expect("n ≥ 2");
                mean.abs() > t_quantile((n - 1) as f64, 0.975) * sd / (n as f64).sqrt()
            })
        };
        let rejected = (0..SIMS)
            .filter(|_| naive(&simulate(&mut rng, Tails::Gaussian, 0.0, 3.5, 40)))
            .count() as f64
            / SIMS as f64;
        assert!(rejected > 0.05 + slack(), "{rejected}");
    }

    #[test]
    fn a_claim_settles_by_its_sign_by_its_reference_or_at_its_budget() {
        let design = Design {
            alpha: 0.05,
            first: 3,
            round: 1,
            max_seeds: 6,
        };
        let clear = [5.0, 5.5, 4.5, 5.2];
        let looks = judge(&design, &clear, None);
        assert_eq!(looks.len(), 1);
        assert_eq!(looks[0].state, State::Decided);
        let flat = [0.5, -0.5, 0.4, -0.4, 0.6, -0.6, 9.0];
        let ruled = judge(&design, &flat, Some(10.0));
        assert_eq!(ruled.last().map(|l| l.state), Some(State::RuledOut));
        let open = judge(&design, &flat, None);
        assert_eq!(open.iter().map(|l| l.n).collect::<Vec<_>>(), [3, 4, 5, 6]);
        assert_eq!(open.last().map(|l| l.state), Some(State::Undecided));
        // Seeds beyond the last look are never read.
        assert_eq!(open.last().map(|l| l.n), Some(6));
        // Too few seeds for the first look: nothing to say yet.
        assert!(judge(&design, &clear[..2], None).is_empty());
    }

    #[test]
    fn the_projection_is_the_first_look_whose_width_would_settle() {
        let look = Look {
            n: 5,
            mean: 2.0,
            sd: 3.0,
            low: -5.0,
            high: 7.0,
            state: State::Open,
        };
        let n = projected(&DESIGN, &look, None).expect("within 40");
        assert!(DESIGN.half_width(n, 3.0) < 2.0);
        assert!(DESIGN.half_width(n - 5, 3.0) >= 2.0);
        let hopeless = Look { mean: 0.01, ..look };
        assert_eq!(projected(&DESIGN, &hopeless, None), None);
    }

    #[test]
    fn stopping_early_saves_seeds_on_a_large_effect() {
        let large = expected_seeds(&DESIGN, 5.0, 3.5, 500, 3);
        assert!(large.decided > 0.95 && large.mean_seeds < 15.0, "{large:?}");
        let none = expected_seeds(&DESIGN, 0.0, 3.5, 500, 3);
        assert!(none.mean_seeds > 35.0, "{none:?}");
    }
}
