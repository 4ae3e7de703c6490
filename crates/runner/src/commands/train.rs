//! `runner train`: one configuration, trained in the foreground with a progress
//! bar, its final dev and test P/R/F1 printed.

use clap::Args;

use crate::execute::{train_run, Event};
use crate::plan::{DataConfig, RunConfig};
use crate::progress;

/// One run from the command line; every other setting via `--set key=value`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// baseline, transfer, adversarial, self-attention or full.
    #[arg(long, default_value = "full")]
    pub variant: atner::config::Variant,
    /// NER dataset: weibo, weibo-updated or sighan.
    #[arg(long, default_value = "weibo")]
    pub ner: String,
    /// WeiboNER mentions: named or all.
    #[arg(long, default_value = "named")]
    pub mode: String,
    /// Auxiliary CWS corpus for transfer variants (ctb6, nlpcc2016, msr).
    #[arg(long, default_value = "ctb6")]
    pub cws: String,
    /// Pre-trained character vectors, or `none`.
    #[arg(long, default_value = "char-vec-50")]
    pub embeddings: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Any setting by its dotted path, e.g. `train.epochs=5`, `lambda=0.1`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// cpu, cuda or auto.
    #[arg(long, value_enum, default_value_t = super::DeviceArg::Cpu)]
    pub device: super::DeviceArg,
    /// libtorch threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Arithmetic: fp32, or bf16 mixed precision (fp32 weights, optimiser and CRF).
    #[arg(long, value_enum, default_value = "fp32")]
    pub precision: PrecisionArg,
}

/// `--precision`: the values of `train.precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrecisionArg {
    Fp32,
    Bf16,
}

impl PrecisionArg {
    pub fn precision(self) -> atner::precision::Precision {
        match self {
            PrecisionArg::Fp32 => atner::precision::Precision::Fp32,
            PrecisionArg::Bf16 => atner::precision::Precision::Bf16,
        }
    }

    /// The `--set` assignment this flag stands for.
    pub fn assignment(self) -> (String, serde_json::Value) {
        let name = self.precision().name();
        (
            "train.precision".into(),
            serde_json::Value::String(name.into()),
        )
    }
}

impl TrainArgs {
    /// The run configuration these flags describe.
    pub fn run_config(&self) -> anyhow::Result<RunConfig> {
        let model = self.variant.model_config();
        let train = atner::config::TrainConfig {
            seed: self.seed,
            precision: self.precision.precision(),
            ..Default::default()
        };
        let mode = serde_json::from_value(serde_json::Value::String(self.mode.clone()))
            .map_err(|_| anyhow::anyhow!("--mode {:?}: expected named or all", self.mode))?;
        fn none<F>(name: &str) -> Option<crate::dataset::Source<F>> {
            (name != "none").then(|| name.into())
        }
        let mut cfg = RunConfig {
            variant: self.variant.name().to_string(),
            data: DataConfig {
                ner: self.ner.as_str().into(),
                mode,
                cws: none(&self.cws),
                embeddings: none(&self.embeddings),
                ..Default::default()
            },
            model,
            train,
        };
        cfg = crate::plan::with_dataset_defaults(cfg)?;
        let mut set = Vec::new();
        for assignment in &self.set {
            let (key, value) = crate::overrides::parse_assignment(assignment)?;
            cfg = crate::plan::apply_setting(&cfg, &key, value.clone())?;
            set.push((key, value));
        }
        cfg.data.resolve_paths(&std::env::current_dir()?);
        crate::validate::check(&cfg, &set, None)?;
        Ok(cfg)
    }
}

pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let cfg = args.run_config()?;
    let device = args.device.device()?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    tch::set_num_threads(threads as i32);
    eprintln!(
        "training {} on {} ({} threads): {}",
        cfg.variant,
        cfg.data.ner.label(),
        threads,
        serde_json::to_string(&cfg)?
    );
    let bar = progress::bar(cfg.train.epochs as u64, "epochs");
    bar.set_prefix(cfg.variant.clone());
    let outcome = train_run(&cfg, device, None, |event| {
        if let Event::Epoch(r) = event {
            bar.inc(1);
            progress::event(&bar, &epoch_line(r));
        }
    })?;
    bar.finish_and_clear();
    let best = outcome
        .state
        .best()
        .ok_or_else(|| anyhow::anyhow!("no epoch was trained"))?;
    println!(
        "best epoch {} of {} ({:.0} s)",
        best.epoch,
        outcome.state.records.len(),
        outcome.wall_seconds
    );
    for (name, scores) in [("dev", &best.dev), ("test", &best.test)] {
        let o = &scores.overall;
        println!(
            "{name:>5}: P {:.2}  R {:.2}  F1 {:.2}",
            o.precision(),
            o.recall(),
            o.f1()
        );
    }
    Ok(())
}

/// One epoch in a line: losses, dev/test F1, throughput.
pub fn epoch_line(r: &atner::train::EpochRecord) -> String {
    let adv = r
        .adversarial_loss
        .map_or(String::new(), |a| format!(" adv {a:.3}"));
    format!(
        "epoch {:>2}: ner loss {:.3}{} dev F1 {:.2} test F1 {:.2} ({:.0} chars/s)",
        r.epoch,
        r.ner_loss,
        adv,
        r.dev.overall.f1(),
        r.test.overall.f1(),
        r.chars_per_second()
    )
}
