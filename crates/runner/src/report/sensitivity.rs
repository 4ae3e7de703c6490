//! Whether a verdict depends on the epoch budget, from the committed epoch
//! records alone, no training. Early stopping reads only the dev curve, so
//! a run with a smaller cap is a prefix of the committed run: the first
//! epoch after which its patience ran out, or the cap
//! (`atner::train::stop::stopping_point`). A committed run that its own
//! budget ended before a cap tells nothing about that cap and is left out
//! there; the table says how many runs each cap keeps and how many it ends.

use atner::train::stop::{best_epoch, stopping_point};
use atner::train::{EndedBy, TrainState};

use super::paper::Dataset;
use super::verdict::{Claim, Measurement, Protocol, Runs};

/// Caps are multiples of this many epochs.
pub const STEP: usize = 10;

/// The state a run would have ended in with at most `cap` epochs and its
/// `patience`; `None` when its records end before that is decided.
pub fn capped(state: &TrainState, cap: usize, patience: usize) -> Option<TrainState> {
    let curve = state.dev_curve();
    let (end, _) = stopping_point(&curve, cap, patience)?;
    Some(TrainState {
        records: state.records[..end].to_vec(),
        best_epoch: best_epoch(&curve[..end]),
    })
}

/// The claims of one dataset at one cap.
#[derive(Debug, Clone)]
pub struct CapRow {
    pub cap: usize,
    /// Runs whose ending at this cap the records decide.
    pub kept: usize,
    /// Of those, runs the cap ends (not their patience): where it binds.
    pub by_cap: usize,
    pub claims: Vec<(Claim, Measurement)>,
}

/// Every claim of `claims` on `dataset` at the caps 10, 20, … up to the
/// longest run, dev-selected.
pub fn budget(runs: &Runs, dataset: Dataset, claims: &[Claim]) -> Vec<CapRow> {
    let longest = runs
        .on(dataset)
        .map(|(s, _)| s.records.len())
        .max()
        .unwrap_or(0);
    (1..=longest / STEP)
        .map(|k| k * STEP)
        .map(|cap| {
            let at = runs.filter_map(|s, patience| capped(s, cap, patience));
            let (mut kept, mut by_cap) = (0, 0);
            for (s, patience) in runs.on(dataset) {
                if let Some((_, by)) = stopping_point(&s.dev_curve(), cap, patience) {
                    kept += 1;
                    by_cap += usize::from(by == EndedBy::Budget);
                }
            }
            CapRow {
                cap,
                kept,
                by_cap,
                claims: claims
                    .iter()
                    .filter(|c| c.dataset() == dataset)
                    .map(|c| (*c, c.measure(&at, Protocol::DevSelected)))
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::verdict::tests::state_of;

    #[test]
    fn a_cap_is_the_prefix_early_stopping_would_have_trained() {
        // Best dev at epoch 2; patience 2 ends it at epoch 4.
        let s = state_of(&[10, 50, 40, 45, 60, 20], &[1, 2, 3, 4, 5, 6]);
        let at = |cap, patience| capped(&s, cap, patience).map(|c| (c.records.len(), c.best_epoch));
        assert_eq!(at(3, 2), Some((3, Some(2))));
        assert_eq!(at(10, 2), Some((4, Some(2))));
        // Patience 3 sees epoch 5's 60: the records end before it is decided.
        assert_eq!(at(6, 3), Some((6, Some(5))));
        assert_eq!(at(10, 3), None);
        // A cap's prefix, trained on, ends where the full record says.
        let five = capped(&s, 5, 3).expect("decided");
        assert_eq!(Protocol::DevSelected.score(&five), Some(5.0));
    }
}
