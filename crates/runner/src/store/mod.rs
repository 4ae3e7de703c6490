//! The results store: one directory per experiment, one per run.
//!
//! ```text
//! results/<experiment>/
//!   store.json            format version; a store of another version is refused
//!   .lock                 held by the sweep that is writing here
//!   .tables.lock          held while runs.* and epochs.* are rewritten
//!   runs/<id>/            config.json; while training, checkpoint.json naming
//!                         the current checkpoint-<epoch>.pt with its SHA-256;
//!                         at the end result.json, predictions.json, best.pt,
//!                         vocab.txt, tags.json and, written last, DONE (the
//!                         SHA-256 of each of those files)
//!   slurm/                job scripts and logs of Slurm submissions
//!   runs.parquet|csv      one row per finished run (rebuilt from runs/)
//!   epochs.parquet|csv    one row per run and epoch
//! ```
//! Every file is written to a temporary name and renamed, so a killed process
//! leaves no half-written file; a run directory without `DONE` is resumable, and
//! one whose files no longer match `DONE` is reported and trained again.

pub mod collect;
pub mod completion;
pub mod decisions;
pub mod migrate;
pub mod tables;

pub use completion::{DONE, WEIGHTS};
// The file helpers the store's writers use, by their old paths.
pub use crate::fs::{
    compressed_twin, log_tail, read_json, wait_for_lock, write_atomic, write_json,
    write_through_partial,
};

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::plan::{PlannedRun, RunConfig};
use atner::train::TrainState;

/// Bumped when the layout or the meaning of the files changes.
const STORE_FORMAT: u32 = 2;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct StoreInfo {
    format: u32,
    #[serde(default)]
    experiment: String,
    /// What the experiment asks its report for, as its last sweep read it
    /// (absent in stores made before experiments could say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    asks: Option<Asks>,
}

/// What an experiment asks its report to show: the paper's tables it
/// feeds, the comparisons it declares, and the settings a preset overrode
/// in its file (which the report's provenance states).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Asks {
    pub tables: Vec<crate::spec::PaperTable>,
    pub compare: Vec<Comparison>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overridden: Vec<String>,
}

/// One `[[compare]]` of the experiment: variant `a` against variant `b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<f64>,
}

/// An experiment's results directory.
#[derive(Debug, Clone)]
pub struct Store {
    pub root: PathBuf,
}

/// Holds the store's lock until dropped.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

impl Store {
    /// Opens (creating if needed) the store for `experiment` at `root`.
    /// A store of another format is refused before anything is written into it.
    pub fn open(root: &Path, experiment: &str) -> anyhow::Result<Self> {
        let info_path = root.join("store.json");
        let existed = info_path.exists();
        if existed {
            check_format(&info_path)?;
        }
        fs::create_dir_all(root.join("runs"))
            .with_context(|| format!("creating {}", root.display()))?;
        if !existed {
            let info = StoreInfo {
                format: STORE_FORMAT,
                experiment: experiment.to_string(),
                asks: None,
            };
            write_json(&info_path, &info)?;
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// An existing store, for a process that trains or reads its runs.
    pub fn at(root: &Path) -> anyhow::Result<Self> {
        check_format(&root.join("store.json"))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The experiment name recorded in `store.json`.
    pub fn experiment(&self) -> anyhow::Result<String> {
        let info: StoreInfo = read_json(&self.root.join("store.json"))?;
        Ok(info.experiment)
    }

    /// What the experiment asks its report for; `None` for a store made
    /// before experiments could say (its report renders every paper table).
    pub fn asks(&self) -> anyhow::Result<Option<Asks>> {
        let info: StoreInfo = read_json(&self.root.join("store.json"))?;
        Ok(info.asks)
    }

    /// Records what the experiment asks for (rewriting `store.json` only
    /// when that changed).
    pub fn record_asks(&self, asks: &Asks) -> anyhow::Result<()> {
        let path = self.root.join("store.json");
        let mut info: StoreInfo = read_json(&path)?;
        if info.asks.as_ref() != Some(asks) {
            info.asks = Some(asks.clone());
            write_json(&path, &info)?;
        }
        Ok(())
    }

    /// Takes the store's exclusive lock, or says who holds it.
    pub fn lock(&self) -> anyhow::Result<StoreLock> {
        let path = self.root.join(".lock");
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(StoreLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => bail!(
                "{} is in use by another sweep (lock {}); wait for it to finish",
                self.root.display(),
                path.display()
            ),
            Err(fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
    }

    /// Waits for the lock under which the tables are rewritten.
    fn lock_tables(&self) -> anyhow::Result<File> {
        wait_for_lock(&self.root.join(".tables.lock"))
    }

    pub fn run_dir(&self, id: &str) -> PathBuf {
        self.root.join("runs").join(id)
    }

    /// Whether the run's directory holds `DONE` (see [`Store::verify`] for its files).
    pub fn is_done(&self, id: &str) -> bool {
        self.run_dir(id).join(DONE).exists()
    }

    /// Creates the run's directory with its configuration, or brings an
    /// existing one's stop conditions to the plan's (the id hashes
    /// everything else, so nothing else can differ).
    pub fn begin(&self, run: &PlannedRun) -> anyhow::Result<PathBuf> {
        let dir = self.run_dir(&run.id);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let config = dir.join("config.json");
        let same = config.exists() && read_json::<PlannedRun>(&config).is_ok_and(|c| c == *run);
        if !same {
            write_json(&config, run)?;
        }
        Ok(dir)
    }

    /// Whether a finished run must train on to meet `run`'s stop conditions:
    /// its dev curve reaches neither their patience nor their budget.
    pub fn needs_more(&self, run: &PlannedRun) -> anyhow::Result<bool> {
        if !self.is_done(&run.id) {
            return Ok(false);
        }
        let result: RunResult = read_json(&self.run_dir(&run.id).join("result.json"))?;
        let train = &run.config.train;
        Ok(result.state.ending(train.epochs, train.patience).is_none())
    }

    /// Every finished run's result, in id order; unreadable ones are reported, not hidden.
    pub fn finished_runs(&self) -> anyhow::Result<Vec<RunResult>> {
        let mut results = Vec::new();
        for id in self.run_ids()? {
            if self.is_done(&id) {
                results.push(read_json(&self.run_dir(&id).join("result.json"))?);
            }
        }
        Ok(results)
    }

    pub fn run_ids(&self) -> anyhow::Result<Vec<String>> {
        let runs = self.root.join("runs");
        let mut ids: Vec<String> = fs::read_dir(&runs)
            .with_context(|| format!("reading {}", runs.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        Ok(ids)
    }
}

/// Refuses a `store.json` of another format: its runs may mean something else.
fn check_format(info_path: &Path) -> anyhow::Result<()> {
    let found: StoreInfo = read_json(info_path)?;
    if found.format != STORE_FORMAT {
        bail!(
            "{}: written by store format {} but this runner uses format {STORE_FORMAT}; use another results directory",
            info_path.display(),
            found.format
        );
    }
    Ok(())
}

/// What a report states about the data a run used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataSummary {
    pub ner_sentences: [usize; 3],
    pub cws_sentences: usize,
    pub vocab_size: usize,
    /// Share of training character tokens with a pre-trained vector.
    pub embedding_token_coverage: Option<f64>,
    pub embedding_type_coverage: Option<f64>,
    /// SHA-256 of every file read, in a fixed order.
    pub checksums: Vec<String>,
    /// Every file read: path, size and SHA-256, in the same order.
    #[serde(default)]
    pub files: Vec<FileRecord>,
}

#[cfg(test)]
impl DataSummary {
    /// A run's data summary for unit tests: one sentence a split, no CWS,
    /// no vectors, no files.
    pub fn tiny() -> Self {
        Self {
            ner_sentences: [1, 1, 1],
            cws_sentences: 0,
            vocab_size: 1,
            embedding_token_coverage: None,
            embedding_type_coverage: None,
            checksums: Vec::new(),
            files: Vec::new(),
        }
    }
}

/// One file a run read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: std::path::PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

/// What a finished run records: its configuration, cell, data and training history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub id: String,
    pub config: RunConfig,
    pub cell: std::collections::BTreeMap<String, String>,
    pub data: DataSummary,
    pub state: TrainState,
    pub wall_seconds: f64,
    pub device: String,
    pub threads: usize,
    /// How the run ended, the code numbers and the machine it was trained
    /// under (absent in runs stored before they were recorded).
    #[serde(flatten, default)]
    pub trained: Trained,
}

/// A finished run's probe of its shared space (`runner probe`), written
/// beside its results after it finished.
pub const PROBE: &str = "probe.json";

/// What `runner probe` measured of one run: a fresh linear probe's held-out
/// accuracy at telling NER from CWS sentences by their pooled shared
/// features, with its 95% Wilson interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeRecord {
    pub variant: String,
    pub lambda: Option<f64>,
    pub seed: u64,
    /// Sentences drawn from each corpus (half fit the probe, half score it).
    pub sentences: usize,
    pub probe_seed: u64,
    pub correct: usize,
    pub total: usize,
    pub accuracy: f64,
    pub low: f64,
    pub high: f64,
}

/// An unfinished run's fingerprint, written when its training starts.
pub const FINGERPRINT: &str = "fingerprint.json";

/// What a run recorded of the code that trained it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    pub fingerprint: atner::fingerprint::Fingerprint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_from: Option<atner::fingerprint::Fingerprint>,
}

/// What a finished run records of how it was trained, beyond its configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trained {
    /// The stop conditions it last trained under, and which one ended it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending: Option<atner::train::Ending>,
    /// The model code's fingerprint for this run's paths
    /// (atner's `fingerprint::relevant_paths`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<atner::fingerprint::Fingerprint>,
    /// The fingerprint it was trained under, when a sweep adopted it under
    /// another with `--accept-fingerprint` (reports say so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_from: Option<atner::fingerprint::Fingerprint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<crate::machine::Machine>,
}
