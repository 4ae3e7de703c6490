//! The character vocabulary shared by the NER and CWS sentences (paper §3.1).
//!
//! Ids: PAD 0, UNK 1, then the training characters by descending frequency
//! (ties by code point), then the pre-trained tokens no training corpus has,
//! in file order. Pre-trained tokens are included so that a dev or test
//! character seen only by the embedding still gets its vector. The
//! pre-trained file's own unknown token (`<UNK>`, `<unk>`) is our UNK.
//! A vocabulary saves to a text file, one `TOKEN<TAB>COUNT` a line, so a
//! trained model can be reloaded for prediction with the same ids.

use std::collections::HashMap;
use std::path::Path;

use super::source::{self, numbered_lines};
use super::{DataError, Embeddings, Sentence};

pub const PAD_ID: i64 = 0;
pub const UNK_ID: i64 = 1;
pub const PAD_TOKEN: &str = "<PAD>";
pub const UNK_TOKEN: &str = "<UNK>";
/// The tokens every vocabulary starts with, in id order.
const SPECIALS: [&str; 2] = [PAD_TOKEN, UNK_TOKEN];
/// Spellings of the unknown token in pre-trained files; their vector initialises UNK.
pub const PRETRAINED_UNK: [&str; 2] = ["<UNK>", "<unk>"];

/// Token ↔ id, with how often each token occurs in the training corpora.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocab {
    tokens: Vec<String>,
    counts: Vec<u64>,
    index: HashMap<String, i64>,
}

impl Vocab {
    /// Builds the vocabulary from the training corpora (NER and CWS train
    /// splits) and, when given, the pre-trained vocabulary.
    pub fn build<'a>(
        training: impl IntoIterator<Item = &'a [Sentence]>,
        pretrained: Option<&Embeddings>,
    ) -> Self {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        for sentence in training.into_iter().flatten() {
            for token in &sentence.tokens {
                *counts.entry(token.as_str()).or_insert(0) += 1;
            }
        }
        let mut by_frequency: Vec<(&str, u64)> = counts.into_iter().collect();
        by_frequency.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut vocab = Self::specials();
        for (token, count) in by_frequency {
            vocab.push(token, count);
        }
        let extra = pretrained.map(Embeddings::tokens).unwrap_or_default();
        for token in extra
            .iter()
            .filter(|t| !PRETRAINED_UNK.contains(&t.as_str()))
        {
            vocab.push(token, 0);
        }
        vocab
    }

    /// The id of `token`; UNK for a token the vocabulary does not have.
    pub fn id(&self, token: &str) -> i64 {
        self.index.get(token).copied().unwrap_or(UNK_ID)
    }

    /// Ids of a sequence of tokens.
    pub fn ids(&self, tokens: &[String]) -> Vec<i64> {
        tokens.iter().map(|t| self.id(t)).collect()
    }

    /// The token with id `id`, if there is one.
    pub fn token(&self, id: i64) -> Option<&str> {
        let i = usize::try_from(id).ok()?;
        self.tokens.get(i).map(String::as_str)
    }

    /// How often the token with id `id` occurs in the training corpora.
    pub fn training_count(&self, id: i64) -> u64 {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.counts.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Number of ids, PAD and UNK included.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Never true: PAD and UNK are always there.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Writes one `TOKEN<TAB>COUNT` line per id, in id order.
    pub fn save(&self, path: &Path) -> Result<(), DataError> {
        let mut text = String::new();
        for (token, count) in self.tokens.iter().zip(&self.counts) {
            text.push_str(&format!("{token}\t{count}\n"));
        }
        std::fs::write(path, text).map_err(|e| DataError::io(path, e))
    }

    /// Reads a file written by [`Vocab::save`]; a line without a count has count 0.
    pub fn load(path: &Path) -> Result<Self, DataError> {
        let text = source::read_text(path)?;
        let mut vocab = Self::empty();
        let body = text.strip_suffix('\n').unwrap_or(&text);
        for (line, entry) in numbered_lines(body) {
            let (token, count) =
                parse_entry(entry).map_err(|m| DataError::malformed(path, line, m))?;
            if let Some(special) = SPECIALS.get(line - 1).filter(|&&s| s != token) {
                let message = format!("expected `{special}` on this line");
                return Err(DataError::malformed(path, line, message));
            }
            if vocab.index.contains_key(token) {
                return Err(DataError::malformed(
                    path,
                    line,
                    format!("duplicate token `{token}`"),
                ));
            }
            vocab.push(token, count);
        }
        if vocab.len() < 2 {
            return Err(DataError::invalid(
                path,
                "a vocabulary needs at least <PAD> and <UNK>",
            ));
        }
        Ok(vocab)
    }

    fn empty() -> Self {
        Self {
            tokens: Vec::new(),
            counts: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn specials() -> Self {
        let mut vocab = Self::empty();
        for token in SPECIALS {
            vocab.push(token, 0);
        }
        vocab
    }

    /// Adds `token` unless present.
    fn push(&mut self, token: &str, count: u64) {
        if self.index.contains_key(token) {
            return;
        }
        let id = i64::try_from(self.tokens.len()).expect("fewer than 2^63 tokens");
        self.index.insert(token.to_string(), id);
        self.tokens.push(token.to_string());
        self.counts.push(count);
    }
}

/// Splits `TOKEN<TAB>COUNT` at the last tab; a line without a tab is a token.
fn parse_entry(entry: &str) -> Result<(&str, u64), String> {
    let (token, count) = match entry.rsplit_once('\t') {
        Some((token, count)) => {
            let count = count
                .parse()
                .map_err(|_| format!("`{count}` is not a count"))?;
            (token, count)
        }
        None => (entry, 0),
    };
    if token.is_empty() {
        return Err("empty token".to_string());
    }
    Ok((token, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(text: &str) -> Sentence {
        let tokens: Vec<String> = text.chars().map(String::from).collect();
        let tags = vec!["O".to_string(); tokens.len()];
        Sentence { tokens, tags }
    }

    fn embeddings(text: &str) -> (tempfile::TempDir, Embeddings) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.txt");
        std::fs::write(&path, text).unwrap();
        let emb = super::super::read_word2vec(&path).unwrap();
        (dir, emb)
    }

    #[test]
    fn ids_follow_frequency_then_pretrained_order() {
        let ner = [sentence("好好人")];
        let cws = [sentence("人好")];
        let (_dir, emb) = embeddings("<UNK> 0 0\n中 1 1\n好 2 2\n");
        let vocab = Vocab::build([&ner[..], &cws[..]], Some(&emb));
        let tokens: Vec<_> = (0..vocab.len() as i64)
            .map(|i| vocab.token(i).unwrap())
            .collect();
        assert_eq!(tokens, ["<PAD>", "<UNK>", "好", "人", "中"]);
        assert_eq!(vocab.training_count(2), 3);
        assert_eq!(vocab.training_count(4), 0);
    }

    #[test]
    fn unknown_characters_map_to_unk() {
        let vocab = Vocab::build([&[sentence("甲乙甲")][..]], None);
        assert_eq!(vocab.ids(&["乙".into(), "丙".into()]), [3, UNK_ID]);
        assert_eq!(vocab.id(PAD_TOKEN), PAD_ID);
        assert_eq!(vocab.token(99), None);
        assert_eq!(vocab.token(-1), None);
    }

    #[test]
    fn save_then_load_gives_the_same_vocab() {
        let vocab = Vocab::build([&[sentence("甲乙乙 \u{3000}")][..]], None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vocab.tsv");
        vocab.save(&path).unwrap();
        assert_eq!(Vocab::load(&path).unwrap(), vocab);
    }

    #[test]
    fn load_rejects_a_file_without_specials_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vocab.tsv");
        std::fs::write(&path, "<UNK>\t0\n<PAD>\t0\n").unwrap();
        let err = Vocab::load(&path).unwrap_err();
        assert!(
            err.to_string().contains("vocab.tsv:1: expected `<PAD>`"),
            "{err}"
        );
    }

    #[test]
    fn load_rejects_duplicates_and_bad_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vocab.tsv");
        std::fs::write(&path, "<PAD>\n<UNK>\n甲\t1\n甲\t2\n").unwrap();
        assert!(Vocab::load(&path)
            .unwrap_err()
            .to_string()
            .contains(":4: duplicate"));
        std::fs::write(&path, "<PAD>\n<UNK>\n甲\tx\n").unwrap();
        assert!(Vocab::load(&path)
            .unwrap_err()
            .to_string()
            .contains(":3: `x` is not"));
    }

    #[test]
    fn load_of_empty_or_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vocab.tsv");
        std::fs::write(&path, "").unwrap();
        assert!(Vocab::load(&path).is_err());
        assert!(Vocab::load(&dir.path().join("missing")).is_err());
    }
}
