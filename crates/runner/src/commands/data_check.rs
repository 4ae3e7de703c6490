//! `runner data check`: an experiment's data, read as its runs will read it
//! (every distinct NER corpus, CWS corpus and vectors of its plan), or data
//! files given by path; statistics, or the first problem with file and line.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::bail;
use atner::data::conll::{read_conll, TagScheme};
use atner::data::Corpus;

use super::sweep::validated_plan;
use crate::dataset::check::{check_files, coverage_line, CorpusStats};
use crate::dataset::{Format, Split};
use crate::plan::{DataConfig, PlanOptions};
use crate::spec::ExperimentSpec;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// An experiment file (`.toml`), or data files read with --format.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// How the files are written: conll, msra, weibo-original, weibo-updated,
    /// words, word2vec, word2vec-binary or glove.
    #[arg(long, default_value = "conll", value_parser = parse_format)]
    pub format: Format,
    /// Tag scheme of conll files: auto, bio, iob1, bioes or bmes.
    #[arg(long, default_value = "auto", value_parser = parse_scheme)]
    pub scheme: TagScheme,
}

pub fn parse_format(text: &str) -> Result<Format, String> {
    serde_json::from_value(serde_json::Value::String(text.into())).map_err(|e| e.to_string())
}

fn parse_scheme(text: &str) -> Result<TagScheme, String> {
    serde_json::from_value(serde_json::Value::String(text.into())).map_err(|e| e.to_string())
}

pub fn run(args: &CheckArgs) -> anyhow::Result<()> {
    let is_experiment = |p: &Path| p.extension().is_some_and(|e| e == "toml");
    let report = match &args.inputs[..] {
        [one] if is_experiment(one) => check_experiment(one)?,
        inputs if inputs.iter().any(|p| is_experiment(p)) => {
            bail!("give one experiment file, or data files (not both)")
        }
        _ => check_files(&args.inputs, args.format, args.scheme)?,
    };
    print!("{report}");
    Ok(())
}

/// Plans the experiment (which reads and checks every file) and describes
/// each distinct data configuration of its runs.
fn check_experiment(path: &Path) -> anyhow::Result<String> {
    let spec = ExperimentSpec::load(path)?;
    let runs = validated_plan(&spec, &PlanOptions::default(), path)?;
    let mut seen = BTreeSet::new();
    let mut report = String::new();
    for run in &runs {
        let transfer = run.config.model.transfer.is_some();
        let mut data = run.config.data.clone();
        if !transfer {
            data.cws = None;
        }
        if seen.insert(serde_json::to_string(&data)?) {
            report.push_str(&describe(&data)?);
        }
    }
    Ok(report)
}

/// Table-1 style statistics of one data configuration.
fn describe(data: &DataConfig) -> anyhow::Result<String> {
    let ner = data.ner.files()?;
    let mut text = format!("NER {} ({})\n", data.ner.label(), ner.format);
    let splits = ner.ner_splits(data.mode, data.split_seed)?;
    for (split, corpus) in [
        ("train", &splits.train),
        ("dev", &splits.dev),
        ("test", &splits.test),
    ] {
        text.push_str(&CorpusStats::of(corpus).line(split));
    }
    if let Some(n) = data.max_sentences {
        let _ = writeln!(
            text,
            "  (data.max_sentences = {n}: runs read the first {n} sentences of each split)"
        );
    }
    if !ner.files.contains_key(&Split::Dev) {
        let _ = writeln!(
            text,
            "  dev: sampled from train with split seed {}",
            data.split_seed
        );
    }
    if ner.format == Format::Conll {
        let (_, scheme) = read_conll(ner.path(Split::Train)?, ner.scheme)?;
        let _ = writeln!(text, "  tag scheme: {}, read as BIO", scheme.name());
    }
    let mut training: Vec<Corpus> = vec![splits.train];
    if let Some(cws) = &data.cws {
        let files = cws.files()?;
        let corpus = files.read(Split::Train, data.mode)?;
        let _ = write!(
            text,
            "CWS {} ({})\n{}",
            cws.label(),
            files.format,
            CorpusStats::of(&corpus).line("train")
        );
        training.push(corpus);
    }
    if let Some(embeddings) = &data.embeddings {
        let files = embeddings.files()?;
        let vectors = files.embeddings()?;
        let _ = writeln!(
            text,
            "vectors {} ({}): {} of dimension {}",
            embeddings.label(),
            files.format,
            vectors.len(),
            vectors.dim()
        );
        text.push_str(&coverage_line(
            &training.iter().collect::<Vec<_>>(),
            &vectors,
        ));
    }
    Ok(text)
}
