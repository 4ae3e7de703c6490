//! `runner predict` end to end: a trained smoke run tags its own held-out test
//! sentences exactly as it did when it was trained (its predictions.json), the
//! CoNLL output scores through `runner eval` to the run's recorded test F1,
//! and awkward input (unknown characters, empty and very long lines, spaces,
//! non-UTF-8 bytes) gets its documented behaviour.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use atner::data::{Sentence, WeiboMode};

mod common;
use common::*;

/// One finished baseline smoke run (seed 1), trained once per test process.
fn trained_run() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &RUN.get_or_init(|| {
        let temp = tempfile::tempdir().expect("tempdir");
        let results = temp.path().join("smoke");
        sweep(
            &results,
            &["--only", "baseline", "--seeds", "1", "--threads", "1"],
        );
        let run = std::fs::read_dir(results.join("runs"))
            .expect("runs/")
            .flatten()
            .map(|e| e.path())
            .next()
            .expect("one run");
        (temp, run)
    })
    .1
}

/// `runner predict --run <run> <args>` with `stdin` as standard input.
fn predict(args: &[&str], stdin: &[u8]) -> Output {
    let run = trained_run().display().to_string();
    let all: Vec<&str> = ["predict", "--run", run.as_str()]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    runner_with_stdin(&all, stdin)
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// The smoke run's test split: the first 40 test sentences (experiments/smoke.toml).
fn held_out() -> Vec<Sentence> {
    let files = runner::dataset::dataset_files("weibo").expect("weibo in the manifest");
    let splits = files.ner_splits(WeiboMode::Named, 1).expect("readable");
    splits.test.sentences.into_iter().take(40).collect()
}

/// The smoke run's own test predictions (predictions.json), one tag row per sentence.
fn saved_test_predictions() -> Vec<Vec<String>> {
    let saved: serde_json::Value = serde_json::from_slice(
        &std::fs::read(trained_run().join("predictions.json")).expect("predictions.json"),
    )
    .expect("JSON");
    serde_json::from_value(saved["test"].clone()).expect("test")
}

#[test]
fn tags_held_out_sentences_as_training_did_and_round_trips_through_eval() {
    if !have_data("tags_held_out_sentences_as_training_did_and_round_trips_through_eval") {
        return;
    }
    let sentences = held_out();
    assert!(sentences.iter().all(|s| s
        .tokens
        .iter()
        .all(|t| t.chars().count() == 1 && !t.trim().is_empty())));
    let text: String = sentences.iter().map(|s| s.tokens.concat() + "\n").collect();
    let temp = tempfile::tempdir().expect("tempdir");
    let input = temp.path().join("held-out.txt");
    std::fs::write(&input, &text).expect("writable");
    let conll = ok(&predict(
        &["--format", "conll", input.to_str().expect("utf-8")],
        b"",
    ));

    // Character and tag per line, a blank line after each sentence.
    let blocks: Vec<Vec<(String, String)>> = conll
        .split("\n\n")
        .filter(|b| !b.is_empty())
        .map(|b| {
            b.lines()
                .map(|l| {
                    let (c, t) = l.split_once('\t').expect("char<TAB>tag");
                    (c.to_string(), t.to_string())
                })
                .collect()
        })
        .collect();
    assert_eq!(blocks.len(), sentences.len());
    let predicted: Vec<Vec<String>> = blocks
        .iter()
        .map(|b| b.iter().map(|(_, t)| t.clone()).collect())
        .collect();
    assert_eq!(
        predicted,
        saved_test_predictions(),
        "predict disagrees with the run's own test predictions"
    );

    // token gold predicted → runner eval → the run's test F1.
    let mut eval_input = String::new();
    for (sentence, block) in sentences.iter().zip(&blocks) {
        for ((c, tag), gold) in block.iter().zip(&sentence.tags) {
            eval_input.push_str(&format!("{c} {gold} {tag}\n"));
        }
        eval_input.push('\n');
    }
    let eval_file = temp.path().join("eval.conll");
    std::fs::write(&eval_file, eval_input).expect("writable");
    let eval = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg("eval")
        .arg(&eval_file)
        .output()
        .expect("runner eval starts");
    let report = ok(&eval);
    let results = trained_run()
        .parent()
        .and_then(Path::parent)
        .expect("store");
    let (runs, _) = tables(results);
    let f1 = runs
        .column("test_f1")
        .expect("test_f1")
        .f64()
        .expect("Float64")
        .get(0)
        .expect("one run");
    assert!(
        report.contains(&format!("FB1: {f1:6.2}")),
        "runner eval says\n{report}\nbut the run recorded test F1 {f1:.2}"
    );
}

#[test]
fn json_and_spans_give_offsets_into_the_line_as_given() {
    if !have_data("json_and_spans_give_offsets_into_the_line_as_given") {
        return;
    }
    // The held-out sentence in which the run itself found the most entities, so
    // that the offset checks below always have entities to check.
    let begins = |tags: &Vec<String>| tags.iter().filter(|t| t.starts_with("B-")).count();
    let (line, predicted) = held_out()
        .iter()
        .map(|s| s.tokens.concat())
        .zip(saved_test_predictions().iter().map(begins))
        .max_by_key(|(_, entities)| *entities)
        .expect("sentences");
    assert!(
        predicted > 0,
        "the smoke run tagged no entity in its test split"
    );
    let long = line.repeat(3000 / line.chars().count() + 1);
    let input = format!("{line}\n\n龘𠀀 \n  {line}\n{long}\n");
    let json = ok(&predict(
        &["--format", "json", "--max-chars", "200"],
        input.as_bytes(),
    ));
    let rows: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(rows.len(), 5, "{json}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["line"], i + 1);
        assert_eq!(row["source"], "<stdin>");
        let text: Vec<char> = row["text"].as_str().expect("text").chars().collect();
        for e in row["entities"].as_array().expect("entities") {
            let (start, end) = (
                e["start"].as_u64().unwrap() as usize,
                e["end"].as_u64().unwrap() as usize,
            );
            let covered: String = text[start..end]
                .iter()
                .filter(|c| !c.is_whitespace())
                .collect();
            assert_eq!(covered, e["text"].as_str().expect("text"), "line {}", i + 1);
        }
    }
    // Empty and unknown-only lines give no entity; the indented copy of the
    // first line finds the same entities two characters later.
    assert_eq!(rows[1]["entities"], serde_json::json!([]));
    assert!(!rows[0]["entities"].as_array().expect("entities").is_empty());
    let shifted: Vec<(u64, String)> = rows[3]["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .map(|e| (e["start"].as_u64().unwrap() - 2, e["type"].to_string()))
        .collect();
    let original: Vec<(u64, String)> = rows[0]["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .map(|e| (e["start"].as_u64().unwrap(), e["type"].to_string()))
        .collect();
    assert_eq!(shifted, original);
    assert_eq!(
        rows[4]["text"].as_str().map(|t| t.chars().count()),
        Some(long.chars().count())
    );

    // spans: one entity per line, `<source>:<line> start end type text`.
    let spans = ok(&predict(&["--format", "spans"], input.as_bytes()));
    let json_count: usize = rows[..4]
        .iter()
        .map(|r| r["entities"].as_array().map_or(0, Vec::len))
        .sum();
    let span_rows: Vec<&str> = spans
        .lines()
        .filter(|l| !l.starts_with("<stdin>:5\t"))
        .collect();
    assert_eq!(span_rows.len(), json_count, "{spans}");
    for row in span_rows {
        assert_eq!(row.split('\t').count(), 5, "{row}");
    }
}

#[test]
fn non_utf8_input_is_refused_naming_the_line() {
    if !have_data("non_utf8_input_is_refused_naming_the_line") {
        return;
    }
    let output = predict(&[], b"\xe6\x88\x91\n\xc3\x28\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "something was printed");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("<stdin>:2: not UTF-8"), "{stderr}");
}

#[test]
fn an_unfinished_run_cannot_tag() {
    let temp = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(workspace())
        .args(["predict", "--run"])
        .arg(temp.path())
        .stdin(Stdio::null())
        .output()
        .expect("the runner binary starts");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has not finished"), "{stderr}");
}
