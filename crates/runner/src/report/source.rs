//! What a report reads: one or more results stores (`results/<experiment>/`),
//! their `runs` and `epochs` tables and each finished run's `result.json`,
//! combined into one runs frame and one epochs frame.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use polars::prelude::*;

use crate::store::{RunResult, Store};

/// One results store, loaded.
#[derive(Debug, Clone)]
pub struct Source {
    pub root: PathBuf,
    /// The experiment name recorded in `store.json`.
    pub experiment: String,
    /// What its experiment asks the report for (`None`: a store made before
    /// experiments could say; its report renders every paper table).
    pub asks: Option<crate::store::Asks>,
    pub runs: DataFrame,
    pub epochs: DataFrame,
    /// Every finished run's result, in id order.
    pub results: Vec<RunResult>,
    /// Run id → the code revision that trained it (the content of `DONE`).
    pub revisions: BTreeMap<String, String>,
    /// Run id → its probe (`runner probe`), for the runs that have one.
    pub probes: BTreeMap<String, crate::store::ProbeRecord>,
    /// Finished runs left out because an earlier source has the same run id.
    pub duplicates: Vec<String>,
}

impl Source {
    /// Leaves out the runs whose ids are in `ids` (already read from another store).
    pub fn drop_runs(&mut self, ids: &[String]) -> anyhow::Result<()> {
        let (dropped, kept): (Vec<RunResult>, Vec<RunResult>) = std::mem::take(&mut self.results)
            .into_iter()
            .partition(|r| ids.contains(&r.id));
        self.results = kept;
        if dropped.is_empty() {
            return Ok(());
        }
        self.runs = restrict(&self.runs, &self.results)?;
        self.epochs = restrict(&self.epochs, &self.results)?;
        for r in &dropped {
            self.revisions.remove(&r.id);
        }
        self.duplicates = dropped.into_iter().map(|r| r.id).collect();
        Ok(())
    }
}

/// An experiment name (`weibo` → `<workspace>/results/weibo`) or a results directory.
pub fn resolve(arg: &str) -> anyhow::Result<PathBuf> {
    let path = Path::new(arg);
    if path.join("store.json").exists() {
        return Ok(path.to_path_buf());
    }
    let looks_like_path = arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR);
    if !looks_like_path {
        let cwd = std::env::current_dir()?;
        if let Ok(root) = crate::dataset::locations::workspace_root(&cwd) {
            let dir = root.join("results").join(arg);
            if dir.join("store.json").exists() {
                return Ok(dir);
            }
            bail!(
                "no results for experiment {arg:?}: {} has no store.json (run `runner sweep experiments/{arg}.toml` first)",
                dir.display()
            );
        }
    }
    bail!(
        "{arg:?} is neither a results directory (with store.json) nor an experiment name with results/<name>"
    )
}

/// Loads the store at `root`. A store without finished runs loads as empty tables.
pub fn load(root: &Path) -> anyhow::Result<Source> {
    let store = Store::at(root)?;
    let results = store.finished_runs()?;
    let mut revisions = BTreeMap::new();
    for r in &results {
        revisions.insert(r.id.clone(), store.completion(&r.id)?.revision);
    }
    let mut probes = BTreeMap::new();
    for r in &results {
        let path = store.run_dir(&r.id).join(crate::store::PROBE);
        if path.is_file() {
            probes.insert(r.id.clone(), crate::store::read_json(&path)?);
        }
    }
    let runs = read_table(&root.join("runs.parquet"))?;
    let epochs = read_table(&root.join("epochs.parquet"))?;
    if runs.height() < results.len() {
        bail!(
            "{}: {} finished runs but runs.parquet has {} rows; the tables are rebuilt after every run, so a sweep may still be writing (rerun the report when it is done)",
            root.display(),
            results.len(),
            runs.height()
        );
    }
    let mut runs = restrict(&runs, &results)?;
    add_selected_mention_columns(&mut runs, &results)?;
    let epochs = restrict(&epochs, &results)?;
    Ok(Source {
        root: root.to_path_buf(),
        experiment: store.experiment()?,
        asks: store.asks()?,
        runs,
        epochs,
        results,
        revisions,
        probes,
        duplicates: Vec::new(),
    })
}

fn read_table(path: &Path) -> anyhow::Result<DataFrame> {
    if !path.exists() {
        return Ok(DataFrame::empty());
    }
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))
}

/// The rows of finished runs only (a table may be older than a run's `DONE`).
fn restrict(df: &DataFrame, results: &[RunResult]) -> anyhow::Result<DataFrame> {
    if df.height() == 0 {
        return Ok(df.clone());
    }
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    let mask: BooleanChunked = df
        .column("run_id")?
        .str()?
        .iter()
        .map(|id| Some(id.is_some_and(|id| ids.contains(&id))))
        .collect();
    Ok(df.filter(&mask)?)
}

/// `test_selected_NE_*` and `test_selected_NM_*`: Table 3 under the released
/// code's protocol needs mention-kind scores at the best test epoch, which
/// the runs table keeps only for the dev-selected checkpoint.
fn add_selected_mention_columns(runs: &mut DataFrame, results: &[RunResult]) -> anyhow::Result<()> {
    if runs.height() == 0 {
        return Ok(());
    }
    let ids: Vec<Option<String>> = runs
        .column("run_id")?
        .str()?
        .iter()
        .map(|s| s.map(String::from))
        .collect();
    let mut columns: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    let mut any = false;
    for (row, id) in ids.iter().enumerate() {
        let result = results.iter().find(|r| Some(&r.id) == id.as_ref());
        let top = result.and_then(|r| {
            r.state
                .records
                .iter()
                .max_by(|a, b| a.test.overall.f1().total_cmp(&b.test.overall.f1()))
        });
        let mentions = top.and_then(|e| e.test.by_mention());
        for (kind, counts) in [
            ("NE", mentions.map(|m| m.named)),
            ("NM", mentions.map(|m| m.nominal)),
        ] {
            for (metric, value) in [
                ("precision", counts.map(|c| c.precision())),
                ("recall", counts.map(|c| c.recall())),
                ("f1", counts.map(|c| c.f1())),
            ] {
                any |= value.is_some();
                columns
                    .entry(format!("test_selected_{kind}_{metric}"))
                    .or_insert_with(|| vec![None; ids.len()])[row] = value;
            }
        }
    }
    if any {
        for (name, values) in columns {
            runs.with_column(Column::new(name.into(), values))?;
        }
    }
    Ok(())
}

/// Stacks frames whose columns differ: a missing column is null, and a
/// column's type is the first type in which it holds a value.
pub fn concat_diagonal(frames: &[DataFrame]) -> anyhow::Result<DataFrame> {
    let frames: Vec<&DataFrame> = frames.iter().filter(|f| f.height() > 0).collect();
    let mut names: Vec<PlSmallStr> = Vec::new();
    let mut types: BTreeMap<PlSmallStr, DataType> = BTreeMap::new();
    for f in &frames {
        for c in f.columns() {
            let name = c.name().clone();
            if !names.contains(&name) {
                names.push(name.clone());
            }
            let has_values = c.null_count() < c.len();
            match types.get(&name) {
                None => {
                    types.insert(name, c.dtype().clone());
                }
                Some(_) if has_values && !any_values(&frames, &name, f) => {
                    types.insert(name, c.dtype().clone());
                }
                Some(_) => {}
            }
        }
    }
    let mut out: Option<DataFrame> = None;
    for f in frames {
        let mut columns = Vec::with_capacity(names.len());
        for name in &names {
            let dtype = &types[name];
            let column = match f.column(name.as_str()) {
                Ok(c) => c.cast(dtype)?,
                Err(_) => Column::full_null(name.clone(), f.height(), dtype),
            };
            columns.push(column);
        }
        let aligned = DataFrame::new(f.height(), columns)?;
        match &mut out {
            None => out = Some(aligned),
            Some(df) => {
                df.vstack_mut(&aligned)?;
            }
        }
    }
    Ok(out.unwrap_or_else(DataFrame::empty))
}

/// Whether any frame before `upto` holds a value in column `name`.
fn any_values(frames: &[&DataFrame], name: &PlSmallStr, upto: &DataFrame) -> bool {
    for f in frames {
        if std::ptr::eq(*f, upto) {
            return false;
        }
        if let Ok(c) = f.column(name.as_str()) {
            if c.null_count() < c.len() {
                return true;
            }
        }
    }
    false
}
