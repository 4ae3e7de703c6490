//! Hyper-parameters. `Default` carries the paper's numbers (§4.2) and, where the
//! paper is silent, the released code's.
//!
//! The ablation switches of Table 5 are typed: a variant is a [`ModelConfig`]
//! whose optional parts are present or absent; only [`crate::model`] branches on them.

use serde::{Deserialize, Serialize};

use crate::precision::Precision;

/// The model: sizes plus the switched parts of Table 5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// d_h: hidden units per LSTM direction (120; the released code uses 140 for SighanNER).
    pub hidden: i64,
    /// Dropout on the embeddings and before the tag projection (0.3).
    pub dropout: f64,
    /// CWS as an auxiliary task through a shared BiLSTM (+transfer).
    pub transfer: Option<TransferConfig>,
    /// Multi-head self-attention on every BiLSTM output (+self-attention).
    pub attention: Option<AttentionConfig>,
    /// The CRF's parameters: ours (start, end and transition scores) or the
    /// released code's (transitions only). Left out of the JSON at its default,
    /// like [`AttentionConfig::form`].
    #[serde(default, skip_serializing_if = "CrfForm::is_ours")]
    pub crf: CrfForm,
    /// Where dropout is applied (docs/fidelity.md, row 2); left out of the
    /// JSON at its default.
    #[serde(default, skip_serializing_if = "DropoutLayout::is_ours")]
    pub dropout_layout: DropoutLayout,
}

/// Where the model drops activations in training.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DropoutLayout {
    /// `model.dropout` on the embeddings and on the features entering the tanh layer.
    #[default]
    Ours,
    /// The released code's rates, `model.dropout` not read: 0.3 on the
    /// embeddings, 0.3 on each BiLSTM's input (its own mask), 0.4 on each
    /// BiLSTM's output, 0.3 after the tanh layer, 0.3 on the discriminator's input.
    Released,
}

impl DropoutLayout {
    pub fn is_ours(&self) -> bool {
        *self == DropoutLayout::Ours
    }
}

/// Which scores the CRF of §3.4 learns (docs/fidelity.md, row 6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrfForm {
    /// Transition, start and end scores, initialised U(±0.1) (as most
    /// implementations; the paper's eq. 10 has transitions only).
    #[default]
    Ours,
    /// The released code: transition scores only (eq. 10 as written), Xavier-initialised.
    Released,
}

impl CrfForm {
    pub fn is_ours(&self) -> bool {
        *self == CrfForm::Ours
    }
}

/// Transfer from word segmentation; adversarial training is optional within it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferConfig {
    /// The task discriminator behind gradient reversal (+adversarial).
    pub adversarial: Option<AdversarialConfig>,
}

/// Adversarial loss weight λ (eq. 18; 0.06 in §4.2) and the discriminator's pooling.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdversarialConfig {
    pub lambda: f64,
    /// Left out of the JSON at its default, like [`AttentionConfig::form`].
    #[serde(default, skip_serializing_if = "DiscriminatorPool::is_masked")]
    pub pool: DiscriminatorPool,
}

/// What the discriminator's max-pool (eq. 15) runs over (docs/fidelity.md, row 7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiscriminatorPool {
    /// The real characters only, as the paper says.
    #[default]
    Masked,
    /// As the released code: every one of the 80 padded positions, whose
    /// features beyond a sentence's end are zeros, so the pool is
    /// max(real maximum, 0) for a sentence shorter than 80 characters.
    Padded,
}

impl DiscriminatorPool {
    pub fn is_masked(&self) -> bool {
        *self == DiscriminatorPool::Masked
    }
}

/// Multi-head self-attention (eq. 6–8).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttentionConfig {
    /// Number of heads h (8); d_k = 2·d_h / h.
    pub heads: i64,
    /// The paper's equations or the released code's variant of them. Left
    /// out of a configuration's JSON at its default, so that the run ids of
    /// results trained before the setting existed stay what they were.
    #[serde(default, skip_serializing_if = "AttentionForm::is_paper")]
    pub form: AttentionForm,
}

/// How the attention of §3.3 is written (docs/fidelity.md, row 3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttentionForm {
    /// As eq. 6–8: linear maps to Q, K, V per head, the joined heads projected
    /// by W_o; no dropout inside.
    #[default]
    Paper,
    /// As the released code: Q, K, V = ReLU(dense layer with bias), no W_o,
    /// dropout 0.3 on the attention probabilities in training.
    Released,
}

impl AttentionForm {
    pub fn is_paper(&self) -> bool {
        *self == AttentionForm::Paper
    }
}

impl Default for AdversarialConfig {
    fn default() -> Self {
        Self {
            lambda: 0.06,
            pool: DiscriminatorPool::Masked,
        }
    }
}

impl Default for AttentionConfig {
    fn default() -> Self {
        Self {
            heads: 8,
            form: AttentionForm::Paper,
        }
    }
}

/// The five variants of Table 5, each a [`ModelConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    Baseline,
    Transfer,
    Adversarial,
    SelfAttention,
    Full,
}

impl Variant {
    pub const ALL: [Variant; 5] = [
        Variant::Baseline,
        Variant::Transfer,
        Variant::Adversarial,
        Variant::SelfAttention,
        Variant::Full,
    ];

    /// The paper's name for the variant (Table 5 rows).
    pub fn paper_name(self) -> &'static str {
        match self {
            Variant::Baseline => "BiLSTM+CRF",
            Variant::Transfer => "BiLSTM+CRF+transfer",
            Variant::Adversarial => "BiLSTM+CRF+adversarial",
            Variant::SelfAttention => "BiLSTM+CRF+self-attention",
            Variant::Full => "BiLSTM+CRF+adversarial+self-attention",
        }
    }

    /// The variant with these switched parts, if Table 5 has one: the one
    /// place where parts and variants meet (its inverse is [`Self::model_config`]).
    pub fn of_parts(transfer: bool, adversarial: bool, attention: bool) -> Option<Self> {
        match (transfer, adversarial, attention) {
            (false, false, false) => Some(Variant::Baseline),
            (true, false, false) => Some(Variant::Transfer),
            (true, true, false) => Some(Variant::Adversarial),
            (false, false, true) => Some(Variant::SelfAttention),
            (true, true, true) => Some(Variant::Full),
            _ => None,
        }
    }

    /// The model for this variant with the paper's sizes.
    pub fn model_config(self) -> ModelConfig {
        let adversarial = Some(TransferConfig {
            adversarial: Some(AdversarialConfig::default()),
        });
        let (transfer, attention) = match self {
            Variant::Baseline => (None, None),
            Variant::Transfer => (Some(TransferConfig { adversarial: None }), None),
            Variant::Adversarial => (adversarial, None),
            Variant::SelfAttention => (None, Some(AttentionConfig::default())),
            Variant::Full => (adversarial, Some(AttentionConfig::default())),
        };
        ModelConfig {
            transfer,
            attention,
            ..ModelConfig::default()
        }
    }
}

impl Default for ModelConfig {
    /// The full model with the paper's sizes.
    fn default() -> Self {
        Self {
            hidden: 120,
            dropout: 0.3,
            transfer: Some(TransferConfig {
                adversarial: Some(AdversarialConfig::default()),
            }),
            attention: Some(AttentionConfig::default()),
            crf: CrfForm::Ours,
            dropout_layout: DropoutLayout::Ours,
        }
    }
}

impl ModelConfig {
    /// The Table 5 variant whose parts this model switches on, if any.
    pub fn variant(&self) -> Option<Variant> {
        let transfer = self.transfer.as_ref();
        let adversarial = transfer.is_some_and(|t| t.adversarial.is_some());
        Variant::of_parts(transfer.is_some(), adversarial, self.attention.is_some())
    }

    pub fn lambda(&self) -> Option<f64> {
        let adversarial = self.transfer.as_ref()?.adversarial?;
        Some(adversarial.lambda)
    }
}

/// Optimisation and schedule (§3.6, §4.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Adam learning rate (0.001).
    pub lr: f64,
    /// Sentences per batch for both tasks (20 for WeiboNER, 64 for SighanNER).
    pub batch_size: usize,
    /// Global gradient-norm clip (5, from the released code).
    pub clip: f64,
    /// Maximum number of epochs (one epoch = one pass over the NER training
    /// set); 200 by default, a budget meant never to bind: every one of the
    /// 70 converged WeiboNER runs ended by patience, within 36–142 epochs.
    pub epochs: usize,
    /// Stop after this many epochs without a better NER dev F1 (20: WeiboNER's
    /// dev F1 swings ±2 points between epochs, and patience 4–5 stopped runs
    /// before their best epoch).
    pub patience: usize,
    /// Seeds the weights, dropout and batch order.
    pub seed: u64,
    /// The arithmetic of the layers: fp32, or bf16 with fp32 weights and CRF
    /// ([`crate::precision`]).
    pub precision: Precision,
    /// Whether a step of one task moves the other task's weights through
    /// Adam's moments (docs/fidelity.md, row 4). Left out of the JSON at its
    /// default, like [`AttentionConfig::form`].
    #[serde(skip_serializing_if = "InactiveStep::is_skip")]
    pub inactive_task_step: InactiveStep,
    /// How training sentences are grouped into batches (row 8).
    #[serde(skip_serializing_if = "Batching::is_bucketed")]
    pub batching: Batching,
}

/// What Adam does with the weights a step's loss does not reach (the other
/// task's private layers): row 4 of docs/fidelity.md.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InactiveStep {
    /// Leave them alone (PyTorch with gradients set to `None`).
    #[default]
    Skip,
    /// The released code: one Adam over `is_ner·L_ner + (1−is_ner)·L_cws + λ·L_adv`
    /// gives them zero gradients, and Adam still moves them by its moments.
    Adam,
}

impl InactiveStep {
    pub fn is_skip(&self) -> bool {
        *self == InactiveStep::Skip
    }
}

/// How an epoch's sentences are batched (row 8 of docs/fidelity.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Batching {
    /// Shuffled, then grouped by length (less padding); every sentence used.
    #[default]
    Bucketed,
    /// The released code: shuffled, in that order, the last partial batch dropped.
    Random,
}

impl Batching {
    pub fn is_bucketed(&self) -> bool {
        *self == Batching::Bucketed
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            lr: 0.001,
            batch_size: 20,
            clip: 5.0,
            epochs: 200,
            patience: 20,
            seed: 1,
            precision: Precision::Fp32,
            inactive_task_step: InactiveStep::Skip,
            batching: Batching::Bucketed,
        }
    }
}

impl Variant {
    /// The variant's name in experiment files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline",
            Variant::Transfer => "transfer",
            Variant::Adversarial => "adversarial",
            Variant::SelfAttention => "self-attention",
            Variant::Full => "full",
        }
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Variant {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Variant::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
                format!(
                    "unknown variant {s:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_variants_are_one_mapping() {
        for variant in Variant::ALL {
            assert_eq!(variant.model_config().variant(), Some(variant));
        }
        assert_eq!(Variant::of_parts(true, false, true), None);
        assert_eq!(Variant::of_parts(false, true, false), None);
    }
}
