//! A sweep, whatever trains it: lock the store, record every planned run,
//! redo corrupted ones, check the runs it has against this binary's
//! fingerprint ([`super::guard`]), reopen finished runs that larger stop
//! conditions continue, ask which are done or active, and hand the rest to a
//! [`Backend`].

use super::backend::{Backend, Handout, RunState};
use super::state::statuses;
use crate::plan::PlannedRun;
use crate::store::Store;

/// How a sweep holds its store's runs to this binary's numbers (the
/// default: on the CPU, adopting nothing).
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    /// Where this binary's fingerprint for the plan's paths is computed
    /// (once the store's lock is held: a busy store is refused at once).
    pub device: tch::Device,
    /// Adopt runs whose recorded fingerprint differs (`--accept-fingerprint`).
    pub accept: bool,
}

impl Default for Guard {
    fn default() -> Self {
        Self {
            device: tch::Device::Cpu,
            accept: false,
        }
    }
}

/// Trains every run of `runs` that the store has not finished (under the
/// runs' stop conditions) and no process or scheduler has in hand.
pub fn sweep(
    store: &Store,
    runs: &[PlannedRun],
    backend: &dyn Backend,
    guard: &Guard,
) -> anyhow::Result<()> {
    let _lock = store.lock()?;
    for run in runs {
        store.begin(run)?;
    }
    for problem in store.redo_corrupted(runs.iter().map(|r| r.id.as_str()))? {
        eprintln!("warning: {problem}");
    }
    let fingerprint = super::guard::for_plan(runs, guard.device);
    super::guard::check(store, runs, &fingerprint, guard.accept)?;
    for run in runs {
        if store.needs_more(run)? {
            store.reopen(&run.id)?;
        }
    }
    let states = planned_states(store, runs, &[backend])?;
    let pending: Vec<&PlannedRun> = states
        .iter()
        .filter(|(_, s)| !s.is_active() && *s != RunState::Done)
        .map(|(r, _)| *r)
        .collect();
    let active = states.iter().filter(|(_, s)| s.is_active()).count();
    let work = Handout {
        runs,
        done: runs.len() - active - pending.len(),
        pending,
        active,
    };
    backend.submit(store, &work)
}

/// The state of each run of `runs`, as the store and `backends` know it.
pub fn planned_states<'a>(
    store: &Store,
    runs: &'a [PlannedRun],
    backends: &[&dyn Backend],
) -> anyhow::Result<Vec<(&'a PlannedRun, RunState)>> {
    let all = statuses(store, false, backends)?;
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;

    /// Says run `q` is queued and run `f` failed; records what it is handed.
    #[derive(Default)]
    struct Fake {
        handed: RefCell<Vec<String>>,
        counts: RefCell<(usize, usize, usize)>,
    }

    impl Backend for Fake {
        fn submit(&self, _store: &Store, work: &Handout) -> anyhow::Result<()> {
            *self.handed.borrow_mut() = work.pending.iter().map(|r| r.id.clone()).collect();
            *self.counts.borrow_mut() = (work.runs.len(), work.done, work.active);
            Ok(())
        }

        fn states(&self, _store: &Store) -> anyhow::Result<BTreeMap<String, RunState>> {
            let failed = RunState::Failed {
                reason: "exit 1".into(),
                log_tail: Vec::new(),
            };
            let queued = RunState::Queued { job: "7_0".into() };
            Ok(BTreeMap::from([("f".into(), failed), ("q".into(), queued)]))
        }
    }

    fn planned(id: &str) -> PlannedRun {
        PlannedRun {
            id: id.into(),
            config: crate::plan::RunConfig::default(),
            cell: BTreeMap::new(),
        }
    }

    #[test]
    fn a_backend_is_handed_what_is_neither_done_nor_in_hand() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), "test").expect("store");
        let runs: Vec<PlannedRun> = ["f", "l", "n", "q"].map(planned).into();
        store.begin(&runs[1]).expect("begun");
        // Run `l` is being trained by another process: it holds the run's lock.
        let lock = std::fs::File::create(store.run_dir("l").join(".lock")).expect("lock file");
        lock.try_lock().expect("locked");
        let fake = Fake::default();
        sweep(&store, &runs, &fake, &Guard::default()).expect("sweep");
        assert_eq!(*fake.handed.borrow(), ["f", "n"]);
        assert_eq!(*fake.counts.borrow(), (4, 0, 2));
        // What `runner status` shows: the lock first, then the backend's word.
        let states: Vec<String> = statuses(&store, false, &[&fake])
            .expect("statuses")
            .iter()
            .map(|s| format!("{} {}", s.run.id, s.state.label()))
            .collect();
        assert_eq!(
            states,
            ["f failed", "l running", "n not started", "q queued"]
        );
        let locked = statuses(&store, false, &[&fake]).expect("statuses");
        assert_eq!(locked[1].state, RunState::Running { epochs: None });
    }
}
