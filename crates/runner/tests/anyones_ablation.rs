//! Anyone's ablation, end to end through the binary: `runner init` writes an
//! experiment for files given by path (the fetched WeiboNER, CTB6 and
//! vectors, read as if they were one's own), a `[[compare]]` is declared,
//! a tiny sweep trains it, and the report shows that comparison and none of
//! the paper's tables, which the experiment did not ask for. And
//! `--dry-run --explain` names a preset's override of a value the file sets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{have_data, workspace};

fn runner(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(workspace())
        .args(args)
        .output()
        .expect("the runner binary starts");
    assert!(
        output.status.success(),
        "runner {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn cached(relative: &str) -> PathBuf {
    std::env::var_os("ATNER_DATA_CACHE")
        .filter(|v| !v.is_empty())
        .map_or_else(|| workspace().join("data/cache"), PathBuf::from)
        .join(relative)
}

/// The row of setting `key` in `--explain`'s output.
fn setting<'a>(shown: &'a str, key: &str) -> &'a str {
    shown
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key} ")))
        .unwrap_or_else(|| panic!("a {key} row in {shown}"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Settings that make the shipped schedule a seconds-long smoke run.
const TINY: [&str; 10] = [
    "--set",
    "data.max_sentences=40",
    "--set",
    "model.hidden=16",
    "--set",
    "train.batch_size=10",
    "--set",
    "epochs=2",
    "--set",
    "patience=2",
];

#[test]
fn init_then_compare_then_report_shows_the_comparison_and_no_unasked_table() {
    if !have_data("anyones_ablation") {
        return;
    }
    runner(&["data", "fetch", "weibo", "ctb6", "char-vec-50"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let exp = dir.path().join("mine");
    let (train, dev, test) = (
        cached("weibo/weiboNER.conll.train"),
        cached("weibo/weiboNER.conll.dev"),
        cached("weibo/weiboNER.conll.test"),
    );
    let cws = cached("ctb6_cws/ctb6.train.seg.xz");
    let vectors = cached("embeddings/char_vec.txt.xz");
    let init = runner(&[
        "init",
        s(&exp),
        "--ner-train",
        s(&train),
        "--ner-dev",
        s(&dev),
        "--ner-test",
        s(&test),
        "--format",
        "weibo-original",
        "--cws",
        s(&cws),
        "--vectors",
        s(&vectors),
    ]);
    let printed = String::from_utf8_lossy(&init.stdout);
    assert!(
        printed.contains("dev: 270 sentences"),
        "the data check ran: {printed}"
    );
    let file = exp.join("mine.toml");
    let mut text = std::fs::read_to_string(&file).expect("init wrote the experiment");
    assert!(
        text.contains("epochs = 200") && text.contains("patience = 20"),
        "{text}"
    );
    // The user's own comparison, with an effect they expect.
    text.push_str("\n[[compare]]\na = \"self-attention\"\nb = \"baseline\"\nreference = 50.0\n");
    std::fs::write(&file, text).expect("write");

    let results = exp.join("results");
    let mut sweep = vec![
        "sweep",
        s(&file),
        "--results",
        s(&results),
        "--seeds",
        "1,2",
    ];
    sweep.extend([
        "--only",
        "baseline",
        "--only",
        "self-attention",
        "--threads",
        "1",
    ]);
    sweep.extend(TINY);
    runner(&sweep);
    let out = exp.join("reports");
    runner(&["report", s(&results), "--out", s(&out)]);
    let report = std::fs::read_to_string(out.join("mine.md")).expect("the report");
    assert!(report.contains("## Comparisons"), "{report}");
    let row = report
        .lines()
        .rfind(|l| l.starts_with("| self-attention vs baseline |"))
        .expect("the declared comparison's row");
    assert!(row.contains("reference +50.00 ruled out"), "{row}");
    for heading in ["## Table 5", "## Table 2", "## Table 3", "## Table 4"] {
        assert!(!report.contains(heading), "{heading} was not asked for");
    }
    assert!(
        !out.join("mine/table5.md").exists(),
        "no unasked table file"
    );
}

#[test]
fn explain_names_the_preset_that_overrides_a_value_of_the_file() {
    let out = runner(&[
        "sweep",
        "experiments/weibo-released.toml",
        "--dry-run",
        "--explain",
        "--only",
        "full released",
    ]);
    let shown = String::from_utf8_lossy(&out.stdout);
    let text = std::fs::read_to_string(workspace().join("experiments/weibo-released.toml"))
        .expect("the experiment");
    let line = text
        .lines()
        .position(|l| l.starts_with("epochs = 200"))
        .expect("the file sets epochs")
        + 1;
    let at = format!("experiments/weibo-released.toml:{line}");
    let epochs = setting(&shown, "train.epochs");
    assert!(
        epochs.contains("140") && epochs.contains(&format!("preset released (over 200 at {at})")),
        "{epochs}"
    );
    assert!(
        shown.contains(&format!("note: preset released sets train.epochs = 140 in variant \"full released\", over 200 at {at}")),
        "{shown}"
    );
    // A value the file sets and nothing replaces names its line; one it
    // leaves alone is the default.
    let lr = setting(&shown, "train.lr");
    assert!(lr.contains("experiments/weibo-released.toml:"), "{lr}");
    let precision = setting(&shown, "train.precision");
    assert!(precision.trim_end().ends_with("default"), "{precision}");
    // --set wins over the preset, and says so.
    let flagged = runner(&[
        "sweep",
        "experiments/weibo-released.toml",
        "--dry-run",
        "--explain",
        "--only",
        "full released",
        "--set",
        "epochs=150",
    ]);
    let flagged = String::from_utf8_lossy(&flagged.stdout);
    let epochs = setting(&flagged, "train.epochs");
    assert!(
        epochs.contains("150") && epochs.trim_end().ends_with("--set"),
        "{epochs}"
    );
}

#[test]
fn init_on_a_bad_file_names_its_line_and_leaves_no_experiment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let corpus = dir.path().join("train.txt");
    std::fs::write(&corpus, "我 B-PER\n们 I-PER\n\n好 X-Y-Z\n").expect("write");
    let exp = dir.path().join("bad");
    let output = Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(workspace())
        .args([
            "init",
            s(&exp),
            "--ner-train",
            s(&corpus),
            "--ner-test",
            s(&corpus),
        ])
        .args(["--cws", s(&corpus), "--vectors", s(&corpus)])
        .output()
        .expect("the runner binary starts");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("train.txt:4: tag `X-Y-Z`"), "{stderr}");
    assert!(
        !exp.join("bad.toml").exists(),
        "the experiment is removed again"
    );
    // An existing experiment is not replaced without --force.
    std::fs::write(exp.join("bad.toml"), "kept").expect("write");
    let again = Command::new(env!("CARGO_BIN_EXE_runner"))
        .args([
            "init",
            s(&exp),
            "--ner-train",
            s(&corpus),
            "--ner-test",
            s(&corpus),
        ])
        .output()
        .expect("the runner binary starts");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force replaces it"));
    assert_eq!(
        std::fs::read_to_string(exp.join("bad.toml")).expect("kept"),
        "kept"
    );
}
