//! The five variants of Table 5 as one model whose parts are switched by
//! [`ModelConfig`] (Figure 2; loss eq. 18–19).
//!
//! For a sentence of task k: embedding (§3.1) → private BiLSTM_k, and the shared
//! BiLSTM when transferring (eq. 4–5) → self-attention on each when enabled
//! (eq. 6–8) → H'' = private' ⊕ shared' → tanh hidden layer → tag scores → CRF_k
//! (eq. 9–14). The discriminator reads the shared features (eq. 15–17).

use tch::{nn, Device, Kind, Tensor};

use crate::adversarial::TaskDiscriminator;
use crate::attention::SelfAttention;
pub use crate::bilstm::dropout;
use crate::bilstm::{length_mask, xavier, BiLstm};
use crate::config::{DropoutLayout, ModelConfig};
use crate::crf::Crf;
use crate::embedding::CharEmbedding;
use crate::precision::{cast, linear, Precision};

/// The two tasks; the value is the discriminator's class (eq. 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Ner = 0,
    Cws = 1,
}

/// Sizes that come from the data rather than from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Dims {
    pub vocab: i64,
    pub embedding: i64,
    pub ner_tags: i64,
    pub cws_tags: i64,
}

/// A padded batch, its sentences sorted by decreasing length.
#[derive(Debug)]
pub struct Batch {
    pub ids: Tensor,
    pub tags: Tensor,
    pub mask: Tensor,
    /// `[batch]` int64, on the CPU (the BiLSTM moves them where it needs them).
    pub lengths: Tensor,
    pub lengths_vec: Vec<i64>,
}

impl Batch {
    /// `sentences`: (character ids, tag ids) pairs, longest first.
    pub fn new(sentences: &[(&[i64], &[i64])], device: Device) -> Self {
        let seq = sentences.iter().map(|s| s.0.len()).max().unwrap_or(0);
        let pad = |rows: Vec<&[i64]>| {
            let mut flat = vec![0i64; rows.len() * seq];
            for (b, row) in rows.iter().enumerate() {
                flat[b * seq..b * seq + row.len()].copy_from_slice(row);
            }
            Tensor::from_slice(&flat)
                .view([rows.len() as i64, seq as i64])
                .to_device(device)
        };
        let lengths_vec: Vec<i64> = sentences.iter().map(|s| s.0.len() as i64).collect();
        let lengths = Tensor::from_slice(&lengths_vec);
        Self {
            ids: pad(sentences.iter().map(|s| s.0).collect()),
            tags: pad(sentences.iter().map(|s| s.1).collect()),
            mask: length_mask(&lengths, seq as i64, device),
            lengths,
            lengths_vec,
        }
    }

    pub fn characters(&self) -> i64 {
        self.lengths_vec.iter().sum()
    }
}

/// A BiLSTM (eq. 4–5) followed, when enabled, by its own self-attention (eq. 6–8):
/// the private extractor of each task and the shared one alike.
#[derive(Debug)]
struct Extractor {
    bilstm: BiLstm,
    attention: Option<SelfAttention>,
    /// Dropout on the BiLSTM's input and output (the released layout's; 0 in ours).
    rates: (f64, f64),
}

/// The released layout's rates (docs/fidelity.md, row 2).
mod released {
    pub const EMBEDDING: f64 = 0.3;
    pub const LSTM_INPUT: f64 = 0.3;
    pub const LSTM_OUTPUT: f64 = 0.4;
    pub const AFTER_TANH: f64 = 0.3;
    pub const DISCRIMINATOR: f64 = 0.3;
}

impl Extractor {
    fn new(bilstm: &nn::Path, attention: &nn::Path, input: i64, cfg: &ModelConfig) -> Self {
        let bilstm = BiLstm::new(bilstm, input, cfg.hidden);
        let width = bilstm.output_dim();
        let attention = cfg
            .attention
            .map(|a| SelfAttention::new(attention, width, a.heads, a.form));
        let rates = match cfg.dropout_layout {
            DropoutLayout::Ours => (0.0, 0.0),
            DropoutLayout::Released => (released::LSTM_INPUT, released::LSTM_OUTPUT),
        };
        Self {
            bilstm,
            attention,
            rates,
        }
    }

    fn output_dim(&self) -> i64 {
        self.bilstm.output_dim()
    }

    fn forward(&self, xs: &Tensor, batch: &Batch, train: bool) -> Tensor {
        let xs = dropout(xs, self.rates.0, train); // a mask of its own
        let h = self.bilstm.forward(&xs, &batch.lengths); // [batch, seq, 2*hidden]
        let h = dropout(&h, self.rates.1, train);
        match &self.attention {
            Some(attention) => attention.forward(&h, &batch.mask, train),
            None => h,
        }
    }
}

/// One task's private extractor and tagger.
#[derive(Debug)]
struct TaskHead {
    private: Extractor,
    hidden: nn::Linear,
    project: nn::Linear,
    crf: Crf,
}

impl TaskHead {
    fn new(vs: &nn::Path, cfg: &ModelConfig, input: i64, shared_dim: i64, tags: i64) -> Self {
        let private = Extractor::new(&(vs / "private"), &(vs / "attention"), input, cfg);
        let width = private.output_dim();
        let linear = |name: &str, i: i64, o: i64| {
            let config = nn::LinearConfig {
                ws_init: xavier(o, i),
                ..Default::default()
            };
            nn::linear(vs / name, i, o, config)
        };
        Self {
            hidden: linear("hidden", width + shared_dim, cfg.hidden),
            project: linear("project", cfg.hidden, tags),
            crf: Crf::new(&(vs / "crf"), tags, cfg.crf),
            private,
        }
    }
}

/// The losses of one batch (eq. 18): the task's CRF loss and, for adversarial
/// variants, the discriminator's loss (unweighted) and its correct guesses.
#[derive(Debug)]
pub struct Losses {
    pub task: Tensor,
    pub adversarial: Option<(Tensor, Tensor)>,
}

#[derive(Debug)]
pub struct Model {
    embedding: CharEmbedding,
    ner: TaskHead,
    cws: Option<TaskHead>,
    shared: Option<Extractor>,
    discriminator: Option<TaskDiscriminator>,
    lambda: f64,
    /// Dropout on the embeddings, before the tanh layer, after it, and on the
    /// discriminator's input.
    dropout: Rates,
    /// The kind activations are computed in (fp32, or bf16 under mixed precision).
    compute: Kind,
}

impl Model {
    /// Builds every part the configuration switches on; `embedding` seeds the table.
    pub fn new(vs: &nn::Path, cfg: &ModelConfig, dims: Dims, embedding: Option<&[f32]>) -> Self {
        let embedding =
            CharEmbedding::new(&(vs / "embedding"), dims.vocab, dims.embedding, embedding);
        let shared = cfg.transfer.as_ref().map(|_| {
            let (bilstm, attention) = (vs / "shared_bilstm", vs / "shared_attention");
            Extractor::new(&bilstm, &attention, dims.embedding, cfg)
        });
        let shared_dim = shared.as_ref().map_or(0, Extractor::output_dim);
        let head =
            |name: &str, tags| TaskHead::new(&(vs / name), cfg, dims.embedding, shared_dim, tags);
        let ner = head("ner", dims.ner_tags);
        let cws = cfg.transfer.as_ref().map(|_| head("cws", dims.cws_tags));
        let discriminator = cfg
            .transfer
            .as_ref()
            .and_then(|t| t.adversarial)
            .map(|a| TaskDiscriminator::new(&(vs / "discriminator"), shared_dim, a.pool));
        Self {
            embedding,
            ner,
            cws,
            shared,
            discriminator,
            lambda: cfg.lambda().unwrap_or(0.0),
            dropout: Rates::of(cfg),
            compute: Kind::Float,
        }
    }

    /// The same model computing in `precision`; its weights stay fp32.
    pub fn in_precision(mut self, precision: Precision) -> Self {
        self.compute = precision.kind();
        self
    }

    pub fn has_cws(&self) -> bool {
        self.cws.is_some()
    }

    fn head(&self, task: Task) -> &TaskHead {
        match task {
            Task::Ner => &self.ner,
            Task::Cws => self
                .cws
                .as_ref()
                .expect("CWS batches only reach a transfer model"),
        }
    }

    /// Tag scores `[batch, seq, tags]` (eq. 9) and the shared features, if any;
    /// both fp32 whatever the compute kind, since the CRF and the discriminator's
    /// loss read them.
    fn emissions(&self, task: Task, batch: &Batch, train: bool) -> (Tensor, Option<Tensor>) {
        let head = self.head(task);
        let xs = cast(&self.embedding.forward(&batch.ids), self.compute);
        let xs = dropout(&xs, self.dropout.embedding, train); // [batch, seq, d_e]
        let private = head.private.forward(&xs, batch, train);
        let shared = self.shared.as_ref().map(|s| s.forward(&xs, batch, train));
        let joined = match &shared {
            Some(shared) => Tensor::cat(&[&private, shared], 2), // H'': [batch, seq, 4*hidden]
            None => private,
        };
        let joined = dropout(&joined, self.dropout.before_tanh, train);
        let hidden = linear(&head.hidden, &joined).tanh(); // [batch, seq, hidden]
        let hidden = dropout(&hidden, self.dropout.after_tanh, train);
        let emissions = cast(&linear(&head.project, &hidden), Kind::Float);
        (emissions, shared.map(|s| cast(&s, Kind::Float)))
    }

    /// The losses of a training batch of `task` (eq. 13–14, 17).
    pub fn losses(&self, task: Task, batch: &Batch) -> Losses {
        let (emissions, shared) = self.emissions(task, batch, true);
        let task_loss =
            self.head(task)
                .crf
                .neg_log_likelihood(&emissions, &batch.tags, &batch.mask);
        let adversarial = match (&self.discriminator, shared) {
            (Some(disc), Some(shared)) => {
                let shared = dropout(&shared, self.dropout.discriminator, true);
                Some(disc.loss(&shared, &batch.mask, task as i64))
            }
            _ => None,
        };
        Losses {
            task: task_loss,
            adversarial,
        }
    }

    /// L = L_task + λ·L_adv (eq. 18–19, one task per batch).
    pub fn total_loss(&self, losses: &Losses) -> Tensor {
        match &losses.adversarial {
            Some((adv, _)) => &losses.task + adv * self.lambda,
            None => losses.task.shallow_clone(),
        }
    }

    /// The discriminator's view of each sentence (eq. 15): the shared
    /// features, without dropout, max-pooled as its pool says — what a probe
    /// of the shared space reads. `None` without a shared BiLSTM.
    pub fn pooled_shared(&self, batch: &Batch) -> Option<Tensor> {
        let shared = self.shared.as_ref()?;
        let pool = self
            .discriminator
            .as_ref()
            .map_or(Default::default(), |d| d.pool());
        Some(tch::no_grad(|| {
            let xs = cast(&self.embedding.forward(&batch.ids), self.compute);
            let features = cast(&shared.forward(&xs, batch, false), Kind::Float);
            crate::adversarial::max_pool(&features, &batch.mask, pool)
        }))
    }

    /// Viterbi tags of each sentence of the batch (eq. 12).
    pub fn decode(&self, task: Task, batch: &Batch) -> Vec<Vec<i64>> {
        tch::no_grad(|| {
            let (emissions, _) = self.emissions(task, batch, false);
            self.head(task).crf.decode(&emissions, &batch.lengths_vec)
        })
    }
}

/// The model's dropout rates outside the BiLSTMs, by layout.
#[derive(Debug, Clone, Copy)]
struct Rates {
    embedding: f64,
    before_tanh: f64,
    after_tanh: f64,
    discriminator: f64,
}

impl Rates {
    fn of(cfg: &ModelConfig) -> Self {
        match cfg.dropout_layout {
            DropoutLayout::Ours => Self {
                embedding: cfg.dropout,
                before_tanh: cfg.dropout,
                after_tanh: 0.0,
                discriminator: 0.0,
            },
            DropoutLayout::Released => Self {
                embedding: released::EMBEDDING,
                before_tanh: 0.0,
                after_tanh: released::AFTER_TANH,
                discriminator: released::DISCRIMINATOR,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Variant;

    fn dims() -> Dims {
        Dims {
            vocab: 12,
            embedding: 6,
            ner_tags: 5,
            cws_tags: 4,
        }
    }

    fn small(variant: Variant) -> ModelConfig {
        let mut cfg = variant.model_config();
        cfg.hidden = 8;
        if let Some(a) = cfg.attention.as_mut() {
            a.heads = 2;
        }
        cfg
    }

    #[test]
    fn dropout_zeroes_about_p_and_keeps_the_mean() {
        tch::manual_seed(3);
        let xs = Tensor::ones([200, 500], (Kind::Float, Device::Cpu));
        let dropped = dropout(&xs, 0.3, true);
        let zeros = dropped.eq(0.0).to_kind(Kind::Float).mean(Kind::Float);
        assert!((zeros.double_value(&[]) - 0.3).abs() < 0.01);
        assert!((dropped.mean(Kind::Float).double_value(&[]) - 1.0).abs() < 0.01);
        let kept = dropped.masked_select(&dropped.ne(0.0));
        assert!(kept.allclose(&Tensor::full_like(&kept, 1.0 / 0.7), 1e-6, 1e-6, false));
        assert!(dropout(&xs, 0.3, false).equal(&xs));
    }

    #[test]
    fn variants_switch_their_parts() {
        for variant in Variant::ALL {
            let vs = nn::VarStore::new(Device::Cpu);
            let _ = Model::new(&vs.root(), &small(variant), dims(), None);
            let names: Vec<String> = vs.variables().into_keys().collect();
            let has = |part: &str| names.iter().any(|n| n.starts_with(part));
            let transfer = !matches!(variant, Variant::Baseline | Variant::SelfAttention);
            assert_eq!(has("shared_bilstm"), transfer, "{variant:?}");
            assert_eq!(has("cws."), transfer, "{variant:?}");
            assert_eq!(
                has("discriminator"),
                matches!(variant, Variant::Adversarial | Variant::Full)
            );
            assert_eq!(
                has("ner.attention"),
                matches!(variant, Variant::SelfAttention | Variant::Full)
            );
        }
    }

    /// fp32 always; bf16 where the CPU runs it natively.
    fn precisions() -> Vec<Precision> {
        let bf16 = Precision::Bf16.check(Device::Cpu).is_ok();
        [Precision::Fp32, Precision::Bf16][..1 + bf16 as usize].to_vec()
    }

    /// Padding tolerance: fp32 rounding, or bf16's 8-bit mantissa through a
    /// BiLSTM whose batch shape changes the kernel's blocking.
    fn padding_tolerance(precision: Precision) -> f64 {
        match precision {
            Precision::Fp32 => 1e-5,
            Precision::Bf16 => 2e-2,
        }
    }

    #[test]
    fn the_released_dropout_layout_only_moves_dropout() {
        let sentences: [(&[i64], &[i64]); 2] = [(&[3, 4, 5, 6], &[1, 2, 0, 0]), (&[7, 8], &[0, 3])];
        let batch = Batch::new(&sentences, Device::Cpu);
        let mut released = small(Variant::Full);
        released.dropout_layout = DropoutLayout::Released;
        let build = |cfg: &ModelConfig| {
            tch::manual_seed(17);
            let vs = nn::VarStore::new(Device::Cpu);
            let model = Model::new(&vs.root(), cfg, dims(), None);
            (vs, model)
        };
        let (ours_vs, ours) = build(&small(Variant::Full));
        let (mut released_vs, released) = build(&released);
        assert_eq!(
            ours_vs.variables().len(),
            released_vs.variables().len(),
            "no new weights"
        );
        // The same weights (unit tests share libtorch's generator, so a seed
        // alone does not promise them).
        released_vs.copy(&ours_vs).expect("same names and shapes");
        // Dropout off: the same function of the same weights.
        let (eval_ours, _) = ours.emissions(Task::Ner, &batch, false);
        let (eval_released, _) = released.emissions(Task::Ner, &batch, false);
        assert!(eval_ours.allclose(&eval_released, 1e-6, 1e-6, false));
        // In training the layouts drop different activations.
        let train = |model: &Model| {
            tch::manual_seed(5);
            model.emissions(Task::Ner, &batch, true).0
        };
        // (Same seed, same masks is tested in processes of their own, in
        // tests/training.rs: unit tests share libtorch's generator.)
        assert!(!train(&ours).allclose(&train(&released), 1e-3, 1e-3, false));
    }

    #[test]
    fn padding_never_changes_scores_or_decoding() {
        for (variant, precision) in Variant::ALL
            .into_iter()
            .flat_map(|v| precisions().into_iter().map(move |p| (v, p)))
        {
            tch::manual_seed(7);
            let vs = nn::VarStore::new(Device::Cpu);
            let model =
                Model::new(&vs.root(), &small(variant), dims(), None).in_precision(precision);
            let tol = padding_tolerance(precision);
            let short: (&[i64], &[i64]) = (&[3, 4, 5], &[1, 2, 0]);
            let long: (&[i64], &[i64]) = (&[6, 7, 8, 9, 10, 11, 2], &[0, 0, 1, 2, 2, 0, 0]);
            let alone = Batch::new(&[short], Device::Cpu);
            let together = Batch::new(&[long, short], Device::Cpu);
            let (e1, _) = model.emissions(Task::Ner, &alone, false);
            let (e2, _) = model.emissions(Task::Ner, &together, false);
            assert!(
                e2.narrow(0, 1, 1)
                    .narrow(1, 0, 3)
                    .allclose(&e1, tol, tol, false),
                "{variant:?} {precision}"
            );
            assert_eq!(
                model.decode(Task::Ner, &alone)[0],
                model.decode(Task::Ner, &together)[1]
            );
            let l1 = model
                .head(Task::Ner)
                .crf
                .score(&e1, &alone.tags, &alone.mask);
            let l2 = model
                .head(Task::Ner)
                .crf
                .score(&e2, &together.tags, &together.mask);
            assert!(l2.get(1).allclose(&l1.get(0), tol, tol, false));
        }
    }

    /// Loss and gradient of every weight for a fixed NER batch, dropout off.
    fn loss_and_gradients(model: &Model, vs: &nn::VarStore, batch: &Batch) -> (f64, Tensor) {
        let losses = model.losses(Task::Ner, batch);
        let total = model.total_loss(&losses);
        let mut names: Vec<String> = vs.variables().into_keys().collect();
        names.sort();
        let variables = vs.variables();
        let params: Vec<&Tensor> = names.iter().map(|n| &variables[n]).collect();
        let grads = Tensor::run_backward(&[&total], &params, false, false);
        let flat: Vec<Tensor> = grads
            .iter()
            .filter(|g| g.defined())
            .map(|g| g.view([-1]))
            .collect();
        (total.double_value(&[]), Tensor::cat(&flat, 0))
    }

    #[test]
    fn bf16_agrees_with_fp32_in_emissions_losses_and_gradients() {
        if !precisions().contains(&Precision::Bf16) {
            return;
        }
        let sentences: [(&[i64], &[i64]); 3] = [
            (&[6, 7, 8, 9, 10, 11, 2, 3], &[0, 0, 1, 2, 2, 0, 0, 3]),
            (&[3, 4, 5, 9, 1], &[1, 2, 0, 4, 4]),
            (&[2, 2], &[3, 0]),
        ];
        let batch = Batch::new(&sentences, Device::Cpu);
        for variant in Variant::ALL {
            tch::manual_seed(9);
            let vs = nn::VarStore::new(Device::Cpu);
            let mut cfg = small(variant);
            cfg.dropout = 0.0;
            let model = Model::new(&vs.root(), &cfg, dims(), None);
            let (e32, _) = model.emissions(Task::Ner, &batch, false);
            let (l32, g32) = loss_and_gradients(&model, &vs, &batch);
            let model = model.in_precision(Precision::Bf16);
            let (e16, _) = model.emissions(Task::Ner, &batch, false);
            let (l16, g16) = loss_and_gradients(&model, &vs, &batch);
            assert_eq!((e16.kind(), g16.kind()), (Kind::Float, Kind::Float));
            // Emissions: bf16's 2⁻⁸ relative rounding through two layers.
            let gap = (&e16 - &e32).abs().max().double_value(&[]);
            let scale = e32.abs().max().double_value(&[]);
            assert!(
                gap < 0.03 * scale.max(1.0),
                "{variant:?} emissions {gap} of {scale}"
            );
            assert!(
                (l16 - l32).abs() < 0.01 * l32.abs(),
                "{variant:?} loss {l16} vs {l32}"
            );
            // Gradients: the same direction and length to a few per cent.
            let cosine = (&g16 * &g32).sum(Kind::Double).double_value(&[])
                / (g16.norm().double_value(&[]) * g32.norm().double_value(&[]));
            let ratio = g16.norm().double_value(&[]) / g32.norm().double_value(&[]);
            assert!(cosine > 0.999, "{variant:?} gradient cosine {cosine}");
            assert!(
                (ratio - 1.0).abs() < 0.02,
                "{variant:?} gradient norm ratio {ratio}"
            );
        }
    }
}
