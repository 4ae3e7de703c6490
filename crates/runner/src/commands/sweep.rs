//! `runner sweep EXPERIMENT.toml`: plan the experiment, check its data, then
//! train what the store does not have (or, with `--dry-run`, show the plan).

use std::path::{Path, PathBuf};

use anyhow::Context;

use std::cell::RefCell;
use std::collections::HashMap;

use crate::dataset::source::Files;
use crate::dataset::{DatasetError, DatasetFiles, Locations, Manifest, Source, Split};
use crate::execute::prepare::records_of;
use crate::execute::slurm::{SbatchSettings, SlurmOptions};
use crate::execute::slurm_sweep::sweep_slurm;
use crate::execute::sweep::{sweep, SweepOptions};
use crate::plan::{check_precision, expand, DataConfig, PlanOptions, PlannedRun};
use crate::spec::ExperimentSpec;
use crate::store::{read_json, RunResult, Store};

/// What `runner sweep` was asked.
#[derive(Debug, Clone)]
pub struct SweepRequest {
    pub experiment: PathBuf,
    pub results: Option<PathBuf>,
    pub options: PlanOptions,
    pub jobs: usize,
    pub threads: Option<usize>,
    pub device: String,
    pub dry_run: bool,
    /// `Some`: submit to Slurm instead of training here.
    pub slurm: Option<SlurmRequest>,
}

/// `--backend slurm` and its settings.
#[derive(Debug, Clone)]
pub struct SlurmRequest {
    pub sbatch: SbatchSettings,
    /// Follow the array until every task has ended.
    pub wait: bool,
}

/// The experiment's plan and the store it belongs in.
pub fn plan(request: &SweepRequest) -> anyhow::Result<(ExperimentSpec, Vec<PlannedRun>, PathBuf)> {
    let spec = ExperimentSpec::load(&request.experiment)?;
    let runs = validated_plan(&spec, &request.options, &request.experiment)?;
    // Here, runs train on this machine; Slurm tasks check on their own node.
    if request.slurm.is_none() {
        check_precision(&runs, crate::execute::parse_device(&request.device)?)
            .with_context(|| format!("planning {}", request.experiment.display()))?;
    }
    let results = match &request.results {
        Some(dir) => dir.clone(),
        None => crate::dataset::locations::workspace_root(&std::env::current_dir()?)?
            .join("results")
            .join(&spec.name),
    };
    Ok((spec, runs, results))
}

/// The runs of `spec`, every value checked before any data file is read (so
/// that an error names the file's line), then every data file read.
pub fn validated_plan(
    spec: &ExperimentSpec,
    options: &PlanOptions,
    file: &Path,
) -> anyhow::Result<Vec<PlannedRun>> {
    let unread = |_: &DataConfig, _| Ok(Vec::new());
    let planning = || format!("planning {}", file.display());
    for run in expand(spec, options, unread).with_context(planning)? {
        crate::validate::check(&run.config, &options.set, Some(file))
            .with_context(|| format!("variant {:?}", run.config.variant))?;
    }
    let read = Read::default();
    let checksums = |data: &DataConfig, transfer| data_checksums(data, transfer, &read);
    expand(spec, options, checksums).with_context(planning)
}

pub fn run(request: &SweepRequest) -> anyhow::Result<()> {
    let (spec, runs, results) = plan(request)?;
    if request.dry_run {
        if results.join("store.json").exists() {
            Store::at(&results)?; // refuses a store of another format
        }
        print_plan(&runs, &results);
        return Ok(());
    }
    let executable = std::env::current_exe().context("locating the runner binary")?;
    if let Some(slurm) = &request.slurm {
        let store = Store::open(&results, &spec.name)?;
        let options = SlurmOptions {
            sbatch: slurm.sbatch.clone(),
            device: request.device.clone(),
            executable,
            workdir: std::env::current_dir()?,
        };
        return sweep_slurm(&store, &runs, &options, slurm.wait);
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let options = SweepOptions {
        jobs: request.jobs,
        threads: request
            .threads
            .unwrap_or((cores / request.jobs.max(1)).max(1)),
        device: request.device.clone(),
        executable,
    };
    let store = Store::open(&results, &spec.name)?;
    sweep(&store, &runs, &options)?;
    println!(
        "tables: {}/runs.parquet (.csv), {}/epochs.parquet (.csv)",
        results.display(),
        results.display()
    );
    Ok(())
}

/// The checksums a run id hashes for the data a run reads: the manifest's
/// for a dataset name (fetching missing files from the mirror now, so that a
/// missing dataset stops the sweep before training), the files' own for
/// files by path, which are read now as training will read them, so that a
/// malformed line stops the sweep before anything is written. Each distinct
/// source is read once per sweep.
pub fn data_checksums(
    data: &DataConfig,
    transfer: bool,
    read: &Read,
) -> anyhow::Result<Vec<String>> {
    let mut sums = source_checksums("data.ner", &data.ner, read, |files| {
        files.ner_splits(data.mode, data.split_seed).map(drop)
    })?;
    if let (Some(cws), true) = (&data.cws, transfer) {
        sums.extend(source_checksums("data.cws", cws, read, |files| {
            files.read(Split::Train, data.mode).map(drop)
        })?);
    }
    if let Some(embeddings) = &data.embeddings {
        sums.extend(source_checksums(
            "data.embeddings",
            embeddings,
            read,
            |files| files.embeddings().map(drop),
        )?);
    }
    Ok(sums)
}

/// The checksums of the sources a plan has read, by their configuration.
pub type Read = RefCell<HashMap<String, Vec<String>>>;

fn source_checksums<F: Files + serde::Serialize>(
    key: &str,
    source: &Source<F>,
    memo: &Read,
    read: impl Fn(&DatasetFiles) -> Result<(), DatasetError>,
) -> anyhow::Result<Vec<String>> {
    let context = || format!("{key} = {:?}", source.label());
    if let Some((field, why)) = source.problem() {
        anyhow::bail!("{key}.{field} = {why}");
    }
    // Every run of a plan names the same few sources: each is fetched,
    // checked and read once.
    let id = format!("{key} {}", serde_json::to_string(source)?);
    if let Some(sums) = memo.borrow().get(&id).cloned() {
        return Ok(sums);
    }
    let files = source.files().with_context(context)?;
    let sums: Vec<String> = match source.manifest_name() {
        Some(name) => {
            let locations = Locations::discover(None)?;
            let manifest = Manifest::load(&locations.manifest)?;
            let dataset = manifest.dataset(name).with_context(context)?;
            dataset
                .files
                .iter()
                .filter_map(|f| f.sha256.clone())
                .collect()
        }
        None => {
            read(&files).with_context(context)?;
            records_of(&files)?.into_iter().map(|r| r.sha256).collect()
        }
    };
    memo.borrow_mut().insert(id, sums.clone());
    Ok(sums)
}

fn print_plan(runs: &[PlannedRun], results: &Path) {
    let store = Store {
        root: results.to_path_buf(),
    };
    // Every finished run of the store measures throughput, planned now or not
    // (e.g. the same cells with fewer epochs).
    let finished: Vec<RunResult> = store
        .run_ids()
        .unwrap_or_default()
        .iter()
        .filter(|id| store.is_done(id))
        .filter_map(|id| read_json(&store.run_dir(id).join("result.json")).ok())
        .collect();
    // Seconds per epoch of the variant's finished runs (any variant's when it
    // has none) times the run's maximum epochs: early stopping can only cut it.
    let estimate = |run: &PlannedRun| {
        let per_epoch = |r: &&RunResult| r.wall_seconds / r.state.records.len().max(1) as f64;
        let same: Vec<f64> = finished
            .iter()
            .filter(|r| r.config.variant == run.config.variant)
            .map(|r| per_epoch(&r))
            .collect();
        let pool = if same.is_empty() {
            finished.iter().map(|r| per_epoch(&r)).collect()
        } else {
            same
        };
        (!pool.is_empty())
            .then(|| pool.iter().sum::<f64>() / pool.len() as f64 * run.config.train.epochs as f64)
    };
    println!(
        "{:<16} {:<16} {:<24} {:<6} estimate",
        "run", "variant", "cell", "done"
    );
    let mut total = 0.0;
    for run in runs {
        let done = store.is_done(&run.id);
        let cell: Vec<String> = run.cell.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let time = match (done, estimate(run)) {
            (true, _) => "-".to_string(),
            (false, Some(s)) => {
                total += s;
                format!("{:.0} s", s)
            }
            (false, None) => "unknown (no finished run to measure)".to_string(),
        };
        println!(
            "{:<16} {:<16} {:<24} {:<6} {}",
            run.id,
            run.config.variant,
            cell.join(" "),
            if done { "yes" } else { "no" },
            time
        );
    }
    let pending: Vec<&PlannedRun> = runs.iter().filter(|r| !store.is_done(&r.id)).collect();
    let unknown = pending.iter().filter(|r| estimate(r).is_none()).count();
    let mut summary = format!(
        "{} runs, {} done, {} to train; estimated {:.0} s on one job (max epochs × seconds per epoch measured on this store's finished runs)",
        runs.len(),
        runs.len() - pending.len(),
        pending.len(),
        total
    );
    if unknown > 0 {
        summary.push_str(&format!(
            "; {unknown} runs without an estimate (no finished run to measure)"
        ));
    }
    println!("{summary}");
}
