//! The committed study stays honest: every committed run's files match the
//! checksums of its `DONE`, and the committed `reports/` are exactly what
//! `runner report --all` renders from the committed `results/` (a table can
//! never drift from the runs it claims to summarise). The significance tests
//! read the test sets' gold tags: skipped, saying so, without the data mirror.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use runner::store::Store;

mod common;
use common::files_under as files;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace exists")
}

fn stores() -> Vec<PathBuf> {
    let mut stores: Vec<PathBuf> = std::fs::read_dir(workspace().join("results"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    stores.retain(|p| p.join("store.json").is_file());
    stores.sort();
    stores
}

#[test]
fn every_committed_run_matches_its_done_checksums() {
    for root in stores() {
        let store = Store::at(&root).expect("a store");
        let ids = store.run_ids().expect("runs");
        for id in ids.iter().filter(|id| store.is_done(id)) {
            store
                .verify(id)
                .unwrap_or_else(|e| panic!("{}: {e:#}", root.display()));
        }
    }
}

#[test]
fn committed_reports_equal_a_fresh_render_of_the_committed_results() {
    let mirror = std::env::var_os("ATNER_DATA_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/data"));
    if !mirror.is_dir() {
        eprintln!("skipped: no data mirror for the gold test tags of the significance tests");
        return;
    }
    if stores().is_empty() {
        eprintln!("skipped: no committed results");
        return;
    }
    let out = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(workspace())
        .args(["report", "--all", "--out"])
        .arg(out.path())
        .output()
        .expect("the runner starts");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let fresh = files(out.path());
    let committed = files(&workspace().join("reports"));
    let names = |m: &BTreeMap<PathBuf, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&fresh),
        "reports/ lists other files than a fresh render: run `just report` and commit"
    );
    for (path, bytes) in &fresh {
        assert!(
            committed[path] == *bytes,
            "reports/{} differs from a fresh render of results/: run `just report` and commit",
            path.display()
        );
    }
}

/// Every committed LaTeX table compiles in one article with booktabs,
/// graphicx and amsmath, and fits its text width (no overfull box), where
/// `pdflatex` is installed (Debian: texlive-latex-recommended); skipped,
/// saying so, elsewhere.
#[test]
fn committed_latex_tables_compile_with_pdflatex() {
    let found = Command::new("pdflatex").arg("--version").output();
    if !found.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: no pdflatex (Debian: texlive-latex-recommended)");
        return;
    }
    let tables: Vec<PathBuf> = files(&workspace().join("reports"))
        .into_keys()
        .filter(|p| p.extension().is_some_and(|e| e == "tex"))
        .map(|p| workspace().join("reports").join(p))
        .collect();
    if tables.is_empty() {
        eprintln!("skipped: no committed LaTeX table");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut doc = String::from(
        "\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage{booktabs}\n\\usepackage{graphicx}\n\\usepackage{amsmath}\n\\begin{document}\n",
    );
    for t in &tables {
        doc.push_str(&format!("\\input{{{}}}\n\\clearpage\n", t.display()));
    }
    doc.push_str("\\end{document}\n");
    std::fs::write(dir.path().join("tables.tex"), doc).expect("writable");
    let output = Command::new("pdflatex")
        .current_dir(dir.path())
        .args(["-interaction=nonstopmode", "-halt-on-error", "tables.tex"])
        .output()
        .expect("pdflatex starts");
    assert!(
        output.status.success() && dir.path().join("tables.pdf").exists(),
        "{} tables did not compile:\n{}",
        tables.len(),
        String::from_utf8_lossy(&output.stdout)
    );
    let log = std::fs::read_to_string(dir.path().join("tables.log")).expect("pdflatex's log");
    let overfull: Vec<&str> = log.lines().filter(|l| l.starts_with("Overfull")).collect();
    assert!(
        overfull.is_empty(),
        "tables wider than the line: {overfull:?}"
    );
}
