//! `runner eval`'s report against the real conlleval Perl script on random
//! CoNLL files (3 or 4 columns, WeiboNER-style types, runs of blank lines, with
//! and without a final blank line). The script is not vendored: set
//! `CONLLEVAL` to its path, or put `conlleval`/`conlleval.pl` on `PATH`;
//! without it the test says so and passes.

#[path = "../../atner/tests/support/conlleval.rs"]
mod support;
use support::{conlleval, run_perl};

use atner::metrics::Scheme;
use proptest::prelude::*;
use runner::score::{conlleval_lines, score_conll};

const TAGS: &[&str] = &[
    "O",
    "O",
    "O",
    "B-PER.NAM",
    "I-PER.NAM",
    "B-PER.NOM",
    "I-PER.NOM",
    "B-GPE.NAM",
    "I-GPE.NAM",
    "E-LOC",
    "S-LOC",
    "B-LOC",
    "I-LOC",
];

/// One sentence: `columns - 2` feature columns, then gold and predicted tags.
fn sentence(columns: usize) -> impl Strategy<Value = String> {
    let line = (prop::sample::select(TAGS), prop::sample::select(TAGS));
    prop::collection::vec(line, 1..8).prop_map(move |tags| {
        let mut text = String::new();
        for (i, (gold, pred)) in tags.into_iter().enumerate() {
            let features: Vec<String> = (2..columns).map(|c| format!("字{i}_{c}")).collect();
            text += &format!("{} {gold} {pred}\n", features.join(" "));
        }
        text
    })
}

/// Sentences separated by one or two blank lines, the last maybe followed by
/// one; one column count for the whole file, as the script requires.
fn file() -> impl Strategy<Value = String> {
    let gaps = prop::collection::vec(1usize..=2, 1..5);
    (3usize..=4, gaps, any::<bool>()).prop_flat_map(|(columns, gaps, trailing)| {
        let parts: Vec<_> = gaps
            .into_iter()
            .map(|gap| sentence(columns).prop_map(move |s| s + &"\n".repeat(gap)))
            .collect();
        parts.prop_map(move |parts| {
            let text = parts.concat();
            if trailing {
                text
            } else {
                text.trim_end().to_owned() + "\n"
            }
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn report_matches_the_perl_script(input in file()) {
        let Some(script) = conlleval() else {
            eprintln!("skipped: no conlleval script (set CONLLEVAL or put it on PATH)");
            return Ok(());
        };
        let scores = score_conll(input.as_bytes(), "random.conll", Scheme::Conlleval)
            .expect("generated input is valid");
        prop_assert_eq!(conlleval_lines(&scores), run_perl(&script, &input), "input:\n{}", input);
    }
}
