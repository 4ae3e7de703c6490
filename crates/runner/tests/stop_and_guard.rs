//! Through the real binary on the smoke experiment's data: a larger budget
//! continues a finished run to exactly the numbers of a run trained with that
//! budget from the start; the fingerprint guard refuses runs whose numbers
//! this binary no longer makes (a constant perturbed through the test seam)
//! and passes them when nothing changed; a diverged run fails, is shown as
//! such, never reaches the tables, and is retried.

use std::path::Path;
use std::process::Output;

mod common;
use common::*;

const ONE_RUN: [&str; 6] = ["--only", "baseline", "--seeds", "1", "--threads", "1"];

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    ONE_RUN
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

/// The store's only run directory.
fn only_run(results: &Path) -> std::path::PathBuf {
    let mut dirs: Vec<_> = std::fs::read_dir(results.join("runs"))
        .expect("runs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.remove(0)
}

/// result.json's numbers: every epoch record without its clock fields.
fn numbers(run: &Path) -> (serde_json::Value, serde_json::Value) {
    let read = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(run.join(name)).expect(name);
        serde_json::from_str(&text).expect("JSON")
    };
    let mut result = read("result.json");
    let mut records = result["state"]["records"].take();
    for record in records.as_array_mut().expect("records") {
        for clock in ["train_seconds", "eval_seconds"] {
            record[clock] = serde_json::Value::Null;
        }
    }
    (records, read("predictions.json"))
}

fn runner(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(workspace())
        .args(args)
        .output()
        .expect("the runner binary starts")
}

#[test]
fn a_larger_budget_continues_a_run_to_the_numbers_of_that_budget_from_the_start() {
    if !have_data("a_larger_budget_continues_a_run") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (short, long) = (dir.path().join("short"), dir.path().join("long"));
    sweep(&short, &args(&[]));
    let first = only_run(&short);
    assert_eq!(numbers(&first).0.as_array().map(Vec::len), Some(2));
    let more = ["--set", "train.epochs=5", "--set", "train.patience=5"];
    let plan = sweep(&short, &args(&[&more[..], &["--dry-run"]].concat()));
    assert!(String::from_utf8_lossy(&plan.stdout).contains(" more "));
    sweep(&short, &args(&more));
    sweep(&long, &args(&more));
    let (continued, straight) = (only_run(&short), only_run(&long));
    assert_eq!(continued.file_name(), first.file_name(), "the same run id");
    assert_eq!(continued.file_name(), straight.file_name());
    let (records, predictions) = numbers(&continued);
    assert_eq!(records.as_array().map(Vec::len), Some(5));
    assert_eq!((records, predictions), numbers(&straight), "bit for bit");
    let status = runner(&["status", &short.to_string_lossy()]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("budget, 5 epochs"), "{text}");
}

#[test]
fn a_change_to_the_numbers_is_refused_and_unchanged_code_passes() {
    if !have_data("a_change_to_the_numbers_is_refused") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let results = dir.path().join("store");
    sweep(&results, &args(&[]));
    let run = only_run(&results);
    let before = std::fs::read(run.join("result.json")).expect("result");
    // The same code: nothing trains, nothing is rewritten.
    sweep(&results, &args(&[]));
    assert_eq!(
        std::fs::read(run.join("result.json")).expect("result"),
        before
    );
    // Adam's β₁ moved by 1e-3, as an edit to the model code would.
    let perturbed = |extra: &[&str]| {
        sweep_command(&results, &args(extra))
            .env(atner::killpoint::PERTURB_ENV, "adam.beta1")
            .output()
            .expect("the runner binary starts")
    };
    let refused = perturbed(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    let id = run
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    assert!(
        stderr.contains(&id) && stderr.contains("baseline/fp32/ours/"),
        "{stderr}"
    );
    assert!(stderr.contains("--accept-fingerprint"), "{stderr}");
    assert_eq!(
        std::fs::read(run.join("result.json")).expect("result"),
        before
    );
    // Adopted knowingly: the run records the fingerprint it was trained under.
    let adopted = perturbed(&["--accept-fingerprint"]);
    assert!(
        adopted.status.success(),
        "{}",
        String::from_utf8_lossy(&adopted.stderr)
    );
    let text = std::fs::read_to_string(run.join("result.json")).expect("result");
    assert!(text.contains("\"adopted_from\""), "{text}");
    assert!(runner(&["status", &results.to_string_lossy()])
        .status
        .success());
}

#[test]
fn a_diverged_run_fails_is_shown_never_tabulated_and_retried() {
    if !have_data("a_diverged_run_fails") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let results = dir.path().join("store");
    let diverging = args(&["--set", "train.lr=1000"]);
    let failed = sweep_command(&results, &diverging)
        .output()
        .expect("starts");
    assert!(!failed.status.success(), "a diverged run fails the sweep");
    let run = only_run(&results);
    assert!(!run.join("DONE").exists());
    let record = std::fs::read_to_string(run.join("failed.json")).expect("failed.json");
    assert!(record.contains("diverged at epoch 1, step"), "{record}");
    let status = runner(&["status", &results.to_string_lossy()]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("failed") && text.contains("diverged"),
        "{text}"
    );
    let runs = read_parquet(&results.join("runs.parquet"));
    assert_eq!(runs.height(), 0, "a failed run is no row of the tables");
    // Rerun: retried (and diverges again, deterministically).
    let again = sweep_command(&results, &diverging)
        .output()
        .expect("starts");
    assert!(!again.status.success());
    let log = std::fs::read_to_string(run.join("train.log")).unwrap_or_default();
    assert!(log.matches("diverged").count() >= 2, "{log}");
}

/// Gives every run of `store` the id code revision r7 gave it (the
/// committed stores are already migrated), so that migrating has work to do.
fn back_to_r7_ids(store: &Path) {
    let read = runner::commands::sweep::Read::default();
    for entry in std::fs::read_dir(store.join("runs"))
        .expect("runs")
        .flatten()
    {
        let config = std::fs::read_to_string(entry.path().join("config.json")).expect("config");
        let planned: runner::plan::PlannedRun = serde_json::from_str(&config).expect("json");
        let c = &planned.config;
        let sums =
            runner::commands::sweep::data_checksums(&c.data, c.model.transfer.is_some(), &read)
                .expect("checksums");
        let old = runner::store::migrate::r7_id(c, &sums).expect("r7 id");
        std::fs::rename(entry.path(), store.join("runs").join(old)).expect("rename");
    }
}

#[test]
fn migrate_moves_committed_runs_to_todays_ids_without_training() {
    if !have_data("migrate_moves_committed_runs") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("weibo-updated");
    copy_dir(&workspace().join("results/weibo-updated"), &store);
    back_to_r7_ids(&store);
    let before = std::fs::read_dir(store.join("runs")).expect("runs").count();
    let store_arg = store.to_string_lossy().into_owned();
    let migrated = runner(&["migrate", &store_arg]);
    let text = String::from_utf8_lossy(&migrated.stdout);
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    assert!(
        text.contains(&format!(
            "{before} run(s) moved to today's ids, 0 already there"
        )),
        "{text}"
    );
    // The plan of the experiment names exactly the migrated runs.
    let plan = std::process::Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(workspace())
        .args([
            "sweep",
            "experiments/weibo-updated.toml",
            "--dry-run",
            "--results",
            &store_arg,
        ])
        .output()
        .expect("starts");
    let plan = String::from_utf8_lossy(&plan.stdout).into_owned();
    let ids: Vec<String> = std::fs::read_dir(store.join("runs"))
        .expect("runs")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ids.len(), before);
    for id in &ids {
        assert!(plan.contains(id.as_str()), "{id} not in the plan:\n{plan}");
        let result = store.join("runs").join(id).join("result.json.xz");
        let bytes = std::fs::read(&result).expect("result.json.xz");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut xz2::read::XzDecoder::new(&bytes[..]), &mut text)
            .expect("xz");
        assert!(text.contains("\"ending\"") && text.contains("\"fingerprint\""));
        assert!(text.contains(&format!("\"id\": \"{id}\"")));
    }
    let status = runner(&["status", &store_arg]);
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains(&format!("{before} runs: {before} done")),
        "{status}"
    );
    let again = runner(&["migrate", &store_arg]);
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.contains(&format!(
            "0 run(s) moved to today's ids, {before} already there"
        )),
        "{again}"
    );
}
