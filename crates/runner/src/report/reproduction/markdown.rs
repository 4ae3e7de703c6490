//! REPRODUCTION.md's sections, each from the rows of [`super::Row`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Dataset, Measured, Row, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, DELTA_DATASETS};
use crate::report::sensitivity::{CapRow, STEP};
use crate::report::verdict::{Claim, Direction, Protocol, Size, Verdict, ASO_SEED, WINDOW};
use crate::stats::{aso, power, ALPHA};
use crate::store::RunResult;

/// The counts of both axes under the primary protocol, and how the runs ended.
pub(super) fn summary(rows: &[Row], measured: &Measured) -> String {
    let primary: Vec<&Row> = rows
        .iter()
        .filter(|r| r.protocol == Protocol::DevSelected)
        .collect();
    let count = |f: &dyn Fn(&Verdict) -> bool| primary.iter().filter(|r| f(&r.verdict)).count();
    let direction = |d: Direction| {
        count(&|v| matches!(v, Verdict::Measured { direction: Some(x), .. } if *x == d))
    };
    let size = |s: Size| count(&|v| matches!(v, Verdict::Measured { size: x, .. } if *x == s));
    let deltas = primary.iter().filter(|r| r.claim.is_delta()).count();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Under the primary protocol (test F1 of the dev-selected epoch), by the rule below: \
         **direction** of the {deltas} deltas — {} reproduced, {} reversed, {} undecided; \
         **size** of all {} claims — {} consistent with the paper, {} smaller than the paper's \
         (the paper's number ruled out), {} larger than the paper's; {} not measured.\n",
        direction(Direction::Reproduced),
        direction(Direction::Reversed),
        direction(Direction::Undecided),
        primary.len(),
        size(Size::Consistent),
        size(Size::Smaller),
        size(Size::Larger),
        count(&|v| *v == Verdict::NotMeasured),
    );
    md.push_str(&endings(measured));
    md
}

/// Per dataset, how the runs the verdicts read ended: by early stopping or
/// by their epoch budget (a budget that binds measures the budget).
fn endings(measured: &Measured) -> String {
    let mut by: BTreeMap<Dataset, (usize, usize, usize)> = BTreeMap::new();
    for r in claim_runs(measured) {
        let Some(d) = crate::report::significance::paper_dataset(&r.config.data) else {
            continue;
        };
        let e = by.entry(d).or_default();
        match r.trained.ending.map(|e| e.by) {
            Some(atner::train::EndedBy::Patience) => e.0 += 1,
            Some(atner::train::EndedBy::Budget) => e.1 += 1,
            None => e.2 += 1,
        }
    }
    let mut md = String::from("How the runs the verdicts read ended:\n\n");
    for (d, (patience, budget, unknown)) in by {
        let _ = write!(
            md,
            "- {}: {patience} by early stopping on dev, **{budget} by their epoch budget**",
            d.title()
        );
        if unknown > 0 {
            let _ = write!(md, ", {unknown} not recorded");
        }
        md.push('\n');
    }
    md.push_str(
        "\nWhere the budget ended runs, the verdicts measure that budget as much as the \
         model; the budget view below shows how each delta moves with it.\n\n",
    );
    md
}

fn claim_runs(measured: &Measured) -> impl Iterator<Item = &RunResult> {
    let mut seen = std::collections::BTreeSet::new();
    measured
        .sources
        .iter()
        .flat_map(|s| &s.results)
        .filter(|r| crate::report::verdict::is_claim_run(r))
        .filter(move |r| seen.insert(r.id.clone()))
}

/// The rule, as declared before the runs were read.
pub(super) fn rule() -> String {
    format!(
        "## The rule\n\n\
         Declared before reading the runs; the protocol that decides is the first.\n\n\
         - **The quantity.** A delta (Table 5, §4.4: \"A improves on B\"): per seed, A's test \
         F1 minus B's, runs of the same seed paired. A level (the full model's F1 in Tables \
         2–4): per seed, the full model's test F1. The seed is the unit: a claim is about a \
         training method, whose result varies with its seed.\n\
         - **The interval.** The mean over the n seeds with its 95% Student t interval \
         (mean ± t(0.975, n − 1)·sd/√n). Primary because its coverage is exact on Gaussian \
         per-seed values at every n ≥ 2 (checked by simulation), where the exact sign-flip \
         test cannot reject at {ALPHA} below six seeds; its p is shown beside as the \
         distribution-free check.\n\
         - **Direction** (deltas): *reproduced* when the interval excludes 0 on the paper's \
         side; *reversed* when it excludes 0 on the other side; *undecided* when it \
         contains 0. Undecided is not a negative finding: the table says how many seeds \
         would decide it.\n\
         - **Size**: *consistent with the paper* when the paper's number lies in the \
         interval; *smaller than the paper's* when the whole interval lies below it (for a \
         delta, nearer zero or beyond: the paper's effect is ruled out); *larger than the \
         paper's* when the whole interval lies above it.\n\
         - **Multiplicity.** Holm–Bonferroni over the eight deltas of a protocol, on the t \
         test's p (which is below {ALPHA} exactly when the interval excludes 0); a direction \
         holds for the family when its Holm p is below {ALPHA}.\n\
         - **Power.** \"Detectable\": the smallest true delta these n seeds detect with 80% \
         power (two-sided paired t test, α = {ALPHA}) at our seeds' spread; \"seeds for the \
         paper's\": the fewest seeds that detect the paper's delta with 80% power at that \
         spread (statsmodels' `TTestPower`).\n\
         - **Two more views, not deciding.** A hierarchical bootstrap ({BOOTSTRAP_RESAMPLES} \
         resamples, ChaCha8 seeded {BOOTSTRAP_SEED}: seeds with replacement, then test \
         sentences with replacement inside each): its 95% percentile interval carries both \
         seed and test-set variation. Almost Stochastic Order's ε_min of A over B (deepsig's \
         algorithm, {} bootstrap resamples seeded {ASO_SEED}, confidence {}): below τ = {} \
         reads as \"A is better\", near 0.5 as no order, above 1 − τ as \"B is better\".\n\
         - **Protocols.** Primary: the test F1 of the epoch with the best dev F1. Second \
         selection rule (sensitivity): the {WINDOW} consecutive epochs with the best mean \
         dev F1, test F1 averaged over the same {WINDOW}. The released code's: the best test \
         F1 of any epoch (it selects on test), shown so that the reader sees what selecting \
         on test is worth; it decides nothing.\n\n",
        aso::BOOTSTRAP,
        aso::CONFIDENCE,
        aso::TAU
    )
}

/// The primary protocol's verdicts with every statistic.
pub(super) fn primary_table(rows: &[Row]) -> String {
    let mut md = String::from(
        "## Verdicts (primary: dev-selected test F1)\n\n\
         | claim | dataset | paper | ours: mean ± sd (n) | 95% t interval | direction | size \
         | p (t) | p (sign-flip) | p (Holm) | bootstrap 95% | ε_min | detectable | seeds for the paper's |\n\
         |:---|:---|---:|---:|---:|:---|:---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows.iter().filter(|r| r.protocol == Protocol::DevSelected) {
        let p = |v: Option<f64>| v.map_or("–".to_string(), |p| format!("{p:.4}"));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.claim.text(),
            r.claim.dataset().title(),
            paper(&r.claim),
            measured_cells(r),
            p(r.estimate.filter(|_| r.claim.is_delta()).map(|e| e.p_t)),
            p(r.p_sign_flip),
            p(r.p_holm),
            r.bootstrap
                .map_or("–".into(), |b| format!("[{:+.2}, {:+.2}]", b.low, b.high)),
            r.eps_min.map_or("–".into(), |e| format!("{e:.2}")),
            r.detectable().map_or("–".into(), |d| format!("±{d:.2}")),
            seeds(r),
        );
    }
    md.push('\n');
    md
}

/// `mean ± sd (n) | [low, high] | direction | size`.
fn measured_cells(r: &Row) -> String {
    let (direction, size) = match r.verdict {
        Verdict::Measured { direction, size } => (
            direction.map_or("–", |d| d.text()).to_string(),
            size.text().to_string(),
        ),
        Verdict::NotMeasured => ("not measured".into(), "not measured".into()),
    };
    let Some(e) = r.estimate else {
        return format!("– ({}) | – | {direction} | {size}", r.m.n());
    };
    let signed = r.claim.is_delta();
    let v = |x: f64| {
        if signed {
            format!("{x:+.2}")
        } else {
            format!("{x:.2}")
        }
    };
    format!(
        "{} ± {:.2} ({}) | [{}, {}] | {direction} | {size}",
        v(e.mean),
        e.sd,
        e.n,
        v(e.low),
        v(e.high)
    )
}

fn paper(claim: &Claim) -> String {
    if claim.is_delta() {
        format!("{:+.2}", claim.paper())
    } else {
        format!("{:.2}", claim.paper())
    }
}

fn seeds(r: &Row) -> String {
    match (r.claim.is_delta(), r.seeds_needed()) {
        (false, _) => "–".into(),
        (true, Some(n)) => n.to_string(),
        (true, None) => format!("> {}", power::MAX_SEEDS),
    }
}

/// For each delta the primary protocol leaves undecided, what would decide it.
pub(super) fn decidable(rows: &[Row]) -> String {
    let mut md = String::from("## What these seeds can and cannot decide\n\n");
    for r in rows.iter().filter(|r| r.protocol == Protocol::DevSelected) {
        let (Some(e), Verdict::Measured { direction, size }) = (r.estimate, r.verdict) else {
            continue;
        };
        let line = match (direction, size) {
            (Some(Direction::Undecided), Size::Smaller) => format!(
                "its interval contains 0 but not the paper's {}: the paper's effect is ruled \
                 out, no effect is not",
                paper(&r.claim)
            ),
            (Some(Direction::Undecided), _) => format!(
                "its interval contains both 0 and the paper's {}: undecided at n = {}, which \
                 detects only |Δ| ≥ {:.2} with 80% power; {} seeds would detect the paper's \
                 delta at our spread",
                paper(&r.claim),
                e.n,
                r.detectable().unwrap_or(f64::NAN),
                seeds(r)
            ),
            (Some(d), s) => format!("{} in direction, {}", d.text(), s.text()),
            (None, Size::Consistent) => format!(
                "the paper's {} lies in our interval [{:.2}, {:.2}] (n = {})",
                paper(&r.claim),
                e.low,
                e.high,
                e.n
            ),
            (None, s) => format!(
                "{}: the paper's {} lies outside our interval [{:.2}, {:.2}] (n = {}), ruled out \
                 under our substitutions (below)",
                s.text(),
                paper(&r.claim),
                e.low,
                e.high,
                e.n
            ),
        };
        let _ = writeln!(
            md,
            "- {}, {}: {line}.",
            r.claim.text(),
            r.claim.dataset().title()
        );
    }
    md.push('\n');
    md
}

/// Notes from loading predictions (runs left out of the bootstrap).
pub(super) fn notes_block(notes: &[String]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let mut md = String::from("Notes on the bootstrap:\n\n");
    for n in notes {
        let _ = writeln!(md, "- {n}");
    }
    md.push('\n');
    md
}

/// The verdicts under the second selection rule and the released protocol.
pub(super) fn sensitivity_tables(rows: &[Row]) -> String {
    let mut md = String::from("## Sensitivity\n\n");
    for (protocol, title) in [
        (
            Protocol::DevWindow,
            "Second selection rule: the best 3-epoch window of dev F1",
        ),
        (
            Protocol::TestSelected,
            "The released code's protocol: the best test F1 of any epoch (selects on test)",
        ),
    ] {
        let _ = writeln!(
            md,
            "### {title}\n\n| claim | dataset | paper | ours: mean ± sd (n) | 95% t interval \
             | direction | size | p (Holm) |\n|:---|:---|---:|---:|---:|:---|:---|---:|"
        );
        for r in rows.iter().filter(|r| r.protocol == protocol) {
            let holm = r.p_holm.map_or("–".into(), |p| format!("{p:.4}"));
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {holm} |",
                r.claim.text(),
                r.claim.dataset().title(),
                paper(&r.claim),
                measured_cells(r)
            );
        }
        md.push('\n');
    }
    md
}

/// Per dataset, each delta's interval at every epoch cap.
pub(super) fn budget_tables(views: &[(Dataset, Vec<CapRow>)]) -> String {
    let mut md = format!(
        "### The epoch budget\n\n\
         ![Each delta against the epoch cap](reproduction/budget.svg)\n\n\
         Every run cut at a cap of {STEP}, {}, … epochs under its own patience, from the \
         committed epoch records (early stopping reads only the dev curve, so a smaller cap \
         is a prefix of the run); a run its own budget ended before a cap is left out there. \
         Dev-selected test F1; mean [95% t interval] (n).\n\n",
        2 * STEP
    );
    for (d, caps) in views.iter().filter(|(d, _)| DELTA_DATASETS.contains(d)) {
        let Some(first) = caps.first() else {
            continue;
        };
        let _ = write!(md, "{}:\n\n| cap | runs | ended by the cap |", d.title());
        for (c, _) in &first.claims {
            let _ = write!(md, " {} |", c.text());
        }
        let _ = writeln!(
            md,
            "\n|---:|---:|---:|{}",
            "---:|".repeat(first.claims.len())
        );
        for row in caps {
            let _ = write!(md, "| {} | {} | {} |", row.cap, row.kept, row.by_cap);
            for (_, m) in &row.claims {
                let cell = m.estimate().map_or("–".into(), |e| {
                    format!("{:+.2} [{:+.2}, {:+.2}] ({})", e.mean, e.low, e.high, e.n)
                });
                let _ = write!(md, " {cell} |");
            }
            md.push('\n');
        }
        md.push('\n');
    }
    md
}

/// The measured share of training characters with a pre-trained vector, per
/// NER corpus and vectors (the same for every run that reads them).
pub(super) fn coverage(measured: &Measured) -> String {
    let mut seen = BTreeMap::new();
    for r in measured.sources.iter().flat_map(|s| &s.results) {
        let (Some(tokens), Some(types)) = (
            r.data.embedding_token_coverage,
            r.data.embedding_type_coverage,
        ) else {
            continue;
        };
        let data = &r.config.data;
        let mut text = data.ner.label();
        if let Some(cws) = data
            .cws
            .as_ref()
            .filter(|_| r.config.model.transfer.is_some())
        {
            text = format!("{text} + {} (CWS)", cws.label());
        }
        let vectors = data.embeddings.as_ref().map(|e| e.label());
        seen.entry((text, vectors.unwrap_or_default()))
            .or_insert((tokens, types));
    }
    if seen.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "Measured coverage of the training characters by the pre-trained vectors:\n\n",
    );
    for ((ner, vectors), (tokens, types)) in seen {
        let _ = writeln!(
            md,
            "- {ner} with `{vectors}`: {:.2}% of character tokens, {:.2}% of character types",
            100.0 * tokens,
            100.0 * types
        );
    }
    md.push('\n');
    md
}

pub(super) fn stores(measured: &Measured) -> String {
    let mut md = String::from("## Results read\n\n");
    for s in &measured.sources {
        md.push_str(&store_line(&s.root, &s.experiment, &s.results));
    }
    md.push_str(
        "\nRuns of other configurations (λ other than the paper's 0.06, one's own data) \
         are in their own reports, not in these verdicts.\n",
    );
    md
}

/// One store's line: its runs not read from an earlier store, and how many
/// of those the verdicts read.
fn store_line(root: &std::path::Path, experiment: &str, results: &[RunResult]) -> String {
    format!(
        "- `{}` (experiment `{experiment}`): {} finished runs not in a store above, {} of them the paper's configurations\n",
        crate::dataset::locations::shown_path(root),
        results.len(),
        results.iter().filter(|r| crate::report::verdict::is_claim_run(r)).count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::verdict::tests::full_run;

    #[test]
    fn a_store_line_counts_the_runs_a_verdict_reads() {
        let runs = [
            full_run("full", 1, &[]),
            full_run("full", 2, &[("train.precision", "bf16")]),
            full_run("full released", 1, &[]),
        ];
        assert_eq!(
            store_line(std::path::Path::new("/nowhere/lambda"), "lambda", &runs),
            "- `/nowhere/lambda` (experiment `lambda`): 3 finished runs not in a store above, 1 of them the paper's configurations\n"
        );
    }
}
