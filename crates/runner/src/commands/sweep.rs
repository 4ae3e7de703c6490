//! `runner sweep EXPERIMENT.toml`: plan the experiment, check its data, then
//! train what the store does not have (or, with `--dry-run`, show the plan).

use std::path::{Path, PathBuf};

use clap::Args;

use anyhow::Context;

use std::cell::RefCell;
use std::collections::HashMap;

use super::train::PrecisionArg;
use crate::dataset::source::Files;
use crate::dataset::{DatasetError, DatasetFiles, Locations, Manifest, Source, Split};
use crate::execute::backend::Backend;
use crate::execute::local::Local;
use crate::execute::prepare::records_of;
use crate::execute::slurm::{SbatchSettings, SlurmOptions};
use crate::execute::slurm_sweep::Slurm;
use crate::execute::sweep::{sweep, Guard};
use crate::plan::{check_precision, expand, DataConfig, PlanOptions, PlannedRun};
use crate::progress::format_duration;
use crate::spec::ExperimentSpec;
use crate::store::{read_json, Asks, Comparison, RunResult, Store};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The experiment file, e.g. experiments/weibo.toml.
    pub experiment: PathBuf,
    /// Results directory (default: `results/<experiment name>`).
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// Any setting by its dotted path, e.g. `train.epochs=5`, `lambda=0.1`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Replace the seed grid, e.g. `--seeds 1,2,3`.
    #[arg(long, value_delimiter = ',')]
    pub seeds: Option<Vec<u64>>,
    /// Train only these variants (repeatable).
    #[arg(long)]
    pub only: Vec<String>,
    /// Runs trained at once.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// libtorch threads per run (default: cores / jobs).
    #[arg(long)]
    pub threads: Option<usize>,
    /// cpu, cuda or auto.
    #[arg(long, value_enum, default_value_t = super::DeviceArg::Cpu)]
    pub device: super::DeviceArg,
    /// Arithmetic of every run: fp32, or bf16 mixed precision (the same as
    /// `--set train.precision=…`; default: the experiment's).
    #[arg(long, value_enum)]
    pub precision: Option<PrecisionArg>,
    /// Print the plan (runs, ids, done or not, estimated time) and train nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: every effective setting of each variant and where it
    /// came from (default, file line, preset, the variant's set, --set, grid).
    #[arg(long, requires = "dry_run")]
    pub explain: bool,
    /// Train seeds in rounds, each round only the variants an unsettled
    /// comparison of the experiment (`[[compare]]`) needs, until every one is
    /// settled or `[decide] max_seeds` is reached (see README).
    #[arg(long)]
    pub until_decided: bool,
    /// Keep runs whose recorded fingerprint this binary does not reproduce
    /// (the model code changed its numbers without a new CODE_REVISION);
    /// each adopted run records it and reports show it.
    #[arg(long)]
    pub accept_fingerprint: bool,
    /// Where runs train: here (local) or as one Slurm job array (slurm).
    #[arg(long, value_enum, default_value_t = BackendArg::Local)]
    pub backend: BackendArg,
    /// Slurm partition.
    #[arg(long, help_heading = "Slurm")]
    pub partition: Option<String>,
    /// Slurm time limit per run, e.g. 04:00:00.
    #[arg(long, help_heading = "Slurm")]
    pub time: Option<String>,
    /// CPUs (and libtorch threads) per run [default: --threads, else 1].
    #[arg(long, help_heading = "Slurm")]
    pub cpus_per_task: Option<usize>,
    /// Generic resources per run, e.g. gpu:1.
    #[arg(long, help_heading = "Slurm")]
    pub gres: Option<String>,
    /// At most this many runs at once (`--array=0-N%K`).
    #[arg(long, help_heading = "Slurm")]
    pub max_parallel: Option<usize>,
    /// Wait until every run has ended, then write the tables.
    #[arg(long, help_heading = "Slurm")]
    pub wait: bool,
}

/// `--backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendArg {
    Local,
    Slurm,
}

impl SweepArgs {
    pub fn request(&self) -> anyhow::Result<SweepRequest> {
        let mut set: Vec<_> = self
            .set
            .iter()
            .map(|a| crate::overrides::parse_assignment(a))
            .collect::<anyhow::Result<_>>()?;
        set.extend(self.precision.map(PrecisionArg::assignment));
        Ok(SweepRequest {
            experiment: self.experiment.clone(),
            results: self.results.clone(),
            options: crate::plan::PlanOptions {
                set,
                seeds: self.seeds.clone(),
                only: self.only.clone(),
            },
            jobs: self.jobs,
            threads: self.threads,
            device: self.device.name().to_string(),
            dry_run: self.dry_run,
            explain: self.explain,
            accept_fingerprint: self.accept_fingerprint,
            slurm: self.slurm()?,
        })
    }

    /// The Slurm settings; Slurm flags without `--backend slurm` are refused.
    fn slurm(&self) -> anyhow::Result<Option<SlurmRequest>> {
        if self.backend == BackendArg::Local {
            let given = [
                ("--partition", self.partition.is_some()),
                ("--time", self.time.is_some()),
                ("--cpus-per-task", self.cpus_per_task.is_some()),
                ("--gres", self.gres.is_some()),
                ("--max-parallel", self.max_parallel.is_some()),
                ("--wait", self.wait),
            ];
            if let Some((flag, _)) = given.iter().find(|(_, on)| *on) {
                anyhow::bail!("{flag} is a Slurm setting: add --backend slurm");
            }
            return Ok(None);
        }
        if self.jobs != 1 {
            anyhow::bail!("--jobs is for the local backend; with Slurm use --max-parallel");
        }
        Ok(Some(SlurmRequest {
            sbatch: crate::execute::slurm::SbatchSettings {
                partition: self.partition.clone(),
                time: self.time.clone(),
                cpus_per_task: self.cpus_per_task.or(self.threads).unwrap_or(1),
                gres: self.gres.clone(),
                max_parallel: self.max_parallel,
            },
            wait: self.wait,
        }))
    }
}

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
    /// Print where each setting came from (with `dry_run`).
    pub explain: bool,
    pub accept_fingerprint: bool,
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
    let explained = crate::explain::explain(&spec, &request.experiment, &request.options)?;
    let asks = asks(&spec, &explained);
    if request.dry_run {
        if results.join("store.json").exists() {
            Store::at(&results)?; // refuses a store of another format
        }
        println!("{}", headline(&spec));
        if request.explain {
            print!("{}", crate::explain::render(&explained));
        }
        print_notes(&asks);
        print_plan(&runs, &results);
        return Ok(());
    }
    print_notes(&asks);
    let store = Store::open(&results, &spec.name)?;
    store.record_asks(&asks)?;
    let device = match request.slurm {
        None => crate::execute::parse_device(&request.device)?,
        Some(_) => tch::Device::Cpu,
    };
    let guard = Guard {
        device,
        accept: request.accept_fingerprint,
    };
    sweep(&store, &runs, backend(request)?.as_ref(), &guard)?;
    if request.slurm.is_none() {
        println!(
            "tables: {}/runs.parquet (.csv), {}/epochs.parquet (.csv)",
            results.display(),
            results.display()
        );
    }
    Ok(())
}

/// What the experiment asks its report for, with the preset's overrides
/// of its file.
pub fn asks(spec: &ExperimentSpec, explained: &[crate::explain::Explained]) -> Asks {
    Asks {
        tables: spec.tables.clone(),
        compare: spec
            .compare
            .iter()
            .map(|c| Comparison {
                a: c.a.get_ref().clone(),
                b: c.b.get_ref().clone(),
                reference: c.reference,
            })
            .collect(),
        overridden: crate::explain::overrides(explained),
    }
}

/// A preset that replaces a value the file states says so before anything trains.
fn print_notes(asks: &Asks) {
    for o in &asks.overridden {
        println!("note: {o}");
    }
}

/// Where the request's runs train.
pub fn backend(request: &SweepRequest) -> anyhow::Result<Box<dyn Backend>> {
    let executable = std::env::current_exe().context("locating the runner binary")?;
    if let Some(slurm) = &request.slurm {
        let options = SlurmOptions {
            sbatch: slurm.sbatch.clone(),
            device: request.device.clone(),
            executable,
            workdir: std::env::current_dir()?,
        };
        return Ok(Box::new(Slurm {
            options,
            wait: slurm.wait,
        }));
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Ok(Box::new(Local {
        jobs: request.jobs,
        threads: request
            .threads
            .unwrap_or((cores / request.jobs.max(1)).max(1)),
        device: request.device.clone(),
        executable,
    }))
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

/// The experiment as its file describes it: name, description, and the
/// paper tables it feeds.
fn headline(spec: &ExperimentSpec) -> String {
    let mut line = format!("experiment {}", spec.name);
    if !spec.description.is_empty() {
        line.push_str(&format!(": {}", spec.description));
    }
    if !spec.tables.is_empty() {
        let ids: Vec<&str> = spec.tables.iter().map(|t| t.id()).collect();
        line.push_str(&format!(" (paper tables: {})", ids.join(", ")));
    }
    line
}

pub fn print_plan(runs: &[PlannedRun], results: &Path) {
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
    let per_epoch = seconds_per_epoch(&finished);
    let estimate = |run: &PlannedRun| {
        estimated_seconds(&run.config.variant, run.config.train.epochs, &per_epoch)
    };
    let width = variant_width(runs.iter().map(|r| r.config.variant.as_str()));
    println!(
        "{:<16} {:<width$} {:<24} {:<6} estimate (at most)",
        "run", "variant", "cell", "done"
    );
    let (mut total, mut unknown, mut pending) = (0.0, 0, 0);
    for run in runs {
        let more = store.needs_more(run).unwrap_or(false);
        let done = store.is_done(&run.id) && !more;
        let cell: Vec<String> = run.cell.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let time = match (done, estimate(run)) {
            (true, _) => "-".to_string(),
            (false, Some(s)) => {
                (total, pending) = (total + s, pending + 1);
                format_duration(s)
            }
            (false, None) => {
                (unknown, pending) = (unknown + 1, pending + 1);
                "unknown (no finished run of this variant)".to_string()
            }
        };
        println!(
            "{:<16} {:<width$} {:<24} {:<6} {}",
            run.id,
            run.config.variant,
            cell.join(" "),
            match (done, more) {
                (true, _) => "yes",
                (false, true) => "more",
                (false, false) => "no",
            },
            time
        );
    }
    println!("{}", plan_summary(runs.len(), pending, unknown, total));
}

/// Seconds per epoch of each finished run, with its variant.
fn seconds_per_epoch(finished: &[RunResult]) -> Vec<(&str, f64)> {
    finished
        .iter()
        .map(|r| {
            let epochs = r.state.records.len().max(1) as f64;
            (r.config.variant.as_str(), r.wall_seconds / epochs)
        })
        .collect()
}

/// The mean seconds per epoch of the variant's finished runs times the run's
/// maximum epochs: an upper bound, as early stopping can only cut it. None
/// when the store has no finished run of the variant: the variants' costs
/// differ too much (10× on SighanNER) for another's to stand in.
fn estimated_seconds(variant: &str, max_epochs: usize, per_epoch: &[(&str, f64)]) -> Option<f64> {
    let same: Vec<f64> = per_epoch
        .iter()
        .filter(|(v, _)| *v == variant)
        .map(|(_, s)| *s)
        .collect();
    (!same.is_empty()).then(|| same.iter().sum::<f64>() / same.len() as f64 * max_epochs as f64)
}

/// The plan's last line: runs, done, to train, and the estimated time of
/// those with an estimate.
fn plan_summary(runs: usize, pending: usize, unknown: usize, total: f64) -> String {
    let head = format!("{runs} runs, {} done, {pending} to train", runs - pending);
    let known = pending - unknown;
    let basis = "max epochs × seconds per epoch of this store's finished runs of the variant";
    match (known, unknown) {
        (0, 0) => head,
        (0, _) => format!("{head}; no estimate yet (no finished run of their variants)"),
        (_, 0) => format!(
            "{head}; at most {} on one job ({basis})",
            format_duration(total)
        ),
        (_, _) => format!(
            "{head}; at most {} on one job for {known} of them ({basis}); \
             {unknown} without an estimate (no finished run of their variant)",
            format_duration(total)
        ),
    }
}

/// The width of a table's variant column: its longest name, at least 16.
pub fn variant_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(|n| n.chars().count()).max().unwrap_or(0).max(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_is_estimated_from_its_own_runs_only() {
        let measured = [("baseline", 40.0), ("baseline", 60.0), ("full", 500.0)];
        assert_eq!(estimated_seconds("baseline", 20, &measured), Some(1000.0));
        assert_eq!(estimated_seconds("full", 20, &measured), Some(10_000.0));
        assert_eq!(estimated_seconds("transfer", 20, &measured), None);
    }

    #[test]
    fn the_summary_says_what_it_could_not_estimate() {
        assert_eq!(plan_summary(6, 0, 0, 0.0), "6 runs, 6 done, 0 to train");
        let none = plan_summary(6, 6, 6, 0.0);
        assert!(none.ends_with("no estimate yet (no finished run of their variants)"));
        let all = plan_summary(6, 4, 0, 3725.0);
        assert!(all.contains("2 done, 4 to train; at most 1 h 2 min (3725 s) on one job"));
        let some = plan_summary(6, 4, 1, 600.0);
        assert!(some.contains("at most 10 min 0 s on one job for 3 of them"));
        assert!(some.ends_with("1 without an estimate (no finished run of their variant)"));
    }
}
