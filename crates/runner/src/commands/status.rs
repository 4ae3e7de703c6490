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

/// How a finished run ended: `patience, 57 epochs (best 37)` or `budget, …`;
/// `more under 200/20` when the plan's stop conditions continue it.
fn ending(store: &Store, s: &RunStatus) -> String {
    let Ok(result) = crate::store::read_json::<crate::store::RunResult>(
        &store.run_dir(&s.run.id).join("result.json"),
    ) else {
        return String::new();
    };
    let by = crate::store::tables::ended_by(&result).map_or("?", |b| b.name());
    let best = result.state.best_epoch.unwrap_or(0);
    let train = &s.run.config.train;
    let more = if store.needs_more(&s.run).unwrap_or(false) {
        format!("; trains on under {}/{}", train.epochs, train.patience)
    } else {
        String::new()
    };
    format!(
        "{by}, {} epochs (best {best}){more}",
        result.state.records.len()
    )
}

/// Prints the status table and a summary line.
pub fn print(store: &Store, statuses: &[RunStatus]) {
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
            RunState::Done => ending(store, s),
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
    print(&store, &statuses(&store, true, &observers)?);
    Ok(())
}
