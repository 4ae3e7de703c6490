//! The `runner` binary: runs the ablation study of Cao et al. (EMNLP 2018) as data.
//!
//! Pipeline, one module a stage: [`cli`] → `spec` (the TOML) → `plan` (runs with
//! stable ids) → `execute` (local pool or Slurm job array) → `store` (run
//! directories and polars tables) → `report` (paper-style tables and charts).
//! Beside the pipeline: [`dataset`] (the manifest of third-party corpora,
//! `runner data fetch|stats`), [`score`] (`runner eval`, conlleval-exact
//! scoring), [`status`] (where each run stands) and [`predict`] (tagging new
//! text with a finished run); [`validate`] checks every value of a run before
//! the plan is used.

pub mod bench;
pub mod commands;
pub mod config;
pub mod dataset;
pub mod execute;
pub mod fs;
pub mod overrides;
pub mod plan;
pub mod progress;
pub mod report;
pub mod score;
pub mod shell;
pub mod spec;
pub mod store;
pub mod validate;

use std::process::ExitCode;

/// Parses the command line, runs the command, prints an error once with its causes.
pub fn main() -> ExitCode {
    use clap::Parser;
    restore_sigpipe();
    let args = commands::Cli::parse();
    match commands::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A closed pipe (`runner status … | head`) ends the process quietly, as it
/// does for other command-line tools, instead of a panic on the next print.
fn restore_sigpipe() {
    // SAFETY: called first thing in `main`, before any thread starts;
    // SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
