//! The Slurm backend: the plan's unfinished runs as ONE job array, each task
//! running `runner run-one <results> <id>` into the same store a local sweep
//! uses. Nothing of Slurm is re-implemented: `sbatch` submits, `scontrol`
//! (or `sacct`, once the controller has forgotten a job) reports states.
//!
//! ```text
//! results/<experiment>/slurm/<stamp>.sh     the job script, re-submittable by hand
//! results/<experiment>/slurm/<stamp>.runs   run ids, one per line: task i runs line i+1
//! results/<experiment>/slurm/logs/<job>_<task>.log
//! results/<experiment>/runs/<id>/slurm.json the task that last took the run
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::plan::PlannedRun;
use crate::store::{read_json, write_atomic, write_json, Store};

/// What the user asks of `sbatch`.
#[derive(Debug, Clone, Default)]
pub struct SbatchSettings {
    pub partition: Option<String>,
    /// `HH:MM:SS` (or any form `sbatch --time` takes).
    pub time: Option<String>,
    /// Also the libtorch threads of each run.
    pub cpus_per_task: usize,
    /// e.g. `gpu:1`.
    pub gres: Option<String>,
    /// At most this many tasks at once (`--array=0-N%K`).
    pub max_parallel: Option<usize>,
}

/// A submission: the `sbatch` settings and what each task runs.
#[derive(Debug, Clone, Default)]
pub struct SlurmOptions {
    pub sbatch: SbatchSettings,
    pub device: String,
    /// The `runner` binary the tasks run; it must be visible from the nodes.
    pub executable: PathBuf,
    /// The tasks' working directory (the workspace, for the data manifest).
    pub workdir: PathBuf,
}

/// The array task that last took a run: `runs/<id>/slurm.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Submission {
    pub job_id: String,
    pub task: usize,
    pub log: PathBuf,
}

impl Submission {
    pub fn of(store: &Store, id: &str) -> Option<Submission> {
        read_json(&store.run_dir(id).join("slurm.json")).ok()
    }
}

/// Submits `runs` as one job array; returns its job id.
pub fn submit(
    store: &Store,
    runs: &[&PlannedRun],
    options: &SlurmOptions,
) -> anyhow::Result<String> {
    let dir = absolute(&store.root)?.join("slurm");
    std::fs::create_dir_all(dir.join("logs"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let stamp = unique_stamp(&dir);
    let list = dir.join(format!("{stamp}.runs"));
    let ids: String = runs.iter().map(|r| format!("{}\n", r.id)).collect();
    write_atomic(&list, ids.as_bytes())?;
    let script = dir.join(format!("{stamp}.sh"));
    let text = job_script(store, runs.len(), &list, options)?;
    write_atomic(&script, text.as_bytes())?;
    let output = Command::new("sbatch")
        .arg("--parsable")
        .arg(&script)
        .output()
        .context("running sbatch (is Slurm installed and on PATH?)")?;
    if !output.status.success() {
        bail!(
            "sbatch {} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    // `--parsable` prints `<job id>` or `<job id>;<cluster>`.
    let job_id = stdout.trim().split(';').next().unwrap_or("").to_string();
    if job_id.is_empty() || !job_id.chars().all(|c| c.is_ascii_digit()) {
        bail!("sbatch printed {stdout:?}, not a job id");
    }
    for (task, run) in runs.iter().enumerate() {
        let submission = Submission {
            log: dir.join("logs").join(format!("{job_id}_{task}.log")),
            job_id: job_id.clone(),
            task,
        };
        write_json(&store.run_dir(&run.id).join("slurm.json"), &submission)?;
    }
    Ok(job_id)
}

fn job_script(
    store: &Store,
    tasks: usize,
    list: &Path,
    options: &SlurmOptions,
) -> anyhow::Result<String> {
    let results = absolute(&store.root)?;
    let experiment = results.file_name().unwrap_or_default().to_string_lossy();
    let sbatch = &options.sbatch;
    let throttle = sbatch
        .max_parallel
        .map_or(String::new(), |k| format!("%{k}"));
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        format!("#SBATCH --job-name=atner-{experiment}"),
        format!("#SBATCH --array=0-{}{throttle}", tasks - 1),
        format!("#SBATCH --cpus-per-task={}", sbatch.cpus_per_task),
        format!(
            "#SBATCH --output={}/slurm/logs/%A_%a.log",
            results.display()
        ),
        format!("#SBATCH --chdir={}", options.workdir.display()),
    ];
    for (flag, value) in [
        ("partition", &sbatch.partition),
        ("time", &sbatch.time),
        ("gres", &sbatch.gres),
    ] {
        if let Some(value) = value {
            lines.push(format!("#SBATCH --{flag}={value}"));
        }
    }
    lines.extend([
        "set -euo pipefail".to_string(),
        format!(
            "id=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" {})",
            quote(list)
        ),
        format!(
            "exec {} run-one {} \"$id\" --threads {} --device {} --write-tables",
            quote(&options.executable),
            quote(&results),
            sbatch.cpus_per_task,
            quote(Path::new(&options.device)),
        ),
    ]);
    Ok(lines.join("\n") + "\n")
}

/// A shell word for `path`, single-quoted.
fn quote(path: &Path) -> String {
    crate::shell::quote(&path.display().to_string())
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

/// Seconds since the epoch, with a suffix if a submission already has that name.
fn unique_stamp(dir: &Path) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (0..)
        .map(|n| match n {
            0 => secs.to_string(),
            n => format!("{secs}-{n}"),
        })
        .find(|s| !dir.join(format!("{s}.sh")).exists())
        .expect("some suffix is free")
}

/// A task's state as Slurm reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    Queued,
    Running,
    Completed,
    /// FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, …, with `ExitCode` (`code:signal`).
    Ended {
        state: String,
        exit_code: String,
    },
}

impl TaskState {
    fn parse(state: &str, exit_code: &str) -> Self {
        // `CANCELLED by 0` in sacct: the first word is the state.
        let state = state.split_whitespace().next().unwrap_or("");
        match state {
            "PENDING" | "CONFIGURING" | "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED"
            | "RESIZING" | "SUSPENDED" => Self::Queued,
            "RUNNING" | "COMPLETING" | "STAGE_OUT" | "SIGNALING" => Self::Running,
            "COMPLETED" => Self::Completed,
            other => Self::Ended {
                state: other.to_string(),
                exit_code: exit_code.to_string(),
            },
        }
    }

    /// Still to run, or running.
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// The state of every task of job array `job_id` that Slurm still knows, by
/// task index: from `scontrol`, or from `sacct` once the controller has
/// forgotten the job. Empty when neither knows it.
pub fn query(job_id: &str) -> BTreeMap<usize, TaskState> {
    let scontrol = Command::new("scontrol")
        .args(["-o", "show", "job", job_id])
        .output();
    if let Some(out) = scontrol.ok().filter(|o| o.status.success()) {
        let states = parse_scontrol(&String::from_utf8_lossy(&out.stdout), job_id);
        if !states.is_empty() {
            return states;
        }
    }
    let sacct = Command::new("sacct")
        .args(["-n", "-P", "-X", "-o", "JobID,State,ExitCode", "-j", job_id])
        .output();
    match sacct.ok().filter(|o| o.status.success()) {
        Some(out) => parse_sacct(&String::from_utf8_lossy(&out.stdout), job_id),
        None => BTreeMap::new(),
    }
}

/// `scontrol -o show job`: one line per task (`ArrayJobId=14 ArrayTaskId=3
/// JobState=FAILED ExitCode=1:0 …`); still-pending tasks share one line whose
/// `ArrayTaskId` is a range list (`4-9%2`).
fn parse_scontrol(text: &str, job_id: &str) -> BTreeMap<usize, TaskState> {
    let mut states = BTreeMap::new();
    for line in text.lines() {
        let field = |key: &str| {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        };
        if field("ArrayJobId") != Some(job_id) {
            continue;
        }
        let (Some(tasks), Some(state)) = (field("ArrayTaskId"), field("JobState")) else {
            continue;
        };
        let state = TaskState::parse(state, field("ExitCode").unwrap_or(""));
        for task in task_indices(tasks) {
            states.insert(task, state.clone());
        }
    }
    states
}

/// `sacct -P -o JobID,State,ExitCode`: `14_3|FAILED|1:0`, `14_[4-9%2]|PENDING|0:0`.
fn parse_sacct(text: &str, job_id: &str) -> BTreeMap<usize, TaskState> {
    let mut states = BTreeMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('|').collect();
        let [id, state, exit_code] = fields[..] else {
            continue;
        };
        let Some(tasks) = id.strip_prefix(job_id).and_then(|r| r.strip_prefix('_')) else {
            continue;
        };
        let tasks = tasks.trim_start_matches('[').trim_end_matches(']');
        let state = TaskState::parse(state, exit_code);
        for task in task_indices(tasks) {
            states.insert(task, state.clone());
        }
    }
    states
}

/// `3`, `4-9%2`, `1,3,5-7` → task indices.
fn task_indices(list: &str) -> Vec<usize> {
    let list = list.split('%').next().unwrap_or("");
    let mut tasks = Vec::new();
    for part in list.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    tasks.extend(a..=b);
                }
            }
            None => tasks.extend(part.parse::<usize>().ok()),
        }
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scontrol_lines_give_each_task_its_state() {
        let text = "\
JobId=21 ArrayJobId=20 ArrayTaskId=0 JobName=atner-smoke JobState=COMPLETED Reason=None ExitCode=0:0
JobId=22 ArrayJobId=20 ArrayTaskId=1 JobName=atner-smoke JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0
JobId=23 ArrayJobId=20 ArrayTaskId=2 JobName=atner-smoke JobState=RUNNING Reason=None ExitCode=0:0
JobId=20 ArrayJobId=20 ArrayTaskId=3-5,7%2 JobName=atner-smoke JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0
JobId=30 ArrayJobId=30 ArrayTaskId=0 JobState=FAILED ExitCode=2:0
";
        let states = parse_scontrol(text, "20");
        assert_eq!(states[&0], TaskState::Completed);
        assert_eq!(
            states[&1],
            TaskState::Ended {
                state: "FAILED".into(),
                exit_code: "1:0".into()
            }
        );
        assert_eq!(states[&2], TaskState::Running);
        for task in [3, 4, 5, 7] {
            assert_eq!(states[&task], TaskState::Queued, "task {task}");
        }
        assert_eq!(states.len(), 7, "{states:?}");
    }

    #[test]
    fn sacct_lines_give_each_task_its_state() {
        let text = "20_0|COMPLETED|0:0\n20_1|CANCELLED by 0|0:9\n20_[2-3%1]|PENDING|0:0\n200_1|FAILED|1:0\n";
        let states = parse_sacct(text, "20");
        assert_eq!(states[&0], TaskState::Completed);
        assert_eq!(
            states[&1],
            TaskState::Ended {
                state: "CANCELLED".into(),
                exit_code: "0:9".into()
            }
        );
        assert_eq!(states[&2], TaskState::Queued);
        assert_eq!(states[&3], TaskState::Queued);
        assert_eq!(states.len(), 4);
    }

    #[test]
    fn the_job_script_runs_line_task_plus_one_of_the_list() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("it's"), "smoke").expect("store");
        let options = SlurmOptions {
            sbatch: SbatchSettings {
                partition: Some("gpu".into()),
                time: Some("02:00:00".into()),
                cpus_per_task: 4,
                gres: None,
                max_parallel: Some(3),
            },
            device: "cuda".into(),
            executable: "/opt/runner".into(),
            workdir: "/work".into(),
        };
        let script =
            job_script(&store, 10, Path::new("/r/slurm/1.runs"), &options).expect("script");
        for line in [
            "#SBATCH --array=0-9%3",
            "#SBATCH --cpus-per-task=4",
            "#SBATCH --partition=gpu",
            "#SBATCH --time=02:00:00",
            "#SBATCH --chdir=/work",
            "id=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" '/r/slurm/1.runs')",
        ] {
            assert!(script.lines().any(|l| l == line), "{line} not in\n{script}");
        }
        assert!(!script.contains("--gres"), "{script}");
        // The quote in the directory name survives the shell.
        assert!(script.contains(r"'\''s'"), "{script}");
        assert!(
            script.contains("--threads 4 --device 'cuda' --write-tables"),
            "{script}"
        );
    }
}
