//! log Z of one sentence (eq. 13's normaliser) and its exact gradient, by the
//! forward–backward algorithm in plain Rust.
//!
//! The gradient of log Z with respect to a score is the probability that a tag
//! sequence uses it: the marginal p(y_t = j | X) for the emission P_{t,j} (and for
//! the start and end scores at the first and last position), and the summed pair
//! marginals p(y_{t−1} = i, y_t = j | X) for the transition A_{i,j}. Computing them
//! here instead of differentiating a per-step tensor recursion replaces a few
//! thousand tiny libtorch operations per batch (forward and backward over every
//! time step) by a few microseconds of arithmetic per sentence.
//!
//! The recursion runs in probability space with each step's α rescaled to sum to
//! one (Rabiner's scaling) and each position's emissions shifted by their maximum,
//! in f64: no logarithm inside the loops, and no overflow for any finite scores.

use super::Parameters;

/// log Z of a sentence and d log Z / d score for its emissions and transitions.
/// (The start and end scores' gradients are the first and last rows of `emissions`.)
#[derive(Debug)]
pub(super) struct Partition {
    pub log_z: f64,
    /// Marginals p(y_t = j): `[len, tags]`, row-major.
    pub emissions: Vec<f64>,
    /// Expected number of times tag i is followed by tag j: `[tags, tags]`.
    pub transitions: Vec<f64>,
}

/// `emissions`: row-major `[len, tags]` (or longer; the rest is ignored); `len ≥ 1`.
pub(super) fn partition(p: &Parameters, emissions: &[f32], len: usize) -> Partition {
    assert!(len >= 1, "a CRF sentence has at least one position");
    let k = p.tags;
    let exp = |x: f32| f64::from(x).exp();
    let transitions: Vec<f64> = p.transitions.iter().map(|&a| exp(a)).collect();
    let end: Vec<f64> = p.end.iter().map(|&x| exp(x)).collect();
    let (shift, emit) = scaled_emissions(emissions, len, k);
    let start: Vec<f64> = p.start.iter().map(|&x| exp(x)).collect();
    let (alpha, scale) = forward(&start, &transitions, &emit, len);
    let last = &alpha[(len - 1) * k..];
    let closing: f64 = (0..k).map(|j| last[j] * end[j]).sum();
    let log_z =
        scale.iter().map(|c| c.ln()).sum::<f64>() + shift.iter().sum::<f64>() + closing.ln();
    let beta = backward(&end, closing, &transitions, &emit, &scale);
    let marginals: Vec<f64> = alpha.iter().zip(&beta).map(|(a, b)| a * b).collect();
    Partition {
        log_z,
        emissions: marginals,
        transitions: pair_marginals(&alpha, &beta, &transitions, &emit, &scale),
    }
}

/// Each position's emissions as exp(P_{t,j} − m_t), with m_t its largest
/// score (returned as the shifts, which log Z gets back): `[len]`, `[len, k]`.
fn scaled_emissions(emissions: &[f32], len: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut shift = vec![0f64; len];
    let mut emit = vec![0f64; len * k];
    for t in 0..len {
        let row = &emissions[t * k..(t + 1) * k];
        shift[t] = row.iter().copied().fold(f32::NEG_INFINITY, f32::max).into();
        for j in 0..k {
            emit[t * k + j] = (f64::from(row[j]) - shift[t]).exp();
        }
    }
    (shift, emit)
}

/// Forward: alpha[t] ∝ Σ over prefixes ending in each tag at t, scaled to sum
/// to 1; the scales are returned beside it. `start` is exp of the start scores.
fn forward(start: &[f64], transitions: &[f64], emit: &[f64], len: usize) -> (Vec<f64>, Vec<f64>) {
    let k = emit.len() / len;
    let mut alpha = vec![0f64; len * k];
    let mut scale = vec![0f64; len];
    for j in 0..k {
        alpha[j] = start[j] * emit[j];
    }
    scale[0] = normalise(&mut alpha[..k]);
    for t in 1..len {
        let (before, now) = alpha.split_at_mut(t * k);
        let prev = &before[(t - 1) * k..];
        for j in 0..k {
            let into: f64 = (0..k).map(|i| prev[i] * transitions[i * k + j]).sum();
            now[j] = into * emit[t * k + j];
        }
        scale[t] = normalise(&mut now[..k]);
    }
    (alpha, scale)
}

/// Backward, scaled so that alpha[t][j] · beta[t][j] is the marginal p(y_t = j).
fn backward(
    end: &[f64],
    closing: f64,
    transitions: &[f64],
    emit: &[f64],
    scale: &[f64],
) -> Vec<f64> {
    let len = scale.len();
    let k = emit.len() / len;
    let mut beta = vec![0f64; len * k];
    for i in 0..k {
        beta[(len - 1) * k + i] = end[i] / closing;
    }
    for t in (0..len - 1).rev() {
        let (now, after) = beta.split_at_mut((t + 1) * k);
        for i in 0..k {
            let out: f64 = (0..k)
                .map(|j| transitions[i * k + j] * emit[(t + 1) * k + j] * after[j])
                .sum();
            now[t * k + i] = out / scale[t + 1];
        }
    }
    beta
}

/// Expected transition counts: Σ_t p(y_{t−1} = i, y_t = j), `[k, k]`.
fn pair_marginals(
    alpha: &[f64],
    beta: &[f64],
    transitions: &[f64],
    emit: &[f64],
    scale: &[f64],
) -> Vec<f64> {
    let k = emit.len() / scale.len();
    let mut pairs = vec![0f64; k * k];
    for t in 1..scale.len() {
        for i in 0..k {
            for j in 0..k {
                pairs[i * k + j] += alpha[(t - 1) * k + i]
                    * transitions[i * k + j]
                    * emit[t * k + j]
                    * beta[t * k + j]
                    / scale[t];
            }
        }
    }
    pairs
}

/// [`partition`] of every sentence of a padded batch, as flat row-major arrays.
#[derive(Debug)]
pub(super) struct BatchPartition {
    /// `[batch]`.
    pub log_z: Vec<f64>,
    /// `[batch, seq, tags]`, zero at padding positions.
    pub emissions: Vec<f64>,
    /// `[batch, tags, tags]`.
    pub transitions: Vec<f64>,
    /// `[batch, tags]` each: the marginals at each sentence's first and last position.
    pub start: Vec<f64>,
    pub end: Vec<f64>,
}

/// `emissions`: row-major `[batch, seq, tags]`; `lengths`: real positions per sentence.
pub(super) fn batch(
    p: &Parameters,
    emissions: &[f32],
    lengths: &[i64],
    seq: usize,
) -> BatchPartition {
    let (n, k) = (lengths.len(), p.tags);
    let mut out = BatchPartition {
        log_z: vec![0.0; n],
        emissions: vec![0.0; n * seq * k],
        transitions: vec![0.0; n * k * k],
        start: vec![0.0; n * k],
        end: vec![0.0; n * k],
    };
    for (b, &len) in lengths.iter().enumerate() {
        let len = len as usize;
        let z = partition(p, &emissions[b * seq * k..], len);
        out.log_z[b] = z.log_z;
        out.emissions[b * seq * k..][..len * k].copy_from_slice(&z.emissions);
        out.transitions[b * k * k..][..k * k].copy_from_slice(&z.transitions);
        out.start[b * k..][..k].copy_from_slice(&z.emissions[..k]);
        out.end[b * k..][..k].copy_from_slice(&z.emissions[(len - 1) * k..]);
    }
    out
}

/// Divides `values` by their sum and returns the sum.
fn normalise(values: &mut [f64]) -> f64 {
    let sum: f64 = values.iter().sum();
    values.iter_mut().for_each(|v| *v /= sum);
    sum
}
