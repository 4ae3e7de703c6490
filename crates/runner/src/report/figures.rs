//! The report's charts: which groups each chart shows, in which colours, and
//! the PNG and SVG files [`chart`] draws for them.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use atner::config::Variant;
use polars::prelude::{DataFrame, DataType};

use super::aggregate::{self, format_lambda, Group, Stat};
use super::chart::{self, BarGroup, BarPanel, Curve, LambdaPoint, LambdaSeries, PrPanel, PrSeries};
use super::paper::{self, Dataset};
use super::tables;
use super::{datasets_in, Measured};

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

/// The most curves one learning-curve chart shows: the palette's colours
/// after the baseline's grey, so that no two curves share a colour.
const MAX_CURVES: usize = chart::PALETTE.len() - 1;

/// Learning curves, one figure per dataset; a grid with more configurations
/// than colours (a fidelity study's) gets one figure per family of parts (a
/// paper variant and its settings), so that each curve is told apart from
/// the reference it is compared with.
fn learning_charts(
    measured: &Measured,
    dir: &Path,
    out: &mut Vec<ChartFile>,
) -> anyhow::Result<()> {
    let dev = aggregate::curves(&measured.epochs, &measured.runs, "dev_f1")?;
    let disc = aggregate::curves(&measured.epochs, &measured.runs, "discriminator_accuracy")?;
    for d in datasets_in(&measured.groups) {
        for (family, show) in families(shown(&measured.groups, d)) {
            let palette = colors(&show);
            let dev_curves = curves_of(&dev, &show, &palette, 1.0);
            // Accuracy is recorded as a fraction; the chart shows percent.
            let disc_curves = curves_of(&disc, &show, &palette, 100.0);
            if dev_curves.is_empty() {
                continue;
            }
            let (stem, title) = of_family(
                format!("learning-curves-{}", tables::slug(d.title())),
                format!("Learning curves on {}", d.title()),
                family.as_deref(),
            );
            let files =
                chart::learning_curves(&dir.join(&stem), &title, &dev_curves, &disc_curves)?;
            let mut caption = "Left: dev F1 after each epoch, mean over the seeds that reached that epoch (early stopping ends some runs sooner), band = ±1 std.".to_string();
            if !disc_curves.is_empty() {
                caption.push_str(" Right (adversarial variants): the task discriminator's training accuracy per epoch; the min-max game of eq. 15–18 should push it toward chance (50% for two tasks).");
            }
            out.push(chart_file(&stem, title, files, caption, Section::Learning));
        }
    }
    Ok(())
}

/// `shown` as one chart (named `None`) when its curves fit one, else split by
/// parts in order of first appearance, each family named after its paper
/// variant ("+transfer and its settings"); groups whose parts are no paper
/// variant's stay together as "other configurations".
fn families(shown: Vec<&Group>) -> Vec<(Option<String>, Vec<&Group>)> {
    if shown.len() <= MAX_CURVES {
        return vec![(None, shown)];
    }
    in_order(shown.into_iter().map(|g| (g.parts, g)))
        .into_iter()
        .map(|(parts, members)| {
            let name = match parts {
                Some(v) => format!("{} and its settings", paper::short_name(v)),
                None => "other configurations".to_string(),
            };
            (Some(name), members)
        })
        .collect()
}

/// The values of `pairs` grouped by key, keys in order of first appearance.
fn in_order<K: PartialEq, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Vec<(K, Vec<V>)> {
    let mut out: Vec<(K, Vec<V>)> = Vec::new();
    for (key, value) in pairs {
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value),
            None => out.push((key, vec![value])),
        }
    }
    out
}

/// A chart's file stem and title, with its family's name when it is one of several.
fn of_family(stem: String, title: String, family: Option<&str>) -> (String, String) {
    match family {
        Some(family) => (
            format!("{stem}-{}", tables::slug(family)),
            format!("{title}: {family}"),
        ),
        None => (stem, title),
    }
}

/// The curves of the groups in `show`, in their colours, scaled by `scale`.
fn curves_of(
    curves: &[(Group, Vec<aggregate::CurvePoint>)],
    show: &[&Group],
    palette: &[usize],
    scale: f64,
) -> Vec<Curve> {
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
}

/// Precision against recall, one panel per dataset; split into families of
/// parts as the learning curves are, one file each, when a grid has more
/// configurations than colours.
fn precision_recall_chart(
    measured: &Measured,
    dir: &Path,
    out: &mut Vec<ChartFile>,
) -> anyhow::Result<()> {
    let panels = datasets_in(&measured.groups).into_iter().flat_map(|d| {
        families(shown(&measured.groups, d))
            .into_iter()
            .map(move |(family, here)| (family, pr_panel(measured, d, &here)))
    });
    let charts = in_order(panels.filter(|(_, panel)| !panel.series.is_empty()));
    for (family, panels) in charts {
        let (stem, title) = of_family(
            "precision-recall".to_string(),
            "Precision against recall (test, dev-selected checkpoints)".to_string(),
            family.as_deref(),
        );
        let files = chart::precision_recall(&dir.join(&stem), &title, &panels)?;
        out.push(chart_file(
            &stem,
            title,
            files,
            "Each variant's test recall (x) and precision (y): small dots are single seeds, large dots their mean, rings the paper's reported point; dashed grey curves are iso-F1 lines every 10 points.".into(),
            Section::PrecisionRecall,
        ));
    }
    Ok(())
}

/// The precision–recall panel of dataset `d` for the groups `here`.
fn pr_panel(measured: &Measured, d: Dataset, here: &[&Group]) -> PrPanel {
    let palette = colors(here);
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
                // The paper's point belongs to its own variant, not to a
                // configuration that shares its parts.
                reported: g
                    .parts
                    .filter(|v| g.at_paper_lambda() && v.name() == g.variant)
                    .and_then(|v| d.table5(v))
                    .map(|p| (p.recall, p.precision)),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(variant: &str, parts: Option<Variant>) -> Group {
        Group {
            ner: "weibo".into(),
            mode: "named".into(),
            variant: variant.into(),
            lambda: None,
            parts,
            n: 5,
            stats: Default::default(),
        }
    }

    #[test]
    fn a_grid_with_more_configurations_than_colours_is_split_into_families_of_parts() {
        let (b, t, f) = (
            Some(Variant::Baseline),
            Some(Variant::Transfer),
            Some(Variant::Full),
        );
        let few = [group("baseline", b), group("full", f)];
        let one = families(few.iter().collect());
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].0.as_deref(), one[0].1.len()), (None, 2));

        let many = [
            group("baseline", b),
            group("transfer", t),
            group("baseline, released: CRF", b),
            group("full", f),
            group("transfer, released: step", t),
            group("baseline, released: batching", b),
            group("own parts", None),
            group("full released", f),
        ];
        let split = families(many.iter().collect());
        let named: Vec<(Option<&str>, Vec<&str>)> = split
            .iter()
            .map(|(name, members)| {
                let variants = members.iter().map(|g| g.variant.as_str()).collect();
                (name.as_deref(), variants)
            })
            .collect();
        assert_eq!(
            named,
            [
                (
                    Some("baseline and its settings"),
                    vec![
                        "baseline",
                        "baseline, released: CRF",
                        "baseline, released: batching"
                    ]
                ),
                (
                    Some("+transfer and its settings"),
                    vec!["transfer", "transfer, released: step"]
                ),
                (Some("full and its settings"), vec!["full", "full released"]),
                (Some("other configurations"), vec!["own parts"]),
            ]
        );
        // Within a family no two curves share a colour.
        for (_, members) in &split {
            let palette = colors(members);
            let distinct: BTreeSet<usize> =
                palette.iter().map(|c| c % chart::PALETTE.len()).collect();
            assert_eq!(distinct.len(), members.len());
        }
    }
}
