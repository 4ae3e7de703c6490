//! `runner collect FROM INTO`: a store's finished runs, without weights, into
//! another (e.g. the repository's `results/<experiment>`).

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    /// The store the runs were trained in.
    pub from: PathBuf,
    /// The store to copy them into (created if missing).
    pub into: PathBuf,
    /// Only the runs of these seeds (e.g. `--seeds 1,2`: seeds every
    /// variant has finished, so that no paired comparison mixes studies).
    #[arg(long, value_delimiter = ',')]
    pub seeds: Vec<u64>,
}
