//! Multi-head self-attention (§3.3, eq. 6–8) over a BiLSTM's outputs.
//!
//! Q = K = V = H, the BiLSTM output (`[batch, seq, d]`, d = 2·d_h). Each of the
//! h heads attends in d_k = d / h dimensions (eq. 6–7); the heads are joined
//! and projected by W_o (eq. 8). Padding keys are masked out, so a real
//! character never attends to padding. As in the released code, the result is
//! added to H (a residual connection) and layer-normalised.

use tch::{nn, nn::Module, Kind, Tensor};

use crate::bilstm::xavier;
use crate::precision::{cast, linear};

#[derive(Debug)]
pub struct SelfAttention {
    /// W^Q, W^K and W^V of every head, stacked: one matrix product instead of three.
    query_key_value: nn::Linear,
    output: nn::Linear,
    norm: nn::LayerNorm,
    heads: i64,
}

impl SelfAttention {
    /// `dim` must be divisible by `heads`.
    pub fn new(vs: &nn::Path, dim: i64, heads: i64) -> Self {
        assert!(
            dim % heads == 0,
            "attention width {dim} is not divisible by {heads} heads"
        );
        let linear = |name: &str, out: i64| {
            let config = nn::LinearConfig {
                ws_init: xavier(dim, dim),
                ..Default::default()
            };
            nn::linear(vs / name, dim, out, config)
        };
        Self {
            query_key_value: linear("query_key_value", 3 * dim),
            output: linear("output", dim),
            norm: nn::layer_norm(vs / "norm", vec![dim], Default::default()),
            heads,
        }
    }

    /// `h`: `[batch, seq, dim]`; `mask`: `[batch, seq]`, true at real characters.
    /// Computes in the kind of `h` (the fp32 weights are cast to it).
    pub fn forward(&self, h: &Tensor, mask: &Tensor) -> Tensor {
        let (batch, seq, dim) = h.size3().expect("attention input is [batch, seq, dim]");
        let d_k = dim / self.heads;
        let qkv = linear(&self.query_key_value, h)
            .view([batch, seq, 3, self.heads, d_k])
            .permute([2, 0, 3, 1, 4]); // [3, batch, heads, seq, d_k]
        let heads = attend(&qkv.get(0), &qkv.get(1), &qkv.get(2), mask); // [batch, heads, seq, d_k]
        let joined = heads.transpose(1, 2).contiguous().view([batch, seq, dim]);
        let attended = linear(&self.output, &joined); // eq. 8
                                                      // Layer norm sums over the features: fp32, as autocast does it.
        let normed = self.norm.forward(&cast(&(h + attended), Kind::Float));
        cast(&normed, h.kind()) // [batch, seq, dim]
    }
}

/// Scaled dot-product attention of every head (eq. 6–7):
/// softmax(Q·Kᵀ/√d_k)·V, each query reading only the real keys of its sentence.
/// q, k, v: `[batch, heads, seq, d_k]`; mask: `[batch, seq]`, true at real characters.
///
/// One fused libtorch kernel (flash attention on the CPU): the `[batch, heads,
/// seq, seq]` score matrix is never stored, which is what made batches of long
/// CWS sentences slow and memory-hungry. Always in fp32: on the CPU this kernel
/// is 1.2–2.5× slower in bf16, and written out in bf16 its scores cost memory
/// quadratic in the length, 2× slower than fp32 at 250 characters (BENCHMARKS.md).
fn attend(q: &Tensor, k: &Tensor, v: &Tensor, mask: &Tensor) -> Tensor {
    let (batch, seq) = mask.size2().expect("mask is [batch, seq]");
    let real_keys = mask.view([batch, 1, 1, seq]);
    let kind = q.kind();
    let [q, k, v] = [q, k, v].map(|t| cast(t, Kind::Float));
    let heads =
        Tensor::scaled_dot_product_attention(&q, &k, &v, Some(&real_keys), 0.0, false, None, false);
    cast(&heads, kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bilstm::length_mask;
    use tch::Device;

    /// eq. 6–7 written out: scores, −∞ at padding keys, softmax, weighted sum.
    fn attend_by_hand(q: &Tensor, k: &Tensor, v: &Tensor, mask: &Tensor) -> Tensor {
        let (batch, seq) = mask.size2().unwrap();
        let d_k = q.size()[3] as f64;
        let scores = q.matmul(&k.transpose(2, 3)) / d_k.sqrt();
        let padding = mask.logical_not().view([batch, 1, 1, seq]);
        scores
            .masked_fill(&padding, f64::NEG_INFINITY)
            .softmax(-1, Kind::Float)
            .matmul(v)
    }

    #[test]
    fn fused_attention_equals_the_equations_values_and_gradients() {
        tch::manual_seed(11);
        let opts = (Kind::Float, Device::Cpu);
        let [q, k, v] =
            [0, 1, 2].map(|_| Tensor::randn([3, 4, 7, 5], opts).set_requires_grad(true));
        let mask = length_mask(&Tensor::from_slice(&[7i64, 4, 1]), 7, Device::Cpu);
        let upstream = Tensor::randn([3, 4, 7, 5], opts);
        let run = |f: fn(&Tensor, &Tensor, &Tensor, &Tensor) -> Tensor| {
            let out = f(&q, &k, &v, &mask);
            let grads = Tensor::run_backward(
                &[(&out * &upstream).sum(Kind::Float)],
                &[&q, &k, &v],
                false,
                false,
            );
            (out.detach(), grads)
        };
        let (fused, fused_grads) = run(attend);
        let (by_hand, hand_grads) = run(attend_by_hand);
        assert!(fused.allclose(&by_hand, 1e-5, 1e-5, false));
        for (a, b) in fused_grads.iter().zip(&hand_grads) {
            assert!(a.allclose(b, 1e-4, 1e-5, false));
        }
    }

    #[test]
    fn bf16_attention_agrees_with_fp32() {
        tch::manual_seed(12);
        let vs = nn::VarStore::new(Device::Cpu);
        let attention = SelfAttention::new(&vs.root(), 16, 4);
        let h = Tensor::randn([3, 7, 16], (Kind::Float, Device::Cpu));
        let mask = length_mask(&Tensor::from_slice(&[7i64, 4, 1]), 7, Device::Cpu);
        let full = attention.forward(&h, &mask);
        let half = attention.forward(&h.to_kind(Kind::BFloat16), &mask);
        assert_eq!(half.kind(), Kind::BFloat16);
        // Layer-normalised outputs of unit scale, rounded to 8 mantissa bits twice.
        let gap = (half.to_kind(Kind::Float) - full).abs().max();
        assert!(gap.double_value(&[]) < 0.1, "{gap:?}");
    }

    #[test]
    fn padding_keys_are_ignored() {
        tch::manual_seed(5);
        let vs = nn::VarStore::new(Device::Cpu);
        let attention = SelfAttention::new(&vs.root(), 8, 2);
        let sentence = Tensor::randn([1, 3, 8], (Kind::Float, Device::Cpu));
        let alone = attention.forward(
            &sentence,
            &length_mask(&Tensor::from_slice(&[3i64]), 3, Device::Cpu),
        );
        let garbage = Tensor::full([1, 5, 8], 9.0, (Kind::Float, Device::Cpu));
        let padded = Tensor::cat(&[&sentence, &garbage], 1);
        let mask = length_mask(&Tensor::from_slice(&[3i64]), 8, Device::Cpu);
        let out = attention.forward(&padded, &mask).narrow(1, 0, 3);
        assert!(out.allclose(&alone, 1e-5, 1e-6, false));
    }

    #[test]
    fn output_keeps_the_input_shape() {
        let vs = nn::VarStore::new(Device::Cpu);
        let attention = SelfAttention::new(&vs.root(), 240, 8);
        let h = Tensor::randn([2, 4, 240], (Kind::Float, Device::Cpu));
        let mask = Tensor::ones([2, 4], (Kind::Bool, Device::Cpu));
        assert_eq!(attention.forward(&h, &mask).size(), [2, 4, 240]);
    }
}
