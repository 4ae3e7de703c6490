//! `runner status <results>`: where every run of a store stands — done,
//! running, queued, failed (with the Slurm task's state, exit code and the
//! tail of its log), interrupted (a checkpoint to resume from) or not started.

use std::collections::BTreeMap;

use crate::execute::backend::Backend;
pub use crate::execute::state::{statuses, RunState, RunStatus};
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// A results directory, or an experiment name (`results/<name>`).
    pub results: String,
}

/// Prints the status table and a summary line.
pub fn print(statuses: &[RunStatus]) {
    let width = super::sweep::variant_width(statuses.iter().map(|s| s.run.config.variant.as_str()));
    println!(
        "{:<16} {:<width$} {:<22} {:<12} detail",
        "run", "variant", "cell", "state"
    );
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in statuses {
        *counts.entry(s.state.label()).or_default() += 1;
        let cell: Vec<String> = s.run.cell.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let detail = match &s.state {
            RunState::Corrupt(why) => why.clone(),
            RunState::Queued { job } => format!("Slurm task {job}"),
            RunState::Failed { reason, .. } => reason.clone(),
            RunState::Interrupted { epochs } => format!("checkpoint after epoch {epochs}"),
            RunState::Running {
                epochs: Some(epochs),
            } => format!("epoch {epochs} of at most {}", s.run.config.train.epochs),
            _ => String::new(),
        };
        println!(
            "{:<16} {:<width$} {:<22} {:<12} {}",
            s.run.id,
            s.run.config.variant,
            cell.join(" "),
            s.state.label(),
            detail
        );
        if let RunState::Failed { log_tail, .. } = &s.state {
            for line in log_tail {
                println!("    | {line}");
            }
        }
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!("{} runs: {}", statuses.len(), summary.join(", "));
}

/// `runner status`.
pub fn run(results: &str) -> anyhow::Result<()> {
    let root = crate::report::source::resolve(results)?;
    let store = Store::at(&root)?;
    let observers = crate::execute::observers();
    let observers: Vec<&dyn Backend> = observers.iter().map(AsRef::as_ref).collect();
    print(&statuses(&store, true, &observers)?);
    Ok(())
}
