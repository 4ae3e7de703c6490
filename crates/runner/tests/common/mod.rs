//! Helpers shared by the end-to-end tests: the workspace, the real `runner`
//! binary on the smoke experiment, and table comparisons.
#![allow(dead_code)] // each test binary uses its own subset

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use polars::prelude::*;

/// Columns that measure the machine, not the configuration.
pub const RUN_CLOCK: [&str; 2] = ["wall_seconds", "train_chars_per_second"];

pub const EPOCH_CLOCK: [&str; 3] = ["train_seconds", "eval_seconds", "chars_per_second"];

/// One full variant long enough to be killed between epochs.
pub const LONG_RUN: [&str; 10] = [
    "--only",
    "full",
    "--seeds",
    "1",
    "--set",
    "train.epochs=6",
    "--set",
    "train.patience=6",
    "--threads",
    "1",
];

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace exists")
}

pub fn smoke() -> PathBuf {
    workspace().join("experiments/smoke.toml")
}

/// Whether the data mirror is there; says "skipped" when it is not.
pub fn have_data(test: &str) -> bool {
    let mirror = std::env::var_os("ATNER_DATA_MIRROR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/data"));
    if !mirror.is_dir() {
        eprintln!(
            "{test}: skipped: no data mirror at {} (set ATNER_DATA_MIRROR)",
            mirror.display()
        );
    }
    mirror.is_dir()
}

/// `runner sweep smoke.toml --results <results> <args>`, run from the workspace root.
pub fn sweep_command(results: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_runner"));
    command
        .current_dir(workspace())
        .arg("sweep")
        .arg(smoke())
        .arg("--results")
        .arg(results)
        .args(args);
    command
}

pub fn sweep(results: &Path, args: &[&str]) -> Output {
    let output = sweep_command(results, args)
        .output()
        .expect("the runner binary starts");
    assert!(
        output.status.success(),
        "sweep {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn read_parquet(path: &Path) -> DataFrame {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file)
        .finish()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn tables(results: &Path) -> (DataFrame, DataFrame) {
    (
        read_parquet(&results.join("runs.parquet")),
        read_parquet(&results.join("epochs.parquet")),
    )
}

pub fn names(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect()
}

pub fn ints(df: &DataFrame, column: &str) -> Vec<Option<i64>> {
    let c = df.column(column).expect("the column exists");
    c.i64()
        .unwrap_or_else(|e| panic!("{column}: {e}"))
        .iter()
        .collect()
}

/// Asserts equal frames after dropping `ignored` columns, naming the first difference.
pub fn assert_same_table(what: &str, a: &DataFrame, b: &DataFrame, ignored: &[&str]) {
    let a = a.drop_many(ignored.iter().copied());
    let b = b.drop_many(ignored.iter().copied());
    assert_eq!(names(&a), names(&b), "{what}: columns differ");
    assert_eq!(a.height(), b.height(), "{what}: row counts differ");
    for name in names(&a) {
        let (x, y) = (
            a.column(&name).expect("listed"),
            b.column(&name).expect("same names"),
        );
        assert!(
            x.equals_missing(y),
            "{what}: column {name} differs:\n{x:?}\nvs\n{y:?}"
        );
    }
}

/// Every file under `dir` with its size and modification time.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable").flatten() {
            let meta = entry.metadata().expect("stat");
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                files.insert(entry.path(), (meta.len(), meta.modified().expect("mtime")));
            }
        }
    }
    files
}

/// The files added, removed or rewritten between two snapshots.
pub fn changed(
    before: &BTreeMap<PathBuf, (u64, SystemTime)>,
    after: &BTreeMap<PathBuf, (u64, SystemTime)>,
) -> Vec<String> {
    let paths: BTreeSet<&PathBuf> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| p.display().to_string())
        .collect()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creatable");
    for entry in std::fs::read_dir(from).expect("readable").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("stat").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copyable");
        }
    }
}

/// Epoch numbers of the "run <id> epoch <n> dev F1 …" lines a sweep printed.
pub fn epoch_lines(stderr: &str) -> Vec<usize> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("run ")?;
            let (_, rest) = rest.split_once(" epoch ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect()
}

/// Pids of live `runner run-one` processes working on `results`.
pub fn run_one_processes(results: &Path) -> Vec<u32> {
    let needle = results.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let proc = Path::new("/proc").join(pid.to_string());
            let cmdline = std::fs::read(proc.join("cmdline")).unwrap_or_default();
            let args: Vec<String> = cmdline
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            // A zombie (state Z) is dead, only not reaped yet.
            let stat = std::fs::read_to_string(proc.join("stat")).unwrap_or_default();
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            !zombie && args.iter().any(|a| a == "run-one") && args.contains(&needle)
        })
        .collect()
}

/// Waits (up to `limit`) for `pid`, a child or an orphan this process adopted,
/// and returns its wait status.
pub fn reap(pid: u32, limit: Duration) -> i32 {
    let deadline = Instant::now() + limit;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only the status integer it is given.
        let got = unsafe { libc::waitpid(pid as i32, &mut status, libc::WNOHANG) };
        assert!(
            got >= 0,
            "waitpid({pid}): {}",
            std::io::Error::last_os_error()
        );
        if got == pid as i32 {
            return status;
        }
        assert!(Instant::now() < deadline, "run-one {pid} still runs");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `runner <args>` from the workspace root with `stdin` as its standard input.
pub fn runner_with_stdin<S: AsRef<std::ffi::OsStr>>(args: &[S], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(workspace())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runner binary starts");
    let mut pipe = child.stdin.take().expect("piped stdin");
    pipe.write_all(stdin).expect("input written");
    drop(pipe);
    child.wait_with_output().expect("runner finishes")
}

/// Every file under `dir` (but `.gitkeep`), by its path relative to `dir`,
/// with its bytes: two trees are equal when these are.
pub fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != ".gitkeep") {
                let relative = path.strip_prefix(dir).expect("inside").to_path_buf();
                found.insert(relative, std::fs::read(&path).expect("readable"));
            }
        }
    }
    found
}
