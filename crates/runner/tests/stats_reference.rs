//! The statistics of `runner::stats` against reference implementations:
//! scipy (t quantiles and intervals, the t test, the exact sign-flip
//! permutation test), statsmodels (`TTestPower`, Holm) and deepsig (ASO's
//! violation ratio and ε_min), on committed per-seed scores and synthetic
//! ones. `scripts/stats_fixtures.py` wrote the fixture (its header names the
//! package versions); this test needs no Python.

use runner::stats::{aso, estimate, holm, power, sign_flip_p, t_quantile};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stats/reference.json"
    );
    let text = std::fs::read_to_string(path).expect("the committed fixture");
    serde_json::from_str(&text).expect("JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn close(name: &str, what: &str, ours: f64, theirs: f64, tolerance: f64) {
    let scale = theirs.abs().max(1.0);
    assert!(
        (ours - theirs).abs() <= tolerance * scale,
        "{name}: {what} {ours} against the reference's {theirs}"
    );
}

fn cases() -> Vec<Value> {
    fixture()["cases"].as_array().expect("cases").clone()
}

#[test]
fn intervals_and_tests_equal_scipys() {
    let cases = cases();
    assert!(cases.len() >= 14, "{} cases", cases.len());
    for case in &cases {
        let name = case["name"].as_str().expect("name");
        let delta = floats(&case["delta"]);
        let e = estimate(&delta).expect("n ≥ 2");
        assert_eq!(e.n as u64, case["n"].as_u64().expect("n"), "{name}");
        close(
            name,
            "mean",
            e.mean,
            case["mean"].as_f64().expect("mean"),
            1e-12,
        );
        close(name, "sd", e.sd, case["sd"].as_f64().expect("sd"), 1e-12);
        let ci = floats(&case["t_ci95"]);
        close(name, "ci low", e.low, ci[0], 1e-9);
        close(name, "ci high", e.high, ci[1], 1e-9);
        close(name, "t p", e.p_t, case["t_p"].as_f64().expect("t_p"), 1e-9);
        if let Some(p) = case["sign_flip_p"].as_f64() {
            close(name, "sign-flip p", sign_flip_p(&delta), p, 1e-12);
        }
    }
}

#[test]
fn t_quantiles_equal_scipys() {
    for q in fixture()["t_quantiles"].as_array().expect("quantiles") {
        let (df, p) = (q["df"].as_f64().expect("df"), q["p"].as_f64().expect("p"));
        let theirs = q["q"].as_f64().expect("q");
        close(
            &format!("df {df}"),
            "quantile",
            t_quantile(df, p),
            theirs,
            1e-10,
        );
    }
}

#[test]
fn power_and_seeds_needed_equal_statsmodels() {
    for case in &cases() {
        let name = case["name"].as_str().expect("name");
        let n = case["n"].as_u64().expect("n") as usize;
        let sd = case["sd"].as_f64().expect("sd");
        let paper = case["paper"].as_f64().expect("paper");
        let mde = case["mde80"].as_f64().expect("mde80");
        close(
            name,
            "detectable Δ",
            power::minimum_detectable(n, sd),
            mde,
            1e-5,
        );
        let at_paper = case["power_at_paper"].as_f64().expect("power");
        close(
            name,
            "power at the paper's Δ",
            power::power(paper / sd, n),
            at_paper,
            1e-6,
        );
        let needed = case["seeds_needed"].as_u64().map(|n| n as usize);
        assert_eq!(
            power::seeds_needed(paper, sd),
            needed,
            "{name}: seeds needed"
        );
    }
}

#[test]
fn holm_equals_statsmodels() {
    for family in fixture()["holm"].as_array().expect("holm") {
        let p = floats(&family["p"]);
        let theirs = floats(&family["adjusted"]);
        for (ours, theirs) in holm::adjust(&p).into_iter().zip(theirs) {
            close("holm", "adjusted p", ours, theirs, 1e-12);
        }
    }
}

#[test]
fn aso_equals_deepsig_within_its_own_bootstrap_spread() {
    for case in &cases() {
        let name = case["name"].as_str().expect("name");
        let (a, b) = (floats(&case["a"]), floats(&case["b"]));
        let ratio = case["violation_ratio_a_over_b"].as_f64().expect("ratio");
        close(
            name,
            "violation ratio",
            aso::violation_ratio(&a, &b),
            ratio,
            1e-9,
        );
        let runs = floats(&case["aso_eps_min_a_over_b"]);
        let (lo, hi) = runs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                (l.min(*v), h.max(*v))
            });
        // Another random stream: within the reference's own spread over ten
        // seeds, widened by that spread (and 0.02 where it is nil).
        let slack = (hi - lo).max(0.02);
        let ours = aso::eps_min(&a, &b, 1).expect("non-empty");
        assert!(
            ours >= lo - slack && ours <= hi + slack,
            "{name}: ε_min {ours} outside deepsig's [{lo}, {hi}] ± {slack}"
        );
    }
}

#[test]
fn wilson_intervals_equal_statsmodels() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stats/proportion.json"
    );
    let text = std::fs::read_to_string(path).expect("the committed fixture");
    let fixture: Value = serde_json::from_str(&text).expect("JSON");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= 5);
    for c in cases {
        let (k, n) = (
            c["correct"].as_u64().expect("k"),
            c["total"].as_u64().expect("n"),
        );
        let name = format!("{k}/{n}");
        let (low, high) =
            runner::stats::proportion::wilson(k as usize, n as usize).expect("an interval");
        close(&name, "low", low, c["low"].as_f64().expect("low"), 1e-12);
        close(
            &name,
            "high",
            high,
            c["high"].as_f64().expect("high"),
            1e-12,
        );
    }
}
