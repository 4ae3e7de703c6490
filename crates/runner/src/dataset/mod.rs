//! Third-party corpora and embeddings (paper §4.1, Table 1): the manifest
//! `data/datasets.toml`, `runner data fetch` (mirror or download into the
//! git-ignored cache, sha256-verified) and `runner data stats` (Table 1 as
//! measured here).
//!
//! Modules: [`manifest`] (the TOML) → [`locations`] (workspace root, cache,
//! mirror) → [`fetch`] (one file into the cache) → [`files`] (a dataset's
//! cached files by split, read with `atner::data`; what training calls) →
//! [`stats`] and [`table`] (Table 1).

use std::path::PathBuf;

pub mod check;
pub mod error;
pub mod fetch;
pub mod files;
pub mod locations;
pub mod manifest;
pub mod source;
pub mod stats;
pub mod table;

pub use error::DatasetError;
pub use fetch::{fetch_datasets, fetch_file, Fetched, Origin};
pub use files::{dataset_files, resolve, DatasetFiles, NerSplits};
pub use locations::Locations;
pub use manifest::{Format, Manifest, Split, Task};
pub use source::{CwsFiles, NerFiles, Source, VectorFiles};

#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Copy datasets into data/cache (or $ATNER_DATA_CACHE) from the mirror,
    /// or download them, verifying every sha256.
    Fetch(FetchArgs),
    /// Print the paper's Table 1 for every dataset cached or in the mirror.
    Stats(StatsArgs),
    /// Read an experiment's data (or data files) as training would: statistics,
    /// or the first problem with file and line.
    Check(check::CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// Datasets to fetch (default: every file the mirror has).
    pub names: Vec<String>,
    /// Mirror directory (default: $ATNER_DATA_MIRROR, else ../shared/data).
    #[arg(long)]
    pub mirror: Option<PathBuf>,
    /// Download from the source addresses even when a mirror exists.
    #[arg(long)]
    pub download: bool,
}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Print JSON instead of text tables.
    #[arg(long)]
    pub json: bool,
    /// Mirror directory (default: $ATNER_DATA_MIRROR, else ../shared/data).
    #[arg(long)]
    pub mirror: Option<PathBuf>,
    /// Seed of the sampled dev split (SighanNER's 10% of train).
    #[arg(long, default_value_t = atner::data::sighan::DEFAULT_SPLIT_SEED)]
    pub split_seed: u64,
}

pub fn run(cmd: DataCommand) -> anyhow::Result<()> {
    match cmd {
        DataCommand::Fetch(args) => run_fetch(args),
        DataCommand::Stats(args) => run_stats(args),
        DataCommand::Check(args) => {
            print!("{}", check::check_files(&args)?);
            Ok(())
        }
    }
}

fn run_fetch(args: FetchArgs) -> anyhow::Result<()> {
    let locations = Locations::discover(args.mirror)?;
    let manifest = Manifest::load(&locations.manifest)?;
    let reports = fetch_datasets(&manifest, &locations, &args.names, args.download)?;
    let mut failed = 0;
    for report in reports {
        match report.outcome {
            Ok(fetched) => println!("{}", describe(&report.file, &fetched)),
            Err(err) => {
                eprintln!("error: {err}");
                failed += 1;
            }
        }
    }
    anyhow::ensure!(failed == 0, "{failed} file(s) could not be fetched");
    Ok(())
}

fn describe(file: &str, fetched: &Fetched) -> String {
    let how = match fetched.origin {
        Origin::Cached => "cached    ",
        Origin::Mirror => "copied    ",
        Origin::Download => "downloaded",
    };
    let check = if fetched.verified {
        "sha256 ok"
    } else {
        "no checksum to verify"
    };
    format!("{how} {file} ({check}) -> {}", fetched.path.display())
}

fn run_stats(args: StatsArgs) -> anyhow::Result<()> {
    let locations = Locations::discover(args.mirror)?;
    let manifest = Manifest::load(&locations.manifest)?;
    let all = stats::collect(&manifest, &locations, args.split_seed)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        print!("{}", table::render(&all));
    }
    Ok(())
}
