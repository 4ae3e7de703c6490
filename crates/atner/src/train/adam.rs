//! Adam (§4.2) with clipping by global gradient norm (the released code clips at 5).
//!
//! Written out rather than taken from `tch::nn::Optimizer` because its moment
//! estimates must be saved and restored: a resumed run has to end with exactly
//! the numbers of an uninterrupted one.

use tch::{Kind, Tensor};

use crate::config::InactiveStep;

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
    inactive: InactiveStep,
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
            inactive: InactiveStep::Skip,
        }
    }

    /// The same optimiser, treating weights outside a step's graph as `inactive` says.
    pub fn with_inactive_step(mut self, inactive: InactiveStep) -> Self {
        self.inactive = inactive;
        self
    }

    /// Back-propagates `loss`, clips, and updates the parameters `loss` depends on.
    ///
    /// Gradients are taken directly (not accumulated in `.grad`), so a parameter
    /// outside this batch's graph (the other task's head) has no gradient and is
    /// left alone, as PyTorch does with gradients set to `None`. This also makes
    /// the update depend on nothing but the saved state, so resuming is exact.
    ///
    /// Returns the gradients' global norm before clipping; a non-finite norm
    /// means the step has written non-finite weights (the caller stops).
    pub fn backward_step(&mut self, loss: &Tensor) -> f64 {
        let params: Vec<&Tensor> = self.params.iter().map(|(_, p)| p).collect();
        let grads = Tensor::run_backward(&[loss], &params, false, false);
        tch::no_grad(|| self.update(grads.into_iter().map(defined).collect()))
    }

    /// One Adam step (Kingma & Ba, Algorithm 1) after clipping the global norm.
    ///
    /// Written with in-place calls where libtorch has them: a step makes a few
    /// hundred small calls over the parameters, and their count, not their
    /// arithmetic, is what the optimiser costs.
    fn update(&mut self, grads: Vec<Option<Tensor>>) -> f64 {
        let norm = global_norm(&grads);
        let scale = if norm > self.clip {
            self.clip / (norm + 1e-6)
        } else {
            1.0
        };
        self.step += 1;
        let beta1 = crate::killpoint::constant("adam.beta1", BETA1);
        let correction1 = 1.0 - beta1.powi(self.step as i32);
        let correction2 = 1.0 - BETA2.powi(self.step as i32);
        let step_size = self.lr / correction1;
        let sqrt_correction2 = correction2.sqrt();
        for (i, grad) in grads.into_iter().enumerate() {
            // Gradients are never written to: autograd may hand back a
            // broadcast view (the gradient of a sum), which in-place ops reject.
            let grad = match (grad, self.inactive) {
                (Some(grad), _) => grad,
                (None, InactiveStep::Skip) => continue,
                // A zero gradient: the moments decay and still move the weight.
                (None, InactiveStep::Adam) => self.params[i].1.zeros_like(),
            };
            let grad = if scale == 1.0 { grad } else { grad * scale };
            let _ = self.m[i].lerp_(&grad, 1.0 - beta1);
            let _ = self.v[i].lerp_(&grad.square(), 1.0 - BETA2);
            // p ← p − lr/c1 · m / (√(v/c2) + ε)
            let mut denom = self.v[i].sqrt();
            let _ = denom.g_div_scalar_(sqrt_correction2).g_add_scalar_(EPS);
            let _ = self.params[i].1.g_sub_(&(&self.m[i] / &denom * step_size));
        }
        norm
    }
}

/// ‖g‖₂ over every defined gradient, with one read-back instead of one per tensor.
fn global_norm(grads: &[Option<Tensor>]) -> f64 {
    let norms: Vec<Tensor> = grads.iter().flatten().map(Tensor::norm).collect();
    if norms.is_empty() {
        return 0.0;
    }
    Tensor::stack(&norms, 0)
        .square()
        .sum(Kind::Double)
        .double_value(&[])
        .sqrt()
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
    fn three_steps_follow_the_textbook_update_with_clipping() {
        // Kingma & Ba's Algorithm 1 in f64, with the gradient clipped to norm 5
        // first; the second gradient (norm 50) is clipped, the others are not.
        let grads = [[0.3, -0.4, 1.2], [30.0, 40.0, 0.0], [-0.5, 0.1, 0.02]];
        let (lr, clip) = (0.01, 5.0);
        let w = Tensor::from_slice(&[0.5f32, -1.0, 2.0]).set_requires_grad(true);
        let mut adam = Adam::new(vec![("w".into(), w.shallow_clone())], lr, clip);
        let (mut p, mut m, mut v) = ([0.5f64, -1.0, 2.0], [0.0; 3], [0.0; 3]);
        for (t, g) in grads.iter().enumerate() {
            let loss = (&w * Tensor::from_slice(g).to_kind(Kind::Float)).sum(Kind::Float);
            adam.backward_step(&loss);
            let norm = g.iter().map(|x| x * x).sum::<f64>().sqrt();
            let scale = if norm > clip {
                clip / (norm + 1e-6)
            } else {
                1.0
            };
            let step = t as i32 + 1;
            for k in 0..3 {
                let g = g[k] * scale;
                m[k] = BETA1 * m[k] + (1.0 - BETA1) * g;
                v[k] = BETA2 * v[k] + (1.0 - BETA2) * g * g;
                let m_hat = m[k] / (1.0 - BETA1.powi(step));
                let v_hat = v[k] / (1.0 - BETA2.powi(step));
                p[k] -= lr * m_hat / (v_hat.sqrt() + EPS);
            }
            let expected = Tensor::from_slice(&p).to_kind(Kind::Float);
            assert!(
                w.allclose(&expected, 1e-6, 1e-6, false),
                "step {step}: {w} vs {expected}"
            );
        }
    }

    #[test]
    fn a_zero_learning_rate_leaves_the_weights_alone() {
        let w = Tensor::from_slice(&[1.0f32, -2.0]).set_requires_grad(true);
        let mut adam = Adam::new(vec![("w".into(), w.shallow_clone())], 0.0, 5.0);
        let loss = (&w * Tensor::from_slice(&[3.0f32, 0.0])).sum(Kind::Float);
        adam.backward_step(&loss);
        assert!(w.equal(&Tensor::from_slice(&[1.0f32, -2.0])), "{w}");
    }

    #[test]
    fn an_inactive_weight_is_skipped_or_moved_by_its_moments() {
        let (lr, g1) = (0.01, [0.3f64, -0.4]);
        for inactive in [InactiveStep::Skip, InactiveStep::Adam] {
            let w = Tensor::from_slice(&[0.5f32, -1.0]).set_requires_grad(true);
            let other = Tensor::from_slice(&[2.0f32]).set_requires_grad(true);
            let params = vec![
                ("w".into(), w.shallow_clone()),
                ("x".into(), other.shallow_clone()),
            ];
            let mut adam = Adam::new(params, lr, 5.0).with_inactive_step(inactive);
            let g = Tensor::from_slice(&g1).to_kind(Kind::Float);
            adam.backward_step(&((&w * &g).sum(Kind::Float) + &other * 1.0).sum(Kind::Float));
            let after_one = Vec::<f32>::try_from(&w.detach()).unwrap();
            // Step 2 reaches only `other`: w's gradient is undefined.
            adam.backward_step(&(&other * 2.0).sum(Kind::Float));
            let after_two = Vec::<f32>::try_from(&w.detach()).unwrap();
            for k in 0..2 {
                let expected = match inactive {
                    InactiveStep::Skip => after_one[k] as f64,
                    InactiveStep::Adam => {
                        // Algorithm 1 with g = 0 at step 2.
                        let m = BETA1 * (1.0 - BETA1) * g1[k];
                        let v = BETA2 * (1.0 - BETA2) * g1[k] * g1[k];
                        let (m_hat, v_hat) = (m / (1.0 - BETA1.powi(2)), v / (1.0 - BETA2.powi(2)));
                        after_one[k] as f64 - lr * m_hat / (v_hat.sqrt() + EPS)
                    }
                };
                assert!(
                    (after_two[k] as f64 - expected).abs() < 1e-6,
                    "{inactive:?}: {after_two:?}"
                );
            }
            let moved = after_two != after_one;
            assert_eq!(moved, inactive == InactiveStep::Adam);
        }
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
