//! The `runner` binary: runs the ablation study of Cao et al. (EMNLP 2018) as data.
//!
//! Pipeline, one module a stage: [`commands`] (the command line) → `spec` (the
//! TOML) → `plan` (runs with stable ids) → `execute` (local pool or Slurm job
//! array) → `store` (run directories and polars tables) → `report`
//! (paper-style tables and charts). Beside the pipeline: [`dataset`] (the
//! manifest of third-party corpora, `runner data fetch|stats`), [`score`]
//! (`runner eval`, conlleval-exact scoring), `runner status` (where each run
//! stands) and `runner predict` (tagging new text with a finished run);
//! [`validate`] checks every value of a run before the plan is used.

pub mod bench;
pub mod commands;
pub mod config;
pub mod dataset;
pub mod execute;
pub mod explain;
pub mod fs;
pub mod machine;
pub mod overrides;
pub mod plan;
pub mod progress;
pub mod report;
pub mod score;
pub mod shell;
pub mod spec;
pub mod stats;
pub mod store;
pub mod validate;

use std::process::ExitCode;

/// Parses the command line, runs the command, prints an error once with its causes.
pub fn main() -> ExitCode {
    use clap::Parser;
    restore_sigpipe();
    keep_freed_memory();
    keep_compiled_kernels();
    let args = commands::Cli::parse();
    match commands::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Lets oneDNN keep the kernels it compiles for every tensor shape it meets.
/// oneDNN (libtorch's LSTMs, and its bf16 matrix products) generates machine
/// code per shape and caches it, 1,024 kernels by default; a WeiboNER epoch of
/// the full model in bf16 meets more shapes than that (bucketed lengths × two
/// tasks × forward, backward and evaluation), so the cache thrashes and every
/// epoch compiles again: 13.5–14.4 s of training per epoch from the second
/// on, against 10.5–12.2 s with room for 4,096 (Intel Xeon with AMX, one
/// thread, BENCHMARKS.md, "bf16 on an Intel Xeon with AMX"). fp32 is
/// unaffected (its matrix products are MKL's). Which kernel runs does not
/// depend on the cache, so no number changes (the fingerprint is bit-identical).
/// A value the user set is kept.
fn keep_compiled_kernels() {
    const VAR: &str = "ONEDNN_PRIMITIVE_CACHE_CAPACITY";
    if std::env::var_os(VAR).is_none() {
        // Called first thing in `main`, before any thread starts or oneDNN
        // reads its settings (on first use).
        std::env::set_var(VAR, "4096");
    }
}

/// Keeps memory that libtorch frees inside the process instead of handing it
/// back to the kernel. By default glibc serves large blocks with `mmap` and
/// trims the heap's top, so every training step's activations (a new shape
/// each batch) come back as fresh pages the kernel must zero: 12.6% of a
/// SighanNER full-model step's CPU time was kernel time, 5.0% with these
/// settings (BENCHMARKS.md, "Where a SighanNER epoch goes"). Where memory
/// comes from changes no number: libtorch aligns every tensor to 64 bytes
/// itself. The cost is resident memory, kept until the process ends: a
/// SighanNER full-model epoch peaked at 8,095 MiB, against 6,688 MiB with
/// glibc's defaults (BENCHMARKS.md, "The SighanNER full model, measured to
/// the end").
fn keep_freed_memory() {
    const MIB: libc::c_int = 1 << 20;
    // SAFETY: mallopt only sets allocator parameters; called first thing in
    // `main`, before any thread starts. A rejected value leaves glibc's
    // default, which is correct, only slower.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * MIB);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1024 * MIB);
        libc::mallopt(libc::M_TOP_PAD, 256 * MIB);
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
