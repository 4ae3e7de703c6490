//! Multi-head self-attention (§3.3, eq. 6–8) over a BiLSTM's outputs.
//!
//! Q = K = V = H, the BiLSTM output (`[batch, seq, d]`, d = 2·d_h). Each of the
//! h heads attends in d_k = d / h dimensions (eq. 6–7); the heads are joined
//! and projected by W_o (eq. 8). Padding keys are masked out, so a real
//! character never attends to padding. As in the released code, the result is
//! added to H (a residual connection) and layer-normalised.
//!
//! [`AttentionForm::Released`] is the released code's variant: ReLU after the
//! Q/K/V maps, no W_o, and dropout on the attention probabilities.

use tch::{nn, nn::Module, Kind, Tensor};

use crate::bilstm::{dropout, xavier};
use crate::config::AttentionForm;
use crate::precision::{cast, linear};

/// The released code's dropout rate on the attention probabilities.
pub const RELEASED_ATTENTION_DROPOUT: f64 = 0.3;

#[derive(Debug)]
pub struct SelfAttention {
    /// W^Q, W^K and W^V of every head, stacked: one matrix product instead of three.
    query_key_value: nn::Linear,
    /// W_o (eq. 8); the released form has none.
    output: Option<nn::Linear>,
    norm: nn::LayerNorm,
    heads: i64,
    form: AttentionForm,
}

impl SelfAttention {
    /// `dim` must be divisible by `heads`.
    pub fn new(vs: &nn::Path, dim: i64, heads: i64, form: AttentionForm) -> Self {
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
            output: (form == AttentionForm::Paper).then(|| linear("output", dim)),
            norm: nn::layer_norm(vs / "norm", vec![dim], Default::default()),
            heads,
            form,
        }
    }

    /// `h`: `[batch, seq, dim]`; `mask`: `[batch, seq]`, true at real characters;
    /// `train` switches on the released form's dropout. Computes in the kind of
    /// `h` (the fp32 weights are cast to it).
    pub fn forward(&self, h: &Tensor, mask: &Tensor, train: bool) -> Tensor {
        let (batch, seq, dim) = h.size3().expect("attention input is [batch, seq, dim]");
        let d_k = dim / self.heads;
        let mut qkv = linear(&self.query_key_value, h);
        if self.form == AttentionForm::Released {
            qkv = qkv.relu();
        }
        let qkv = qkv
            .view([batch, seq, 3, self.heads, d_k])
            .permute([2, 0, 3, 1, 4]); // [3, batch, heads, seq, d_k]
        let (q, k, v) = (qkv.get(0), qkv.get(1), qkv.get(2));
        let heads = match (self.form, train) {
            (AttentionForm::Released, true) => {
                attend_dropping(&q, &k, &v, mask, RELEASED_ATTENTION_DROPOUT)
            }
            _ => attend(&q, &k, &v, mask),
        }; // [batch, heads, seq, d_k]
        let joined = heads.transpose(1, 2).contiguous().view([batch, seq, dim]);
        let attended = match &self.output {
            Some(output) => linear(output, &joined), // eq. 8
            None => joined,
        };
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

/// eq. 6–7 written out, with inverted dropout on the attention probabilities
/// (the released form in training): scores, −∞ at padding keys, softmax,
/// dropout, weighted sum; in fp32.
fn attend_dropping(q: &Tensor, k: &Tensor, v: &Tensor, mask: &Tensor, p: f64) -> Tensor {
    let (batch, seq) = mask.size2().expect("mask is [batch, seq]");
    let kind = q.kind();
    let [q, k, v] = [q, k, v].map(|t| cast(t, Kind::Float));
    let d_k = q.size()[3] as f64;
    let padding = mask.logical_not().view([batch, 1, 1, seq]);
    let probabilities = (q.matmul(&k.transpose(2, 3)) / d_k.sqrt())
        .masked_fill(&padding, f64::NEG_INFINITY)
        .softmax(-1, Kind::Float);
    cast(&dropout(&probabilities, p, true).matmul(&v), kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bilstm::length_mask;
    use tch::Device;

    fn released(dim: i64, heads: i64) -> (nn::VarStore, SelfAttention) {
        let vs = nn::VarStore::new(Device::Cpu);
        let attention = SelfAttention::new(&vs.root(), dim, heads, AttentionForm::Released);
        (vs, attention)
    }

    #[test]
    fn the_released_form_has_no_output_projection() {
        let (vs, _) = released(8, 2);
        let paper_vs = nn::VarStore::new(Device::Cpu);
        let _ = SelfAttention::new(&paper_vs.root(), 8, 2, AttentionForm::Paper);
        let names = |vs: &nn::VarStore| {
            let mut n: Vec<String> = vs.variables().into_keys().collect();
            n.sort();
            n
        };
        assert!(names(&paper_vs).iter().any(|n| n.starts_with("output")));
        assert!(!names(&vs).iter().any(|n| n.starts_with("output")));
        assert_eq!(names(&vs).len() + 2, names(&paper_vs).len());
    }

    #[test]
    fn the_released_form_evaluates_as_written_and_drops_only_in_training() {
        tch::manual_seed(21);
        let (vs, attention) = released(8, 2);
        let h = Tensor::randn([2, 5, 8], (Kind::Float, Device::Cpu));
        let mask = length_mask(&Tensor::from_slice(&[5i64, 3]), 5, Device::Cpu);
        // By hand: ReLU(dense), per-head attention, heads joined, no W_o,
        // residual, layer norm (weight 1, bias 0 at initialisation).
        let vars = vs.variables();
        let qkv = (h.matmul(&vars["query_key_value.weight"].tr()) + &vars["query_key_value.bias"])
            .relu()
            .view([2, 5, 3, 2, 4])
            .permute([2, 0, 3, 1, 4]);
        let heads = attend(&qkv.get(0), &qkv.get(1), &qkv.get(2), &mask);
        let joined = heads.transpose(1, 2).contiguous().view([2, 5, 8]);
        let by_hand = (&h + joined).layer_norm([8], None::<Tensor>, None::<Tensor>, 1e-5, false);
        let evaluated = attention.forward(&h, &mask, false);
        assert!(evaluated.allclose(&by_hand, 1e-5, 1e-5, false));
        let trained = attention.forward(&h, &mask, true);
        assert!(!trained.allclose(&evaluated, 1e-3, 1e-3, false));
    }

    #[test]
    fn dropping_attention_at_rate_zero_is_the_fused_kernel() {
        tch::manual_seed(4);
        let [q, k, v] = [0, 1, 2].map(|_| Tensor::randn([2, 3, 6, 4], (Kind::Float, Device::Cpu)));
        let mask = length_mask(&Tensor::from_slice(&[6i64, 2]), 6, Device::Cpu);
        let written = attend_dropping(&q, &k, &v, &mask, 0.0);
        assert!(written.allclose(&attend(&q, &k, &v, &mask), 1e-5, 1e-6, false));
    }

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
        let attention = SelfAttention::new(&vs.root(), 16, 4, AttentionForm::Paper);
        let h = Tensor::randn([3, 7, 16], (Kind::Float, Device::Cpu));
        let mask = length_mask(&Tensor::from_slice(&[7i64, 4, 1]), 7, Device::Cpu);
        let full = attention.forward(&h, &mask, false);
        let half = attention.forward(&h.to_kind(Kind::BFloat16), &mask, false);
        assert_eq!(half.kind(), Kind::BFloat16);
        // Layer-normalised outputs of unit scale, rounded to 8 mantissa bits twice.
        let gap = (half.to_kind(Kind::Float) - full).abs().max();
        assert!(gap.double_value(&[]) < 0.1, "{gap:?}");
    }

    #[test]
    fn padding_keys_are_ignored() {
        tch::manual_seed(5);
        let vs = nn::VarStore::new(Device::Cpu);
        let attention = SelfAttention::new(&vs.root(), 8, 2, AttentionForm::Paper);
        let sentence = Tensor::randn([1, 3, 8], (Kind::Float, Device::Cpu));
        let alone = attention.forward(
            &sentence,
            &length_mask(&Tensor::from_slice(&[3i64]), 3, Device::Cpu),
            false,
        );
        let garbage = Tensor::full([1, 5, 8], 9.0, (Kind::Float, Device::Cpu));
        let padded = Tensor::cat(&[&sentence, &garbage], 1);
        let mask = length_mask(&Tensor::from_slice(&[3i64]), 8, Device::Cpu);
        let out = attention.forward(&padded, &mask, false).narrow(1, 0, 3);
        assert!(out.allclose(&alone, 1e-5, 1e-6, false));
    }

    #[test]
    fn output_keeps_the_input_shape() {
        let vs = nn::VarStore::new(Device::Cpu);
        let attention = SelfAttention::new(&vs.root(), 240, 8, AttentionForm::Paper);
        let h = Tensor::randn([2, 4, 240], (Kind::Float, Device::Cpu));
        let mask = Tensor::ones([2, 4], (Kind::Bool, Device::Cpu));
        assert_eq!(attention.forward(&h, &mask, false).size(), [2, 4, 240]);
    }
}
