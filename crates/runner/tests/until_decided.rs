//! `runner sweep experiments/smoke.toml --until-decided` end to end on the
//! smoke data: rounds of seeds until its two claims are settled, each round
//! only the variants an open claim needs; the store's `decisions.json`
//! records the looks; a second pass trains nothing; bad claims are refused
//! with the file and line.

use std::path::Path;

use serde_json::Value;

mod common;
use common::*;

fn decisions(results: &Path) -> Value {
    let text = std::fs::read_to_string(results.join("decisions.json")).expect("decisions.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn seeds_of(results: &Path, variant: &str) -> Vec<i64> {
    let (runs, _) = tables(results);
    let variants = runs.column("variant").expect("variant");
    let variants = variants.str().expect("strings");
    let seeds = ints(&runs, "seed");
    let mut of: Vec<i64> = variants
        .iter()
        .zip(seeds)
        .filter(|(v, _)| *v == Some(variant))
        .filter_map(|(_, s)| s)
        .collect();
    of.sort();
    of
}

#[test]
fn rounds_train_only_what_open_claims_need_until_each_is_settled() {
    if !have_data("until_decided") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let results = dir.path().join("smoke");
    let dry = sweep(&results, &["--until-decided", "--dry-run"]);
    assert!(!results.exists(), "a dry run writes nothing");
    let shown = String::from_utf8_lossy(&dry.stdout);
    assert!(
        shown.contains("round: seeds 1–2 of baseline, self-attention, transfer"),
        "{shown}"
    );

    let args = ["--until-decided", "--jobs", "1", "--threads", "1"];
    let first = sweep(&results, &args);
    let printed = String::from_utf8_lossy(&first.stdout);
    assert!(printed.contains("after seeds 1–2:"), "{printed}");
    let record = decisions(&results);
    assert_eq!(record["design"]["max_seeds"], 3);
    // Transfer vs baseline: two 2-epoch models are nowhere near +50 apart,
    // so the reference is ruled out at the first look and transfer is never
    // trained again.
    let transfer = &record["claims"][0];
    let looks = transfer["looks"].as_array().expect("looks");
    assert_eq!(looks.len(), 1, "{transfer}");
    assert_eq!(looks[0]["n"], 2);
    assert_eq!(looks[0]["state"], "ruled-out");
    assert_eq!(seeds_of(&results, "transfer"), [1, 2]);
    // Self-attention vs baseline is settled by some look, at the latest the
    // last (undecided at max_seeds); its seeds are the looks' seeds.
    let attention = &record["claims"][1]["looks"];
    let last = attention.as_array().and_then(|l| l.last()).expect("a look");
    assert_ne!(last["state"], "open", "{attention}");
    let n = last["n"].as_i64().expect("n");
    if last["state"] == "undecided" {
        assert_eq!(n, 3);
    }
    let expected: Vec<i64> = (1..=n).collect();
    assert_eq!(seeds_of(&results, "self-attention"), expected);
    assert!(
        seeds_of(&results, "full").is_empty(),
        "no claim needs the full model"
    );

    // Everything settled: a second pass trains nothing and records the same.
    let again = sweep(&results, &args);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!stderr.contains("epoch 1 dev F1"), "{stderr}");
    assert_eq!(decisions(&results), record);
}

#[test]
fn a_claim_on_a_variant_the_experiment_lacks_is_refused_with_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(smoke()).expect("smoke.toml");
    let bad = text.replace("a = \"self-attention\"", "a = \"self-attentoin\"");
    let line = bad
        .lines()
        .position(|l| l.contains("self-attentoin"))
        .expect("replaced")
        + 1;
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, bad).expect("write");
    let results = dir.path().join("results");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(workspace())
        .args(["sweep", "--until-decided", "--results"])
        .arg(&results)
        .arg(&file)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!(
            "bad.toml:{line}: compare names variant \"self-attentoin\""
        )),
        "{stderr}"
    );
    assert!(!results.exists(), "nothing written");
}
