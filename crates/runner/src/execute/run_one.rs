//! `runner run-one <results> <id>`: trains one planned run in its own process.
//!
//! Every run gets a process of its own (from the local pool or a Slurm array
//! task): libtorch's random generator and thread pool are global to a process,
//! so runs sharing one could not be reproducible. A per-run lock makes sure
//! two processes never train the same run at once; progress goes to stdout as
//! one JSON line per epoch, for the sweep that started the process.

use std::fs::File;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::{parse_device, train_run, RunFiles};
use crate::plan::PlannedRun;
use crate::store::{read_json, RunResult, Store};

/// One line of a run's progress on stdout.
#[derive(Debug, Serialize, Deserialize)]
pub struct EpochEvent {
    pub epoch: usize,
    pub dev_f1: f64,
    pub test_f1: f64,
    pub chars_per_second: f64,
}

/// Trains run `id` of the store at `results`, resuming from its checkpoint.
pub fn run_one(results: &Path, id: &str, device: &str, threads: usize) -> anyhow::Result<()> {
    let store = Store::at(results)?;
    let dir = store.run_dir(id);
    let planned: PlannedRun = read_json(&dir.join("config.json"))?;
    let _lock = lock_run(&dir.join(".lock"))?;
    if store.is_done(id) {
        return Ok(());
    }
    tch::set_num_threads(threads as i32);
    let device_name = device.to_string();
    let device = parse_device(device)?;
    let files = RunFiles {
        checkpoint: &dir.join("checkpoint.pt"),
        best_weights: &dir.join("best.pt"),
    };
    let outcome = train_run(&planned.config, device, Some(files), |r| {
        let event = EpochEvent {
            epoch: r.epoch,
            dev_f1: r.dev.overall.f1(),
            test_f1: r.test.overall.f1(),
            chars_per_second: r.chars_per_second(),
        };
        println!(
            "{}",
            serde_json::to_string(&event).expect("an event serialises")
        );
    })?;
    outcome.vocab.save(&dir.join("vocab.txt"))?;
    let result = RunResult {
        id: planned.id,
        config: planned.config,
        cell: planned.cell,
        data: outcome.summary,
        state: outcome.state,
        wall_seconds: outcome.wall_seconds,
        device: device_name,
        threads,
    };
    store.finish(id, &result, &outcome.predictions)
}

/// Waits for the run's lock: a run is trained by one process at a time.
fn lock_run(path: &Path) -> anyhow::Result<File> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    file.lock()
        .with_context(|| format!("locking {}", path.display()))?;
    Ok(file)
}
