//! The command line (clap derive), as ripgrep's binary has it: one file per
//! subcommand holding its arguments and what it runs; this file keeps the
//! enum and the dispatch.

pub mod bench;
pub mod collect;
pub mod data;
pub mod data_check;
pub mod decide;
pub mod eval;
pub mod fingerprint;
pub mod init;
pub mod migrate;
pub mod predict;
pub mod probe;
pub mod report;
pub mod run_one;
pub mod status;
pub mod sweep;
pub mod train;

use clap::{Parser, Subcommand};

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
    Data(data::DataCommand),
    /// Score a CoNLL file (token ... gold predicted) exactly as conlleval does.
    Eval(eval::EvalArgs),
    /// Train one configuration and print its dev and test P/R/F1.
    Train(train::TrainArgs),
    /// Start an experiment on your own corpora: a commented file with the
    /// shipped schedule and the paper's five variants, its data checked.
    Init(init::InitArgs),
    /// Train every cell of an experiment file that the results store lacks.
    Sweep(sweep::SweepArgs),
    /// Measure training and evaluation throughput of every variant (BENCHMARKS.md).
    Bench(bench::BenchArgs),
    /// One measurement of `runner bench`, in its own process.
    #[command(hide = true)]
    BenchOne(bench::BenchOneArgs),
    /// Tag raw text (one sentence a line) with a finished run's best weights.
    Predict(predict::PredictArgs),
    /// Freeze finished runs' shared encoders and measure how well a fresh
    /// probe tells NER from CWS sentences (does adversarial training remove
    /// task information?).
    Probe(probe::ProbeArgs),
    /// Where every run of a results store stands: done, running, queued, failed.
    Status(status::StatusArgs),
    /// Copy the finished runs of one results store into another (e.g. the
    /// repository's `results/<experiment>`), without their weights.
    Collect(collect::CollectArgs),
    /// Move results stores to today's run ids in place, without training.
    Migrate(migrate::MigrateArgs),
    /// Print the model code's numerical fingerprint (and compare it with another).
    Fingerprint(fingerprint::FingerprintArgs),
    /// Paper-style tables (2–5), significance tests and charts from results.
    Report(report::ReportArgs),
    /// Train one planned run of a results store (used by sweeps and Slurm tasks).
    #[command(hide = true)]
    RunOne(run_one::RunOneArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Data(command) => data::run(command),
        Command::Eval(args) => eval::run(args),
        Command::Train(args) => train::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Sweep(args) if args.until_decided => decide::run(&args.request()?),
        Command::Sweep(args) => sweep::run(&args.request()?),
        Command::Bench(args) => bench::run(&args),
        Command::BenchOne(args) => bench::run_one(&args),
        Command::Report(args) => report::run(&args),
        Command::Status(args) => status::run(&args.results),
        Command::Collect(args) => crate::store::collect::run(&args.from, &args.into, &args.seeds),
        Command::Predict(args) => predict::run(&args),
        Command::Probe(args) => probe::run(&args),
        Command::Migrate(args) => migrate::run(&args),
        Command::Fingerprint(args) => fingerprint::run(&args),
        Command::RunOne(args) => run_one::run(&args),
    }
}

/// `--device`: where libtorch computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    Cpu,
    Cuda,
    /// CUDA when libtorch sees a device, else the CPU.
    Auto,
}

impl DeviceArg {
    /// The flag's value, as child processes and Slurm tasks receive it.
    pub fn name(self) -> &'static str {
        match self {
            DeviceArg::Cpu => "cpu",
            DeviceArg::Cuda => "cuda",
            DeviceArg::Auto => "auto",
        }
    }

    pub fn device(self) -> anyhow::Result<tch::Device> {
        crate::execute::parse_device(self.name())
    }
}
