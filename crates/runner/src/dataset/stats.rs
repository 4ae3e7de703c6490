//! `runner data stats`: the paper's Table 1 as measured on the files here.
//!
//! For every dataset cached or in the mirror: sentences and characters per
//! split, entities per type (WeiboNER with named and nominal kept apart),
//! words for CWS, CESU-8 repairs, the check against the manifest's counts and
//! the paper's number; for embeddings, their coverage of each training corpus.

use std::collections::BTreeSet;
use std::path::PathBuf;

use atner::data::conll::TagScheme;
use atner::data::{self, Corpus, Coverage, Embeddings, Vocab, WeiboMode};
use serde::Serialize;

use super::fetch::sha256_file;
use super::files::read_corpus;
use super::locations::Locations;
use super::manifest::{Counts, Dataset, FileEntry, Format, Manifest, PaperCounts, Split, Task};
use super::DatasetError;

/// One dataset's block of the table.
#[derive(Debug, Serialize)]
pub struct DatasetStats {
    pub name: String,
    pub task: Task,
    pub citation: String,
    pub note: Option<String>,
    pub paper: Option<PaperCounts>,
    pub rows: Vec<SplitRow>,
    pub missing: Vec<MissingFile>,
    pub coverage: Vec<CoverageRow>,
}

/// One split: a file, or a part sampled from one (SighanNER's train and dev).
#[derive(Debug, Serialize)]
pub struct SplitRow {
    pub split: String,
    /// Manifest path; `None` for a split sampled from the training file.
    pub file: Option<String>,
    pub checksum: Checksum,
    pub measured: Counts,
    /// Where the measured counts differ from the manifest's, one entry a field.
    pub differences: Vec<String>,
    /// The paper's sentence count for this split.
    pub paper: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Checksum {
    Ok,
    Mismatch,
    Unverified,
    Sampled,
}

#[derive(Debug, Serialize)]
pub struct MissingFile {
    pub file: String,
    pub split: Split,
}

/// Coverage of one training corpus by one embedding file.
#[derive(Debug, Serialize)]
pub struct CoverageRow {
    pub corpus: String,
    #[serde(flatten)]
    pub coverage: Coverage,
    pub token_share: f64,
    pub type_share: f64,
}

/// Measures every dataset; `split_seed` picks the sampled dev sets.
pub fn collect(
    manifest: &Manifest,
    locations: &Locations,
    split_seed: u64,
) -> Result<Vec<DatasetStats>, DatasetError> {
    let mut all = Vec::new();
    let mut train_vocabs: Vec<(String, Vocab)> = Vec::new();
    let mut embeddings: Vec<(usize, Embeddings)> = Vec::new();
    for dataset in &manifest.datasets {
        let mut stats = DatasetStats::new(dataset);
        for file in &dataset.files {
            let Some((path, checksum)) = locate(file, locations)? else {
                stats.missing.push(MissingFile {
                    file: file.path.clone(),
                    split: file.split,
                });
                continue;
            };
            match read_corpus(dataset.format, &path, WeiboMode::All, TagScheme::Auto) {
                Some(corpus) => {
                    let corpus = corpus?;
                    if file.split == Split::Train {
                        let vocab = Vocab::build([&corpus.sentences[..]], None);
                        train_vocabs.push((format!("{} {}", dataset.name, file.path), vocab));
                    }
                    stats.push_corpus(dataset, file, checksum, corpus, split_seed);
                }
                None => {
                    let vectors = data::read_word2vec(&path)?;
                    stats.rows.push(vectors_row(file, checksum, &vectors));
                    embeddings.push((all.len(), vectors));
                }
            }
        }
        all.push(stats);
    }
    for (i, vectors) in embeddings {
        all[i].coverage = train_vocabs
            .iter()
            .map(|(corpus, vocab)| CoverageRow::new(corpus, Coverage::measure(vocab, &vectors)))
            .collect();
    }
    Ok(all)
}

impl DatasetStats {
    fn new(dataset: &Dataset) -> Self {
        Self {
            name: dataset.name.clone(),
            task: dataset.task,
            citation: dataset.citation.clone(),
            note: dataset.note.clone(),
            paper: dataset.paper.clone(),
            rows: Vec::new(),
            missing: Vec::new(),
            coverage: Vec::new(),
        }
    }

    /// The file's row, then, for a training file with no dev file beside it,
    /// the rows of its sampled train and dev parts.
    fn push_corpus(
        &mut self,
        dataset: &Dataset,
        file: &FileEntry,
        checksum: Checksum,
        corpus: Corpus,
        seed: u64,
    ) {
        let measured = corpus_counts(dataset.format, &corpus);
        let paper = self.paper.as_ref();
        let fraction = dataset.dev_fraction.filter(|_| file.split == Split::Train);
        let file_paper = match fraction {
            Some(_) => paper.and_then(|p| Some(p.train? + p.dev?)),
            None => paper.and_then(|p| p.sentences(file.split)),
        };
        self.rows.push(SplitRow {
            split: if fraction.is_some() {
                "train+dev".into()
            } else {
                file.split.to_string()
            },
            file: Some(file.path.clone()),
            checksum,
            differences: differences(&file.counts, &measured),
            measured,
            paper: file_paper,
        });
        let Some(fraction) = fraction else { return };
        let (train, dev) = data::dev_split(corpus.sentences, fraction, seed);
        for (split, sentences) in [(Split::Train, train), (Split::Dev, dev)] {
            let part = Corpus {
                sentences,
                repairs: 0,
            };
            self.rows.push(SplitRow {
                split: format!("{split} ({:.0}%)", sampled_percent(split, fraction)),
                file: None,
                checksum: Checksum::Sampled,
                measured: corpus_counts(dataset.format, &part),
                differences: Vec::new(),
                paper: paper.and_then(|p| p.sentences(split)),
            });
        }
    }
}

fn sampled_percent(split: Split, fraction: f64) -> f64 {
    match split {
        Split::Dev => fraction * 100.0,
        _ => (1.0 - fraction) * 100.0,
    }
}

impl CoverageRow {
    fn new(corpus: &str, coverage: Coverage) -> Self {
        Self {
            corpus: corpus.to_string(),
            coverage,
            token_share: coverage.token_share(),
            type_share: coverage.type_share(),
        }
    }
}

/// The file to measure: the cache's copy, else the mirror's, with its checksum status.
fn locate(
    file: &FileEntry,
    locations: &Locations,
) -> Result<Option<(PathBuf, Checksum)>, DatasetError> {
    let mut candidates = vec![
        (locations.cached(&file.path), file.sha256.as_deref()),
        (
            locations.cached(file.download_path()),
            file.download_sha256(),
        ),
    ];
    if let Some(mirror) = &locations.mirror {
        candidates.push((mirror.join(&file.path), file.sha256.as_deref()));
    }
    for (path, expected) in candidates {
        if !path.is_file() {
            continue;
        }
        let checksum = match expected {
            None => Checksum::Unverified,
            Some(e) if sha256_file(&path)?.eq_ignore_ascii_case(e) => Checksum::Ok,
            Some(_) => Checksum::Mismatch,
        };
        return Ok(Some((path, checksum)));
    }
    Ok(None)
}

fn corpus_counts(format: Format, corpus: &Corpus) -> Counts {
    let tags = corpus.sentences.iter().flat_map(|s| &s.tags);
    let words = tags.filter(|t| matches!(t.as_str(), "B" | "S")).count();
    Counts {
        sentences: Some(corpus.sentences.len()),
        characters: Some(corpus.characters()),
        words: (format == Format::Segmented).then_some(words),
        repairs: (format == Format::WeiboOriginal).then_some(corpus.repairs),
        entities: corpus.entity_counts(),
        ..Counts::default()
    }
}

fn vectors_row(file: &FileEntry, checksum: Checksum, vectors: &Embeddings) -> SplitRow {
    let measured = Counts {
        vectors: Some(vectors.len()),
        dim: Some(vectors.dim()),
        ..Counts::default()
    };
    SplitRow {
        split: file.split.to_string(),
        file: Some(file.path.clone()),
        checksum,
        differences: differences(&file.counts, &measured),
        measured,
        paper: None,
    }
}

/// Fields the manifest states that the measurement does not reproduce.
fn differences(expected: &Counts, measured: &Counts) -> Vec<String> {
    let fields = [
        ("sentences", expected.sentences, measured.sentences),
        ("characters", expected.characters, measured.characters),
        ("words", expected.words, measured.words),
        ("repairs", expected.repairs, measured.repairs),
        ("vectors", expected.vectors, measured.vectors),
        ("dim", expected.dim, measured.dim),
    ];
    let mut out: Vec<String> = fields
        .into_iter()
        .filter_map(|(name, want, got)| {
            let want = want?;
            (got != Some(want)).then(|| format!("{name}: manifest {want}, measured {}", show(got)))
        })
        .collect();
    if expected.entities.is_empty() {
        return out;
    }
    let kinds: BTreeSet<&String> = expected
        .entities
        .keys()
        .chain(measured.entities.keys())
        .collect();
    for kind in kinds {
        let (want, got) = (expected.entities.get(kind), measured.entities.get(kind));
        if want != got {
            let want = want.map_or_else(|| "nothing".to_string(), |n| n.to_string());
            out.push(format!(
                "{kind}: manifest {want}, measured {}",
                show(got.copied())
            ));
        }
    }
    out
}

fn show(value: Option<usize>) -> String {
    value.map_or_else(|| "nothing".to_string(), |v| v.to_string())
}
