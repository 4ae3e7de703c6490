//! `runner sweep EXPERIMENT.toml`: plan the experiment, check its data, then
//! train what the store does not have (or, with `--dry-run`, show the plan).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::dataset::{dataset_files, Locations, Manifest};
use crate::execute::sweep::{sweep, SweepOptions};
use crate::plan::{expand, DataConfig, PlanOptions, PlannedRun};
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
}

/// The experiment's plan and the store it belongs in.
pub fn plan(request: &SweepRequest) -> anyhow::Result<(ExperimentSpec, Vec<PlannedRun>, PathBuf)> {
    let spec = ExperimentSpec::load(&request.experiment)?;
    let runs = expand(&spec, &request.options, data_checksums)
        .with_context(|| format!("planning {}", request.experiment.display()))?;
    let results = match &request.results {
        Some(dir) => dir.clone(),
        None => crate::dataset::locations::workspace_root(&std::env::current_dir()?)?
            .join("results")
            .join(&spec.name),
    };
    Ok((spec, runs, results))
}

pub fn run(request: &SweepRequest) -> anyhow::Result<()> {
    let (spec, runs, results) = plan(request)?;
    if request.dry_run {
        print_plan(&runs, &results);
        return Ok(());
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let options = SweepOptions {
        jobs: request.jobs,
        threads: request
            .threads
            .unwrap_or((cores / request.jobs.max(1)).max(1)),
        device: request.device.clone(),
        executable: std::env::current_exe().context("locating the runner binary")?,
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

/// The manifest's checksums of every file a run reads, fetching missing files
/// from the mirror now so that a missing dataset stops the sweep before training.
fn data_checksums(data: &DataConfig, transfer: bool) -> anyhow::Result<Vec<String>> {
    let locations = Locations::discover(None)?;
    let manifest = Manifest::load(&locations.manifest)?;
    let mut names = vec![data.ner.as_str()];
    if transfer {
        names.extend(data.cws.as_deref());
    }
    names.extend(data.embeddings.as_deref());
    let mut sums = Vec::new();
    for name in names {
        dataset_files(name).with_context(|| format!("dataset {name:?}"))?;
        sums.extend(
            manifest
                .dataset(name)?
                .files
                .iter()
                .filter_map(|f| f.sha256.clone()),
        );
    }
    Ok(sums)
}

fn print_plan(runs: &[PlannedRun], results: &Path) {
    let store = Store {
        root: results.to_path_buf(),
    };
    let finished: Vec<RunResult> = runs
        .iter()
        .filter(|r| store.is_done(&r.id))
        .filter_map(|r| read_json(&store.run_dir(&r.id).join("result.json")).ok())
        .collect();
    let estimate = |variant: &str| {
        let same: Vec<f64> = finished
            .iter()
            .filter(|r| r.config.variant == variant)
            .map(|r| r.wall_seconds)
            .collect();
        let pool = if same.is_empty() {
            finished.iter().map(|r| r.wall_seconds).collect()
        } else {
            same
        };
        (!pool.is_empty()).then(|| pool.iter().sum::<f64>() / pool.len() as f64)
    };
    println!(
        "{:<16} {:<16} {:<24} {:<6} estimate",
        "run", "variant", "cell", "done"
    );
    let mut total = 0.0;
    for run in runs {
        let done = store.is_done(&run.id);
        let cell: Vec<String> = run.cell.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let time = match (done, estimate(&run.config.variant)) {
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
    println!(
        "{} runs, {} to train; measured estimate {:.0} s on one job",
        runs.len(),
        runs.iter().filter(|r| !store.is_done(&r.id)).count(),
        total
    );
}
