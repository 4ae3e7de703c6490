//! Are the differences of Table 5 more than seed noise? A paired approximate
//! randomization test (Noreen 1989; Riezler & Maxwell 2005; the test of
//! Yeh 2000 for F1) over test sentences, pooled over seeds.
//!
//! The unit is one test sentence of one seed: system A's and system B's
//! predictions for it (A's run with seed s against B's run with seed s). Each
//! resample swaps the two systems' entity counts on every unit with
//! probability ½ and recomputes the pooled micro F1 of both; the p-value is
//! `(c + 1) / (R + 1)`, with `c` the resamples whose |ΔF1| reaches the
//! observed one (two-sided). F1 is not a mean over sentences, which is why
//! counts, not per-sentence scores, are swapped. Per-sentence counts are
//! conlleval's: a sentence boundary ends every chunk, so they add up to the
//! corpus counts (checked against each run's stored scores by the caller).
//!
//! The pseudo-random stream is ChaCha8 (`rand_chacha`) from a stated seed, so a p-value
//! is reproducible bit for bit.

use std::collections::BTreeMap;

use anyhow::Context;
use atner::metrics::{score, Counts, MetricsError, Scheme};
use atner::train::Predictions;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::aggregate::{Group, Stat};
use super::paper::{self, Dataset};
use super::source::Source;
use super::tables::{Cell, ColumnGroup, Row, Table};
use crate::plan::DataConfig;
use crate::store::RunResult;

/// Resamples per test unless `--resamples` says otherwise.
pub const DEFAULT_RESAMPLES: usize = 10_000;
/// The seed of the randomization unless `--significance-seed` says otherwise.
pub const DEFAULT_SEED: u64 = 2018;

/// Entity counts of every sentence, scored alone with conlleval's rules.
pub fn sentence_counts<S: AsRef<str>>(
    gold: &[Vec<S>],
    pred: &[Vec<S>],
) -> Result<Vec<Counts>, MetricsError> {
    if gold.len() != pred.len() {
        return Err(MetricsError::SentenceCount {
            gold: gold.len(),
            pred: pred.len(),
        });
    }
    gold.iter()
        .zip(pred)
        .map(|(g, p)| {
            score(
                std::slice::from_ref(g),
                std::slice::from_ref(p),
                Scheme::Conlleval,
            )
            .map(|s| s.overall)
        })
        .collect()
}

/// The sum of per-unit counts.
pub fn total(units: &[Counts]) -> Counts {
    let mut sum = Counts::default();
    for c in units {
        sum.add(c);
    }
    sum
}

/// The result of one paired test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Pooled micro F1 (%) of system A and of system B.
    pub f1_a: f64,
    pub f1_b: f64,
    /// Test sentences × seeds.
    pub units: usize,
    pub resamples: usize,
    pub seed: u64,
    /// Two-sided, `(c + 1) / (R + 1)`.
    pub p_value: f64,
}

impl Outcome {
    pub fn delta(&self) -> f64 {
        self.f1_a - self.f1_b
    }
}

/// Paired approximate randomization of pooled F1 over aligned units.
///
/// # Panics
/// When `a` and `b` differ in length: units must be paired.
pub fn approximate_randomization(
    a: &[Counts],
    b: &[Counts],
    resamples: usize,
    seed: u64,
) -> Outcome {
    assert_eq!(a.len(), b.len(), "paired units");
    let (ta, tb) = (total(a), total(b));
    let observed = (ta.f1() - tb.f1()).abs();
    // Only units where the systems differ can change anything when swapped.
    let differing: Vec<(Counts, Counts)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (*x, *y))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut extreme = 0usize;
    for _ in 0..resamples {
        let (mut sa, mut sb) = (ta, tb);
        let mut bits = 0u64;
        for (i, (x, y)) in differing.iter().enumerate() {
            if i % 64 == 0 {
                bits = rng.next_u64();
            }
            if bits & 1 == 1 {
                // Swap unit i: A gets B's counts and B gets A's.
                sa = swap(sa, x, y);
                sb = swap(sb, y, x);
            }
            bits >>= 1;
        }
        // A tiny tolerance, so that exact ties (identical systems) count as extreme.
        if (sa.f1() - sb.f1()).abs() >= observed - 1e-9 {
            extreme += 1;
        }
    }
    Outcome {
        f1_a: ta.f1(),
        f1_b: tb.f1(),
        units: a.len(),
        resamples,
        seed,
        p_value: (extreme + 1) as f64 / (resamples + 1) as f64,
    }
}

/// `total - out + into`, on each count.
fn swap(total: Counts, out: &Counts, into: &Counts) -> Counts {
    Counts {
        correct: total.correct - out.correct + into.correct,
        guessed: total.guessed - out.guessed + into.guessed,
        gold: total.gold - out.gold + into.gold,
    }
}

/// The runs of one system on one dataset: per seed, per-sentence counts.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemRuns {
    pub label: String,
    /// (seed, per-sentence counts), seeds ascending.
    pub seeds: Vec<(u64, Vec<Counts>)>,
}

/// System A against system B on the seeds both have.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub seeds: Vec<u64>,
    pub outcome: Outcome,
    /// Per seed F1(A) − F1(B): the across-seed spread of the difference.
    pub per_seed_delta: Stat,
    /// Seeds on which A's F1 is higher than B's.
    pub wins: usize,
}

/// Compares `a` with `b` over their common seeds; `None` when they share none.
pub fn compare(a: &SystemRuns, b: &SystemRuns, resamples: usize, seed: u64) -> Option<Comparison> {
    let mut units_a = Vec::new();
    let mut units_b = Vec::new();
    let mut seeds = Vec::new();
    let mut deltas = Vec::new();
    for (s, ca) in &a.seeds {
        let Some((_, cb)) = b.seeds.iter().find(|(t, _)| t == s) else {
            continue;
        };
        if ca.len() != cb.len() {
            continue;
        }
        seeds.push(*s);
        deltas.push(total(ca).f1() - total(cb).f1());
        units_a.extend_from_slice(ca);
        units_b.extend_from_slice(cb);
    }
    let per_seed_delta = Stat::of(&deltas)?;
    Some(Comparison {
        a: a.label.clone(),
        b: b.label.clone(),
        wins: deltas.iter().filter(|d| **d > 0.0).count(),
        seeds,
        outcome: approximate_randomization(&units_a, &units_b, resamples, seed),
        per_seed_delta,
    })
}

/// Which split's sentences a test pools: test (Table 5) or dev (deciding
/// between configurations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Split {
    Dev,
    Test,
}

/// Gold tags per dataset and split, read once.
#[derive(Default)]
pub struct Gold {
    cache: BTreeMap<(String, String, u64, Split), Vec<Vec<String>>>,
}

impl Gold {
    /// Supplies the gold test tags of `data`'s dataset (tests, or a dataset read elsewhere).
    pub fn insert(&mut self, data: &DataConfig, tags: Vec<Vec<String>>) {
        self.insert_split(data, Split::Test, tags);
    }

    /// Supplies the gold tags of one split of `data`'s dataset.
    pub fn insert_split(&mut self, data: &DataConfig, split: Split, tags: Vec<Vec<String>>) {
        let key = (
            data.ner.label(),
            mode_name(data.mode),
            data.split_seed,
            split,
        );
        self.cache.insert(key, tags);
    }

    /// The gold tags of every test sentence of `data` (all of them; a run
    /// that read only the first `max_sentences` is matched by its length).
    pub fn test_tags(&mut self, data: &DataConfig) -> anyhow::Result<&[Vec<String>]> {
        self.tags(data, Split::Test)
    }

    /// The gold tags of every sentence of one split of `data`.
    pub fn tags(&mut self, data: &DataConfig, split: Split) -> anyhow::Result<&[Vec<String>]> {
        let key = (
            data.ner.label(),
            mode_name(data.mode),
            data.split_seed,
            split,
        );
        if !self.cache.contains_key(&key) {
            let files = data
                .ner
                .files()
                .with_context(|| format!("NER dataset {:?} for the gold tags", key.0))?;
            let splits = files.ner_splits(data.mode, data.split_seed)?;
            let corpus = match split {
                Split::Dev => splits.dev,
                Split::Test => splits.test,
            };
            let tags = corpus.sentences.into_iter().map(|s| s.tags).collect();
            self.cache.insert(key.clone(), tags);
        }
        Ok(&self.cache[&key])
    }
}

/// The paper's dataset that `data` reads, if it reads one of the paper's.
pub fn paper_dataset(data: &DataConfig) -> Option<Dataset> {
    Dataset::of(data.ner.manifest_name()?, &mode_name(data.mode))
}

/// `named` / `all`, as the runs table writes `data.mode`.
pub fn mode_name(mode: atner::data::WeiboMode) -> String {
    serde_json::to_value(mode)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// The per-sentence test counts of every run of `group`, each checked
/// against the run's stored test counts; runs that fail the check are left
/// out and named in the returned notes.
pub fn system_runs(
    sources: &[Source],
    group: &Group,
    gold: &mut Gold,
) -> anyhow::Result<(SystemRuns, Vec<String>)> {
    let same = |r: &RunResult| {
        let c = &r.config;
        c.data.ner.label() == group.ner
            && mode_name(c.data.mode) == group.mode
            && c.variant == group.variant
            && c.model.lambda() == group.lambda
    };
    let label = group.parts.map_or_else(
        || group.variant.clone(),
        |v| paper::short_name(v).to_string(),
    );
    runs_where(sources, label, same, Split::Test, gold)
}

/// The per-sentence counts on `split` of every run that `keep` accepts (one
/// per seed), each checked against the counts the run recorded for its
/// dev-selected epoch; runs that fail the check are left out and named in
/// the returned notes.
pub fn runs_where(
    sources: &[Source],
    label: String,
    keep: impl Fn(&RunResult) -> bool,
    split: Split,
    gold: &mut Gold,
) -> anyhow::Result<(SystemRuns, Vec<String>)> {
    let mut seeds: Vec<(u64, Vec<Counts>)> = Vec::new();
    let mut notes = Vec::new();
    for source in sources {
        for r in &source.results {
            if !keep(r) || seeds.iter().any(|(s, _)| *s == r.config.train.seed) {
                continue;
            }
            match run_counts(source, r, split, gold)? {
                Ok(counts) => seeds.push((r.config.train.seed, counts)),
                Err(note) => notes.extend(note),
            }
        }
    }
    seeds.sort_by_key(|(s, _)| *s);
    Ok((SystemRuns { label, seeds }, notes))
}

/// One run's per-sentence counts on `split`, or why it is left out (`None`:
/// it has no finished epoch).
fn run_counts(
    source: &Source,
    r: &RunResult,
    split: Split,
    gold: &mut Gold,
) -> anyhow::Result<Result<Vec<Counts>, Option<String>>> {
    let c = &r.config;
    let Some(best) = r.state.best() else {
        return Ok(Err(None));
    };
    let path = source
        .root
        .join("runs")
        .join(&r.id)
        .join("predictions.json");
    let predictions: Predictions = crate::store::read_json(&path)?;
    let (predicted, recorded, name) = match split {
        Split::Dev => (&predictions.dev, best.dev.overall, "dev"),
        Split::Test => (&predictions.test, best.test.overall, "test"),
    };
    let all = gold.tags(&c.data, split)?;
    let wanted = c.data.max_sentences.map_or(all.len(), |n| n.min(all.len()));
    // A run reads the first `max_sentences` sentences, or all of them.
    let tags = if predicted.len() == wanted {
        &all[..wanted]
    } else {
        all
    };
    let counts = match sentence_counts(tags, predicted) {
        Ok(counts) => counts,
        Err(e) => {
            return Ok(Err(Some(format!(
                "run {} left out: predictions do not align with the gold {name} set ({e})",
                r.id
            ))))
        }
    };
    if total(&counts) != recorded {
        return Ok(Err(Some(format!(
            "run {} left out: its predictions score {:?} against the gold {name} set, but the run recorded {:?}",
            r.id,
            total(&counts),
            recorded
        ))));
    }
    Ok(Ok(counts))
}

/// The comparisons as a table: pooled F1 of both, the difference, its
/// spread over seeds, and the p-value.
pub fn table(
    comparisons: &[(Dataset, Comparison)],
    resamples: usize,
    seed: u64,
    notes: Vec<String>,
) -> Table {
    let mut rows = Vec::new();
    let mut last: Option<Dataset> = None;
    for (dataset, c) in comparisons {
        let d = &c.per_seed_delta;
        let spread = match d.std {
            Some(std) => format!("{:+.2} ± {std:.2}", d.mean),
            None => format!("{:+.2}", d.mean),
        };
        rows.push(Row {
            cells: vec![
                Cell::Text(dataset.title().to_string()),
                Cell::Text(format!("{} vs {}", c.a, c.b)),
                Cell::Text(c.seeds.len().to_string()),
                Cell::Number(c.outcome.f1_a),
                Cell::Number(c.outcome.f1_b),
                Cell::Delta(c.outcome.delta()),
                Cell::Text(spread),
                Cell::Text(format!("{}/{}", c.wins, c.seeds.len())),
                Cell::Text(format_p(&c.outcome)),
            ],
            n: vec![Some(c.seeds.len())],
            rule_before: last.is_some_and(|l| l != *dataset),
        });
        last = Some(*dataset);
    }
    let mut all_notes = vec![format!(
        "Paired approximate randomization over test sentences, pooled over seeds (A's run with seed s paired with B's run with seed s; units = sentences × seeds): R = {resamples} resamples, random stream ChaCha8 seeded with {seed}; two-sided p = (c + 1) / (R + 1), c = resamples with |ΔF1| ≥ the observed one. F1 A, F1 B and ΔF1 are micro scores over all paired seeds' test sentences; \"per seed\" is the mean ± std over seeds of F1(A) − F1(B), the across-seed spread; \"A > B\" counts the seeds on which A scores higher. No correction for multiple comparisons. Pooling sentences over seeds makes p conditional on these trained models: it ignores how results vary with the seed, so it is evidence that these models differ, not that the method does; the seed-level intervals and the hierarchical bootstrap of REPRODUCTION.md are the evidence about the method."
    )];
    all_notes.extend(notes);
    Table {
        id: "significance".into(),
        title: "Significance of the Table 5 differences (test F1 %, dev-selected checkpoints)"
            .into(),
        lead: ["Dataset", "A vs B", "seeds"].map(String::from).to_vec(),
        groups: vec![ColumnGroup {
            title: String::new(),
            columns: ["F1 A", "F1 B", "ΔF1", "ΔF1 per seed", "A > B", "p"]
                .map(String::from)
                .to_vec(),
        }],
        rows,
        notes: all_notes,
    }
}

/// `0.0123`, or `< 0.0001` style bound when no resample reached the observed difference.
pub fn format_p(o: &Outcome) -> String {
    let floor = 1.0 / (o.resamples + 1) as f64;
    if o.p_value <= floor + 1e-15 {
        format!("≤ {}", trim_p(floor))
    } else {
        format!("{:.4}", o.p_value)
    }
}

fn trim_p(p: f64) -> String {
    let text = format!("{p:.6}");
    text.trim_end_matches('0').to_string()
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and fixed forever.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_counts_add_up_to_corpus_counts() {
        let gold = vec![vec!["B-PER", "I-PER", "O"], vec!["B-LOC", "O"]];
        let pred = vec![vec!["B-PER", "I-PER", "O"], vec!["O", "B-LOC"]];
        let per = sentence_counts(&gold, &pred).expect("aligned");
        let corpus = score(&gold, &pred, Scheme::Conlleval).expect("aligned");
        assert_eq!(total(&per), corpus.overall);
    }
}
