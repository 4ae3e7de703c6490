//! `runner run-one <results> <id>`: trains one planned run in its own process.
//!
//! Every run gets a process of its own (from the local pool or a Slurm array
//! task): libtorch's random generator and thread pool are global to a process,
//! so runs sharing one could not be reproducible. A per-run lock makes sure
//! two processes never train the same run at once; progress goes to stdout as
//! one JSON line per event, for the sweep that started the process.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{parse_device, train_run, Event};
use crate::machine::Machine;
use crate::plan::PlannedRun;
use crate::store::{
    read_json, wait_for_lock, write_json, write_through_partial, RunResult, Store, Trained,
};

/// One line of a run's progress on stdout.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    Epoch {
        epoch: usize,
        dev_f1: f64,
        test_f1: f64,
        chars_per_second: f64,
    },
    /// The checkpoint was unusable; the message names it.
    Restarted { reason: String },
}

/// How `runner run-one` trains.
#[derive(Debug, Clone)]
pub struct RunOneOptions {
    pub device: String,
    pub threads: usize,
    /// Rewrite the store's tables when the run is done (Slurm tasks: no
    /// sweep process is there to do it).
    pub write_tables: bool,
}

/// Trains run `id` of the store at `results`, resuming from its checkpoint.
pub fn run_one(results: &Path, id: &str, options: &RunOneOptions) -> anyhow::Result<()> {
    let store = Store::at(results)?;
    let dir = store.run_dir(id);
    let planned: PlannedRun = read_json(&dir.join("config.json"))?;
    // A run is trained by one process at a time.
    let _lock = wait_for_lock(&dir.join(".lock"))?;
    crate::fs::remove_partials(&dir, &[""])?;
    for problem in store.redo_corrupted([id])? {
        emit(&RunEvent::Restarted { reason: problem });
    }
    if !store.is_done(id) {
        train(&store, planned, options)?;
    }
    if options.write_tables {
        store.write_tables()?;
    }
    Ok(())
}

fn train(store: &Store, planned: PlannedRun, options: &RunOneOptions) -> anyhow::Result<()> {
    tch::set_num_threads(options.threads as i32);
    let device = parse_device(&options.device)?;
    let dir = store.run_dir(&planned.id);
    let current = super::guard::for_run(&planned.config, device);
    let recorded = super::guard::stamp(&dir, &planned.config, current)?;
    super::state::clear_failure(&dir)?;
    let trained = train_run(&planned.config, device, Some(&dir), |event| {
        emit(&match event {
            Event::Epoch(r) => RunEvent::Epoch {
                epoch: r.epoch,
                dev_f1: r.dev.overall.f1(),
                test_f1: r.test.overall.f1(),
                chars_per_second: r.chars_per_second(),
            },
            Event::Restarted(reason) => RunEvent::Restarted { reason },
        })
    });
    let outcome = match trained {
        Ok(outcome) => outcome,
        Err(error) => {
            if let Some(diverged) = error.downcast_ref::<atner::train::Diverged>() {
                super::state::record_failure(&dir, "diverged", &diverged.to_string())?;
            }
            return Err(error);
        }
    };
    write_through_partial(&dir.join("vocab.txt"), |p| Ok(outcome.vocab.save(p)?))?;
    write_json(&dir.join("tags.json"), &outcome.tags)?;
    let result = RunResult {
        id: planned.id,
        config: planned.config,
        cell: planned.cell,
        data: outcome.summary,
        state: outcome.state,
        wall_seconds: outcome.wall_seconds,
        device: options.device.clone(),
        threads: options.threads,
        trained: Trained {
            ending: outcome.ending,
            fingerprint: Some(recorded.fingerprint),
            adopted_from: recorded.adopted_from,
            machine: Some(Machine::here(options.threads, &options.device)),
        },
    };
    // The last checkpoint stays (never committed: `collect` leaves it out),
    // so that a larger budget continues the run from where it stopped.
    store.finish(&result.id, &result, &outcome.predictions)
}

/// One JSON line on stdout (for the sweep) and, when it is not an epoch, on
/// stderr (the run's log).
fn emit(event: &RunEvent) {
    let line = serde_json::to_string(event).expect("an event serialises");
    if let RunEvent::Restarted { reason } = event {
        eprintln!("warning: {reason}");
    }
    println!("{line}");
}
