//! A training run's checkpoints: after every epoch, `checkpoint-<epoch>.pt`
//! (written to a temporary name and renamed), then `checkpoint.json`, which
//! names it with its SHA-256 and is the commit point; older checkpoints are
//! removed after it. A crash at any moment leaves `checkpoint.json` naming a
//! complete file, or no `checkpoint.json` (the run starts from the beginning).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use atner::train::Trainer;
use serde::{Deserialize, Serialize};

use crate::dataset::fetch::sha256_file;
use crate::store::{read_json, write_json};

const POINTER: &str = "checkpoint.json";

/// What `checkpoint.json` says.
#[derive(Debug, Serialize, Deserialize)]
struct Pointer {
    file: String,
    sha256: String,
    epoch: usize,
}

/// Saves the trainer's state after its latest epoch into the run directory `dir`.
pub fn save(trainer: &Trainer, dir: &Path) -> anyhow::Result<()> {
    let epoch = trainer.state().records.len();
    let file = format!("checkpoint-{epoch:03}.pt");
    let path = dir.join(&file);
    trainer.save_checkpoint(&path)?;
    let pointer = Pointer {
        sha256: sha256_file(&path)?,
        file,
        epoch,
    };
    write_json(&dir.join(POINTER), &pointer)?;
    remove_files(dir, |name| name != pointer.file)
}

/// Restores the checkpoint `checkpoint.json` names; `Ok(None)` when there is
/// none, the epoch it resumes after otherwise. An error names the bad file;
/// `trainer` may then hold part of it and must be rebuilt.
pub fn restore(trainer: &mut Trainer, dir: &Path) -> anyhow::Result<Option<usize>> {
    let pointer_path = dir.join(POINTER);
    if !pointer_path.exists() {
        return Ok(None);
    }
    let pointer: Pointer = read_json(&pointer_path)?;
    let path = dir.join(&pointer.file);
    if !path.is_file() {
        bail!("{}: missing (named by {POINTER})", path.display());
    }
    if sha256_file(&path)? != pointer.sha256 {
        bail!(
            "{}: SHA-256 differs from the one in {POINTER} (truncated or corrupted)",
            path.display()
        );
    }
    trainer.load_checkpoint(&path)?;
    if trainer.state().records.len() != pointer.epoch {
        bail!(
            "{}: holds {} epochs, {POINTER} says {}",
            path.display(),
            trainer.state().records.len(),
            pointer.epoch
        );
    }
    Ok(Some(pointer.epoch))
}

/// The epoch the current checkpoint follows, if `checkpoint.json` names one.
pub fn current_epoch(dir: &Path) -> Option<usize> {
    read_json::<Pointer>(&dir.join(POINTER))
        .ok()
        .map(|p| p.epoch)
}

/// Removes `checkpoint.json` first, then every checkpoint file.
pub fn remove_all(dir: &Path) -> anyhow::Result<()> {
    let pointer = dir.join(POINTER);
    if pointer.exists() {
        fs::remove_file(&pointer).with_context(|| format!("removing {}", pointer.display()))?;
    }
    remove_files(dir, |_| true)
}

/// Removes the checkpoint files (`checkpoint-*.pt`) whose name passes `doomed`.
fn remove_files(dir: &Path, doomed: impl Fn(&str) -> bool) -> anyhow::Result<()> {
    for path in checkpoint_files(dir)? {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if doomed(&name) {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

fn checkpoint_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("checkpoint-") && name.ends_with(".pt") {
            files.push(path);
        }
    }
    Ok(files)
}
