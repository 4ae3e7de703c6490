//! Where every run of a store stands: done, running, queued, failed (with the
//! Slurm task's state, exit code and the tail of its log), interrupted (a
//! checkpoint to resume from) or not started. Read by `runner status` and by
//! a sweep choosing what to hand its backend.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use super::backend::Backend;
pub use super::backend::RunState;
use crate::plan::PlannedRun;
use crate::store::{log_tail, read_json, Store};

/// One row of the status.
#[derive(Debug, Clone)]
pub struct RunStatus {
    pub run: PlannedRun,
    pub state: RunState,
}

/// The state of every run in the store, in id order. Each backend is asked
/// once for what it knows. With `verify`, finished runs are checked against
/// their checksums (reads every file; a poll loop leaves it to the sweep that
/// resubmits).
pub fn statuses(
    store: &Store,
    verify: bool,
    backends: &[&dyn Backend],
) -> anyhow::Result<Vec<RunStatus>> {
    let mut known = BTreeMap::new();
    for backend in backends {
        known.extend(backend.states(store)?);
    }
    let mut out = Vec::new();
    for id in store.run_ids()? {
        let dir = store.run_dir(&id);
        let Ok(run) = read_json::<PlannedRun>(&dir.join("config.json")) else {
            continue; // not a run directory of this store
        };
        let state = state_of(store, &id, known.remove(&id), verify);
        out.push(RunStatus { run, state });
    }
    Ok(out)
}

/// Done (and verified), running here, what a backend says, failed per the
/// run's own log, interrupted, or not started: the first that holds.
fn state_of(store: &Store, id: &str, backend: Option<RunState>, verify: bool) -> RunState {
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
        return RunState::Running {
            epochs: super::checkpoint::current_epoch(&dir),
        };
    }
    if let Some(state) = backend {
        return state;
    }
    if let Ok(failure) = read_json::<Failure>(&dir.join(FAILED)) {
        return RunState::Failed {
            reason: format!("{}: {}", failure.kind, failure.message),
            log_tail: log_tail(&dir.join("train.log"), 5),
        };
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

/// A run's record of why its last attempt failed (e.g. it diverged); the
/// next attempt removes it. Reports never read an unfinished run.
pub const FAILED: &str = "failed.json";

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Failure {
    kind: String,
    message: String,
}

/// Records that the run in `dir` failed, and why.
pub fn record_failure(dir: &Path, kind: &str, message: &str) -> anyhow::Result<()> {
    let failure = Failure {
        kind: kind.to_string(),
        message: message.to_string(),
    };
    crate::store::write_json(&dir.join(FAILED), &failure)
}

/// Removes the record of an earlier failed attempt, as a new one starts.
pub fn clear_failure(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join(FAILED);
    if path.exists() {
        std::fs::remove_file(&path)
            .map_err(|e| anyhow::anyhow!("removing {}: {e}", path.display()))?;
    }
    Ok(())
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
