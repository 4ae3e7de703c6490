//! The configuration types an experiment file and a plan share, kept apart
//! from both so that the spec (the file) and the plan (its runs) depend on
//! them and not on each other.

use atner::data::WeiboMode;
use serde::{Deserialize, Serialize};

use crate::dataset::{CwsFiles, NerFiles, Source, VectorFiles};

/// Which corpora a run trains and evaluates on: names from
/// `data/datasets.toml`, or one's own files by path ([`Source`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// The NER corpus: `weibo`, `weibo-updated`, `sighan`, or files.
    pub ner: Source<NerFiles>,
    /// WeiboNER mentions: `named` (Tables 2, 5) or `all` (Table 3).
    pub mode: WeiboMode,
    /// The auxiliary CWS corpus (`ctb6`, `nlpcc2016`, `msr`, or a file), for transfer variants.
    pub cws: Option<Source<CwsFiles>>,
    /// Pre-trained character vectors (`char-vec-50`, or a file); random vectors when absent.
    pub embeddings: Option<Source<VectorFiles>>,
    /// Seeds the dev sample of corpora without a dev file (SighanNER).
    pub split_seed: u64,
    /// Keep only the first N sentences of every split (smoke tests; `None`: all).
    pub max_sentences: Option<usize>,
    /// Normalise the CWS text as the released code does (full-width to
    /// half-width, numbers to `0`, Latin runs to `X`; docs/fidelity.md row 9).
    /// Left out of the JSON when off, so that earlier run ids stay.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cws_normalise: bool,
}

impl DataConfig {
    /// Makes the paths of by-path sources absolute (relative ones against `base`).
    pub fn resolve_paths(&mut self, base: &std::path::Path) {
        self.ner.resolve(base);
        if let Some(cws) = &mut self.cws {
            cws.resolve(base);
        }
        if let Some(embeddings) = &mut self.embeddings {
            embeddings.resolve(base);
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            ner: "weibo".into(),
            mode: WeiboMode::Named,
            cws: Some("ctb6".into()),
            embeddings: Some("char-vec-50".into()),
            split_seed: 1,
            max_sentences: None,
            cws_normalise: false,
        }
    }
}
