//! From a run's [`DataConfig`] to encoded tensors-to-be: reads the corpora,
//! builds the vocabulary over every training corpus plus the pre-trained
//! vocabulary, and the initial embedding table.

use anyhow::{bail, Context};
use atner::data::{embedding_matrix, Coverage, Sentence, Vocab};
use atner::encode::{encode, TagSet};
use atner::train::TaskData;

use crate::dataset::fetch::sha256_file;
use crate::dataset::Split;
use crate::plan::DataConfig;
use crate::store::{DataSummary, FileRecord};

/// A run's data, ready for the trainer.
pub struct Prepared {
    pub data: TaskData,
    pub vocab: Vocab,
    /// Row-major `vocab × dim`, from the pre-trained vectors.
    pub embedding: Option<Vec<f32>>,
    pub summary: DataSummary,
}

/// Reads what `cfg` names; the CWS corpus only when `transfer` is on.
pub fn prepare(cfg: &DataConfig, transfer: bool, seed: u64) -> anyhow::Result<Prepared> {
    let ner_files = cfg
        .ner
        .files()
        .with_context(|| format!("NER dataset {:?}", cfg.ner.label()))?;
    let splits = ner_files.ner_splits(cfg.mode, cfg.split_seed)?;
    let mut records = records_of(&ner_files)?;
    let mut cws = cws_sentences(cfg, transfer, &mut records)?;
    let pretrained = match &cfg.embeddings {
        Some(source) => {
            let files = source
                .files()
                .with_context(|| format!("embeddings {:?}", source.label()))?;
            records.extend(records_of(&files)?);
            Some(files.embeddings()?)
        }
        None => None,
    };
    let (mut train, mut dev, mut test) = (
        splits.train.sentences,
        splits.dev.sentences,
        splits.test.sentences,
    );
    // Smoke runs: the first `max_sentences` of every split (after the dev sample).
    if let Some(n) = cfg.max_sentences {
        for split in [&mut train, &mut dev, &mut test, &mut cws] {
            split.truncate(n);
        }
    }
    let vocab = Vocab::build([train.as_slice(), cws.as_slice()], pretrained.as_ref());
    let (embedding, coverage) = match &pretrained {
        Some(p) => {
            let (matrix, coverage) = embedding_matrix(&vocab, p, seed);
            (Some((matrix.values, matrix.dim)), Some(coverage))
        }
        None => (None, None),
    };
    let counts = [train.len(), dev.len(), test.len()];
    let summary = summary(&vocab, counts, cws.len(), coverage.as_ref(), records);
    let dim = embedding.as_ref().map(|e| e.1 as i64);
    let splits = [train.as_slice(), dev.as_slice(), test.as_slice()];
    let data = encoded(&vocab, splits, &cws, dim)?;
    Ok(Prepared {
        data,
        embedding: embedding.map(|e| e.0),
        vocab,
        summary,
    })
}

/// The CWS training sentences a transfer run reads (normalised as the
/// released code does when asked), recording their file; none otherwise.
pub fn cws_sentences(
    cfg: &DataConfig,
    transfer: bool,
    records: &mut Vec<FileRecord>,
) -> anyhow::Result<Vec<Sentence>> {
    let source = match (&cfg.cws, transfer) {
        (Some(source), true) => source,
        (None, true) => bail!("a transfer variant needs a CWS corpus: set data.cws"),
        (_, false) => return Ok(Vec::new()),
    };
    let files = source
        .files()
        .with_context(|| format!("CWS dataset {:?}", source.label()))?;
    records.extend(records_of(&files)?);
    let sentences = files.read(Split::Train, cfg.mode)?.sentences;
    Ok(match cfg.cws_normalise {
        true => sentences
            .iter()
            .map(atner::data::cws::normalise)
            .filter(|s| !s.is_empty())
            .collect(),
        false => sentences,
    })
}

/// The NER splits and the CWS sentences as the trainer's tensors-to-be: the
/// NER tag set is every tag the three splits use.
fn encoded(
    vocab: &Vocab,
    [train, dev, test]: [&[Sentence]; 3],
    cws: &[Sentence],
    embedding_dim: Option<i64>,
) -> anyhow::Result<TaskData> {
    let ner_tags = TagSet::from_tags(
        [train, dev, test]
            .into_iter()
            .flatten()
            .flat_map(|s| s.tags.iter().map(String::as_str)),
    );
    let cws_tags = TagSet::cws();
    let id = |c: &str| vocab.id(c);
    let enc = |s: &[Sentence], tags: &TagSet| encode(s, id, tags).map_err(anyhow::Error::msg);
    Ok(TaskData {
        ner_train: enc(train, &ner_tags)?,
        ner_dev: enc(dev, &ner_tags)?,
        ner_test: enc(test, &ner_tags)?,
        cws_train: enc(cws, &cws_tags)?,
        ner_tags,
        cws_tags,
        vocab_size: vocab.len() as i64,
        embedding_dim: embedding_dim.unwrap_or(DEFAULT_EMBEDDING_DIM),
    })
}

/// d_e without pre-trained vectors: the paper's 100.
const DEFAULT_EMBEDDING_DIM: i64 = 100;

fn summary(
    vocab: &Vocab,
    ner_sentences: [usize; 3],
    cws_sentences: usize,
    coverage: Option<&Coverage>,
    files: Vec<FileRecord>,
) -> DataSummary {
    DataSummary {
        ner_sentences,
        cws_sentences,
        vocab_size: vocab.len(),
        embedding_token_coverage: coverage.map(Coverage::token_share),
        embedding_type_coverage: coverage.map(Coverage::type_share),
        checksums: files.iter().map(|f| f.sha256.clone()).collect(),
        files,
    }
}

/// Path, size and SHA-256 of every file of a dataset, in split order.
pub fn records_of(files: &crate::dataset::DatasetFiles) -> anyhow::Result<Vec<FileRecord>> {
    let record = |path: &std::path::PathBuf| -> anyhow::Result<FileRecord> {
        let bytes = std::fs::metadata(path)
            .with_context(|| format!("reading {}", path.display()))?
            .len();
        Ok(FileRecord {
            path: path.clone(),
            bytes,
            sha256: sha256_file(path)?,
        })
    };
    files.files.values().map(record).collect()
}
