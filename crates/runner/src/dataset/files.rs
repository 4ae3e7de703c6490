//! A dataset's cached files by split, and reading them with the right
//! `atner::data` reader. This is what `runner train` and `runner sweep` call:
//! a missing file is fetched on demand, so no manual `runner data fetch` is
//! needed first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use atner::data::conll::TagScheme;
use atner::data::{self, Corpus, Embeddings, VectorFormat, WeiboMode, WeiboRelease};

use super::fetch::fetch_file;
use super::locations::Locations;
use super::manifest::{Format, Manifest, Split, Task};
use super::DatasetError;

/// The cached files of one dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetFiles {
    pub name: String,
    pub task: Task,
    pub format: Format,
    /// Share of train to sample as dev when the dataset has no dev file.
    pub dev_fraction: Option<f64>,
    /// The tag scheme of a `conll` corpus.
    pub scheme: TagScheme,
    pub files: BTreeMap<Split, PathBuf>,
}

/// NER train/dev/test, the dev part sampled from train when there is no dev file.
#[derive(Debug, Clone)]
pub struct NerSplits {
    pub train: Corpus,
    pub dev: Corpus,
    pub test: Corpus,
}

/// The cached files of dataset `name`, fetching missing ones from the mirror
/// (or the source address); locations come from the current directory and
/// the environment.
pub fn dataset_files(name: &str) -> Result<DatasetFiles, DatasetError> {
    let locations = Locations::discover(None)?;
    let manifest = Manifest::load(&locations.manifest)?;
    resolve(&manifest, &locations, name)
}

/// [`dataset_files`] with explicit manifest and locations.
pub fn resolve(
    manifest: &Manifest,
    locations: &Locations,
    name: &str,
) -> Result<DatasetFiles, DatasetError> {
    let dataset = manifest.dataset(name)?;
    let mut files = BTreeMap::new();
    for file in &dataset.files {
        files.insert(file.split, fetch_file(file, locations, false)?.path);
    }
    Ok(DatasetFiles {
        name: dataset.name.clone(),
        task: dataset.task,
        format: dataset.format,
        dev_fraction: dataset.dev_fraction,
        scheme: TagScheme::Auto,
        files,
    })
}

impl DatasetFiles {
    /// The file of `split`.
    pub fn path(&self, split: Split) -> Result<&Path, DatasetError> {
        self.files
            .get(&split)
            .map(PathBuf::as_path)
            .ok_or_else(|| DatasetError::NoSplit {
                name: self.name.clone(),
                split: split.to_string(),
            })
    }

    /// Reads the corpus of `split`; `mode` matters for WeiboNER only.
    pub fn read(&self, split: Split, mode: WeiboMode) -> Result<Corpus, DatasetError> {
        read_corpus(self.format, self.path(split)?, mode, self.scheme)
            .ok_or_else(|| self.wrong_format("a corpus"))?
    }

    /// NER train/dev/test. Without a dev file, `dev_fraction` of train chosen
    /// by `split_seed` becomes dev (SighanNER: 46,364 → 41,728 + 4,636).
    pub fn ner_splits(&self, mode: WeiboMode, split_seed: u64) -> Result<NerSplits, DatasetError> {
        if self.task != Task::Ner {
            return Err(self.wrong_format("an NER corpus"));
        }
        let train = self.read(Split::Train, mode)?;
        let test = self.read(Split::Test, mode)?;
        if self.files.contains_key(&Split::Dev) {
            let dev = self.read(Split::Dev, mode)?;
            return Ok(NerSplits { train, dev, test });
        }
        let fraction = self.dev_fraction.unwrap_or(data::sighan::DEV_FRACTION);
        let (train_part, dev_part) = data::dev_split(train.sentences, fraction, split_seed);
        let train = Corpus {
            sentences: train_part,
            repairs: train.repairs,
        };
        let dev = Corpus {
            sentences: dev_part,
            repairs: 0,
        };
        Ok(NerSplits { train, dev, test })
    }

    /// The pre-trained vectors of an embeddings dataset.
    pub fn embeddings(&self) -> Result<Embeddings, DatasetError> {
        let format = match self.format {
            Format::Word2vec => VectorFormat::Word2vec,
            Format::Word2vecBinary => VectorFormat::Word2vecBinary,
            Format::Glove => VectorFormat::Glove,
            _ => return Err(self.wrong_format("character vectors")),
        };
        Ok(data::read_vectors(self.path(Split::Vectors)?, format)?)
    }

    fn wrong_format(&self, wanted: &'static str) -> DatasetError {
        DatasetError::WrongFormat {
            name: self.name.clone(),
            format: format!("{:?}", self.format),
            wanted,
        }
    }
}

/// Reads a corpus file with the reader of `format` (`mode` for WeiboNER,
/// `scheme` for `conll`); `None` for vectors.
pub fn read_corpus(
    format: Format,
    path: &Path,
    mode: WeiboMode,
    scheme: TagScheme,
) -> Option<Result<Corpus, DatasetError>> {
    let corpus = match format {
        Format::WeiboOriginal => data::read_weibo(path, WeiboRelease::Original, mode),
        Format::WeiboUpdated => data::read_weibo(path, WeiboRelease::Updated, mode),
        Format::Sighan => data::read_sighan(path),
        Format::Conll => data::conll::read_conll(path, scheme).map(|(corpus, _)| corpus),
        Format::Segmented => data::read_cws(path),
        Format::Word2vec | Format::Word2vecBinary | Format::Glove => return None,
    };
    Some(corpus.map_err(DatasetError::from))
}
