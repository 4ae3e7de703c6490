//! `runner bench`: training and evaluation throughput of every variant
//! (BENCHMARKS.md), each measurement in its own process.

use clap::Args;

use super::train::PrecisionArg;
use super::DeviceArg;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Batch sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "20,64")]
    pub batch_sizes: Vec<usize>,
    /// Variants to measure (default: all five).
    #[arg(long, value_delimiter = ',')]
    pub variants: Vec<atner::config::Variant>,
    /// NER data: weibo, sighan (SighanNER rows use d_h 140, as its experiment).
    #[arg(long, value_delimiter = ',', default_value = "weibo")]
    pub data: Vec<String>,
    /// Arithmetic to measure (default: fp32, and bf16 where the CPU runs it natively).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub precisions: Vec<PrecisionArg>,
    /// libtorch threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// cpu, cuda or auto.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// Epochs to train; the last one is measured (the first pays one-off
    /// costs: oneDNN compiles a kernel for every new shape it meets).
    #[arg(long, default_value_t = 2)]
    pub epochs: usize,
}

/// One measurement, in its own process.
#[derive(Debug, Args)]
pub struct BenchOneArgs {
    /// A `bench::Case` as JSON.
    pub case: String,
    #[arg(long)]
    pub threads: usize,
    #[arg(long, value_enum)]
    pub device: DeviceArg,
    #[arg(long)]
    pub epochs: usize,
}

pub fn run_one(args: &BenchOneArgs) -> anyhow::Result<()> {
    crate::bench::one(
        &serde_json::from_str(&args.case)?,
        args.threads,
        args.device.name(),
        args.epochs,
    )
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let variants: &[atner::config::Variant] = match args.variants.as_slice() {
        [] => &atner::config::Variant::ALL,
        chosen => chosen,
    };
    let precisions: Vec<_> = match args.precisions.as_slice() {
        [] => crate::bench::native_precisions(args.device.device()?),
        chosen => chosen.iter().map(|p| p.precision()).collect(),
    };
    let cases = crate::bench::cases(&args.data, variants, &args.batch_sizes, &precisions)?;
    let threads = args.threads.unwrap_or(cores);
    let all = crate::bench::run(&cases, threads, args.device.name(), args.epochs)?;
    println!("{}", crate::bench::HEADER);
    for m in &all {
        println!("{}", crate::bench::row(m));
    }
    Ok(())
}
