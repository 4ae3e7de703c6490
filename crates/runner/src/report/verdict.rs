//! A verdict on every claim of the paper (§4.3's headline F1 of Tables 2–4,
//! §4.4's four observations on each dataset of Table 5), computed from the
//! measured runs by a rule declared before reading them (REPRODUCTION.md
//! states it at its top).
//!
//! A delta claim ("+transfer improves on the baseline") is judged on the
//! per-seed paired differences of test F1 (system A's run with seed s minus
//! system B's run with seed s), a level claim (Table 2's 53.08) on the full
//! model's per-seed test F1; both by the 95% t interval of their mean
//! ([`crate::stats::interval`]), on two axes:
//! - **direction** (deltas): *reproduced* when the interval excludes 0 on
//!   the paper's side, *reversed* when it excludes 0 on the other side,
//!   *undecided* when it contains 0;
//! - **size**: *consistent with the paper* when the paper's number lies in
//!   the interval, *smaller than the paper's* or *larger than the paper's*
//!   when the interval lies wholly below or above it (for a delta, towards
//!   or away from zero along the paper's sign) — "smaller" rules the
//!   paper's effect out.
//!
//! Undecided is never a negative finding; the report says how many seeds
//! would decide it ([`crate::stats::power`]).

use std::collections::BTreeMap;

use atner::config::Variant;
use atner::train::TrainState;

use super::paper::{self, Dataset};
use super::source::Source;
use crate::stats::{self, Estimate};
use crate::store::RunResult;

/// How a checkpoint is chosen, and so which test F1 a run contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    /// Test F1 of the epoch with the best dev F1: ours, declared first, primary.
    DevSelected,
    /// The second rule, declared beside it: the three consecutive epochs
    /// with the best mean dev F1, test F1 averaged over the same three.
    DevWindow,
    /// The best test F1 of any epoch (the released code's selection).
    TestSelected,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [
        Protocol::DevSelected,
        Protocol::DevWindow,
        Protocol::TestSelected,
    ];

    /// The name in REPRODUCTION.csv.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::DevSelected => "dev-selected",
            Protocol::DevWindow => "dev-window-3",
            Protocol::TestSelected => "test-selected",
        }
    }

    /// The test F1 a run contributes under this protocol; `None` without
    /// enough epochs.
    pub fn score(self, state: &TrainState) -> Option<f64> {
        let test = |r: &atner::train::EpochRecord| r.test.overall.f1();
        match self {
            Protocol::DevSelected => state.best().map(test),
            Protocol::DevWindow => window_score(state, WINDOW),
            Protocol::TestSelected => state.records.iter().map(test).max_by(f64::total_cmp),
        }
    }
}

/// Epochs in the second selection rule's window.
pub const WINDOW: usize = 3;

/// Mean test F1 over the `width` consecutive epochs with the best mean dev
/// F1 (the earliest such window on ties).
fn window_score(state: &TrainState, width: usize) -> Option<f64> {
    let dev = state.dev_curve();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let mut best: Option<(usize, f64)> = None;
    for (start, w) in dev.windows(width).enumerate() {
        if best.is_none_or(|(_, b)| mean(w) > b) {
            best = Some((start, mean(w)));
        }
    }
    let (start, _) = best?;
    let tests: Vec<f64> = state.records[start..start + width]
        .iter()
        .map(|r| r.test.overall.f1())
        .collect();
    Some(mean(&tests))
}

/// What was measured for a claim, under one protocol: per seed, system A's
/// score and, for a delta, system B's (the seeds both have).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Measurement {
    pub seeds: Vec<u64>,
    pub a: Vec<f64>,
    /// Empty for a level.
    pub b: Vec<f64>,
}

impl Measurement {
    pub fn n(&self) -> usize {
        self.seeds.len()
    }

    /// Per seed: the level, or the paired difference A − B.
    pub fn values(&self) -> Vec<f64> {
        if self.b.is_empty() {
            self.a.clone()
        } else {
            self.a.iter().zip(&self.b).map(|(a, b)| a - b).collect()
        }
    }

    /// The mean with its 95% t interval; `None` below two seeds.
    pub fn estimate(&self) -> Option<Estimate> {
        stats::estimate(&self.values())
    }

    /// The exact sign-flip test's p (deltas of two seeds or more).
    pub fn sign_flip_p(&self) -> Option<f64> {
        (!self.b.is_empty() && self.n() >= 2).then(|| stats::sign_flip_p(&self.values()))
    }

    /// ε_min of A over B ([`crate::stats::aso`]; deltas only).
    pub fn eps_min(&self) -> Option<f64> {
        if self.b.is_empty() || self.n() < 2 {
            return None;
        }
        stats::aso::eps_min(&self.a, &self.b, ASO_SEED)
    }
}

/// The seed of ASO's bootstrap stream.
pub const ASO_SEED: u64 = 2018;

/// The direction axis of a delta's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Reproduced,
    Reversed,
    Undecided,
}

/// The size axis: where the paper's number lies against our interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Consistent,
    Smaller,
    Larger,
}

/// The verdict on one claim under one protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `direction` is `None` for a level claim.
    Measured {
        direction: Option<Direction>,
        size: Size,
    },
    /// Fewer than two seeds (paired, for a delta).
    NotMeasured,
}

impl Direction {
    pub fn text(self) -> &'static str {
        match self {
            Direction::Reproduced => "reproduced",
            Direction::Reversed => "reversed",
            Direction::Undecided => "undecided",
        }
    }
}

impl Size {
    pub fn text(self) -> &'static str {
        match self {
            Size::Consistent => "consistent with the paper",
            Size::Smaller => "smaller than the paper's",
            Size::Larger => "larger than the paper's",
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
    for (a, b) in DELTAS {
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

/// §4.4's four comparisons, A against B.
pub const DELTAS: [(Variant, Variant); 4] = [
    (Variant::Transfer, Variant::Baseline),
    (Variant::Adversarial, Variant::Transfer),
    (Variant::SelfAttention, Variant::Baseline),
    (Variant::Full, Variant::Baseline),
];

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

    pub fn is_delta(&self) -> bool {
        matches!(self, Claim::Delta { .. })
    }

    /// What the runs measure for this claim under `protocol`.
    pub fn measure(&self, runs: &Runs, protocol: Protocol) -> Measurement {
        self.measure_with(runs, |s| protocol.score(s))
    }

    /// What the runs measure when each run contributes `score` of its state.
    pub fn measure_with(
        &self,
        runs: &Runs,
        score: impl Fn(&TrainState) -> Option<f64>,
    ) -> Measurement {
        let scores = |v: Variant| -> BTreeMap<u64, f64> {
            runs.states(self.dataset(), v)
                .filter_map(|(seed, s)| Some((seed, score(s)?)))
                .collect()
        };
        match *self {
            Claim::Level { .. } => {
                let a = scores(Variant::Full);
                Measurement {
                    seeds: a.keys().copied().collect(),
                    a: a.into_values().collect(),
                    b: Vec::new(),
                }
            }
            Claim::Delta { a, b, .. } => {
                let (sa, sb) = (scores(a), scores(b));
                let mut m = Measurement::default();
                for (seed, fa) in sa {
                    if let Some(fb) = sb.get(&seed) {
                        m.seeds.push(seed);
                        m.a.push(fa);
                        m.b.push(*fb);
                    }
                }
                m
            }
        }
    }

    /// The verdict on `m` by the rule of the module doc.
    pub fn verdict(&self, m: &Measurement) -> Verdict {
        match m.estimate() {
            Some(e) => self.verdict_of(&e),
            None => Verdict::NotMeasured,
        }
    }

    /// The two axes for an interval `e` of this claim's quantity.
    pub fn verdict_of(&self, e: &Estimate) -> Verdict {
        let paper = self.paper();
        let (low, high) = (e.low, e.high);
        let direction = self.is_delta().then(|| {
            let side = paper.signum();
            if side * low > 0.0 && side * high > 0.0 {
                Direction::Reproduced
            } else if side * low < 0.0 && side * high < 0.0 {
                Direction::Reversed
            } else {
                Direction::Undecided
            }
        });
        // Along the paper's sign for a delta (smaller = nearer zero or
        // beyond it), along the F1 axis for a level.
        let side = if self.is_delta() { paper.signum() } else { 1.0 };
        let (near, far) = if side >= 0.0 {
            (low, high)
        } else {
            (-high, -low)
        };
        let size = if side * paper > far {
            Size::Smaller
        } else if side * paper < near {
            Size::Larger
        } else {
            Size::Consistent
        };
        Verdict::Measured { direction, size }
    }
}

/// The runs of the paper's configurations, by dataset, variant and seed,
/// each with the patience it was trained under.
#[derive(Debug, Default, Clone)]
pub struct Runs {
    by_key: BTreeMap<(Dataset, &'static str, u64), (TrainState, usize)>,
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
                let value = (r.state.clone(), r.config.train.patience);
                runs.by_key.entry(key).or_insert(value);
            }
        }
        runs
    }

    /// The runs of `variant` on `dataset`, by seed.
    pub fn states(
        &self,
        dataset: Dataset,
        variant: Variant,
    ) -> impl Iterator<Item = (u64, &TrainState)> {
        self.by_key
            .iter()
            .filter(move |((d, v, _), _)| *d == dataset && *v == variant.name())
            .map(|((_, _, seed), (state, _))| (*seed, state))
    }

    /// Every run on `dataset` with its patience.
    pub fn on(&self, dataset: Dataset) -> impl Iterator<Item = (&TrainState, usize)> {
        self.by_key
            .iter()
            .filter(move |((d, _, _), _)| *d == dataset)
            .map(|(_, (state, patience))| (state, *patience))
    }

    /// The runs `f` keeps, as `f` makes them from a state and its patience.
    pub fn filter_map(&self, f: impl Fn(&TrainState, usize) -> Option<TrainState>) -> Runs {
        let by_key = self
            .by_key
            .iter()
            .filter_map(|(k, (s, p))| Some((*k, (f(s, *p)?, *p))))
            .collect();
        Runs { by_key }
    }
}

/// Whether a run is one a verdict reads: the paper's configuration of one
/// of its variants, on one of its datasets.
pub fn is_claim_run(r: &RunResult) -> bool {
    key(r).is_some()
}

/// Whether `r` is a claim run of `variant` on `dataset`.
pub fn is_run_of(r: &RunResult, dataset: Dataset, variant: Variant) -> bool {
    key(r).is_some_and(|(d, v, _)| d == dataset && v == variant.name())
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn delta(paper: f64) -> Claim {
        Claim::Delta {
            dataset: Dataset::WeiboNamed,
            a: Variant::Transfer,
            b: Variant::Baseline,
            paper,
        }
    }

    fn interval(low: f64, high: f64) -> Estimate {
        Estimate {
            n: 10,
            mean: 0.5 * (low + high),
            sd: 1.0,
            low,
            high,
            p_t: f64::NAN,
        }
    }

    fn axes(claim: Claim, low: f64, high: f64) -> (Option<Direction>, Size) {
        match claim.verdict_of(&interval(low, high)) {
            Verdict::Measured { direction, size } => (direction, size),
            Verdict::NotMeasured => unreachable!("an interval is measured"),
        }
    }

    #[test]
    fn the_rule_gives_each_pair_of_axes() {
        use Direction::*;
        // The examples: +transfer +4.03 [+1.46, +6.61] against +1.08.
        assert_eq!(
            axes(delta(1.08), 1.46, 6.61),
            (Some(Reproduced), Size::Larger)
        );
        assert_eq!(
            axes(delta(1.24), -2.66, 2.33),
            (Some(Undecided), Size::Consistent)
        );
        assert_eq!(
            axes(delta(1.24), -2.0, 0.5),
            (Some(Undecided), Size::Smaller)
        );
        assert_eq!(
            axes(delta(1.0), 0.2, 3.0),
            (Some(Reproduced), Size::Consistent)
        );
        assert_eq!(
            axes(delta(1.0), -3.0, -0.2),
            (Some(Reversed), Size::Smaller)
        );
        // A negative paper delta mirrors: −0.5 [−3, −1] is larger than −0.5.
        assert_eq!(
            axes(delta(-0.5), -3.0, -1.0),
            (Some(Reproduced), Size::Larger)
        );
        let table2 = level(Dataset::WeiboNamed, "Table 2");
        assert_eq!(axes(table2, 31.0, 36.2), (None, Size::Smaller));
        assert_eq!(axes(table2, 50.0, 56.0), (None, Size::Consistent));
        let one_seed = Measurement {
            seeds: vec![1],
            a: vec![1.0],
            b: vec![0.0],
        };
        assert_eq!(delta(1.0).verdict(&one_seed), Verdict::NotMeasured);
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

    /// A state whose epochs have these dev and test F1 (correct entities
    /// out of 100 guessed and 100 gold: F1 = the count).
    pub(in crate::report) fn state_of(dev: &[u64], test: &[u64]) -> TrainState {
        use atner::metrics::{Counts, Scores};
        let scores = |c: u64| Scores {
            overall: Counts::new(c, 100, 100),
            ..Default::default()
        };
        let records = dev
            .iter()
            .zip(test)
            .enumerate()
            .map(|(i, (d, t))| atner::train::EpochRecord {
                epoch: i + 1,
                ner_loss: 1.0,
                cws_loss: None,
                adversarial_loss: None,
                discriminator_accuracy: None,
                dev: scores(*d),
                test: scores(*t),
                train_seconds: 1.0,
                eval_seconds: 1.0,
                train_chars: 1,
                released_test: None,
            })
            .collect::<Vec<_>>();
        let curve: Vec<f64> = records.iter().map(|r| r.dev.overall.f1()).collect();
        TrainState {
            best_epoch: atner::train::stop::best_epoch(&curve),
            records,
        }
    }

    #[test]
    fn each_protocol_reads_its_epoch() {
        let f1 = |c: f64| c;
        let s = state_of(&[10, 50, 40, 45, 44, 20], &[5, 30, 60, 20, 10, 70]);
        assert_eq!(Protocol::DevSelected.score(&s), Some(f1(30.0)));
        assert_eq!(Protocol::TestSelected.score(&s), Some(f1(70.0)));
        // Windows of mean dev F1: epochs 2–4 beat 3–5 and the rest.
        let window = (f1(30.0) + f1(60.0) + f1(20.0)) / 3.0;
        let got = Protocol::DevWindow.score(&s).expect("six epochs");
        assert!((got - window).abs() < 1e-12, "{got} vs {window}");
        assert_eq!(Protocol::DevWindow.score(&state_of(&[1, 2], &[1, 2])), None);
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
