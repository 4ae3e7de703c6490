//! Execution: trains runs of the plan. One run: prepare its data, build the
//! trainer, resume from its checkpoint when there is one, train to early stop,
//! predict dev and test with the best-dev weights.

pub mod prepare;
pub mod run_one;
pub mod sweep;

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use atner::train::{EpochRecord, Predictions, TrainState, Trainer};
use tch::Device;

use crate::plan::RunConfig;
pub use prepare::{prepare, DataSummary, Prepared};

/// Where a run keeps its state while it trains.
pub struct RunFiles<'a> {
    /// Rewritten after every epoch; a run restarts from it.
    pub checkpoint: &'a Path,
    /// The best-dev weights, written at the end.
    pub best_weights: &'a Path,
}

/// A finished run.
pub struct Outcome {
    pub state: TrainState,
    pub vocab: atner::data::Vocab,
    pub predictions: Predictions,
    pub summary: DataSummary,
    pub wall_seconds: f64,
}

/// Trains `cfg` on `device`; `on_epoch` sees every epoch record as it is made.
pub fn train_run(
    cfg: &RunConfig,
    device: Device,
    files: Option<RunFiles>,
    mut on_epoch: impl FnMut(&EpochRecord),
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let prepared = prepare(&cfg.data, cfg.model.transfer.is_some(), cfg.train.seed)?;
    let mut trainer = Trainer::new(
        &cfg.model,
        &cfg.train,
        &prepared.data,
        prepared.embedding.as_deref(),
        device,
    );
    if let Some(files) = &files {
        if files.checkpoint.exists() {
            trainer.load_checkpoint(files.checkpoint)?;
        }
    }
    let mut saved = Ok(());
    trainer.fit(|t| {
        on_epoch(
            t.state()
                .records
                .last()
                .expect("an epoch was just recorded"),
        );
        if let (Some(files), Ok(())) = (&files, &saved) {
            saved = t.save_checkpoint(files.checkpoint);
        }
    });
    saved.context("saving the checkpoint")?;
    if let Some(files) = &files {
        trainer.save_best_weights(files.best_weights)?;
    }
    Ok(Outcome {
        predictions: trainer.best_predictions(),
        state: trainer.state().clone(),
        summary: prepared.summary,
        vocab: prepared.vocab,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

/// `cpu`, `cuda`, or `auto` (CUDA when available).
pub fn parse_device(name: &str) -> anyhow::Result<Device> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
        "cuda" => anyhow::bail!("--device cuda: libtorch sees no CUDA device"),
        "auto" => Ok(Device::cuda_if_available()),
        other => anyhow::bail!("unknown device {other:?}: expected cpu, cuda or auto"),
    }
}
