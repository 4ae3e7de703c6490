//! One row per configuration (dataset × variant name × grid cell other than
//! the seed) with dev and test F1 over seeds and a paired test against a
//! reference row: how any ablation a user writes (the released-code details
//! of `experiments/fidelity.toml`, a grid over `data.embeddings`) is read,
//! where the paper's tables would average such runs into one row.
//!
//! The reference of a configuration is the configuration of the same dataset
//! and parts whose variant name is the paper's (`baseline`, `full`, …) and
//! whose cell is empty; without one, the first configuration of those parts
//! in name order. The test is [`crate::stats::sign_flip_p`] over the seeds
//! both have (the seed is the unit), on dev F1 (to decide on) and on test F1
//! of the dev-selected epoch (to read afterwards).

use std::collections::BTreeMap;

use atner::train::TrainState;

use super::aggregate::Stat;
use super::significance::{compare, format_p, runs_where, Comparison, Gold, Split, SystemRuns};
use super::source::Source;
use super::tables::{Cell, ColumnGroup, Row, Table};
use crate::stats::sign_flip_p;
use crate::store::RunResult;

/// What identifies a configuration: dataset label, parts, variant name, cell.
type Key = (String, Option<&'static str>, String, String);

/// Per seed: (dev F1, test F1) at the dev-selected epoch.
type Scores = BTreeMap<u64, (f64, f64)>;

/// The table, or `None` when every (dataset, parts) has one configuration
/// (the paper's tables already show each).
pub fn table(sources: &[Source]) -> Option<Table> {
    let configs = collect(sources);
    if !several_per_variant(&configs) {
        return None;
    }
    let mut rows = Vec::new();
    let mut last: Option<(String, Option<&str>)> = None;
    for (key, scores) in &configs {
        let reference = reference(&configs, key);
        let group = (key.0.clone(), key.1);
        let rule = last.as_ref().is_some_and(|l| *l != group);
        rows.push(row(key, scores, reference.map(|r| (r, &configs[r])), rule));
        last = Some(group);
    }
    Some(Table {
        id: "configurations".into(),
        title: "Every configuration: F1 (%) over seeds, and the paired difference from its reference".into(),
        lead: ["Dataset", "Configuration", "seeds"].map(String::from).to_vec(),
        groups: vec![group("dev"), group("test")],
        rows,
        notes: vec![
            "Dev F1 and the test F1 of the same (dev-selected) epoch: decide on dev, read test after deciding. A configuration is a variant name and its grid cell other than the seed. Its reference (named in the last column of each group) is the configuration of the same dataset and parts named as the paper's variant with no other grid value, else the first of those parts by name. Δ is the mean over the seeds both have of (this − reference); p is an exact two-sided sign-flip test of that mean (the seed is the unit; three seeds can never reach p < 0.25). No correction for multiple comparisons.".into(),
        ],
    })
}

/// Each configuration against its reference on dev by the paired
/// approximate randomization test over dev sentences, pooled over the seeds
/// both have ([`super::significance`]); beside [`table`]'s seed-level test,
/// the sentence-level one a decision on dev can also be read from. `None`
/// when [`table`] is.
pub fn dev_randomization(
    sources: &[Source],
    gold: &mut Gold,
    resamples: usize,
    seed: u64,
) -> anyhow::Result<Option<Table>> {
    let configs = collect(sources);
    if !several_per_variant(&configs) {
        return Ok(None);
    }
    let mut comparisons = Vec::new();
    let mut notes = Vec::new();
    // Each configuration's runs are read once, however many it is the
    // reference of.
    let mut read: BTreeMap<&Key, SystemRuns> = BTreeMap::new();
    for key in configs.keys() {
        let Some(r) = reference(&configs, key).filter(|r| *r != key) else {
            continue;
        };
        // Sentences pair only when both read the same dev sentences.
        if dev_sets(sources, key) != dev_sets(sources, r) {
            notes.push(format!(
                "{} is not paired with {}: their runs read different dev sets (split seed or sentence limit)",
                label(key),
                label(r)
            ));
            continue;
        }
        for k in [key, r] {
            if !read.contains_key(k) {
                let keep = |run: &RunResult| self::key(run) == *k;
                let (runs, left_out) = runs_where(sources, label(k), keep, Split::Dev, gold)?;
                notes.extend(left_out);
                read.insert(k, runs);
            }
        }
        if let Some(c) = compare(&read[key], &read[r], resamples, seed) {
            comparisons.push((key.0.clone(), c));
        }
    }
    Ok(Some(dev_table(&comparisons, resamples, seed, notes)))
}

/// Whether some (dataset, parts) has more than one configuration: otherwise
/// the paper's tables already show each, and there is nothing to compare.
fn several_per_variant(configs: &BTreeMap<Key, Scores>) -> bool {
    configs.keys().any(|k| {
        configs
            .keys()
            .filter(|o| (&o.0, o.1) == (&k.0, k.1))
            .count()
            > 1
    })
}

/// The dev sets a configuration's runs read: sampled with the split seed,
/// cut to the sentence limit.
fn dev_sets(sources: &[Source], k: &Key) -> Vec<(u64, Option<usize>)> {
    let mut sets: Vec<_> = sources
        .iter()
        .flat_map(|s| &s.results)
        .filter(|r| key(r) == *k)
        .map(|r| (r.config.data.split_seed, r.config.data.max_sentences))
        .collect();
    sets.sort_unstable();
    sets.dedup();
    sets
}

/// A configuration's name as the tables show it.
fn label(key: &Key) -> String {
    match key.3.is_empty() {
        true => key.2.clone(),
        false => format!("{} ({})", key.2, key.3),
    }
}

fn dev_table(
    comparisons: &[(String, Comparison)],
    resamples: usize,
    seed: u64,
    notes: Vec<String>,
) -> Table {
    let rows = comparisons
        .iter()
        .enumerate()
        .map(|(i, (dataset, c))| Row {
            cells: vec![
                Cell::Text(dataset.clone()),
                Cell::Text(c.a.clone()),
                Cell::Text(c.b.clone()),
                Cell::Text(c.seeds.len().to_string()),
                Cell::Number(c.outcome.f1_a),
                Cell::Number(c.outcome.f1_b),
                Cell::Delta(c.outcome.delta()),
                Cell::Text(format!("{}/{}", c.wins, c.seeds.len())),
                Cell::Text(format_p(&c.outcome)),
            ],
            n: vec![Some(c.seeds.len())],
            rule_before: i > 0 && comparisons[i - 1].0 != *dataset,
        })
        .collect();
    let mut all_notes = vec![format!(
        "Dev F1 (%) of the dev-selected epochs. Paired approximate randomization over dev sentences, pooled over the seeds both configurations have (units = sentences × seeds): R = {resamples} resamples, ChaCha8 seeded with {seed}; two-sided p = (c + 1) / (R + 1). F1 and ΔF1 are micro scores over all paired seeds' dev sentences; \"this > reference\" counts the seeds on which this configuration scores higher. The sentence is the unit here, the seed in the table above: with few seeds this test sees differences that the seed-level one cannot yet separate from seed noise. No correction for multiple comparisons."
    )];
    all_notes.extend(notes);
    Table {
        id: "configurations-dev-randomization".into(),
        title: "Every configuration against its reference: paired randomization test on dev".into(),
        lead: ["Dataset", "Configuration", "reference", "seeds"]
            .map(String::from)
            .to_vec(),
        groups: vec![ColumnGroup {
            title: String::new(),
            columns: ["dev F1", "reference dev F1", "ΔF1", "this > reference", "p"]
                .map(String::from)
                .to_vec(),
        }],
        rows,
        notes: all_notes,
    }
}

fn group(title: &str) -> ColumnGroup {
    ColumnGroup {
        title: title.into(),
        columns: ["F1", "Δ vs reference", "p", "reference"]
            .map(String::from)
            .to_vec(),
    }
}

fn collect(sources: &[Source]) -> BTreeMap<Key, Scores> {
    let mut configs: BTreeMap<Key, Scores> = BTreeMap::new();
    for r in sources.iter().flat_map(|s| &s.results) {
        if let Some(scores) = selected(&r.state) {
            configs
                .entry(key(r))
                .or_default()
                .entry(r.config.train.seed)
                .or_insert(scores);
        }
    }
    configs
}

fn key(r: &RunResult) -> Key {
    let c = &r.config;
    let dataset = format!(
        "{} ({})",
        c.data.ner.label(),
        super::significance::mode_name(c.data.mode)
    );
    let parts = c.model.variant();
    let cell: Vec<String> = r
        .cell
        .iter()
        .filter(|(k, _)| k.as_str() != "seed")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    (
        dataset,
        parts.map(|v| v.name()),
        c.variant.clone(),
        cell.join(", "),
    )
}

fn selected(state: &TrainState) -> Option<(f64, f64)> {
    let best = state.best()?;
    Some((best.dev.overall.f1(), best.test.overall.f1()))
}

fn reference<'a>(configs: &'a BTreeMap<Key, Scores>, key: &Key) -> Option<&'a Key> {
    let peers = || configs.keys().filter(|o| (&o.0, o.1) == (&key.0, key.1));
    let named = peers().find(|o| Some(o.2.as_str()) == o.1 && o.3.is_empty());
    named.or_else(|| peers().next())
}

fn row(key: &Key, scores: &Scores, reference: Option<(&Key, &Scores)>, rule: bool) -> Row {
    let mut cells = vec![
        Cell::Text(key.0.clone()),
        Cell::Text(label(key)),
        Cell::Text(scores.len().to_string()),
    ];
    for pick in [|s: &(f64, f64)| s.0, |s: &(f64, f64)| s.1] {
        let values: Vec<f64> = scores.values().map(pick).collect();
        cells.push(Stat::of(&values).map_or(Cell::Blank, Cell::Stat));
        cells.extend(comparison(key, scores, reference, pick));
    }
    Row {
        cells,
        n: vec![Some(scores.len()), Some(scores.len())],
        rule_before: rule,
    }
}

/// Δ, p and the reference's name, or blanks for the reference itself.
fn comparison(
    key: &Key,
    scores: &Scores,
    reference: Option<(&Key, &Scores)>,
    pick: fn(&(f64, f64)) -> f64,
) -> [Cell; 3] {
    let Some((r, theirs)) = reference.filter(|(r, _)| *r != key) else {
        return [Cell::Blank, Cell::Blank, Cell::Text("(reference)".into())];
    };
    let diffs: Vec<f64> = scores
        .iter()
        .filter_map(|(seed, s)| Some(pick(s) - pick(theirs.get(seed)?)))
        .collect();
    let name = Cell::Text(r.2.clone());
    if diffs.is_empty() {
        return [Cell::Blank, Cell::Blank, name];
    }
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    let p = match diffs.len() >= 2 {
        true => format!("{:.3}", sign_flip_p(&diffs)),
        false => "–".into(),
    };
    [Cell::Delta(mean), Cell::Text(p), name]
}

#[cfg(test)]
mod tests {
    use super::*;
    use atner::metrics::{Counts, Scores};
    use atner::train::EpochRecord;

    /// A finished run of `variant` (the full model's parts) with the given
    /// correct counts out of 100 guessed and 100 gold entities: F1 = correct %.
    fn run(variant: &str, seed: u64, dev: u64, test: u64) -> RunResult {
        let scores = |correct| Scores {
            overall: Counts::new(correct, 100, 100),
            ..Scores::default()
        };
        let record = EpochRecord {
            epoch: 1,
            ner_loss: 1.0,
            cws_loss: None,
            adversarial_loss: None,
            discriminator_accuracy: None,
            dev: scores(dev),
            test: scores(test),
            train_seconds: 1.0,
            eval_seconds: 1.0,
            train_chars: 1,
            released_test: None,
        };
        let mut config = crate::plan::RunConfig {
            variant: variant.into(),
            ..Default::default()
        };
        config.train.seed = seed;
        RunResult {
            id: format!("{variant}-{seed}"),
            config,
            cell: [("seed".to_string(), seed.to_string())].into(),
            data: crate::store::DataSummary::tiny(),
            state: TrainState {
                records: vec![record],
                best_epoch: Some(1),
            },
            wall_seconds: 1.0,
            device: "cpu".into(),
            threads: 1,
            trained: Default::default(),
        }
    }

    fn source(results: Vec<RunResult>) -> Source {
        Source {
            root: "results/x".into(),
            experiment: "x".into(),
            asks: None,
            runs: polars::prelude::DataFrame::empty(),
            epochs: polars::prelude::DataFrame::empty(),
            results,
            revisions: BTreeMap::new(),
            probes: BTreeMap::new(),
            duplicates: Vec::new(),
        }
    }

    #[test]
    fn configurations_of_one_variant_get_rows_and_a_paired_test_against_the_papers_name() {
        let mut results = Vec::new();
        for seed in 1..=5 {
            results.push(run("full", seed, 40, 30));
            results.push(run("full released", seed, 40 + seed, 30 - seed));
        }
        let table = table(&[source(results)]).expect("two configurations of one variant");
        assert_eq!(table.rows.len(), 2);
        let cells = |i: usize| &table.rows[i].cells;
        assert_eq!(cells(0)[1], Cell::Text("full".into()));
        assert_eq!(cells(0)[6], Cell::Text("(reference)".into()));
        assert_eq!(cells(1)[1], Cell::Text("full released".into()));
        // Dev: +1..+5 over five seeds, mean +3, every sign positive: p = 2/32.
        assert_eq!(cells(1)[4], Cell::Delta(3.0));
        assert_eq!(cells(1)[5], Cell::Text(format!("{:.3}", 2.0 / 32.0)));
        assert_eq!(cells(1)[6], Cell::Text("full".into()));
        assert_eq!(cells(1)[8], Cell::Delta(-3.0), "test moves the other way");
    }

    #[test]
    fn one_configuration_per_variant_needs_no_table() {
        let results = vec![run("full", 1, 40, 30), run("full", 2, 41, 31)];
        assert!(table(&[source(results)]).is_none());
    }

    #[test]
    fn configurations_that_read_different_dev_sets_are_not_paired_by_sentence() {
        let mut results = Vec::new();
        for seed in 1..=2 {
            results.push(run("full", seed, 40, 30));
            let mut other = run("full, other split", seed, 42, 31);
            other.config.data.split_seed += 1;
            results.push(other);
        }
        let sources = [source(results)];
        let keys: Vec<Key> = collect(&sources).into_keys().collect();
        assert_ne!(dev_sets(&sources, &keys[0]), dev_sets(&sources, &keys[1]));
        // No predictions are read: the pair is refused before, and said so.
        let table = dev_randomization(&sources, &mut Gold::default(), 100, 1)
            .expect("computed")
            .expect("two configurations of the full model");
        assert!(table.rows.is_empty());
        assert!(
            table.notes.iter().any(|n| n.contains("different dev sets")),
            "{:?}",
            table.notes
        );
    }
}
