//! Where every run of a store stands: done, running, queued, failed (with the
//! Slurm task's state, exit code and the tail of its log), interrupted (a
//! checkpoint to resume from) or not started. Read by `runner status` and by
//! a Slurm sweep that follows its tasks.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use super::slurm::{self, Submission, TaskState};
use crate::plan::PlannedRun;
use crate::store::{log_tail, read_json, Store};

/// Where one run stands.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    Done,
    /// `DONE` is there but a file does not match it; the next sweep redoes the run.
    Corrupt(String),
    /// A process holds the run's lock.
    Running,
    /// Submitted to Slurm, waiting for a node (or starting).
    Queued {
        job: String,
    },
    /// The last attempt ended without finishing the run.
    Failed {
        reason: String,
        log_tail: Vec<String>,
    },
    /// Stopped after `epochs` epochs; a sweep resumes it.
    Interrupted {
        epochs: usize,
    },
    NotStarted,
}

impl RunState {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Corrupt(_) => "corrupt",
            Self::Running => "running",
            Self::Queued { .. } => "queued",
            Self::Failed { .. } => "failed",
            Self::Interrupted { .. } => "interrupted",
            Self::NotStarted => "not started",
        }
    }

    /// A process is on it, or Slurm will start one.
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Running | Self::Queued { .. })
    }
}

/// One row of the status.
#[derive(Debug, Clone)]
pub struct RunStatus {
    pub run: PlannedRun,
    pub state: RunState,
}

/// The state of every run in the store, in id order. Slurm is asked once per
/// job. With `verify`, finished runs are checked against their checksums
/// (reads every file; a poll loop leaves it to the sweep that resubmits).
pub fn statuses(store: &Store, verify: bool) -> anyhow::Result<Vec<RunStatus>> {
    let mut jobs: BTreeMap<String, BTreeMap<usize, TaskState>> = BTreeMap::new();
    let mut out = Vec::new();
    for id in store.run_ids()? {
        let dir = store.run_dir(&id);
        let Ok(run) = read_json::<PlannedRun>(&dir.join("config.json")) else {
            continue; // not a run directory of this store
        };
        let submission = Submission::of(store, &id);
        if let Some(s) = &submission {
            if !jobs.contains_key(&s.job_id) {
                jobs.insert(s.job_id.clone(), slurm::query(&s.job_id));
            }
        }
        let task = submission
            .as_ref()
            .and_then(|s| Some((s, jobs.get(&s.job_id)?.get(&s.task)?)));
        let state = state_of(store, &id, task, verify);
        out.push(RunStatus { run, state });
    }
    Ok(out)
}

fn state_of(
    store: &Store,
    id: &str,
    task: Option<(&Submission, &TaskState)>,
    verify: bool,
) -> RunState {
    let dir = store.run_dir(id);
    if store.is_done(id) {
        if !verify {
            return RunState::Done;
        }
        return match store.verify(id) {
            Ok(()) => RunState::Done,
            Err(e) => RunState::Corrupt(format!("{e:#}")),
        };
    }
    if is_locked(&dir.join(".lock")) {
        return RunState::Running;
    }
    match task {
        Some((s, TaskState::Queued | TaskState::Running)) => {
            return RunState::Queued {
                job: format!("{}_{}", s.job_id, s.task),
            }
        }
        Some((s, TaskState::Ended { state, exit_code })) => {
            return RunState::Failed {
                reason: format!(
                    "Slurm task {}_{}: {state}, exit code {exit_code}",
                    s.job_id, s.task
                ),
                log_tail: log_tail(&s.log, 5),
            }
        }
        Some((s, TaskState::Completed)) => {
            return RunState::Failed {
                reason: format!(
                    "Slurm task {}_{} completed but the run has no DONE",
                    s.job_id, s.task
                ),
                log_tail: log_tail(&s.log, 5),
            }
        }
        None => {}
    }
    let log = log_tail(&dir.join("train.log"), 5);
    if log.last().is_some_and(|l| l.starts_with("error:")) {
        return RunState::Failed {
            reason: "the last attempt ended with an error".into(),
            log_tail: log,
        };
    }
    match super::checkpoint::current_epoch(&dir) {
        Some(epochs) => RunState::Interrupted { epochs },
        None => RunState::NotStarted,
    }
}

/// Whether another process holds the lock file at `path`.
fn is_locked(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    match file.try_lock_shared() {
        Ok(()) => false,
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}
