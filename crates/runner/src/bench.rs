//! `runner bench`: training and evaluation throughput of every variant on the
//! real WeiboNER and CTB6 data, and peak memory, as a Markdown table for
//! BENCHMARKS.md. Each measurement runs in its own process (`runner bench-one`)
//! so that its peak memory is its own.
//!
//! One measurement = one full training epoch (every NER batch, each followed by
//! a CWS batch for transfer variants) plus the scoring of dev and test, from
//! the trainer's own epoch record: characters are real (unpadded) characters
//! of both tasks.

use std::process::Command;

use anyhow::{bail, Context};
use atner::config::Variant;
use serde::{Deserialize, Serialize};

use crate::execute::{parse_device, prepare};
use crate::plan::{DataConfig, RunConfig};

/// One variant at one batch size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    pub variant: String,
    pub batch_size: usize,
    pub threads: usize,
    pub train_chars_per_second: f64,
    pub eval_chars_per_second: f64,
    pub epoch_seconds: f64,
    pub peak_rss_mib: f64,
}

/// Measures each variant at each batch size, each in a child process.
pub fn run(
    variants: &[Variant],
    batch_sizes: &[usize],
    threads: usize,
    device: &str,
) -> anyhow::Result<Vec<Measurement>> {
    let exe = std::env::current_exe().context("locating the runner binary")?;
    let mut all = Vec::new();
    for &batch_size in batch_sizes {
        for &variant in variants {
            let output = Command::new(&exe)
                .args([
                    "bench-one",
                    variant.name(),
                    &batch_size.to_string(),
                    &threads.to_string(),
                    device,
                ])
                .output()
                .context("starting runner bench-one")?;
            if !output.status.success() {
                bail!(
                    "bench-one {variant} {batch_size}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            let m: Measurement =
                serde_json::from_slice(&output.stdout).context("reading bench-one's result")?;
            eprintln!("{}", row(&m));
            all.push(m);
        }
    }
    Ok(all)
}

/// Trains one epoch of `variant` on WeiboNER (+CTB6) and prints a [`Measurement`] as JSON.
pub fn one(
    variant: Variant,
    batch_size: usize,
    threads: usize,
    device: &str,
) -> anyhow::Result<()> {
    tch::set_num_threads(threads as i32);
    let mut cfg = RunConfig {
        variant: variant.name().into(),
        data: DataConfig::default(),
        model: variant.model_config(),
        train: Default::default(),
    };
    cfg.train.batch_size = batch_size;
    let prepared = prepare(&cfg.data, cfg.model.transfer.is_some(), cfg.train.seed)?;
    let device = parse_device(device)?;
    let mut trainer = atner::train::Trainer::new(
        &cfg.model,
        &cfg.train,
        &prepared.data,
        prepared.embedding.as_deref(),
        device,
    );
    let record = trainer.epoch().clone();
    let eval_chars: usize = [&prepared.data.ner_dev, &prepared.data.ner_test]
        .iter()
        .flat_map(|split| split.iter().map(|s| s.chars.len()))
        .sum();
    let m = Measurement {
        variant: variant.name().into(),
        batch_size,
        threads,
        train_chars_per_second: record.chars_per_second(),
        eval_chars_per_second: eval_chars as f64 / record.eval_seconds,
        epoch_seconds: record.train_seconds + record.eval_seconds,
        peak_rss_mib: peak_rss_mib()?,
    };
    println!("{}", serde_json::to_string(&m)?);
    Ok(())
}

/// The process's peak resident memory (VmHWM), in MiB.
fn peak_rss_mib() -> anyhow::Result<f64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/self/status")?;
    Ok(kib / 1024.0)
}

pub const HEADER: &str = "| variant | batch | threads | train chars/s | eval chars/s | epoch (train + eval) s | peak RSS MiB |\n|---|---:|---:|---:|---:|---:|---:|";

/// One Markdown row.
pub fn row(m: &Measurement) -> String {
    format!(
        "| {} | {} | {} | {:.0} | {:.0} | {:.1} | {:.0} |",
        m.variant,
        m.batch_size,
        m.threads,
        m.train_chars_per_second,
        m.eval_chars_per_second,
        m.epoch_seconds,
        m.peak_rss_mib
    )
}
