//! Any character-level NER corpus in two columns (CoNLL style, §4.1 for
//! one's own data): `CHARACTER TAG` per line, a tab or spaces between, a
//! blank line between sentences, LF or CRLF, `.xz`/`.gz` transparently.
//!
//! Tags come in one of four schemes ([`TagScheme`]) and are read as BIO,
//! the tags the model's CRF is trained on: IOB1's entity-initial `I-X`
//! becomes `B-X`; BIOES/BMES `S-X` becomes `B-X` and `M-X`/`E-X` become `I-X`.
//! A tag outside the scheme (`X-PER`, `B_PER`, `E-PER` in BIO) or a sequence
//! the scheme forbids is an error naming file and line.

use std::path::Path;

use super::source::{self, numbered_lines};
use super::{Corpus, DataError, Sentence};

/// How a corpus writes its entity boundaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagScheme {
    /// Recognised from the prefixes used: M- means BMES, E-/S- BIOES, an
    /// `I-X` that opens an entity IOB1, and otherwise BIO.
    #[default]
    Auto,
    /// B- opens an entity, I- continues it; an I- that opens one is refused.
    Bio,
    /// As BIO, but I- may open an entity (B- only separates two adjacent ones).
    Iob1,
    /// B-, I-, E- (end) and S- (single character).
    Bioes,
    /// B-, M- (middle), E- and S-.
    Bmes,
}

impl TagScheme {
    pub fn name(self) -> &'static str {
        match self {
            TagScheme::Auto => "auto",
            TagScheme::Bio => "bio",
            TagScheme::Iob1 => "iob1",
            TagScheme::Bioes => "bioes",
            TagScheme::Bmes => "bmes",
        }
    }

    /// The prefixes a tag of this scheme may carry.
    fn prefixes(self) -> &'static [char] {
        match self {
            TagScheme::Auto => &['B', 'I', 'E', 'S', 'M'],
            TagScheme::Bio | TagScheme::Iob1 => &['B', 'I'],
            TagScheme::Bioes => &['B', 'I', 'E', 'S'],
            TagScheme::Bmes => &['B', 'M', 'E', 'S'],
        }
    }
}

/// One tag: `O`, or a prefix and an entity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag<'a> {
    Outside,
    Entity(char, &'a str),
}

/// One sentence's rows: line number, token, tag.
type Rows<'a> = Vec<(usize, &'a str, Tag<'a>)>;

/// Reads a two-column corpus; returns it in BIO and the scheme it was read in
/// (the one recognised, when `scheme` is [`TagScheme::Auto`]).
pub fn read_conll(path: &Path, scheme: TagScheme) -> Result<(Corpus, TagScheme), DataError> {
    let text = source::read_text(path)?;
    let blocks = blocks(path, &text)?;
    let scheme = match scheme {
        TagScheme::Auto => recognise(&blocks),
        chosen => chosen,
    };
    let mut corpus = Corpus::default();
    for rows in &blocks {
        let tags = to_bio(rows, scheme).map_err(|(line, m)| DataError::malformed(path, line, m))?;
        corpus.sentences.push(Sentence {
            tokens: rows.iter().map(|(_, token, _)| token.to_string()).collect(),
            tags,
        });
    }
    Ok((corpus.non_empty(path)?, scheme))
}

/// Splits the text into sentences, checking the columns and each tag's form.
fn blocks<'a>(path: &Path, text: &'a str) -> Result<Vec<Rows<'a>>, DataError> {
    let mut blocks = Vec::new();
    let mut current = Vec::new();
    for (line, row) in numbered_lines(text) {
        let fields: Vec<&str> = row.split_ascii_whitespace().collect();
        match fields[..] {
            [] => {
                if !current.is_empty() {
                    blocks.push(std::mem::take(&mut current));
                }
            }
            [token, tag] => {
                let tag = parse_tag(tag).map_err(|m| DataError::malformed(path, line, m))?;
                current.push((line, token, tag));
            }
            _ => {
                let message = format!(
                    "expected 2 columns (CHARACTER, TAG), found {}",
                    fields.len()
                );
                return Err(DataError::malformed(path, line, message));
            }
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    Ok(blocks)
}

fn parse_tag(tag: &str) -> Result<Tag<'_>, String> {
    if tag == "O" {
        return Ok(Tag::Outside);
    }
    let mut chars = tag.chars();
    let prefix = chars
        .next()
        .filter(|c| TagScheme::Auto.prefixes().contains(c));
    match (prefix, chars.as_str().strip_prefix('-')) {
        (Some(prefix), Some(kind)) if !kind.is_empty() => Ok(Tag::Entity(prefix, kind)),
        _ => Err(format!(
            "tag `{tag}` is neither O nor PREFIX-TYPE with PREFIX one of B, I, M, E, S"
        )),
    }
}

/// The scheme the prefixes in use point to.
fn recognise(blocks: &[Rows<'_>]) -> TagScheme {
    let used = |p: char| {
        blocks
            .iter()
            .flatten()
            .any(|(_, _, tag)| matches!(tag, Tag::Entity(q, _) if *q == p))
    };
    if used('M') {
        TagScheme::Bmes
    } else if used('E') || used('S') {
        TagScheme::Bioes
    } else if blocks.iter().any(|rows| opens_with_inside(rows)) {
        TagScheme::Iob1
    } else {
        TagScheme::Bio
    }
}

/// Whether an `I-X` opens an entity somewhere in the sentence.
fn opens_with_inside(rows: &Rows<'_>) -> bool {
    let mut previous = Tag::Outside;
    rows.iter().any(|&(_, _, tag)| {
        let opens = matches!(tag, Tag::Entity('I', kind) if !continues(previous, kind));
        previous = tag;
        opens
    })
}

/// Whether a tag of type `kind` after `previous` continues the same entity.
fn continues(previous: Tag<'_>, kind: &str) -> bool {
    matches!(previous, Tag::Entity('B' | 'I' | 'M', k) if k == kind)
}

/// One sentence's tags in BIO; an error gives the line and what is wrong.
fn to_bio(rows: &Rows<'_>, scheme: TagScheme) -> Result<Vec<String>, (usize, String)> {
    let closing = matches!(scheme, TagScheme::Bioes | TagScheme::Bmes);
    let mut tags = Vec::with_capacity(rows.len());
    let mut previous = Tag::Outside;
    for &(line, _, tag) in rows {
        let open = matches!(previous, Tag::Entity('B' | 'I' | 'M', _)) && closing;
        let bio = match tag {
            Tag::Entity(p, _) if !scheme.prefixes().contains(&p) => {
                return Err((line, outside_scheme(tag, scheme)))
            }
            Tag::Entity('I' | 'M' | 'E', kind) if continues(previous, kind) => format!("I-{kind}"),
            Tag::Entity('I', kind) if scheme == TagScheme::Iob1 => format!("B-{kind}"),
            Tag::Entity(p @ ('I' | 'M' | 'E'), kind) => {
                return Err((
                    line,
                    format!(
                        "{p}-{kind} continues no {kind} entity ({} scheme{})",
                        scheme.name(),
                        hint(scheme)
                    ),
                ))
            }
            _ if open => {
                return Err((
                    line,
                    format!(
                        "{} is not closed by an E- tag ({} scheme)",
                        show(previous),
                        scheme.name()
                    ),
                ))
            }
            Tag::Entity(_, kind) => format!("B-{kind}"),
            Tag::Outside => "O".to_string(),
        };
        tags.push(bio);
        previous = tag;
    }
    if closing && matches!(previous, Tag::Entity('B' | 'I' | 'M', _)) {
        let line = rows.last().map_or(0, |r| r.0);
        return Err((
            line,
            format!(
                "{} ends the sentence without an E- tag ({} scheme)",
                show(previous),
                scheme.name()
            ),
        ));
    }
    Ok(tags)
}

fn show(tag: Tag<'_>) -> String {
    match tag {
        Tag::Outside => "O".to_string(),
        Tag::Entity(p, kind) => format!("{p}-{kind}"),
    }
}

fn outside_scheme(tag: Tag<'_>, scheme: TagScheme) -> String {
    format!(
        "tag `{}` is outside the {} scheme",
        show(tag),
        scheme.name()
    )
}

fn hint(scheme: TagScheme) -> &'static str {
    match scheme {
        TagScheme::Bio => "; scheme = \"iob1\" reads it as opening one",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ner.txt");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn read(text: &str, scheme: TagScheme) -> Result<(Vec<Vec<String>>, TagScheme), String> {
        let (_dir, path) = write(text);
        let (corpus, found) = read_conll(&path, scheme).map_err(|e| e.to_string())?;
        Ok((
            corpus.sentences.into_iter().map(|s| s.tags).collect(),
            found,
        ))
    }

    fn tags(list: &str) -> Vec<String> {
        list.split(' ').map(String::from).collect()
    }

    #[test]
    fn each_scheme_is_recognised_and_read_as_bio() {
        let bio = tags("B-PER I-PER O B-LOC B-LOC I-LOC");
        let cases = [
            ("B-PER I-PER O B-LOC B-LOC I-LOC", TagScheme::Bio),
            ("I-PER I-PER O I-LOC B-LOC I-LOC", TagScheme::Iob1),
            ("B-PER E-PER O S-LOC B-LOC E-LOC", TagScheme::Bioes),
        ];
        for (written, scheme) in cases {
            let text: String = written.split(' ').map(|t| format!("字\t{t}\n")).collect();
            assert_eq!(
                read(&text, TagScheme::Auto).unwrap(),
                (vec![bio.clone()], scheme)
            );
            assert_eq!(read(&text, scheme).unwrap(), (vec![bio.clone()], scheme));
        }
        let text = "a B-X\nb M-X\nc E-X\n\nd S-Y\n";
        let (read, found) = read(text, TagScheme::Auto).unwrap();
        assert_eq!(found, TagScheme::Bmes);
        assert_eq!(read, [tags("B-X I-X I-X"), tags("B-Y")]);
    }

    #[test]
    fn spaces_crlf_and_several_blank_lines_separate_as_tabs_do() {
        let (read, _) = read("a  B-X\r\nb\tI-X\r\n\r\n\r\nc O\r\n", TagScheme::Bio).unwrap();
        assert_eq!(read, [tags("B-X I-X"), tags("O")]);
    }

    #[test]
    fn malformed_lines_are_named() {
        let cases = [
            (
                "a B-X\nb\n",
                ":2: expected 2 columns (CHARACTER, TAG), found 1",
            ),
            ("a B-X extra\n", ":1: expected 2 columns"),
            ("a X-PER\n", ":1: tag `X-PER` is neither O nor PREFIX-TYPE"),
            (
                "a O\nb B_PER\n",
                ":2: tag `B_PER` is neither O nor PREFIX-TYPE",
            ),
            ("a B-\n", ":1: tag `B-` is neither"),
        ];
        for (text, expected) in cases {
            let err = read(text, TagScheme::Auto).unwrap_err();
            assert!(
                err.contains(&format!("ner.txt{expected}")),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn a_scheme_refuses_what_it_forbids() {
        let cases = [
            (
                "a O\nb I-X\n",
                TagScheme::Bio,
                ":2: I-X continues no X entity (bio scheme; scheme = \"iob1\"",
            ),
            (
                "a B-X\nb E-X\n",
                TagScheme::Bio,
                ":2: tag `E-X` is outside the bio scheme",
            ),
            (
                "a B-X\nb O\n",
                TagScheme::Bioes,
                ":2: B-X is not closed by an E- tag",
            ),
            (
                "a B-X\nb I-X\n",
                TagScheme::Bioes,
                ":2: I-X ends the sentence without an E- tag",
            ),
            (
                "a B-X\nb I-X\n",
                TagScheme::Bmes,
                ":2: tag `I-X` is outside the bmes scheme",
            ),
            (
                "a S-X\nb E-X\n",
                TagScheme::Bioes,
                ":2: E-X continues no X entity",
            ),
        ];
        for (text, scheme, expected) in cases {
            let err = read(text, scheme).unwrap_err();
            assert!(
                err.contains(&format!("ner.txt{expected}")),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn an_empty_file_is_an_error() {
        assert!(read("\n\n", TagScheme::Auto)
            .unwrap_err()
            .ends_with("no sentences"));
    }
}
