//! What can go wrong finding, fetching or reading a dataset; every variant
//! names the file, dataset or address it is about.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("no data/datasets.toml in {start} or any parent directory: run inside the workspace")]
    NoWorkspace { start: PathBuf },
    #[error("unknown dataset `{name}` (known: {known})")]
    UnknownDataset { name: String, known: String },
    #[error("{file}: sha256 mismatch: expected {expected}, got {actual}; the file was not cached")]
    Checksum {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("{file}: not in the mirror {mirror}")]
    MissingInMirror { file: String, mirror: PathBuf },
    #[error("{file}: not available from the mirror. {provide}")]
    NotInMirror { file: String, provide: String },
    #[error("{file}: no mirror (set --mirror or $ATNER_DATA_MIRROR) and no download address")]
    NoSource { file: String },
    #[error("{url}: download failed: {source}{hint}")]
    Download {
        url: String,
        source: Box<ureq::Error>,
        /// Empty, or how to provide the file by hand, with a leading space.
        hint: String,
    },
    #[error("dataset `{name}` is {format}, not {wanted}")]
    WrongFormat {
        name: String,
        format: String,
        wanted: &'static str,
    },
    #[error("dataset `{name}` has no {split} file")]
    NoSplit { name: String, split: String },
    #[error(transparent)]
    Data(#[from] atner::data::DataError),
}

impl DatasetError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
