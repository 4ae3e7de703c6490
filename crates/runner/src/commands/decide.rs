//! `runner sweep EXPERIMENT --until-decided`: seeds in rounds until every
//! comparison the experiment declares (`[[compare]]`) is settled.
//!
//! The looks are planned by the experiment's `[decide]` table and judged by
//! `stats::sequential` (Bonferroni boundaries over the planned looks, so a
//! claim stopped at any look keeps an interval valid at 1 − α). Each round
//! trains seeds 1…n of only the variants an open claim compares; a claim
//! settled at a look is not looked at again. After every round the store's
//! `decisions.json` records the design and each claim's looks, and a table
//! says where each claim stands and what settling it would cost.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::sweep::{self, SweepRequest};
use crate::execute::sweep::Guard;
use crate::plan::PlannedRun;
use crate::progress::format_duration;
use crate::report::verdict::Protocol;
use crate::spec::ExperimentSpec;
use crate::stats::sequential::{judge, projected, Design};
use crate::store::decisions::{Claim, Decisions};
use crate::store::{RunResult, Store};

pub fn run(request: &SweepRequest) -> anyhow::Result<()> {
    let file = &request.experiment;
    let spec = ExperimentSpec::load(file)?;
    refuse_unsupported(request, &spec)?;
    let mut decisions = declared(&spec, file)?;
    // What the store records for its report: every variant, read once.
    let explained = crate::explain::explain(&spec, file, &request.options)?;
    let asks = sweep::asks(&spec, &explained);
    for n in decisions.design.looks() {
        let needed: BTreeSet<String> = decisions
            .claims
            .iter()
            .filter(|c| c.open())
            .flat_map(|c| [c.a.clone(), c.b.clone()])
            .collect();
        if needed.is_empty() {
            break;
        }
        let mut round = request.clone();
        round.options.seeds = Some((1..=n as u64).collect());
        round.options.only = needed.into_iter().collect();
        let (spec, runs, results) = sweep::plan(&round)?;
        let store = if request.dry_run {
            Store {
                root: results.clone(),
            }
        } else {
            let store = Store::open(&results, &spec.name)?;
            store.record_asks(&asks)?;
            store
        };
        let pending = runs
            .iter()
            .any(|r| !store.is_done(&r.id) || store.needs_more(r).unwrap_or(true));
        if request.dry_run && pending {
            println!("round: seeds 1–{n} of {}", round.options.only.join(", "));
            sweep::print_plan(&runs, &results);
            let finished = store.finished_runs().unwrap_or_default();
            print_table(&preview(&decisions, &finished, &runs, n), &finished);
            return Ok(());
        }
        if pending {
            let guard = Guard {
                device: crate::execute::parse_device(&request.device)?,
                accept: request.accept_fingerprint,
            };
            crate::execute::sweep::sweep(&store, &runs, sweep::backend(request)?.as_ref(), &guard)?;
        }
        let finished = store.finished_runs().unwrap_or_default();
        let scores = scores_of(&finished, &runs);
        for claim in decisions.claims.iter_mut().filter(|c| c.open()) {
            let deltas = deltas(&scores, &claim.a, &claim.b, n);
            claim.looks = judge(&decisions.design, &deltas, claim.reference);
        }
        if !request.dry_run {
            crate::store::decisions::write(&store.root, &decisions)?;
        }
        println!("after seeds 1–{n}:");
        print_table(&decisions, &finished);
    }
    Ok(())
}

/// `--until-decided` chooses the seeds and the variants itself, trains
/// here, and pairs runs by seed alone.
fn refuse_unsupported(request: &SweepRequest, spec: &ExperimentSpec) -> anyhow::Result<()> {
    if request.options.seeds.is_some() || !request.options.only.is_empty() {
        anyhow::bail!(
            "--until-decided chooses the seeds and variants itself: drop --seeds and --only"
        );
    }
    if request.slurm.is_some() {
        anyhow::bail!("--until-decided trains on the local backend only (it looks between rounds)");
    }
    if let Some(axis) = spec.grid.keys().find(|k| k.as_str() != "seed") {
        anyhow::bail!(
            "{}: --until-decided pairs runs by seed, but the grid also varies {axis:?}",
            request.experiment.display()
        );
    }
    Ok(())
}

/// The experiment's design and claims (its `[[compare]]` entries, whose
/// variants `ExperimentSpec::load` checked).
pub fn declared(spec: &ExperimentSpec, file: &Path) -> anyhow::Result<Decisions> {
    if spec.compare.is_empty() {
        anyhow::bail!(
            "{}: --until-decided needs [[compare]] entries (a, b, reference)",
            file.display()
        );
    }
    let claims = spec
        .compare
        .iter()
        .map(|c| Claim {
            a: c.a.get_ref().clone(),
            b: c.b.get_ref().clone(),
            reference: c.reference,
            looks: Vec::new(),
        })
        .collect();
    Ok(Decisions {
        design: design(spec, file)?,
        claims,
    })
}

fn design(spec: &ExperimentSpec, file: &Path) -> anyhow::Result<Design> {
    let d = spec.decide;
    let problem = if !(d.alpha > 0.0 && d.alpha < 1.0) {
        Some("alpha must lie in (0, 1)")
    } else if d.first < 2 {
        Some("first must be at least 2 (an interval needs two seeds)")
    } else if d.round < 1 {
        Some("round must be at least 1")
    } else if d.max_seeds < d.first {
        Some("max_seeds must be at least first")
    } else {
        None
    };
    if let Some(why) = problem {
        anyhow::bail!("{}: [decide]: {why}", file.display());
    }
    Ok(Design {
        alpha: d.alpha,
        first: d.first,
        round: d.round,
        max_seeds: d.max_seeds,
    })
}

/// The decisions with the claims not looked at yet shown where they would
/// stand on the seeds there are (at a look's level; never recorded).
fn preview(
    decisions: &Decisions,
    finished: &[RunResult],
    runs: &[PlannedRun],
    n: usize,
) -> Decisions {
    let scores = scores_of(finished, runs);
    let mut preview = decisions.clone();
    for claim in preview.claims.iter_mut().filter(|c| c.looks.is_empty()) {
        let deltas = deltas(&scores, &claim.a, &claim.b, n);
        claim.looks.extend(preview.design.look(&deltas));
    }
    preview
}

/// The dev-selected test F1 of each finished run of this round's plan, by
/// variant and seed (the store may hold other configurations of the same
/// variants).
fn scores_of(finished: &[RunResult], runs: &[PlannedRun]) -> BTreeMap<(String, u64), f64> {
    let planned: BTreeSet<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    finished
        .iter()
        .filter(|r| planned.contains(r.id.as_str()))
        .filter_map(|r| {
            let score = Protocol::DevSelected.score(&r.state)?;
            Some(((r.config.variant.clone(), r.config.train.seed), score))
        })
        .collect()
}

/// A's score minus B's for seeds 1, 2, … while both have one, at most `n`.
fn deltas(scores: &BTreeMap<(String, u64), f64>, a: &str, b: &str, n: usize) -> Vec<f64> {
    (1..=n as u64)
        .map_while(|s| {
            let of = |v: &str| scores.get(&(v.to_string(), s)).copied();
            Some(of(a)? - of(b)?)
        })
        .collect()
}

/// Where each claim stands, and what settling it would take.
fn print_table(decisions: &Decisions, finished: &[RunResult]) {
    let design = &decisions.design;
    let cost = seconds_per_run(finished);
    println!(
        "{:<32} {:>3} {:>8} {:>20} {:<24} settles at (if it holds)",
        "claim",
        "n",
        "mean",
        format!("{:.3}% interval", 100.0 * (1.0 - design.level())),
        "state"
    );
    for claim in &decisions.claims {
        let Some(look) = claim.looks.last() else {
            println!("{:<32} {:>3} not looked at yet", claim.name(), 0);
            continue;
        };
        let settle = if look.state.settled() {
            "-".to_string()
        } else {
            match projected(design, look, claim.reference) {
                Some(m) => {
                    let per_seed = cost(&claim.a) + cost(&claim.b);
                    format!(
                        "{m} seeds, ~{} more",
                        format_duration((m - look.n) as f64 * per_seed)
                    )
                }
                None => format!("not within {} seeds", design.max_seeds),
            }
        };
        println!(
            "{:<32} {:>3} {:>+8.2} {:>20} {:<24} {settle}",
            claim.name(),
            look.n,
            look.mean,
            format!("[{:+.2}, {:+.2}]", look.low, look.high),
            look.state.label()
        );
    }
}

/// The mean wall seconds of a variant's finished runs (0 without any).
fn seconds_per_run(finished: &[RunResult]) -> impl Fn(&str) -> f64 + '_ {
    move |variant| {
        let times: Vec<f64> = finished
            .iter()
            .filter(|r| r.config.variant == variant)
            .map(|r| r.wall_seconds)
            .collect();
        if times.is_empty() {
            0.0
        } else {
            times.iter().sum::<f64>() / times.len() as f64
        }
    }
}
