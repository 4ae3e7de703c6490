//! Every accepted corpus format reads a tiny generated corpus to the same
//! sentences and tags as its BIO twin, plain, `.gz` and `.xz` alike: IOB1,
//! BIOES and BMES two-column files, the MSRA slash format, and segmented
//! words (whose twin is the words' B/M/E/S tags).

use std::io::Write;
use std::path::{Path, PathBuf};

use atner::data::conll::{read_conll, TagScheme};
use atner::data::{read_cws, read_sighan, Sentence};

/// Sentences as (word, type) chunks; type "" is outside text.
fn chunks() -> Vec<Vec<(&'static str, &'static str)>> {
    vec![
        vec![("张三", "PER"), ("在", ""), ("北京", "LOC"), ("工作", "")],
        vec![
            ("李", "PER"),
            ("王五", "PER"),
            ("去了", ""),
            ("新华社", "ORG"),
        ],
        vec![("今天", ""), ("上海", "LOC"), ("上海", "LOC")],
    ]
}

/// One sentence's tags in `scheme`, written independently of the reader.
fn tags(sentence: &[(&str, &str)], scheme: TagScheme) -> Vec<String> {
    let mut tags = Vec::new();
    let mut previous = "";
    for &(word, kind) in sentence {
        let n = word.chars().count();
        for i in 0..n {
            let tag = match (kind, scheme) {
                ("", _) => "O".to_string(),
                (k, TagScheme::Bio) => format!("{}-{k}", if i == 0 { "B" } else { "I" }),
                (k, TagScheme::Iob1) => {
                    let b = i == 0 && previous == k;
                    format!("{}-{k}", if b { "B" } else { "I" })
                }
                (k, TagScheme::Bioes | TagScheme::Bmes) => {
                    let middle = if scheme == TagScheme::Bioes { "I" } else { "M" };
                    let p = match (i, n) {
                        (0, 1) => "S",
                        (0, _) => "B",
                        (i, n) if i + 1 == n => "E",
                        _ => middle,
                    };
                    format!("{p}-{k}")
                }
                (_, TagScheme::Auto) => unreachable!("a file is written in a scheme"),
            };
            tags.push(tag);
        }
        previous = kind;
    }
    tags
}

fn characters(sentence: &[(&str, &str)]) -> Vec<String> {
    sentence
        .iter()
        .flat_map(|(w, _)| w.chars().map(String::from))
        .collect()
}

fn bio_twin() -> Vec<Sentence> {
    chunks()
        .iter()
        .map(|s| Sentence {
            tokens: characters(s),
            tags: tags(s, TagScheme::Bio),
        })
        .collect()
}

/// Writes `text` as `name`, `name.gz` and `name.xz`.
fn write_three(dir: &Path, name: &str, text: &str) -> [PathBuf; 3] {
    let plain = dir.join(name);
    std::fs::write(&plain, text).unwrap();
    let gz = dir.join(format!("{name}.gz"));
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    let xz = dir.join(format!("{name}.xz"));
    let mut enc = xz2::write::XzEncoder::new(std::fs::File::create(&xz).unwrap(), 6);
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    [plain, gz, xz]
}

#[test]
fn every_tag_scheme_reads_as_its_bio_twin() {
    let dir = tempfile::tempdir().unwrap();
    let schemes = [
        TagScheme::Bio,
        TagScheme::Iob1,
        TagScheme::Bioes,
        TagScheme::Bmes,
    ];
    for scheme in schemes {
        let mut text = String::new();
        for s in chunks() {
            for (c, t) in characters(&s).iter().zip(tags(&s, scheme)) {
                text.push_str(&format!("{c}\t{t}\n"));
            }
            text.push('\n');
        }
        for path in write_three(dir.path(), scheme.name(), &text) {
            for asked in [scheme, TagScheme::Auto] {
                let (corpus, found) = read_conll(&path, asked).unwrap();
                assert_eq!(corpus.sentences, bio_twin(), "{}", path.display());
                assert_eq!(found, scheme, "{}", path.display());
            }
        }
    }
}

#[test]
fn the_msra_slash_format_reads_as_its_bio_twin() {
    let dir = tempfile::tempdir().unwrap();
    let code = |kind| match kind {
        "PER" => "nr",
        "LOC" => "ns",
        "ORG" => "nt",
        _ => "o",
    };
    // Adjacent entities of one type stay apart in the slash format; outside
    // text may be one chunk or several.
    let text: String = chunks()
        .iter()
        .map(|s| {
            let chunks: Vec<String> = s.iter().map(|(w, k)| format!("{w}/{}", code(k))).collect();
            chunks.join(" ") + "\n"
        })
        .collect();
    for path in write_three(dir.path(), "msra.txt", &text) {
        let corpus = read_sighan(&path).unwrap();
        assert_eq!(corpus.sentences, bio_twin(), "{}", path.display());
    }
}

#[test]
fn segmented_words_read_as_their_bmes_tags() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = chunks()
        .iter()
        .map(|s| {
            let words: Vec<&str> = s.iter().map(|(w, _)| *w).collect();
            words.join("  ") + "\r\n"
        })
        .collect();
    let expected: Vec<Sentence> = chunks()
        .iter()
        .map(|s| {
            let as_entities: Vec<(&str, &str)> = s.iter().map(|(w, _)| (*w, "W")).collect();
            Sentence {
                tokens: characters(s),
                tags: tags(&as_entities, TagScheme::Bmes)
                    .into_iter()
                    .map(|t| t[..1].to_string())
                    .collect(),
            }
        })
        .collect();
    for path in write_three(dir.path(), "words.txt", &text) {
        assert_eq!(
            read_cws(&path).unwrap().sentences,
            expected,
            "{}",
            path.display()
        );
    }
}

#[test]
fn vectors_read_the_same_plain_gz_and_xz() {
    use atner::data::{read_vectors, VectorFormat};
    let dir = tempfile::tempdir().unwrap();
    let text = "2 3\n张 0.5 -1 2\n三 0 0.25 1e-2\n";
    let [plain, gz, xz] = write_three(dir.path(), "vec.txt", text);
    let expected = read_vectors(&plain, VectorFormat::Word2vec).unwrap();
    assert_eq!(expected.len(), 2);
    for path in [gz, xz] {
        assert_eq!(
            read_vectors(&path, VectorFormat::Word2vec).unwrap(),
            expected
        );
    }
}
