//! Every experiment file the repository ships plans without error, and the
//! experiments that say they share runs do share them (the same run ids), so
//! that what one has trained another does not train again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use runner::config::DataConfig;
use runner::plan::{expand, PlanOptions, PlannedRun};
use runner::spec::ExperimentSpec;

fn experiments() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments")
}

/// The plan of `name`, with a stand-in for the data checksums (the data
/// configuration itself), so that no data is read.
fn plan(name: &str) -> Vec<PlannedRun> {
    let path = experiments().join(format!("{name}.toml"));
    let spec = ExperimentSpec::load(&path).unwrap_or_else(|e| panic!("{name}: {e:#}"));
    let stand_in = |data: &DataConfig, cws: bool| Ok(vec![format!("{data:?} {cws}")]);
    expand(&spec, &PlanOptions::default(), stand_in).unwrap_or_else(|e| panic!("{name}: {e:#}"))
}

/// Run ids by variant name.
fn ids(runs: &[PlannedRun]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in runs {
        out.entry(r.config.variant.clone())
            .or_default()
            .insert(r.id.clone());
    }
    out
}

#[test]
fn every_shipped_experiment_plans_with_distinct_run_ids() {
    let mut names: Vec<String> = std::fs::read_dir(experiments())
        .expect("experiments/")
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(String::from))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for name in &names {
        let runs = plan(name);
        let distinct: BTreeSet<&String> = runs.iter().map(|r| &r.id).collect();
        assert!(!runs.is_empty(), "{name} plans no run");
        assert_eq!(distinct.len(), runs.len(), "{name} plans a run twice");
    }
}

#[test]
fn experiments_that_share_runs_plan_the_same_run_ids() {
    let (weibo, fidelity, released) = (
        ids(&plan("weibo")),
        ids(&plan("fidelity")),
        ids(&plan("weibo-released")),
    );
    for variant in [
        "baseline",
        "transfer",
        "adversarial",
        "self-attention",
        "full",
    ] {
        assert!(
            fidelity[variant].is_subset(&weibo[variant]),
            "fidelity's {variant} runs are weibo's"
        );
    }
    for variant in ["baseline released", "full released"] {
        assert_eq!(released[variant], fidelity[variant], "{variant}");
    }
    assert_eq!(released.len(), 5);
}
