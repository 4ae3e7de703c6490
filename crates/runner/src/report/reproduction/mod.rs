//! `reports/REPRODUCTION.md` and `reports/REPRODUCTION.csv`: the verdict on
//! every claim ([`super::verdict`]) over every results store, with the
//! statistics that say what the seeds can decide ([`crate::stats`]), the
//! forest plot a reader looks at first, and how the verdicts move with the
//! checkpoint selection and the epoch budget ([`super::sensitivity`]).
//! Written by `runner report --all`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use atner::config::Variant;

use super::paper::Dataset;
use super::significance::{runs_where, Gold, Split};
use super::verdict::{claims, Claim, Measurement, Protocol, Runs, Verdict};
use super::Measured;
use crate::stats::{self, bootstrap::Bootstrap, holm, power, Estimate};
use crate::store::RunResult;

mod markdown;
mod probe;
mod sequential;
mod views;

use markdown::*;
use views::*;

/// Resamples of the hierarchical bootstrap, and the seed of its stream.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;
pub const BOOTSTRAP_SEED: u64 = 2018;
/// The datasets of Table 5's deltas, in the order the report shows them.
const DELTA_DATASETS: [Dataset; 2] = [Dataset::WeiboNamed, Dataset::Sighan];

/// What `render` makes: the two documents and the charts it wrote.
pub struct Rendered {
    pub markdown: String,
    pub csv: String,
    pub files: Vec<PathBuf>,
}

/// The verdicts over the runs of `measured`; charts go to `dir/reproduction/`.
pub fn render(measured: &Measured, gold: &mut Gold, dir: &Path) -> anyhow::Result<Rendered> {
    let runs = Runs::of(&measured.sources);
    let mut notes = Vec::new();
    let rows: Vec<Row> = Protocol::ALL
        .iter()
        .flat_map(|p| rows_of(*p, &runs, measured, gold, &mut notes))
        .collect();
    let charts = dir.join("reproduction");
    std::fs::create_dir_all(&charts).with_context(|| format!("creating {}", charts.display()))?;
    let mut files = crate::report::chart::forest(
        &charts.join("forest"),
        "Table 5's deltas: ours (dev-selected test F1, 95% t interval) and the paper's",
        &forest_panels(&rows),
    )?;
    let budget = budget_views(&runs);
    files.extend(crate::report::chart::budget(
        &charts.join("budget"),
        "Each delta against the epoch budget (dev-selected test F1, 95% t interval)",
        &budget_series(&budget),
    )?);
    let mut md =
        String::from("# Reproduction of Cao et al. (EMNLP 2018): a verdict on every claim\n\n");
    md.push_str("![The paper's deltas against ours](reproduction/forest.svg)\n\n");
    md.push_str(&summary(&rows, measured));
    md.push_str(&rule());
    md.push_str(&primary_table(&rows));
    md.push_str(&decidable(&rows));
    md.push_str(&sequential::section_of(measured)?);
    md.push_str(&probe::section_of(measured));
    md.push_str(&notes_block(&notes));
    md.push_str(&sensitivity_tables(&rows));
    md.push_str(&budget_tables(&budget));
    md.push_str(&crate::report::provenance::substitutions_where(
        measured,
        crate::report::verdict::is_claim_run,
    ));
    md.push_str(&coverage(measured));
    md.push_str(&stores(measured));
    Ok(Rendered {
        markdown: md,
        csv: csv(&rows)?,
        files,
    })
}

/// One claim under one protocol, with everything the report says of it.
struct Row {
    claim: Claim,
    protocol: Protocol,
    m: Measurement,
    estimate: Option<Estimate>,
    verdict: Verdict,
    p_sign_flip: Option<f64>,
    /// Holm over the protocol's eight deltas, on the t test's p.
    p_holm: Option<f64>,
    eps_min: Option<f64>,
    /// Dev-selected deltas only: it needs the per-sentence predictions.
    bootstrap: Option<Bootstrap>,
}

impl Row {
    /// The smallest |Δ| these seeds detect with 80% power, at their spread.
    fn detectable(&self) -> Option<f64> {
        let e = self.estimate?;
        (self.claim.is_delta() && e.sd > 0.0).then(|| power::minimum_detectable(e.n, e.sd))
    }

    /// Seeds that detect the paper's delta with 80% power, at our spread.
    fn seeds_needed(&self) -> Option<usize> {
        let e = self.estimate?;
        if !self.claim.is_delta() {
            return None;
        }
        power::seeds_needed(self.claim.paper(), e.sd)
    }
}

/// Every claim under `protocol`, with Holm over its deltas.
fn rows_of(
    protocol: Protocol,
    runs: &Runs,
    measured: &Measured,
    gold: &mut Gold,
    notes: &mut Vec<String>,
) -> Vec<Row> {
    let mut rows: Vec<Row> = claims()
        .into_iter()
        .map(|claim| {
            let m = claim.measure(runs, protocol);
            let estimate = m.estimate();
            let bootstrap = (protocol == Protocol::DevSelected && claim.is_delta())
                .then(|| hierarchical(&claim, measured, gold, notes))
                .flatten();
            Row {
                verdict: claim.verdict(&m),
                p_sign_flip: m.sign_flip_p(),
                p_holm: None,
                eps_min: m.eps_min(),
                estimate,
                bootstrap,
                claim,
                protocol,
                m,
            }
        })
        .collect();
    let p: Vec<f64> = rows
        .iter()
        .map(|r| match (r.claim.is_delta(), r.estimate) {
            (true, Some(e)) => e.p_t,
            _ => f64::NAN,
        })
        .collect();
    for (row, adjusted) in rows.iter_mut().zip(holm::adjust(&p)) {
        row.p_holm = (!adjusted.is_nan()).then_some(adjusted);
    }
    rows
}

/// The hierarchical bootstrap of a delta claim from its runs' test predictions.
fn hierarchical(
    claim: &Claim,
    measured: &Measured,
    gold: &mut Gold,
    notes: &mut Vec<String>,
) -> Option<Bootstrap> {
    let Claim::Delta { dataset, a, b, .. } = *claim else {
        return None;
    };
    let mut system = |v: Variant| {
        let keep = |r: &RunResult| crate::report::verdict::is_run_of(r, dataset, v);
        match runs_where(&measured.sources, v.name().into(), keep, Split::Test, gold) {
            Ok((runs, left_out)) => {
                notes.extend(left_out);
                Some(runs)
            }
            Err(e) => {
                notes.push(format!("{}: no bootstrap ({e:#})", claim.text()));
                None
            }
        }
    };
    let (sa, sb) = (system(a)?, system(b)?);
    let pairs: Vec<_> = sa
        .seeds
        .iter()
        .filter_map(|(seed, ca)| {
            let (_, cb) = sb.seeds.iter().find(|(s, _)| s == seed)?;
            Some((&ca[..], &cb[..]))
        })
        .collect();
    stats::bootstrap::hierarchical(&pairs, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED)
}
