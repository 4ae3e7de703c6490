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
    /// The paper's tables its report renders, e.g. `["table2", "table5"]`;
    /// a report never renders one the experiment did not ask for (none by
    /// default: an own ablation's report shows its comparisons and
    /// configurations).
    #[serde(default)]
    pub tables: Vec<PaperTable>,
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
    /// The comparisons the experiment exists to decide: its report's
    /// comparison table and the claims `runner sweep --until-decided`
    /// spends seeds on (`[[claim]]` is read as a synonym).
    #[serde(default, rename = "compare", alias = "claim")]
    pub compare: Vec<CompareSpec>,
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

/// One of the paper's tables (or the λ chart) an experiment's report renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PaperTable {
    /// Table 2: WeiboNER (original release) against earlier systems.
    Table2,
    /// Table 3: WeiboNER (updated release), named and nominal mentions.
    Table3,
    /// Table 4: SighanNER (MSRA).
    Table4,
    /// Table 5: the ablation, with its charts and paired tests.
    Table5,
    /// The λ sensitivity chart (§4.6).
    Lambda,
}

impl PaperTable {
    pub const ALL: [PaperTable; 5] = [
        PaperTable::Table2,
        PaperTable::Table3,
        PaperTable::Table4,
        PaperTable::Table5,
        PaperTable::Lambda,
    ];

    /// The id its files and the report use (`table5`, `lambda`).
    pub fn id(self) -> &'static str {
        match self {
            PaperTable::Table2 => "table2",
            PaperTable::Table3 => "table3",
            PaperTable::Table4 => "table4",
            PaperTable::Table5 => "table5",
            PaperTable::Lambda => "lambda",
        }
    }
}

/// A comparison: variant `a` against variant `b` (per seed, a's
/// dev-selected test F1 minus b's), optionally with the effect someone
/// expects or reported, which the data can rule out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareSpec {
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

/// The 1-based line of byte `offset` in `text` (a TOML span's start).
pub fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
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
        spec.check_compare(&text)
            .map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))?;
        Ok(spec)
    }

    /// Every `[[compare]]` names two different variants of the experiment;
    /// an error starts with the line it is on.
    pub fn check_compare(&self, text: &str) -> Result<(), String> {
        let line = |offset: usize| line_at(text, offset);
        let variants: Vec<&str> = self.variants.iter().map(|v| v.name.as_str()).collect();
        for c in &self.compare {
            for name in [&c.a, &c.b] {
                if !variants.contains(&name.get_ref().as_str()) {
                    return Err(format!(
                        "{}: compare names variant {:?}, not one of {}",
                        line(name.span().start),
                        name.get_ref(),
                        variants.join(", ")
                    ));
                }
            }
            if c.a.get_ref() == c.b.get_ref() {
                return Err(format!(
                    "{}: a comparison needs two different variants",
                    line(c.a.span().start)
                ));
            }
        }
        Ok(())
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
