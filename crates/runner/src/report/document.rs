//! The Markdown report: the tables and charts in the paper's order, and how
//! they were produced (command, code version, data checksums, seeds,
//! schedule, device, compute time, and the data substitutions).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use atner::config::Variant;
use polars::prelude::{DataFrame, DataType};

use super::aggregate::{self, format_lambda, Group, Stat};
use super::chart::{self, BarGroup, BarPanel, Curve, LambdaPoint, LambdaSeries, PrPanel, PrSeries};
use super::paper::{self, Dataset};
use super::tables::{self, Table};
use super::{datasets_in, Measured, ReportRequest};
use crate::dataset::Source;
use crate::plan::RunConfig;

/// A chart written as PNG and SVG.
#[derive(Debug, Clone)]
pub struct ChartFile {
    pub title: String,
    /// `<stem>.png` and `<stem>.svg`.
    pub files: Vec<PathBuf>,
    /// The file name of the PNG.
    pub png: String,
    pub svg: String,
    pub caption: String,
    /// Which section of the report it belongs to.
    pub section: Section,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Ablation,
    Lambda,
    Learning,
    PrecisionRecall,
}

/// The label of a group in charts: short variant name, λ when not the paper's.
pub fn chart_label(g: &Group) -> String {
    let mut label = match g.parts {
        Some(v) if v.name() == g.variant => paper::short_name(v).to_string(),
        _ => g.variant.clone(),
    };
    if let Some(l) = g.lambda.filter(|_| !g.at_paper_lambda()) {
        let _ = write!(label, ", λ = {}", format_lambda(l));
    }
    label
}

/// The groups the charts of `dataset` show: those at the paper's λ when
/// there are any (a λ sweep has its own chart), else all of them.
fn shown(groups: &[Group], dataset: Dataset) -> Vec<&Group> {
    let here: Vec<&Group> = groups
        .iter()
        .filter(|g| g.dataset() == Some(dataset))
        .collect();
    if here.iter().any(|g| g.at_paper_lambda()) {
        here.into_iter().filter(|g| g.at_paper_lambda()).collect()
    } else {
        here
    }
}

/// Colour indices: the paper's variant order (grey baseline … full) when each
/// group is a different paper variant, else one colour per position.
fn colors(shown: &[&Group]) -> Vec<usize> {
    let ranks: Vec<Option<usize>> = shown
        .iter()
        .map(|g| {
            g.parts
                .and_then(|v| Variant::ALL.iter().position(|&w| w == v))
        })
        .collect();
    let distinct: BTreeSet<usize> = ranks.iter().flatten().copied().collect();
    if ranks.iter().all(Option::is_some) && distinct.len() == ranks.len() {
        ranks.into_iter().flatten().collect()
    } else {
        (0..shown.len()).map(|i| i + 1).collect()
    }
}

/// Per-run values of `column` for the runs of `group` (one per seed).
fn run_values(runs: &DataFrame, group: &Group, column: &str) -> Vec<f64> {
    let text = |name: &str| -> Vec<Option<String>> {
        runs.column(name)
            .ok()
            .and_then(|c| c.cast(&DataType::String).ok())
            .map(|c| {
                c.str()
                    .map(|s| s.iter().map(|v| v.map(String::from)).collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    };
    let float = |name: &str| -> Vec<Option<f64>> {
        runs.column(name)
            .ok()
            .and_then(|c| c.cast(&DataType::Float64).ok())
            .map(|c| c.f64().map(|s| s.iter().collect()).unwrap_or_default())
            .unwrap_or_default()
    };
    let (ner, mode, variant) = (text("ner"), text("mode"), text("variant"));
    let (lambda, values) = (float("lambda"), float(column));
    (0..runs.height())
        .filter(|&i| {
            ner.get(i).cloned().flatten().as_deref() == Some(group.ner.as_str())
                && mode.get(i).cloned().flatten().as_deref() == Some(group.mode.as_str())
                && variant.get(i).cloned().flatten().as_deref() == Some(group.variant.as_str())
                && lambda.get(i).copied().flatten() == group.lambda
        })
        .filter_map(|i| values.get(i).copied().flatten())
        .collect()
}

/// Draws every chart the runs allow into `dir`.
pub fn charts(measured: &Measured, dir: &Path) -> anyhow::Result<Vec<ChartFile>> {
    let mut out = Vec::new();
    ablation_chart(measured, dir, &mut out)?;
    lambda_chart(measured, dir, &mut out)?;
    learning_charts(measured, dir, &mut out)?;
    precision_recall_chart(measured, dir, &mut out)?;
    Ok(out)
}

fn chart_file(
    stem: &str,
    title: String,
    files: Vec<PathBuf>,
    caption: String,
    section: Section,
) -> ChartFile {
    ChartFile {
        title,
        files,
        png: format!("{stem}.png"),
        svg: format!("{stem}.svg"),
        caption,
        section,
    }
}

/// Table 5 as bars.
fn ablation_chart(measured: &Measured, dir: &Path, out: &mut Vec<ChartFile>) -> anyhow::Result<()> {
    let groups = &measured.groups;
    let datasets = datasets_in(groups);
    let panels: Vec<BarPanel> = datasets
        .iter()
        .map(|&d| BarPanel {
            title: d.title().to_string(),
            groups: groups
                .iter()
                .filter(|g| g.dataset() == Some(d))
                .filter(|g| {
                    g.parts
                        .is_none_or(|v| tables::measured(groups, d, v).contains(g))
                })
                .map(|g| BarGroup {
                    label: chart_label(g),
                    scores: ["precision", "recall", "f1"].map(|m| g.stat(&format!("test_{m}"))),
                    reported: g
                        .parts
                        .and_then(|v| d.table5(v))
                        .map(|p| [p.precision, p.recall, p.f1]),
                })
                .collect(),
        })
        .filter(|p| !p.groups.is_empty())
        .collect();
    if !panels.is_empty() {
        let title = "Ablation (Table 5): test P, R, F1, mean ± std over seeds".to_string();
        let files = chart::ablation_bars(&dir.join("table5-bars"), &title, &panels)?;
        out.push(chart_file(
            "table5-bars",
            title,
            files,
            "Bars: mean over seeds of the dev-selected checkpoint's test precision, recall and F1; whiskers: ±1 sample std over seeds; black ticks: the paper's reported numbers (Table 5).".into(),
            Section::Ablation,
        ));
    }
    Ok(())
}

/// λ sensitivity: a dataset and variant with runs at two λ or more.
fn lambda_chart(measured: &Measured, dir: &Path, out: &mut Vec<ChartFile>) -> anyhow::Result<()> {
    let groups = &measured.groups;
    let datasets = datasets_in(groups);
    let mut series = Vec::new();
    for &d in &datasets {
        let mut names: Vec<&str> = groups
            .iter()
            .filter(|g| g.dataset() == Some(d) && g.lambda.is_some())
            .map(|g| g.variant.as_str())
            .collect();
        names.dedup();
        for name in names {
            let sweep: Vec<&Group> = groups
                .iter()
                .filter(|g| g.dataset() == Some(d) && g.variant == name && g.lambda.is_some())
                .collect();
            if sweep.len() < 2 {
                continue;
            }
            let mut points: Vec<LambdaPoint> = sweep
                .iter()
                .map(|g| LambdaPoint {
                    lambda: g.lambda.expect("filtered on λ"),
                    values: run_values(&measured.runs, g, "test_f1"),
                })
                .collect();
            points.sort_by(|a, b| a.lambda.total_cmp(&b.lambda));
            let parts = sweep[0].parts;
            series.push(LambdaSeries {
                label: format!(
                    "{}, {}",
                    parts.map_or(name, |v| paper::short_name(v)),
                    d.title()
                ),
                points,
                reported: parts
                    .filter(|v| *v == Variant::Full)
                    .and_then(|v| d.table5(v))
                    .map(|p| (paper::LAMBDA, p.f1)),
            });
        }
    }
    if !series.is_empty() {
        let title = "λ sensitivity: test F1 against the adversarial loss weight".to_string();
        let files = chart::lambda_sensitivity(&dir.join("lambda"), &title, &series)?;
        out.push(chart_file(
            "lambda",
            title,
            files,
            "Test F1 of the dev-selected checkpoint against λ of eq. 18 (log scale; λ = 0, no adversarial weight, at the far left): line = mean over seeds, band = ±1 std, rings = single seeds, triangle = the paper's full model at λ = 0.06.".into(),
            Section::Lambda,
        ));
    }
    Ok(())
}

/// Learning curves, one figure per dataset.
fn learning_charts(
    measured: &Measured,
    dir: &Path,
    out: &mut Vec<ChartFile>,
) -> anyhow::Result<()> {
    let groups = &measured.groups;
    let datasets = datasets_in(groups);
    let dev = aggregate::curves(&measured.epochs, &measured.runs, "dev_f1")?;
    let disc = aggregate::curves(&measured.epochs, &measured.runs, "discriminator_accuracy")?;
    for &d in &datasets {
        let show = shown(groups, d);
        let palette = colors(&show);
        let to_curves =
            |curves: &[(Group, Vec<aggregate::CurvePoint>)], scale: f64| -> Vec<Curve> {
                curves
                    .iter()
                    .filter_map(|(g, points)| {
                        let i = show.iter().position(|s| s.same_key(g))?;
                        Some(Curve {
                            color: palette[i],
                            label: chart_label(g),
                            points: points
                                .iter()
                                .map(|p| {
                                    let stat = Stat {
                                        mean: p.stat.mean * scale,
                                        std: p.stat.std.map(|s| s * scale),
                                        n: p.stat.n,
                                    };
                                    (p.epoch, stat)
                                })
                                .collect(),
                        })
                    })
                    .collect()
            };
        let dev_curves = to_curves(&dev, 1.0);
        // Accuracy is recorded as a fraction; the chart shows percent.
        let disc_curves = to_curves(&disc, 100.0);
        if dev_curves.is_empty() {
            continue;
        }
        let stem = format!("learning-curves-{}", tables::slug(d.title()));
        let title = format!("Learning curves on {}", d.title());
        let files = chart::learning_curves(&dir.join(&stem), &title, &dev_curves, &disc_curves)?;
        out.push(chart_file(
            &stem,
            title,
            files,
            "Left: dev F1 after each epoch, mean over the seeds that reached that epoch (early stopping ends some runs sooner), band = ±1 std. Right (adversarial variants): the task discriminator's training accuracy per epoch; the min-max game of eq. 15–18 should push it toward chance (50% for two tasks).".into(),
            Section::Learning,
        ));
    }
    Ok(())
}

/// Precision against recall.
fn precision_recall_chart(
    measured: &Measured,
    dir: &Path,
    out: &mut Vec<ChartFile>,
) -> anyhow::Result<()> {
    let groups = &measured.groups;
    let datasets = datasets_in(groups);
    let pr_panels: Vec<PrPanel> = datasets
        .iter()
        .map(|&d| {
            let here = shown(groups, d);
            let palette = colors(&here);
            PrPanel {
                title: d.title().to_string(),
                series: here
                    .iter()
                    .zip(palette)
                    .map(|(g, color)| PrSeries {
                        label: chart_label(g),
                        color,
                        seeds: run_values(&measured.runs, g, "test_recall")
                            .into_iter()
                            .zip(run_values(&measured.runs, g, "test_precision"))
                            .collect(),
                        reported: g
                            .parts
                            .filter(|_| g.at_paper_lambda())
                            .and_then(|v| d.table5(v))
                            .map(|p| (p.recall, p.precision)),
                    })
                    .collect(),
            }
        })
        .filter(|p| !p.series.is_empty())
        .collect();
    if !pr_panels.is_empty() {
        let title = "Precision against recall (test, dev-selected checkpoints)".to_string();
        let files = chart::precision_recall(&dir.join("precision-recall"), &title, &pr_panels)?;
        out.push(chart_file(
            "precision-recall",
            title,
            files,
            "Each variant's test recall (x) and precision (y): small dots are single seeds, large dots their mean, rings the paper's reported point; dashed grey curves are iso-F1 lines every 10 points.".into(),
            Section::PrecisionRecall,
        ));
    }
    Ok(())
}

/// Everything the report document shows.
pub struct Document<'a> {
    pub name: &'a str,
    pub request: &'a ReportRequest,
    pub measured: &'a Measured,
    /// Selection suffix (`""`, `-test-selected`) → Tables 5, 2, 3, 4.
    pub paper_tables: &'a BTreeMap<&'static str, Vec<Table>>,
    pub extra_tables: &'a [Table],
    /// `None`: not asked for; `Some(Err)`: could not be computed, and why.
    pub significance: Option<&'a Result<Option<Table>, String>>,
    /// The configurations' paired test on dev sentences: `None` when not
    /// asked for or when there is one configuration per variant.
    pub dev_randomization: Option<&'a Result<Table, String>>,
    pub charts: &'a [ChartFile],
    /// The charts' and tables' directory, relative to the report file.
    pub chart_dir: &'a Path,
}

/// The report as Markdown.
pub fn render(doc: &Document) -> String {
    let mut md = intro(doc);
    md.push_str(&provenance(doc));
    md.push_str(&substitutions(doc.measured));
    md.push_str(&ablation_section(doc));
    md.push_str(&paper_table_sections(doc));
    md.push_str(&released_section(doc));
    md.push_str(&closing_sections(doc));
    md
}

/// Markdown links to a table's three files.
fn files_line(doc: &Document, t: &Table) -> String {
    let dir = doc.chart_dir.display().to_string();
    format!(
        "Files: [{id}.md]({dir}/{id}.md) · [{id}.tex]({dir}/{id}.tex) · [{id}.csv]({dir}/{id}.csv)\n\n",
        id = t.id
    )
}

/// A dev-selected paper table, found by id (never by its place in the list).
fn dev_table<'a>(doc: &'a Document, id: &str) -> Option<&'a Table> {
    doc.paper_tables[""].iter().find(|t| t.id == id)
}

/// The title and what the report is.
fn intro(doc: &Document) -> String {
    let mut md = String::new();
    let m = doc.measured;
    let _ = writeln!(md, "# Ablation report: {}\n", doc.name);
    let _ = writeln!(
        md,
        "Measured reproduction of {} — \"Adversarial Transfer Learning for Chinese Named Entity Recognition with Self-Attention Mechanism\" — from the runs in {}. Every measured number is a mean ± sample standard deviation over seeds; \"reported\" rows are the paper's. Generated by `runner report`; do not edit by hand.\n",
        paper::CITATION,
        doc.request
            .sources
            .iter()
            .map(|p| format!("`{}`", shown_path(p)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if m.runs.height() == 0 {
        md.push_str("**No finished runs** in these results: every table below shows the paper's rows only.\n\n");
    }
    md
}

/// Table 5, its charts and the paired tests.
fn ablation_section(doc: &Document) -> String {
    let mut md = String::new();
    md.push_str("## Table 5: ablation\n\n");
    if let Some(t) = dev_table(doc, "table5") {
        md.push_str(&t.markdown());
        md.push('\n');
        md.push_str(&files_line(doc, t));
    }
    embed(&mut md, doc, Section::Ablation);
    md.push_str("### Significance\n\n");
    match doc.significance {
        None => md.push_str("Not computed (`--no-significance`).\n\n"),
        Some(Err(e)) => {
            let _ = writeln!(md, "Not computed: {e}\n");
        }
        Some(Ok(None)) => md.push_str(
            "Not computed: no two variants of Table 5 share a seed on the same dataset in these results.\n\n",
        ),
        Some(Ok(Some(t))) => {
            md.push_str(&t.markdown());
            md.push('\n');
            md.push_str(&files_line(doc, t));
        }
    }

    md
}

/// Every configuration (when there are several per variant), then Tables 2–4.
fn paper_table_sections(doc: &Document) -> String {
    let mut md = String::new();
    if let Some(t) = doc.extra_tables.iter().find(|t| t.id == "configurations") {
        md.push_str("## Every configuration\n\n");
        md.push_str("These runs hold several configurations of the same parts (a preset, a setting, a grid value): the paper's tables above average them per variant, this table keeps them apart.\n\n");
        md.push_str(&t.markdown());
        md.push('\n');
        md.push_str(&files_line(doc, t));
        match doc.dev_randomization {
            Some(Ok(t)) => {
                md.push_str(&t.markdown());
                md.push('\n');
                md.push_str(&files_line(doc, t));
            }
            Some(Err(e)) => {
                let _ = writeln!(
                    md,
                    "The paired randomization test on dev was not computed: {e}\n"
                );
            }
            None => {}
        }
    }

    // Table 5 has its own section above (charts, significance).
    for paper in tables::PAPER_TABLES.iter().filter(|p| p.id != "table5") {
        let Some(t) = dev_table(doc, paper.id) else {
            continue;
        };
        let _ = writeln!(md, "## {}\n", paper.heading);
        md.push_str(&t.markdown());
        md.push('\n');
        md.push_str(&files_line(doc, t));
    }

    md
}

/// The released code's protocol: the gap table and the test-selected tables.
fn released_section(doc: &Document) -> String {
    let test = &doc.paper_tables["-test-selected"];
    let mut md = String::new();
    md.push_str("## The released code's protocol (best test epoch)\n\n");
    md.push_str("The released code keeps the checkpoint with the best *test* F1. That number is optimistic (the test set chose the epoch), and is shown only so that the gap to the honest, dev-selected numbers above is visible. The reported rows are the same as above.\n\n");
    if let Some(gap) = doc.extra_tables.iter().find(|t| t.id == "protocol-gap") {
        md.push_str(&gap.markdown());
        md.push('\n');
    }
    for t in test {
        if t.has_measured() {
            md.push_str(&t.markdown());
            md.push('\n');
            md.push_str(&files_line(doc, t));
        }
    }
    if !test.iter().any(Table::has_measured) {
        md.push_str("No measured rows under this protocol either.\n\n");
    }

    md
}

/// Per-type scores, the remaining charts and where the files are.
fn closing_sections(doc: &Document) -> String {
    let dir = doc.chart_dir.display().to_string();
    let mut md = String::new();
    let per_type: Vec<&Table> = doc
        .extra_tables
        .iter()
        .filter(|t| t.id.starts_with("per-type-"))
        .collect();
    if !per_type.is_empty() {
        md.push_str("## Per entity type\n\n");
        for t in per_type {
            md.push_str(&t.markdown());
            md.push('\n');
        }
    }
    for (section, heading) in [
        (Section::Lambda, "λ sensitivity"),
        (Section::Learning, "Learning curves"),
        (Section::PrecisionRecall, "Precision and recall"),
    ] {
        if doc.charts.iter().any(|c| c.section == section) {
            let _ = writeln!(md, "## {heading}\n");
            embed(&mut md, doc, section);
        }
    }
    md.push_str("## Files\n\n");
    let _ = writeln!(
        md,
        "Tables as Markdown, LaTeX (booktabs; graphicx scales a wide one to the line) and CSV, charts as PNG and SVG, and `summary.csv` (every aggregated score: `<column>_mean`, `_std`, `_n` per dataset, variant and λ) are in [`{dir}/`]({dir}/). Tables whose name ends in `-test-selected` use the released code's protocol."
    );
    md
}

fn embed(md: &mut String, doc: &Document, section: Section) {
    let dir = doc.chart_dir.display();
    for c in doc.charts.iter().filter(|c| c.section == section) {
        let _ = writeln!(
            md,
            "![{title}]({dir}/{png})\n\n{caption} ([SVG]({dir}/{svg}))\n",
            title = c.title,
            png = c.png,
            svg = c.svg,
            caption = c.caption
        );
    }
}

/// A path relative to the workspace root when it lies inside it.
pub fn shown_path(path: &Path) -> String {
    let root = std::env::current_dir()
        .ok()
        .and_then(|cwd| crate::dataset::locations::workspace_root(&cwd).ok());
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    root.and_then(|r| absolute.strip_prefix(r).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// Values joined, or `–`.
fn list<T: std::fmt::Display>(values: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = values.into_iter().map(|v| v.to_string()).collect();
    if items.is_empty() {
        "–".into()
    } else {
        items.join(", ")
    }
}

fn distinct<T: Ord + Clone>(values: impl IntoIterator<Item = T>) -> Vec<T> {
    values
        .into_iter()
        .collect::<BTreeSet<T>>()
        .into_iter()
        .collect()
}

/// `3725 s` → `1 h 2 min (3725 s)`.
pub fn format_duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    let (h, min) = (s / 3600, (s % 3600) / 60);
    match (h, min) {
        (0, 0) => format!("{s} s"),
        (0, m) => format!("{m} min {} s", s % 60),
        (h, m) => format!("{h} h {m} min ({s} s)"),
    }
}

/// The reporting code's version. Not the checkout's commit: a report is a
/// function of the results it reads (whose runs name their own code
/// revision), so that committed reports can be checked against a fresh render.
pub fn code_version() -> String {
    format!("runner {}", env!("CARGO_PKG_VERSION"))
}

fn provenance(doc: &Document) -> String {
    let m = doc.measured;
    let results: Vec<&crate::store::RunResult> =
        m.sources.iter().flat_map(|s| s.results.iter()).collect();
    let mut md = String::from("## How this report was produced\n\n");
    let _ = writeln!(md, "- Command: `{}`", doc.request.command);
    let _ = writeln!(md, "- Report generated by: {}", code_version());
    md.push_str(&revisions_line(&m.sources));
    for s in &m.sources {
        md.push_str(&source_line(s));
    }
    if results.is_empty() {
        md.push('\n');
        return md;
    }
    md.push_str(&settings_lines(&results));
    md.push_str(&compute_lines(&results));
    md.push_str(&mixed_settings(&results));
    md.push_str(&data_files(&results));
    md.push('\n');
    md
}

/// The code revisions the runs were trained by, with their counts.
fn revisions_line(sources: &[crate::report::source::Source]) -> String {
    let mut revisions: BTreeMap<&str, usize> = BTreeMap::new();
    for s in sources {
        for r in s.revisions.values() {
            *revisions.entry(r.as_str()).or_default() += 1;
        }
    }
    format!(
        "- Runs trained by code revision: {}\n",
        list(revisions.iter().map(|(r, n)| format!("`{r}` ({n} runs)")))
    )
}

/// One store: its runs, variants (the paper's order first), seeds and λ.
fn source_line(s: &crate::report::source::Source) -> String {
    let seeds = distinct(s.results.iter().map(|r| r.config.train.seed));
    let mut variants: Vec<String> = Vec::new();
    for r in &s.results {
        if !variants.contains(&r.config.variant) {
            variants.push(r.config.variant.clone());
        }
    }
    let rank = |name: &String| {
        Variant::ALL
            .iter()
            .position(|w| w.name() == name)
            .unwrap_or(Variant::ALL.len())
    };
    variants.sort_by_key(|name| rank(name));
    let lambdas: Vec<String> = distinct(
        s.results
            .iter()
            .filter_map(|r| r.config.model.lambda())
            .map(|l| (l * 1e9).round() as i64),
    )
    .into_iter()
    .map(|l| format_lambda(l as f64 / 1e9))
    .collect();
    let mut md = format!(
        "- Results `{}` (experiment `{}`): {} finished runs; variants {}; seeds {}; λ {}\n",
        shown_path(&s.root),
        s.experiment,
        s.results.len(),
        list(variants),
        list(seeds),
        list(lambdas)
    );
    if !s.duplicates.is_empty() {
        let _ = writeln!(
            md,
            "  ({} more runs of this store are the same runs as in an earlier store and are counted once: {})",
            s.duplicates.len(),
            s.duplicates.join(", ")
        );
    }
    md
}

/// The schedule and model sizes, each setting's distinct values.
fn settings_lines(results: &[&crate::store::RunResult]) -> String {
    let configs: Vec<&RunConfig> = results.iter().map(|r| &r.config).collect();
    let mut md = String::new();
    let joined = |f: &dyn Fn(&RunConfig) -> String| list(distinct(configs.iter().map(|c| f(c))));
    let _ = writeln!(
        md,
        "- Schedule: at most {} epochs, early stopping after {} epochs without a better dev F1; batch size {}; Adam lr {}; gradient-norm clip {}; arithmetic {}",
        joined(&|c| c.train.epochs.to_string()),
        joined(&|c| c.train.patience.to_string()),
        joined(&|c| c.train.batch_size.to_string()),
        joined(&|c| c.train.lr.to_string()),
        joined(&|c| c.train.clip.to_string()),
        joined(&|c| c.train.precision.name().to_string()),
    );
    let _ = writeln!(
        md,
        "- Model sizes: d_h = {}; dropout {}; attention heads {}",
        joined(&|c| c.model.hidden.to_string()),
        joined(&|c| c.model.dropout.to_string()),
        list(distinct(
            configs
                .iter()
                .filter_map(|c| c.model.attention.map(|a| a.heads))
        )),
    );
    md
}

/// Epochs trained, devices, compute time, and the sentences read.
fn compute_lines(results: &[&crate::store::RunResult]) -> String {
    let mut md = String::new();
    let epochs_run: Vec<f64> = results
        .iter()
        .map(|r| r.state.records.len() as f64)
        .collect();
    let best: Vec<f64> = results
        .iter()
        .filter_map(|r| r.state.best().map(|b| b.epoch as f64))
        .collect();
    if let (Some(e), Some(b)) = (Stat::of(&epochs_run), Stat::of(&best)) {
        let (lo, hi) = epochs_run
            .iter()
            .fold((f64::INFINITY, 0f64), |(lo, hi), v| {
                (lo.min(*v), hi.max(*v))
            });
        let range = if lo == hi {
            format!("{lo}")
        } else {
            format!("{lo}–{hi}")
        };
        let _ = writeln!(
            md,
            "- Epochs trained: {range} (mean {:.1}); best dev epoch mean {:.1}",
            e.mean, b.mean
        );
    }
    let devices: BTreeMap<String, usize> = results.iter().fold(BTreeMap::new(), |mut acc, r| {
        *acc.entry(format!("{} × {} threads", r.device, r.threads))
            .or_default() += 1;
        acc
    });
    let _ = writeln!(
        md,
        "- Device: {}",
        list(devices.iter().map(|(d, n)| format!("{d} ({n} runs)")))
    );
    let total: f64 = results.iter().map(|r| r.wall_seconds).sum();
    let _ = writeln!(
        md,
        "- Compute: {} wall-clock in total over {} runs (mean {} per run)",
        format_duration(total),
        results.len(),
        format_duration(total / results.len() as f64)
    );
    md.push_str(&sentences_line(results));
    md
}

/// How many sentences each run read, NER and auxiliary CWS.
fn sentences_line(results: &[&crate::store::RunResult]) -> String {
    let mut md = String::new();
    let ner = distinct(results.iter().map(|r| {
        let [train, dev, test] = r.data.ner_sentences;
        format!("{} {train}/{dev}/{test}", r.config.data.ner.label())
    }));
    let cws = distinct(
        results
            .iter()
            .filter(|r| r.data.cws_sentences > 0)
            .map(|r| {
                format!(
                    "{} {}",
                    r.config.data.cws.as_ref().map_or("?".into(), Source::label),
                    r.data.cws_sentences
                )
            }),
    );
    let _ = writeln!(
        md,
        "- Sentences read: NER (train/dev/test) {}; auxiliary CWS training sentences (transfer variants) {}",
        list(ner),
        list(cws)
    );
    md
}

/// Warns about aggregated groups whose runs differ in more than seed: their
/// mean would mix settings (e.g. a smoke store combined with a real one).
fn mixed_settings(results: &[&crate::store::RunResult]) -> String {
    let mut settings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in results {
        let c = &r.config;
        let key = format!(
            "{} on {} ({}), λ {}",
            c.variant,
            c.data.ner.label(),
            super::significance::mode_name(c.data.mode),
            c.model.lambda().map_or("–".into(), format_lambda)
        );
        let mut unseeded = c.clone();
        unseeded.train.seed = 0;
        let text = serde_json::to_string(&unseeded).unwrap_or_default();
        settings.entry(key).or_default().insert(text);
    }
    let mixed: Vec<String> = settings
        .into_iter()
        .filter(|(_, configs)| configs.len() > 1)
        .map(|(key, configs)| format!("{key} ({} configurations)", configs.len()))
        .collect();
    if mixed.is_empty() {
        return String::new();
    }
    format!(
        "- **Warning**: runs aggregated together differ in more than their seed, so their mean mixes settings: {}. Report those results separately.\n",
        mixed.join("; ")
    )
}

/// The data files the runs read, by dataset, with their sha256.
fn data_files(results: &[&crate::store::RunResult]) -> String {
    let sums: BTreeSet<String> = results
        .iter()
        .flat_map(|r| r.data.checksums.iter().cloned())
        .collect();
    let names = dataset_names(results);
    let mut md = String::from("\nData files (sha256 of the files the runs read, as recorded in each run's `result.json`):\n\n| dataset | file | sha256 |\n|:---|:---|:---|\n");
    let mut matched = BTreeSet::new();
    let manifest = crate::dataset::Locations::discover(None)
        .ok()
        .and_then(|l| crate::dataset::Manifest::load(&l.manifest).ok());
    if let Some(manifest) = &manifest {
        for name in &names {
            let Ok(dataset) = manifest.dataset(name) else {
                continue;
            };
            for f in &dataset.files {
                let Some(sum) = f.sha256.as_ref().filter(|s| sums.contains(*s)) else {
                    continue;
                };
                matched.insert(sum.clone());
                let _ = writeln!(md, "| {name} | `{}` | `{sum}` |", f.path);
            }
        }
    }
    let by_path = results.iter().flat_map(|r| r.data.files.iter());
    for file in by_path {
        if !matched.insert(file.sha256.clone()) {
            continue;
        }
        let _ = writeln!(
            md,
            "| (by path) | `{}` ({} bytes) | `{}` |",
            file.path.display(),
            file.bytes,
            file.sha256
        );
    }
    for sum in sums.difference(&matched) {
        let _ = writeln!(
            md,
            "| {} | (not in the manifest) | `{sum}` |",
            list(names.iter())
        );
    }
    md
}

/// The manifest names of the datasets the runs read.
fn dataset_names(results: &[&crate::store::RunResult]) -> BTreeSet<String> {
    results
        .iter()
        .flat_map(|r| {
            let d = &r.config.data;
            let mut names = vec![d.ner.manifest_name()];
            if r.config.model.transfer.is_some() {
                names.extend(d.cws.as_ref().map(Source::manifest_name));
            }
            names.extend(d.embeddings.as_ref().map(Source::manifest_name));
            names
                .into_iter()
                .flatten()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The ways these runs differ from the paper's setup, from their configurations.
pub fn substitutions(m: &Measured) -> String {
    substitutions_where(m, |_| true)
}

/// [`substitutions`] of the runs `keep` accepts (REPRODUCTION.md: the runs
/// its verdicts read).
pub fn substitutions_where(
    m: &Measured,
    keep: impl Fn(&crate::store::RunResult) -> bool,
) -> String {
    let configs: Vec<&RunConfig> = m
        .sources
        .iter()
        .flat_map(|s| s.results.iter().filter(|r| keep(r)).map(|r| &r.config))
        .collect();
    let mut items = data_substitutions(&configs);
    items.extend(protocol_items(m, &configs));
    let mut md = String::from("## Substitutions and protocol\n\n");
    for item in items {
        let _ = writeln!(md, "- {item}");
    }
    md.push('\n');
    md
}

/// How the data differ from the paper's: the CWS corpus, the vectors, and
/// which release or split of the NER data.
fn data_substitutions(configs: &[&RunConfig]) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    let cws: BTreeSet<String> = configs
        .iter()
        .filter(|c| c.model.transfer.is_some())
        .filter_map(|c| c.data.cws.as_ref().map(Source::label))
        .collect();
    for name in cws {
        items.push(match name.as_str() {
            "ctb6" => "Auxiliary CWS corpus: **CTB6** (24,416 training sentences, news text) instead of the paper's MSR (SIGHAN 2005), whose training file is not available.".into(),
            "nlpcc2016" => "Auxiliary CWS corpus: **NLPCC-2016 Weibo** (20,135 sentences, social media) instead of the paper's MSR (SIGHAN 2005).".into(),
            "msr" => "Auxiliary CWS corpus: MSR (SIGHAN 2005), as in the paper.".into(),
            other => format!("Auxiliary CWS corpus: `{other}` instead of the paper's MSR (SIGHAN 2005)."),
        });
    }
    let embeddings: BTreeSet<Option<String>> = configs
        .iter()
        .map(|c| c.data.embeddings.as_ref().map(Source::label))
        .collect();
    for e in embeddings {
        items.push(match e.as_deref() {
            Some("char-vec-50") => "Character embeddings: **50-d word2vec character vectors** instead of the paper's 100-d pre-trained vectors (not available); d_e is 50.".into(),
            Some(other) => format!("Character embeddings: `{other}` instead of the paper's 100-d vectors."),
            None => "Character embeddings: random initialisation (no pre-trained vectors), d_e = 100.".into(),
        });
    }
    if configs
        .iter()
        .any(|c| c.data.ner.manifest_name() == Some("weibo"))
    {
        items.push("WeiboNER for Tables 2 and 5: the **original release** (Peng & Dredze 2015), **named entities only** (nominal `.NOM` mentions become `O`), as in the paper.".into());
    }
    if configs
        .iter()
        .any(|c| c.data.ner.manifest_name() == Some("sighan"))
    {
        items.push("SighanNER has no dev set: 10% of its training set, sampled with `data.split_seed`, is dev (as in the paper).".into());
    }
    items
}

/// The runs' epoch budgets and patience; over several datasets, each with
/// the datasets it was used on ("SighanNER: at most 20 epochs, patience 3; …").
fn schedules(configs: &[&RunConfig]) -> Option<String> {
    let mut by_schedule: BTreeMap<(usize, usize), BTreeSet<String>> = BTreeMap::new();
    for c in configs {
        let dataset = super::significance::paper_dataset(&c.data)
            .map_or_else(|| c.data.ner.label(), |d| d.title().to_string());
        by_schedule
            .entry((c.train.epochs, c.train.patience))
            .or_default()
            .insert(dataset);
    }
    let phrase = |(e, p): &(usize, usize)| format!("at most {e} epochs, patience {p}");
    let datasets: BTreeSet<&String> = by_schedule.values().flatten().collect();
    match (by_schedule.len(), datasets.len()) {
        (0, _) => None,
        (_, 1) => Some(list(by_schedule.keys().map(phrase))),
        _ => Some(
            by_schedule
                .iter()
                .map(|(k, sets)| format!("{}: {}", list(sets.iter().cloned()), phrase(k)))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

/// The protocol and schedule, and a warning for smoke-test runs.
fn protocol_items(m: &Measured, configs: &[&RunConfig]) -> Vec<String> {
    let mut items = Vec::new();
    items.push("Protocol: the checkpoint is chosen on dev F1 and every test sentence is scored at full length (the released code chooses on test, cuts sentences to 80 characters and drops a last partial test batch); see the released-code view below.".into());
    if let Some(schedule) = schedules(configs) {
        items.push(format!(
            "Training schedule: {schedule} (set in the experiment file to fit the machine; the paper trains with early stopping on dev and states no epoch budget).",
        ));
    }
    let cut: BTreeSet<usize> = configs
        .iter()
        .filter_map(|c| c.data.max_sentences)
        .collect();
    if !cut.is_empty() {
        let read: BTreeSet<usize> = m
            .sources
            .iter()
            .flat_map(|s| s.results.iter().map(|r| r.data.ner_sentences[2]))
            .collect();
        items.push(format!(
            "**Smoke test, not a result**: `data.max_sentences = {}` asked for the first sentences of every split only; the runs read {} test sentences. These numbers mean nothing about the model.",
            list(cut),
            list(read)
        ));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Source;

    fn config(ner: &str, epochs: usize, patience: usize) -> RunConfig {
        let mut c = RunConfig::default();
        c.data.ner = Source::Name(ner.into());
        (c.train.epochs, c.train.patience) = (epochs, patience);
        c
    }

    #[test]
    fn schedules_name_their_datasets_only_when_there_are_several() {
        let (weibo, long) = (config("weibo", 30, 8), config("weibo", 140, 20));
        let sighan = config("sighan", 20, 3);
        assert_eq!(schedules(&[]), None);
        assert_eq!(
            schedules(&[&weibo, &weibo]).as_deref(),
            Some("at most 30 epochs, patience 8")
        );
        assert_eq!(
            schedules(&[&weibo, &long]).as_deref(),
            Some("at most 30 epochs, patience 8, at most 140 epochs, patience 20")
        );
        assert_eq!(
            schedules(&[&weibo, &sighan]).as_deref(),
            Some(
                "SighanNER: at most 20 epochs, patience 3; WeiboNER: at most 30 epochs, patience 8"
            )
        );
    }
}
