//! A numerical fingerprint of the model code: every variant of Table 5, in
//! each precision this machine runs, with our settings and with all of the
//! released code's, trained for three epochs on a fixed synthetic corpus and
//! reduced to a few numbers per path (losses, the weights' movement — which
//! integrates every gradient and optimiser step — and the dev and released-
//! protocol F1 of evaluation). Under a second on one CPU thread.
//!
//! Why numbers and not a hash of the source: a refactor that changes no
//! number must keep every run valid, and a change that does change numbers
//! must be caught even when nobody bumped the code revision. Why a tolerance
//! and not bit equality: CPUs (and thread counts, and MKL's code paths)
//! differ in their kernels' summation order, which moves a loss in its 7th
//! significant digit (measured: up to 2.6e-7 of its size; BENCHMARKS.md),
//! while a real change moves it far more (the test seam that moves Adam's β₁
//! from 0.9 to 0.92 moves some loss of every path by 4.5e-6 to 9e-4). Each
//! entry kind has its tolerance ([`tolerance`]). One epoch only: more
//! training would amplify the noise towards the size of a real change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::config::{
    AttentionForm, Batching, CrfForm, DiscriminatorPool, DropoutLayout, InactiveStep, ModelConfig,
    TrainConfig, Variant,
};
use crate::encode::{Encoded, TagSet};
use crate::precision::Precision;
use crate::train::{TaskData, Trainer};

/// Relative tolerance of an fp32 loss, F1 or tag checksum: 8× the largest
/// kernel noise measured (2.6e-7, MKL's `MKL_CBWR=COMPATIBLE` path against its
/// default on one CPU; 8e-8 between one and two threads), below the smallest
/// change the test seam makes on any path (4.5e-6).
pub const FP32_TOLERANCE: f64 = 2e-6;
/// Relative tolerance of an fp32 weight movement: Adam's first steps move a
/// weight by ±lr whatever its gradient's size, so a near-zero gradient whose
/// sign noise flips moves the sum: 7e-4 measured under `MKL_CBWR`, hence 4×.
pub const FP32_WEIGHTS_TOLERANCE: f64 = 3e-3;
/// Relative tolerance of a bf16 entry (bf16 keeps 8 bits: one rounding step
/// is 4e-3 of a value; not yet measured between CPUs).
pub const BF16_TOLERANCE: f64 = 2e-2;
/// Epochs each path trains: enough to run every step of the loop, few
/// enough that training does not amplify float noise.
const EPOCHS: usize = 1;
/// Below this magnitude entries are compared absolutely (a sum that cancels).
const FLOOR: f64 = 1e-3;

/// Named numbers, e.g. `full/fp32/ours/ner_loss`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub entries: BTreeMap<String, f64>,
}

/// One entry that differs beyond its tolerance.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub entry: String,
    pub recorded: f64,
    pub current: f64,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {:.9e} recorded, {:.9e} now",
            self.entry, self.recorded, self.current
        )
    }
}

/// The settings a path is computed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settings {
    Ours,
    /// Every model and training choice of the released code (docs/fidelity.md).
    Released,
}

impl Settings {
    fn name(self) -> &'static str {
        match self {
            Settings::Ours => "ours",
            Settings::Released => "released",
        }
    }
}

impl Fingerprint {
    /// Computes the fingerprint on `device` in every precision it runs, for
    /// the paths (`variant/precision/settings`) that `wanted` accepts.
    pub fn compute(device: Device, wanted: impl Fn(&str) -> bool) -> Self {
        let data = synthetic_data();
        let embedding = synthetic_embedding(&data);
        let mut entries = BTreeMap::new();
        for precision in [Precision::Fp32, Precision::Bf16] {
            if precision.check(device).is_err() {
                continue;
            }
            for variant in Variant::ALL {
                for settings in [Settings::Ours, Settings::Released] {
                    let prefix = path(variant, precision, settings);
                    if !wanted(&prefix) {
                        continue;
                    }
                    let numbers = crate::killpoint::unarmed(|| {
                        train_path(variant, precision, settings, &data, &embedding, device)
                    });
                    for (name, value) in numbers {
                        entries.insert(format!("{prefix}/{name}"), value);
                    }
                }
            }
        }
        Self { entries }
    }

    /// A short digest for people (the first 12 hex digits of a hash of the
    /// entries rounded to 4 significant digits): equal digests mean equal
    /// fingerprints; different digests are decided by [`Self::differences`].
    pub fn digest(&self) -> String {
        let mut text = String::new();
        for (name, value) in &self.entries {
            text.push_str(&format!("{name}={value:.3e};"));
        }
        // FNV-1a, 64 bits: no dependency for a label.
        let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
        });
        format!("{hash:016x}")[..12].to_string()
    }

    /// The entries of paths `relevant` accepts that differ between `self`
    /// (recorded) and `current` beyond their precision's tolerance. An entry
    /// missing on either side is not compared (a machine without native bf16
    /// cannot compute the bf16 paths).
    pub fn differences(
        &self,
        current: &Fingerprint,
        relevant: impl Fn(&str) -> bool,
    ) -> Vec<Difference> {
        self.entries
            .iter()
            .filter(|(name, _)| relevant(name))
            .filter_map(|(name, &recorded)| {
                let &now = current.entries.get(name)?;
                let tolerance = tolerance(name);
                let scale = recorded.abs().max(now.abs()).max(FLOOR);
                let same = (recorded - now).abs() <= tolerance * scale || recorded == now;
                (!same).then(|| Difference {
                    entry: name.clone(),
                    recorded,
                    current: now,
                })
            })
            .collect()
    }
}

/// The relative tolerance of the entry `name`, by its precision and kind.
pub fn tolerance(name: &str) -> f64 {
    match (name.contains("/bf16/"), name.contains("weights_moved")) {
        (true, _) => BF16_TOLERANCE,
        (false, true) => FP32_WEIGHTS_TOLERANCE,
        (false, false) => FP32_TOLERANCE,
    }
}

/// `variant/precision/settings`, the prefix of a path's entries.
pub fn path(variant: Variant, precision: Precision, settings: Settings) -> String {
    format!("{}/{precision}/{}", variant.name(), settings.name())
}

/// The path prefixes whose numbers a run of this configuration depends on:
/// its variant (all five when its parts are no Table 5 variant) in its
/// precision, under our settings, the released code's, or both when it mixes them.
pub fn relevant_paths(model: &ModelConfig, train: &TrainConfig) -> Vec<String> {
    let variants = model.variant().map_or(Variant::ALL.to_vec(), |v| vec![v]);
    let released = released_choices(model, train);
    let settings: &[Settings] = match (released.iter().all(|&r| r), released.iter().any(|&r| r)) {
        (true, _) => &[Settings::Released],
        (false, false) => &[Settings::Ours],
        (false, true) => &[Settings::Ours, Settings::Released],
    };
    variants
        .into_iter()
        .flat_map(|v| settings.iter().map(move |&s| path(v, train.precision, s)))
        .collect()
}

/// Which of the released code's choices a configuration makes (those its
/// parts have: the attention form only with attention, the pool only with a
/// discriminator).
fn released_choices(model: &ModelConfig, train: &TrainConfig) -> Vec<bool> {
    let mut choices = vec![
        model.crf == CrfForm::Released,
        model.dropout_layout == DropoutLayout::Released,
        train.inactive_task_step == InactiveStep::Adam,
        train.batching == Batching::Random,
    ];
    if let Some(attention) = &model.attention {
        choices.push(attention.form == AttentionForm::Released);
    }
    if let Some(adversarial) = model.transfer.as_ref().and_then(|t| t.adversarial) {
        choices.push(adversarial.pool == DiscriminatorPool::Padded);
    }
    choices
}

/// The model and schedule of one path: small sizes, the paper's dropout,
/// a learning rate large enough that three epochs move every weight.
fn configs(
    variant: Variant,
    precision: Precision,
    settings: Settings,
) -> (ModelConfig, TrainConfig) {
    let mut model = variant.model_config();
    model.hidden = 6;
    let mut train = TrainConfig {
        lr: 0.02,
        batch_size: 3,
        epochs: EPOCHS,
        patience: EPOCHS,
        seed: 7,
        precision,
        ..TrainConfig::default()
    };
    if let Some(attention) = model.attention.as_mut() {
        attention.heads = 2;
    }
    if settings == Settings::Released {
        model.crf = CrfForm::Released;
        model.dropout_layout = DropoutLayout::Released;
        if let Some(attention) = model.attention.as_mut() {
            attention.form = AttentionForm::Released;
        }
        if let Some(adversarial) = model.transfer.as_mut().and_then(|t| t.adversarial.as_mut()) {
            adversarial.pool = DiscriminatorPool::Padded;
        }
        train.inactive_task_step = InactiveStep::Adam;
        train.batching = Batching::Random;
    }
    (model, train)
}

/// Trains one path and reduces it to its numbers.
fn train_path(
    variant: Variant,
    precision: Precision,
    settings: Settings,
    data: &TaskData,
    embedding: &[f32],
    device: Device,
) -> Vec<(&'static str, f64)> {
    let (model, train) = configs(variant, precision, settings);
    let mut trainer = Trainer::new(&model, &train, data, Some(embedding), device);
    let initial = flat_weights(&trainer);
    // Evaluation of the untrained model, whose tags are not yet all `O`:
    // the decoder and the scorer at work on varied predictions.
    let mut numbers = initial_predictions(&trainer, data);
    while !trainer.finished() {
        if let Err(diverged) = trainer.epoch() {
            // A diverged path is a number too: it differs from a finite one.
            numbers.push(("diverged_epoch", diverged.epoch as f64));
            return numbers;
        }
    }
    let moved = (&flat_weights(&trainer) - &initial).abs();
    // Positive weights by position: a sum that cannot cancel, yet moves
    // when any element's movement does.
    let weights = Tensor::arange(moved.size()[0], (Kind::Double, device)).sin() * 0.5 + 1.0;
    let last = &trainer.state().records[trainer.state().records.len() - 1];
    numbers.push(("ner_loss", last.ner_loss));
    numbers.extend(last.cws_loss.map(|l| ("cws_loss", l)));
    numbers.extend(last.adversarial_loss.map(|l| ("adversarial_loss", l)));
    numbers.push((
        "weights_moved_l1",
        moved.sum(Kind::Double).double_value(&[]),
    ));
    numbers.push((
        "weights_moved_weighted",
        (&moved * weights).sum(Kind::Double).double_value(&[]),
    ));
    numbers.push(("dev_f1", last.dev.overall.f1()));
    if let Some(released) = &last.released_test {
        numbers.push(("released_test_f1", released.overall.f1()));
    }
    numbers
}

/// The initial model's dev tags as one checksum (Σ tag · position) and
/// their conlleval F1 against the gold tags.
fn initial_predictions(trainer: &Trainer, data: &TaskData) -> Vec<(&'static str, f64)> {
    let predicted = trainer.predict(&data.ner_dev);
    let checksum: i64 = predicted
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, &tag)| tag * (i as i64 + 1))
        .sum();
    let names = |rows: Vec<Vec<i64>>| -> Vec<Vec<String>> {
        rows.iter().map(|r| data.ner_tags.names(r)).collect()
    };
    let gold = names(data.ner_dev.iter().map(|s| s.tags.clone()).collect());
    let f1 = crate::metrics::score(&gold, &names(predicted), crate::metrics::Scheme::Conlleval)
        .map_or(f64::NAN, |s| s.overall.f1());
    vec![
        ("initial_dev_tags", checksum as f64),
        ("initial_dev_f1", f1),
    ]
}

/// Every weight, in name order, as one fp64 vector.
fn flat_weights(trainer: &Trainer) -> Tensor {
    let mut variables: Vec<(String, Tensor)> =
        trainer.var_store().variables().into_iter().collect();
    variables.sort_by(|a, b| a.0.cmp(&b.0));
    let flat: Vec<Tensor> = variables
        .iter()
        .map(|(_, t)| t.detach().flatten(0, -1).to_kind(Kind::Double))
        .collect();
    Tensor::cat(&flat, 0)
}

/// A fixed corpus: 9 NER sentences (a PER of one character, a LOC of two,
/// context characters), lengths 3–11, and 9 segmented CWS sentences.
fn synthetic_data() -> TaskData {
    let ner_tags = TagSet::from_tags(["O", "B-PER", "B-LOC", "I-LOC"]);
    let cws_tags = TagSet::cws();
    let id = |tags: &TagSet, t: &str| tags.id(t).unwrap_or(0);
    let mut ner = Vec::new();
    let mut cws = Vec::new();
    for s in 0..9i64 {
        let length = 3 + (s * 5) % 9;
        let chars: Vec<i64> = (0..length).map(|i| 4 + (s * 7 + i * 3) % 9).collect();
        let mut tags: Vec<i64> = vec![id(&ner_tags, "O"); length as usize];
        for (i, &c) in chars.iter().enumerate() {
            if c == 5 {
                tags[i] = id(&ner_tags, "B-PER");
            }
            if c == 7 && i + 1 < chars.len() {
                tags[i] = id(&ner_tags, "B-LOC");
                tags[i + 1] = id(&ner_tags, "I-LOC");
            }
        }
        ner.push(Encoded {
            chars: chars.clone(),
            tags,
        });
        // Words of 1–3 characters, as B(M)E / S.
        let mut cws_row = Vec::new();
        let mut i = 0i64;
        while i < length {
            let word = (1 + (s + i) % 3).min(length - i);
            let names: &[&str] = match word {
                1 => &["S"],
                2 => &["B", "E"],
                _ => &["B", "M", "E"],
            };
            cws_row.extend(names.iter().map(|n| id(&cws_tags, n)));
            i += word;
        }
        cws.push(Encoded {
            chars,
            tags: cws_row,
        });
    }
    TaskData {
        ner_dev: ner[..5].to_vec(),
        ner_test: ner[4..].to_vec(),
        ner_train: ner,
        cws_train: cws,
        ner_tags,
        cws_tags,
        vocab_size: 14,
        embedding_dim: 5,
    }
}

/// A pre-trained table for the embedding path: sin of position.
fn synthetic_embedding(data: &TaskData) -> Vec<f32> {
    (0..data.vocab_size * data.embedding_dim)
        .map(|i| (0.3 * i as f32).sin() * 0.5)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: f64) -> Fingerprint {
        Fingerprint {
            entries: BTreeMap::from([
                ("full/fp32/ours/ner_loss".to_string(), value),
                ("full/bf16/ours/ner_loss".to_string(), value),
            ]),
        }
    }

    #[test]
    fn kernel_noise_passes_and_a_real_change_does_not() {
        let recorded = one(1.234_567_8);
        // 2e-7 relative, the largest kernel noise measured on a loss: none.
        let noise = one(1.234_567_8 * (1.0 + 2e-7));
        assert!(recorded.differences(&noise, |_| true).is_empty());
        // 5e-6 relative: the fp32 loss differs, the bf16 one is within its tolerance.
        let changed = recorded.differences(&one(1.234_567_8 * (1.0 + 5e-6)), |_| true);
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(changed[0].entry, "full/fp32/ours/ner_loss");
        // A path the run does not use is never compared.
        assert!(recorded
            .differences(&one(2.0), |name| name.starts_with("baseline/"))
            .is_empty());
    }

    #[test]
    fn a_weight_movement_tolerates_sign_noise_but_not_a_change() {
        let entry = "baseline/fp32/ours/weights_moved_l1".to_string();
        let at = |v: f64| Fingerprint {
            entries: BTreeMap::from([(entry.clone(), v)]),
        };
        assert!(at(30.0)
            .differences(&at(30.0 * (1.0 + 7e-4)), |_| true)
            .is_empty());
        assert_eq!(at(30.0).differences(&at(30.0 * 1.005), |_| true).len(), 1);
    }

    #[test]
    fn a_run_depends_on_its_own_variant_precision_and_settings() {
        let (model, train) = configs(Variant::Adversarial, Precision::Fp32, Settings::Ours);
        assert_eq!(relevant_paths(&model, &train), ["adversarial/fp32/ours"]);
        let (model, train) = configs(Variant::Full, Precision::Bf16, Settings::Released);
        assert_eq!(relevant_paths(&model, &train), ["full/bf16/released"]);
        let (mut model, train) = configs(Variant::Baseline, Precision::Fp32, Settings::Ours);
        model.crf = CrfForm::Released;
        assert_eq!(
            relevant_paths(&model, &train),
            ["baseline/fp32/ours", "baseline/fp32/released"]
        );
    }
}
