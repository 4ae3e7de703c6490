//! The experiment's own comparisons (`[[compare]]`): for each, the paired
//! per-seed difference of the dev-selected test F1, with its 95% t
//! interval, what that interval decides, and how many seeds would decide
//! what it leaves open.
//!
//! A comparison pairs the runs of its two variants by seed within the store
//! that declares it. The interval is the fixed-n one of [`crate::stats`];
//! a comparison that `runner sweep --until-decided` settled has its
//! sequential interval in REPRODUCTION.md (the fixed-n one of the same runs
//! would overstate).

use std::collections::BTreeMap;

use super::aggregate::Stat;
use super::source::Source;
use super::table::{Cell, ColumnGroup, Table};
use super::verdict::Protocol;
use crate::stats::{self, power};
use crate::store::Comparison;

/// The comparisons table over every source that declares some; `None` when
/// none does.
pub fn table(sources: &[Source]) -> Option<Table> {
    let declared: Vec<(&Source, &Comparison)> = sources
        .iter()
        .flat_map(|s| {
            s.asks
                .iter()
                .flat_map(move |a| a.compare.iter().map(move |c| (s, c)))
        })
        .collect();
    if declared.is_empty() {
        return None;
    }
    let mut t = Table::new(
        "comparisons",
        "The experiment's comparisons: test F1 (%) at the best dev epoch, paired by seed".into(),
        &["Comparison"],
        vec![ColumnGroup {
            title: String::new(),
            columns: [
                "n",
                "A",
                "B",
                "Δ (A − B)",
                "95% interval",
                "p (t)",
                "reference",
                "decides",
                "seeds to decide",
            ]
            .map(String::from)
            .to_vec(),
        }],
    );
    for (source, c) in declared {
        let (cells, n) = row(source, c);
        t.push(cells, vec![n], false);
    }
    t.notes.push(
        "Δ is the mean ± sample standard deviation over the seeds both variants have of A's score minus B's; the interval is Student's t over those per-seed differences (the seed is the unit). \"decides\" reads the interval: a direction when it excludes 0, a reference ruled out when it excludes the reference. \"seeds to decide\" is the fixed-n study that would detect the observed mean difference with 80% power at α = 0.05 given the observed spread (no correction for several comparisons).".into(),
    );
    Some(t)
}

/// One comparison's cells and its seed count.
fn row(source: &Source, c: &Comparison) -> (Vec<Cell>, Option<usize>) {
    let name = Cell::Text(format!("{} vs {}", c.a, c.b));
    let reference = c.reference.map_or(Cell::Text("—".into()), Cell::Delta);
    let (a, b) = match (scores(source, &c.a), scores(source, &c.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(why), _) | (_, Err(why)) => {
            let mut cells = vec![name, Cell::Blank, Cell::Text(why)];
            cells.extend(std::iter::repeat_n(Cell::Blank, 4));
            cells.extend([reference, Cell::Blank, Cell::Blank]);
            return (cells, None);
        }
    };
    let paired: Vec<(f64, f64)> = a
        .iter()
        .filter_map(|(seed, fa)| Some((*fa, *b.get(seed)?)))
        .collect();
    let (xs, ys): (Vec<f64>, Vec<f64>) = paired.iter().copied().unzip();
    let deltas: Vec<f64> = paired.iter().map(|(x, y)| x - y).collect();
    let stat = |v: &[f64]| Stat::of(v).map_or(Cell::Blank, Cell::Stat);
    let Some(e) = stats::estimate(&deltas) else {
        let why = format!("{} paired seed(s): an interval needs two", deltas.len());
        return (
            vec![
                name,
                Cell::Text(deltas.len().to_string()),
                stat(&xs),
                stat(&ys),
                Cell::Text(why),
                Cell::Blank,
                Cell::Blank,
                reference,
                Cell::Blank,
                Cell::Blank,
            ],
            Some(deltas.len()),
        );
    };
    let cells = vec![
        name,
        Cell::Text(e.n.to_string()),
        stat(&xs),
        stat(&ys),
        Cell::Text(format!("{:+.2} ± {:.2}", e.mean, e.sd)),
        Cell::Text(format!("[{:+.2}, {:+.2}]", e.low, e.high)),
        Cell::Text(format_p(e.p_t)),
        reference,
        Cell::Text(decides(&e, c)),
        Cell::Text(seeds_to_decide(&e)),
    ];
    (cells, Some(e.n))
}

/// What the interval settles: the direction, and the reference.
fn decides(e: &stats::Estimate, c: &Comparison) -> String {
    let direction = if e.low > 0.0 {
        format!("{} > {}", c.a, c.b)
    } else if e.high < 0.0 {
        format!("{} < {}", c.a, c.b)
    } else {
        "direction undecided".to_string()
    };
    match c.reference {
        Some(r) if r < e.low || r > e.high => format!("{direction}; reference {r:+.2} ruled out"),
        Some(r) => format!("{direction}; reference {r:+.2} inside"),
        None => direction,
    }
}

/// Seeds a fixed-n study would need to decide the direction of the mean
/// observed, or "decided" when the interval already excludes 0.
fn seeds_to_decide(e: &stats::Estimate) -> String {
    if e.low > 0.0 || e.high < 0.0 {
        return "decided".into();
    }
    if e.mean == 0.0 || e.sd == 0.0 {
        return "— (no spread or no difference to size a study by)".into();
    }
    match power::seeds_needed(e.mean, e.sd) {
        Some(n) => format!("{n} (for Δ = {:+.2})", e.mean),
        None => format!("more than {} (Δ ≈ 0)", power::MAX_SEEDS),
    }
}

fn format_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// The variant's dev-selected test F1 by seed in `source`; an error (the
/// cell's text) when it has several runs of one seed (a grid beyond the
/// seed: give each configuration its own variant to compare it).
fn scores(source: &Source, variant: &str) -> Result<BTreeMap<u64, f64>, String> {
    let mut by_seed = BTreeMap::new();
    for r in source
        .results
        .iter()
        .filter(|r| r.config.variant == variant)
    {
        let Some(score) = Protocol::DevSelected.score(&r.state) else {
            continue;
        };
        if by_seed.insert(r.config.train.seed, score).is_some() {
            return Err(format!(
                "{variant} has several runs of seed {}: compare one configuration per variant",
                r.config.train.seed
            ));
        }
    }
    Ok(by_seed)
}
