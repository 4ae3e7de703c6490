//! `runner probe` end to end on a smoke run: a frozen shared encoder, a
//! fresh probe, a held-out accuracy with its Wilson interval, recorded in
//! the run's `probe.json`; the same probe twice gives the same numbers, and
//! a run without a shared BiLSTM is refused by name.

use std::process::Command;

mod common;
use common::{have_data, sweep, workspace};

fn probe(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(workspace())
        .arg("probe")
        .args(args)
        .output()
        .expect("the runner binary starts")
}

#[test]
fn a_probe_scores_the_frozen_shared_space_and_records_it() {
    if !have_data("probe") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let results = dir.path().join("smoke");
    sweep(
        &results,
        &[
            "--only",
            "adversarial",
            "--only",
            "baseline",
            "--seeds",
            "1",
            "--threads",
            "1",
        ],
    );
    let runs: Vec<_> = std::fs::read_dir(results.join("runs"))
        .expect("runs")
        .map(|e| e.expect("entry").path())
        .collect();
    let config =
        |p: &std::path::Path| std::fs::read_to_string(p.join("config.json")).expect("config");
    let adversarial = runs
        .iter()
        .find(|p| config(p).contains("\"adversarial\": {"))
        .expect("an adversarial run");
    let baseline = runs
        .iter()
        .find(|p| !config(p).contains("\"transfer\": {"))
        .expect("a baseline run");

    let run = adversarial.to_str().expect("UTF-8");
    let first = probe(&[run, "--sentences", "60"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(adversarial.join("probe.json")).expect("probe.json"),
    )
    .expect("JSON");
    assert_eq!(
        record["total"], 60,
        "half of 60 + 60 sentences score the probe: {record}"
    );
    let (acc, low, high) = (
        record["accuracy"].as_f64().expect("accuracy"),
        record["low"].as_f64().expect("low"),
        record["high"].as_f64().expect("high"),
    );
    assert!(
        (0.0..=1.0).contains(&acc) && low <= acc && acc <= high,
        "{record}"
    );
    let again = probe(&[run, "--sentences", "60"]);
    assert_eq!(
        first.stdout, again.stdout,
        "the same probe, the same numbers"
    );

    let refused = probe(&[baseline.to_str().expect("UTF-8")]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("has no shared BiLSTM to probe"), "{stderr}");
}
