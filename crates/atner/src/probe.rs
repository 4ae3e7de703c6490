//! A probe of the shared space: does adversarial training (§3.5) remove
//! task information from the shared BiLSTM's features?
//!
//! The discriminator's own accuracy cannot say: it is trained against the
//! encoder it reads (and not at all at λ = 0, where λ also scales its loss).
//! A probe freezes a finished run's encoder and fits a *fresh* classifier —
//! the discriminator's form, a linear map of the max-pooled features (eq.
//! 15–16) — to tell NER sentences from CWS sentences, then scores it on
//! sentences it was not fitted on. Accuracy near 0.5 means the pooled
//! features carry little linearly readable task information.

use tch::{nn, nn::Module, nn::OptimizerConfig, Device, Kind, Tensor};

/// Steps of full-batch Adam that fit the probe (its loss has flattened by
/// then on WeiboNER-sized inputs; the fit is convex).
pub const STEPS: usize = 300;
/// The probe's learning rate.
pub const LR: f64 = 0.05;

/// Held-out correct guesses of a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    pub correct: usize,
    pub total: usize,
}

impl Score {
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.total.max(1) as f64
    }
}

/// Fits a linear two-class probe on `fit` (features `[n, dim]`, labels
/// `[n]` in {0, 1}) and scores it on `held_out`. Features are standardised
/// by the fitting set's mean and spread; `seed` draws the initial weights.
pub fn fit_and_score(
    fit: (&Tensor, &Tensor),
    held_out: (&Tensor, &Tensor),
    seed: i64,
) -> Result<Score, tch::TchError> {
    tch::manual_seed(seed);
    let (x, y) = fit;
    let mean = x.mean_dim([0i64].as_slice(), true, Kind::Float);
    let std = x.std_dim([0i64].as_slice(), true, true).clamp_min(1e-6);
    let standard = |t: &Tensor| (t - &mean) / &std;
    let vs = nn::VarStore::new(Device::Cpu);
    let dim = x.size()[1];
    let probe = nn::linear(vs.root() / "probe", dim, 2, Default::default());
    let mut adam = nn::Adam::default().build(&vs, LR)?;
    let xs = standard(x).detach();
    for _ in 0..STEPS {
        let loss = probe.forward(&xs).cross_entropy_for_logits(y);
        adam.backward_step(&loss);
    }
    let (hx, hy) = held_out;
    let guessed = tch::no_grad(|| probe.forward(&standard(hx)).argmax(1, false));
    let correct = guessed.eq_tensor(hy).sum(Kind::Int64).int64_value(&[]);
    Ok(Score {
        correct: correct as usize,
        total: hy.size()[0] as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(n: i64, shift: f64, seed: i64) -> (Tensor, Tensor) {
        tch::manual_seed(seed);
        let y = Tensor::arange(n, (Kind::Int64, Device::Cpu)).remainder(2);
        let x = Tensor::randn([n, 8], (Kind::Float, Device::Cpu));
        // Class 1 is moved along the first axis by `shift`.
        let moved = x.select(1, 0) + y.to_kind(Kind::Float) * shift;
        let x = Tensor::cat(&[moved.unsqueeze(1), x.narrow(1, 1, 7)], 1);
        (x, y)
    }

    #[test]
    fn a_probe_reads_a_separable_task_and_not_an_absent_one() {
        let (fx, fy) = labelled(400, 6.0, 7);
        let (hx, hy) = labelled(400, 6.0, 8);
        let separable = fit_and_score((&fx, &fy), (&hx, &hy), 1).expect("fits");
        assert_eq!(separable.total, 400);
        assert!(separable.accuracy() > 0.98, "{separable:?}");
        // No task information: the held-out labels are unrelated to the features.
        let (fx, fy) = labelled(400, 0.0, 7);
        let (hx, hy) = labelled(400, 0.0, 8);
        let chance = fit_and_score((&fx, &fy), (&hx, &hy), 1).expect("fits");
        assert!((chance.accuracy() - 0.5).abs() < 0.1, "{chance:?}");
    }
}
