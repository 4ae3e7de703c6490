//! `runner sweep --backend slurm`: submits what the store lacks as one job
//! array and, with `--wait`, follows it to the end.
//!
//! A run already queued or running (per Slurm, or holding its run lock) is not
//! submitted again; a failed, interrupted or never-started one is. The store's
//! lock is held while submitting (and waiting), so two sweeps never submit the
//! same run twice.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::bail;

use super::backend::{Backend, Handout, RunState};
use super::slurm::{self, submit, SlurmOptions, Submission, TaskState};
use super::sweep::planned_states;
use crate::plan::PlannedRun;
use crate::store::{log_tail, Store};

/// How often `--wait` asks Slurm.
const POLL: Duration = Duration::from_secs(2);

/// One job array per sweep. The default submits nothing anyone asked for: it
/// is how `runner status` reads a store's Slurm tasks.
#[derive(Debug, Clone, Default)]
pub struct Slurm {
    pub options: SlurmOptions,
    /// Follow the array until every task has ended.
    pub wait: bool,
}

impl Backend for Slurm {
    fn submit(&self, store: &Store, work: &Handout) -> anyhow::Result<()> {
        let pending = &work.pending;
        eprintln!(
            "{}: {} runs, {} done, {} queued or running, {} to submit",
            store.root.display(),
            work.runs.len(),
            work.done,
            work.active,
            pending.len()
        );
        if !pending.is_empty() {
            let job = submit(store, pending, &self.options)?;
            eprintln!(
                "submitted job array {job} ({} tasks); `runner status {}` follows it",
                pending.len(),
                store.root.display()
            );
        }
        store.write_tables()?;
        if self.wait {
            wait_for(store, work.runs)?;
        }
        Ok(())
    }

    /// Each run's last task (`slurm.json`), as Slurm reports it; Slurm is
    /// asked once per job.
    fn states(&self, store: &Store) -> anyhow::Result<BTreeMap<String, RunState>> {
        let mut jobs: BTreeMap<String, BTreeMap<usize, TaskState>> = BTreeMap::new();
        let mut states = BTreeMap::new();
        for id in store.run_ids()? {
            if store.is_done(&id) {
                continue;
            }
            let Some(s) = Submission::of(store, &id) else {
                continue;
            };
            let tasks = jobs
                .entry(s.job_id.clone())
                .or_insert_with(|| slurm::query(&s.job_id));
            if let Some(task) = tasks.get(&s.task) {
                states.insert(id, state_of(&s, task));
            }
        }
        Ok(states)
    }
}

/// A task's state as a run's: queued, or ended without the run finishing.
fn state_of(s: &Submission, task: &TaskState) -> RunState {
    let task_name = format!("{}_{}", s.job_id, s.task);
    let reason = match task {
        TaskState::Queued | TaskState::Running => return RunState::Queued { job: task_name },
        TaskState::Ended { state, exit_code } => {
            format!("Slurm task {task_name}: {state}, exit code {exit_code}")
        }
        TaskState::Completed => format!("Slurm task {task_name} completed but the run has no DONE"),
    };
    RunState::Failed {
        reason,
        log_tail: log_tail(&s.log, 5),
    }
}

/// Polls until no run of the plan is queued or running, rewrites the tables,
/// and fails naming every run that did not finish.
fn wait_for(store: &Store, runs: &[PlannedRun]) -> anyhow::Result<()> {
    let bar = crate::progress::bar(runs.len() as u64, "runs");
    bar.set_prefix("slurm");
    let states = loop {
        let states = planned_states(store, runs, &[&Slurm::default()])?;
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
