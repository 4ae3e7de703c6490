//! `atner::metrics` against the real conlleval Perl script, on random input
//! with every tag shape the script knows (B/I/E/S/O, `.`, `[`/`]`, the type
//! `0`, types with `-` and `.`). The script is not vendored: set `CONLLEVAL`
//! to its path, or put `conlleval`/`conlleval.pl` on `PATH`; without it the
//! test says so and passes.

#[path = "support/conlleval.rs"]
mod support;
use support::{conlleval, run_perl};

use atner::metrics::{score, Scheme, Scores};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TAGS: &[&str] = &[
    "O",
    "B-X",
    "I-X",
    "E-X",
    "S-X",
    "B-Y",
    "I-Y",
    "B-PER.NAM",
    "I-PER.NAM",
    "B-A-B",
    "I-A-B",
    ".-X",
    ".",
    "[-X",
    "]-X",
    "O-X",
    "B-0",
    "I-0",
    "S-0",
    "B",
    "I",
    "X",
    "B-",
];

fn random_sentences(rng: &mut ChaCha8Rng) -> (Vec<Vec<&'static str>>, Vec<Vec<&'static str>>) {
    let mut gold = Vec::new();
    let mut pred = Vec::new();
    for _ in 0..rng.random_range(1..6) {
        let n = rng.random_range(1..8);
        let mut pick = || TAGS[rng.random_range(0..TAGS.len())];
        gold.push((0..n).map(|_| pick()).collect());
        pred.push((0..n).map(|_| pick()).collect());
    }
    (gold, pred)
}

/// Each sentence followed by a blank line, as `score` reads its input.
fn conll_text(gold: &[Vec<&str>], pred: &[Vec<&str>]) -> String {
    let mut text = String::new();
    for (g, p) in gold.iter().zip(pred) {
        for (i, (g, p)) in g.iter().zip(p).enumerate() {
            text += &format!("w{i} {g} {p}\n");
        }
        text.push('\n');
    }
    text
}

/// conlleval's report, printed as its `printf`s print it.
fn report(s: &Scores) -> String {
    let o = &s.overall;
    let mut out = format!(
        "processed {} tokens with {} phrases; found: {} phrases; correct: {}.\n",
        s.tokens, o.gold, o.guessed, o.correct
    );
    out += &format!(
        "accuracy: {:6.2}%; precision: {:6.2}%; recall: {:6.2}%; FB1: {:6.2}\n",
        s.accuracy(),
        o.precision(),
        o.recall(),
        o.f1()
    );
    for (kind, c) in s.per_type.iter().filter(|(_, c)| c.gold + c.guessed > 0) {
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

/// The script prints the empty type's row twice when gold and prediction both
/// use it; drop the repeat.
fn without_repeated_lines(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.dedup();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn agrees_with_the_perl_script() {
    let Some(script) = conlleval() else {
        eprintln!("skipped: no conlleval script (set CONLLEVAL or put it on PATH)");
        return;
    };
    let mut rng = ChaCha8Rng::seed_from_u64(2018);
    for _ in 0..1000 {
        let (gold, pred) = random_sentences(&mut rng);
        let input = conll_text(&gold, &pred);
        let ours = report(&score(&gold, &pred, Scheme::Conlleval).expect("aligned"));
        let perl = without_repeated_lines(&run_perl(&script, &input));
        assert_eq!(ours, perl, "input:\n{input}");
    }
}
