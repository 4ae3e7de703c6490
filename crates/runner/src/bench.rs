//! `runner bench`: training and evaluation throughput of every variant on the
//! real WeiboNER (or SighanNER) and CTB6 data, in fp32 and bf16, and peak
//! memory, as a Markdown table for BENCHMARKS.md. Each measurement runs in its
//! own process (`runner bench-one`) so that its peak memory is its own.
//!
//! SighanNER rows use that experiment's sizes (d_h 140, batch 64 unless asked
//! otherwise): the epoch time of `experiments/sighan.toml`.
//!
//! One measurement = the last of `epochs` full training epochs (every NER
//! batch, each followed by a CWS batch for transfer variants; the first epoch
//! also pays oneDNN's kernel compilation) plus the scoring of dev and test, from
//! the trainer's own epoch record: characters are real (unpadded) characters
//! of both tasks.

use std::process::Command;

use anyhow::{bail, Context};
use atner::config::Variant;
use atner::precision::Precision;
use serde::{Deserialize, Serialize};

use crate::execute::{parse_device, prepare};
use crate::plan::{DataConfig, RunConfig};

/// One variant at one batch size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    pub ner: String,
    pub variant: String,
    pub precision: Precision,
    pub batch_size: usize,
    pub threads: usize,
    pub train_chars_per_second: f64,
    pub eval_chars_per_second: f64,
    pub epoch_seconds: f64,
    pub peak_rss_mib: f64,
}

/// One measurement to take: which data, variant, batch size and arithmetic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// `weibo` or `sighan`.
    pub ner: String,
    pub variant: Variant,
    pub batch_size: usize,
    pub precision: Precision,
}

/// Measures each case in a child process; fp32 and bf16 of one setting run
/// back to back, so that they are compared on the same machine state.
pub fn run(
    cases: &[Case],
    threads: usize,
    device: &str,
    epochs: usize,
) -> anyhow::Result<Vec<Measurement>> {
    if epochs == 0 {
        bail!("--epochs: at least one epoch is measured");
    }
    let exe = std::env::current_exe().context("locating the runner binary")?;
    let mut all = Vec::new();
    for case in cases {
        let output = Command::new(&exe)
            .args(["bench-one", &serde_json::to_string(case)?])
            .args(["--threads", &threads.to_string(), "--device", device])
            .args(["--epochs", &epochs.to_string()])
            .output()
            .context("starting runner bench-one")?;
        if !output.status.success() {
            bail!(
                "bench-one {} {} {} {}: {}",
                case.ner,
                case.variant,
                case.batch_size,
                case.precision,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let m: Measurement =
            serde_json::from_slice(&output.stdout).context("reading bench-one's result")?;
        eprintln!("{}", row(&m));
        all.push(m);
    }
    Ok(all)
}

/// Every combination, precisions innermost so that they run back to back.
pub fn cases(
    data: &[String],
    variants: &[Variant],
    batch_sizes: &[usize],
    precisions: &[Precision],
) -> anyhow::Result<Vec<Case>> {
    if let Some(bad) = data
        .iter()
        .find(|d| !["weibo", "sighan"].contains(&d.as_str()))
    {
        bail!("--data {bad:?}: expected weibo or sighan");
    }
    if batch_sizes.contains(&0) {
        bail!("--batch-sizes: a batch holds at least one sentence");
    }
    let mut cases = Vec::new();
    for ner in data {
        for &batch_size in batch_sizes {
            for &variant in variants {
                for &precision in precisions {
                    cases.push(Case {
                        ner: ner.clone(),
                        variant,
                        batch_size,
                        precision,
                    });
                }
            }
        }
    }
    Ok(cases)
}

/// fp32, and bf16 where `device` runs it natively (said once when not).
pub fn native_precisions(device: tch::Device) -> Vec<Precision> {
    match Precision::Bf16.check(device) {
        Ok(()) => vec![Precision::Fp32, Precision::Bf16],
        Err(why) => {
            eprintln!("measuring fp32 only: {why}");
            vec![Precision::Fp32]
        }
    }
}

/// The configuration of a case: the paper's sizes with the manifest's
/// defaults for its corpus (SighanNER's d_h 140), the case's batch size.
fn case_config(case: &Case) -> anyhow::Result<RunConfig> {
    let cfg = RunConfig {
        variant: case.variant.name().into(),
        data: DataConfig {
            ner: case.ner.as_str().into(),
            ..DataConfig::default()
        },
        model: case.variant.model_config(),
        train: Default::default(),
    };
    let mut cfg = crate::plan::with_dataset_defaults(cfg)?;
    cfg.train.batch_size = case.batch_size;
    cfg.train.precision = case.precision;
    Ok(cfg)
}

/// Trains `epochs` epochs of a case (+CTB6 for transfer variants) and prints
/// a [`Measurement`] of the last as JSON.
pub fn one(case: &Case, threads: usize, device: &str, epochs: usize) -> anyhow::Result<()> {
    tch::set_num_threads(threads as i32);
    let cfg = case_config(case)?;
    let device = parse_device(device)?;
    crate::plan::check_run_precision(&cfg, device)?;
    let prepared = prepare(&cfg.data, cfg.model.transfer.is_some(), cfg.train.seed)?;
    let mut trainer = atner::train::Trainer::new(
        &cfg.model,
        &cfg.train,
        &prepared.data,
        prepared.embedding.as_deref(),
        device,
    );
    let mut record = trainer.epoch()?.clone();
    for _ in 1..epochs {
        record = trainer.epoch()?.clone();
    }
    // Every character an epoch's evaluation tags: dev, test, and the released
    // protocol's cut of test (timed in the same `eval_seconds`).
    let released = atner::train::released_cut(&prepared.data.ner_test, cfg.train.batch_size);
    let eval_chars: usize = [&prepared.data.ner_dev, &prepared.data.ner_test, &released]
        .iter()
        .flat_map(|split| split.iter().map(|s| s.chars.len()))
        .sum();
    let m = Measurement {
        ner: case.ner.clone(),
        variant: case.variant.name().into(),
        precision: case.precision,
        batch_size: case.batch_size,
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

pub const HEADER: &str = "| data | variant | precision | batch | threads | train chars/s | eval chars/s | epoch (train + eval) s | peak RSS MiB |\n|---|---|---|---:|---:|---:|---:|---:|---:|";

/// One Markdown row.
pub fn row(m: &Measurement) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {:.0} | {:.0} | {:.1} | {:.0} |",
        m.ner,
        m.variant,
        m.precision,
        m.batch_size,
        m.threads,
        m.train_chars_per_second,
        m.eval_chars_per_second,
        m.epoch_seconds,
        m.peak_rss_mib
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_epochs_are_refused_before_anything_trains() {
        let case = Case {
            ner: "weibo".into(),
            variant: Variant::Baseline,
            batch_size: 20,
            precision: Precision::Fp32,
        };
        let err = run(&[case], 1, "cpu", 0).expect_err("nothing to measure");
        assert!(err.to_string().starts_with("--epochs"), "{err}");
    }
}
