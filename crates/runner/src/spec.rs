//! Experiment files: the serde mirror of `experiments/*.toml`.
//!
//! An experiment names its data, default hyper-parameters, a list of variants
//! (each a set of switched parts of Table 5 plus overrides) and grids over any
//! setting; the plan is the product of variants and grids. Unknown keys are
//! errors with the file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use atner::config::TrainConfig;
use serde::Deserialize;

use crate::config::DataConfig;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    pub name: String,
    /// One line on what the experiment measures (`runner sweep --dry-run`
    /// prints it above the plan).
    #[serde(default)]
    pub description: String,
    /// The paper table(s) the experiment's runs feed, e.g. `["table2",
    /// "table5"]`: stated with the description. The report itself fills every
    /// table its runs can fill, from the runs alone.
    #[serde(default)]
    pub tables: Vec<String>,
    #[serde(default)]
    pub data: DataConfig,
    #[serde(default)]
    pub model: ModelDefaults,
    #[serde(default)]
    pub train: TrainConfig,
    /// Setting (dotted path or alias) → values; every combination is a cell.
    #[serde(default)]
    pub grid: BTreeMap<String, Vec<toml::Value>>,
    #[serde(rename = "variant")]
    pub variants: Vec<VariantSpec>,
    /// The comparisons the experiment exists to decide, which `runner sweep
    /// --until-decided` spends seeds on.
    #[serde(default, rename = "claim")]
    pub claims: Vec<ClaimSpec>,
    /// How `--until-decided` looks at its claims (default: `DecideSpec`'s).
    #[serde(default)]
    pub decide: DecideSpec,
    /// The experiment file's directory, against which relative data paths
    /// (in the file or in `--set`) are resolved; the current directory for
    /// a spec that was not read from a file.
    #[serde(skip)]
    pub base: PathBuf,
}

/// Sizes shared by every variant; a part that is switched off ignores its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelDefaults {
    pub hidden: i64,
    pub dropout: f64,
    pub heads: i64,
    pub lambda: f64,
    /// Every implementation detail at once (docs/fidelity.md); `--set
    /// preset=released` does the same from the command line.
    pub preset: Preset,
}

/// A set of implementation details switched together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Today's defaults: each setting at its default.
    #[default]
    Ours,
    /// The released code's details (docs/fidelity.md, rows 1–4 and 6–9):
    /// attention form, CRF, discriminator pool, dropout layout,
    /// inactive-task Adam steps, random batches, CWS normalisation, 140 epochs.
    Released,
}

impl Default for ModelDefaults {
    fn default() -> Self {
        // The paper's sizes (§4.2), from the one place that states them.
        let model = atner::config::ModelConfig::default();
        Self {
            hidden: model.hidden,
            dropout: model.dropout,
            heads: atner::config::AttentionConfig::default().heads,
            lambda: atner::config::AdversarialConfig::default().lambda,
            preset: Preset::Ours,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    pub name: String,
    /// The switched parts: `cws`, `shared`, `adversarial`, `attention`.
    #[serde(default)]
    pub parts: Vec<Part>,
    /// Per-variant settings, as with `--set`.
    #[serde(default)]
    pub set: BTreeMap<String, toml::Value>,
}

/// A claim: variant `a` improves on variant `b` (per seed, a's dev-selected
/// test F1 minus b's), optionally with the effect someone reported.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    pub a: toml::Spanned<String>,
    pub b: toml::Spanned<String>,
    /// The reported delta (e.g. the paper's), which a claim can rule out.
    #[serde(default)]
    pub reference: Option<f64>,
}

/// The planned looks of `--until-decided` (see `stats::sequential`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecideSpec {
    /// Error of each claim over all its looks (two-sided).
    pub alpha: f64,
    /// Seeds at the first look.
    pub first: usize,
    /// Seeds added per round.
    pub round: usize,
    /// Seeds at the last look.
    pub max_seeds: usize,
}

impl Default for DecideSpec {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            first: 5,
            round: 5,
            max_seeds: 40,
        }
    }
}

/// A switchable part of the model (Table 5's columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// Word segmentation as an auxiliary task.
    Cws,
    /// The shared BiLSTM.
    Shared,
    /// The task discriminator behind gradient reversal.
    Adversarial,
    /// Multi-head self-attention.
    Attention,
}

impl ExperimentSpec {
    /// Reads and parses an experiment file; errors name the file, line and column.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut spec: Self =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        spec.base =
            std::path::absolute(dir).with_context(|| format!("resolving {}", dir.display()))?;
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_rejects_unknown_key_with_line() {
        let text = "name = \"x\"\n[train]\nepochs = 3\nepochz = 4\n[[variant]]\nname = \"b\"\n";
        let err = toml::from_str::<ExperimentSpec>(text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4") && err.contains("epochz"), "{err}");
    }

    #[test]
    fn spec_rejects_unknown_part() {
        let text = "name = \"x\"\n[[variant]]\nname = \"b\"\nparts = [\"cws\", \"lasers\"]\n";
        let err = toml::from_str::<ExperimentSpec>(text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("lasers") && err.contains("line 4"), "{err}");
    }
}
