//! Corpora as character sequences with per-character tags (§4.1, Table 1).
//!
//! Every reader returns [`Sentence`]s: one token (a character) per position and
//! one tag per token, BIO for NER and B/M/E/S for CWS. Readers never drop a
//! sentence silently: a malformed line is a [`DataError`] naming file and line.
//!
//! Modules:
//! - [`source`]: file bytes (`.xz` transparently) and a lenient UTF-8 decoder
//!   that repairs the CESU-8 emoji of the original WeiboNER release;
//! - [`weibo`]: WeiboNER, original and updated releases, named-only or all mentions;
//! - [`sighan`]: SighanNER (MSRA, SIGHAN 2006) and its seeded 90/10 dev split;
//! - [`cws`]: segmented text (CTB6, NLPCC-2016, MSR) as B/M/E/S character tags;
//! - [`conll`]: any two-column NER corpus, BIO, IOB1, BIOES or BMES, read as BIO;
//! - [`embeddings`]: pre-trained character vectors (word2vec text or binary, GloVe);
//! - [`vocab`]: the character vocabulary shared by both tasks (PAD 0, UNK 1);
//! - [`matrix`]: the initial embedding table and its pre-trained coverage.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub mod conll;
pub mod cws;
pub mod embeddings;
pub mod matrix;
pub mod sighan;
pub mod source;
pub mod vocab;
pub mod weibo;

pub use cws::read_cws;
pub use embeddings::{read_vectors, read_word2vec, Embeddings, VectorFormat};
pub use matrix::{embedding_matrix, Coverage, EmbeddingMatrix};
pub use sighan::{dev_split, read_sighan};
pub use vocab::Vocab;
pub use weibo::{read_weibo, WeiboMode, WeiboRelease};

/// One sentence: its characters and one tag per character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub tokens: Vec<String>,
    pub tags: Vec<String>,
}

impl Sentence {
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// The sentences of one file, and how many CESU-8 surrogate pairs reading it repaired.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Corpus {
    pub sentences: Vec<Sentence>,
    pub repairs: usize,
}

impl Corpus {
    /// Number of characters (token positions) over all sentences.
    pub fn characters(&self) -> usize {
        self.sentences.iter().map(Sentence::len).sum()
    }

    /// Entities per type, counted as `B-` tags (the data README's convention).
    pub fn entity_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        let starts = self.sentences.iter().flat_map(|s| &s.tags);
        for kind in starts.filter_map(|tag| tag.strip_prefix("B-")) {
            *counts.entry(kind.to_string()).or_insert(0) += 1;
        }
        counts
    }

    /// A file that yields no sentence is an error: it is the wrong file or truncated.
    pub(crate) fn non_empty(self, path: &Path) -> Result<Self, DataError> {
        if self.sentences.is_empty() {
            return Err(DataError::invalid(path, "no sentences"));
        }
        Ok(self)
    }
}

/// What went wrong reading a data file; always names the file, and the line when there is one.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl DataError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn malformed(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self::Malformed {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    pub fn invalid(path: &Path, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}
