//! `runner report`: a report per results store given (or per store under
//! results/ with `--all`, and REPRODUCTION.md over all of them).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::report::{measure, report, ReportRequest, SignificanceOptions};

/// Paper-style tables, significance tests and charts from results stores.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Experiment names (read from results/NAME) or results directories;
    /// several are combined, e.g. `weibo sighan` for both columns of Table 5.
    #[arg(required_unless_present = "all", value_name = "EXPERIMENT|DIR")]
    pub sources: Vec<String>,
    /// Every store under the workspace's results/: one report each, and
    /// REPRODUCTION.md, the verdict on every claim of the paper, over all.
    #[arg(long, conflicts_with_all = ["sources", "name"])]
    pub all: bool,
    /// Output directory (default: reports/ in the workspace).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Report name: writes OUT/NAME.md and OUT/NAME/ (default: the experiment
    /// names joined by `+`).
    #[arg(long)]
    pub name: Option<String>,
    /// Resamples of the approximate randomization test.
    #[arg(long, default_value_t = crate::report::significance::DEFAULT_RESAMPLES)]
    pub resamples: usize,
    /// Seed of the randomization test's random stream.
    #[arg(long, default_value_t = crate::report::significance::DEFAULT_SEED)]
    pub significance_seed: u64,
    /// Skip the significance tests (they read the test sets' gold tags).
    #[arg(long)]
    pub no_significance: bool,
}

pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let root = std::env::current_dir()
        .ok()
        .and_then(|cwd| crate::dataset::locations::workspace_root(&cwd).ok());
    let out = match (&args.out, &root) {
        (Some(dir), _) => dir.clone(),
        (None, Some(root)) => root.join("reports"),
        (None, None) => PathBuf::from("reports"),
    };
    if args.all {
        let results = root.map_or_else(|| PathBuf::from("results"), |r| r.join("results"));
        return run_all(args, &results, &out);
    }
    let sources = args
        .sources
        .iter()
        .map(|s| crate::report::source::resolve(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    run_one(args, sources, out)
}

/// `--all`: a report per store of `results`, then `REPRODUCTION.md` over all.
fn run_all(args: &ReportArgs, results: &Path, out: &Path) -> anyhow::Result<()> {
    let mut stores: Vec<PathBuf> = std::fs::read_dir(results)
        .with_context(|| format!("reading {}", results.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("store.json").is_file())
        .collect();
    // The paper's own experiments first: a run they share with another
    // store (same id) is then attributed to them in REPRODUCTION.md.
    let paper = ["weibo", "weibo-updated", "sighan", "lambda"];
    stores.sort_by_key(|p| {
        let experiment = crate::store::Store::at(p).and_then(|s| s.experiment());
        let rank = paper
            .iter()
            .position(|e| experiment.as_deref().ok() == Some(*e));
        (rank.unwrap_or(paper.len()), p.clone())
    });
    for store in &stores {
        run_one(
            &per_store(args, store),
            vec![store.clone()],
            out.to_path_buf(),
        )?;
    }
    let measured = measure(&stores)?;
    let mut gold = crate::report::significance::Gold::default();
    let rendered = crate::report::reproduction::render(&measured, &mut gold, out)?;
    let path = out.join("REPRODUCTION.md");
    crate::store::write_atomic(&path, rendered.markdown.as_bytes())?;
    crate::store::write_atomic(&out.join("REPRODUCTION.csv"), rendered.csv.as_bytes())?;
    println!("verdicts: {}", path.display());
    Ok(())
}

/// `args` for one store of `--all`: named by its directory where that is
/// not its experiment's name (`results/weibo-converged` of experiment
/// `weibo` must not overwrite `reports/weibo.md`).
fn per_store(args: &ReportArgs, store: &Path) -> ReportArgs {
    let dir = store.file_name().map(|n| n.to_string_lossy().into_owned());
    let experiment = crate::store::Store::at(store)
        .and_then(|s| s.experiment())
        .ok();
    let mut one = args.clone();
    one.name = dir.filter(|d| Some(d) != experiment.as_ref());
    one
}

fn run_one(args: &ReportArgs, sources: Vec<PathBuf>, out: PathBuf) -> anyhow::Result<()> {
    let command = canonical_command(args, &sources);
    let request = ReportRequest {
        sources,
        out,
        name: args.name.clone(),
        command,
        significance: (!args.no_significance).then(|| SignificanceOptions {
            resamples: args.resamples,
            seed: args.significance_seed,
            gold: crate::report::significance::Gold::default(),
        }),
    };
    let written = report(request)?;
    println!("report: {}", written.report.display());
    println!(
        "tables and charts: {} files in {}",
        written.files.len(),
        written.report.with_extension("").display()
    );
    Ok(())
}

/// The command that writes this report's content, stated in the report: its
/// sources as paths relative to the workspace and every option that changes
/// a number; not the output directory nor anything of the reporting machine,
/// so that a report is a pure function of the results it reads.
fn canonical_command(args: &ReportArgs, sources: &[PathBuf]) -> String {
    let mut words = vec!["runner".to_string(), "report".to_string()];
    words.extend(
        sources
            .iter()
            .map(|s| crate::dataset::locations::shown_path(s)),
    );
    if let Some(name) = &args.name {
        words.extend(["--name".to_string(), name.clone()]);
    }
    if args.no_significance {
        words.push("--no-significance".into());
    } else {
        if args.resamples != crate::report::significance::DEFAULT_RESAMPLES {
            words.extend(["--resamples".to_string(), args.resamples.to_string()]);
        }
        if args.significance_seed != crate::report::significance::DEFAULT_SEED {
            let seed = args.significance_seed.to_string();
            words.extend(["--significance-seed".to_string(), seed]);
        }
    }
    words
        .iter()
        .map(|w| crate::shell::word(w))
        .collect::<Vec<_>>()
        .join(" ")
}
