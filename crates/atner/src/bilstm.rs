//! BiLSTM feature extractors (§3.2, eq. 1–5): one private per task, one shared.
//!
//! Sentences of a batch have different lengths. The forward direction reads
//! the padded batch as it is (padding comes after every real character, so it
//! cannot reach them); the backward direction reads each sentence reversed
//! within its own length, so it too starts at the sentence's last character.
//! A sentence's outputs therefore never depend on how much padding its batch
//! carries. Outputs at padding positions are zero.
//!
//! Why not `pack_padded_sequence`: on the CPU, libtorch runs padded LSTMs with
//! oneDNN's fused kernels but packed ones step by step under autograd, whose
//! backward pass was measured 5–6× the forward; forward + backward of one BiLSTM
//! is about 5× faster padded (see BENCHMARKS.md). A test checks this module
//! against the packed implementation.

use tch::{nn, Kind, Tensor};

use crate::precision::cast;

/// A one-layer bidirectional LSTM; output h_i = fw_i ⊕ bw_i (eq. 5), `2·hidden` wide.
#[derive(Debug)]
pub struct BiLstm {
    /// PyTorch's flat layout: w_ih, w_hh, b_ih, b_hh, then the same `_reverse`.
    weights: Vec<Tensor>,
    hidden: i64,
}

impl BiLstm {
    /// Xavier-uniform weights (§4.2), zero biases except the forget gate's at 1.
    pub fn new(vs: &nn::Path, input: i64, hidden: i64) -> Self {
        let gates = 4 * hidden;
        let mut weights = Vec::with_capacity(8);
        for suffix in ["", "_reverse"] {
            weights.push(vs.var(
                &format!("weight_ih_l0{suffix}"),
                &[gates, input],
                xavier(gates, input),
            ));
            weights.push(vs.var(
                &format!("weight_hh_l0{suffix}"),
                &[gates, hidden],
                xavier(gates, hidden),
            ));
            weights.push(vs.var(
                &format!("bias_ih_l0{suffix}"),
                &[gates],
                nn::Init::Const(0.),
            ));
            let bias_hh = vs.var(
                &format!("bias_hh_l0{suffix}"),
                &[gates],
                nn::Init::Const(0.),
            );
            let _ = tch::no_grad(|| bias_hh.narrow(0, hidden, hidden).fill_(1.0));
            weights.push(bias_hh);
        }
        Self { weights, hidden }
    }

    pub fn output_dim(&self) -> i64 {
        2 * self.hidden
    }

    /// `xs`: `[batch, seq, input]`, padding after each sentence's last character;
    /// `lengths`: `[batch]` int64, any order. Returns `[batch, seq, 2·hidden]`
    /// in the kind of `xs`.
    pub fn forward(&self, xs: &Tensor, lengths: &Tensor) -> Tensor {
        let (batch, seq, input) = xs.size3().expect("BiLSTM input is [batch, seq, input]");
        let device = xs.device();
        let lengths = lengths.to_device(device);
        let reverse = reversal_index(&lengths, seq, device)
            .unsqueeze(2)
            .expand([batch, seq, input], false);
        let forward = self.direction(xs, &self.weights[..4]);
        let backward = self.direction(&xs.gather(1, &reverse, false), &self.weights[4..]);
        let reverse_out = reverse
            .narrow(2, 0, 1)
            .expand([batch, seq, self.hidden], false);
        let backward = backward.gather(1, &reverse_out, false);
        let mask = length_mask(&lengths, seq, device)
            .unsqueeze(2)
            .to_kind(xs.kind());
        Tensor::cat(&[forward, backward], 2) * mask // [batch, seq, 2*hidden]
    }

    /// One direction over the padded batch: `[batch, seq, hidden]`.
    fn direction(&self, xs: &Tensor, weights: &[Tensor]) -> Tensor {
        let batch = xs.size()[0];
        let zeros = Tensor::zeros([1, batch, self.hidden], (xs.kind(), xs.device()));
        let hx = [zeros.shallow_clone(), zeros];
        // The fp32 weights in the input's kind (bf16 under mixed precision).
        let weights: Vec<Tensor> = weights.iter().map(|w| cast(w, xs.kind())).collect();
        // Dropout is 0, so `train` only keeps what the backward pass needs.
        let (out, _, _) = xs.lstm(&hx, &weights, true, 1, 0.0, true, false, true);
        out
    }
}

/// `index[b, t]` = `len_b − 1 − t` for t < len_b, else t: gathering along time with
/// it reverses each sentence within its own length and leaves padding in place.
/// Applying it twice is the identity.
pub fn reversal_index(lengths: &Tensor, seq: i64, device: tch::Device) -> Tensor {
    let positions = Tensor::arange(seq, (Kind::Int64, device)).unsqueeze(0); // [1, seq]
    let lengths = lengths.to_device(device).to_kind(Kind::Int64).unsqueeze(1); // [batch, 1]
    let reversed = &lengths - 1 - &positions;
    reversed.where_self(&positions.lt_tensor(&lengths), &positions)
}

/// Xavier (Glorot) uniform: U(±√(6 / (fan_in + fan_out))).
pub fn xavier(fan_out: i64, fan_in: i64) -> nn::Init {
    let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
    nn::Init::Uniform {
        lo: -bound,
        up: bound,
    }
}

/// Inverted dropout: in training, each element is zeroed with probability `p`
/// and the rest scaled by 1/(1−p). Same as `Tensor::dropout`, but the mask comes
/// from one uniform draw compared with `p`, which libtorch vectorises; its
/// Bernoulli sampler draws element by element and cost twice as much here.
/// Public for `examples/profile_step.rs`, which times it against libtorch's.
/// Here, below both the model and the attention layer, which use it.
/// The draw is fp32 whatever the kind of `xs`: libtorch's bf16 sampler is
/// 2–3× slower, and fp32 keeps a bf16 run's masks those of the fp32 run.
pub fn dropout(xs: &Tensor, p: f64, train: bool) -> Tensor {
    if !train || p == 0.0 {
        return xs.shallow_clone();
    }
    let uniform = Tensor::empty(xs.size(), (Kind::Float, xs.device())).uniform_(0.0, 1.0);
    let keep = uniform.ge(p);
    xs * keep / (1.0 - p)
}

/// `[batch, seq]` boolean mask of real (non-padding) positions.
pub fn length_mask(lengths: &Tensor, seq: i64, device: tch::Device) -> Tensor {
    let positions = Tensor::arange(seq, (Kind::Int64, device)).unsqueeze(0);
    positions.lt_tensor(&lengths.to_device(device).unsqueeze(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    fn lengths(values: &[i64]) -> Tensor {
        Tensor::from_slice(values)
    }

    #[test]
    fn padding_never_changes_a_sentence() {
        tch::manual_seed(3);
        let vs = nn::VarStore::new(Device::Cpu);
        let lstm = BiLstm::new(&vs.root(), 5, 4);
        let short = Tensor::randn([1, 3, 5], (Kind::Float, Device::Cpu));
        let long = Tensor::randn([1, 7, 5], (Kind::Float, Device::Cpu));
        let alone = lstm.forward(&short, &lengths(&[3]));
        // Pad the short sentence with garbage (7.0) up to the long one's length.
        let garbage = Tensor::full([1, 4, 5], 7.0, (Kind::Float, Device::Cpu));
        let padded = Tensor::cat(&[&short, &garbage], 1);
        let batch = Tensor::cat(&[&long, &padded], 0);
        let together = lstm.forward(&batch, &lengths(&[7, 3]));
        let mine = together.narrow(0, 1, 1).narrow(1, 0, 3);
        assert!(mine.allclose(&alone, 1e-6, 1e-6, false));
        let tail = together.narrow(0, 1, 1).narrow(1, 3, 4);
        assert_eq!(tail.abs().sum(Kind::Float).double_value(&[]), 0.0);
    }

    /// The packed-sequence BiLSTM this module replaced: the reference.
    fn packed(lstm: &BiLstm, xs: &Tensor, lengths: &Tensor) -> Tensor {
        let (batch, seq, _) = xs.size3().unwrap();
        let (packed, batch_sizes) = Tensor::internal_pack_padded_sequence(xs, lengths, true);
        let zeros = Tensor::zeros([2, batch, lstm.hidden], (xs.kind(), xs.device()));
        let hx = [zeros.shallow_clone(), zeros];
        let (out, _, _) = Tensor::lstm_data(
            &packed,
            &batch_sizes,
            &hx,
            &lstm.weights,
            true,
            1,
            0.0,
            false,
            true,
        );
        Tensor::internal_pad_packed_sequence(&out, &batch_sizes, true, 0.0, seq).0
    }

    #[test]
    fn reversal_index_reverses_within_each_length() {
        let index = reversal_index(&lengths(&[4, 2, 1]), 4, Device::Cpu);
        let rows: Vec<Vec<i64>> = Vec::try_from(&index).unwrap();
        assert_eq!(rows, [[3, 2, 1, 0], [1, 0, 2, 3], [0, 1, 2, 3]]);
    }

    #[test]
    fn padded_forward_equals_packed_sequences() {
        for (seed, lens) in [
            (1, vec![9i64, 9, 7, 4, 4, 1]),
            (2, vec![12, 11, 5, 3, 2]),
            (3, vec![6]),
            (4, vec![8, 1, 1]),
        ] {
            tch::manual_seed(seed);
            let vs = nn::VarStore::new(Device::Cpu);
            let lstm = BiLstm::new(&vs.root(), 7, 5);
            let (batch, seq) = (lens.len() as i64, lens[0]);
            // Garbage in the padding positions, which neither version may read.
            let xs = Tensor::randn([batch, seq, 7], (Kind::Float, Device::Cpu)) * 2.0;
            let ours = lstm.forward(&xs, &lengths(&lens));
            let reference = packed(&lstm, &xs, &lengths(&lens));
            assert_eq!(ours.size(), [batch, seq, 10]);
            let gap = (&ours - &reference).abs().max().double_value(&[]);
            assert!(gap < 1e-5, "lengths {lens:?}: max difference {gap}");
            // Gradients with respect to the input agree too.
            let xs = xs.set_requires_grad(true);
            let weight = Tensor::randn([batch, seq, 10], (Kind::Float, Device::Cpu));
            let grad = |out: Tensor| {
                let loss = (out * &weight).sum(Kind::Float);
                Tensor::run_backward(&[loss], &[&xs], false, false).remove(0)
            };
            let g1 = grad(lstm.forward(&xs, &lengths(&lens)));
            let g2 = grad(packed(&lstm, &xs, &lengths(&lens)));
            let gap = (&g1 - &g2).abs().max().double_value(&[]);
            assert!(gap < 1e-5, "lengths {lens:?}: gradient difference {gap}");
        }
    }

    #[test]
    fn xavier_bounds_follow_the_fans() {
        let vs = nn::VarStore::new(Device::Cpu);
        let lstm = BiLstm::new(&vs.root(), 50, 120);
        let bound = (6.0f64 / (480.0 + 50.0)).sqrt();
        let max = lstm.weights[0].abs().max().double_value(&[]);
        assert!(max <= bound && max > 0.9 * bound);
        assert_eq!(lstm.output_dim(), 240);
    }
}
