//! `runner fingerprint`: this binary's numerical fingerprint of the model
//! code (atner's `fingerprint`), with the machine that computed it: the
//! figure to compare between CPUs, or before and after a change to the model.

use std::path::PathBuf;

use atner::fingerprint::Fingerprint;

#[derive(Debug, clap::Args)]
pub struct FingerprintArgs {
    /// libtorch threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Write the fingerprint and machine as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Compare with a fingerprint written by `--json` (here or elsewhere).
    #[arg(long)]
    pub against: Option<PathBuf>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Written {
    machine: crate::machine::Machine,
    digest: String,
    fingerprint: Fingerprint,
}

pub fn run(args: &FingerprintArgs) -> anyhow::Result<()> {
    tch::set_num_threads(args.threads as i32);
    let started = std::time::Instant::now();
    let fingerprint = Fingerprint::compute(tch::Device::Cpu, |_| true);
    let seconds = started.elapsed().as_secs_f64();
    let machine = crate::machine::Machine::here(args.threads, "cpu");
    println!(
        "fingerprint {} ({} entries, {seconds:.1} s) on {}",
        fingerprint.digest(),
        fingerprint.entries.len(),
        machine.label()
    );
    if let Some(path) = &args.against {
        let other: Written = crate::store::read_json(path)?;
        let differences = other.fingerprint.differences(&fingerprint, |_| true);
        let largest = largest_relative(&other.fingerprint, &fingerprint);
        println!(
            "against {} ({}): {} entries differ beyond tolerance; largest relative difference {largest:.2e}",
            path.display(),
            other.machine.label(),
            differences.len()
        );
        for d in &differences {
            println!("  {d}");
        }
    }
    if let Some(path) = &args.json {
        let digest = fingerprint.digest();
        crate::store::write_json(
            path,
            &Written {
                machine,
                digest,
                fingerprint,
            },
        )?;
    }
    Ok(())
}

/// The largest |a − b| / max(|a|, |b|) over the entries both have.
fn largest_relative(a: &Fingerprint, b: &Fingerprint) -> f64 {
    a.entries
        .iter()
        .filter_map(|(k, &x)| {
            let &y = b.entries.get(k)?;
            let scale = x.abs().max(y.abs());
            Some(if scale == 0.0 {
                0.0
            } else {
                (x - y).abs() / scale
            })
        })
        .fold(0.0, f64::max)
}
