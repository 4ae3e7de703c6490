//! Adversarial training (§3.5, eq. 15–17): a task discriminator reads the shared
//! features through a gradient-reversal layer, so that minimising its loss
//! trains the discriminator while pushing the shared BiLSTM toward features from
//! which the task (NER or CWS) cannot be told.

use tch::{nn, nn::Module, Kind, Tensor};

use crate::bilstm::xavier;
use crate::config::DiscriminatorPool;

/// The released code pads every sentence to this many characters.
pub const RELEASED_LENGTH: i64 = 80;

/// Identity forward, gradient multiplied by −1 backward.
///
/// tch has no custom-backward hook, so the reversal is built from `detach`:
/// y = 2·x.detach() − x has value x and gradient −1. The loss weight λ of eq. 18
/// is applied to the adversarial loss itself, so both the discriminator's and the
/// encoder's gradients carry it.
pub fn gradient_reversal(x: &Tensor) -> Tensor {
    x.detach() * 2.0 - x
}

/// Eq. 15: the sentence vector `[batch, dim]` the discriminator reads, the
/// shared features `[batch, seq, dim]` max-pooled over real characters (or,
/// as the released code, over 80 positions of which the padding is zero).
pub fn max_pool(shared: &Tensor, mask: &Tensor, pool: DiscriminatorPool) -> Tensor {
    let padding = mask.logical_not().unsqueeze(2); // [batch, seq, 1]
    let pooled = shared
        .masked_fill(&padding, f64::NEG_INFINITY)
        .amax([1], false);
    if pool == DiscriminatorPool::Masked {
        return pooled;
    }
    // The zero features of the positions up to 80 join the pool.
    let lengths = mask.sum_dim_intlist([1i64].as_slice(), false, Kind::Int64);
    let short = lengths.lt(RELEASED_LENGTH).unsqueeze(1); // [batch, 1]
    pooled.where_self(&short.logical_not(), &pooled.clamp_min(0.0))
}

/// Eq. 15–17: max-pool the shared features over real characters, classify the task.
#[derive(Debug)]
pub struct TaskDiscriminator {
    classify: nn::Linear,
    pool: DiscriminatorPool,
}

/// The tasks the discriminator tells apart (K = 2).
pub const TASKS: i64 = 2;

impl TaskDiscriminator {
    pub fn new(vs: &nn::Path, dim: i64, pool: DiscriminatorPool) -> Self {
        let config = nn::LinearConfig {
            ws_init: xavier(TASKS, dim),
            ..Default::default()
        };
        Self {
            classify: nn::linear(vs / "classify", dim, TASKS, config),
            pool,
        }
    }

    /// Task logits `[batch, 2]` from shared features `[batch, seq, dim]`.
    pub fn forward(&self, shared: &Tensor, mask: &Tensor) -> Tensor {
        let pooled = max_pool(shared, mask, self.pool);
        self.classify.forward(&gradient_reversal(&pooled)) // eq. 16, before the softmax
    }

    /// How it pools the shared features.
    pub fn pool(&self) -> DiscriminatorPool {
        self.pool
    }

    /// Cross-entropy of the discriminator for a batch of one task (eq. 17).
    pub fn loss(&self, shared: &Tensor, mask: &Tensor, task: i64) -> (Tensor, Tensor) {
        let logits = self.forward(shared, mask);
        let target = Tensor::full([logits.size()[0]], task, (Kind::Int64, logits.device()));
        let loss = logits.cross_entropy_for_logits(&target);
        let correct = logits
            .argmax(1, false)
            .eq_tensor(&target)
            .to_kind(Kind::Float)
            .sum(Kind::Float);
        (loss, correct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bilstm::length_mask;
    use tch::Device;

    #[test]
    fn reversal_is_identity_forward_and_negates_gradients() {
        let x = Tensor::from_slice(&[1.5f32, -2.0, 3.0]).set_requires_grad(true);
        let y = gradient_reversal(&x);
        assert!(y.allclose(&x, 0.0, 0.0, false));
        (&y * Tensor::from_slice(&[1f32, 2., 3.]))
            .sum(Kind::Float)
            .backward();
        let grad = x.grad();
        assert!(grad.allclose(&Tensor::from_slice(&[-1f32, -2., -3.]), 0.0, 0.0, false));
    }

    #[test]
    fn encoder_gradient_opposes_discriminator_gradient() {
        // The shared features get the opposite of the gradient they would get
        // without the reversal layer: the encoder maximises the discriminator's loss.
        tch::manual_seed(21);
        let vs = nn::VarStore::new(Device::Cpu);
        let disc = TaskDiscriminator::new(&vs.root(), 4, DiscriminatorPool::Masked);
        let features = Tensor::randn([3, 5, 4], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        let mask = length_mask(&Tensor::from_slice(&[5i64, 2, 4]), 5, Device::Cpu);
        let (loss, _) = disc.loss(&features, &mask, 1);
        loss.backward();
        let reversed = features.grad().copy();
        let plain = features.detach().set_requires_grad(true);
        let pooled = plain
            .masked_fill(&mask.logical_not().unsqueeze(2), f64::NEG_INFINITY)
            .amax([1], false);
        let target = Tensor::from_slice(&[1i64, 1, 1]);
        disc.classify
            .forward(&pooled)
            .cross_entropy_for_logits(&target)
            .backward();
        assert!(reversed.abs().sum(Kind::Float).double_value(&[]) > 0.0);
        assert!(reversed.allclose(&(-plain.grad()), 1e-6, 1e-7, false));
    }

    #[test]
    fn the_padded_pool_sees_the_zeros_of_an_80_character_buffer() {
        tch::manual_seed(23);
        let vs = nn::VarStore::new(Device::Cpu);
        let padded = TaskDiscriminator::new(&vs.root(), 3, DiscriminatorPool::Padded);
        let masked = TaskDiscriminator {
            classify: nn::Linear {
                ws: padded.classify.ws.shallow_clone(),
                bs: padded.classify.bs.as_ref().map(Tensor::shallow_clone),
            },
            pool: DiscriminatorPool::Masked,
        };
        // All features negative: the released pool's maximum is the padding's 0.
        let features = -Tensor::rand([2, 4, 3], (Kind::Float, Device::Cpu)) - 0.5;
        let mask = length_mask(&Tensor::from_slice(&[4i64, 2]), 4, Device::Cpu);
        let zero_pooled = padded
            .classify
            .forward(&Tensor::zeros([2, 3], (Kind::Float, Device::Cpu)));
        assert!(padded
            .forward(&features, &mask)
            .allclose(&zero_pooled, 1e-6, 1e-6, false));
        assert!(!masked
            .forward(&features, &mask)
            .allclose(&zero_pooled, 1e-3, 1e-3, false));
        // Positive features: both pools agree.
        let positive = features.abs();
        let (a, b) = (
            padded.forward(&positive, &mask),
            masked.forward(&positive, &mask),
        );
        assert!(a.allclose(&b, 1e-6, 1e-6, false));
    }

    #[test]
    fn max_pool_ignores_padding() {
        tch::manual_seed(22);
        let vs = nn::VarStore::new(Device::Cpu);
        let disc = TaskDiscriminator::new(&vs.root(), 4, DiscriminatorPool::Masked);
        let sentence = Tensor::randn([1, 2, 4], (Kind::Float, Device::Cpu));
        let alone = disc.forward(&sentence, &Tensor::ones([1, 2], (Kind::Bool, Device::Cpu)));
        let padded = Tensor::cat(
            &[
                &sentence,
                &Tensor::full([1, 3, 4], 100.0, (Kind::Float, Device::Cpu)),
            ],
            1,
        );
        let mask = length_mask(&Tensor::from_slice(&[2i64]), 5, Device::Cpu);
        assert!(disc
            .forward(&padded, &mask)
            .allclose(&alone, 1e-6, 1e-6, false));
    }
}
