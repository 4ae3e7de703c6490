//! `runner run-one <results> <id>`: one planned run, in its own process
//! (what the local pool and each Slurm task start).

use std::path::PathBuf;

use clap::Args;

use super::DeviceArg;
use crate::execute::run_one::{run_one, RunOneOptions};

#[derive(Debug, Args)]
pub struct RunOneArgs {
    pub results: PathBuf,
    pub id: String,
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Rewrite the store's tables after the run (for Slurm array tasks).
    #[arg(long)]
    pub write_tables: bool,
}

pub fn run(args: &RunOneArgs) -> anyhow::Result<()> {
    let options = RunOneOptions {
        device: args.device.name().to_string(),
        threads: args.threads,
        write_tables: args.write_tables,
    };
    run_one(&args.results, &args.id, &options)
}
