//! `runner migrate RESULTS…`: moves stores to today's run ids in place,
//! without training (see `store::migrate`).

use std::path::PathBuf;

use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// Results directories, or experiment names (`results/<name>`).
    #[arg(required = true)]
    pub results: Vec<String>,
    /// Also record what this experiment file asks its report for (its
    /// tables and comparisons), as a sweep of it would; for stores made
    /// before experiments could say. Its name must be the store's.
    #[arg(long, value_name = "EXPERIMENT.toml")]
    pub experiment: Option<PathBuf>,
}

pub fn run(args: &MigrateArgs) -> anyhow::Result<()> {
    // One thread: the fingerprint a run is stamped with does not depend on
    // how many cores this machine has.
    tch::set_num_threads(1);
    for name in &args.results {
        let root: PathBuf = crate::report::source::resolve(name)?;
        let store = Store::at(&root)?;
        let read = super::sweep::Read::default();
        let sums = |c: &crate::plan::RunConfig| {
            super::sweep::data_checksums(&c.data, c.model.transfer.is_some(), &read)
        };
        let fingerprint =
            |c: &crate::plan::RunConfig| crate::execute::guard::for_run(c, tch::Device::Cpu);
        if let Some(file) = &args.experiment {
            record_asks(&store, file)?;
        }
        let done = store.migrate(sums, fingerprint)?;
        println!(
            "{}: {} run(s) moved to today's ids, {} already there, {} superseded by a longer run of the same trajectory",
            root.display(),
            done.moved.len(),
            done.kept,
            done.superseded.len()
        );
    }
    Ok(())
}

/// Records `file`'s asks in `store`, which must be of the same experiment.
fn record_asks(store: &Store, file: &std::path::Path) -> anyhow::Result<()> {
    let spec = crate::spec::ExperimentSpec::load(file)?;
    let experiment = store.experiment()?;
    if spec.name != experiment {
        anyhow::bail!(
            "--experiment {}: experiment {:?}, but {} holds {experiment:?}",
            file.display(),
            spec.name,
            store.root.display()
        );
    }
    let options = crate::plan::PlanOptions::default();
    let explained = crate::explain::explain(&spec, file, &options)?;
    store.record_asks(&super::sweep::asks(&spec, &explained))
}
