//! Execution: trains runs of the plan. One run: prepare its data, build the
//! trainer, resume from its checkpoint when there is one, train to early stop,
//! predict dev and test with the best-dev weights.

pub mod backend;
pub mod checkpoint;
pub mod guard;
pub mod local;
pub mod prepare;
pub mod run_one;
pub mod slurm;
pub mod slurm_sweep;
pub mod state;
pub mod sweep;

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use atner::encode::TagSet;
use atner::train::{EpochRecord, Predictions, TrainState, Trainer};
use tch::Device;

use crate::plan::RunConfig;
pub use prepare::{prepare, Prepared};

use crate::store::DataSummary;

/// A finished run.
pub struct Outcome {
    pub state: TrainState,
    /// The stop condition that ended it.
    pub ending: Option<atner::train::Ending>,
    pub vocab: atner::data::Vocab,
    pub tags: TagSet,
    pub predictions: Predictions,
    pub summary: DataSummary,
    pub wall_seconds: f64,
}

/// What a run reports while it trains.
pub enum Event<'a> {
    /// An epoch ended.
    Epoch(&'a EpochRecord),
    /// The run's checkpoint was unusable (the message names it): it starts over.
    Restarted(String),
}

/// Trains `cfg` on `device`. With `dir`, the run directory, it resumes from the
/// checkpoint there, checkpoints every epoch and saves the best-dev weights as
/// `best.pt`; `on_event` sees every epoch as it ends. A diverged run (a
/// non-finite loss, gradient or weight) is an error naming where.
pub fn train_run(
    cfg: &RunConfig,
    device: Device,
    dir: Option<&Path>,
    mut on_event: impl FnMut(Event),
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    crate::plan::check_run_precision(cfg, device)?;
    let prepared = prepare(&cfg.data, cfg.model.transfer.is_some(), cfg.train.seed)?;
    let embedding = prepared.embedding.as_deref();
    let new_trainer = || Trainer::new(&cfg.model, &cfg.train, &prepared.data, embedding, device);
    let mut trainer = new_trainer();
    if let Some(dir) = dir {
        if let Err(problem) = checkpoint::restore(&mut trainer, dir) {
            on_event(Event::Restarted(format!(
                "{problem:#}; the run starts over"
            )));
            checkpoint::remove_all(dir)?;
            trainer = new_trainer();
        }
    }
    let mut saved = Ok(());
    let fitted = trainer.fit(|t| {
        if let Some(record) = t.state().records.last() {
            on_event(Event::Epoch(record));
        }
        if let (Some(dir), Ok(())) = (dir, &saved) {
            saved = checkpoint::save(t, dir);
        }
    });
    saved.context("saving the checkpoint")?;
    fitted?;
    if let Some(dir) = dir {
        crate::store::write_through_partial(&dir.join("best.pt"), |p| {
            Ok(trainer.save_best_weights(p)?)
        })?;
    }
    Ok(Outcome {
        ending: trainer.ending(),
        predictions: trainer.best_predictions(),
        state: trainer.state().clone(),
        summary: prepared.summary,
        tags: prepared.data.ner_tags.clone(),
        vocab: prepared.vocab,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The backends whose records a store may hold, for `runner status`. The
/// local pool keeps none: its running runs hold their lock, which the store
/// shows by itself.
pub fn observers() -> Vec<Box<dyn backend::Backend>> {
    vec![Box::new(slurm_sweep::Slurm::default())]
}

/// `--device`: `cpu`, `cuda`, or `auto` (CUDA when libtorch sees one).
pub fn parse_device(name: &str) -> anyhow::Result<Device> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
        "cuda" => anyhow::bail!("--device cuda: libtorch sees no CUDA device"),
        "auto" => Ok(Device::cuda_if_available()),
        other => anyhow::bail!("unknown device {other:?}: expected cpu, cuda or auto"),
    }
}
