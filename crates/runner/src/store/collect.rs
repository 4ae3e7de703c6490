//! Copying finished runs into a store that is committed with the repository.
//!
//! Long sweeps write to a store outside the checkout (it may be laid anew);
//! `runner collect` copies each finished run's small files into the
//! repository's `results/<experiment>/`: everything a report and a resumed
//! sweep read, and `DONE`, but not the weights (see [`super::WEIGHTS`]).
//! The predictions, the vocabulary and the result (its per-epoch records),
//! nearly all of a run's bytes and very repetitive, are stored xz-compressed
//! (`predictions.json.xz`: 330 kB → 3 kB, `result.json.xz`: 50–75 kB → a
//! few kB for WeiboNER) and `DONE` lists the compressed files.

use std::fs;

use anyhow::{bail, Context};

use super::completion::FINISHED_FILES;
use super::{Store, DONE, WEIGHTS};
use crate::dataset::fetch::sha256_file;

/// The finished files stored compressed in a collected run.
const COMPRESSED: [&str; 3] = ["predictions.json", "vocab.txt", "result.json"];

/// Writes `source` xz-compressed to `target`.
pub(super) fn compress(source: &std::path::Path, target: &std::path::Path) -> anyhow::Result<()> {
    let bytes = fs::read(source).with_context(|| format!("reading {}", source.display()))?;
    let file =
        fs::File::create(target).with_context(|| format!("creating {}", target.display()))?;
    let mut encoder = xz2::write::XzEncoder::new(file, 6);
    std::io::Write::write_all(&mut encoder, &bytes)
        .and_then(|()| encoder.finish().map(drop))
        .with_context(|| format!("writing {}", target.display()))
}

impl Store {
    /// Copies every finished run of `from` (of `seeds`, unless empty) that
    /// this store lacks (or holds fewer epochs of), weights left out, then
    /// rewrites this store's tables. A run whose files do not
    /// match its `DONE` is refused, naming the file. Returns the copied ids.
    pub fn collect(&self, from: &Store, seeds: &[u64]) -> anyhow::Result<Vec<String>> {
        let _lock = self.lock()?;
        let mut copied = Vec::new();
        for id in from.run_ids()? {
            if !from.is_done(&id) || (self.is_done(&id) && !self.continued_in(from, &id)?) {
                continue;
            }
            if !seeds.is_empty() {
                let planned: crate::plan::PlannedRun =
                    super::read_json(&from.run_dir(&id).join("config.json"))?;
                if !seeds.contains(&planned.config.train.seed) {
                    continue;
                }
            }
            from.verify(&id)
                .with_context(|| format!("run {id} of {}", from.root.display()))?;
            self.copy_run(from, &id)?;
            copied.push(id);
        }
        // The record of a sequential pass, and what the experiment asks its
        // report for, go with its runs.
        if let Some(decisions) = super::decisions::read(&from.root)? {
            super::decisions::write(&self.root, &decisions)?;
        }
        if let Some(asks) = from.asks()? {
            self.record_asks(&asks)?;
        }
        self.write_tables()?;
        Ok(copied)
    }

    /// Whether `from` holds run `id` trained further than this store's copy
    /// (a larger budget continued it): the longer run replaces the copy.
    fn continued_in(&self, from: &Store, id: &str) -> anyhow::Result<bool> {
        let epochs = |store: &Store| -> anyhow::Result<usize> {
            let result: super::RunResult =
                super::read_json(&store.run_dir(id).join("result.json"))?;
            Ok(result.state.records.len())
        };
        Ok(epochs(from)? > epochs(self)?)
    }

    /// Copies one run into a staging directory, then renames it into place,
    /// so an interrupted copy leaves no run that looks finished.
    fn copy_run(&self, from: &Store, id: &str) -> anyhow::Result<()> {
        let staging = self.root.join(format!(".collect-{id}"));
        if staging.exists() {
            fs::remove_dir_all(&staging)
                .with_context(|| format!("removing {}", staging.display()))?;
        }
        fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
        let mut done = from.completion(id)?;
        done.sha256.remove(WEIGHTS);
        // A probe of the run (`runner probe`) goes with it when there is one.
        let names = ["config.json", super::PROBE]
            .into_iter()
            .chain(FINISHED_FILES);
        for name in names.filter(|n| *n != WEIGHTS) {
            let source = from.run_dir(id).join(name);
            // A collected store holds `name.xz` already: copied as it is.
            let twin = super::compressed_twin(&source);
            let (source, compressed) = match (source.exists(), twin.exists()) {
                (true, _) => (source, false),
                (false, true) => (twin, true),
                (false, false) => continue,
            };
            if compressed || !COMPRESSED.contains(&name) {
                let file_name = source.file_name().unwrap_or_default();
                fs::copy(&source, staging.join(file_name))
                    .with_context(|| format!("copying {}", source.display()))?;
                continue;
            }
            let target = staging.join(format!("{name}.xz"));
            compress(&source, &target)?;
            done.sha256.remove(name);
            done.sha256
                .insert(format!("{name}.xz"), sha256_file(&target)?);
        }
        super::write_json(&staging.join(DONE), &done)?;
        let target = self.run_dir(id);
        if target.exists() {
            // An unfinished run of the same id: the finished one replaces it.
            fs::remove_dir_all(&target)
                .with_context(|| format!("removing {}", target.display()))?;
        }
        fs::rename(&staging, &target)
            .with_context(|| format!("moving {} to {}", staging.display(), target.display()))
    }
}

/// `runner collect FROM INTO`: the store at `into` is created, for the
/// experiment of `from`, if it does not exist.
pub fn run(from: &std::path::Path, into: &std::path::Path, seeds: &[u64]) -> anyhow::Result<()> {
    if from == into {
        bail!("{}: collecting a store into itself", from.display());
    }
    let source = Store::at(from)?;
    let target = Store::open(into, &source.experiment()?)?;
    let copied = target.collect(&source, seeds)?;
    let finished = target.finished_runs()?.len();
    println!(
        "{}: {} run(s) copied from {}; {finished} finished run(s) in all, weights not kept",
        into.display(),
        copied.len(),
        from.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::completion::tests::finished_store;

    #[test]
    fn finished_runs_are_copied_without_weights_and_verify() {
        let (_from_dir, from) = finished_store();
        fs::write(from.run_dir("r1").join(WEIGHTS), "weights").expect("writable");
        let pending = crate::plan::PlannedRun {
            id: "r2".into(),
            config: crate::plan::RunConfig::default(),
            cell: Default::default(),
        };
        from.begin(&pending).expect("begun");
        let into_dir = tempfile::tempdir().expect("tempdir");
        let into = Store::open(into_dir.path(), "test").expect("store");

        let seed = crate::plan::RunConfig::default().train.seed;
        let other = seed + 1;
        assert_eq!(
            into.collect(&from, &[other]).expect("none"),
            Vec::<String>::new()
        );
        assert_eq!(
            into.collect(&from, &[other, seed]).expect("collected"),
            ["r1"]
        );
        into.verify("r1").expect("intact without weights");
        assert!(!into.run_dir("r1").join(WEIGHTS).exists());
        let predictions: atner::train::Predictions =
            super::super::read_json(&into.run_dir("r1").join("predictions.json")).expect("read");
        let original: atner::train::Predictions =
            super::super::read_json(&from.run_dir("r1").join("predictions.json")).expect("read");
        assert_eq!(
            predictions, original,
            "compressed predictions read back equal"
        );
        assert!(into.run_dir("r1").join("predictions.json.xz").exists());
        let result: crate::store::RunResult =
            super::super::read_json(&into.run_dir("r1").join("result.json")).expect("read");
        assert_eq!(result.id, "r1", "the compressed result reads back");
        assert!(!into.run_dir("r1").join("result.json").exists());
        assert!(into.run_dir("r1").join("config.json").exists());
        assert!(
            !into.run_dir("r2").exists(),
            "an unfinished run is not copied"
        );
        assert!(into.root.join("runs.csv").exists());
        assert_eq!(
            into.collect(&from, &[]).expect("again"),
            Vec::<String>::new()
        );

        // Back out of a collected store (a new machine seeding its sweep
        // store from the committed results): the copy verifies too.
        let again_dir = tempfile::tempdir().expect("tempdir");
        let again = Store::open(again_dir.path(), "test").expect("store");
        assert_eq!(again.collect(&into, &[]).expect("collected"), ["r1"]);
        again
            .verify("r1")
            .expect("a collected store's runs collect intact");
    }

    #[test]
    fn a_corrupted_run_is_refused_and_nothing_is_copied() {
        let (_from_dir, from) = finished_store();
        let path = from.run_dir("r1").join("predictions.json");
        fs::write(&path, "[]").expect("writable");
        let into_dir = tempfile::tempdir().expect("tempdir");
        let into = Store::open(into_dir.path(), "test").expect("store");
        let err = format!("{:#}", into.collect(&from, &[]).expect_err("refused"));
        assert!(err.contains("predictions.json"), "{err}");
        assert!(!into.run_dir("r1").exists());
    }
}
