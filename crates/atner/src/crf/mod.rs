//! The task-specific linear-chain CRF (§3.4, eq. 9–14).
//!
//! A tag sequence y of sentence X scores s(X, y) = Σ_i A_{y_i, y_{i+1}} + Σ_i P_{i, y_i}
//! (eq. 10), with P the emission scores from the tag projection (eq. 9) and A the
//! transition matrix; like most implementations we add start and end scores
//! ([`CrfForm::Ours`]; [`CrfForm::Released`] has transitions only). The
//! loss is the negative log-likelihood −log p(y|X) = log Σ_ỹ e^{s(X,ỹ)} − s(X, y)
//! (eq. 11, 13–14): log Z by the forward algorithm and its gradient by the
//! backward one (`forward_backward`); decoding is Viterbi (eq. 12). Both run on
//! the CPU in plain Rust because tag sets are tiny and a per-step tensor loop
//! would cost more in dispatch than in arithmetic.

mod forward_backward;

use tch::{nn, Kind, Tensor};

use crate::config::CrfForm;

#[derive(Debug)]
pub struct Crf {
    /// A: `transitions[i][j]` scores tag i followed by tag j.
    transitions: Tensor,
    /// Start and end scores: learned, or constant zeros in the released form.
    start: Tensor,
    end: Tensor,
}

impl Crf {
    pub fn new(vs: &nn::Path, tags: i64, form: CrfForm) -> Self {
        match form {
            CrfForm::Ours => {
                let init = nn::Init::Uniform { lo: -0.1, up: 0.1 };
                Self {
                    transitions: vs.var("transitions", &[tags, tags], init),
                    start: vs.var("start", &[tags], init),
                    end: vs.var("end", &[tags], init),
                }
            }
            CrfForm::Released => {
                let zeros = || Tensor::zeros([tags], (Kind::Float, vs.device()));
                Self {
                    transitions: vs.var(
                        "transitions",
                        &[tags, tags],
                        crate::bilstm::xavier(tags, tags),
                    ),
                    start: zeros(),
                    end: zeros(),
                }
            }
        }
    }

    /// Mean over the batch of −log p(y|X) (eq. 13–14).
    /// `emissions`: `[batch, seq, tags]`; `tags`: `[batch, seq]` int64;
    /// `mask`: `[batch, seq]` bool, a prefix of each row, at least one position.
    pub fn neg_log_likelihood(&self, emissions: &Tensor, tags: &Tensor, mask: &Tensor) -> Tensor {
        let gold = self.score(emissions, tags, mask);
        (self.log_partition(emissions, mask) - gold).mean(Kind::Float)
    }

    /// log Σ_ỹ exp s(X, ỹ) per sentence (eq. 13's normaliser): `[batch]`.
    ///
    /// The value and its gradient come from `forward_backward::batch`; they
    /// reach autograd as `log Z + Σ g·(x − x.detach())` over every score tensor x
    /// with its gradient g, which equals log Z exactly and has gradient g.
    pub fn log_partition(&self, emissions: &Tensor, mask: &Tensor) -> Tensor {
        let (batch, seq, k) = emissions.size3().expect("emissions are [batch, seq, tags]");
        let params = Parameters::from_crf(self);
        let scores = to_vec(emissions);
        let lengths = mask
            .sum_dim_intlist([1i64].as_slice(), false, Kind::Int64)
            .to_device(tch::Device::Cpu);
        let lengths = Vec::<i64>::try_from(&lengths).expect("lengths convert to Vec<i64>");
        let z = forward_backward::batch(&params, &scores, &lengths, seq as usize);
        let device = emissions.device();
        let tensor = |values: &[f64], shape: &[i64]| {
            Tensor::from_slice(values)
                .view(shape)
                .to_kind(emissions.kind())
                .to_device(device)
        };
        // Σ g·(x − x.detach()) over the dimensions after the batch: 0 in value.
        let linear = |grad: Tensor, x: &Tensor, dims: &[i64]| {
            (grad * (x - x.detach())).sum_dim_intlist(dims, false, emissions.kind())
        };
        tensor(&z.log_z, &[batch])
            + linear(tensor(&z.emissions, &[batch, seq, k]), emissions, &[1, 2])
            + linear(
                tensor(&z.transitions, &[batch, k, k]),
                &self.transitions,
                &[1, 2],
            )
            + linear(tensor(&z.start, &[batch, k]), &self.start, &[1])
            + linear(tensor(&z.end, &[batch, k]), &self.end, &[1])
    }

    /// s(X, y) of eq. 10 for the given tags: `[batch]`.
    pub fn score(&self, emissions: &Tensor, tags: &Tensor, mask: &Tensor) -> Tensor {
        let (batch, seq, n_tags) = emissions.size3().expect("emissions are [batch, seq, tags]");
        let maskf = mask.to_kind(emissions.kind());
        let emitted = emissions
            .gather(2, &tags.unsqueeze(2), false)
            .squeeze_dim(2); // [batch, seq]
        let mut total = (emitted * &maskf).sum_dim_intlist([1i64].as_slice(), false, Kind::Float);
        total += self.start.index_select(0, &tags.select(1, 0));
        if seq > 1 {
            let pairs = tags.narrow(1, 0, seq - 1) * n_tags + tags.narrow(1, 1, seq - 1);
            let moved = self
                .transitions
                .view([-1])
                .index_select(0, &pairs.view([-1]))
                .view([batch, seq - 1]);
            total += (moved * maskf.narrow(1, 1, seq - 1)).sum_dim_intlist(
                [1i64].as_slice(),
                false,
                Kind::Float,
            );
        }
        let last = mask.sum_dim_intlist([1i64].as_slice(), false, Kind::Int64) - 1;
        let last_tags = tags.gather(1, &last.unsqueeze(1), false).squeeze_dim(1);
        total + self.end.index_select(0, &last_tags)
    }

    /// The best tag sequence of each sentence (eq. 12), `lengths[b]` tags long.
    pub fn decode(&self, emissions: &Tensor, lengths: &[i64]) -> Vec<Vec<i64>> {
        let params = Parameters::from_crf(self);
        let (_, seq, n_tags) = emissions.size3().expect("emissions are [batch, seq, tags]");
        let scores = to_vec(emissions);
        let stride = (seq * n_tags) as usize;
        lengths
            .iter()
            .enumerate()
            .map(|(b, &len)| params.viterbi(&scores[b * stride..], len as usize))
            .collect()
    }
}

fn to_vec(t: &Tensor) -> Vec<f32> {
    let flat = t
        .detach()
        .to_device(tch::Device::Cpu)
        .to_kind(Kind::Float)
        .contiguous()
        .view([-1]);
    Vec::<f32>::try_from(&flat).expect("a float tensor converts to Vec<f32>")
}

/// The CRF's parameters copied out of libtorch, for Viterbi and forward–backward.
struct Parameters {
    transitions: Vec<f32>,
    start: Vec<f32>,
    end: Vec<f32>,
    tags: usize,
}

impl Parameters {
    fn from_crf(crf: &Crf) -> Self {
        Self {
            transitions: to_vec(&crf.transitions),
            start: to_vec(&crf.start),
            end: to_vec(&crf.end),
            tags: crf.start.size()[0] as usize,
        }
    }

    /// `emissions`: row-major `[len, tags]` (or longer; the rest is ignored).
    fn viterbi(&self, emissions: &[f32], len: usize) -> Vec<i64> {
        let k = self.tags;
        let mut best: Vec<f32> = (0..k).map(|j| self.start[j] + emissions[j]).collect();
        let mut back = vec![0usize; len * k];
        for t in 1..len {
            let mut next = vec![f32::NEG_INFINITY; k];
            for j in 0..k {
                for (i, &prev) in best.iter().enumerate() {
                    let candidate = prev + self.transitions[i * k + j];
                    if candidate > next[j] {
                        next[j] = candidate;
                        back[t * k + j] = i;
                    }
                }
                next[j] += emissions[t * k + j];
            }
            best = next;
        }
        let mut tag = argmax((0..k).map(|j| best[j] + self.end[j]));
        let mut path = vec![tag as i64; len];
        for t in (1..len).rev() {
            tag = back[t * k + tag];
            path[t - 1] = tag as i64;
        }
        path
    }
}

fn argmax(values: impl Iterator<Item = f32>) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    const TAGS: i64 = 3;

    fn random_crf(seed: i64) -> (nn::VarStore, Crf) {
        tch::manual_seed(seed);
        let vs = nn::VarStore::new(Device::Cpu);
        let crf = Crf::new(&vs.root(), TAGS, CrfForm::Ours);
        tch::no_grad(|| {
            for p in [&crf.transitions, &crf.start, &crf.end] {
                p.shallow_clone()
                    .copy_(&Tensor::randn(p.size(), (Kind::Float, Device::Cpu)));
            }
        });
        (vs, crf)
    }

    /// Every tag sequence of length `len` over `TAGS` tags.
    fn all_sequences(len: usize) -> Vec<Vec<usize>> {
        (0..TAGS.pow(len as u32) as usize)
            .map(|mut code| {
                (0..len)
                    .map(|_| {
                        let tag = code % TAGS as usize;
                        code /= TAGS as usize;
                        tag
                    })
                    .collect()
            })
            .collect()
    }

    /// s(X, y) computed directly from eq. 10, in f64.
    fn brute_score(p: &Parameters, emissions: &[f32], tags: &[usize]) -> f64 {
        let k = p.tags;
        let mut s = (p.start[tags[0]] + p.end[tags[tags.len() - 1]]) as f64;
        for (t, &tag) in tags.iter().enumerate() {
            s += emissions[t * k + tag] as f64;
            if t > 0 {
                s += p.transitions[tags[t - 1] * k + tag] as f64;
            }
        }
        s
    }

    fn batch(lengths: &[i64], seq: i64) -> (Tensor, Tensor) {
        let emissions = Tensor::randn(
            [lengths.len() as i64, seq, TAGS],
            (Kind::Float, Device::Cpu),
        );
        let mask = crate::bilstm::length_mask(&Tensor::from_slice(lengths), seq, Device::Cpu);
        (emissions, mask)
    }

    #[test]
    fn the_released_form_learns_transitions_only_and_still_matches_brute_force() {
        tch::manual_seed(13);
        let vs = nn::VarStore::new(Device::Cpu);
        let crf = Crf::new(&vs.root(), TAGS, CrfForm::Released);
        let names: Vec<String> = vs.variables().into_keys().collect();
        assert_eq!(names, ["transitions"]);
        let p = Parameters::from_crf(&crf);
        assert!(p.start.iter().chain(&p.end).all(|&s| s == 0.0));
        let lengths = [4i64, 2];
        let (emissions, mask) = batch(&lengths, 4);
        let log_z = to_vec(&crf.log_partition(&emissions, &mask));
        let all = to_vec(&emissions);
        for (b, &len) in lengths.iter().enumerate() {
            let (brute, _, _) = brute_marginals(&p, &all[b * 12..], len as usize);
            assert!(
                (log_z[b] as f64 - brute).abs() < 1e-4,
                "{} vs {brute}",
                log_z[b]
            );
        }
        let tags = Tensor::from_slice(&[0i64, 1, 2, 1, 2, 0, 0, 0]).view([2, 4]);
        let loss = crf.neg_log_likelihood(&emissions, &tags, &mask);
        let grads = Tensor::run_backward(&[loss], &[&crf.transitions], false, false);
        assert!(grads[0].abs().sum(Kind::Float).double_value(&[]) > 0.0);
    }

    #[test]
    fn log_partition_matches_brute_force_with_masks() {
        let (_vs, crf) = random_crf(11);
        let p = Parameters::from_crf(&crf);
        let lengths = [5i64, 3, 1];
        let (emissions, mask) = batch(&lengths, 5);
        let log_z = to_vec(&crf.log_partition(&emissions, &mask));
        let all = to_vec(&emissions);
        for (b, &len) in lengths.iter().enumerate() {
            let (brute, _, _) = brute_marginals(&p, &all[b * 15..], len as usize);
            assert!(
                (log_z[b] as f64 - brute).abs() < 1e-4,
                "sentence {b}: {} vs {brute}",
                log_z[b]
            );
        }
    }

    /// log Z and every marginal of one sentence by enumerating all tag sequences, in f64:
    /// (log Z, p(y_t = j) as `[len, tags]`, expected transition counts `[tags, tags]`).
    fn brute_marginals(p: &Parameters, e: &[f32], len: usize) -> (f64, Vec<f64>, Vec<f64>) {
        let k = p.tags;
        let sequences = all_sequences(len);
        let scores: Vec<f64> = sequences.iter().map(|y| brute_score(p, e, y)).collect();
        let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let log_z = max + scores.iter().map(|s| (s - max).exp()).sum::<f64>().ln();
        let (mut unary, mut pairs) = (vec![0.0; len * k], vec![0.0; k * k]);
        for (y, s) in sequences.iter().zip(&scores) {
            let prob = (s - log_z).exp();
            for t in 0..len {
                unary[t * k + y[t]] += prob;
                if t > 0 {
                    pairs[y[t - 1] * k + y[t]] += prob;
                }
            }
        }
        (log_z, unary, pairs)
    }

    #[test]
    fn log_partition_gradients_are_the_brute_force_marginals() {
        let (vs, crf) = random_crf(15);
        let p = Parameters::from_crf(&crf);
        let lengths = [5i64, 3, 1];
        let (emissions, mask) = batch(&lengths, 5);
        let emissions = emissions.set_requires_grad(true);
        // Weight each sentence differently so a mix-up between sentences shows.
        let weights = Tensor::from_slice(&[1.0f32, 2.0, 3.0]);
        let total = (crf.log_partition(&emissions, &mask) * &weights).sum(Kind::Float);
        let variables = vs.variables();
        let inputs = [
            &emissions,
            &variables["transitions"],
            &variables["start"],
            &variables["end"],
        ];
        let grads = Tensor::run_backward(&[total], &inputs, false, false);
        let [d_emit, d_trans, d_start, d_end] = [0, 1, 2, 3].map(|i| to_vec(&grads[i]));
        let all = to_vec(&emissions);
        let k = TAGS as usize;
        let (mut trans, mut start, mut end) = (vec![0.0; k * k], vec![0.0; k], vec![0.0; k]);
        for (b, &len) in lengths.iter().enumerate() {
            let len = len as usize;
            let (_, unary, pairs) = brute_marginals(&p, &all[b * 5 * k..], len);
            let w = (b + 1) as f64;
            for x in 0..5 * k {
                let expected = if x < len * k { w * unary[x] } else { 0.0 };
                let got = d_emit[b * 5 * k + x] as f64;
                assert!(
                    (got - expected).abs() < 1e-4,
                    "sentence {b}, score {x}: {got} vs {expected}"
                );
            }
            for x in 0..k * k {
                trans[x] += w * pairs[x];
            }
            for j in 0..k {
                start[j] += w * unary[j];
                end[j] += w * unary[(len - 1) * k + j];
            }
        }
        for (got, expected) in [(&d_trans, &trans), (&d_start, &start), (&d_end, &end)] {
            for (g, e) in got.iter().zip(expected.iter()) {
                assert!((*g as f64 - e).abs() < 1e-4, "{got:?} vs {expected:?}");
            }
        }
    }

    #[test]
    fn log_partition_stays_finite_and_exact_for_large_scores() {
        let (_vs, crf) = random_crf(16);
        let p = Parameters::from_crf(&crf);
        let (emissions, mask) = batch(&[6], 6);
        let emissions = emissions * 200.0;
        let log_z = to_vec(&crf.log_partition(&emissions, &mask))[0] as f64;
        let (brute, _, _) = brute_marginals(&p, &to_vec(&emissions), 6);
        assert!(
            (log_z - brute).abs() < 1e-3 * brute.abs().max(1.0),
            "{log_z} vs {brute}"
        );
    }

    #[test]
    fn gold_score_matches_eq_10() {
        let (_vs, crf) = random_crf(12);
        let p = Parameters::from_crf(&crf);
        let lengths = [4i64, 2];
        let (emissions, mask) = batch(&lengths, 4);
        let tags = Tensor::from_slice(&[2i64, 0, 1, 1, 1, 2, 0, 0]).view([2, 4]);
        let scores = to_vec(&crf.score(&emissions, &tags, &mask));
        let all = to_vec(&emissions);
        let expected = [
            brute_score(&p, &all, &[2, 0, 1, 1]),
            brute_score(&p, &all[12..], &[1, 2]),
        ];
        for b in 0..2 {
            assert!((scores[b] as f64 - expected[b]).abs() < 1e-4);
        }
    }

    #[test]
    fn viterbi_matches_brute_force_argmax() {
        let (_vs, crf) = random_crf(13);
        let p = Parameters::from_crf(&crf);
        for trial in 0..5 {
            let lengths = [6i64, 4, 1];
            let (emissions, _) = batch(&lengths, 6);
            let decoded = crf.decode(&emissions, &lengths);
            let all = to_vec(&emissions);
            for (b, &len) in lengths.iter().enumerate() {
                let e = &all[b * 18..];
                let best = all_sequences(len as usize)
                    .into_iter()
                    .max_by(|x, y| brute_score(&p, e, x).total_cmp(&brute_score(&p, e, y)))
                    .expect("at least one sequence");
                let best: Vec<i64> = best.into_iter().map(|t| t as i64).collect();
                assert_eq!(decoded[b], best, "trial {trial}, sentence {b}");
            }
        }
    }

    #[test]
    fn nll_is_non_negative_and_trainable() {
        let (vs, crf) = random_crf(14);
        let (emissions, mask) = batch(&[3, 2], 3);
        let tags = Tensor::from_slice(&[0i64, 1, 2, 2, 1, 0]).view([2, 3]);
        let mut opt = nn::OptimizerConfig::build(nn::Sgd::default(), &vs, 0.5).expect("sgd");
        let first = crf.neg_log_likelihood(&emissions, &tags, &mask);
        assert!(first.double_value(&[]) > 0.0);
        for _ in 0..50 {
            let loss = crf.neg_log_likelihood(&emissions, &tags, &mask);
            opt.backward_step(&loss);
        }
        let last = crf
            .neg_log_likelihood(&emissions, &tags, &mask)
            .double_value(&[]);
        assert!(last < first.double_value(&[]) && last >= 0.0);
    }
}
