//! `runner sweep --backend slurm`: submits what the store lacks as one job
//! array and, with `--wait`, follows it to the end.
//!
//! A run already queued or running (per Slurm, or holding its run lock) is not
//! submitted again; a failed, interrupted or never-started one is. The store's
//! lock is held while submitting (and waiting), so two sweeps never submit the
//! same run twice.

use std::time::Duration;

use anyhow::bail;

use super::slurm::{submit, SlurmOptions};
use super::state::{statuses, RunState};
use crate::plan::PlannedRun;
use crate::store::Store;

/// How often `--wait` asks Slurm.
const POLL: Duration = Duration::from_secs(2);

pub fn sweep_slurm(
    store: &Store,
    runs: &[PlannedRun],
    options: &SlurmOptions,
    wait: bool,
) -> anyhow::Result<()> {
    let _lock = store.lock()?;
    for run in runs {
        store.begin(run)?;
    }
    for problem in store.redo_corrupted(runs.iter().map(|r| r.id.as_str()))? {
        eprintln!("warning: {problem}");
    }
    let states = planned_states(store, runs)?;
    let active = states.iter().filter(|(_, s)| s.is_active()).count();
    let pending: Vec<&PlannedRun> = states
        .iter()
        .filter(|(_, s)| !s.is_active() && *s != RunState::Done)
        .map(|(r, _)| *r)
        .collect();
    let done = runs.len() - active - pending.len();
    eprintln!(
        "{}: {} runs, {done} done, {active} queued or running, {} to submit",
        store.root.display(),
        runs.len(),
        pending.len()
    );
    if !pending.is_empty() {
        let job = submit(store, &pending, options)?;
        eprintln!(
            "submitted job array {job} ({} tasks); `runner status {}` follows it",
            pending.len(),
            store.root.display()
        );
    }
    store.write_tables()?;
    if wait {
        wait_for(store, runs)?;
    }
    Ok(())
}

fn planned_states<'a>(
    store: &Store,
    runs: &'a [PlannedRun],
) -> anyhow::Result<Vec<(&'a PlannedRun, RunState)>> {
    let all = statuses(store, false)?;
    Ok(runs
        .iter()
        .map(|run| {
            let state = all
                .iter()
                .find(|s| s.run.id == run.id)
                .map_or(RunState::NotStarted, |s| s.state.clone());
            (run, state)
        })
        .collect())
}

/// Polls until no run of the plan is queued or running, rewrites the tables,
/// and fails naming every run that did not finish.
fn wait_for(store: &Store, runs: &[PlannedRun]) -> anyhow::Result<()> {
    let bar = crate::progress::bar(runs.len() as u64, "runs");
    bar.set_prefix("slurm");
    let states = loop {
        let states = planned_states(store, runs)?;
        bar.set_position(states.iter().filter(|(_, s)| *s == RunState::Done).count() as u64);
        if !states.iter().any(|(_, s)| s.is_active()) {
            break states;
        }
        std::thread::sleep(POLL);
    };
    bar.finish_and_clear();
    store.write_tables()?;
    let failed: Vec<String> = states
        .iter()
        .filter(|(_, s)| *s != RunState::Done)
        .map(|(r, s)| format!("{} ({}): {}", r.id, r.config.variant, describe(s)))
        .collect();
    if !failed.is_empty() {
        bail!(
            "{} of {} runs did not finish (`runner status {}` shows their logs):\n{}",
            failed.len(),
            runs.len(),
            store.root.display(),
            failed.join("\n")
        );
    }
    eprintln!("all {} runs done", runs.len());
    Ok(())
}

fn describe(state: &RunState) -> String {
    match state {
        RunState::Failed { reason, log_tail } => {
            format!("{reason}; log ends: {}", log_tail.join(" / "))
        }
        other => other.label().to_string(),
    }
}
