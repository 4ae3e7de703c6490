//! The dataset manifest, `data/datasets.toml`: what each third-party corpus
//! is, where it comes from, the sha256 of every file and the counts it must
//! reproduce (paper Table 1, data README). No data file is committed; the
//! manifest is the only record of what a run was trained on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::DatasetError;

/// Where the manifest lives, relative to the workspace root.
pub const MANIFEST_PATH: &str = "data/datasets.toml";

/// The whole manifest: one entry per dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "dataset")]
    pub datasets: Vec<Dataset>,
}

/// One corpus or embedding file set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    pub name: String,
    pub task: Task,
    pub format: Format,
    pub citation: String,
    /// The public repository the files were taken from.
    pub source: String,
    /// Share of the training file to sample as dev when the corpus has no dev set.
    pub dev_fraction: Option<f64>,
    /// How this dataset relates to the paper's (a substitute, a different split).
    pub note: Option<String>,
    /// The paper's counts for the corpus this one stands for (Table 1).
    pub paper: Option<PaperCounts>,
    #[serde(rename = "file")]
    pub files: Vec<FileEntry>,
    /// Settings a run on this corpus takes unless told otherwise, as `--set`
    /// assignments (SighanNER: the released code's d_h 140 and batch 64);
    /// `runner train` and `runner bench` apply them, experiment files state
    /// their own.
    #[serde(default)]
    pub defaults: std::collections::BTreeMap<String, toml::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Ner,
    Cws,
    Embeddings,
}

/// How a file is read, which picks the `atner::data` reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// WeiboNER's 2015 release (`TOKEN<TAB>TAG`, CESU-8 emoji repaired).
    WeiboOriginal,
    /// WeiboNER's 2017 release (the character's position in its word stripped).
    WeiboUpdated,
    /// The MSRA slash format of SighanNER (`TEXT/nr TEXT/o …`).
    #[serde(alias = "msra")]
    Sighan,
    /// Any two-column NER corpus, tags in BIO, IOB1, BIOES or BMES.
    Conll,
    /// Segmented text, words separated by spaces (CWS).
    #[serde(alias = "words")]
    Segmented,
    /// word2vec text vectors, with or without a header line.
    Word2vec,
    /// word2vec binary vectors.
    Word2vecBinary,
    /// GloVe text vectors (no header).
    Glove,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Format::WeiboOriginal => "weibo-original",
            Format::WeiboUpdated => "weibo-updated",
            Format::Sighan => "msra",
            Format::Conll => "conll",
            Format::Segmented => "words",
            Format::Word2vec => "word2vec",
            Format::Word2vecBinary => "word2vec-binary",
            Format::Glove => "glove",
        };
        f.write_str(name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Dev,
    Test,
    Vectors,
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Split::Train => "train",
            Split::Dev => "dev",
            Split::Test => "test",
            Split::Vectors => "vectors",
        };
        f.write_str(name)
    }
}

/// The paper's Table 1 numbers for the corpus a dataset stands for.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PaperCounts {
    /// The paper's corpus, when this dataset is a substitute for it.
    pub corpus: String,
    pub train: Option<usize>,
    pub dev: Option<usize>,
    pub test: Option<usize>,
    pub dim: Option<usize>,
}

impl PaperCounts {
    /// The paper's sentence count for `split`.
    pub fn sentences(&self, split: Split) -> Option<usize> {
        match split {
            Split::Train => self.train,
            Split::Dev => self.dev,
            Split::Test => self.test,
            Split::Vectors => None,
        }
    }
}

/// One file of a dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path in the mirror and in the cache, e.g. `weibo/weiboNER.conll.train`.
    pub path: String,
    pub split: Split,
    /// sha256 of the stored file; absent for a file the user must provide.
    pub sha256: Option<String>,
    /// Whether the mirror has this file.
    #[serde(default = "yes")]
    pub in_mirror: bool,
    /// Raw download address of the original file.
    pub url: Option<String>,
    /// sha256 of what `url` serves, when it differs from the stored file
    /// (the mirror keeps some files xz-compressed; the download is the raw file).
    pub url_sha256: Option<String>,
    /// How a user can provide a file the mirror lacks.
    pub provide: Option<String>,
    /// What reading the file must give.
    #[serde(default)]
    pub counts: Counts,
}

fn yes() -> bool {
    true
}

impl FileEntry {
    /// Cache path of a download, which is never compressed.
    pub fn download_path(&self) -> &str {
        match self.url_sha256 {
            Some(_) => self.path.strip_suffix(".xz").unwrap_or(&self.path),
            None => &self.path,
        }
    }

    /// The checksum a download must have.
    pub fn download_sha256(&self) -> Option<&str> {
        self.url_sha256.as_deref().or(self.sha256.as_deref())
    }
}

/// Expected counts; an absent field is not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentences: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub characters: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repairs: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vectors: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dim: Option<usize>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub entities: BTreeMap<String, usize>,
}

impl Manifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self, DatasetError> {
        let text = std::fs::read_to_string(path).map_err(|e| DatasetError::io(path, e))?;
        let manifest: Manifest = toml::from_str(&text).map_err(|e| DatasetError::Manifest {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        manifest.validate(path)?;
        Ok(manifest)
    }

    /// The dataset called `name`.
    pub fn dataset(&self, name: &str) -> Result<&Dataset, DatasetError> {
        self.datasets
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| DatasetError::UnknownDataset {
                name: name.to_string(),
                known: self.names().join(", "),
            })
    }

    pub fn names(&self) -> Vec<&str> {
        self.datasets.iter().map(|d| d.name.as_str()).collect()
    }

    fn validate(&self, path: &Path) -> Result<(), DatasetError> {
        let invalid = |message: String| DatasetError::Manifest {
            path: path.to_path_buf(),
            message,
        };
        let mut names = std::collections::BTreeSet::new();
        for dataset in &self.datasets {
            if !names.insert(&dataset.name) {
                return Err(invalid(format!(
                    "dataset `{}` is listed twice",
                    dataset.name
                )));
            }
            for file in &dataset.files {
                check_relative(&file.path).map_err(&invalid)?;
                let hashes = [&file.sha256, &file.url_sha256];
                for hash in hashes.into_iter().flatten() {
                    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(invalid(format!("{}: `{hash}` is not a sha256", file.path)));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A manifest path must stay inside the cache and the mirror.
fn check_relative(path: &str) -> Result<(), String> {
    let p = PathBuf::from(path);
    let inside = p
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if path.is_empty() || !inside {
        return Err(format!("file path `{path}` must be relative, without `..`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = r#"
[[dataset]]
name = "tiny"
task = "ner"
format = "sighan"
citation = "Nobody 2024"
source = "https://example.invalid/tiny"
dev_fraction = 0.1
paper = { corpus = "Tiny", train = 9, test = 1 }

[[dataset.file]]
path = "tiny/train.txt"
split = "train"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
counts = { sentences = 10, entities = { PER = 1 } }
"#;

    fn load(text: &str) -> Result<Manifest, DatasetError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("datasets.toml");
        std::fs::write(&path, text).unwrap();
        Manifest::load(&path)
    }

    #[test]
    fn manifest_parses_datasets_and_files() {
        let manifest = load(TINY).unwrap();
        let tiny = manifest.dataset("tiny").unwrap();
        assert_eq!(tiny.files[0].split, Split::Train);
        assert!(tiny.files[0].in_mirror);
        assert_eq!(tiny.files[0].counts.entities["PER"], 1);
        assert_eq!(tiny.paper.as_ref().unwrap().sentences(Split::Test), Some(1));
    }

    #[test]
    fn manifest_rejects_unknown_key_with_file_and_line() {
        let err = load(&TINY.replace("citation", "citatoin")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("datasets.toml") && text.contains("citatoin"),
            "{text}"
        );
    }

    #[test]
    fn manifest_rejects_escaping_path_and_bad_hash() {
        assert!(load(&TINY.replace("tiny/train.txt", "../x")).is_err());
        assert!(load(&TINY.replace("\"000000", "\"zz0000")).is_err());
    }

    #[test]
    fn unknown_dataset_lists_the_known_ones() {
        let err = load(TINY).unwrap().dataset("nope").unwrap_err();
        assert!(err.to_string().contains("known: tiny"), "{err}");
    }

    #[test]
    fn download_of_xz_mirror_file_is_stored_uncompressed() {
        let mut file = load(TINY).unwrap().datasets[0].files[0].clone();
        file.path = "a/train.txt.xz".into();
        assert_eq!(file.download_path(), "a/train.txt.xz");
        file.url_sha256 = Some("ab".repeat(32));
        assert_eq!(file.download_path(), "a/train.txt");
        assert_eq!(file.download_sha256(), file.url_sha256.as_deref());
    }
}
