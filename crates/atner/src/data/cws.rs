//! Chinese word segmentation corpora, the auxiliary task (paper §3, §4.1):
//! segmented text, one sentence a line, as B/M/E/S character tags.
//!
//! Words are separated by ASCII spaces, tabs or carriage returns only (MSR's
//! test gold uses two spaces and CRLF). Other whitespace, such as the U+00A0
//! and U+3000 inside NLPCC-2016 tokens, is kept as characters of the word.
//! Empty tokens (double spaces) and empty lines are skipped. One reader serves
//! CTB6 (`ctb6.*.seg`), NLPCC-2016 (`*.dat`) and MSR (`msr_*.utf8`).

use std::path::Path;

use super::source::{self, numbered_lines};
use super::{Corpus, DataError, Sentence};

/// Reads a segmented-text file (`.xz` transparently).
pub fn read_cws(path: &Path) -> Result<Corpus, DataError> {
    let text = source::read_text(path)?;
    let mut corpus = Corpus::default();
    for (_, line) in numbered_lines(&text) {
        let mut sentence = Sentence {
            tokens: Vec::new(),
            tags: Vec::new(),
        };
        for word in words(line) {
            push_word(&mut sentence, word);
        }
        if !sentence.is_empty() {
            corpus.sentences.push(sentence);
        }
    }
    corpus.non_empty(path)
}

/// The words of one line.
pub fn words(line: &str) -> impl Iterator<Item = &str> {
    line.split([' ', '\t', '\r']).filter(|w| !w.is_empty())
}

/// Appends a word's characters tagged S (one character) or B, M…, E.
fn push_word(sentence: &mut Sentence, word: &str) {
    let last = word.chars().count() - 1;
    for (i, c) in word.chars().enumerate() {
        let tag = match (i, last) {
            (0, 0) => "S",
            (0, _) => "B",
            (i, last) if i == last => "E",
            _ => "M",
        };
        sentence.tokens.push(c.to_string());
        sentence.tags.push(tag.to_string());
    }
}

/// The released code's normalisation of CWS text (docs/fidelity.md, row 9):
/// full-width forms become half-width (U+3000 a space, which then separates
/// words, as any whitespace does), every number (`-3`, `2.5`, `40%`) becomes
/// one `0` and every run of Latin letters, `_` and `.` one `X`; the words are
/// tagged again (a number is one character now). Ours reads CWS text raw.
pub fn normalise(sentence: &Sentence) -> Sentence {
    let mut out = Sentence {
        tokens: Vec::new(),
        tags: Vec::new(),
    };
    for word in words_of(sentence) {
        let half: String = word.chars().map(half_width).collect();
        for piece in half.split(char::is_whitespace).filter(|w| !w.is_empty()) {
            push_word(&mut out, &latin_runs(&numbers(piece)));
        }
    }
    out
}

/// A sentence's words, read back from its B/M/E/S tags.
fn words_of(sentence: &Sentence) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for (token, tag) in sentence.tokens.iter().zip(&sentence.tags) {
        match (tag.as_str(), words.last_mut()) {
            ("M" | "E", Some(word)) => word.push_str(token),
            _ => words.push(token.clone()),
        }
    }
    words
}

fn half_width(c: char) -> char {
    match c as u32 {
        0x3000 => ' ',
        code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// `[-+]?[0-9]+(\.[0-9]+)?%?` → `0`, leftmost first, as `re.sub` does.
fn numbers(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let digits = |from: usize| {
        chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let (mut out, mut i) = (String::new(), 0);
    while i < chars.len() {
        let start = i + usize::from(matches!(chars[i], '-' | '+'));
        let whole = digits(start);
        if whole == 0 {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut end = start + whole;
        if chars.get(end) == Some(&'.') && end + 1 < chars.len() && digits(end + 1) > 0 {
            end += 1 + digits(end + 1);
        }
        if chars.get(end) == Some(&'%') {
            end += 1;
        }
        out.push('0');
        i = end;
    }
    out
}

/// `[A-Za-z_.]+` → `X`.
fn latin_runs(word: &str) -> String {
    let latin = |c: char| c.is_ascii_alphabetic() || c == '_' || c == '.';
    let mut out = String::new();
    for c in word.chars() {
        if !latin(c) {
            out.push(c);
        } else if !out.ends_with('X') {
            out.push('X');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(words: &[&str]) -> Sentence {
        let mut s = Sentence {
            tokens: Vec::new(),
            tags: Vec::new(),
        };
        for w in words {
            push_word(&mut s, w);
        }
        s
    }

    #[test]
    fn normalisation_follows_the_released_preprocessing() {
        let cases: [(&[&str], &[&str]); 6] = [
            (&["２０１８年", "iPhone7"], &["0年", "X0"]),
            (&["增长", "3.5%", "-12"], &["增长", "0", "0"]),
            (&["Mr.", "张"], &["X", "张"]),
            (&["ＡＢＣ", "，"], &["X", ","]),
            (&["上海\u{3000}浦东"], &["上海", "浦东"]),
            (&["v2.0版", "1.", "a_b"], &["X0版", "0X", "X"]),
        ];
        for (raw, expected) in cases {
            assert_eq!(normalise(&sentence(raw)), sentence(expected), "{raw:?}");
        }
        let plain = sentence(&["我", "爱", "北京"]);
        assert_eq!(normalise(&plain), plain);
    }

    fn write(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctb6.train.seg");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    #[test]
    fn words_become_bmes_tags() {
        let (_dir, path) = write("我 爱 北京 天安门广场\n".as_bytes());
        let corpus = read_cws(&path).unwrap();
        let s = &corpus.sentences[0];
        assert_eq!(s.tokens.concat(), "我爱北京天安门广场");
        assert_eq!(s.tags, ["S", "S", "B", "E", "B", "M", "M", "M", "E"]);
    }

    #[test]
    fn msr_double_spaces_and_crlf_are_separators() {
        let (_dir, path) = write("扬帆  远东  \r\n\r\n做  与  中国  \r\n".as_bytes());
        let corpus = read_cws(&path).unwrap();
        assert_eq!(corpus.sentences.len(), 2);
        assert_eq!(corpus.sentences[0].tags, ["B", "E", "B", "E"]);
        assert_eq!(corpus.sentences[1].tokens.concat(), "做与中国");
    }

    #[test]
    fn non_ascii_spaces_stay_inside_words() {
        let (_dir, path) = write("a\u{a0}b \u{3000} 好\n".as_bytes());
        let corpus = read_cws(&path).unwrap();
        let s = &corpus.sentences[0];
        assert_eq!(s.tokens, ["a", "\u{a0}", "b", "\u{3000}", "好"]);
        assert_eq!(s.tags, ["B", "M", "E", "S", "S"]);
    }

    #[test]
    fn invalid_utf8_is_an_error_with_line() {
        let (_dir, path) = write(b"ok\n\xff\xfe\n");
        let err = read_cws(&path).unwrap_err();
        assert!(
            err.to_string().contains("ctb6.train.seg:2: invalid UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn empty_file_is_an_error() {
        let (_dir, path) = write(b"  \r\n\n");
        assert!(read_cws(&path)
            .unwrap_err()
            .to_string()
            .ends_with("no sentences"));
    }

    #[test]
    fn missing_file_is_an_error() {
        assert!(read_cws(Path::new("/nonexistent/msr_training.utf8")).is_err());
    }
}
