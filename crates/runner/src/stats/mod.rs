//! Statistics the verdicts rest on, as pure functions: no I/O, no rendering,
//! nothing of the runner's own (the report calls them; see
//! `report::verdict`). Each is checked against a reference implementation
//! (scipy, statsmodels, deepsig) on fixtures that `scripts/stats_fixtures.py`
//! writes.
//!
//! The unit of every seed-level statistic is one seed: a claim is about a
//! training method, whose result varies with its seed, so a paired per-seed
//! difference (A's run with seed s minus B's run with seed s) is one
//! observation. Per-sentence resampling answers another question (is this
//! trained pair different?) and enters only inside the hierarchical
//! bootstrap, under the seed level.

pub mod aso;
pub mod bootstrap;
pub mod holm;
pub mod interval;
pub mod power;
pub mod proportion;
pub mod sequential;

pub use interval::{estimate, sign_flip_p, t_quantile, Estimate};

/// The two-sided level of every interval and test here.
pub const ALPHA: f64 = 0.05;

/// Mean and sample standard deviation (n − 1); `None` below two values.
pub fn mean_sd(values: &[f64]) -> Option<(f64, f64)> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    Some((mean, (ss / (n - 1) as f64).sqrt()))
}
