//! The fingerprint guard: before a sweep skips a finished run or resumes an
//! unfinished one, the numbers its code made (the fingerprint it recorded)
//! are compared with the numbers this binary makes. The run id hashes the
//! declared code revision, so a mismatch under the same id means the code
//! changed its numbers without a new revision: the sweep refuses, naming the
//! runs and the entries, unless told to adopt them (`--accept-fingerprint`),
//! which each adopted run then records (`adopted_from`) and reports show.
//! A change that alters no number passes, and keeps every id.

use std::path::Path;

use anyhow::bail;
use atner::fingerprint::{relevant_paths, Difference, Fingerprint};
use tch::Device;

use crate::plan::{PlannedRun, RunConfig};
use crate::store::{read_json, write_json, Recorded, RunResult, Store, FINGERPRINT as RECORD};

/// Whether the entry `name` belongs to one of a run's paths.
fn relevant_to(config: &RunConfig) -> impl Fn(&str) -> bool {
    let paths = relevant_paths(&config.model, &config.train);
    move |name: &str| paths.iter().any(|p| name.starts_with(p.as_str()))
}

/// This binary's fingerprint for the paths of one run.
pub fn for_run(config: &RunConfig, device: Device) -> Fingerprint {
    Fingerprint::compute(device, relevant_to(config))
}

/// This binary's fingerprint for every path the plan's runs take.
pub fn for_plan(runs: &[PlannedRun], device: Device) -> Fingerprint {
    let paths: Vec<String> = runs
        .iter()
        .flat_map(|r| relevant_paths(&r.config.model, &r.config.train))
        .collect();
    Fingerprint::compute(device, |p| paths.iter().any(|q| q == p))
}

/// Records `current` as the fingerprint of the run in `dir` as its training
/// starts; a different one recorded before (adopted by a sweep) is kept as
/// `adopted_from`.
pub fn stamp(dir: &Path, config: &RunConfig, current: Fingerprint) -> anyhow::Result<Recorded> {
    let path = dir.join(RECORD);
    let before: Option<Recorded> = path.exists().then(|| read_json(&path)).transpose()?;
    let adopted_from = before.and_then(|b| {
        let changed = !b
            .fingerprint
            .differences(&current, relevant_to(config))
            .is_empty();
        b.adopted_from.or(changed.then_some(b.fingerprint))
    });
    let recorded = Recorded {
        fingerprint: current,
        adopted_from,
    };
    write_json(&path, &recorded)?;
    Ok(recorded)
}

/// What the store holds of a run's fingerprint: its result's when finished,
/// else the one its training recorded; `None` for a run not yet started.
fn recorded(store: &Store, id: &str) -> anyhow::Result<Option<Recorded>> {
    let dir = store.run_dir(id);
    if store.is_done(id) {
        let result: RunResult = read_json(&dir.join("result.json"))?;
        return Ok(Some(Recorded {
            fingerprint: result.trained.fingerprint.unwrap_or_default(),
            adopted_from: result.trained.adopted_from,
        }));
    }
    let path = dir.join(RECORD);
    path.exists().then(|| read_json(&path)).transpose()
}

/// A run whose recorded fingerprint this binary does not reproduce.
struct Mismatch {
    run: String,
    differences: Vec<Difference>,
}

/// Refuses (or, with `accept`, adopts) the runs of `runs` that the store has
/// started or finished under numbers `current` does not reproduce.
pub fn check(
    store: &Store,
    runs: &[PlannedRun],
    current: &Fingerprint,
    accept: bool,
) -> anyhow::Result<()> {
    let mut mismatches = Vec::new();
    for run in runs {
        let Some(recorded) = recorded(store, &run.id)? else {
            continue;
        };
        let mut differences = recorded
            .fingerprint
            .differences(current, relevant_to(&run.config));
        if recorded.fingerprint.entries.is_empty() {
            differences.push(Difference {
                entry:
                    "(none recorded: a run stored before fingerprints; `runner migrate` stamps it)"
                        .into(),
                recorded: f64::NAN,
                current: f64::NAN,
            });
        }
        if differences.is_empty() {
            continue;
        }
        if accept {
            adopt(store, run, current)?;
            eprintln!(
                "adopted run {} under this binary's fingerprint (--accept-fingerprint)",
                run.id
            );
            continue;
        }
        mismatches.push(Mismatch {
            run: format!("{} ({}, {})", run.id, run.config.variant, cell(run)),
            differences,
        });
    }
    if mismatches.is_empty() {
        return Ok(());
    }
    bail!("{}", refusal(&mismatches))
}

fn cell(run: &PlannedRun) -> String {
    let parts: Vec<String> = run.cell.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(" ")
}

/// The message of a refused sweep: the runs, the first entries that differ,
/// and what to do.
fn refusal(mismatches: &[Mismatch]) -> String {
    let mut text = format!(
        "{} run(s) of this store were trained by code whose numbers this binary does not \
         reproduce, under the same code revision ({}):\n",
        mismatches.len(),
        crate::plan::CODE_REVISION
    );
    for m in mismatches.iter().take(10) {
        text.push_str(&format!("  {}\n", m.run));
        for d in m.differences.iter().take(3) {
            text.push_str(&format!("    {d}\n"));
        }
    }
    if mismatches.len() > 10 {
        text.push_str(&format!("  … and {} more\n", mismatches.len() - 10));
    }
    text.push_str(
        "If the model code changed what it computes, bump CODE_REVISION in \
         crates/runner/src/plan.rs (new run ids: everything trains again); to keep these \
         runs knowingly, rerun with --accept-fingerprint (each records it, and reports show it).",
    );
    text
}

/// Records `current` as the run's fingerprint, the old one as `adopted_from`.
fn adopt(store: &Store, run: &PlannedRun, current: &Fingerprint) -> anyhow::Result<()> {
    let relevant = relevant_to(&run.config);
    let mine = Fingerprint {
        entries: current
            .entries
            .iter()
            .filter(|(k, _)| relevant(k))
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
    };
    let dir = store.run_dir(&run.id);
    if store.is_done(&run.id) {
        let mut result: RunResult = read_json(&dir.join("result.json"))?;
        let old = result.trained.fingerprint.take().unwrap_or_default();
        result.trained.adopted_from = result.trained.adopted_from.take().or(Some(old));
        result.trained.fingerprint = Some(mine);
        return store.replace_result(&run.id, &result);
    }
    let path = dir.join(RECORD);
    let old: Recorded = read_json(&path)?;
    let adopted = Recorded {
        fingerprint: mine,
        adopted_from: old.adopted_from.or(Some(old.fingerprint)),
    };
    write_json(&path, &adopted)
}
