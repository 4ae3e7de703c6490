//! `runner data check <experiment | files…>`: reads corpora and vectors as
//! training would and prints Table-1 style statistics (sentences,
//! characters, entities per type, the tag scheme found, vector coverage of
//! the training characters), or the first problem, naming file and line.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use atner::data::conll::{read_conll, TagScheme};
use atner::data::{Corpus, Coverage, Embeddings, Vocab, WeiboMode};

use super::files::read_corpus;
use super::{DatasetError, DatasetFiles, Format, Split};

/// What one corpus file holds.
pub struct CorpusStats {
    sentences: usize,
    characters: usize,
    entities: BTreeMap<String, usize>,
}

impl CorpusStats {
    pub fn of(corpus: &Corpus) -> Self {
        Self {
            sentences: corpus.sentences.len(),
            characters: corpus.characters(),
            entities: corpus.entity_counts(),
        }
    }

    pub fn line(&self, label: &str) -> String {
        let entities: Vec<String> = self
            .entities
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let entities = match entities.is_empty() {
            true => String::new(),
            false => format!("; entities: {}", entities.join(", ")),
        };
        format!(
            "  {label}: {} sentences, {} characters{entities}\n",
            self.sentences, self.characters
        )
    }
}

/// Reads one file as `format`; returns its report and its sentences (for coverage).
pub fn check_file(
    path: &Path,
    format: Format,
    scheme: TagScheme,
    mode: WeiboMode,
) -> Result<(String, Option<Corpus>), DatasetError> {
    let mut text = format!("{} ({format})\n", path.display());
    if format == Format::Conll {
        let (corpus, found) = read_conll(path, scheme)?;
        text.push_str(&CorpusStats::of(&corpus).line("read"));
        let _ = writeln!(text, "  tag scheme: {}, read as BIO", found.name());
        return Ok((text, Some(corpus)));
    }
    match read_corpus(format, path, mode, scheme) {
        Some(corpus) => {
            let corpus = corpus?;
            text.push_str(&CorpusStats::of(&corpus).line("read"));
            Ok((text, Some(corpus)))
        }
        None => {
            let files = DatasetFiles {
                name: path.display().to_string(),
                task: super::Task::Embeddings,
                format,
                dev_fraction: None,
                scheme,
                files: [(Split::Vectors, path.to_path_buf())].into(),
            };
            let vectors = files.embeddings()?;
            let _ = writeln!(
                text,
                "  {} vectors of dimension {}",
                vectors.len(),
                vectors.dim()
            );
            Ok((text, None))
        }
    }
}

/// Share of the training characters (tokens and types) that have a vector.
pub fn coverage_line(training: &[&Corpus], vectors: &Embeddings) -> String {
    let vocab = Vocab::build(training.iter().map(|c| c.sentences.as_slice()), None);
    let coverage = Coverage::measure(&vocab, vectors);
    format!(
        "  coverage of the training characters: {:.2}% of tokens, {:.2}% of types ({} of {})\n",
        100.0 * coverage.token_share(),
        100.0 * coverage.type_share(),
        coverage.covered_types,
        coverage.types
    )
}

/// The report of files given on the command line, each read as `format`.
pub fn check_files(
    inputs: &[PathBuf],
    format: Format,
    scheme: TagScheme,
) -> Result<String, DatasetError> {
    let mut report = String::new();
    for path in inputs {
        let (text, _) = check_file(path, format, scheme, WeiboMode::Named)?;
        report.push_str(&text);
    }
    Ok(report)
}
