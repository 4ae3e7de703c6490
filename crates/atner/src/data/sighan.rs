//! SighanNER: the MSRA corpus of the SIGHAN 2006 bakeoff (paper §4.1, Table 1),
//! and the seeded dev split the paper needs because the corpus has none.
//!
//! One sentence a line, space-separated `TEXT/TAG` chunks split at the last `/`;
//! `nr`, `ns`, `nt` chunks are one entity each (PER, LOC, ORG: `B-X` then
//! `I-X` per character), `o` chunks are outside text of any length.

use std::path::Path;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::source::{self, numbered_lines};
use super::{Corpus, DataError, Sentence};

/// Share of the training file the paper samples as its dev set (§4.1).
pub const DEV_FRACTION: f64 = 0.1;

/// The split seed used unless a spec names another.
pub const DEFAULT_SPLIT_SEED: u64 = 0;

/// Reads one SighanNER file (`train1.txt[.xz]`, `testright1.txt`).
pub fn read_sighan(path: &Path) -> Result<Corpus, DataError> {
    let decoded = source::read_text(path)?;
    let mut corpus = Corpus::default();
    for (line, text) in numbered_lines(&decoded) {
        let mut sentence = Sentence {
            tokens: Vec::new(),
            tags: Vec::new(),
        };
        for chunk in text.split([' ', '\t']).filter(|c| !c.is_empty()) {
            push_chunk(&mut sentence, chunk).map_err(|m| DataError::malformed(path, line, m))?;
        }
        if !sentence.is_empty() {
            corpus.sentences.push(sentence);
        }
    }
    corpus.non_empty(path)
}

/// Appends one `TEXT/TAG` chunk's characters and tags.
fn push_chunk(sentence: &mut Sentence, chunk: &str) -> Result<(), String> {
    let Some((text, tag)) = chunk.rsplit_once('/') else {
        return Err(format!("chunk `{chunk}` has no `/TAG`"));
    };
    if text.is_empty() {
        return Err(format!("chunk `{chunk}` has no text"));
    }
    let kind = match tag {
        "nr" => Some("PER"),
        "ns" => Some("LOC"),
        "nt" => Some("ORG"),
        "o" => None,
        _ => {
            return Err(format!(
                "unknown tag `{tag}` in chunk `{chunk}` (expected nr, ns, nt or o)"
            ))
        }
    };
    for (i, c) in text.chars().enumerate() {
        let tag = match (kind, i) {
            (None, _) => "O".to_string(),
            (Some(kind), 0) => format!("B-{kind}"),
            (Some(kind), _) => format!("I-{kind}"),
        };
        sentence.tokens.push(c.to_string());
        sentence.tags.push(tag);
    }
    Ok(())
}

/// Splits `items` into (train, dev): `round(len × dev_fraction)` items chosen
/// by a ChaCha8 shuffle seeded with `seed` go to dev. The same seed always
/// gives the same split, and both parts keep the original order, so a run can
/// be reproduced from its spec alone.
///
/// # Panics
/// If `dev_fraction` is not in `[0, 1)`: that is a configuration bug.
pub fn dev_split<T>(items: Vec<T>, dev_fraction: f64, seed: u64) -> (Vec<T>, Vec<T>) {
    assert!(
        (0.0..1.0).contains(&dev_fraction),
        "dev fraction {dev_fraction} is not in [0, 1)"
    );
    let dev_len = (items.len() as f64 * dev_fraction).round() as usize;
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut in_dev = vec![false; items.len()];
    for &i in &order[..dev_len] {
        in_dev[i] = true;
    }
    let (mut train, mut dev) = (Vec::new(), Vec::with_capacity(dev_len));
    for (item, to_dev) in items.into_iter().zip(in_dev) {
        if to_dev {
            dev.push(item);
        } else {
            train.push(item);
        }
    }
    (train, dev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train1.txt");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn chunks_become_bio_characters() {
        let (_dir, path) = write("中共中央/nt 致/o 张三/nr 的贺词/o \n\n北京/ns \n");
        let corpus = read_sighan(&path).unwrap();
        assert_eq!(corpus.sentences.len(), 2);
        let first = &corpus.sentences[0];
        assert_eq!(first.tokens.concat(), "中共中央致张三的贺词");
        assert_eq!(
            first.tags,
            ["B-ORG", "I-ORG", "I-ORG", "I-ORG", "O", "B-PER", "I-PER", "O", "O", "O"]
        );
        assert_eq!(corpus.sentences[1].tags, ["B-LOC", "I-LOC"]);
    }

    #[test]
    fn chunk_is_split_at_last_slash() {
        let (_dir, path) = write("1/2/o \n");
        let corpus = read_sighan(&path).unwrap();
        assert_eq!(corpus.sentences[0].tokens, ["1", "/", "2"]);
    }

    #[test]
    fn unknown_tag_is_an_error_with_line() {
        let (_dir, path) = write("好/o \n坏/xx \n");
        let err = read_sighan(&path).unwrap_err();
        assert!(
            err.to_string().contains("train1.txt:2: unknown tag `xx`"),
            "{err}"
        );
    }

    #[test]
    fn chunk_without_tag_is_an_error_with_line() {
        let (_dir, path) = write("好 \n");
        let err = read_sighan(&path).unwrap_err();
        assert!(
            err.to_string().contains(":1: chunk `好` has no `/TAG`"),
            "{err}"
        );
    }

    #[test]
    fn invalid_utf8_is_an_error_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gbk.txt");
        std::fs::write(&path, b"a/o \n\xc4\xe3/o \n").unwrap();
        let err = read_sighan(&path).unwrap_err();
        assert!(
            err.to_string().contains("gbk.txt:2: invalid UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn empty_file_is_an_error() {
        let (_dir, path) = write(" \n");
        assert!(read_sighan(&path)
            .unwrap_err()
            .to_string()
            .ends_with("no sentences"));
    }

    #[test]
    fn missing_file_is_an_error() {
        assert!(read_sighan(Path::new("/nonexistent/train1.txt")).is_err());
    }

    #[test]
    fn dev_split_is_deterministic_and_keeps_order() {
        let items: Vec<u32> = (0..100).collect();
        let (train, dev) = dev_split(items.clone(), 0.1, 7);
        assert_eq!((train.len(), dev.len()), (90, 10));
        assert!(train.windows(2).all(|w| w[0] < w[1]));
        assert!(dev.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            dev_split(items.clone(), 0.1, 7),
            (train.clone(), dev.clone())
        );
        assert_ne!(dev_split(items, 0.1, 8).1, dev);
    }

    #[test]
    fn dev_split_of_46364_gives_the_papers_sizes() {
        let (train, dev) = dev_split(vec![(); 46_364], DEV_FRACTION, 0);
        assert_eq!((train.len(), dev.len()), (41_728, 4_636));
    }
}
