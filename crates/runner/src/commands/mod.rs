//! Command-line interface (clap derive): each subcommand converts straight into
//! the module that owns it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::train_command::{PrecisionArg, TrainArgs};

/// Run, trust and publish the ablation study of Cao et al. (EMNLP 2018).
#[derive(Debug, Parser)]
#[command(name = "runner", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Datasets: fetch them into the cache, print their statistics (Table 1).
    #[command(subcommand)]
    Data(crate::dataset::DataCommand),
    /// Score a CoNLL file (token ... gold predicted) exactly as conlleval does.
    Eval(crate::score::EvalArgs),
    /// Train one configuration and print its dev and test P/R/F1.
    Train(TrainArgs),
    /// Train every cell of an experiment file that the results store lacks.
    Sweep(SweepArgs),
    /// Measure training and evaluation throughput of every variant (BENCHMARKS.md).
    Bench(BenchArgs),
    /// One measurement of `runner bench`, in its own process.
    #[command(hide = true)]
    BenchOne {
        /// A `bench::Case` as JSON.
        case: String,
        #[arg(long)]
        threads: usize,
        #[arg(long, value_enum)]
        device: crate::execute::DeviceArg,
    },
    /// Tag raw text (one sentence a line) with a finished run's best weights.
    Predict(crate::predict::PredictArgs),
    /// Where every run of a results store stands: done, running, queued, failed.
    Status {
        /// A results directory, or an experiment name (results/<name>).
        results: String,
    },
    /// Copy the finished runs of one results store into another (e.g. the
    /// repository's results/<experiment>), without their weights.
    Collect {
        /// The store the runs were trained in.
        from: PathBuf,
        /// The store to copy them into (created if missing).
        into: PathBuf,
    },
    /// Paper-style tables (2–5), significance tests and charts from results.
    Report(crate::report::ReportArgs),
    /// Train one planned run of a results store (used by sweeps and Slurm tasks).
    #[command(hide = true)]
    RunOne(RunOneArgs),
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The experiment file, e.g. experiments/weibo.toml.
    pub experiment: PathBuf,
    /// Results directory (default: results/<experiment name>).
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
    #[arg(long, value_enum, default_value_t = crate::execute::DeviceArg::Cpu)]
    pub device: crate::execute::DeviceArg,
    /// Arithmetic of every run: fp32, or bf16 mixed precision (the same as
    /// `--set train.precision=…`; default: the experiment's).
    #[arg(long, value_enum)]
    pub precision: Option<PrecisionArg>,
    /// Print the plan (runs, ids, done or not, estimated time) and train nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where runs train: here (local) or as one Slurm job array (slurm).
    #[arg(long, value_enum, default_value_t = Backend::Local)]
    pub backend: Backend,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Local,
    Slurm,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Batch sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "20,64")]
    pub batch_sizes: Vec<usize>,
    /// Variants to measure (default: all five).
    #[arg(long, value_delimiter = ',')]
    pub variants: Vec<atner::config::Variant>,
    /// NER data: weibo, sighan (SighanNER rows use d_h 140, as its experiment).
    #[arg(long, value_delimiter = ',', default_value = "weibo")]
    pub data: Vec<String>,
    /// Arithmetic to measure (default: fp32, and bf16 where the CPU runs it natively).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub precisions: Vec<PrecisionArg>,
    /// libtorch threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// cpu, cuda or auto.
    #[arg(long, value_enum, default_value_t = crate::execute::DeviceArg::Cpu)]
    pub device: crate::execute::DeviceArg,
}

#[derive(Debug, Args)]
pub struct RunOneArgs {
    pub results: PathBuf,
    pub id: String,
    #[arg(long, value_enum, default_value_t = crate::execute::DeviceArg::Cpu)]
    pub device: crate::execute::DeviceArg,
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Rewrite the store's tables after the run (for Slurm array tasks).
    #[arg(long)]
    pub write_tables: bool,
}

impl SweepArgs {
    pub fn request(&self) -> anyhow::Result<crate::sweep_command::SweepRequest> {
        let mut set: Vec<_> = self
            .set
            .iter()
            .map(|a| crate::overrides::parse_assignment(a))
            .collect::<anyhow::Result<_>>()?;
        set.extend(self.precision.map(PrecisionArg::assignment));
        Ok(crate::sweep_command::SweepRequest {
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
            slurm: self.slurm()?,
        })
    }

    /// The Slurm settings; Slurm flags without `--backend slurm` are refused.
    fn slurm(&self) -> anyhow::Result<Option<crate::sweep_command::SlurmRequest>> {
        if self.backend == Backend::Local {
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
        Ok(Some(crate::sweep_command::SlurmRequest {
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

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        // An experiment's data is checked through its plan, which the
        // dataset module does not know.
        Command::Data(crate::dataset::DataCommand::Check(args)) => crate::data_check::run(&args),
        Command::Data(cmd) => crate::dataset::run(cmd),
        Command::Eval(args) => crate::score::run(args),
        Command::Train(args) => crate::train_command::run(&args),
        Command::Sweep(args) => crate::sweep_command::run(&args.request()?),
        Command::Bench(args) => run_bench(&args),
        Command::BenchOne {
            case,
            threads,
            device,
        } => crate::bench::one(&serde_json::from_str(&case)?, threads, device.name()),
        Command::Report(args) => crate::report::run(&args),
        Command::Status { results } => crate::status::run(&results),
        Command::Collect { from, into } => crate::store::collect::run(&from, &into),
        Command::Predict(args) => crate::predict::run(&args),
        Command::RunOne(args) => crate::execute::run_one::run_one(
            &args.results,
            &args.id,
            &crate::execute::run_one::RunOneOptions {
                device: args.device.name().to_string(),
                threads: args.threads,
                write_tables: args.write_tables,
            },
        ),
    }
}

fn run_bench(args: &BenchArgs) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let variants: &[atner::config::Variant] = match args.variants.as_slice() {
        [] => &atner::config::Variant::ALL,
        chosen => chosen,
    };
    let precisions: Vec<_> = match args.precisions.as_slice() {
        [] => crate::bench::native_precisions(args.device.device()?),
        chosen => chosen.iter().map(|p| p.precision()).collect(),
    };
    let cases = crate::bench::cases(&args.data, variants, &args.batch_sizes, &precisions)?;
    let all = crate::bench::run(&cases, args.threads.unwrap_or(cores), args.device.name())?;
    println!("{}", crate::bench::HEADER);
    for m in &all {
        println!("{}", crate::bench::row(m));
    }
    Ok(())
}
