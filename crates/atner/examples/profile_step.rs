//! Where one training step of the full model spends its time, on a synthetic
//! batch (lengths 55 down to 36, longest first, as the trainer builds them):
//! `cargo run -p atner --example profile_step [batch] [threads] [fp32|bf16]`.
//! With one libtorch thread (the default) times are this thread's CPU time, so
//! they stay comparable when other processes share the machine; with more,
//! they are wall-clock time, and the machine should be otherwise idle.

use atner::attention::SelfAttention;
use atner::bilstm::BiLstm;
use atner::config::Variant;
use atner::crf::Crf;
use atner::model::{Batch, Dims, Model, Task};
use atner::precision::Precision;
use atner::train::Adam;
use tch::{nn, Device, Kind, Tensor};

fn cpu_seconds() -> f64 {
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes into the struct we pass; 3 is CLOCK_THREAD_CPUTIME_ID.
    unsafe { clock_gettime(3, &mut ts) };
    ts.sec as f64 + ts.nsec as f64 * 1e-9
}

fn wall_seconds() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
}

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// Mean milliseconds of `f` over `n` calls, after two warm-up calls: CPU time
/// of this thread with one libtorch thread, wall-clock time with more.
fn time(label: &str, n: usize, mut f: impl FnMut()) -> f64 {
    let clock = if tch::get_num_threads() == 1 {
        cpu_seconds
    } else {
        wall_seconds
    };
    f();
    f();
    let start = clock();
    for _ in 0..n {
        f();
    }
    let ms = (clock() - start) * 1e3 / n as f64;
    println!("{label:<32} {ms:8.2} ms");
    ms
}

/// Sequence length of the longest synthetic sentence; timing repetitions.
const SEQ: usize = 55;
const N: usize = 10;

fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let batch_size = arg(1, 20);
    tch::set_num_threads(arg(2, 1) as i32);
    let precision = match std::env::args().nth(3).as_deref() {
        Some("bf16") => Precision::Bf16,
        _ => Precision::Fp32,
    };
    let batch = synthetic_batch(batch_size);
    println!(
        "batch {batch_size}, {} characters, {precision}",
        batch.characters()
    );
    let step = time_model(&batch, precision);
    let parts = nn::VarStore::new(Device::Cpu);
    let emb = Tensor::randn(
        [batch_size as i64, SEQ as i64, 50],
        (precision.kind(), Device::Cpu),
    );
    time_bilstm(&parts, &emb, &batch);
    time_packed_bilstm(&emb, &batch);
    time_attention_and_dropout(&parts, &batch, precision.kind());
    time_crf(&parts, &batch);
    println!(
        "{} thread(s): {:.0} characters/s",
        tch::get_num_threads(),
        batch.characters() as f64 / step * 1e3
    );
    matmul_rate(batch_size, precision.kind());
}

/// Lengths 55 down to 36, longest first, as the trainer builds a batch.
fn synthetic_batch(batch_size: usize) -> Batch {
    let chars: Vec<Vec<i64>> = (0..batch_size)
        .map(|i| {
            (0..(SEQ - i * 20 / batch_size) as i64)
                .map(|c| 2 + (c * 7 + i as i64) % 4000)
                .collect()
        })
        .collect();
    let tags: Vec<Vec<i64>> = chars
        .iter()
        .map(|c| c.iter().map(|x| x % 9).collect())
        .collect();
    let rows: Vec<(&[i64], &[i64])> = chars
        .iter()
        .zip(&tags)
        .map(|(c, t)| (c.as_slice(), t.as_slice()))
        .collect();
    Batch::new(&rows, Device::Cpu)
}

/// The whole model's forward, backward, Adam step and decoding; returns the
/// training step's milliseconds.
fn time_model(batch: &Batch, precision: Precision) -> f64 {
    let vs = nn::VarStore::new(Device::Cpu);
    let dims = Dims {
        vocab: 5000,
        embedding: 50,
        ner_tags: 9,
        cws_tags: 4,
    };
    let model =
        Model::new(&vs.root(), &Variant::Full.model_config(), dims, None).in_precision(precision);
    let mut adam = Adam::new(vs.variables().into_iter().collect(), 1e-3, 5.0);
    let params = vs.trainable_variables();
    time("model forward (losses)", N, || {
        drop(model.losses(Task::Ner, batch))
    });
    time("model forward+backward", N, || {
        let loss = model.total_loss(&model.losses(Task::Ner, batch));
        drop(Tensor::run_backward(&[loss], &params, false, false));
    });
    let step = time("training step (with Adam)", N, || {
        adam.backward_step(&model.total_loss(&model.losses(Task::Ner, batch)));
    });
    time("clipping + Adam, every parameter", N, || {
        // A loss whose backward is one broadcast per parameter, so the row
        // is the optimiser's own cost.
        let sums: Vec<Tensor> = params.iter().map(|p| p.sum(Kind::Float)).collect();
        adam.backward_step(&Tensor::stack(&sums, 0).sum(Kind::Float));
    });
    time("decode (no grad + Viterbi)", N, || {
        drop(model.decode(Task::Ner, batch))
    });
    step
}

fn time_bilstm(parts: &nn::VarStore, emb: &Tensor, batch: &Batch) {
    let lstm = BiLstm::new(&(parts.root() / "lstm"), 50, 120);
    let lstm_params = parts.trainable_variables();
    time("bilstm forward", N, || {
        drop(lstm.forward(emb, &batch.lengths))
    });
    time("bilstm forward+backward", N, || {
        let y = lstm.forward(emb, &batch.lengths).sum(Kind::Float);
        drop(Tensor::run_backward(&[y], &lstm_params, false, false));
    });
}

/// The packed-sequence BiLSTM the model used before (same sizes), for comparison.
fn time_packed_bilstm(emb: &Tensor, batch: &Batch) {
    let batch_size = batch.lengths.size()[0];
    let packed_vs = nn::VarStore::new(Device::Cpu);
    let packed_weights: Vec<Tensor> = ["", "_reverse"]
        .iter()
        .flat_map(|suffix| {
            let p = packed_vs.root();
            [
                p.randn(&format!("w_ih{suffix}"), &[480, 50], 0.0, 0.1),
                p.randn(&format!("w_hh{suffix}"), &[480, 120], 0.0, 0.1),
                p.zeros(&format!("b_ih{suffix}"), &[480]),
                p.zeros(&format!("b_hh{suffix}"), &[480]),
            ]
        })
        .collect();
    let packed_params = packed_vs.trainable_variables();
    let packed_forward = || {
        let emb = emb.to_kind(Kind::Float); // the old path was fp32 only
        let (packed, sizes) = Tensor::internal_pack_padded_sequence(&emb, &batch.lengths, true);
        let zeros = Tensor::zeros([2, batch_size, 120], (Kind::Float, Device::Cpu));
        let hx = [zeros.shallow_clone(), zeros];
        let (out, _, _) = Tensor::lstm_data(
            &packed,
            &sizes,
            &hx,
            &packed_weights,
            true,
            1,
            0.0,
            false,
            true,
        );
        Tensor::internal_pad_packed_sequence(&out, &sizes, true, 0.0, SEQ as i64).0
    };
    time("packed bilstm forward (old)", N, || drop(packed_forward()));
    time("packed bilstm fwd+bwd (old)", N, || {
        let y = packed_forward().sum(Kind::Float);
        drop(Tensor::run_backward(&[y], &packed_params, false, false));
    });
}

fn time_attention_and_dropout(parts: &nn::VarStore, batch: &Batch, kind: Kind) {
    let batch_size = batch.lengths.size()[0];
    let attention = SelfAttention::new(
        &(parts.root() / "attention"),
        240,
        8,
        atner::config::AttentionForm::Paper,
    );
    let h =
        Tensor::randn([batch_size, SEQ as i64, 240], (kind, Device::Cpu)).set_requires_grad(true);
    time("attention forward+backward", N, || {
        let y = attention.forward(&h, &batch.mask, true).sum(Kind::Float);
        drop(Tensor::run_backward(&[y], &[&h], false, false));
    });
    time("dropout of the joined features", N, || {
        drop(h.dropout(0.3, true));
    });
    time("dropout via a uniform mask", N, || {
        drop(atner::model::dropout(&h, 0.3, true));
    });
}

fn time_crf(parts: &nn::VarStore, batch: &Batch) {
    let batch_size = batch.lengths.size()[0];
    let crf = Crf::new(&(parts.root() / "crf"), 9, atner::config::CrfForm::Ours);
    let x = Tensor::randn([batch_size, SEQ as i64, 9], (Kind::Float, Device::Cpu))
        .set_requires_grad(true);
    time("crf nll forward+backward", N, || {
        let y = crf.neg_log_likelihood(&x, &batch.tags, &batch.mask);
        drop(Tensor::run_backward(&[y], &[&x], false, false));
    });
}

/// The machine's matrix-product rate in the chosen precision at the model's
/// commonest shape (the attention's Q/K/V projection of every character):
/// what the arithmetic of a step could run at, for BENCHMARKS.md's bound.
fn matmul_rate(batch_size: usize, kind: Kind) {
    let rows = batch_size as i64 * SEQ as i64;
    let x = Tensor::randn([rows, 240], (kind, Device::Cpu));
    let w = Tensor::randn([240, 720], (kind, Device::Cpu));
    let ms = time("matmul [rows, 240] x [240, 720]", 50, || drop(x.matmul(&w)));
    println!(
        "matmul rate: {:.0} GFLOP/s",
        2.0 * (rows * 240 * 720) as f64 / ms / 1e6
    );
}
