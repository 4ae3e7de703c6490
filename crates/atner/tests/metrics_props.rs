//! Properties of `atner::metrics`: conlleval's streaming count against a
//! brute-force intersection of span sets, strict IOB2 against conlleval, and
//! the additivity that lets scores over files and seeds be merged.

use std::collections::BTreeSet;

use atner::metrics::{chunks, score, Counts, Scheme, Span};
use proptest::prelude::*;

const BIO: &[&str] = &["O", "B-X", "I-X", "B-Y", "I-Y"];
const BIOES: &[&str] = &["O", "B-X", "I-X", "E-X", "S-X", "B-Y", "I-Y", "E-Y", "S-Y"];

/// Random sentences (1–4 of 0–8 tags) over `alphabet`, as a gold/pred pair of
/// equal shape: malformed sequences (I-X after O, I-Y after B-X) included.
fn pair(alphabet: &'static [&'static str]) -> impl Strategy<Value = (Sents, Sents)> {
    prop::collection::vec(1usize..=8, 1..=4).prop_flat_map(move |lengths| {
        let side = |lengths: &[usize]| {
            lengths
                .iter()
                .map(|&n| prop::collection::vec(prop::sample::select(alphabet), n))
                .collect::<Vec<_>>()
        };
        (side(&lengths), side(&lengths))
    })
}

type Sents = Vec<Vec<&'static str>>;

/// Valid IOB2: an I-T only ever continues a B-T or I-T.
fn iob2() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(0usize..5, 0..12).prop_map(|choices| {
        let mut tags: Vec<&'static str> = Vec::new();
        for c in choices {
            let inside = match tags.last() {
                Some(t) if t.ends_with('X') => "I-X",
                Some(t) if t.ends_with('Y') => "I-Y",
                _ => "O",
            };
            tags.push([inside, inside, "O", "B-X", "B-Y"][c]);
        }
        tags
    })
}

fn span_set(tags: &[&str], scheme: Scheme) -> BTreeSet<Span> {
    chunks(tags, scheme)
        .expect("tags valid under the scheme")
        .into_iter()
        .collect()
}

/// Counts from span sets: gold, guessed, and |gold ∩ guessed| on (start, end, type).
fn brute_force(gold: &Sents, pred: &Sents, scheme: Scheme, kind: Option<&str>) -> Counts {
    let mut counts = Counts::default();
    let keep = |s: &Span| kind.is_none_or(|k| s.label == k);
    for (g, p) in gold.iter().zip(pred) {
        let g: BTreeSet<Span> = span_set(g, scheme).into_iter().filter(keep).collect();
        let p: BTreeSet<Span> = span_set(p, scheme).into_iter().filter(keep).collect();
        counts.gold += g.len() as u64;
        counts.guessed += p.len() as u64;
        counts.correct += g.intersection(&p).count() as u64;
    }
    counts
}

fn check_against_span_sets(gold: &Sents, pred: &Sents, scheme: Scheme) {
    let scores = score(gold, pred, scheme).expect("aligned");
    assert_eq!(scores.overall, brute_force(gold, pred, scheme, None));
    for kind in ["X", "Y"] {
        let per_type = scores.per_type.get(kind).copied().unwrap_or_default();
        assert_eq!(
            per_type,
            brute_force(gold, pred, scheme, Some(kind)),
            "{kind}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// For O/B/I tags, including malformed ones, sentence boundaries flush every
    /// chunk and each start meets an end first, so conlleval's streaming count is
    /// exactly the span-set intersection.
    #[test]
    fn conlleval_streaming_equals_span_sets_on_bio((gold, pred) in pair(BIO)) {
        check_against_span_sets(&gold, &pred, Scheme::Conlleval);
    }

    /// Also for E-/S- tags, read as conlleval reads them (not as IOBES).
    #[test]
    fn conlleval_streaming_equals_span_sets_on_bioes((gold, pred) in pair(BIOES)) {
        check_against_span_sets(&gold, &pred, Scheme::Conlleval);
    }

    #[test]
    fn strict_streaming_equals_span_sets((gold, pred) in pair(BIO)) {
        check_against_span_sets(&gold, &pred, Scheme::StrictIob2);
    }

    /// Strict IOB2 only drops chunks: each of its chunks is a conlleval chunk.
    #[test]
    fn strict_chunks_are_a_subset((gold, _) in pair(BIO)) {
        for tags in &gold {
            let strict = span_set(tags, Scheme::StrictIob2);
            prop_assert!(strict.is_subset(&span_set(tags, Scheme::Conlleval)));
        }
    }

    #[test]
    fn strict_and_conlleval_agree_on_valid_iob2(tags in iob2()) {
        prop_assert_eq!(span_set(&tags, Scheme::StrictIob2), span_set(&tags, Scheme::Conlleval));
    }

    #[test]
    fn gold_against_itself_is_perfect((gold, _) in pair(BIOES)) {
        let s = score(&gold, &gold, Scheme::Conlleval).expect("aligned");
        prop_assert_eq!(s.overall.correct, s.overall.gold);
        prop_assert_eq!(s.overall.guessed, s.overall.gold);
        prop_assert_eq!(s.correct_tokens, s.tokens);
    }

    /// Scoring two halves and merging equals scoring the whole.
    #[test]
    fn merge_is_additive((gold, pred) in pair(BIOES), cut in 0usize..=4) {
        let cut = cut.min(gold.len());
        let mut halves = score(&gold[..cut], &pred[..cut], Scheme::Conlleval).expect("aligned");
        halves.merge(&score(&gold[cut..], &pred[cut..], Scheme::Conlleval).expect("aligned"));
        prop_assert_eq!(halves, score(&gold, &pred, Scheme::Conlleval).expect("aligned"));
    }
}
