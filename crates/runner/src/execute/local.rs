//! The local pool: trains the plan's unfinished runs, `jobs` at a time, each in
//! its own `runner run-one` process, and rewrites the tables after every run.
//!
//! Workers are plain scoped threads taking runs from a shared counter; the
//! tables are written by the calling thread alone. (A rayon pool deadlocked
//! here: a worker waiting inside polars stole the next run and then waited on
//! the table lock it already held.)

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use anyhow::{bail, Context};
use indicatif::{MultiProgress, ProgressBar};

use super::backend::{Backend, Handout, RunState};
use super::run_one::RunEvent;
use crate::plan::PlannedRun;
use crate::progress;
use crate::store::Store;

/// Processes on this machine.
#[derive(Debug, Clone)]
pub struct Local {
    /// Runs trained at once.
    pub jobs: usize,
    /// libtorch threads per run.
    pub threads: usize,
    pub device: String,
    /// The `runner` binary that trains each run.
    pub executable: PathBuf,
}

impl Backend for Local {
    fn submit(&self, store: &Store, work: &Handout) -> anyhow::Result<()> {
        let elsewhere = match work.active {
            0 => String::new(),
            n => format!(", {n} running in another process"),
        };
        let threads = match self.threads {
            1 => "1 thread".to_string(),
            n => format!("{n} threads"),
        };
        eprintln!(
            "{}: {} runs, {} done, {} to train ({} at a time, {threads} each){elsewhere}",
            store.root.display(),
            work.runs.len(),
            work.done,
            work.pending.len(),
            self.jobs,
        );
        train_all(store, &work.pending, self)
    }

    /// Nothing beyond the store: a run training here holds its lock.
    fn states(&self, _store: &Store) -> anyhow::Result<BTreeMap<String, RunState>> {
        Ok(BTreeMap::new())
    }
}

/// Trains `pending`, `jobs` at a time, rewriting the tables after each run.
fn train_all(store: &Store, pending: &[&PlannedRun], options: &Local) -> anyhow::Result<()> {
    let bars = MultiProgress::new();
    let overall = bars.add(progress::bar(pending.len() as u64, "runs"));
    overall.set_prefix("sweep");
    let next = AtomicUsize::new(0);
    let (done_tx, done_rx) = mpsc::channel::<(&PlannedRun, anyhow::Result<()>)>();
    let mut failures = Vec::new();
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1).min(pending.len()) {
            let done_tx = done_tx.clone();
            let (next, pending, bars) = (&next, &pending, &bars);
            scope.spawn(move || {
                while let Some(run) = pending.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let bar = bars.add(progress::bar(run.config.train.epochs as u64, "epochs"));
                    bar.set_prefix(format!("{} {}", run.config.variant, cell_label(run)));
                    let outcome = train_in_child(store, run, options, &bar);
                    bar.finish_and_clear();
                    if done_tx.send((run, outcome)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // Tables are rewritten here, on one thread, after every finished run.
        for (run, outcome) in done_rx {
            failures.extend(finished(store, run, outcome, &overall));
        }
    });
    overall.finish_and_clear();
    store.write_tables()?;
    if !failures.is_empty() {
        bail!(
            "{} of {} runs failed:\n{}",
            failures.len(),
            pending.len(),
            failures.join("\n")
        );
    }
    Ok(())
}

/// Rewrites the tables after `run` ended and says so; the failure, if any.
fn finished(
    store: &Store,
    run: &PlannedRun,
    outcome: anyhow::Result<()>,
    overall: &ProgressBar,
) -> Option<String> {
    let outcome = outcome.and_then(|()| store.write_tables().map(|_| ()));
    overall.inc(1);
    let line = match &outcome {
        Ok(()) => format!(
            "run {} ({} {}) done",
            run.id,
            run.config.variant,
            cell_label(run)
        ),
        Err(e) => format!("run {} ({}) failed: {e:#}", run.id, run.config.variant),
    };
    progress::event(overall, &line);
    outcome.err().map(|e| format!("{}: {e:#}", run.id))
}

fn cell_label(run: &PlannedRun) -> String {
    run.cell
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `runner run-one` for `run`, its stderr appended to `log`; it dies with
/// the sweep.
fn child_command(store: &Store, run: &PlannedRun, options: &Local, log: std::fs::File) -> Command {
    let mut command = Command::new(&options.executable);
    command
        .arg("run-one")
        .arg(&store.root)
        .arg(&run.id)
        .args([
            "--device",
            &options.device,
            "--threads",
            &options.threads.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(log);
    // SAFETY: prctl, getppid and _exit are async-signal-safe; the child dies
    // with the sweep, so a killed sweep leaves no orphan training the same run
    // as its restart. A sweep killed before the prctl took effect has already
    // left the child to another parent: it exits at once.
    let sweep_pid = std::process::id();
    unsafe {
        command.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() as u32 != sweep_pid {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    command
}

/// Follows a run's progress lines on `bar` until its stdout closes.
fn follow(
    stdout: std::process::ChildStdout,
    run: &PlannedRun,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    for line in BufReader::new(stdout).lines() {
        match serde_json::from_str::<RunEvent>(&line?) {
            Ok(RunEvent::Epoch { epoch, dev_f1, .. }) => {
                bar.set_position(epoch as u64);
                let line = format!("run {} epoch {epoch} dev F1 {dev_f1:.2}", run.id);
                progress::event(bar, &line);
            }
            Ok(RunEvent::Restarted { reason }) => {
                progress::event(bar, &format!("warning: {reason}"));
            }
            Err(_) => {}
        }
    }
    Ok(())
}

/// Runs `runner run-one` for `run`, following its epochs on `bar`.
fn train_in_child(
    store: &Store,
    run: &PlannedRun,
    options: &Local,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    let dir = store.run_dir(&run.id);
    let log_path = dir.join("train.log");
    // Appended to: a resumed run keeps the log of the attempt that was cut short.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let mut child = child_command(store, run, options, log)
        .spawn()
        .with_context(|| format!("starting {}", options.executable.display()))?;
    follow(child.stdout.take().expect("stdout is piped"), run, bar)?;
    let status = child.wait()?;
    if !status.success() {
        let tail = crate::store::log_tail(&log_path, 5);
        bail!(
            "{status}; last lines of {}:\n{}",
            log_path.display(),
            tail.join("\n")
        );
    }
    Ok(())
}
