//! WeiboNER (Peng & Dredze 2015; updated release He & Sun 2017): CoNLL files,
//! one `TOKEN<TAB>TAG` line per character, a blank line between sentences
//! (paper §4.1, Table 1).
//!
//! Tags are BIO over `TYPE.NAM` (named) and `TYPE.NOM` (nominal) mentions.
//! [`WeiboMode::Named`] keeps named mentions only, as `B-PER`, `I-GPE`, …
//! (Tables 2 and 5); [`WeiboMode::All`] keeps both, as `B-PER.NAM`,
//! `I-PER.NOM`, … (Table 3).
//!
//! The original release is not valid UTF-8: each emoji is written as two
//! token lines, one CESU-8 surrogate half on each. Those two lines become one
//! token holding the real character (with the first line's tag), and the
//! repair is counted; no sentence is dropped. The updated release appends the
//! character's position inside its word (`科0`, `p10`), which is stripped.

use std::borrow::Cow;
use std::path::Path;

use super::source::{self, is_high_surrogate, is_low_surrogate};
use super::{Corpus, DataError, Sentence};

/// Which release a file belongs to; they differ in how tokens are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeiboRelease {
    /// `weiboNER.conll.*` (2015): one character per token, CESU-8 emoji.
    Original,
    /// `weiboNER_2nd_conll.*` (2017): character followed by its position in the word.
    Updated,
}

impl WeiboRelease {
    /// Recognises a release by its published file name.
    pub fn from_file_name(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        if name.starts_with("weiboNER_2nd_conll") {
            Some(Self::Updated)
        } else if name.starts_with("weiboNER.conll") {
            Some(Self::Original)
        } else {
            None
        }
    }
}

/// Which mentions become entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeiboMode {
    /// Named mentions only, `.NAM` stripped; nominal mentions become `O`.
    Named,
    /// Named and nominal mentions, tags kept as `B-PER.NAM`, `I-LOC.NOM`, ….
    All,
}

/// One non-blank line, still as bytes, so that surrogate halves can be joined.
struct Row<'a> {
    line: usize,
    token: Cow<'a, [u8]>,
    tag: &'a [u8],
}

/// Reads one WeiboNER file.
pub fn read_weibo(
    path: &Path,
    release: WeiboRelease,
    mode: WeiboMode,
) -> Result<Corpus, DataError> {
    let bytes = source::read_bytes(path)?;
    let mut corpus = Corpus::default();
    for block in blocks(path, &bytes)? {
        let sentence = parse_sentence(path, release, mode, join_surrogates(block), &mut corpus)?;
        corpus.sentences.push(sentence);
    }
    corpus.non_empty(path)
}

/// Splits the file into sentences of rows, checking the column count.
fn blocks<'a>(path: &Path, bytes: &'a [u8]) -> Result<Vec<Vec<Row<'a>>>, DataError> {
    let mut blocks = Vec::new();
    let mut current = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        current.push(row(path, i + 1, line)?);
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    Ok(blocks)
}

fn row<'a>(path: &Path, line: usize, bytes: &'a [u8]) -> Result<Row<'a>, DataError> {
    let columns: Vec<&[u8]> = bytes.split(|&b| b == b'\t').collect();
    let [token, tag] = columns[..] else {
        let message = format!(
            "expected 2 tab-separated columns (TOKEN, TAG), found {}",
            columns.len()
        );
        return Err(DataError::malformed(path, line, message));
    };
    if token.is_empty() {
        return Err(DataError::malformed(path, line, "empty token"));
    }
    Ok(Row {
        line,
        token: Cow::Borrowed(token),
        tag: tag.trim_ascii(),
    })
}

/// Joins a high-surrogate line with the low-surrogate line after it, so the
/// decoder sees one CESU-8 pair and repairs it into one character.
fn join_surrogates(rows: Vec<Row<'_>>) -> Vec<Row<'_>> {
    let mut joined: Vec<Row<'_>> = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(prev) = joined.last_mut() {
            if is_high_surrogate(&prev.token) && is_low_surrogate(&row.token) {
                prev.token.to_mut().extend_from_slice(&row.token);
                continue;
            }
        }
        joined.push(row);
    }
    joined
}

fn parse_sentence(
    path: &Path,
    release: WeiboRelease,
    mode: WeiboMode,
    rows: Vec<Row<'_>>,
    corpus: &mut Corpus,
) -> Result<Sentence, DataError> {
    let mut sentence = Sentence {
        tokens: Vec::with_capacity(rows.len()),
        tags: Vec::with_capacity(rows.len()),
    };
    for row in rows {
        let decoded = source::decode_at(path, row.line, &row.token)?;
        corpus.repairs += decoded.repairs;
        let token = match release {
            WeiboRelease::Original => decoded.text,
            WeiboRelease::Updated => strip_position(&decoded.text)
                .ok_or_else(|| {
                    let message = format!("token `{}` lacks its position digit", decoded.text);
                    DataError::malformed(path, row.line, message)
                })?
                .to_string(),
        };
        let tag = std::str::from_utf8(row.tag)
            .ok()
            .and_then(|tag| convert_tag(tag, mode))
            .ok_or_else(|| unknown_tag(path, row.line, row.tag))?;
        sentence.tokens.push(token);
        sentence.tags.push(tag);
    }
    Ok(sentence)
}

/// Drops the trailing position (`科0` → `科`, `p10` → `p`, `310` → `3`); at
/// least one character is kept, since the token itself may be a digit.
fn strip_position(token: &str) -> Option<&str> {
    let first = token.chars().next()?.len_utf8();
    let without_digits = token.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let keep = without_digits.max(first);
    (keep < token.len()).then(|| &token[..keep])
}

/// Maps a WeiboNER tag to the tag set of `mode`; `None` for an unknown shape.
fn convert_tag(tag: &str, mode: WeiboMode) -> Option<String> {
    if tag == "O" {
        return Some(tag.to_string());
    }
    let (prefix, label) = tag.split_once('-')?;
    let (kind, mention) = label.split_once('.')?;
    let kind_ok = !kind.is_empty() && kind.chars().all(|c| c.is_ascii_uppercase());
    if !matches!(prefix, "B" | "I") || !kind_ok {
        return None;
    }
    match (mention, mode) {
        ("NOM", WeiboMode::Named) => Some("O".to_string()),
        ("NAM", WeiboMode::Named) => Some(format!("{prefix}-{kind}")),
        ("NAM" | "NOM", WeiboMode::All) => Some(tag.to_string()),
        _ => None,
    }
}

fn unknown_tag(path: &Path, line: usize, tag: &[u8]) -> DataError {
    let message = format!(
        "unknown tag shape `{}` (expected O, B-TYPE.NAM|NOM or I-TYPE.NAM|NOM)",
        String::from_utf8_lossy(tag)
    );
    DataError::malformed(path, line, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("weiboNER.conll.train");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    const ORIGINAL: &str = "我\tO\n叫\tO\n张\tB-PER.NAM\n三\tI-PER.NAM\n\n\
                            老\tB-PER.NOM\n师\tI-PER.NOM\n在\tO\n北\tB-GPE.NAM\n京\tI-GPE.NAM\n\n";

    #[test]
    fn named_mode_drops_nominal_and_strips_nam() {
        let (_dir, path) = write(ORIGINAL.as_bytes());
        let corpus = read_weibo(&path, WeiboRelease::Original, WeiboMode::Named).unwrap();
        assert_eq!(corpus.sentences.len(), 2);
        assert_eq!(corpus.sentences[0].tags, ["O", "O", "B-PER", "I-PER"]);
        assert_eq!(corpus.sentences[1].tags, ["O", "O", "O", "B-GPE", "I-GPE"]);
        assert_eq!(corpus.sentences[1].tokens, ["老", "师", "在", "北", "京"]);
    }

    #[test]
    fn all_mode_keeps_named_and_nominal_tags() {
        let (_dir, path) = write(ORIGINAL.as_bytes());
        let corpus = read_weibo(&path, WeiboRelease::Original, WeiboMode::All).unwrap();
        assert_eq!(corpus.sentences[1].tags[..2], ["B-PER.NOM", "I-PER.NOM"]);
        let counts = corpus.entity_counts();
        assert_eq!(counts["PER.NAM"] + counts["PER.NOM"] + counts["GPE.NAM"], 3);
    }

    #[test]
    fn split_surrogate_lines_become_one_repaired_emoji() {
        let mut bytes = b"\xe5\xa5\xbd\tO\n".to_vec(); // 好
        bytes.extend_from_slice(b"\xed\xa0\xbd\tO\n\xed\xb8\x8b\tO\n\xe5\x95\x8a\tO\n\n");
        let (_dir, path) = write(&bytes);
        let corpus = read_weibo(&path, WeiboRelease::Original, WeiboMode::Named).unwrap();
        assert_eq!(corpus.sentences[0].tokens, ["好", "\u{1F60B}", "啊"]);
        assert_eq!(corpus.sentences[0].tags, ["O", "O", "O"]);
        assert_eq!(corpus.repairs, 1);
    }

    #[test]
    fn unpaired_surrogate_is_an_error_with_its_line() {
        let (_dir, path) = write(b"a\tO\n\xed\xa0\xbd\tO\nb\tO\n");
        let err = read_weibo(&path, WeiboRelease::Original, WeiboMode::Named).unwrap_err();
        assert!(
            err.to_string()
                .contains("weiboNER.conll.train:2: invalid UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn updated_release_strips_position_digits() {
        let text = "科0\tB-ORG.NAM\n技1\tI-ORG.NAM\np10\tO\n310\tO\n\n";
        let (_dir, path) = write(text.as_bytes());
        let corpus = read_weibo(&path, WeiboRelease::Updated, WeiboMode::All).unwrap();
        assert_eq!(corpus.sentences[0].tokens, ["科", "技", "p", "3"]);
    }

    #[test]
    fn updated_token_without_position_is_an_error() {
        let (_dir, path) = write("科0\tO\n技\tO\n".as_bytes());
        let err = read_weibo(&path, WeiboRelease::Updated, WeiboMode::All).unwrap_err();
        assert!(err.to_string().contains(":2: token `技` lacks"), "{err}");
    }

    #[test]
    fn last_sentence_without_blank_line_is_kept() {
        let (_dir, path) = write("a\tO\n\n\nb\tO".as_bytes());
        let corpus = read_weibo(&path, WeiboRelease::Original, WeiboMode::All).unwrap();
        assert_eq!(corpus.sentences.len(), 2);
    }

    #[test]
    fn wrong_column_count_is_an_error_with_line() {
        let (_dir, path) = write("a\tO\nb\tO\textra\n".as_bytes());
        let err = read_weibo(&path, WeiboRelease::Original, WeiboMode::All).unwrap_err();
        assert!(
            err.to_string()
                .contains(":2: expected 2 tab-separated columns"),
            "{err}"
        );
    }

    #[test]
    fn unknown_tag_shapes_are_errors_with_line() {
        for bad in ["B-PER", "X-PER.NAM", "B-PER.XYZ", "B-.NAM", "o"] {
            let (_dir, path) = write(format!("a\tO\n\nb\t{bad}\n").as_bytes());
            let err = read_weibo(&path, WeiboRelease::Original, WeiboMode::Named).unwrap_err();
            assert!(
                err.to_string().contains(":3: unknown tag shape"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn empty_file_is_an_error() {
        let (_dir, path) = write(b"\n\n");
        let err = read_weibo(&path, WeiboRelease::Original, WeiboMode::All).unwrap_err();
        assert!(err.to_string().ends_with(": no sentences"), "{err}");
    }

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let path = Path::new("/nonexistent/weiboNER.conll.dev");
        let err = read_weibo(path, WeiboRelease::Original, WeiboMode::All).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/weiboNER.conll.dev"),
            "{err}"
        );
    }

    #[test]
    fn release_is_recognised_from_file_name() {
        let release = |name: &str| WeiboRelease::from_file_name(Path::new(name));
        assert_eq!(
            release("a/weiboNER_2nd_conll.dev"),
            Some(WeiboRelease::Updated)
        );
        assert_eq!(release("weiboNER.conll.test"), Some(WeiboRelease::Original));
        assert_eq!(release("train1.txt"), None);
    }
}
