//! A finished run: its files, and `DONE`, written last, which records the
//! SHA-256 of each. A file that no longer matches (truncated, corrupted,
//! edited) makes the run unfinished again: it is reported and trained again.
//!
//! The weights (`best.pt`) are the one file that may be absent: committed
//! results (`results/` in the repository) carry everything a report reads but
//! not the weights, which training the same run id again reproduces. When the
//! weights are there, they must match.

use std::collections::BTreeMap;
use std::fs;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::{read_json, write_json, RunResult, Store};
use crate::dataset::fetch::sha256_file;
use crate::plan::CODE_REVISION;
use atner::train::Predictions;

/// The completion marker's file name.
pub const DONE: &str = "DONE";

/// The files of a finished run that `DONE` vouches for; the first two always
/// exist, the others when the run trained a model (not in report fixtures).
pub(super) const FINISHED_FILES: [&str; 5] = [
    "result.json",
    "predictions.json",
    "best.pt",
    "vocab.txt",
    "tags.json",
];

/// The weights of a finished run: vouched for when present, not required.
pub const WEIGHTS: &str = "best.pt";

/// What `DONE` holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct Completion {
    /// The code revision that trained the run.
    pub revision: String,
    /// SHA-256 of every finished file, by name.
    pub sha256: BTreeMap<String, String>,
}

impl Store {
    /// Writes a finished run's results, then `DONE`, which vouches for them.
    pub fn finish(
        &self,
        id: &str,
        result: &RunResult,
        predictions: &Predictions,
    ) -> anyhow::Result<()> {
        let dir = self.run_dir(id);
        write_json(&dir.join("predictions.json"), predictions)?;
        write_json(&dir.join("result.json"), result)?;
        let mut sha256 = BTreeMap::new();
        for name in FINISHED_FILES {
            let path = dir.join(name);
            if path.exists() {
                sha256.insert(name.to_string(), sha256_file(&path)?);
            }
        }
        atner::killpoint::reached("run-finish");
        let completion = Completion {
            revision: CODE_REVISION.to_string(),
            sha256,
        };
        write_json(&dir.join(DONE), &completion)
    }

    /// Rewrites a finished run's `result.json` (or its committed `.xz`
    /// twin) with `result`, then `DONE` with the new checksum: for records
    /// that describe a run without changing its numbers (its fingerprint,
    /// how it ended, its new id).
    pub fn replace_result(&self, id: &str, result: &RunResult) -> anyhow::Result<()> {
        let dir = self.run_dir(id);
        let mut completion = self.completion(id)?;
        let plain = dir.join("result.json");
        let packed = super::compressed_twin(&plain);
        let name = if packed.exists() && !plain.exists() {
            let staged = dir.join("result.json.staged");
            write_json(&staged, result)?;
            super::collect::compress(&staged, &packed)?;
            fs::remove_file(&staged).with_context(|| format!("removing {}", staged.display()))?;
            "result.json.xz"
        } else {
            write_json(&plain, result)?;
            "result.json"
        };
        completion
            .sha256
            .insert(name.to_string(), sha256_file(&dir.join(name))?);
        write_json(&dir.join(DONE), &completion)
    }

    /// Makes a finished run unfinished so that it trains on under larger
    /// stop conditions: its fingerprint moves to the record of a run in
    /// training, then `DONE` goes. Its last checkpoint, when the store kept
    /// it, resumes it where it stopped; without one (a collected run) it
    /// trains from the start, through the same epochs first.
    pub fn reopen(&self, id: &str) -> anyhow::Result<()> {
        let dir = self.run_dir(id);
        let result: RunResult = read_json(&dir.join("result.json"))?;
        let recorded = super::Recorded {
            fingerprint: result.trained.fingerprint.unwrap_or_default(),
            adopted_from: result.trained.adopted_from,
        };
        write_json(&dir.join(super::FINGERPRINT), &recorded)?;
        let done = dir.join(DONE);
        fs::remove_file(&done).with_context(|| format!("removing {}", done.display()))
    }

    /// The run's `DONE`, parsed.
    pub fn completion(&self, id: &str) -> anyhow::Result<Completion> {
        read_json(&self.run_dir(id).join(DONE))
    }

    /// Checks a finished run's files against `DONE`; the error names the file.
    pub fn verify(&self, id: &str) -> anyhow::Result<()> {
        let dir = self.run_dir(id);
        let completion = self.completion(id)?;
        for name in FINISHED_FILES.iter().take(2) {
            let compressed = format!("{name}.xz");
            if !completion.sha256.contains_key(*name)
                && !completion.sha256.contains_key(&compressed)
            {
                bail!("{}: lists no {name}", dir.join(DONE).display());
            }
        }
        for (name, expected) in &completion.sha256 {
            let path = dir.join(name);
            if !path.exists() && name == WEIGHTS {
                continue;
            }
            if !path.exists() {
                bail!("{}: missing", path.display());
            }
            if sha256_file(&path)? != *expected {
                bail!(
                    "{}: SHA-256 differs from the one recorded in DONE (truncated or corrupted)",
                    path.display()
                );
            }
        }
        read_json::<RunResult>(&dir.join("result.json")).map(|_| ())
    }

    /// Verifies every finished run among `ids`; a run that fails is made
    /// unfinished (its results removed, `DONE` first) so that it is trained
    /// again. Returns one message per such run, naming the bad file.
    pub fn redo_corrupted<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> anyhow::Result<Vec<String>> {
        let mut redone = Vec::new();
        for id in ids {
            if !self.is_done(id) {
                continue;
            }
            if let Err(problem) = self.verify(id) {
                self.unfinish(id)?;
                redone.push(format!("{problem:#}; run {id} will be trained again"));
            }
        }
        Ok(redone)
    }

    /// Removes `DONE`, then the finished files: the run is pending again.
    fn unfinish(&self, id: &str) -> anyhow::Result<()> {
        let dir = self.run_dir(id);
        for name in std::iter::once(DONE).chain(FINISHED_FILES) {
            for path in [dir.join(name), super::compressed_twin(&dir.join(name))] {
                if path.exists() {
                    fs::remove_file(&path)
                        .with_context(|| format!("removing {}", path.display()))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::path::Path;

    /// Cuts a file to half its length, as a full disk or a lost write would.
    fn corrupt(path: &Path) {
        let mut bytes = fs::read(path).expect("readable");
        bytes.truncate(bytes.len() / 2);
        fs::write(path, &bytes).expect("writable");
    }

    /// A store holding one finished run, `r1`, without weights.
    pub(in crate::store) fn finished_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), "test").expect("store");
        let run = crate::plan::PlannedRun {
            id: "r1".into(),
            config: crate::plan::RunConfig::default(),
            cell: BTreeMap::new(),
        };
        store.begin(&run).expect("begun");
        let result = RunResult {
            id: run.id.clone(),
            config: run.config.clone(),
            cell: BTreeMap::new(),
            data: crate::store::DataSummary::tiny(),
            state: Default::default(),
            wall_seconds: 1.0,
            device: "cpu".into(),
            threads: 1,
            trained: Default::default(),
        };
        let predictions = Predictions {
            dev: vec![vec!["O".into()]],
            test: vec![vec!["O".into()]],
        };
        store.finish("r1", &result, &predictions).expect("finished");
        (dir, store)
    }

    #[test]
    fn a_finished_run_verifies() {
        let (_dir, store) = finished_store();
        store.verify("r1").expect("intact");
        assert_eq!(
            store.redo_corrupted(["r1"]).expect("checked"),
            Vec::<String>::new()
        );
        assert!(store.is_done("r1"));
    }

    #[test]
    fn a_run_without_its_weights_is_finished_but_bad_weights_are_caught() {
        let (_dir, store) = finished_store();
        let weights = store.run_dir("r1").join(WEIGHTS);
        fs::write(&weights, "weights").expect("writable");
        let result: RunResult =
            read_json(&store.run_dir("r1").join("result.json")).expect("result");
        let predictions: Predictions =
            read_json(&store.run_dir("r1").join("predictions.json")).expect("predictions");
        store.finish("r1", &result, &predictions).expect("finished");
        fs::remove_file(&weights).expect("removed");
        store.verify("r1").expect("finished without its weights");
        fs::write(&weights, "other weights").expect("writable");
        let err = store.verify("r1").expect_err("detected").to_string();
        assert!(err.contains(WEIGHTS) && err.contains("SHA-256"), "{err}");
    }

    #[test]
    fn a_missing_listed_file_other_than_the_weights_is_named() {
        let (_dir, store) = finished_store();
        let path = store.run_dir("r1").join("predictions.json");
        fs::remove_file(&path).expect("removed");
        let err = store.verify("r1").expect_err("detected").to_string();
        assert!(
            err.contains("predictions.json") && err.contains("missing"),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_result_is_named_and_the_run_redone() {
        let (_dir, store) = finished_store();
        let result = store.run_dir("r1").join("result.json");
        corrupt(&result);
        let err = store.verify("r1").expect_err("detected").to_string();
        assert!(err.contains(&result.display().to_string()), "{err}");
        let redone = store.redo_corrupted(["r1"]).expect("checked");
        assert_eq!(redone.len(), 1);
        assert!(redone[0].contains("result.json"), "{}", redone[0]);
        assert!(!store.is_done("r1"));
        assert!(!result.exists());
        assert!(store.run_dir("r1").join("config.json").exists());
    }

    #[test]
    fn a_changed_number_is_caught_by_the_checksum() {
        let (_dir, store) = finished_store();
        let path = store.run_dir("r1").join("predictions.json");
        let text = fs::read_to_string(&path).expect("readable");
        fs::write(&path, text.replace("\"O\"", "\"B-PER\"")).expect("writable");
        let err = store.verify("r1").expect_err("detected").to_string();
        assert!(
            err.contains("predictions.json") && err.contains("SHA-256"),
            "{err}"
        );
    }

    #[test]
    fn an_unreadable_marker_is_reported() {
        let (_dir, store) = finished_store();
        let done = store.run_dir("r1").join(DONE);
        fs::write(&done, "0.1.0+r2").expect("writable");
        let err = format!("{:#}", store.verify("r1").expect_err("detected"));
        assert!(err.contains(&done.display().to_string()), "{err}");
    }
}
