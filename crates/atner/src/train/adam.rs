//! Adam (§4.2) with clipping by global gradient norm (the released code clips at 5).
//!
//! Written out rather than taken from `tch::nn::Optimizer` because its moment
//! estimates must be saved and restored: a resumed run has to end with exactly
//! the numbers of an uninterrupted one.

use tch::{Kind, Tensor};

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

/// The optimiser's state for named parameters, in a fixed (sorted) order.
#[derive(Debug)]
pub struct Adam {
    pub(crate) params: Vec<(String, Tensor)>,
    pub(crate) m: Vec<Tensor>,
    pub(crate) v: Vec<Tensor>,
    pub(crate) step: i64,
    lr: f64,
    clip: f64,
}

impl Adam {
    pub fn new(mut params: Vec<(String, Tensor)>, lr: f64, clip: f64) -> Self {
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let zeros = |p: &Tensor| p.zeros_like();
        Self {
            m: params.iter().map(|(_, p)| zeros(p)).collect(),
            v: params.iter().map(|(_, p)| zeros(p)).collect(),
            params,
            step: 0,
            lr,
            clip,
        }
    }

    /// Back-propagates `loss`, clips, and updates the parameters `loss` depends on.
    ///
    /// Gradients are taken directly (not accumulated in `.grad`), so a parameter
    /// outside this batch's graph (the other task's head) has no gradient and is
    /// left alone, as PyTorch does with gradients set to `None`. This also makes
    /// the update depend on nothing but the saved state, so resuming is exact.
    pub fn backward_step(&mut self, loss: &Tensor) {
        let params: Vec<&Tensor> = self.params.iter().map(|(_, p)| p).collect();
        let grads = Tensor::run_backward(&[loss], &params, false, false);
        tch::no_grad(|| self.update(grads.into_iter().map(defined).collect()));
    }

    fn update(&mut self, grads: Vec<Option<Tensor>>) {
        let norm = grads
            .iter()
            .flatten()
            .map(|g| g.square().sum(Kind::Float).double_value(&[]))
            .sum::<f64>()
            .sqrt();
        let scale = if norm > self.clip {
            self.clip / (norm + 1e-6)
        } else {
            1.0
        };
        self.step += 1;
        let correction1 = 1.0 - BETA1.powi(self.step as i32);
        let correction2 = 1.0 - BETA2.powi(self.step as i32);
        for (i, grad) in grads.into_iter().enumerate() {
            let Some(grad) = grad else { continue };
            let grad = grad * scale;
            let m = &mut self.m[i];
            let v = &mut self.v[i];
            let _ = m.g_mul_scalar_(BETA1).g_add_(&(&grad * (1.0 - BETA1)));
            let _ = v
                .g_mul_scalar_(BETA2)
                .g_add_(&(grad.square() * (1.0 - BETA2)));
            let denom = (&*v / correction2).sqrt() + EPS;
            let update = &*m / correction1 / denom * self.lr;
            let _ = self.params[i].1.g_sub_(&update);
        }
    }
}

fn defined(t: Tensor) -> Option<Tensor> {
    t.defined().then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn first_step_moves_each_weight_by_lr() {
        // With bias correction, Adam's first step is lr·sign(g) (up to eps).
        let w = Tensor::from_slice(&[1.0f32, -2.0]).set_requires_grad(true);
        let mut adam = Adam::new(vec![("w".into(), w.shallow_clone())], 0.1, 100.0);
        let loss = (&w * Tensor::from_slice(&[3.0f32, -0.5])).sum(Kind::Float);
        adam.backward_step(&loss);
        let expected = Tensor::from_slice(&[0.9f32, -1.9]);
        assert!(w.allclose(&expected, 1e-5, 1e-6, false));
    }

    #[test]
    fn clipping_bounds_the_global_norm() {
        // The first Adam step is scale-free, so check the clipped first moment instead.
        let w = Tensor::zeros([2], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        let mut adam = Adam::new(vec![("w".into(), w.shallow_clone())], 0.1, 5.0);
        let loss = (&w * Tensor::from_slice(&[30.0f32, 40.0])).sum(Kind::Float);
        adam.backward_step(&loss);
        // g = (30, 40), |g| = 50 → clipped to (3, 4); m = 0.1·g.
        let expected = Tensor::from_slice(&[0.3f32, 0.4]);
        assert!(adam.m[0].allclose(&expected, 1e-5, 1e-6, false));
    }
}
