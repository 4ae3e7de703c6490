//! `runner migrate`: moves a store's finished runs to the current run ids
//! in place, without training. Ids of code revision r7 and before hashed the
//! stop conditions (`train.epochs`, `train.patience`); today's do not (a run
//! is its trajectory, see `plan`). A migrated run also gets what runs record
//! today and it lacked: how it ended, and the fingerprint of the code that
//! made it, which the caller computes (at the revision the run records, by a
//! binary whose fingerprint equals that revision's — see BENCHMARKS.md).

use std::collections::BTreeMap;
use std::fs;

use anyhow::Context;
use sha2::{Digest, Sha256};

use super::{read_json, write_json, RunResult, Store};
use crate::plan::{PlannedRun, RunConfig, CODE_REVISION};
use atner::fingerprint::Fingerprint;

/// What happened to one store's runs.
#[derive(Debug, Default, PartialEq)]
pub struct Migration {
    /// Old id → new id.
    pub moved: BTreeMap<String, String>,
    /// Already under today's id.
    pub kept: usize,
    /// Old ids left out: another run of the same trajectory went further.
    pub superseded: Vec<String>,
}

/// The id r7 gave a run: its JSON with the stop conditions, `precision`
/// left out at fp32, the revision and the data checksums.
pub fn r7_id(config: &RunConfig, sums: &[String]) -> anyhow::Result<String> {
    let json = serde_json::to_string(config)?.replacen(r#","precision":"fp32"}"#, "}", 1);
    let mut hasher = Sha256::new();
    for part in [json.as_str(), CODE_REVISION]
        .into_iter()
        .chain(sums.iter().map(String::as_str))
    {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    Ok(crate::fs::hex(&hasher.finalize()[..8]))
}

impl Store {
    /// Rekeys every finished run. `sums` gives a configuration's data
    /// checksums (as the plan hashes them); a run whose directory name is
    /// neither its r7 id nor today's is refused, since then the checksums
    /// (or the configuration) are not what made it.
    pub fn migrate(
        &self,
        sums: impl Fn(&RunConfig) -> anyhow::Result<Vec<String>>,
        fingerprint: impl Fn(&RunConfig) -> Fingerprint,
    ) -> anyhow::Result<Migration> {
        let _lock = self.lock()?;
        let mut out = Migration::default();
        let mut targets: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for id in self.run_ids()?.into_iter().filter(|id| self.is_done(id)) {
            let planned: PlannedRun = read_json(&self.run_dir(&id).join("config.json"))?;
            let checksums = sums(&planned.config).with_context(|| format!("run {id}"))?;
            let new = planned.config.id(&checksums);
            if new != id && r7_id(&planned.config, &checksums)? != id {
                anyhow::bail!(
                    "run {id} of {}: its directory is neither its r7 id nor today's ({new}); \
                     its data files or configuration differ from what made it",
                    self.root.display()
                );
            }
            let result: RunResult = read_json(&self.run_dir(&id).join("result.json"))?;
            let epochs = result.state.records.len();
            if targets.get(&new).is_some_and(|(_, e)| *e >= epochs) {
                out.superseded.push(id);
            } else if let Some((other, _)) = targets.insert(new, (id, epochs)) {
                out.superseded.push(other);
            }
        }
        for (new, (old, _)) in &targets {
            self.rekey(old, new, &fingerprint)?;
            if old == new {
                out.kept += 1;
            } else {
                out.moved.insert(old.clone(), new.clone());
            }
        }
        for old in &out.superseded {
            let dir = self.run_dir(old);
            fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
        self.write_tables()?;
        Ok(out)
    }

    /// Gives run `old` the id `new`, its ending and a fingerprint (if it
    /// has none), rewriting `config.json`, `result.json` and `DONE`, then
    /// renaming its directory.
    fn rekey(
        &self,
        old: &str,
        new: &str,
        fingerprint: &impl Fn(&RunConfig) -> Fingerprint,
    ) -> anyhow::Result<()> {
        let dir = self.run_dir(old);
        let mut planned: PlannedRun = read_json(&dir.join("config.json"))?;
        let mut result: RunResult = read_json(&dir.join("result.json"))?;
        let train = &result.config.train;
        let ending = result.state.ending(train.epochs, train.patience);
        let unchanged =
            old == new && result.trained.ending.is_some() && result.trained.fingerprint.is_some();
        if unchanged {
            return Ok(());
        }
        result.trained.ending = result.trained.ending.or(ending);
        if result.trained.fingerprint.is_none() {
            // Empty where this machine cannot compute the run's paths (bf16
            // without native bf16): left unrecorded, for a machine that can.
            let computed = fingerprint(&result.config);
            result.trained.fingerprint = (!computed.entries.is_empty()).then_some(computed);
        }
        planned.id = new.to_string();
        result.id = new.to_string();
        write_json(&dir.join("config.json"), &planned)?;
        self.replace_result(old, &result)?;
        if old != new {
            let target = self.run_dir(new);
            fs::rename(&dir, &target)
                .with_context(|| format!("moving {} to {}", dir.display(), target.display()))?;
        }
        Ok(())
    }
}
