//! `runner sweep --backend slurm` against a real Slurm: a single-node cluster
//! on localhost started by scripts/local-slurm.sh (Debian's slurm-wlm; needs
//! root, as CI is). The smoke experiment goes in as one job array; its merged
//! tables must equal those of a local `--jobs 1` sweep; `runner status` shows
//! every run done; a second submission submits nothing; a failing task is
//! reported with its Slurm state, exit code and log, and only it is submitted
//! again.
//!
//! Skipped, with a notice on the terminal, without root, without the data
//! mirror, or with `ATNER_SKIP_SLURM=1`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod common;
use common::*;

/// The longest the smoke array may take on a 2-core machine.
const LIMIT: Duration = Duration::from_secs(900);

/// Printed past the test harness's capture, so a skip is seen in `just test`.
fn notice(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "slurm test: {message}");
}

/// A local cluster for the test; stopped on drop if this test started it.
struct LocalSlurm {
    started_here: bool,
}

impl LocalSlurm {
    fn script() -> PathBuf {
        workspace().join("scripts/local-slurm.sh")
    }

    fn start() -> Option<Self> {
        if std::env::var_os("ATNER_SKIP_SLURM").is_some_and(|v| v == "1") {
            notice("SKIPPED (ATNER_SKIP_SLURM=1)");
            return None;
        }
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            notice("SKIPPED: starting a local Slurm needs root (scripts/local-slurm.sh)");
            return None;
        }
        let running = Command::new(Self::script())
            .arg("status")
            .output()
            .is_ok_and(|o| o.status.success());
        if running {
            return Some(Self {
                started_here: false,
            });
        }
        if !Path::new("/usr/bin/apt-get").exists() && !Path::new("/usr/sbin/slurmctld").exists() {
            notice("SKIPPED: no Slurm and no apt-get to install it");
            return None;
        }
        notice("starting a local Slurm (scripts/local-slurm.sh start)");
        let out = Command::new(Self::script())
            .arg("start")
            .output()
            .expect("local-slurm.sh runs");
        assert!(
            out.status.success(),
            "local-slurm.sh start failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(Self { started_here: true })
    }
}

impl Drop for LocalSlurm {
    fn drop(&mut self) {
        if self.started_here {
            let _ = Command::new(Self::script())
                .args(["stop", "--cancel"])
                .output();
        }
    }
}

/// Runs `runner` with `args` from the workspace, failing the test after `limit`.
fn runner_within(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(workspace())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the runner binary starts");
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("waitable").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("reaped");
            panic!(
                "runner {args:?} still ran after {limit:?}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    child.wait_with_output().expect("reaped")
}

fn slurm_sweep(results: &Path, extra: &[&str]) -> Output {
    let (smoke, results) = (smoke(), results.display().to_string());
    let mut args = vec![
        "sweep",
        smoke.to_str().expect("utf-8 path"),
        "--results",
        &results,
        "--backend",
        "slurm",
        "--cpus-per-task",
        "1",
        "--max-parallel",
        "2",
        "--wait",
    ];
    args.extend(extra);
    runner_within(&args, LIMIT)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One test, one cluster: the scenarios run one after the other on it.
#[test]
fn slurm_backend_end_to_end() {
    if !have_data("slurm_backend_end_to_end") {
        return;
    }
    let Some(_cluster) = LocalSlurm::start() else {
        return;
    };
    array_fills_the_tables_a_local_sweep_would();
    a_failed_task_is_reported_and_alone_resubmitted();
}

fn array_fills_the_tables_a_local_sweep_would() {
    let temp = tempfile::tempdir().expect("tempdir");
    let local = temp.path().join("local");
    let slurm = temp.path().join("slurm");
    sweep(&local, &["--jobs", "1", "--threads", "1"]);

    let out = slurm_sweep(&slurm, &[]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("10 to submit") && stderr.contains("submitted job array"),
        "{stderr}"
    );
    let (runs, epochs) = tables(&slurm);
    let (local_runs, local_epochs) = tables(&local);
    assert_same_table("runs (slurm vs local)", &local_runs, &runs, &RUN_CLOCK);
    assert_same_table(
        "epochs (slurm vs local)",
        &local_epochs,
        &epochs,
        &EPOCH_CLOCK,
    );

    let slurm_arg = slurm.display().to_string();
    let status = runner_within(&["status", &slurm_arg], Duration::from_secs(60));
    let listing = text(&status.stdout);
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert!(listing.contains("10 runs: 10 done"), "{listing}");

    // Everything is done: a second submission submits nothing.
    let scripts = |dir: &Path| count_scripts(&dir.join("slurm"));
    let before = scripts(&slurm);
    let out = slurm_sweep(&slurm, &[]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("10 done, 0 queued or running, 0 to submit"),
        "{stderr}"
    );
    assert_eq!(scripts(&slurm), before);
}

fn count_scripts(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "sh"))
                .count()
        })
        .unwrap_or(0)
}

fn a_failed_task_is_reported_and_alone_resubmitted() {
    if tch::Cuda::is_available() {
        notice("failed-task scenario SKIPPED: it fails tasks by asking for CUDA, which this machine has");
        return;
    }
    let temp = tempfile::tempdir().expect("tempdir");
    let results = temp.path().join("failing");
    let only = ["--only", "baseline", "--seeds", "1,2"];
    // Both tasks fail: libtorch sees no CUDA device here.
    let out = slurm_sweep(&results, &[&only[..], &["--device", "cuda"]].concat());
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("2 of 2 runs did not finish"), "{stderr}");

    let arg = results.display().to_string();
    let status = runner_within(&["status", &arg], Duration::from_secs(60));
    let listing = text(&status.stdout);
    assert!(listing.contains("2 runs: 2 failed"), "{listing}");
    assert!(listing.contains("FAILED, exit code 1:0"), "{listing}");
    assert!(
        listing.contains("libtorch sees no CUDA device"),
        "{listing}"
    );

    // On the CPU, both are submitted again and finish.
    let out = slurm_sweep(&results, &only);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("0 done, 0 queued or running, 2 to submit"),
        "{stderr}"
    );
    assert_eq!(tables(&results).0.height(), 2);
}
