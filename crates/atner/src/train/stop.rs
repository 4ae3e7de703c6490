//! How a run ends (§4.2: early stopping on NER dev F1): by `patience` epochs
//! without a better dev F1, by the epoch budget, or by diverging.
//!
//! Training itself never reads the stop conditions (the learning rate is
//! constant, each epoch's randomness comes from `(seed, epoch)`), so a run is
//! its trajectory and the stop conditions only say how far along it went: the
//! same run under a larger budget is the same epochs and then more. The rule
//! here is therefore a function of the dev curve alone, and the runner uses it
//! to decide whether a finished run must go on under new stop conditions.

use serde::{Deserialize, Serialize};

/// Which stop condition ended a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndedBy {
    /// `patience` epochs in a row without a better dev F1: early stopping.
    Patience,
    /// The epoch budget ran out first: the run was cut, not converged.
    Budget,
}

impl EndedBy {
    pub fn name(self) -> &'static str {
        match self {
            EndedBy::Patience => "patience",
            EndedBy::Budget => "budget",
        }
    }
}

impl std::fmt::Display for EndedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The stop conditions a run was trained under, and which one ended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ending {
    pub epochs: usize,
    pub patience: usize,
    pub by: EndedBy,
}

/// The best epoch (1-based) of a dev curve's first `n` epochs: the first
/// epoch whose F1 beats every earlier one (ties keep the earlier epoch).
pub fn best_epoch(dev_f1: &[f64]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &f1) in dev_f1.iter().enumerate() {
        if best.is_none_or(|(_, b)| f1 > b) {
            best = Some((i + 1, f1));
        }
    }
    best.map(|(epoch, _)| epoch)
}

/// Where early stopping ends a run whose dev F1 per epoch is `dev_f1`: the
/// first epoch after which `patience` epochs passed without a better F1, or
/// the `epochs`-th. `None` when the curve ends before either: the run goes on.
/// When both hold at once, the run counts as stopped by patience.
pub fn stopping_point(dev_f1: &[f64], epochs: usize, patience: usize) -> Option<(usize, EndedBy)> {
    if epochs == 0 {
        return Some((0, EndedBy::Budget));
    }
    let mut best: Option<(usize, f64)> = None;
    for (i, &f1) in dev_f1.iter().enumerate() {
        let epoch = i + 1;
        if best.is_none_or(|(_, b)| f1 > b) {
            best = Some((epoch, f1));
        }
        let since_best = epoch - best.map_or(0, |(e, _)| e);
        if since_best >= patience {
            return Some((epoch, EndedBy::Patience));
        }
        if epoch >= epochs {
            return Some((epoch, EndedBy::Budget));
        }
    }
    None
}

/// A non-finite number in training: the run has diverged and its scores mean
/// nothing, so it fails rather than finishing with F1 0.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("diverged at epoch {epoch}, step {step}: {quantity} is {value}")]
pub struct Diverged {
    pub epoch: usize,
    /// The optimiser step within the epoch (1-based; 0: checked after the epoch).
    pub step: usize,
    /// The first non-finite quantity, e.g. `ner loss`, `gradient norm`, `weight crf.transitions`.
    pub quantity: String,
    pub value: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule, written as the loop the trainer runs: train an epoch, then
    /// stop when out of budget or of patience.
    fn brute_force(dev: &[f64], epochs: usize, patience: usize) -> Option<(usize, EndedBy)> {
        for n in 1..=dev.len() {
            let best = best_epoch(&dev[..n]).unwrap_or(0);
            if n - best >= patience {
                return Some((n, EndedBy::Patience));
            }
            if n >= epochs {
                return Some((n, EndedBy::Budget));
            }
        }
        None
    }

    #[test]
    fn the_rule_matches_the_loop_on_every_small_curve() {
        // Every curve of length 6 over three levels, every budget and patience.
        for code in 0..3usize.pow(6) {
            let dev: Vec<f64> = (0..6)
                .map(|i| ((code / 3usize.pow(i)) % 3) as f64)
                .collect();
            for epochs in 1..8 {
                for patience in 1..8 {
                    assert_eq!(
                        stopping_point(&dev, epochs, patience),
                        brute_force(&dev, epochs, patience),
                        "{dev:?} epochs {epochs} patience {patience}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_curve_still_rising_at_its_end_goes_on_under_a_larger_budget() {
        let dev = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(stopping_point(&dev, 4, 2), Some((4, EndedBy::Budget)));
        assert_eq!(stopping_point(&dev, 10, 2), None);
        let flat = [5.0, 4.0, 4.0, 3.0];
        assert_eq!(stopping_point(&flat, 10, 3), Some((4, EndedBy::Patience)));
        assert_eq!(best_epoch(&flat), Some(1));
    }
}
