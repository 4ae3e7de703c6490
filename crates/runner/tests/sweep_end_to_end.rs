//! `runner sweep` end to end, through the real binary on the real (cut) data of
//! `experiments/smoke.toml`: every cell trained and tabulated with the documented
//! columns; a restart trains nothing; a killed sweep resumes to the numbers of an
//! uninterrupted one; `--jobs 2` equals `--jobs 1`; `--dry-run` lists the plan;
//! a second sweep on a busy store is refused.
//!
//! One uninterrupted reference sweep of the whole smoke experiment is shared by
//! the tests (a `OnceLock`). Every test skips, saying so, when the data mirror
//! (`../shared/data` or `$ATNER_DATA_MIRROR`) is absent.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use polars::prelude::*;

mod common;
use common::*;

/// The smoke experiment: 5 variants × seeds 1, 2.
const VARIANTS: [&str; 5] = [
    "baseline",
    "transfer",
    "adversarial",
    "self-attention",
    "full",
];
const SEEDS: [i64; 2] = [1, 2];

/// The whole smoke experiment, trained once per test process, one job, one thread.
fn reference() -> &'static Path {
    static REFERENCE: OnceLock<PathBuf> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let dir = scratch_dir("reference");
        sweep(&dir, &["--jobs", "1", "--threads", "1"]);
        dir
    })
}

/// A fresh directory under cargo's target/tmp named after this process, so that
/// a static can own it; directories of processes that have ended are removed.
fn scratch_dir(name: &str) -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = file_name
            .strip_prefix("sweep-e2e-")
            .and_then(|rest| rest.split('-').next())
        {
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = tmp.join(format!("sweep-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("target/tmp is writable");
    dir
}

fn read_csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|r| r.finish())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn strings(df: &DataFrame, column: &str) -> Vec<Option<String>> {
    let c = df.column(column).expect("the column exists");
    c.str()
        .unwrap_or_else(|e| panic!("{column}: {e}"))
        .iter()
        .map(|v| v.map(String::from))
        .collect()
}

fn floats(df: &DataFrame, column: &str) -> Vec<Option<f64>> {
    let c = df.column(column).expect("the column exists");
    c.f64()
        .unwrap_or_else(|e| panic!("{column}: {e}"))
        .iter()
        .collect()
}

fn bools(df: &DataFrame, column: &str) -> Vec<Option<bool>> {
    let c = df.column(column).expect("the column exists");
    c.bool()
        .unwrap_or_else(|e| panic!("{column}: {e}"))
        .iter()
        .collect()
}

/// Columns of a table as docs/results-tables.md lists them: (name or pattern,
/// type, listed as conditional).
fn documented(table: &str) -> Vec<(String, String, bool)> {
    let doc = std::fs::read_to_string(workspace().join("docs/results-tables.md"))
        .expect("docs/results-tables.md exists");
    let mut in_table = false;
    let mut columns = Vec::new();
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            in_table = heading.starts_with(&format!("`{table}`"));
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if !in_table || cells.len() < 4 || !cells[1].starts_with('`') {
            continue;
        }
        let kind = cells[2].split([' ', ',']).next().unwrap_or("").to_string();
        let conditional = cells[3].contains("only when");
        for name in cells[1].split(',') {
            let name = name.trim().trim_matches('`').to_string();
            columns.push((name, kind.clone(), conditional));
        }
    }
    assert!(!columns.is_empty(), "docs list no column of {table}");
    columns
}

/// `dev_<TYPE>_f1` matches `dev_PER_f1`: literal parts in order, placeholders non-empty.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let mut parts = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('<') {
        parts.push(&rest[..open]);
        let close = rest[open..].find('>').expect("placeholders close") + open;
        rest = &rest[close + 1..];
    }
    parts.push(rest);
    if parts.len() == 1 {
        return pattern == name;
    }
    let Some(mut remaining) = name.strip_prefix(parts[0]) else {
        return false;
    };
    for (i, part) in parts.iter().enumerate().skip(1) {
        if i + 1 == parts.len() {
            return remaining.len() > part.len() && remaining.ends_with(part);
        }
        match remaining.get(1..).and_then(|r| r.find(part)) {
            Some(at) => remaining = &remaining[at + 1 + part.len()..],
            None => return false,
        }
    }
    unreachable!("the last part returns")
}

fn dtype_name(dtype: &DataType) -> &'static str {
    match dtype {
        DataType::String => "String",
        DataType::Int64 => "Int64",
        DataType::Float64 => "Float64",
        DataType::Boolean => "Boolean",
        _ => "other",
    }
}

/// Every column of `df` is documented with its type, and every documented
/// unconditional column is there.
fn assert_documented(table: &str, df: &DataFrame) {
    let docs = documented(table);
    for name in names(df) {
        let literal = docs.iter().find(|(n, _, _)| *n == name);
        let entry = literal.or_else(|| docs.iter().find(|(n, _, _)| matches_pattern(n, &name)));
        let Some((pattern, kind, _)) = entry else {
            panic!("{table}.{name} is not in docs/results-tables.md");
        };
        let dtype = df.column(&name).expect("listed").dtype();
        assert_eq!(
            dtype_name(dtype),
            kind,
            "{table}.{name} (documented as {pattern}): type {dtype:?}"
        );
    }
    let have = names(df);
    for (name, _, conditional) in &docs {
        if !name.contains('<') && !conditional {
            assert!(
                have.contains(name),
                "{table}.{name} is documented but not written"
            );
        }
    }
}

#[test]
fn smoke_sweep_trains_every_cell_and_writes_documented_tables() {
    if !have_data("smoke_sweep_trains_every_cell_and_writes_documented_tables") {
        return;
    }
    let results = reference();
    let (runs, epochs) = tables(results);

    // One row per cell, each a finished run directory.
    assert_eq!(runs.height(), VARIANTS.len() * SEEDS.len(), "{runs}");
    let ids: Vec<String> = strings(&runs, "run_id").into_iter().flatten().collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate run ids: {ids:?}");
    let dirs: BTreeSet<String> = std::fs::read_dir(results.join("runs"))
        .expect("runs/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(dirs, ids.iter().cloned().collect::<BTreeSet<_>>());
    for id in &ids {
        let dir = results.join("runs").join(id);
        for file in [
            "DONE",
            "config.json",
            "result.json",
            "predictions.json",
            "best.pt",
            "vocab.txt",
            "tags.json",
        ] {
            assert!(dir.join(file).is_file(), "{}: no {file}", dir.display());
        }
        // The last state is kept, for a larger budget to continue from.
        assert!(dir.join("checkpoint.json").is_file(), "{}", dir.display());
    }
    let cells: BTreeSet<(String, i64)> = strings(&runs, "variant")
        .into_iter()
        .zip(ints(&runs, "seed"))
        .map(|(v, s)| (v.expect("variant"), s.expect("seed")))
        .collect();
    let expected: BTreeSet<(String, i64)> = VARIANTS
        .iter()
        .flat_map(|v| SEEDS.iter().map(move |s| (v.to_string(), *s)))
        .collect();
    assert_eq!(cells, expected);

    // The variants' switches and λ, as the experiment sets them.
    let variants = strings(&runs, "variant");
    let (transfer, adversarial, attention) = (
        bools(&runs, "transfer"),
        bools(&runs, "adversarial"),
        bools(&runs, "attention"),
    );
    let lambda = floats(&runs, "lambda");
    for i in 0..runs.height() {
        let v = variants[i].as_deref().expect("variant");
        let want = match v {
            "baseline" => (false, false, false),
            "transfer" => (true, false, false),
            "adversarial" => (true, true, false),
            "self-attention" => (false, false, true),
            "full" => (true, true, true),
            other => panic!("unexpected variant {other}"),
        };
        let got = (
            transfer[i].expect("set"),
            adversarial[i].expect("set"),
            attention[i].expect("set"),
        );
        assert_eq!(got, want, "{v}");
        assert_eq!(lambda[i], want.1.then_some(0.06), "{v}: lambda");
    }
    assert!(ints(&runs, "max_epochs").iter().all(|e| *e == Some(2)));
    assert_eq!(
        strings(&runs, "cell_seed"),
        ints(&runs, "seed")
            .iter()
            .map(|s| s.map(|s| s.to_string()))
            .collect::<Vec<_>>()
    );

    // Scores in percent; the selected epoch among those run.
    for column in ["dev_f1", "test_f1", "test_precision", "test_selected_f1"] {
        for v in floats(&runs, column) {
            let v = v.unwrap_or_else(|| panic!("{column} is null"));
            assert!((0.0..=100.0).contains(&v), "{column} = {v}");
        }
    }
    let epochs_run = ints(&runs, "epochs_run");
    let best = ints(&runs, "best_epoch");
    for (run, best) in epochs_run.iter().zip(&best) {
        let (run, best) = (run.expect("epochs_run"), best.expect("best_epoch"));
        assert!((1..=2).contains(&run) && (1..=run).contains(&best));
    }
    // The counts agree with the percentages.
    let (correct, guessed) = (ints(&runs, "test_correct"), ints(&runs, "test_guessed"));
    for ((c, g), p) in correct
        .iter()
        .zip(&guessed)
        .zip(floats(&runs, "test_precision"))
    {
        let (c, g, p) = (c.expect("set"), g.expect("set"), p.expect("set"));
        let want = if g == 0 {
            0.0
        } else {
            100.0 * c as f64 / g as f64
        };
        assert!((p - want).abs() < 1e-9, "precision {p} for {c}/{g}");
    }

    // One epochs row per run and epoch, epochs 1..=epochs_run, none twice.
    let total: i64 = epochs_run.iter().flatten().sum();
    assert_eq!(epochs.height() as i64, total);
    let mut per_run: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (id, epoch) in strings(&epochs, "run_id")
        .into_iter()
        .zip(ints(&epochs, "epoch"))
    {
        per_run
            .entry(id.expect("run_id"))
            .or_default()
            .push(epoch.expect("epoch"));
    }
    for (id, run) in ids.iter().zip(&epochs_run) {
        let want: Vec<i64> = (1..=run.expect("set")).collect();
        assert_eq!(per_run.get(id), Some(&want), "epochs of {id}");
    }
    // Transfer variants record the CWS loss; adversarial ones the discriminator.
    let cws_loss = floats(&epochs, "cws_loss");
    let disc = floats(&epochs, "discriminator_accuracy");
    for (i, v) in strings(&epochs, "variant").iter().enumerate() {
        let v = v.as_deref().expect("variant");
        let transfer = matches!(v, "transfer" | "adversarial" | "full");
        let adversarial = matches!(v, "adversarial" | "full");
        assert_eq!(cws_loss[i].is_some(), transfer, "{v} cws_loss");
        assert_eq!(disc[i].is_some(), adversarial, "{v} discriminator");
        if let Some(a) = disc[i] {
            assert!((0.0..=1.0).contains(&a), "{a}");
        }
    }

    // The documented columns and types, and nothing undocumented.
    assert_documented("runs", &runs);
    assert_documented("epochs", &epochs);

    // The CSV files hold the same table.
    for stem in ["runs", "epochs"] {
        let csv = read_csv(&results.join(format!("{stem}.csv")));
        let parquet = read_parquet(&results.join(format!("{stem}.parquet")));
        assert_eq!(names(&csv), names(&parquet), "{stem}.csv columns");
        assert_eq!(csv.height(), parquet.height(), "{stem}.csv rows");
        assert_eq!(strings(&csv, "run_id"), strings(&parquet, "run_id"));
    }

    // The polars example of the docs works on these tables.
    let summary = runs
        .clone()
        .lazy()
        .group_by([col("variant")])
        .agg([
            col("test_f1").mean().alias("test_f1_mean"),
            col("test_f1").std(1).alias("test_f1_std"),
            len().alias("seeds"),
        ])
        .collect()
        .expect("the docs' summary runs");
    assert_eq!(summary.height(), VARIANTS.len());
    assert!(ints_u32(&summary, "seeds").iter().all(|n| *n == Some(2)));

    check_with_pandas(results, &runs, &epochs);
}

fn ints_u32(df: &DataFrame, column: &str) -> Vec<Option<u32>> {
    let c = df.column(column).expect("the column exists");
    c.u32()
        .unwrap_or_else(|e| panic!("{column}: {e}"))
        .iter()
        .collect()
}

/// Loads both tables (Parquet and CSV) with pandas when pandas and pyarrow are
/// importable by `$ATNER_TEST_PYTHON` (default `python3`); skips otherwise.
fn check_with_pandas(results: &Path, runs: &DataFrame, epochs: &DataFrame) {
    let python = std::env::var("ATNER_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import pandas, pyarrow"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("pandas check skipped: {python} cannot import pandas and pyarrow");
        return;
    }
    let script = r#"
import json, sys
import pandas as pd
root = sys.argv[1]
out = {}
for stem in ["runs", "epochs"]:
    p = pd.read_parquet(f"{root}/{stem}.parquet")
    c = pd.read_csv(f"{root}/{stem}.csv")
    out[stem] = {
        "columns": list(p.columns),
        "csv_columns": list(c.columns),
        "rows": len(p),
        "csv_rows": len(c),
        "test_f1": [float(x) for x in p["test_f1"]] if "test_f1" in p else [],
        "lambda_dtype": str(p["lambda"].dtype),
    }
print(json.dumps(out))
"#;
    let output = Command::new(&python)
        .args(["-c", script])
        .arg(results)
        .output()
        .expect("python starts");
    assert!(
        output.status.success(),
        "pandas could not load the tables:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let loaded: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the script prints JSON");
    for (stem, df) in [("runs", runs), ("epochs", epochs)] {
        let t = &loaded[stem];
        let columns: Vec<String> = names(df);
        assert_eq!(t["columns"], serde_json::json!(columns), "{stem} in pandas");
        assert_eq!(
            t["csv_columns"],
            serde_json::json!(columns),
            "{stem}.csv in pandas"
        );
        assert_eq!(t["rows"], df.height(), "{stem} rows in pandas");
        assert_eq!(t["csv_rows"], df.height(), "{stem}.csv rows in pandas");
        assert_eq!(t["lambda_dtype"], "float64", "{stem}.lambda in pandas");
    }
    let f1: Vec<f64> = floats(runs, "test_f1").into_iter().flatten().collect();
    assert_eq!(loaded["runs"]["test_f1"], serde_json::json!(f1));
    eprintln!("pandas check: both tables load with {python}");
}

#[test]
fn restarted_sweep_trains_nothing() {
    if !have_data("restarted_sweep_trains_nothing") {
        return;
    }
    let results = scratch_dir("restart");
    copy_dir(reference(), &results);
    let runs_dir = results.join("runs");
    let before = snapshot(&runs_dir);
    let (runs_before, epochs_before) = tables(&results);

    let started = Instant::now();
    let output = sweep(&results, &["--jobs", "1", "--threads", "1"]);
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(
        stderr.contains("10 runs, 10 done, 0 to train"),
        "stderr:\n{stderr}"
    );
    assert_eq!(epoch_lines(&stderr), Vec::<usize>::new(), "{stderr}");
    // No run directory gained, lost or rewrote a file (train.log, checkpoints,
    // results): nothing was trained.
    assert_eq!(changed(&before, &snapshot(&runs_dir)), Vec::<String>::new());
    let (runs, epochs) = tables(&results);
    assert_same_table("runs", &runs_before, &runs, &[]);
    assert_same_table("epochs", &epochs_before, &epochs, &[]);
    // Generous: planning and rewriting the tables take about a second.
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
    let _ = std::fs::remove_dir_all(&results);
}

#[test]
fn two_jobs_give_the_same_tables_as_one() {
    if !have_data("two_jobs_give_the_same_tables_as_one") {
        return;
    }
    let results = scratch_dir("jobs2");
    let output = sweep(&results, &["--jobs", "2", "--threads", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 at a time, 1 thread each"), "{stderr}");
    let (runs, epochs) = tables(&results);
    let (ref_runs, ref_epochs) = tables(reference());
    assert_same_table("runs (jobs 2 vs 1)", &ref_runs, &runs, &RUN_CLOCK);
    assert_same_table("epochs (jobs 2 vs 1)", &ref_epochs, &epochs, &EPOCH_CLOCK);
    let _ = std::fs::remove_dir_all(&results);
}

/// The rows of a `--dry-run` listing: id → (variant, cell, done, estimate).
fn plan_rows(stdout: &str) -> BTreeMap<String, (String, String, String, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let id = words.next()?;
            if id.len() != 16 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            let variant = words.next()?.to_string();
            let cell = words.next()?.to_string();
            let done = words.next()?.to_string();
            let estimate = words.collect::<Vec<_>>().join(" ");
            Some((id.to_string(), (variant, cell, done, estimate)))
        })
        .collect()
}

#[test]
fn dry_run_lists_every_run_and_trains_nothing() {
    if !have_data("dry_run_lists_every_run_and_trains_nothing") {
        return;
    }
    let reference = reference();
    let (runs, _) = tables(reference);
    let want: BTreeMap<String, (String, String)> = strings(&runs, "run_id")
        .into_iter()
        .zip(strings(&runs, "variant"))
        .zip(ints(&runs, "seed"))
        .map(|((id, v), s)| {
            (
                id.expect("id"),
                (v.expect("variant"), format!("seed={}", s.expect("seed"))),
            )
        })
        .collect();
    let listed = |rows: &BTreeMap<String, (String, String, String, String)>| {
        rows.iter()
            .map(|(id, (v, c, _, _))| (id.clone(), (v.clone(), c.clone())))
            .collect::<BTreeMap<_, _>>()
    };

    // A store that does not exist: every run to train, no measurement yet, and
    // the directory is not created.
    let scratch = tempfile::tempdir().expect("tempdir");
    let fresh = scratch.path().join("results");
    let output = sweep(&fresh, &["--dry-run"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows = plan_rows(&stdout);
    assert_eq!(listed(&rows), want, "{stdout}");
    for (id, (_, _, done, estimate)) in &rows {
        assert_eq!(done, "no", "{id}");
        assert!(estimate.starts_with("unknown"), "{id}: {estimate}");
    }
    assert!(stdout.contains("10 runs, 0 done, 10 to train"), "{stdout}");
    assert!(!fresh.exists(), "a dry run created {}", fresh.display());

    // The finished reference: every run done, nothing touched.
    let before = snapshot(reference);
    let output = sweep(reference, &["--dry-run"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows = plan_rows(&stdout);
    assert_eq!(listed(&rows), want, "{stdout}");
    assert!(rows.values().all(|r| r.2 == "yes"), "{stdout}");
    assert!(stdout.contains("10 runs, 10 done, 0 to train"), "{stdout}");

    // Other cells of the same store: estimated from the finished runs' throughput.
    let output = sweep(reference, &["--dry-run", "--set", "train.lr=0.002"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows = plan_rows(&stdout);
    assert_eq!(rows.len(), 10, "{stdout}");
    for (id, (_, _, done, estimate)) in &rows {
        assert!(
            !want.contains_key(id),
            "another learning rate, same id: {id}"
        );
        assert_eq!(done, "no");
        let seconds = estimate
            .strip_suffix(" s")
            .and_then(|s| s.parse::<f64>().ok());
        assert!(seconds.is_some(), "{id}: estimate {estimate:?}");
    }
    // A larger budget keeps every id: runs its old budget ended go on.
    let output = sweep(reference, &["--dry-run", "--set", "train.epochs=4"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows = plan_rows(&stdout);
    assert_eq!(listed(&rows), want, "{stdout}");
    assert!(rows.values().any(|r| r.2 == "more"), "{stdout}");
    assert!(
        rows.values().all(|r| r.2 == "more" || r.2 == "yes"),
        "{stdout}"
    );
    assert_eq!(
        changed(&before, &snapshot(reference)),
        Vec::<String>::new(),
        "a dry run wrote into the store"
    );
}

#[test]
fn killed_sweep_resumes_to_the_numbers_of_an_uninterrupted_one() {
    if !have_data("killed_sweep_resumes_to_the_numbers_of_an_uninterrupted_one") {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let uninterrupted = scratch.path().join("uninterrupted");
    let killed = scratch.path().join("killed");
    sweep(&uninterrupted, &LONG_RUN);

    // Kill the sweep (SIGKILL, no clean-up) once its run has finished epoch 2.
    // As a child subreaper this process inherits the orphaned `run-one`, so
    // it can tell how that died.
    // SAFETY: prctl with these arguments only sets a flag of this process.
    let subreaper = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    assert_eq!(subreaper, 0, "PR_SET_CHILD_SUBREAPER");
    let mut child = sweep_command(&killed, &LONG_RUN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runner binary starts");
    let stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut seen = String::new();
    let mut run_id = None;
    let mut trainer = Vec::new();
    for line in stderr.lines() {
        let line = line.expect("utf-8 progress");
        seen.push_str(&line);
        seen.push('\n');
        if epoch_lines(&line) == [2] {
            trainer = run_one_processes(&killed);
            child.kill().expect("the sweep is running");
            run_id = line.split_whitespace().nth(1).map(String::from);
            break;
        }
    }
    child.wait().expect("the killed sweep is reaped");
    let run_id = run_id.unwrap_or_else(|| panic!("no epoch 2 line before the end:\n{seen}"));
    let run_dir = killed.join("runs").join(&run_id);

    // The training process died with the sweep, of the SIGKILL that
    // PR_SET_PDEATHSIG sends (not later, of a broken stdout pipe).
    assert_eq!(trainer.len(), 1, "run-one processes: {trainer:?}");
    let status = reap(trainer[0], Duration::from_secs(10));
    assert!(
        libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGKILL,
        "run-one outlived its sweep and ended with wait status {status:#x}"
    );
    assert_eq!(run_one_processes(&killed), Vec::<u32>::new());
    assert!(
        !run_dir.join("DONE").exists(),
        "the run finished before the kill"
    );
    assert!(
        run_dir.join("checkpoint.json").is_file(),
        "no checkpoint after two epochs"
    );

    // Started again, it resumes from the checkpoint (no epoch 1 again) and finishes.
    let output = sweep(&killed, &LONG_RUN);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let resumed = epoch_lines(&stderr);
    assert!(
        resumed.first().is_some_and(|e| *e >= 2) && resumed.last() == Some(&6),
        "resumed epochs {resumed:?}:\n{stderr}"
    );
    assert!(run_dir.join("DONE").is_file());
    assert!(
        run_dir.join("checkpoint.json").is_file(),
        "the last state is kept"
    );

    let (runs, epochs) = tables(&killed);
    let (ref_runs, ref_epochs) = tables(&uninterrupted);
    assert_eq!(runs.height(), 1);
    assert_eq!(
        ints(&epochs, "epoch"),
        (1..=6).map(Some).collect::<Vec<_>>()
    );
    assert_same_table(
        "runs (resumed vs uninterrupted)",
        &ref_runs,
        &runs,
        &RUN_CLOCK,
    );
    assert_same_table(
        "epochs (resumed vs uninterrupted)",
        &ref_epochs,
        &epochs,
        &EPOCH_CLOCK,
    );
}

#[test]
fn second_sweep_on_a_busy_store_is_refused() {
    if !have_data("second_sweep_on_a_busy_store_is_refused") {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let results = scratch.path().join("busy");
    let mut first = sweep_command(&results, &LONG_RUN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runner binary starts");
    let mut stderr = BufReader::new(first.stderr.take().expect("piped")).lines();
    // The first sweep announces its plan once it holds the store's lock.
    let announced = stderr
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains("to train"));
    assert!(announced, "the first sweep ended without starting");

    let second = sweep_command(&results, &LONG_RUN)
        .output()
        .expect("the runner binary starts");
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "the second sweep ran:\n{message}");
    assert!(
        message.contains("in use by another sweep")
            && message.contains(&results.join(".lock").display().to_string()),
        "{message}"
    );

    // The first sweep is not disturbed.
    let rest: Vec<String> = stderr.map_while(Result::ok).collect();
    let status = first.wait().expect("the first sweep ends");
    assert!(status.success(), "{}", rest.join("\n"));
    let (runs, epochs) = tables(&results);
    assert_eq!((runs.height(), epochs.height()), (1, 6));
}
