//! `runner init DIR --ner-train … --ner-test …`: a commented experiment for
//! one's own corpora with the shipped schedule, checked by `data check`.
//!
//! The experiment is the paper's ablation (five variants) with the schedule
//! the WeiboNER study measured not to bind (at most 200 epochs, patience
//! 20), ten seeds, and Table 5's comparisons as `[[compare]]` entries, which
//! `runner sweep --until-decided` can settle. Paths are written relative to
//! DIR, so DIR can move with its data. If the data check fails, the file is
//! removed again: nothing half-made is left behind.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};

use super::data_check::{parse_format, CheckArgs};
use crate::dataset::Format;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The directory to write the experiment into (created if needed).
    pub dir: PathBuf,
    /// The experiment's name and file stem (default: DIR's name).
    #[arg(long)]
    pub name: Option<String>,
    /// NER training file.
    #[arg(long)]
    pub ner_train: PathBuf,
    /// NER dev file (default: 10% of train, drawn by `data.split_seed`).
    #[arg(long)]
    pub ner_dev: Option<PathBuf>,
    /// NER test file.
    #[arg(long)]
    pub ner_test: PathBuf,
    /// How the NER files are written: conll, sighan (msra), weibo-original or weibo-updated.
    #[arg(long, default_value = "conll", value_parser = parse_format)]
    pub format: Format,
    /// The auxiliary CWS corpus, space-separated words (default: the
    /// project's CTB6, `runner data fetch ctb6`).
    #[arg(long)]
    pub cws: Option<PathBuf>,
    /// Character vectors, word2vec text (default: the project's 50-d
    /// vectors, `runner data fetch char-vec-50`).
    #[arg(long)]
    pub vectors: Option<PathBuf>,
    /// Replace an existing experiment file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &InitArgs) -> anyhow::Result<()> {
    let name = match &args.name {
        Some(n) => n.clone(),
        None => std::path::absolute(&args.dir)?
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .context("--name: DIR has no name to take")?,
    };
    if name.is_empty() || name.contains(['/', '\\', '"']) {
        bail!("--name {name:?}: a name is a plain file stem");
    }
    let file = args.dir.join(format!("{name}.toml"));
    if file.exists() && !args.force {
        bail!("{} exists; --force replaces it", file.display());
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let text = experiment(args, &name)?;
    crate::fs::write_atomic(&file, text.as_bytes())?;
    let check = CheckArgs {
        inputs: vec![file.clone()],
        format: Format::Conll,
        scheme: Default::default(),
    };
    if let Err(e) = super::data_check::run(&check) {
        let _ = std::fs::remove_file(&file);
        return Err(e.context(format!("checking the data of {} (removed)", file.display())));
    }
    let f = file.display();
    let results = args.dir.join("results");
    let r = results.display();
    println!("wrote {f}\n\nnext:");
    println!("  runner sweep {f} --dry-run --explain     # every setting and its source, the plan");
    println!("  runner sweep {f} --results {r} --jobs 2 --threads 1");
    println!("  runner sweep {f} --results {r} --until-decided   # more seeds where they decide");
    println!(
        "  runner report {r} --out {}",
        args.dir.join("reports").display()
    );
    Ok(())
}

/// The experiment file's text.
fn experiment(args: &InitArgs, name: &str) -> anyhow::Result<String> {
    let at = |p: &Path| -> anyhow::Result<String> {
        let path = std::fs::canonicalize(p).with_context(|| format!("{}", p.display()))?;
        let dir = std::fs::canonicalize(&args.dir)?;
        Ok(relative(&path, &dir).display().to_string())
    };
    let mut t = String::new();
    let _ = writeln!(t, "{}", HEADER.replace("NAME", name));
    let _ = writeln!(t, "name = {name:?}");
    let _ = writeln!(
        t,
        "description = \"The paper's ablation on {}\"",
        args.ner_train.display()
    );
    t.push_str("# The paper's Tables 2-5 need the paper's datasets: this report shows the\n# [[compare]] table below and every configuration.\ntables = []\n\n");
    t.push_str("[data.ner]\n");
    let _ = writeln!(t, "train = {:?}", at(&args.ner_train)?);
    match &args.ner_dev {
        Some(dev) => {
            let _ = writeln!(t, "dev = {:?}", at(dev)?);
        }
        None => t.push_str(
            "dev_fraction = 0.1      # no dev file: 10% of train, drawn by data.split_seed\n",
        ),
    }
    let _ = writeln!(t, "test = {:?}", at(&args.ner_test)?);
    let _ = writeln!(t, "format = {:?}        # conll, sighan (the MSRA slash format), weibo-original, weibo-updated", format_name(args.format)?);
    t.push_str("# scheme = \"auto\"      # conll only: auto, bio, iob1, bioes, bmes\n\n");
    match &args.cws {
        Some(cws) => {
            let _ = writeln!(t, "[data.cws]\ntrain = {:?}\nformat = \"words\"        # space-separated words, a sentence a line\n", at(cws)?);
        }
        None => t.push_str("[data]\ncws = \"ctb6\"            # the project's CTB6 (runner data fetch ctb6); or a [data.cws] table\n"),
    }
    match &args.vectors {
        Some(v) => {
            let header = if args.cws.is_some() { "[data.embeddings]\n" } else { "\n[data.embeddings]\n" };
            let _ = writeln!(t, "{header}path = {:?}\nformat = \"word2vec\"     # word2vec (text), word2vec-binary, glove\n", at(v)?);
        }
        None if args.cws.is_some() => t.push_str("[data]\nembeddings = \"char-vec-50\"   # the project's 50-d vectors; or a [data.embeddings] table\n\n"),
        None => t.push_str("embeddings = \"char-vec-50\"   # the project's 50-d vectors; or a [data.embeddings] table\n\n"),
    }
    t.push_str(BODY);
    Ok(t)
}

const HEADER: &str = "# NAME: the ablation of Cao et al. (2018) on your own corpora, written by
# `runner init`. Change any value; `runner sweep NAME.toml --dry-run --explain`
# shows every effective setting and where it comes from. Relative paths are
# read against this file's directory; every run records each file's SHA-256,
# and a changed file gives new run ids.";

const BODY: &str = r#"# The paper's sizes (section 4.2).
[model]
hidden = 120
dropout = 0.3
heads = 8
lambda = 0.06

[train]
lr = 0.001
batch_size = 20
clip = 5.0
# Early stopping on dev with patience 20, at most 200 epochs: on WeiboNER
# this budget never bound (70 of 70 runs ended by patience, at 36-142
# epochs), while 30 epochs cut 22 of 50 runs before their best dev epoch.
# A larger budget or patience later continues finished runs; it does not
# retrain them.
epochs = 200
patience = 20

# Ten seeds: three can never reach p < 0.05 with an exact paired test, and
# ten detect (80% power) a difference of about one seed-to-seed standard
# deviation. `runner sweep --until-decided` adds seeds only where a
# comparison below is still open.
[grid]
seed = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

[[variant]]
name = "baseline"

[[variant]]
name = "transfer"
parts = ["cws", "shared"]

[[variant]]
name = "adversarial"
parts = ["cws", "shared", "adversarial"]

[[variant]]
name = "self-attention"
parts = ["attention"]

[[variant]]
name = "full"
parts = ["cws", "shared", "adversarial", "attention"]

# What the report compares (per seed, a's dev-selected test F1 minus b's),
# and what `--until-decided` settles: looks at 10 seeds, then every 5, up to
# 40; each comparison's error over all its looks is alpha. Add a
# `reference = 1.0` to a comparison to test an effect you expect.
[decide]
alpha = 0.05
first = 10
round = 5
max_seeds = 40

[[compare]]
a = "transfer"
b = "baseline"

[[compare]]
a = "adversarial"
b = "transfer"

[[compare]]
a = "self-attention"
b = "baseline"

[[compare]]
a = "full"
b = "baseline"
"#;

/// The name a format has in an experiment file.
fn format_name(format: Format) -> anyhow::Result<String> {
    match serde_json::to_value(format)? {
        serde_json::Value::String(s) => Ok(s),
        other => bail!("format {other} has no name"),
    }
}

/// `path` relative to `dir` (both absolute): `../data/x` and the like; the
/// absolute path when the two share no more than the root.
fn relative(path: &Path, dir: &Path) -> PathBuf {
    let p: Vec<Component> = path.components().collect();
    let d: Vec<Component> = dir.components().collect();
    let common = p.iter().zip(&d).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        return path.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..d.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_relative_to_the_experiment_directory() {
        let r = |p: &str, d: &str| relative(Path::new(p), Path::new(d)).display().to_string();
        assert_eq!(
            r("/w/data/cache/a.txt", "/w/experiments"),
            "../data/cache/a.txt"
        );
        assert_eq!(r("/w/exp/corpus/a.txt", "/w/exp"), "corpus/a.txt");
        assert_eq!(r("/w/a/b", "/w/c/d"), "../../a/b");
        assert_eq!(r("/a/b", "/c/d"), "/a/b");
    }
}
