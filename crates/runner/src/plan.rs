//! The plan: fully resolved run configurations, each with a stable id.
//!
//! A run's id is a hash of its resolved configuration, the checksums of the
//! data files it reads and the code revision, so a finished run is recognised
//! (and skipped) whenever the same cell is asked for again, and any change to
//! what would be computed gives a new id. The stop conditions
//! (`train.epochs`, `train.patience`) are not hashed: training never reads
//! them (atner's `train::stop`), so a run is its trajectory and a larger
//! budget continues the same run rather than starting another.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use atner::config::{AdversarialConfig, AttentionConfig, ModelConfig, TrainConfig, TransferConfig};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::config::DataConfig;
use crate::overrides::apply;
use crate::spec::{ExperimentSpec, ModelDefaults, Part, Preset, VariantSpec};

/// Bumped whenever training would compute different numbers for the same
/// configuration, so that old results are never mistaken for new ones.
/// r2: `data.max_sentences` is applied (r1 ignored it and trained on every sentence).
/// r3: padded BiLSTMs replace packed sequences (equal to 1e-5, not bit for bit).
/// r4: fused attention kernel (equal to 1e-5) and dropout masks from a uniform
/// draw (other masks for the same seed).
/// r5: the CRF's log Z and its gradient by forward–backward in plain Rust (equal
/// to brute force to 1e-4, not bit for bit to r4's tensor recursion).
/// r6: Adam as in-place lerp/addcdiv calls (equal to the textbook update to 1e-6,
/// not bit for bit to r5's separate multiply-adds).
/// r7: Adam's last step no longer divides by the learning rate (r6 turned a zero
/// learning rate into NaN weights); equal to r6 up to rounding.
pub const CODE_REVISION: &str = concat!(env!("CARGO_PKG_VERSION"), "+r7");

/// Everything that determines one run's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// The variant's name in the experiment (e.g. `full`).
    pub variant: String,
    pub data: DataConfig,
    pub model: ModelConfig,
    pub train: TrainConfig,
}

impl Default for RunConfig {
    /// The full model with the paper's settings on the default data.
    fn default() -> Self {
        Self {
            variant: "full".into(),
            data: DataConfig::default(),
            model: ModelConfig::default(),
            train: TrainConfig::default(),
        }
    }
}

impl RunConfig {
    /// The run id: 16 hex digits of SHA-256 over config, data checksums and code revision.
    pub fn id(&self, data_checksums: &[String]) -> String {
        let config = self.hashed_json();
        let mut hasher = Sha256::new();
        for part in [config.as_str(), CODE_REVISION]
            .into_iter()
            .chain(data_checksums.iter().map(String::as_str))
        {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hasher.finalize();
        crate::fs::hex(&digest[..8])
    }

    /// The configuration as hashed: its JSON, keys sorted at every level,
    /// without the stop conditions. Settings added after results existed are
    /// left out of the JSON at the value that reproduces the behaviour before
    /// them (`skip_serializing_if`), so adding one never orphans a store.
    fn hashed_json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(train) = value.get_mut("train").and_then(|t| t.as_object_mut()) {
            for key in STOP_CONDITIONS {
                train.remove(key);
            }
        }
        canonical(&value)
    }
}

/// The settings that say how far a run trains, not what it computes.
pub const STOP_CONDITIONS: [&str; 2] = ["epochs", "patience"];

/// JSON with every object's keys in sorted order, whatever map type
/// serde_json was built with.
fn canonical(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::from(k.as_str()),
                        canonical(&map[k])
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// Refuses a plan that asks for arithmetic `device` cannot run at full speed
/// (bf16 on a CPU without native bf16), before anything is trained or written.
pub fn check_precision(runs: &[PlannedRun], device: tch::Device) -> anyhow::Result<()> {
    runs.iter()
        .try_for_each(|run| check_run_precision(&run.config, device))
}

/// [`check_precision`] for one run: the plan, `runner train` and each run
/// process (a Slurm node may differ from the submitting host) all ask this.
pub fn check_run_precision(config: &RunConfig, device: tch::Device) -> anyhow::Result<()> {
    let precision = config.train.precision;
    if let Err(why) = precision.check(device) {
        bail!(
            "train.precision = \"{precision}\" (variant {:?}): {why}. \
             Use --precision fp32 (its runs have other ids)",
            config.variant
        );
    }
    Ok(())
}

/// One cell of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRun {
    pub id: String,
    pub config: RunConfig,
    /// The grid values of this cell, e.g. `seed = 2`, for tables and charts.
    pub cell: BTreeMap<String, String>,
}

/// Command-line changes to an experiment: `--set`, `--seeds`, `--only`.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub set: Vec<(String, serde_json::Value)>,
    pub seeds: Option<Vec<u64>>,
    pub only: Vec<String>,
}

/// Expands `spec` into runs: every variant × every grid combination, in file order.
pub fn expand(
    spec: &ExperimentSpec,
    options: &PlanOptions,
    checksums: impl Fn(&DataConfig, bool) -> anyhow::Result<Vec<String>>,
) -> anyhow::Result<Vec<PlannedRun>> {
    let mut grid = spec.grid.clone();
    if let Some(seeds) = &options.seeds {
        grid.insert(
            "seed".into(),
            seeds
                .iter()
                .map(|&s| toml::Value::Integer(s as i64))
                .collect(),
        );
    }
    if let Some((key, _)) = grid.iter().find(|(_, values)| values.is_empty()) {
        bail!("grid.{key} is empty: a grid needs at least one value");
    }
    for (key, values) in &grid {
        let repeated = values.iter().enumerate().find_map(|(i, v)| {
            let first = values[..i].iter().position(|x| x == v)?;
            Some((first + 1, i + 1, v))
        });
        if let Some((first, again, v)) = repeated {
            let source = match (key.as_str(), &options.seeds) {
                ("seed", Some(_)) => "--seeds".to_string(),
                _ => format!("grid.{key}"),
            };
            bail!("{source}: {v} is listed twice (at positions {first} and {again})");
        }
    }
    let variants = selected_variants(spec, &options.only)?;
    let mut runs = Vec::new();
    for variant in variants {
        let base = variant_config(spec, variant, &options.set)?;
        for cell in combinations(&grid) {
            // A key the variant has no use for (λ without a discriminator)
            // is left out of its cell; the cells it made equal become one run.
            let cell: Vec<_> = cell
                .into_iter()
                .filter(|(k, _)| applies(&base, k))
                .collect();
            let mut config = base.clone();
            for (key, value) in &cell {
                config = apply_setting(&config, key, serde_json::to_value(value)?)
                    .with_context(|| format!("grid key {key:?} for variant {:?}", variant.name))?;
            }
            config.data.resolve_paths(&spec.base);
            let sums = checksums(&config.data, config.model.transfer.is_some())
                .with_context(|| format!("variant {:?}", variant.name))?;
            let id = config.id(&sums);
            if runs.iter().any(|r: &PlannedRun| r.id == id) {
                continue;
            }
            let cell = cell.iter().map(|(k, v)| (k.clone(), display(v))).collect();
            runs.push(PlannedRun { id, config, cell });
        }
    }
    Ok(runs)
}

pub fn selected_variants<'a>(
    spec: &'a ExperimentSpec,
    only: &[String],
) -> anyhow::Result<Vec<&'a VariantSpec>> {
    if spec.variants.is_empty() {
        bail!("the experiment lists no [[variant]]");
    }
    for name in only {
        if !spec.variants.iter().any(|v| &v.name == name) {
            let names: Vec<&str> = spec.variants.iter().map(|v| v.name.as_str()).collect();
            bail!(
                "--only {name:?}: no such variant (the experiment has {})",
                names.join(", ")
            );
        }
    }
    Ok(spec
        .variants
        .iter()
        .filter(|v| only.is_empty() || only.contains(&v.name))
        .collect())
}

/// The experiment's defaults with the variant's parts and settings, then `--set`.
fn variant_config(
    spec: &ExperimentSpec,
    variant: &VariantSpec,
    set: &[(String, serde_json::Value)],
) -> anyhow::Result<RunConfig> {
    Ok(variant_stages(spec, variant, set)?.flags)
}

/// A variant's configuration after each source of settings, in the order
/// they apply (what `runner sweep --explain` reads to say where each
/// setting came from).
#[derive(Debug, Clone)]
pub struct Stages {
    /// The variant's parts at every default.
    pub defaults: RunConfig,
    /// With the experiment file's `[data]`, `[model]` and `[train]`.
    pub file: RunConfig,
    /// The preset in force, and the configuration after it.
    pub preset: Preset,
    pub preset_applied: RunConfig,
    /// With the variant's own `set`.
    pub variant: RunConfig,
    /// With `--set`: the variant's configuration before the grid.
    pub flags: RunConfig,
}

/// [`Stages`] of one variant.
pub fn variant_stages(
    spec: &ExperimentSpec,
    variant: &VariantSpec,
    set: &[(String, serde_json::Value)],
) -> anyhow::Result<Stages> {
    let of = |defaults: &ModelDefaults| -> anyhow::Result<ModelConfig> {
        model_config(defaults, &variant.parts)
            .with_context(|| format!("variant {:?}", variant.name))
    };
    let defaults = RunConfig {
        variant: variant.name.clone(),
        model: of(&ModelDefaults::default())?,
        ..RunConfig::default()
    };
    let file = RunConfig {
        variant: variant.name.clone(),
        data: spec.data.clone(),
        model: of(&spec.model)?,
        train: spec.train.clone(),
    };
    // A preset first, so that any setting given beside it wins.
    let in_variant = variant
        .set
        .get("preset")
        .map(serde_json::to_value)
        .transpose()?;
    let in_flags = set
        .iter()
        .rev()
        .find(|(k, _)| k == "preset")
        .map(|(_, v)| v.clone());
    let preset = match in_flags.or(in_variant) {
        Some(value) => parse_preset(&value)?,
        None => spec.model.preset,
    };
    let mut config = file.clone();
    apply_preset(&mut config, preset);
    let preset_applied = config.clone();
    for (key, value) in variant.set.iter().filter(|(k, _)| *k != "preset") {
        config = apply(&config, key, serde_json::to_value(value)?)
            .with_context(|| format!("variant {:?}", variant.name))?;
    }
    let after_variant = config.clone();
    for (key, value) in set.iter().filter(|(k, _)| k != "preset") {
        if applies(&config, key) {
            config = apply(&config, key, value.clone())
                .with_context(|| format!("variant {:?}", variant.name))?;
        }
    }
    Ok(Stages {
        defaults,
        file,
        preset,
        preset_applied,
        variant: after_variant,
        flags: config,
    })
}

/// The typed model of a set of parts; combinations the model cannot build are errors.
pub fn model_config(defaults: &ModelDefaults, parts: &[Part]) -> anyhow::Result<ModelConfig> {
    let has = |p| parts.contains(&p);
    if has(Part::Cws) != has(Part::Shared) {
        bail!("parts \"cws\" and \"shared\" go together: the CWS task reaches NER through the shared BiLSTM");
    }
    if has(Part::Adversarial) && !has(Part::Shared) {
        bail!("part \"adversarial\" needs \"cws\" and \"shared\": the discriminator reads the shared features");
    }
    let adversarial = has(Part::Adversarial).then_some(AdversarialConfig {
        lambda: defaults.lambda,
        ..AdversarialConfig::default()
    });
    Ok(ModelConfig {
        hidden: defaults.hidden,
        dropout: defaults.dropout,
        transfer: has(Part::Shared).then_some(TransferConfig { adversarial }),
        attention: has(Part::Attention).then_some(AttentionConfig {
            heads: defaults.heads,
            ..AttentionConfig::default()
        }),
        crf: Default::default(),
        dropout_layout: Default::default(),
    })
}

fn parse_preset(value: &serde_json::Value) -> anyhow::Result<Preset> {
    serde_json::from_value(value.clone())
        .map_err(|_| anyhow::anyhow!("preset = {value}: expected \"ours\" or \"released\""))
}

/// Applies one setting: `preset` switches its details, any other key is a
/// dotted path (`overrides::apply`).
pub fn apply_setting(
    config: &RunConfig,
    key: &str,
    value: serde_json::Value,
) -> anyhow::Result<RunConfig> {
    if key != "preset" {
        return apply(config, key, value);
    }
    let mut config = config.clone();
    apply_preset(&mut config, parse_preset(&value)?);
    Ok(config)
}

/// Whether `key` means something for `config`: λ (`lambda`, or its full path)
/// weighs the discriminator's loss, so it is passed over for variants without
/// one, and `--set lambda=0.1` or a λ grid can cover a whole ablation.
pub fn applies(config: &RunConfig, key: &str) -> bool {
    let lambda = ["lambda", "model.transfer.adversarial.lambda"].contains(&key);
    !lambda || config.model.lambda().is_some()
}

/// `cfg` with the settings the manifest gives its NER corpus (SighanNER's
/// d_h and batch size); a corpus by path has none.
pub fn with_dataset_defaults(mut cfg: RunConfig) -> anyhow::Result<RunConfig> {
    let Some(name) = cfg.data.ner.manifest_name().map(str::to_string) else {
        return Ok(cfg);
    };
    let locations = crate::dataset::Locations::discover(None)?;
    let manifest = crate::dataset::Manifest::load(&locations.manifest)?;
    let defaults = manifest.dataset(&name)?.defaults.clone();
    for (key, value) in defaults {
        cfg = apply_setting(&cfg, &key, serde_json::to_value(value)?)
            .with_context(|| format!("{}: defaults of {name}", locations.manifest.display()))?;
    }
    Ok(cfg)
}

/// Switches every detail `preset` names; [`Preset::Ours`] changes nothing.
pub fn apply_preset(config: &mut RunConfig, preset: Preset) {
    use atner::config::{AttentionForm, Batching, CrfForm, DiscriminatorPool, DropoutLayout};
    if preset == Preset::Ours {
        return;
    }
    let model = &mut config.model;
    model.crf = CrfForm::Released;
    model.dropout_layout = DropoutLayout::Released;
    if let Some(attention) = model.attention.as_mut() {
        attention.form = AttentionForm::Released;
    }
    if let Some(adversarial) = model.transfer.as_mut().and_then(|t| t.adversarial.as_mut()) {
        adversarial.pool = DiscriminatorPool::Padded;
    }
    config.train.inactive_task_step = atner::config::InactiveStep::Adam;
    config.train.batching = Batching::Random;
    config.train.epochs = RELEASED_EPOCHS;
    config.data.cws_normalise = true;
}

/// The released code's WeiboNER schedule (docs/fidelity.md, row 1).
pub const RELEASED_EPOCHS: usize = 140;

/// Every combination of grid values, keys in sorted order.
fn combinations(grid: &BTreeMap<String, Vec<toml::Value>>) -> Vec<Vec<(String, toml::Value)>> {
    let mut cells = vec![Vec::new()];
    for (key, values) in grid {
        cells = cells
            .into_iter()
            .flat_map(|cell| {
                values.iter().map(move |v| {
                    let mut next = cell.clone();
                    next.push((key.clone(), v.clone()));
                    next
                })
            })
            .collect();
    }
    cells
}

fn display(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RunConfig {
        RunConfig::default()
    }

    #[test]
    fn the_released_preset_switches_every_detail_and_a_setting_beside_it_wins() {
        let spec: ExperimentSpec = toml::from_str(
            "name = \"x\"\n[[variant]]\nname = \"full\"\nparts = [\"cws\", \"shared\", \"adversarial\", \"attention\"]\n",
        )
        .expect("spec");
        let set = |pairs: &[(&str, serde_json::Value)]| PlanOptions {
            set: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            ..PlanOptions::default()
        };
        let ours = expand(&spec, &PlanOptions::default(), no_checksums).expect("plan");
        let released = "released".into();
        let options = set(&[("preset", released), ("train.epochs", 7.into())]);
        let runs = expand(&spec, &options, no_checksums).expect("plan");
        let (c, o) = (&runs[0].config, &ours[0].config);
        assert_ne!(runs[0].id, ours[0].id);
        assert_eq!(c.model.crf, atner::config::CrfForm::Released);
        assert_eq!(
            c.model.dropout_layout,
            atner::config::DropoutLayout::Released
        );
        assert_eq!(
            c.model.attention.map(|a| a.form),
            Some(atner::config::AttentionForm::Released)
        );
        let pool = c
            .model
            .transfer
            .as_ref()
            .and_then(|t| t.adversarial)
            .map(|a| a.pool);
        assert_eq!(pool, Some(atner::config::DiscriminatorPool::Padded));
        assert_eq!(c.train.batching, atner::config::Batching::Random);
        assert_eq!(
            c.train.inactive_task_step,
            atner::config::InactiveStep::Adam
        );
        assert!(c.data.cws_normalise);
        assert_eq!(
            (c.train.epochs, o.train.epochs),
            (7, TrainConfig::default().epochs),
            "the flag beside the preset wins"
        );
        let wrong = set(&[("preset", "sideways".into())]);
        let err = format!(
            "{:#}",
            expand(&spec, &wrong, no_checksums).expect_err("refused")
        );
        assert!(err.contains("expected \"ours\" or \"released\""), "{err}");
    }

    #[test]
    fn the_manifest_gives_sighan_its_released_sizes_and_weibo_none() {
        let mut sighan = RunConfig::default();
        sighan.data.ner = "sighan".into();
        let sighan = with_dataset_defaults(sighan).expect("the workspace manifest");
        assert_eq!((sighan.model.hidden, sighan.train.batch_size), (140, 64));
        let weibo = with_dataset_defaults(RunConfig::default()).expect("manifest");
        assert_eq!(weibo, RunConfig::default());
    }

    #[test]
    fn id_is_stable_and_sensitive_to_every_input() {
        let sums = vec!["abc".to_string()];
        let base = config().id(&sums);
        assert_eq!(base, config().id(&sums));
        assert_eq!(base.len(), 16);
        let mut other = config();
        other.train.seed = 2;
        assert_ne!(other.id(&sums), base);
        assert_ne!(config().id(&["abd".to_string()]), base);
        other = config();
        other.train.precision = atner::precision::Precision::Bf16;
        assert_ne!(other.id(&sums), base);
    }

    #[test]
    fn stop_conditions_do_not_identify_a_run() {
        let sums = vec!["abc".to_string()];
        let base = config().id(&sums);
        let mut longer = config();
        longer.train.epochs = 200;
        longer.train.patience = 20;
        assert_eq!(longer.id(&sums), base);
        assert!(!config().hashed_json().contains("\"epochs\""));
        assert!(config().hashed_json().contains("\"seed\":1"));
    }

    #[test]
    fn the_hashed_json_sorts_keys_at_every_level() {
        let value = serde_json::json!({"b": {"z": 1, "a": [{"y": 2, "x": 3}]}, "a": null});
        assert_eq!(
            canonical(&value),
            r#"{"a":null,"b":{"a":[{"x":3,"y":2}],"z":1}}"#
        );
    }

    fn spec(text: &str) -> ExperimentSpec {
        toml::from_str(text).expect("a valid test spec")
    }

    const TWO_VARIANTS: &str = r#"
        name = "t"
        [grid]
        seed = [1, 2, 3]
        [[variant]]
        name = "baseline"
        [[variant]]
        name = "full"
        parts = ["cws", "shared", "adversarial", "attention"]
        set = { "train.epochs" = 4 }
    "#;

    fn no_checksums(_: &DataConfig, _: bool) -> anyhow::Result<Vec<String>> {
        Ok(Vec::new())
    }

    #[test]
    fn plan_is_variants_times_grid() {
        let runs =
            expand(&spec(TWO_VARIANTS), &PlanOptions::default(), no_checksums).expect("expands");
        assert_eq!(runs.len(), 6);
        assert_eq!(runs[3].config.variant, "full");
        assert_eq!(runs[3].config.train.epochs, 4);
        assert_eq!(runs[4].config.train.seed, 2);
        assert_eq!(runs[4].cell["seed"], "2");
        assert!(runs[0].config.model.transfer.is_none());
        let mut ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 6);
    }

    #[test]
    fn options_override_seeds_variants_and_settings() {
        let options = PlanOptions {
            set: vec![("train.lr".into(), serde_json::json!(0.01))],
            seeds: Some(vec![7]),
            only: vec!["full".into()],
        };
        let runs = expand(&spec(TWO_VARIANTS), &options, no_checksums).expect("expands");
        assert_eq!(runs.len(), 1);
        assert_eq!(
            (runs[0].config.train.seed, runs[0].config.train.lr),
            (7, 0.01)
        );
        let bad = PlanOptions {
            only: vec!["fulll".into()],
            ..Default::default()
        };
        assert!(expand(&spec(TWO_VARIANTS), &bad, no_checksums)
            .unwrap_err()
            .to_string()
            .contains("fulll"));
    }

    #[test]
    fn lambda_reaches_only_variants_with_a_discriminator() {
        let text = r#"
            name = "t"
            [grid]
            lambda = [0.01, 0.1]
            [[variant]]
            name = "baseline"
            [[variant]]
            name = "adversarial"
            parts = ["cws", "shared", "adversarial"]
        "#;
        let runs = expand(&spec(text), &PlanOptions::default(), no_checksums).expect("expands");
        let lambdas: Vec<(&str, Option<f64>)> = runs
            .iter()
            .map(|r| (r.config.variant.as_str(), r.config.model.lambda()))
            .collect();
        assert_eq!(
            lambdas,
            [
                ("baseline", None),
                ("adversarial", Some(0.01)),
                ("adversarial", Some(0.1))
            ]
        );
        assert!(!runs[0].cell.contains_key("lambda"));
        assert_eq!(runs[2].cell["lambda"], "0.1");

        let options = PlanOptions {
            set: vec![("lambda".into(), serde_json::json!(0.3))],
            ..Default::default()
        };
        let runs = expand(&spec(TWO_VARIANTS), &options, no_checksums).expect("expands");
        assert_eq!(runs[0].config.model.lambda(), None);
        assert_eq!(runs[3].config.model.lambda(), Some(0.3));
    }

    #[test]
    fn impossible_parts_and_empty_grids_are_errors() {
        let text = "name = \"t\"\n[[variant]]\nname = \"x\"\nparts = [\"adversarial\"]\n";
        let err = format!(
            "{:#}",
            expand(&spec(text), &PlanOptions::default(), no_checksums).unwrap_err()
        );
        assert!(
            err.contains("adversarial") && err.contains("\"x\""),
            "{err}"
        );
        let text = "name = \"t\"\n[grid]\nseed = []\n[[variant]]\nname = \"b\"\n";
        assert!(expand(&spec(text), &PlanOptions::default(), no_checksums).is_err());
    }
}
