//! Aggregation over seeds with polars: one group per dataset, variant and λ,
//! holding the mean, sample standard deviation (ddof = 1) and count of every
//! score column of the runs table (`dev_*`, `test_*`, `test_selected_*`
//! overall, per entity type and per mention kind) and of the learning curves.
//! Tables and charts read [`Group`]s; the frame itself is written as
//! `summary.csv` beside the report.

use std::collections::BTreeMap;

use atner::config::Variant;
use polars::prelude::*;

use super::paper::{self, Dataset};

/// The columns a group is keyed by.
pub const KEYS: [&str; 4] = ["ner", "mode", "variant", "lambda"];

/// The switched parts of a run, constant within a group.
const PARTS: [&str; 3] = ["transfer", "adversarial", "attention"];

/// Mean, sample standard deviation and count of one score over seeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    pub mean: f64,
    /// `None` for a single seed.
    pub std: Option<f64>,
    pub n: usize,
}

impl Stat {
    /// The statistics of `values` (NaN ignored); `None` when there is none.
    pub fn of(values: &[f64]) -> Option<Stat> {
        let values: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let std = (n > 1).then(|| {
            let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
            (ss / (n - 1) as f64).sqrt()
        });
        Some(Stat { mean, std, n })
    }
}

/// The runs of one dataset, variant and λ, aggregated over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub ner: String,
    pub mode: String,
    pub variant: String,
    pub lambda: Option<f64>,
    /// The paper's variant with the same parts, if any.
    pub parts: Option<Variant>,
    pub n: usize,
    /// Score column (`test_f1`, `test_PER_f1`, …) → statistics.
    pub stats: BTreeMap<String, Stat>,
}

impl Group {
    pub fn dataset(&self) -> Option<Dataset> {
        Dataset::of(&self.ner, &self.mode)
    }

    /// Whether `other` has the same [`KEYS`]: the same runs' group.
    pub fn same_key(&self, other: &Group) -> bool {
        (&self.ner, &self.mode, &self.variant, self.lambda)
            == (&other.ner, &other.mode, &other.variant, other.lambda)
    }

    pub fn stat(&self, column: &str) -> Option<Stat> {
        self.stats.get(column).copied()
    }

    /// Whether this group runs at the paper's λ (or has no λ).
    pub fn at_paper_lambda(&self) -> bool {
        self.lambda
            .is_none_or(|l| (l - paper::LAMBDA).abs() < 1e-12)
    }

    /// The row label: the paper's model name, plus the variant name and λ
    /// when they are not the paper's.
    pub fn label(&self) -> String {
        let mut extra = Vec::new();
        if self.parts.is_some_and(|v| v.name() != self.variant) {
            extra.push(format!("variant \"{}\"", self.variant));
        }
        if let Some(l) = self.lambda.filter(|_| !self.at_paper_lambda()) {
            extra.push(format!("λ = {}", format_lambda(l)));
        }
        let base = self
            .parts
            .map_or_else(|| self.variant.clone(), |v| v.paper_name().to_string());
        if extra.is_empty() {
            base
        } else {
            format!("{base} ({})", extra.join(", "))
        }
    }
}

/// λ as written in an experiment file: `0.06`, `1`, `0`.
pub fn format_lambda(l: f64) -> String {
    let text = format!("{l}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// Whether `name` is a score column: `<split>_[<kind>_](precision|recall|f1)`.
pub fn is_score_column(name: &str) -> bool {
    let splits = ["dev_", "test_selected_", "test_", "released_"];
    splits.iter().any(|s| name.starts_with(s))
        && ["_precision", "_recall", "_f1"]
            .iter()
            .any(|m| name.ends_with(m))
}

/// Other per-run numbers worth a mean: effort and schedule.
const EXTRA_COLUMNS: [&str; 4] = [
    "wall_seconds",
    "epochs_run",
    "best_epoch",
    "test_selected_epoch",
];

/// The polars aggregation: per dataset, variant and λ, `n` runs, the parts,
/// and `<column>_mean`, `<column>_std`, `<column>_n` for every score column.
pub fn summarize(runs: &DataFrame) -> PolarsResult<DataFrame> {
    let names: Vec<String> = runs
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let mut aggs = vec![col("run_id").count().alias("n")];
    for part in PARTS {
        if names.iter().any(|n| n == part) {
            aggs.push(col(part).first());
        }
    }
    for name in names
        .iter()
        .filter(|n| is_score_column(n) || EXTRA_COLUMNS.contains(&n.as_str()))
    {
        let value = col(name.as_str()).cast(DataType::Float64);
        aggs.push(value.clone().mean().alias(format!("{name}_mean")));
        aggs.push(value.clone().std(1).alias(format!("{name}_std")));
        aggs.push(value.count().alias(format!("{name}_n")));
    }
    let keys: Vec<Expr> = KEYS.iter().map(|k| col(*k)).collect();
    runs.clone()
        .lazy()
        .group_by(keys)
        .agg(aggs)
        .sort(KEYS, SortMultipleOptions::default().with_nulls_last(false))
        .collect()
}

/// The groups of a [`summarize`] frame, in the paper's variant order.
pub fn groups(summary: &DataFrame) -> PolarsResult<Vec<Group>> {
    let mut out = groups_unsorted(summary)?;
    out.sort_by(|a, b| order(a).partial_cmp(&order(b)).expect("no NaN keys"));
    Ok(out)
}

/// One group per row of `summary`, in row order.
fn groups_unsorted(summary: &DataFrame) -> PolarsResult<Vec<Group>> {
    let text = |name: &str| -> PolarsResult<Vec<Option<String>>> {
        let c = summary.column(name)?.cast(&DataType::String)?;
        Ok(c.str()?.iter().map(|v| v.map(String::from)).collect())
    };
    let float = |name: &str| -> PolarsResult<Vec<Option<f64>>> {
        let c = summary.column(name)?.cast(&DataType::Float64)?;
        Ok(c.f64()?.iter().collect())
    };
    let flag = |name: &str| -> PolarsResult<Vec<Option<bool>>> {
        match summary.column(name) {
            Ok(c) => Ok(c.cast(&DataType::Boolean)?.bool()?.iter().collect()),
            Err(_) => Ok(vec![None; summary.height()]),
        }
    };
    let (ner, mode, variant) = (text("ner")?, text("mode")?, text("variant")?);
    let lambda = float("lambda")?;
    let n = float("n")?;
    let parts = [flag(PARTS[0])?, flag(PARTS[1])?, flag(PARTS[2])?];
    let mut stat_columns = Vec::new();
    for name in summary.get_column_names() {
        if let Some(base) = name.strip_suffix("_mean") {
            let std = float(&format!("{base}_std"))?;
            let count = float(&format!("{base}_n"))?;
            stat_columns.push((base.to_string(), float(name)?, std, count));
        }
    }
    let mut out = Vec::with_capacity(summary.height());
    for i in 0..summary.height() {
        let mut stats = BTreeMap::new();
        for (base, mean, std, count) in &stat_columns {
            let (Some(mean), Some(count)) = (mean[i], count[i]) else {
                continue;
            };
            if count < 1.0 || mean.is_nan() {
                continue;
            }
            let n = count as usize;
            let std = std[i].filter(|s| n > 1 && !s.is_nan());
            stats.insert(base.clone(), Stat { mean, std, n });
        }
        let part = |k: usize| parts[k][i].unwrap_or(false);
        out.push(Group {
            ner: ner[i].clone().unwrap_or_default(),
            mode: mode[i].clone().unwrap_or_default(),
            variant: variant[i].clone().unwrap_or_default(),
            lambda: lambda[i],
            parts: paper::variant_of(part(0), part(1), part(2)),
            n: n[i].unwrap_or(0.0) as usize,
            stats,
        });
    }
    Ok(out)
}

/// Sort key: dataset, the paper's variant order (others last), name, λ.
fn order(g: &Group) -> (String, String, usize, String, f64) {
    let rank = g
        .parts
        .and_then(|v| Variant::ALL.iter().position(|&w| w == v))
        .unwrap_or(Variant::ALL.len());
    (
        g.ner.clone(),
        g.mode.clone(),
        rank,
        g.variant.clone(),
        g.lambda.unwrap_or(-1.0),
    )
}

/// The entity types that have per-type score columns (`test_PER_f1` → `PER`).
pub fn entity_types(groups: &[Group], prefix: &str) -> Vec<String> {
    let mut types: Vec<String> = groups
        .iter()
        .flat_map(|g| g.stats.keys())
        .filter_map(|k| {
            k.strip_prefix(prefix)?
                .strip_prefix('_')?
                .strip_suffix("_f1")
        })
        .filter(|t| !t.is_empty() && !t.contains('_') && *t != "NE" && *t != "NM")
        .filter(|t| t.chars().all(|c| c.is_ascii_uppercase()))
        .map(String::from)
        .collect();
    types.sort();
    types.dedup();
    types
}

/// One learning-curve point: a score at one epoch, over the seeds that reached it.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    pub epoch: usize,
    pub stat: Stat,
}

/// `column`'s mean, std and count per dataset, variant, λ and epoch.
fn per_epoch_stats(epochs: &DataFrame, runs: &DataFrame, column: &str) -> PolarsResult<DataFrame> {
    let mut run_columns = vec![col("run_id"), col("ner"), col("mode")];
    run_columns.extend(PARTS.iter().map(|p| col(*p)));
    let value = col(column).cast(DataType::Float64);
    let mut aggs = vec![
        value.clone().mean().alias(format!("{column}_mean")),
        value.clone().std(1).alias(format!("{column}_std")),
        value.count().alias(format!("{column}_n")),
        col("run_id").count().alias("n"),
    ];
    aggs.extend(PARTS.iter().map(|p| col(*p).first()));
    epochs
        .clone()
        .lazy()
        .left_join(
            runs.clone().lazy().select(run_columns),
            col("run_id"),
            col("run_id"),
        )
        .group_by([
            col("ner"),
            col("mode"),
            col("variant"),
            col("lambda"),
            col("epoch"),
        ])
        .agg(aggs)
        .collect()
}

/// Per dataset, variant and λ: `column` (e.g. `dev_f1`) per epoch, mean over seeds.
pub fn curves(
    epochs: &DataFrame,
    runs: &DataFrame,
    column: &str,
) -> PolarsResult<Vec<(Group, Vec<CurvePoint>)>> {
    if epochs.height() == 0 || epochs.column(column).is_err() || runs.height() == 0 {
        return Ok(Vec::new());
    }
    let per_epoch = per_epoch_stats(epochs, runs, column)?;
    let epoch: Vec<Option<f64>> = per_epoch
        .column("epoch")?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .collect();
    // One group per row (a row is one epoch); the epoch column is not a key of `groups`.
    let rows = groups_unsorted(&per_epoch)?;
    let mut curves: Vec<(Group, Vec<CurvePoint>)> = Vec::new();
    for (mut g, e) in rows.into_iter().zip(epoch) {
        let (Some(stat), Some(e)) = (g.stat(column), e) else {
            continue;
        };
        let point = CurvePoint {
            epoch: e as usize,
            stat,
        };
        match curves.iter_mut().find(|(k, _)| k.same_key(&g)) {
            Some((_, points)) => points.push(point),
            None => {
                g.stats.clear();
                curves.push((g, vec![point]));
            }
        }
    }
    for (_, points) in &mut curves {
        points.sort_by_key(|p| p.epoch);
    }
    curves.sort_by(|a, b| order(&a.0).partial_cmp(&order(&b.0)).expect("no NaN keys"));
    Ok(curves)
}
