//! Entity-level scoring that agrees exactly with conlleval, the CoNLL-2000
//! evaluation script the paper's P, R and F1 come from (§4.1, Tables 2–5).
//!
//! An entity is a chunk of tags; a predicted entity is correct when its start,
//! end and type match a gold one; P, R and F1 are micro-averaged over entities,
//! overall, per type, per base type and, for the updated WeiboNER, per mention
//! kind (NE = `.NAM`, NM = `.NOM`, Table 3).
//!
//! Two readings of the tags ([`Scheme`]):
//! - [`Scheme::Conlleval`] (default) is the Perl script's, rule for rule: a tag
//!   splits at its first `-` into prefix and type; an `I-X` after `O` or after
//!   another type starts a chunk; a type change ends one. Counting follows the
//!   script's token-by-token loop ([`Counter`]), `inCorrect` flag included.
//! - [`Scheme::StrictIob2`] is seqeval's strict IOB2: tags are `O`, `B-T`,
//!   `I-T`; a chunk is a `B-T` and the `I-T` that follow it; an `I-T` that
//!   continues no chunk of type `T` starts nothing.
//!
//! conlleval subtleties reproduced here (each has a test):
//! - Its `E-` is IOE's and it knows no `S-`: `S-X S-X`, `B-X S-X` and
//!   `E-X B-X` each continue one chunk; only a type change or `O` splits them.
//!   Score IOBES output after converting it to IOB2.
//! - The type `0` (as in `B-0`) reads as the empty type (`"0"` is false in
//!   Perl); chunks of empty type do not end at `O` after `S-`, so they can run
//!   across `O` tokens and sentence boundaries.
//! - A correct phrase is counted when gold and prediction start together with
//!   the same type and then end together; the flag also drops when the current
//!   types differ while neither chunk ends (possible only after a `.` prefix,
//!   test `in_correct_drops_when_types_diverge_without_an_end`).
//!   For O/B/I/E/S tags with non-empty
//!   types this equals intersecting the two sets of [`chunks`] (property-tested,
//!   and exhaustively for short sequences). With conlleval's `.` prefix (never
//!   ends a chunk, not even at a sentence boundary), `[`/`]` (start a chunk
//!   without ending the open one) or empty types, the two counts can differ;
//!   conlleval's streaming count is the one reported (see the test
//!   `streaming_differs_from_span_sets_on_malformed_tags`).
//! - The per-type table of the script prints the empty type twice when both
//!   gold and prediction use it; that printing slip is not reproduced.

mod counter;
mod scores;
mod tag;

pub use counter::Counter;
pub use scores::{Counts, MentionKind, MentionScores, Scores};
pub use tag::{chunks, Span};

use serde::{Deserialize, Serialize};

/// How tags delimit chunks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// conlleval's `startOfChunk`/`endOfChunk` on any tags.
    #[default]
    Conlleval,
    /// IOB2 only; an `I-T` that continues no `T` chunk is ignored.
    StrictIob2,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetricsError {
    #[error("gold has {gold} sentences, prediction {pred}")]
    SentenceCount { gold: usize, pred: usize },
    /// `sentence` is 0-based.
    #[error("sentence {sentence} (0-based): gold has {gold} tags, prediction {pred}")]
    LengthMismatch {
        sentence: usize,
        gold: usize,
        pred: usize,
    },
    /// Strict IOB2 met a tag other than `O`, `B-T`, `I-T`; positions are 0-based.
    #[error("tag `{tag}` is not IOB2 (strict mode takes O, B-TYPE, I-TYPE), at sentence {sentence}, token {token} (0-based)")]
    NotIob2 {
        sentence: usize,
        token: usize,
        tag: String,
    },
}

/// Scores predicted tags against gold ones, one `Vec` per sentence, as conlleval
/// scores a file that holds the sentences each followed by a blank line.
pub fn score<S: AsRef<str>>(
    gold: &[Vec<S>],
    pred: &[Vec<S>],
    scheme: Scheme,
) -> Result<Scores, MetricsError> {
    if gold.len() != pred.len() {
        return Err(MetricsError::SentenceCount {
            gold: gold.len(),
            pred: pred.len(),
        });
    }
    let mut counter = Counter::new(scheme);
    for (sentence, (g, p)) in gold.iter().zip(pred).enumerate() {
        if g.len() != p.len() {
            return Err(MetricsError::LengthMismatch {
                sentence,
                gold: g.len(),
                pred: p.len(),
            });
        }
        for (g, p) in g.iter().zip(p) {
            counter.push(g.as_ref(), p.as_ref())?;
        }
        counter.boundary();
    }
    Ok(counter.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<Vec<&str>> {
        text.split('|')
            .map(|s| s.split_whitespace().collect())
            .collect()
    }

    fn run(gold: &str, pred: &str, scheme: Scheme) -> Scores {
        score(&sentences(gold), &sentences(pred), scheme).expect("aligned input")
    }

    fn counts(correct: u64, guessed: u64, gold: u64) -> Counts {
        Counts::new(correct, guessed, gold)
    }

    #[test]
    fn i_after_o_starts_a_chunk() {
        // Pred I-X after O starts (rule O,I) a chunk 1..3; gold B-X I-X is 1..3.
        // Both start at 1 with type X (inCorrect), neither ends at 2, both end at
        // the O: correct 1. Tokens differ only at 1 (B vs I): 3 of 4 right.
        let s = run("O B-X I-X O", "O I-X I-X O", Scheme::Conlleval);
        assert_eq!(s.overall, counts(1, 1, 1));
        assert_eq!((s.tokens, s.correct_tokens), (4, 3));
    }

    #[test]
    fn i_after_other_type_splits_the_prediction() {
        // Pred B-Y I-X I-X: the type change at 1 ends Y (0..1) and starts X (1..3).
        // Gold B-Y I-Y I-Y is one Y chunk 0..3. At token 1 only pred ends, so
        // inCorrect drops: correct 0, guessed 2 (Y, X), gold 1 (Y).
        let s = run("B-Y I-Y I-Y", "B-Y I-X I-X", Scheme::Conlleval);
        assert_eq!(s.overall, counts(0, 2, 1));
        assert_eq!(s.per_type["Y"], counts(0, 1, 1));
        assert_eq!(s.per_type["X"], counts(0, 1, 0));
    }

    #[test]
    fn b_x_i_y_is_two_chunks() {
        // Gold B-X I-Y: the type change makes 0..1 X and 1..2 Y, which is exactly
        // pred B-X B-Y: both end at 1 (types X, X) → 1; both end at the
        // boundary (types Y, Y) → 2.
        let s = run("B-X I-Y", "B-X B-Y", Scheme::Conlleval);
        assert_eq!(s.overall, counts(2, 2, 2));
        assert_eq!((s.tokens, s.correct_tokens), (2, 1));
    }

    #[test]
    fn s_and_e_tags_are_read_as_conlleval_reads_them() {
        // Gold S-X O B-X E-X: S-X starts by type (""→X), O ends it, B-X E-X is
        // one chunk: 0..1, 2..4. Pred S-X S-X B-X E-X: no rule names S, (S,B)
        // and (B,E) are not listed and the type stays X: one chunk 0..4.
        // At token 1 only gold ends: correct 0; gold 2, guessed 1.
        let s = run("S-X O B-X E-X", "S-X S-X B-X E-X", Scheme::Conlleval);
        assert_eq!(s.overall, counts(0, 1, 2));
        // Gold E-X E-X: (O,E) starts, (E,E) ends and starts: 0..1, 1..2.
        // Pred I-X E-X: (I,E) neither: 0..2. Only gold ends at 1: correct 0.
        let s = run("E-X E-X", "I-X E-X", Scheme::Conlleval);
        assert_eq!(s.overall, counts(0, 1, 2));
    }

    #[test]
    fn sentence_boundaries_flush_chunks() {
        // The boundary is an O: B-X at the end of sentence 1 ends there, and
        // I-X opening sentence 2 starts a new chunk (rule O,I): 2 chunks each.
        let s = run("O B-X | I-X O", "O B-X | I-X O", Scheme::Conlleval);
        assert_eq!(s.overall, counts(2, 2, 2));
        // An entity on the last token of the input is counted.
        let s = run("O B-X | O B-Y", "O B-X | O O", Scheme::Conlleval);
        assert_eq!(s.overall, counts(1, 1, 2));
        assert_eq!(s.per_type["Y"], counts(0, 0, 1));
    }

    #[test]
    fn empty_predictions_score_zero() {
        // Nothing guessed: P = 0 (0/0), R = 0/2 = 0, F = 0.
        let s = run("B-X I-X O B-Y", "O O O O", Scheme::Conlleval);
        assert_eq!(s.overall, counts(0, 0, 2));
        let o = s.overall;
        assert_eq!((o.precision(), o.recall(), o.f1()), (0.0, 0.0, 0.0));
        assert_eq!(s.accuracy(), 25.0);
    }

    #[test]
    fn all_o_has_no_phrases_and_full_accuracy() {
        let s = run("O O | O", "O O | O", Scheme::Conlleval);
        assert_eq!(s.overall, counts(0, 0, 0));
        assert!(s.per_type.is_empty());
        assert_eq!((s.tokens, s.accuracy()), (3, 100.0));
    }

    #[test]
    fn strict_mode_drops_stray_i() {
        // conlleval: pred I-X after O is a chunk 1..2; gold B-X I-X is 0..2.
        // Strict: the stray I-X starts nothing, so nothing is guessed.
        let (gold, pred) = ("B-X I-X O", "O I-X O");
        assert_eq!(run(gold, pred, Scheme::Conlleval).overall, counts(0, 1, 1));
        assert_eq!(run(gold, pred, Scheme::StrictIob2).overall, counts(0, 0, 1));
    }

    #[test]
    fn type_zero_is_the_empty_type() {
        // B-0 reads as B with type "": the chunk is counted under "" and, since
        // (S,O) ends only by a type change, S-0 O does not end it: the gold chunk
        // B-0 S-0 O runs on to the boundary while pred B-0 O ends at the O.
        let s = run("B-0 S-0 O", "B-0 O O", Scheme::Conlleval);
        assert_eq!(s.per_type[""], counts(0, 1, 1));
        assert_eq!(
            chunks(&["B-0", "S-0", "O"], Scheme::Conlleval).unwrap()[0].end,
            3
        );
    }

    #[test]
    fn streaming_differs_from_span_sets_on_malformed_tags() {
        // Found by exhaustive search over short sequences, confirmed with the
        // Perl script. (1) Gold I-X I-X and pred I-X .-X are both the span 0..2
        // X, but endOfChunk never fires after a "." prefix, so at the boundary
        // only the gold chunk ends and conlleval counts 0 correct.
        let (gold, pred) = ("I-X I-X", "I-X .-X");
        let spans = |t: &str| chunks(&sentences(t)[0], Scheme::Conlleval).unwrap();
        assert_eq!(spans(gold), spans(pred));
        assert_eq!(run(gold, pred, Scheme::Conlleval).overall, counts(0, 1, 1));
        // (2) "[" starts a chunk without ending the open one: gold B-X [-X has
        // spans 0..1, 1..2 like pred B-X B-X, but at token 1 only pred ends,
        // so the first pair is lost: correct 1 of 2 (conlleval prints 1).
        let (gold, pred) = ("B-X [-X", "B-X B-X");
        assert_eq!(spans(gold), spans(pred));
        assert_eq!(run(gold, pred, Scheme::Conlleval).overall, counts(1, 2, 2));
    }

    #[test]
    fn in_correct_drops_when_types_diverge_without_an_end() {
        // Gold B-X I-X I-X; pred B-X .-X B-Y. Both start X at 0 (inCorrect).
        // At 2 neither side ends (no rule ends a chunk after a "." prefix), but
        // the current types differ (X vs Y), so conlleval drops inCorrect; the
        // boundary then ends both, too late: correct 0 (the Perl script agrees).
        let s = run("B-X I-X I-X", "B-X .-X B-Y", Scheme::Conlleval);
        assert_eq!(s.overall, counts(0, 2, 1));
    }

    #[test]
    fn mismatched_lengths_name_the_sentence() {
        let err = score(
            &sentences("O | O O"),
            &sentences("O | O"),
            Scheme::Conlleval,
        );
        let err = err.expect_err("sentence 1 differs");
        assert_eq!(
            err,
            MetricsError::LengthMismatch {
                sentence: 1,
                gold: 2,
                pred: 1
            }
        );
        let err = score(&sentences("O"), &sentences("O | O"), Scheme::Conlleval);
        assert!(matches!(err, Err(MetricsError::SentenceCount { .. })));
    }

    #[test]
    fn strict_error_names_sentence_and_token() {
        let err = run_err("O | O S-X", "O | O O");
        assert_eq!(
            err,
            MetricsError::NotIob2 {
                sentence: 1,
                token: 1,
                tag: "S-X".into()
            }
        );
    }

    fn run_err(gold: &str, pred: &str) -> MetricsError {
        score(&sentences(gold), &sentences(pred), Scheme::StrictIob2).expect_err("not IOB2")
    }
}
