//! `runner eval`: scores a CoNLL file (one token a line, whitespace-separated
//! columns, the last two the gold and predicted tags, a blank line between
//! sentences) with [`atner::metrics`], and prints conlleval's report.
//!
//! The report opens with conlleval's own lines, byte for byte (so scripts that
//! parse conlleval keep working), then a table of the counts behind each row,
//! with the NE/NM/overall rows of the paper's Table 3 when the types carry
//! `.NAM`/`.NOM`. `--json` prints the same numbers as one JSON object.
//! A line whose first column is `-X-` is a sentence boundary, as in conlleval.
//! Malformed input is an error naming the file and the 1-based line. The
//! command's arguments are in `commands::eval`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use atner::metrics::{Counter, Counts, MetricsError, Scheme, Scores};
use serde::Serialize;

/// The input's display name and bytes; `-` is standard input.
pub fn read_input(path: &Path) -> Result<(String, Vec<u8>), InputError> {
    let stdin = path == Path::new("-");
    let read = if stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map(|_| bytes)
    } else {
        std::fs::read(path)
    };
    let name = if stdin {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    match read {
        Ok(bytes) => Ok((name, bytes)),
        Err(source) => Err(InputError::Read { file: name, source }),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: empty input: no token lines")]
    Empty { file: String },
    #[error("{file}:{line}: {problem}")]
    Line {
        file: String,
        line: usize,
        problem: LineProblem,
    },
}

/// What is wrong with one line of input.
#[derive(Debug, thiserror::Error)]
pub enum LineProblem {
    #[error("invalid UTF-8")]
    Utf8,
    #[error("{0} column(s); expected at least 2 (… gold predicted)")]
    TooFewColumns(usize),
    #[error("{found} columns, but line {first_line} of this sentence has {expected}")]
    ColumnCount {
        found: usize,
        expected: usize,
        first_line: usize,
    },
    #[error("{column} tag `{tag}` is not O or B-/I-/E-/S- followed by a type")]
    TagShape { column: &'static str, tag: String },
    #[error(transparent)]
    Metrics(#[from] MetricsError),
}

/// Scores CoNLL text; `file` names it in errors. Every blank line (or line
/// whose first column is conlleval's `-X-`) is a sentence boundary.
pub fn score_conll(bytes: &[u8], file: &str, scheme: Scheme) -> Result<Scores, InputError> {
    let mut counter = Counter::new(scheme);
    let mut sentence_columns: Option<(usize, usize)> = None;
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let lines = body.split(|&b| b == b'\n');
    for (line, raw) in (1..).zip(lines) {
        let at = |problem| InputError::Line {
            file: file.to_owned(),
            line,
            problem,
        };
        let text = std::str::from_utf8(raw).map_err(|_| at(LineProblem::Utf8))?;
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.first().is_none_or(|&first| first == "-X-") {
            counter.boundary();
            sentence_columns = None;
            continue;
        }
        check_columns(fields.len(), line, &mut sentence_columns).map_err(at)?;
        let (gold, pred) = (fields[fields.len() - 2], fields[fields.len() - 1]);
        check_shape("gold", gold).map_err(at)?;
        check_shape("predicted", pred).map_err(at)?;
        counter.push(gold, pred).map_err(|e| at(e.into()))?;
    }
    let scores = counter.finish();
    if scores.tokens == 0 {
        return Err(InputError::Empty {
            file: file.to_owned(),
        });
    }
    Ok(scores)
}

/// At least two columns, and as many as the sentence's first line.
fn check_columns(
    found: usize,
    line: usize,
    sentence: &mut Option<(usize, usize)>,
) -> Result<(), LineProblem> {
    if found < 2 {
        return Err(LineProblem::TooFewColumns(found));
    }
    let (expected, first_line) = *sentence.get_or_insert((found, line));
    if found != expected {
        return Err(LineProblem::ColumnCount {
            found,
            expected,
            first_line,
        });
    }
    Ok(())
}

/// `O`, or `B-`, `I-`, `E-`, `S-` and a non-empty type.
fn check_shape(column: &'static str, tag: &str) -> Result<(), LineProblem> {
    let ok = tag == "O"
        || tag
            .split_once('-')
            .is_some_and(|(p, t)| matches!(p, "B" | "I" | "E" | "S") && !t.is_empty());
    if ok {
        Ok(())
    } else {
        Err(LineProblem::TagShape {
            column,
            tag: tag.to_owned(),
        })
    }
}

/// conlleval's report, then the counts table.
pub fn render(scores: &Scores) -> String {
    let mut out = conlleval_lines(scores);
    out.push('\n');
    out.push_str(&counts_table(scores));
    out
}

/// The lines conlleval prints, formatted as its `printf`s format them.
pub fn conlleval_lines(scores: &Scores) -> String {
    let o = &scores.overall;
    let mut out = format!(
        "processed {} tokens with {} phrases; found: {} phrases; correct: {}.\n",
        scores.tokens, o.gold, o.guessed, o.correct
    );
    if scores.tokens > 0 {
        out += &format!(
            "accuracy: {:6.2}%; precision: {:6.2}%; recall: {:6.2}%; FB1: {:6.2}\n",
            scores.accuracy(),
            o.precision(),
            o.recall(),
            o.f1()
        );
    }
    for (kind, c) in reported_types(scores) {
        out += &format!(
            "{kind:>17}: precision: {:6.2}%; recall: {:6.2}%; FB1: {:6.2}  {}\n",
            c.precision(),
            c.recall(),
            c.f1(),
            c.guessed
        );
    }
    out
}

/// Types conlleval lists: those found in the gold or the prediction.
fn reported_types(scores: &Scores) -> impl Iterator<Item = (&String, &Counts)> {
    scores
        .per_type
        .iter()
        .filter(|(_, c)| c.gold + c.guessed > 0)
}

/// Rows of the counts table: per type, then NE and NM if any, then overall.
fn table_rows(scores: &Scores) -> Vec<(String, Counts)> {
    let mut rows: Vec<(String, Counts)> = reported_types(scores)
        .map(|(kind, c)| (kind.clone(), *c))
        .collect();
    if let Some(m) = scores.by_mention() {
        rows.push(("NE".to_owned(), m.named));
        rows.push(("NM".to_owned(), m.nominal));
    }
    rows.push(("overall".to_owned(), scores.overall));
    rows
}

fn counts_table(scores: &Scores) -> String {
    let mut out = format!(
        "{:>17}  {:>7} {:>7} {:>7}  {:>9} {:>7} {:>7}\n",
        "type", "gold", "found", "correct", "precision", "recall", "FB1"
    );
    for (name, c) in table_rows(scores) {
        out += &format!(
            "{name:>17}  {:>7} {:>7} {:>7}  {:>9.2} {:>7.2} {:>7.2}\n",
            c.gold,
            c.guessed,
            c.correct,
            c.precision(),
            c.recall(),
            c.f1()
        );
    }
    out
}

/// The JSON form of the report.
#[derive(Debug, Serialize)]
pub struct JsonReport {
    pub scheme: Scheme,
    pub tokens: u64,
    pub correct_tokens: u64,
    pub accuracy: f64,
    pub overall: JsonRow,
    pub per_type: BTreeMap<String, JsonRow>,
    /// `NE`, `NM` and `overall`, when the types carry `.NAM`/`.NOM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mention_kinds: Option<BTreeMap<String, JsonRow>>,
}

/// One row: counts, then P, R and F1 in percent.
#[derive(Debug, Serialize)]
pub struct JsonRow {
    #[serde(flatten)]
    pub counts: Counts,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl JsonRow {
    fn new(counts: &Counts) -> Self {
        JsonRow {
            counts: *counts,
            precision: counts.precision(),
            recall: counts.recall(),
            f1: counts.f1(),
        }
    }
}

impl JsonReport {
    pub fn new(scores: &Scores, scheme: Scheme) -> Self {
        let per_type = reported_types(scores)
            .map(|(kind, c)| (kind.clone(), JsonRow::new(c)))
            .collect();
        let mention_kinds = scores.by_mention().map(|m| {
            [("NE", m.named), ("NM", m.nominal), ("overall", m.overall)]
                .iter()
                .map(|(name, c)| (name.to_string(), JsonRow::new(c)))
                .collect()
        });
        JsonReport {
            scheme,
            tokens: scores.tokens,
            correct_tokens: scores.correct_tokens,
            accuracy: scores.accuracy(),
            overall: JsonRow::new(&scores.overall),
            per_type,
            mention_kinds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(text: &str) -> Result<Scores, InputError> {
        score_conll(text.as_bytes(), "t.conll", Scheme::Conlleval)
    }

    fn error(text: &[u8]) -> String {
        let err = score_conll(text, "t.conll", Scheme::Conlleval).expect_err("bad input");
        err.to_string()
    }

    const WEIBO: &str = "\
我 B-PER.NAM B-PER.NAM
们 I-PER.NAM I-PER.NAM
去 O O
北 B-GPE.NAM B-LOC.NAM
京 I-GPE.NAM I-LOC.NAM

妈 B-PER.NOM B-PER.NOM
妈 I-PER.NOM O
";

    #[test]
    fn scores_a_weibo_style_file() {
        // Gold: PER.NAM 0..2, GPE.NAM 3..5 | PER.NOM 0..2. Pred: PER.NAM 0..2
        // (correct), LOC.NAM 3..5 (wrong type) | PER.NOM 0..1 (wrong end).
        let s = score(WEIBO).expect("valid input");
        assert_eq!(
            (s.overall.gold, s.overall.guessed, s.overall.correct),
            (3, 3, 1)
        );
        assert_eq!((s.tokens, s.correct_tokens), (7, 4));
    }

    #[test]
    fn report_opens_with_conlleval_lines() {
        let text = render(&score(WEIBO).expect("valid input"));
        // accuracy 4/7 = 57.14%; P = R = F = 1/3 = 33.33.
        let expected = "\
processed 7 tokens with 3 phrases; found: 3 phrases; correct: 1.
accuracy:  57.14%; precision:  33.33%; recall:  33.33%; FB1:  33.33
          GPE.NAM: precision:   0.00%; recall:   0.00%; FB1:   0.00  0
          LOC.NAM: precision:   0.00%; recall:   0.00%; FB1:   0.00  1
          PER.NAM: precision: 100.00%; recall: 100.00%; FB1: 100.00  1
          PER.NOM: precision:   0.00%; recall:   0.00%; FB1:   0.00  1
";
        assert!(text.starts_with(expected), "{text}");
        // NE: gold 2, found 2, correct 1; NM: 1, 1, 0.
        assert!(
            text.contains(
                "               NE        2       2       1      50.00   50.00   50.00\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("               NM        1       1       0"),
            "{text}"
        );
        assert!(
            text.contains("          overall        3       3       1"),
            "{text}"
        );
    }

    #[test]
    fn json_has_the_same_numbers() {
        let report = JsonReport::new(&score(WEIBO).expect("valid"), Scheme::Conlleval);
        let json = serde_json::to_value(&report).expect("serialisable");
        assert_eq!(json["overall"]["correct"], 1);
        assert_eq!(json["per_type"]["PER.NAM"]["f1"], 100.0);
        assert_eq!(json["mention_kinds"]["NE"]["gold"], 2);
        assert_eq!(json["scheme"], "conlleval");
    }

    #[test]
    fn no_mention_rows_without_suffixes() {
        let s = score("a B-PER B-PER\n").expect("valid");
        assert!(!render(&s).contains(" NE "));
        let json = serde_json::to_value(JsonReport::new(&s, Scheme::Conlleval)).expect("json");
        assert!(json.get("mention_kinds").is_none());
    }

    #[test]
    fn too_few_columns_names_the_line() {
        assert_eq!(
            error(b"a O O\nb\n"),
            "t.conll:2: 1 column(s); expected at least 2 (… gold predicted)"
        );
    }

    #[test]
    fn column_count_must_hold_within_a_sentence() {
        let msg = error(b"a x O O\nb O O\n");
        assert_eq!(
            msg,
            "t.conll:2: 3 columns, but line 1 of this sentence has 4"
        );
        // A new sentence may have another column count.
        assert!(score("a x O O\n\nb O O\n").is_ok());
    }

    #[test]
    fn unknown_tag_shape_is_an_error() {
        for (bad, column) in [
            ("B-", "predicted"),
            ("X-PER", "predicted"),
            ("I", "predicted"),
        ] {
            let msg = error(format!("a O O\nb O {bad}\n").as_bytes());
            let expected = format!(
                "t.conll:2: {column} tag `{bad}` is not O or B-/I-/E-/S- followed by a type"
            );
            assert_eq!(msg, expected);
        }
        assert!(error(b"a PER O\n").starts_with("t.conll:1: gold tag `PER`"));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        assert_eq!(error(b"a O O\n\n\xff O O\n"), "t.conll:3: invalid UTF-8");
    }

    #[test]
    fn empty_input_is_an_error() {
        assert_eq!(error(b""), "t.conll: empty input: no token lines");
        assert_eq!(error(b"\n\n"), "t.conll: empty input: no token lines");
    }

    #[test]
    fn missing_file_is_an_error() {
        let err = read_input(Path::new("/nonexistent/eval.conll")).expect_err("missing");
        assert!(err
            .to_string()
            .starts_with("/nonexistent/eval.conll: cannot read:"));
    }

    #[test]
    fn strict_mode_rejects_iobes_with_the_line() {
        let err = score_conll(b"a O O\nb S-X O\n", "t.conll", Scheme::StrictIob2);
        let msg = err.expect_err("S- is not IOB2").to_string();
        assert!(msg.starts_with("t.conll:2: tag `S-X` is not IOB2"), "{msg}");
    }

    #[test]
    fn crlf_and_docstart_boundaries_are_accepted() {
        let s = score("a B-X B-X\r\n-X- O O\r\nb I-X I-X\r\n").expect("valid");
        // -X- is a boundary, so I-X opens a second chunk.
        assert_eq!((s.tokens, s.overall.gold, s.overall.correct), (2, 2, 2));
    }
}
