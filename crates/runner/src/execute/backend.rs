//! Where runs train, and where a run stands. A sweep ([`super::sweep`]) is
//! the same whatever trains it; it hands the runs left to a [`Backend`]
//! (`Local`: processes on this machine; `Slurm`: one job array). `runner
//! status` asks the backends what they know of runs that are neither done
//! nor running here.
//!
//! A new backend (a second scheduler, a GPU pool) is one file implementing
//! the trait, its `mod` line (and, if it leaves records in the store, an
//! entry of `observers`) in `execute/mod.rs`, and its flags in
//! `commands/sweep.rs`.

use std::collections::BTreeMap;

use crate::plan::PlannedRun;
use crate::store::Store;

/// Where one run stands.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    Done,
    /// `DONE` is there but a file does not match it; the next sweep redoes the run.
    Corrupt(String),
    /// A process holds the run's lock; `epochs` checkpointed so far.
    Running {
        epochs: Option<usize>,
    },
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
            Self::Running { .. } => "running",
            Self::Queued { .. } => "queued",
            Self::Failed { .. } => "failed",
            Self::Interrupted { .. } => "interrupted",
            Self::NotStarted => "not started",
        }
    }

    /// A process is on it, or Slurm will start one.
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Running { .. } | Self::Queued { .. })
    }
}

/// A sweep's runs when it starts, and those left to train.
#[derive(Debug)]
pub struct Handout<'a> {
    /// Every run of the plan.
    pub runs: &'a [PlannedRun],
    /// Neither done nor active: what the backend is to train.
    pub pending: Vec<&'a PlannedRun>,
    pub done: usize,
    /// Queued or running, per a backend or a run lock: not handed out again.
    pub active: usize,
}

/// Something that trains runs and can say where the runs it was given stand.
pub trait Backend {
    /// Trains, or hands to a scheduler, `work.pending`. The caller holds the
    /// store's lock.
    fn submit(&self, store: &Store, work: &Handout) -> anyhow::Result<()>;

    /// What this backend knows of the store's unfinished runs, by id: queued,
    /// or ended without finishing. A run it knows nothing of is absent. A run
    /// whose lock a process holds is running, whatever the backend says.
    fn states(&self, store: &Store) -> anyhow::Result<BTreeMap<String, RunState>>;
}
