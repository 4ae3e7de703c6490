//! Nothing lost, nothing duplicated: a sweep SIGKILLed (with its training
//! processes, as a scheduler or the OOM killer does) at each kill point of
//! `atner::killpoint` — mid-epoch, mid-checkpoint, between a run's results and
//! its `DONE`, mid-table-rewrite — and restarted ends with the tables of an
//! uninterrupted sweep. A corrupted result, weights file or checkpoint is
//! named, that run alone is trained again, and the tables still match.
//!
//! Every test skips, saying so, when the data mirror is absent.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;

mod common;
use common::*;

/// Two full runs (seeds 1, 2) of 4 epochs of 4 batches each, one at a time.
const PLAN: [&str; 12] = [
    "--only",
    "full",
    "--seeds",
    "1,2",
    "--set",
    "train.epochs=4",
    "--set",
    "train.patience=4",
    "--jobs",
    "1",
    "--threads",
    "1",
];

/// The plan swept without interruption, once per test process.
fn uninterrupted() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path().join("uninterrupted");
        sweep(&dir, &PLAN);
        (temp, dir)
    })
    .1
}

/// Sweeps the plan with kill point `point` armed for its `nth` visit; the
/// sweep must die of SIGKILL. Returns the sweep's stderr.
fn killed_sweep(results: &Path, point: &str, nth: usize) -> String {
    let output = sweep_command(results, &PLAN)
        .env(atner::killpoint::ENV, format!("{point}:{nth}"))
        .process_group(0) // the kill takes the sweep's group, not this test
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("the runner binary starts");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.signal(),
        Some(libc::SIGKILL),
        "{point}:{nth}: the sweep ended with {} instead:\n{stderr}",
        output.status
    );
    stderr
}

/// Every file under `dir` whose name says it is a temporary one.
fn partial_files(dir: &Path) -> Vec<PathBuf> {
    snapshot(dir)
        .into_keys()
        .filter(|p| p.to_string_lossy().contains(".partial"))
        .collect()
}

/// Restarts the sweep and checks it ends where the uninterrupted one did.
fn restart_matches_uninterrupted(results: &Path) -> String {
    let output = sweep(results, &PLAN);
    let (runs, epochs) = tables(results);
    let (ref_runs, ref_epochs) = tables(uninterrupted());
    assert_same_table("runs", &ref_runs, &runs, &RUN_CLOCK);
    assert_same_table("epochs", &ref_epochs, &epochs, &EPOCH_CLOCK);
    assert_eq!(partial_files(results), Vec::<PathBuf>::new());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn killed_then_restarted(point: &str, nth: usize, evidence: impl Fn(&Path) -> bool) {
    if !have_data(point) {
        return;
    }
    uninterrupted();
    let temp = tempfile::tempdir().expect("tempdir");
    let results = temp.path().join("killed");
    let stderr = killed_sweep(&results, point, nth);
    assert!(
        evidence(&results),
        "{point}:{nth}: the store does not show a kill at that point:\n{stderr}\n{:#?}",
        snapshot(&results).keys().collect::<Vec<_>>()
    );
    restart_matches_uninterrupted(&results);
}

fn run_dirs(results: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(results.join("runs"))
        .expect("runs/")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs
}

fn count_files(results: &Path, name_has: &str) -> usize {
    snapshot(results)
        .keys()
        .filter(|p| p.to_string_lossy().contains(name_has))
        .count()
}

#[test]
fn killed_mid_epoch() {
    // Batch 6 of the first run: the middle of its second epoch.
    killed_then_restarted("train-batch", 6, |results| {
        count_files(results, "DONE") == 0 && count_files(results, "checkpoint.json") == 1
    });
}

#[test]
fn killed_mid_checkpoint_write() {
    // The second checkpoint of the first run is written but not yet renamed.
    killed_then_restarted("checkpoint-rename", 2, |results| {
        count_files(results, "checkpoint-002.partial") == 1
            && count_files(results, "checkpoint-001.pt") == 1
    });
}

#[test]
fn killed_between_results_and_done() {
    killed_then_restarted("run-finish", 1, |results| {
        count_files(results, "result.json") == 1 && count_files(results, "DONE") == 0
    });
}

#[test]
fn killed_mid_table_rewrite() {
    // The second rename of the first rewrite: runs.parquet is new, runs.csv not yet.
    killed_then_restarted("table-rename", 2, |results| {
        count_files(results, "runs.csv.partial") == 1
            && results.join("runs.parquet").is_file()
            && !results.join("epochs.parquet").exists()
    });
}

/// Cuts a file to half its length.
fn truncate(path: &Path) {
    let bytes = std::fs::read(path).expect("readable");
    std::fs::write(path, &bytes[..bytes.len() / 2]).expect("writable");
}

/// Flips one byte in the middle of a file.
fn flip_byte(path: &Path) {
    let mut bytes = std::fs::read(path).expect("readable");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(path, &bytes).expect("writable");
}

#[test]
fn corrupted_results_are_named_and_only_their_runs_redone() {
    if !have_data("corrupted_results_are_named_and_only_their_runs_redone") {
        return;
    }
    let temp = tempfile::tempdir().expect("tempdir");
    let results = temp.path().join("corrupted");
    copy_dir(uninterrupted(), &results);
    let dirs = run_dirs(&results);
    assert_eq!(dirs.len(), 2);
    let result = dirs[0].join("result.json");
    let weights = dirs[1].join("best.pt");
    truncate(&result);
    flip_byte(&weights);
    // The second run without the last checkpoint a finished run keeps.
    for entry in std::fs::read_dir(&dirs[1]).expect("run dir").flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("checkpoint")
        {
            std::fs::remove_file(entry.path()).expect("removable");
        }
    }

    let stderr = restart_matches_uninterrupted(&results);
    for path in [&result, &weights] {
        let named = stderr
            .lines()
            .any(|l| l.starts_with("warning: ") && l.contains(&path.display().to_string()));
        assert!(named, "{} not reported:\n{stderr}", path.display());
    }
    // The first finishes again from its kept last checkpoint, training no
    // epoch; the second, without one, trains again from its first epoch.
    assert_eq!(epoch_lines(&stderr), [1, 2, 3, 4], "{stderr}");
}

#[test]
fn a_corrupted_checkpoint_is_named_and_its_run_starts_over() {
    if !have_data("a_corrupted_checkpoint_is_named_and_its_run_starts_over") {
        return;
    }
    uninterrupted();
    let temp = tempfile::tempdir().expect("tempdir");
    let results = temp.path().join("checkpoint");
    // Killed in the first run's third epoch: checkpoint-002.pt is current.
    killed_sweep(&results, "train-batch", 10);
    let checkpoint = run_dirs(&results)
        .into_iter()
        .map(|dir| dir.join("checkpoint-002.pt"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("no checkpoint-002.pt: {:?}", snapshot(&results).keys()));
    flip_byte(&checkpoint);

    let stderr = restart_matches_uninterrupted(&results);
    let named = stderr.lines().any(|l| {
        l.starts_with("warning: ")
            && l.contains(&checkpoint.display().to_string())
            && l.contains("starts over")
    });
    assert!(named, "{} not reported:\n{stderr}", checkpoint.display());
    // The first run started over; the second never started before the kill.
    assert_eq!(epoch_lines(&stderr), [1, 2, 3, 4, 1, 2, 3, 4], "{stderr}");
}

#[test]
fn two_processes_never_train_the_same_run_at_once() {
    if !have_data("two_processes_never_train_the_same_run_at_once") {
        return;
    }
    let temp = tempfile::tempdir().expect("tempdir");
    let results = temp.path().join("contended");
    // A store with both runs planned and none finished.
    killed_sweep(&results, "train-batch", 1);
    let dir = &run_dirs(&results)[0];
    let id = dir
        .file_name()
        .expect("run id")
        .to_string_lossy()
        .into_owned();
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_runner"))
            .current_dir(workspace())
            .arg("run-one")
            .arg(&results)
            .args([id.as_str(), "--threads", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the runner binary starts")
    };
    let (first, second) = (start(), start());
    let outputs = [first, second].map(|c| c.wait_with_output().expect("reaped"));
    let mut trained = Vec::new();
    for output in &outputs {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        trained.push(stdout.lines().filter(|l| l.contains("\"epoch\"")).count());
    }
    trained.sort();
    // One process trained all 4 epochs; the other waited for the lock, found
    // the run done and trained nothing.
    assert_eq!(trained, [0, 4]);
    assert!(dir.join("DONE").is_file());
}
