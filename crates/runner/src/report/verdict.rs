//! A verdict on every claim of the paper (§4.3's headline F1 of Tables 2–4,
//! §4.4's four observations on each dataset of Table 5), computed from the
//! measured runs by a stated rule, under the honest protocol (test F1 of the
//! dev-selected epoch) and beside it the released code's (best test epoch).
//!
//! A delta claim ("+transfer improves on the baseline") is judged on the
//! per-seed paired differences of test F1 (system A's run with seed s minus
//! system B's run with seed s): their mean ± std over n seeds, and an exact
//! two-sided sign-flip permutation test of their mean (each of the 2ⁿ sign
//! assignments equally likely under "no difference"). The seed is the unit
//! because the claim is about the method, whose result varies with the seed,
//! not about one trained model (the per-sentence test of `significance` is
//! that). A level claim (Table 2's 53.08) is judged against the spread of
//! our seeds.

use std::collections::BTreeMap;

use atner::config::Variant;
use atner::train::TrainState;

use super::aggregate::Stat;
use super::paper::{self, Dataset};
use super::source::Source;
use crate::store::RunResult;

/// Significance level of the delta verdicts.
pub const ALPHA: f64 = 0.05;

/// How a checkpoint is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Test F1 of the epoch with the best dev F1 (ours).
    DevSelected,
    /// The best test F1 of any epoch (the released code's selection).
    TestSelected,
}

/// What was measured for a claim, under one protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Per seed: our value (a level) or the paired difference (a delta).
    pub values: Vec<f64>,
    /// The sign-flip test's p-value (deltas only).
    pub p_value: Option<f64>,
}

impl Measurement {
    pub fn n(&self) -> usize {
        self.values.len()
    }

    /// Mean and sample standard deviation, as every table computes them.
    fn stat(&self) -> Option<Stat> {
        Stat::of(&self.values)
    }

    pub fn mean(&self) -> f64 {
        self.stat().map_or(f64::NAN, |s| s.mean)
    }

    /// Sample standard deviation (n − 1); 0 for fewer than two values.
    pub fn std(&self) -> f64 {
        self.stat().and_then(|s| s.std).unwrap_or(0.0)
    }
}

/// The outcome of a claim under one protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A delta of the paper's sign, significant at [`ALPHA`]; or a level
    /// within two standard deviations of our seeds' mean.
    Reproduced,
    /// A delta of the paper's sign, not significant.
    SameDirection,
    /// A delta of the opposite sign, not significant.
    OppositeDirection,
    /// A delta of the opposite sign, significant; or a level outside our spread.
    NotReproduced,
    /// Fewer than two seeds (paired, for a delta).
    NotMeasured,
}

impl Verdict {
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::SameDirection => "same direction, not significant",
            Verdict::OppositeDirection => "opposite direction, not significant",
            Verdict::NotReproduced => "not reproduced",
            Verdict::NotMeasured => "not measured",
        }
    }
}

/// One claim of the paper.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Claim {
    /// `a` scores higher than `b` on `dataset` by `paper` F1 points (Table 5).
    Delta {
        dataset: Dataset,
        a: Variant,
        b: Variant,
        paper: f64,
    },
    /// The full model's F1 on `dataset` (Tables 2, 3 overall, 4).
    Level {
        dataset: Dataset,
        table: &'static str,
        paper: f64,
    },
}

/// Every claim, in the order the paper makes them.
pub fn claims() -> Vec<Claim> {
    let mut claims = vec![
        level(Dataset::WeiboNamed, "Table 2"),
        level(Dataset::WeiboUpdated, "Table 3, overall"),
        level(Dataset::Sighan, "Table 4"),
    ];
    let pairs = [
        (Variant::Transfer, Variant::Baseline),
        (Variant::Adversarial, Variant::Transfer),
        (Variant::SelfAttention, Variant::Baseline),
        (Variant::Full, Variant::Baseline),
    ];
    for (a, b) in pairs {
        for dataset in [Dataset::Sighan, Dataset::WeiboNamed] {
            let f1 = |v| dataset.table5(v).map_or(f64::NAN, |p| p.f1);
            let paper = round2(f1(a) - f1(b));
            claims.push(Claim::Delta {
                dataset,
                a,
                b,
                paper,
            });
        }
    }
    claims
}

fn level(dataset: Dataset, table: &'static str) -> Claim {
    let paper = match dataset {
        Dataset::WeiboUpdated => paper::TABLE3[paper::TABLE3.len() - 1].overall_f1,
        other => other.table5(Variant::Full).map_or(f64::NAN, |p| p.f1),
    };
    Claim::Level {
        dataset,
        table,
        paper,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Claim {
    /// The claim in words.
    pub fn text(&self) -> String {
        match self {
            Claim::Delta { a, b, .. } => {
                format!("{} vs {}", paper::short_name(*a), paper::short_name(*b))
            }
            Claim::Level { table, .. } => format!("full model F1 ({table})"),
        }
    }

    pub fn dataset(&self) -> Dataset {
        match self {
            Claim::Delta { dataset, .. } | Claim::Level { dataset, .. } => *dataset,
        }
    }

    pub fn paper(&self) -> f64 {
        match self {
            Claim::Delta { paper, .. } | Claim::Level { paper, .. } => *paper,
        }
    }

    /// What the runs measure for this claim under `protocol`.
    pub fn measure(&self, runs: &Runs, protocol: Protocol) -> Measurement {
        match *self {
            Claim::Level { dataset, .. } => {
                let values = runs.scores(dataset, Variant::Full, protocol);
                Measurement {
                    values: values.into_values().collect(),
                    p_value: None,
                }
            }
            Claim::Delta { dataset, a, b, .. } => {
                let (sa, sb) = (
                    runs.scores(dataset, a, protocol),
                    runs.scores(dataset, b, protocol),
                );
                let values: Vec<f64> = sa
                    .iter()
                    .filter_map(|(seed, fa)| Some(fa - sb.get(seed)?))
                    .collect();
                let p_value = (values.len() >= 2).then(|| sign_flip_p(&values));
                Measurement { values, p_value }
            }
        }
    }

    /// The verdict on `m` by the rule of the module doc.
    pub fn verdict(&self, m: &Measurement) -> Verdict {
        if m.n() < 2 {
            return Verdict::NotMeasured;
        }
        match (self, m.p_value) {
            (Claim::Level { paper, .. }, _) => {
                if (paper - m.mean()).abs() <= 2.0 * m.std() {
                    Verdict::Reproduced
                } else {
                    Verdict::NotReproduced
                }
            }
            (Claim::Delta { paper, .. }, Some(p)) => {
                let same = m.mean() * paper > 0.0;
                match (same, p < ALPHA) {
                    (true, true) => Verdict::Reproduced,
                    (true, false) => Verdict::SameDirection,
                    (false, true) => Verdict::NotReproduced,
                    (false, false) => Verdict::OppositeDirection,
                }
            }
            (Claim::Delta { .. }, None) => Verdict::NotMeasured,
        }
    }
}

/// Exact two-sided sign-flip test of the mean of paired differences: the
/// share of the 2ⁿ sign assignments whose |mean| reaches the observed one.
/// Exact up to n = 20 seeds; beyond, the first 20 are used (a stated limit).
pub fn sign_flip_p(diffs: &[f64]) -> f64 {
    let diffs = &diffs[..diffs.len().min(20)];
    let observed = diffs.iter().sum::<f64>().abs();
    let total = 1u64 << diffs.len();
    let mut reach = 0u64;
    for signs in 0..total {
        let sum: f64 = diffs
            .iter()
            .enumerate()
            .map(|(i, d)| if signs >> i & 1 == 1 { -d } else { *d })
            .sum();
        // A tolerance for rounding: a tie counts as reaching.
        if sum.abs() >= observed - 1e-9 {
            reach += 1;
        }
    }
    reach as f64 / total as f64
}

/// The runs of the paper's configurations, by dataset, variant and seed.
#[derive(Debug, Default)]
pub struct Runs {
    by_key: BTreeMap<(Dataset, &'static str, u64), TrainState>,
}

impl Runs {
    /// Every run of `sources` that is one of the paper's five variants, by
    /// its parts and its name, at the paper's λ on one of its datasets, in no
    /// grid cell but a seed (and λ); other runs (λ sweeps, own data, a
    /// released-code detail, bf16) are not the paper's claims and are left
    /// out.
    pub fn of(sources: &[Source]) -> Self {
        let mut runs = Self::default();
        for r in sources.iter().flat_map(|s| &s.results) {
            if let Some(key) = key(r) {
                runs.by_key.entry(key).or_insert_with(|| r.state.clone());
            }
        }
        runs
    }

    /// Test F1 per seed under `protocol`.
    fn scores(&self, dataset: Dataset, variant: Variant, protocol: Protocol) -> BTreeMap<u64, f64> {
        self.by_key
            .iter()
            .filter(|((d, v, _), _)| *d == dataset && *v == variant.name())
            .filter_map(|((_, _, seed), state)| Some((*seed, selected_f1(state, protocol)?)))
            .collect()
    }
}

/// Whether a run is one a verdict reads: the paper's configuration of one
/// of its variants, on one of its datasets.
pub fn is_claim_run(r: &RunResult) -> bool {
    key(r).is_some()
}

fn key(r: &RunResult) -> Option<(Dataset, &'static str, u64)> {
    let c = &r.config;
    let dataset = super::significance::paper_dataset(&c.data)?;
    let variant = c.model.variant()?;
    let paper_lambda = c
        .model
        .lambda()
        .is_none_or(|l| (l - paper::LAMBDA).abs() < 1e-12);
    // Same parts under another name ("baseline, released: CRF") is another
    // configuration, as is any other grid value ("precision=bf16").
    let named = c.variant == variant.name();
    let plain = r.cell.keys().all(|k| k == "seed" || k == "lambda");
    (paper_lambda && named && plain).then_some((dataset, variant.name(), c.train.seed))
}

fn selected_f1(state: &TrainState, protocol: Protocol) -> Option<f64> {
    match protocol {
        Protocol::DevSelected => state.best().map(|r| r.test.overall.f1()),
        Protocol::TestSelected => state
            .records
            .iter()
            .map(|r| r.test.overall.f1())
            .max_by(f64::total_cmp),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The sign-flip p-value by brute force over sign vectors, written apart.
    fn brute_force(diffs: &[f64]) -> f64 {
        let n = diffs.len();
        let observed: f64 = diffs.iter().sum::<f64>().abs();
        let mut assignments: Vec<Vec<f64>> = vec![vec![]];
        for d in diffs {
            assignments = assignments
                .into_iter()
                .flat_map(|a| {
                    let (mut plus, mut minus) = (a.clone(), a);
                    plus.push(*d);
                    minus.push(-d);
                    [plus, minus]
                })
                .collect();
        }
        let reach = assignments
            .iter()
            .filter(|a| a.iter().sum::<f64>().abs() >= observed - 1e-9)
            .count();
        reach as f64 / (1u64 << n) as f64
    }

    #[test]
    fn the_sign_flip_test_equals_brute_force_and_its_known_values() {
        for diffs in [
            vec![1.0, 2.0, 3.0],
            vec![1.0, -2.0, 3.5, 0.5, 2.0],
            vec![0.3; 10],
            vec![2.0, -2.0],
        ] {
            assert!((sign_flip_p(&diffs) - brute_force(&diffs)).abs() < 1e-12);
        }
        // All ten positive: only the all-plus and all-minus assignments reach.
        assert!((sign_flip_p(&[0.3; 10]) - 2.0 / 1024.0).abs() < 1e-12);
        // Three seeds can never reach p < 0.25.
        assert!((sign_flip_p(&[1.0, 2.0, 3.0]) - 0.25).abs() < 1e-12);
    }

    fn delta(paper: f64) -> Claim {
        Claim::Delta {
            dataset: Dataset::WeiboNamed,
            a: Variant::Transfer,
            b: Variant::Baseline,
            paper,
        }
    }

    #[test]
    fn the_rule_gives_each_verdict() {
        let m = |values: Vec<f64>| Measurement {
            p_value: Some(sign_flip_p(&values)),
            values,
        };
        let up = m(vec![1.0; 10]);
        let noisy_up = m(vec![1.0, -0.5, 2.0]);
        assert_eq!(delta(1.08).verdict(&up), Verdict::Reproduced);
        assert_eq!(delta(-1.0).verdict(&up), Verdict::NotReproduced);
        assert_eq!(delta(1.08).verdict(&noisy_up), Verdict::SameDirection);
        assert_eq!(delta(-1.0).verdict(&noisy_up), Verdict::OppositeDirection);
        assert_eq!(delta(1.0).verdict(&m(vec![1.0])), Verdict::NotMeasured);
        let level = level(Dataset::WeiboNamed, "Table 2");
        let ours = Measurement {
            values: vec![50.0, 52.0, 54.0],
            p_value: None,
        };
        assert_eq!(level.verdict(&ours), Verdict::Reproduced);
        let low = Measurement {
            values: vec![33.0, 34.0, 35.0],
            p_value: None,
        };
        assert_eq!(level.verdict(&low), Verdict::NotReproduced);
    }

    #[test]
    fn the_paper_deltas_are_table_5s() {
        let claims = claims();
        let paper_of = |a, b, d| {
            claims.iter().find_map(|c| match c {
                Claim::Delta {
                    dataset,
                    a: x,
                    b: y,
                    paper,
                } if *x == a && *y == b && *dataset == d => Some(*paper),
                _ => None,
            })
        };
        assert_eq!(
            paper_of(Variant::Transfer, Variant::Baseline, Dataset::Sighan),
            Some(0.76)
        );
        assert_eq!(
            paper_of(Variant::Adversarial, Variant::Transfer, Dataset::WeiboNamed),
            Some(0.36)
        );
        assert_eq!(
            paper_of(Variant::Full, Variant::Baseline, Dataset::Sighan),
            Some(1.51)
        );
        assert_eq!(claims.len(), 3 + 8);
    }

    /// A run of `variant` with the full model's parts (the default
    /// configuration: WeiboNER, named entities, λ 0.06) for `seed`.
    pub(in crate::report) fn full_run(
        variant: &str,
        seed: u64,
        cell: &[(&str, &str)],
    ) -> RunResult {
        let mut config = crate::plan::RunConfig {
            variant: variant.into(),
            ..Default::default()
        };
        config.train.seed = seed;
        let mut cell: BTreeMap<String, String> = cell
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        cell.insert("seed".into(), seed.to_string());
        RunResult {
            id: format!("{variant}-{seed}"),
            config,
            cell,
            data: crate::store::DataSummary::tiny(),
            state: Default::default(),
            wall_seconds: 1.0,
            device: "cpu".into(),
            threads: 1,
            trained: Default::default(),
        }
    }

    #[test]
    fn only_the_paper_configuration_of_a_variant_is_a_claim_run() {
        assert!(key(&full_run("full", 1, &[])).is_some());
        assert!(key(&full_run("full", 1, &[("lambda", "0.06")])).is_some());
        assert!(key(&full_run("full released", 1, &[])).is_none());
        assert!(key(&full_run("full", 1, &[("train.precision", "bf16")])).is_none());
    }
}
