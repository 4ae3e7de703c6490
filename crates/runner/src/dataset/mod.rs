//! Third-party corpora and embeddings (paper §4.1, Table 1): the manifest
//! `data/datasets.toml`, `runner data fetch` (mirror or download into the
//! git-ignored cache, sha256-verified) and `runner data stats` (Table 1 as
//! measured here); the commands themselves are in `commands::data`.
//!
//! Modules: [`manifest`] (the TOML) → [`locations`] (workspace root, cache,
//! mirror) → [`fetch`] (one file into the cache) → [`files`] (a dataset's
//! cached files by split, read with `atner::data`; what training calls) →
//! [`stats`] and [`table`] (Table 1).

pub mod check;
pub mod error;
pub mod fetch;
pub mod files;
pub mod locations;
pub mod manifest;
pub mod source;
pub mod stats;
pub mod table;

pub use error::DatasetError;
pub use fetch::{fetch_datasets, fetch_file, Fetched, Origin};
pub use files::{dataset_files, resolve, DatasetFiles, NerSplits};
pub use locations::Locations;
pub use manifest::{Format, Manifest, Split, Task};
pub use source::{CwsFiles, NerFiles, Source, VectorFiles};
