//! The initial character embedding table (paper §3.1: pre-trained vectors,
//! fine-tuned) and how much of the training text the pre-trained file covers.
//!
//! A row copies its pre-trained vector when the file has one (UNK takes the
//! file's `<UNK>`/`<unk>` vector); other rows are drawn uniformly from
//! ±sqrt(3/dim), a variance of 1/dim, with a seeded RNG; PAD is zero.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::vocab::{PAD_ID, PRETRAINED_UNK, UNK_ID};
use super::{Embeddings, Vocab};

/// A row-major `[rows × dim]` table, one row per vocabulary id.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingMatrix {
    pub rows: usize,
    pub dim: usize,
    pub values: Vec<f32>,
}

impl EmbeddingMatrix {
    /// The row of vocabulary id `id`.
    pub fn row(&self, id: usize) -> &[f32] {
        &self.values[id * self.dim..(id + 1) * self.dim]
    }
}

/// How much of the training text has a pre-trained vector, by character
/// tokens (running text) and by character types (distinct characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Coverage {
    pub tokens: u64,
    pub covered_tokens: u64,
    pub types: usize,
    pub covered_types: usize,
}

impl Coverage {
    /// Measures coverage over the training counts the vocabulary holds.
    pub fn measure(vocab: &Vocab, pretrained: &Embeddings) -> Self {
        let mut coverage = Self::default();
        for id in 0..vocab.len() as i64 {
            let count = vocab.training_count(id);
            if count == 0 {
                continue;
            }
            let covered = vocab.token(id).and_then(|t| pretrained.get(t)).is_some();
            coverage.tokens += count;
            coverage.types += 1;
            if covered {
                coverage.covered_tokens += count;
                coverage.covered_types += 1;
            }
        }
        coverage
    }

    /// Share of character tokens with a vector, in [0, 1] (0 for no text).
    pub fn token_share(&self) -> f64 {
        share(self.covered_tokens as f64, self.tokens as f64)
    }

    /// Share of character types with a vector, in [0, 1] (0 for no text).
    pub fn type_share(&self) -> f64 {
        share(self.covered_types as f64, self.types as f64)
    }
}

fn share(part: f64, whole: f64) -> f64 {
    if whole == 0.0 {
        0.0
    } else {
        part / whole
    }
}

/// Builds the initial table for `vocab` from `pretrained`; the width is the file's.
pub fn embedding_matrix(
    vocab: &Vocab,
    pretrained: &Embeddings,
    seed: u64,
) -> (EmbeddingMatrix, Coverage) {
    let dim = pretrained.dim();
    let bound = (3.0 / dim as f32).sqrt();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut values = Vec::with_capacity(vocab.len() * dim);
    for id in 0..vocab.len() as i64 {
        let random: Vec<f32> = (0..dim).map(|_| rng.random_range(-bound..bound)).collect();
        let row = match id {
            PAD_ID => vec![0.0; dim],
            UNK_ID => unk_vector(pretrained).map_or(random, <[f32]>::to_vec),
            _ => vocab
                .token(id)
                .and_then(|t| pretrained.get(t))
                .map_or(random, <[f32]>::to_vec),
        };
        values.extend(row);
    }
    let matrix = EmbeddingMatrix {
        rows: vocab.len(),
        dim,
        values,
    };
    (matrix, Coverage::measure(vocab, pretrained))
}

fn unk_vector(pretrained: &Embeddings) -> Option<&[f32]> {
    PRETRAINED_UNK.iter().find_map(|t| pretrained.get(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{read_word2vec, Sentence};

    fn setup() -> (Vocab, Embeddings) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.txt");
        std::fs::write(&path, "3 2\n<UNK> 9 9\n甲 1 2\n丁 3 4\n").unwrap();
        let emb = read_word2vec(&path).unwrap();
        let tokens: Vec<String> = "甲甲甲乙".chars().map(String::from).collect();
        let sentence = Sentence {
            tags: vec!["O".into(); tokens.len()],
            tokens,
        };
        (Vocab::build([&[sentence][..]], Some(&emb)), emb)
    }

    #[test]
    fn rows_copy_pretrained_vectors_and_pad_is_zero() {
        let (vocab, emb) = setup();
        let (matrix, _) = embedding_matrix(&vocab, &emb, 3);
        assert_eq!((matrix.rows, matrix.dim, matrix.values.len()), (5, 2, 10));
        assert_eq!(matrix.row(0), [0.0, 0.0]);
        assert_eq!(matrix.row(1), [9.0, 9.0]);
        assert_eq!(matrix.row(vocab.id("甲") as usize), [1.0, 2.0]);
        assert_eq!(matrix.row(vocab.id("丁") as usize), [3.0, 4.0]);
    }

    #[test]
    fn other_rows_are_seeded_uniform_within_bound() {
        let (vocab, emb) = setup();
        let (a, _) = embedding_matrix(&vocab, &emb, 3);
        let (b, _) = embedding_matrix(&vocab, &emb, 3);
        let (c, _) = embedding_matrix(&vocab, &emb, 4);
        let row = vocab.id("乙") as usize;
        assert_eq!(a.row(row), b.row(row));
        assert_ne!(a.row(row), c.row(row));
        let bound = (3.0f32 / 2.0).sqrt();
        assert!(a.row(row).iter().all(|v| v.abs() <= bound && *v != 0.0));
    }

    #[test]
    fn coverage_counts_training_tokens_and_types() {
        let (vocab, emb) = setup();
        let (_, coverage) = embedding_matrix(&vocab, &emb, 0);
        let expected = Coverage {
            tokens: 4,
            covered_tokens: 3,
            types: 2,
            covered_types: 1,
        };
        assert_eq!(coverage, expected);
        assert_eq!((coverage.token_share(), coverage.type_share()), (0.75, 0.5));
    }
}
