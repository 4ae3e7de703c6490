//! The paired approximate randomization test on constructed predictions, and
//! its use on a fixture store (predictions read back, checked, pooled over seeds).

#[path = "fixtures/report_store.rs"]
mod fixture;

use atner::metrics::Counts;
use runner::report::aggregate;
use runner::report::significance::{
    approximate_randomization, compare, format_p, sentence_counts, system_runs, Gold, SystemRuns,
};

/// Per-sentence counts of predictions that miss each entity with probability `miss`.
fn system(miss: f64, seed: u64) -> Vec<Counts> {
    let gold = fixture::gold();
    sentence_counts(&gold, &fixture::predict(&gold, miss, seed)).expect("aligned")
}

#[test]
fn identical_systems_give_p_one() {
    let a = system(0.3, 1);
    let outcome = approximate_randomization(&a, &a, 1000, 7);
    assert_eq!(outcome.delta(), 0.0);
    // Every resample ties the observed difference of 0: p = (1000 + 1) / (1000 + 1).
    assert_eq!(outcome.p_value, 1.0);
}

#[test]
fn a_clearly_better_system_gets_a_small_p() {
    // 30 sentences, 75 entities: one system finds ~95%, the other ~40%.
    let good = system(0.05, 1);
    let bad = system(0.6, 2);
    let outcome = approximate_randomization(&good, &bad, 2000, 7);
    assert!(outcome.delta() > 30.0, "{outcome:?}");
    assert!(outcome.p_value < 0.001, "{outcome:?}");
    assert_eq!(
        format_p(&outcome),
        "≤ 0.0005",
        "no resample reached the observed gap"
    );
}

#[test]
fn close_systems_get_a_large_p() {
    let a = system(0.3, 1);
    let b = system(0.3, 2);
    let outcome = approximate_randomization(&a, &b, 2000, 7);
    assert!(outcome.p_value > 0.05, "{outcome:?}");
}

#[test]
fn the_p_value_is_deterministic_for_a_fixed_seed() {
    let a = system(0.3, 1);
    let b = system(0.4, 2);
    let first = approximate_randomization(&a, &b, 3000, 11);
    let again = approximate_randomization(&a, &b, 3000, 11);
    assert_eq!(first, again);
    assert_eq!((first.resamples, first.seed, first.units), (3000, 11, 30));
    // p is a count over R + 1.
    let c = first.p_value * 3001.0;
    assert!((c - c.round()).abs() < 1e-6, "{first:?}");
}

#[test]
fn comparisons_pool_sentences_over_common_seeds() {
    let a = SystemRuns {
        label: "A".into(),
        seeds: vec![
            (1, system(0.1, 1)),
            (2, system(0.1, 2)),
            (3, system(0.1, 3)),
        ],
    };
    let b = SystemRuns {
        label: "B".into(),
        seeds: vec![(1, system(0.5, 4)), (2, system(0.5, 5))],
    };
    let c = compare(&a, &b, 500, 1).expect("two common seeds");
    assert_eq!(c.seeds, vec![1, 2]);
    assert_eq!(c.outcome.units, 2 * fixture::SENTENCES);
    assert_eq!(c.wins, 2);
    assert_eq!(c.per_seed_delta.n, 2);
    assert!(c.per_seed_delta.mean > 0.0);
    let none = SystemRuns {
        label: "C".into(),
        seeds: vec![(9, system(0.5, 9))],
    };
    assert!(compare(&a, &none, 500, 1).is_none());
}

#[test]
fn system_runs_read_predictions_back_and_match_stored_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture::write_store(dir.path(), "weibo", &fixture::ablation_runs(&[1, 2]));
    let source = runner::report::source::load(dir.path()).expect("store loads");
    let summary = aggregate::summarize(&source.runs).expect("aggregates");
    let groups = aggregate::groups(&summary).expect("groups");
    let mut gold = Gold::default();
    gold.insert(&fixture::data_config(), fixture::gold());
    let baseline = groups
        .iter()
        .find(|g| g.variant == "baseline")
        .expect("baseline");
    let full = groups.iter().find(|g| g.variant == "full").expect("full");
    let sources = [source];
    let (b, notes_b) = system_runs(&sources, baseline, &mut gold).expect("baseline runs");
    let (f, notes_f) = system_runs(&sources, full, &mut gold).expect("full runs");
    assert!(
        notes_b.is_empty() && notes_f.is_empty(),
        "{notes_b:?} {notes_f:?}"
    );
    assert_eq!((b.label.as_str(), f.label.as_str()), ("baseline", "full"));
    assert_eq!(b.seeds.iter().map(|s| s.0).collect::<Vec<_>>(), vec![1, 2]);
    let c = compare(&f, &b, 1000, 3).expect("common seeds");
    // The fixture's full model misses 10% of entities, the baseline 60%.
    assert!(
        c.outcome.delta() > 20.0 && c.outcome.p_value < 0.01,
        "{c:?}"
    );
}

#[test]
fn predictions_that_disagree_with_stored_scores_are_left_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture::write_store(dir.path(), "weibo", &fixture::ablation_runs(&[1]));
    let source = runner::report::source::load(dir.path()).expect("store loads");
    let groups =
        aggregate::groups(&aggregate::summarize(&source.runs).expect("agg")).expect("groups");
    let mut gold = Gold::default();
    // Gold with every tag O: no run's predictions reproduce its stored counts.
    let blank: Vec<Vec<String>> = fixture::gold()
        .iter()
        .map(|s| vec!["O".to_string(); s.len()])
        .collect();
    gold.insert(&fixture::data_config(), blank);
    let (runs, notes) = system_runs(&[source], &groups[0], &mut gold).expect("reads");
    assert!(runs.seeds.is_empty());
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("left out"), "{notes:?}");
}

/// Two configurations of the baseline's parts: the reference (`baseline`,
/// missing 60% of entities) and a much better one (10%); and a third that
/// predicts as the reference does.
fn configuration_runs(seeds: &[u64]) -> Vec<fixture::FixtureRun> {
    let mut runs = Vec::new();
    for &seed in seeds {
        for (variant, miss) in [("baseline", 0.6), ("baseline, better", 0.1)] {
            runs.push(fixture::FixtureRun {
                variant,
                parts: &[],
                lambda: 0.06,
                seed,
                miss,
            });
        }
    }
    runs
}

#[test]
fn configurations_are_tested_against_their_reference_on_dev_sentences() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixture::write_store(dir.path(), "fidelity", &configuration_runs(&[1, 2, 3]));
    let sources = [runner::report::source::load(dir.path()).expect("store loads")];
    let mut gold = Gold::default();
    let dev = runner::report::significance::Split::Dev;
    gold.insert_split(&fixture::data_config(), dev, fixture::gold());
    let table = runner::report::configurations::dev_randomization(&sources, &mut gold, 1000, 5)
        .expect("computed")
        .expect("two configurations of one variant");
    assert_eq!(
        table.rows.len(),
        1,
        "the reference is not tested against itself"
    );
    let text = table.markdown();
    assert!(
        text.contains("| baseline, better | baseline | 3 |"),
        "{text}"
    );
    // 10% against 60% missed over 3 × 30 dev sentences: far beyond chance.
    assert!(text.contains("| 3/3 | ≤ 0.000999 |"), "{text}");
    // Gold that no dev prediction reproduces: every run is left out, and said so.
    let mut blank = Gold::default();
    let tags = fixture::gold()
        .iter()
        .map(|s| vec!["O".to_string(); s.len()])
        .collect();
    blank.insert_split(&fixture::data_config(), dev, tags);
    let table = runner::report::configurations::dev_randomization(&sources, &mut blank, 100, 5)
        .expect("computed")
        .expect("a table");
    assert!(table.rows.is_empty());
    assert!(
        table.notes.iter().any(|n| n.contains("left out")),
        "{:?}",
        table.notes
    );
}
