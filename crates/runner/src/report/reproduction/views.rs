//! The verdicts as data: the forest plot's and the budget chart's series,
//! the budget views, and REPRODUCTION.csv.

use super::{Dataset, Row, Runs, DELTA_DATASETS};
use crate::report::chart::{BudgetSeries, ForestLine, ForestPanel};
use crate::report::sensitivity::{self, CapRow};
use crate::report::verdict::{claims, Protocol, Verdict};

/// Per dataset, the deltas' dev-selected intervals.
pub(super) fn forest_panels(rows: &[Row]) -> Vec<ForestPanel> {
    DELTA_DATASETS
        .iter()
        .map(|d| ForestPanel {
            title: d.title().to_string(),
            lines: rows
                .iter()
                .filter(|r| r.protocol == Protocol::DevSelected && r.claim.is_delta())
                .filter(|r| r.claim.dataset() == *d)
                .filter_map(|r| {
                    let e = r.estimate?;
                    Some(ForestLine {
                        label: format!("{} (n = {})", r.claim.text(), e.n),
                        mean: e.mean,
                        low: e.low,
                        high: e.high,
                        paper: r.claim.paper(),
                    })
                })
                .collect(),
        })
        .collect()
}

/// Per dataset, the deltas at every epoch cap the runs reach.
pub(super) fn budget_views(runs: &Runs) -> Vec<(Dataset, Vec<CapRow>)> {
    let deltas: Vec<_> = claims().into_iter().filter(|c| c.is_delta()).collect();
    DELTA_DATASETS
        .iter()
        .map(|d| (*d, sensitivity::budget(runs, *d, &deltas)))
        .collect()
}

/// The budget views as chart series, one per claim.
pub(super) fn budget_series(views: &[(Dataset, Vec<CapRow>)]) -> Vec<(String, Vec<BudgetSeries>)> {
    views
        .iter()
        .map(|(d, caps)| {
            let claims = caps.first().map_or(Vec::new(), |c| c.claims.clone());
            let series = claims
                .iter()
                .enumerate()
                .map(|(i, (claim, _))| BudgetSeries {
                    label: claim.text(),
                    points: caps
                        .iter()
                        .filter_map(|row| {
                            let e = row.claims.get(i)?.1.estimate()?;
                            Some((row.cap as f64, e.mean, e.low, e.high))
                        })
                        .collect(),
                })
                .collect();
            (d.title().to_string(), series)
        })
        .collect()
}

/// REPRODUCTION.csv: one row per claim and protocol.
pub(super) fn csv(rows: &[Row]) -> anyhow::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "claim",
        "dataset",
        "protocol",
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "paper",
        "direction",
        "size",
        "p_t",
        "p_sign_flip",
        "p_holm",
        "boot_low",
        "boot_high",
        "p_boot",
        "aso_eps_min",
        "mde80",
        "seeds_needed",
    ])?;
    for r in rows {
        out.write_record(csv_record(r))?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

fn csv_record(r: &Row) -> Vec<String> {
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    let e = r.estimate;
    let (direction, size) = match r.verdict {
        Verdict::Measured { direction, size } => (direction.map_or("", |d| d.text()), size.text()),
        Verdict::NotMeasured => ("not measured", "not measured"),
    };
    let b = r.bootstrap;
    vec![
        r.claim.text(),
        r.claim.dataset().title().to_string(),
        r.protocol.name().to_string(),
        r.m.n().to_string(),
        num(e.map(|e| e.mean)),
        num(e.map(|e| e.sd)),
        num(e.map(|e| e.low)),
        num(e.map(|e| e.high)),
        format!("{:.2}", r.claim.paper()),
        direction.to_string(),
        size.to_string(),
        num(e.filter(|_| r.claim.is_delta()).map(|e| e.p_t)),
        num(r.p_sign_flip),
        num(r.p_holm),
        num(b.map(|b| b.low)),
        num(b.map(|b| b.high)),
        num(b.map(|b| b.p)),
        num(r.eps_min),
        num(r.detectable()),
        r.seeds_needed().map_or(String::new(), |n| n.to_string()),
    ]
}
