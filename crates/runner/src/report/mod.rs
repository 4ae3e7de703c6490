//! `runner report`: the paper's Tables 2–5, significance tests and charts
//! from what a sweep actually measured (the last stage: spec → plan →
//! execute → store → report).
//!
//! Modules, in the order a report is made: [`source`] (results stores →
//! polars frames) → [`aggregate`] (mean ± std over seeds per dataset,
//! variant and λ) → [`tables`] (Tables 2–5 beside [`paper`]'s reported
//! numbers, as Markdown, LaTeX and CSV) → [`significance`] (paired
//! approximate randomization over test sentences, pooled over seeds) →
//! [`figures`] (which groups each chart shows) → [`chart`] (plotters, PNG
//! and SVG) → [`provenance`] (how the runs were produced and how they differ
//! from the paper's setup) → [`document`] (the Markdown report that embeds
//! them all).
//!
//! Output, for `--name NAME` (default: the experiment names joined by `+`):
//!
//! ```text
//! <out>/NAME.md                          the report
//! <out>/NAME/table{2,3,4,5}.{md,tex,csv}  dev-selected (honest) tables
//! <out>/NAME/table{2,3,4,5}-test-selected.{md,tex,csv}  released-code protocol
//! <out>/NAME/significance.{md,tex,csv}, per-type-*.{md,tex,csv}, protocol-gap.*
//! <out>/NAME/summary.csv                 every aggregated score (polars)
//! <out>/NAME/*.png, *.svg                the charts
//! ```

pub mod aggregate;
pub mod chart;
pub mod comparisons;
pub mod configurations;
pub mod document;
pub mod figures;
pub mod paper;
pub mod provenance;
pub mod reproduction;
pub mod sensitivity;
pub mod significance;
pub mod source;
pub mod table;
pub mod tables;
pub mod verdict;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use atner::config::Variant;
use polars::prelude::{CsvWriter, DataFrame, SerWriter};

use crate::spec::PaperTable;
use aggregate::Group;
use paper::Dataset;
use significance::{Comparison, SystemRuns};
use source::Source;
use tables::{Selection, Table};

/// Everything a report is made from, resolved.
#[derive(Debug)]
pub struct ReportRequest {
    pub sources: Vec<PathBuf>,
    pub out: PathBuf,
    pub name: Option<String>,
    /// The command line, as the report states it.
    pub command: String,
    /// `None`: no significance tests.
    pub significance: Option<SignificanceOptions>,
}

/// How the paired tests run, and where their gold tags come from.
#[derive(Default)]
pub struct SignificanceOptions {
    pub resamples: usize,
    pub seed: u64,
    /// Gold test tags; datasets not in it are read from the data cache.
    pub gold: significance::Gold,
}

impl std::fmt::Debug for SignificanceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignificanceOptions")
            .field("resamples", &self.resamples)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// What a report wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub report: PathBuf,
    pub files: Vec<PathBuf>,
}

/// The loaded and aggregated runs of a report.
pub struct Measured {
    pub sources: Vec<Source>,
    pub runs: DataFrame,
    pub epochs: DataFrame,
    pub summary: DataFrame,
    pub groups: Vec<Group>,
}

/// Loads and aggregates the stores of `request`.
pub fn measure(sources: &[PathBuf]) -> anyhow::Result<Measured> {
    let mut loaded: Vec<Source> = Vec::new();
    for path in sources {
        let mut s =
            source::load(path).with_context(|| format!("loading results {}", path.display()))?;
        // The same configuration in two stores (e.g. the full model at λ = 0.06
        // in both the ablation and the λ sweep) is one run: count it once.
        let seen: Vec<String> = loaded
            .iter()
            .flat_map(|l| l.results.iter().map(|r| r.id.clone()))
            .collect();
        s.drop_runs(&seen)?;
        loaded.push(s);
    }
    let sources = loaded;
    let runs =
        source::concat_diagonal(&sources.iter().map(|s| s.runs.clone()).collect::<Vec<_>>())?;
    let epochs =
        source::concat_diagonal(&sources.iter().map(|s| s.epochs.clone()).collect::<Vec<_>>())?;
    let (summary, groups) = if runs.height() == 0 {
        (DataFrame::empty(), Vec::new())
    } else {
        let summary = aggregate::summarize(&runs).context("aggregating runs")?;
        let groups = aggregate::groups(&summary)?;
        (summary, groups)
    };
    Ok(Measured {
        sources,
        runs,
        epochs,
        summary,
        groups,
    })
}

/// Writes the report of `request`: tables, significance, charts, and the Markdown document.
pub fn report(mut request: ReportRequest) -> anyhow::Result<Written> {
    let measured = measure(&request.sources)?;
    let name = request.name.clone().unwrap_or_else(|| {
        let mut names: Vec<String> = measured
            .sources
            .iter()
            .map(|s| s.experiment.clone())
            .collect();
        names.dedup();
        names.join("+")
    });
    let dir = request.out.join(&name);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = Vec::new();
    let requested = requested(&measured);
    let paper_tables = write_paper_tables(&measured, &requested, &dir, &mut files)?;
    let extra_tables = extra_tables(&measured);
    for t in &extra_tables {
        files.extend(write_table(&dir, t)?);
    }
    let (significance, dev_randomization) = match &mut request.significance {
        Some(options) => {
            let table5 = requested.contains(&PaperTable::Table5);
            paired_tests(&measured, options, table5, &dir, &mut files)?
        }
        None => (None, None),
    };
    files.extend(write_summary(&measured, &dir)?);
    let charts = figures::charts(&measured, &dir)?;
    for c in &charts {
        files.extend(c.files.iter().cloned());
    }
    let text = document::render(&document::Document {
        name: &name,
        request: &request,
        measured: &measured,
        requested: &requested,
        paper_tables: &paper_tables,
        extra_tables: &extra_tables,
        significance: significance.as_ref(),
        dev_randomization: dev_randomization.as_ref(),
        charts: &charts,
        chart_dir: Path::new(&name),
    });
    let report = request.out.join(format!("{name}.md"));
    crate::fs::write_atomic(&report, text.as_bytes())?;
    remove_stale(&dir, &files)?;
    Ok(Written { report, files })
}

/// The kinds of file a report writes into its directory.
const REPORT_FILES: [&str; 5] = ["md", "tex", "csv", "png", "svg"];

/// Removes from `dir` the report files an earlier render wrote and this one
/// did not (a chart split in two, a table whose runs are gone), so that the
/// directory holds exactly what the report links to. Other files are kept.
fn remove_stale(dir: &Path, written: &[PathBuf]) -> anyhow::Result<()> {
    let listing = std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    for entry in listing {
        let path = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .path();
        let ours = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| REPORT_FILES.contains(&e));
        if ours && path.is_file() && !written.contains(&path) {
            std::fs::remove_file(&path)
                .with_context(|| format!("removing the stale {}", path.display()))?;
        }
    }
    Ok(())
}

/// A test's table: `None` when not asked for, `Err` (why) when it could not
/// be computed.
type Tested<T> = Option<Result<T, String>>;

/// The paired tests the report states, each written when computed: Table
/// 5's (test sentences) and the configurations' (dev sentences); a test that
/// could not be computed says why.
fn paired_tests(
    measured: &Measured,
    options: &mut SignificanceOptions,
    table5: bool,
    dir: &Path,
    files: &mut Vec<PathBuf>,
) -> anyhow::Result<(Tested<Option<Table>>, Tested<Table>)> {
    let table5 = match table5 {
        true => significance_table(measured, options),
        false => Ok(None),
    };
    if let Ok(Some(t)) = &table5 {
        files.extend(write_table(dir, t)?);
    }
    let o = options;
    let configurations =
        configurations::dev_randomization(&measured.sources, &mut o.gold, o.resamples, o.seed);
    if let Ok(Some(t)) = &configurations {
        files.extend(write_table(dir, t)?);
    }
    Ok((
        Some(table5.map_err(|e| format!("{e:#}"))),
        configurations.map_err(|e| format!("{e:#}")).transpose(),
    ))
}

/// The paper's tables (and charts) the sources' experiments ask for: every
/// one when some store predates experiments saying (no `asks` record).
pub fn requested(measured: &Measured) -> BTreeSet<PaperTable> {
    let mut asked = BTreeSet::new();
    for source in &measured.sources {
        match &source.asks {
            Some(asks) => asked.extend(asks.tables.iter().copied()),
            None => return PaperTable::ALL.into_iter().collect(),
        }
    }
    asked
}

/// The requested paper tables under both selections, written; by selection suffix.
fn write_paper_tables(
    measured: &Measured,
    requested: &BTreeSet<PaperTable>,
    dir: &Path,
    files: &mut Vec<PathBuf>,
) -> anyhow::Result<BTreeMap<&'static str, Vec<Table>>> {
    let mut paper_tables = BTreeMap::new();
    for selection in [Selection::Dev, Selection::Test] {
        let built: Vec<Table> = tables::PAPER_TABLES
            .iter()
            .filter(|p| requested.iter().any(|r| r.id() == p.id))
            .map(|p| (p.build)(&measured.groups, selection))
            .collect();
        for t in &built {
            files.extend(write_table(dir, t)?);
        }
        paper_tables.insert(selection.suffix(), built);
    }
    Ok(paper_tables)
}

/// The tables beside the paper's: per entity type, the protocol gap, and
/// every configuration (when some variant has several).
fn extra_tables(measured: &Measured) -> Vec<Table> {
    let per_type = datasets_in(&measured.groups)
        .into_iter()
        .filter_map(|d| tables::per_type(&measured.groups, d, Selection::Dev));
    per_type
        .chain(tables::protocol_gap(&measured.groups))
        .chain(comparisons::table(&measured.sources))
        .chain(configurations::table(&measured.sources))
        .collect()
}

/// `summary.csv`: every aggregated score, when there is one.
fn write_summary(measured: &Measured, dir: &Path) -> anyhow::Result<Option<PathBuf>> {
    if measured.summary.height() == 0 {
        return Ok(None);
    }
    let path = dir.join("summary.csv");
    let mut summary = measured.summary.clone();
    crate::fs::write_through_partial(&path, |partial| {
        let mut file = std::fs::File::create(partial)
            .with_context(|| format!("creating {}", partial.display()))?;
        CsvWriter::new(&mut file)
            .finish(&mut summary)
            .with_context(|| format!("writing {}", path.display()))
    })?;
    Ok(Some(path))
}

/// Writes `<id>.md`, `<id>.tex` and `<id>.csv`.
fn write_table(dir: &Path, table: &Table) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for (ext, text) in [
        ("md", table.markdown()),
        ("tex", table.latex()),
        ("csv", table.csv()),
    ] {
        let path = dir.join(format!("{}.{ext}", table.id));
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}

/// The paper's datasets that have runs, in Table 5's order then Table 3's.
pub fn datasets_in(groups: &[Group]) -> Vec<Dataset> {
    [Dataset::Sighan, Dataset::WeiboNamed, Dataset::WeiboUpdated]
        .into_iter()
        .filter(|&d| groups.iter().any(|g| g.dataset() == Some(d)))
        .collect()
}

/// The comparisons of Table 5: each ablation against the baseline, and the
/// full model against each ablation.
pub const COMPARISONS: [(Variant, Variant); 7] = [
    (Variant::Transfer, Variant::Baseline),
    (Variant::Adversarial, Variant::Baseline),
    (Variant::SelfAttention, Variant::Baseline),
    (Variant::Full, Variant::Baseline),
    (Variant::Full, Variant::Transfer),
    (Variant::Full, Variant::Adversarial),
    (Variant::Full, Variant::SelfAttention),
];

/// Paired tests of [`COMPARISONS`] on every dataset with runs; `None` when
/// no pair of variants shares a seed.
fn significance_table(
    measured: &Measured,
    options: &mut SignificanceOptions,
) -> anyhow::Result<Option<Table>> {
    let (resamples, seed) = (options.resamples, options.seed);
    let gold = &mut options.gold;
    let mut comparisons: Vec<(Dataset, Comparison)> = Vec::new();
    let mut notes = Vec::new();
    for dataset in datasets_in(&measured.groups) {
        let mut systems: BTreeMap<&'static str, SystemRuns> = BTreeMap::new();
        for variant in Variant::ALL {
            let groups = tables::measured(&measured.groups, dataset, variant);
            let Some(group) = groups.first() else {
                continue;
            };
            let (runs, skipped) = significance::system_runs(&measured.sources, group, gold)?;
            notes.extend(skipped);
            systems.insert(variant.name(), runs);
        }
        for (a, b) in COMPARISONS {
            let (Some(sa), Some(sb)) = (systems.get(a.name()), systems.get(b.name())) else {
                continue;
            };
            if let Some(c) = significance::compare(sa, sb, resamples, seed) {
                comparisons.push((dataset, c));
            }
        }
    }
    if comparisons.is_empty() {
        return Ok(None);
    }
    Ok(Some(significance::table(
        &comparisons,
        resamples,
        seed,
        notes,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_removes_the_report_files_it_no_longer_writes_and_keeps_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let touch = |name: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, b"x").expect("write");
            path
        };
        let kept = touch("table5.csv");
        let stale = [touch("learning-curves-weiboner.png"), touch("old.tex")];
        let foreign = [touch("notes.txt"), touch("README")];
        remove_stale(dir.path(), std::slice::from_ref(&kept)).expect("remove");
        assert!(kept.exists());
        assert!(stale.iter().all(|p| !p.exists()));
        assert!(foreign.iter().all(|p| p.exists()));
    }
}
