//! `runner probe RUN…`: does adversarial training remove task information
//! from the shared space? (`atner::probe`).
//!
//! For each finished run with a shared BiLSTM and its best-dev weights (a
//! local store; committed runs carry no weights), the frozen encoder pools
//! `--sentences` NER and as many CWS training sentences, drawn by `--seed`;
//! a fresh linear probe is fitted on half of each and scored on the other
//! half. Each run's held-out accuracy gets a 95% Wilson interval; runs of
//! the same variant and λ, one per seed, get a mean ± sd and a t interval
//! over seeds (the seed is the unit, as everywhere here). Each run's score
//! is also written to `probe.json` in its directory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use tch::{Device, Kind, Tensor};

use super::predict::Tagger;
use crate::plan::PlannedRun;
use crate::store::{read_json, write_json, ProbeRecord, PROBE};

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// Finished run directories (`<store>/runs/<id>`) with their weights.
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Sentences drawn from each corpus (half fit the probe, half score it).
    #[arg(long, default_value_t = 1000)]
    pub sentences: usize,
    /// Seed of the draw and of the probe's initial weights.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: &ProbeArgs) -> anyhow::Result<()> {
    if args.sentences < 4 {
        bail!(
            "--sentences {}: at least 4 (half fit, half score)",
            args.sentences
        );
    }
    tch::set_num_threads(1);
    let mut records = Vec::new();
    for dir in &args.runs {
        let record = probe_run(dir, args).with_context(|| format!("probing {}", dir.display()))?;
        println!(
            "{}  {} λ={} seed {}: {}/{} = {:.3} [{:.3}, {:.3}]",
            dir.display(),
            record.variant,
            record.lambda.map_or("–".into(), |l| l.to_string()),
            record.seed,
            record.correct,
            record.total,
            record.accuracy,
            record.low,
            record.high
        );
        write_json(&dir.join(PROBE), &record)?;
        records.push(record);
    }
    print!("{}", summary(&records));
    Ok(())
}

/// Probes one run.
fn probe_run(dir: &std::path::Path, args: &ProbeArgs) -> anyhow::Result<ProbeRecord> {
    let planned: PlannedRun = read_json(&dir.join("config.json"))?;
    let config = &planned.config;
    if config.model.transfer.is_none() {
        bail!("variant {:?} has no shared BiLSTM to probe", config.variant);
    }
    let tagger = Tagger::load(dir, Device::Cpu)?;
    let ner = config
        .data
        .ner
        .files()?
        .ner_splits(config.data.mode, config.data.split_seed)?;
    let cws = crate::execute::prepare::cws_sentences(&config.data, true, &mut Vec::new())?;
    let (ner, cws) = (draw(ner.train.sentences, args, 0), draw(cws, args, 1));
    let n = ner.len().min(cws.len()) / 2 * 2;
    if n < 4 {
        bail!("too few sentences to probe ({n})");
    }
    let pooled = |s: &[Vec<String>]| {
        tagger
            .pooled_shared(s)
            .context("the run has no shared features")
    };
    let (ner, cws) = (pooled(&ner[..n])?, pooled(&cws[..n])?);
    let half = (n / 2) as i64;
    let fit = Tensor::cat(&[ner.narrow(0, 0, half), cws.narrow(0, 0, half)], 0);
    let held = Tensor::cat(&[ner.narrow(0, half, half), cws.narrow(0, half, half)], 0);
    let score = atner::probe::fit_and_score(
        (&fit, &labels(half)),
        (&held, &labels(half)),
        args.seed as i64,
    )?;
    let (low, high) = crate::stats::proportion::wilson(score.correct, score.total)
        .context("an empty held-out set")?;
    Ok(ProbeRecord {
        variant: config.variant.clone(),
        lambda: config.model.lambda(),
        seed: config.train.seed,
        sentences: n,
        probe_seed: args.seed,
        correct: score.correct,
        total: score.total,
        accuracy: score.accuracy(),
        low,
        high,
    })
}

/// `--sentences` non-empty sentences of a corpus, drawn by `--seed` (`salt`
/// keeps the two corpora's draws apart).
fn draw(sentences: Vec<atner::data::Sentence>, args: &ProbeArgs, salt: u64) -> Vec<Vec<String>> {
    let mut tokens: Vec<Vec<String>> = sentences
        .into_iter()
        .map(|s| s.tokens)
        .filter(|t| !t.is_empty())
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed * 2 + salt);
    tokens.shuffle(&mut rng);
    tokens.truncate(args.sentences);
    tokens
}

/// `k` NER labels (0) then `k` CWS labels (1).
fn labels(k: i64) -> Tensor {
    let cpu = (Kind::Int64, Device::Cpu);
    Tensor::cat(&[Tensor::zeros([k], cpu), Tensor::ones([k], cpu)], 0)
}

/// Per variant and λ: mean ± sd over seeds and the t interval of the mean.
fn summary(records: &[ProbeRecord]) -> String {
    let mut groups: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for r in records {
        let lambda = r.lambda.map_or("–".into(), |l| l.to_string());
        groups
            .entry((r.variant.clone(), lambda))
            .or_default()
            .push(r.accuracy);
    }
    let mut out = String::from("\nvariant  λ  seeds  accuracy mean ± sd  95% t interval\n");
    for ((variant, lambda), values) in groups {
        let line = match crate::stats::estimate(&values) {
            Some(e) => format!(
                "{variant}  {lambda}  {}  {:.3} ± {:.3}  [{:.3}, {:.3}]\n",
                e.n, e.mean, e.sd, e.low, e.high
            ),
            None => format!(
                "{variant}  {lambda}  1  {:.3}  (an interval needs two seeds)\n",
                values[0]
            ),
        };
        out.push_str(&line);
    }
    out
}
