//! `reports/REPRODUCTION.md`: the verdict table of [`super::verdict`] over
//! every results store, with the data substitutions stated once at the top.
//! Written by `runner report --all`.

use std::fmt::Write as _;

use super::verdict::{claims, Claim, Measurement, Protocol, Runs, Verdict, ALPHA};
use super::Measured;
use crate::store::RunResult;

/// The Markdown of the verdict table over the runs of `measured`.
pub fn render(measured: &Measured) -> String {
    let runs = Runs::of(&measured.sources);
    let rows: Vec<Row> = claims().into_iter().map(|c| Row::of(c, &runs)).collect();
    let mut md =
        String::from("# Reproduction of Cao et al. (EMNLP 2018): a verdict on every claim\n\n");
    md.push_str(&summary(&rows));
    md.push_str(&super::provenance::substitutions_where(
        measured,
        super::verdict::is_claim_run,
    ));
    md.push_str(&coverage(measured));
    md.push_str(&rule());
    md.push_str(&table(&rows));
    md.push_str(&stores(measured));
    md
}

/// One claim with its measurements under both protocols.
struct Row {
    claim: Claim,
    dev: Measurement,
    test: Measurement,
}

impl Row {
    fn of(claim: Claim, runs: &Runs) -> Self {
        Self {
            dev: claim.measure(runs, Protocol::DevSelected),
            test: claim.measure(runs, Protocol::TestSelected),
            claim,
        }
    }
}

fn summary(rows: &[Row]) -> String {
    let mut md = String::from("Under our protocol (dev-selected test F1): ");
    let verdicts = [
        Verdict::Reproduced,
        Verdict::SameDirection,
        Verdict::OppositeDirection,
        Verdict::NotReproduced,
        Verdict::NotMeasured,
    ];
    let counts: Vec<String> = verdicts
        .iter()
        .map(|v| {
            let n = rows
                .iter()
                .filter(|r| r.claim.verdict(&r.dev) == *v)
                .count();
            format!("{n} {}", v.text())
        })
        .collect();
    let _ = writeln!(md, "{} (of {} claims).\n", counts.join("; "), rows.len());
    md
}

/// The measured share of training characters with a pre-trained vector, per
/// NER corpus and vectors (the same for every run that reads them).
fn coverage(measured: &Measured) -> String {
    let mut seen = std::collections::BTreeMap::new();
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

fn rule() -> String {
    format!(
        "## The rule\n\n\
         - **A delta** (Table 5, §4.4: \"A improves on B\"): per seed, A's test F1 minus B's \
         (runs of the same seed); mean ± std over the n seeds both have; p from an exact \
         two-sided sign-flip test of the mean difference (the seed is the unit). \
         *reproduced*: the paper's sign and p < {ALPHA}; *same direction, not significant*; \
         *opposite direction, not significant*; *not reproduced*: the opposite sign and \
         p < {ALPHA}; *not measured*: fewer than two paired seeds. With n seeds the \
         smallest possible p is 2/2ⁿ: three seeds can never reach {ALPHA}.\n\
         - **A level** (the full model's F1 in Tables 2–4): *reproduced* when the paper's \
         number lies within two standard deviations of our seeds' mean, else *not reproduced*.\n\
         - **Protocols.** Ours: the test F1 of the epoch with the best dev F1. The released \
         code's: the best test F1 of any epoch (it selects its checkpoint on test), shown \
         beside so that the reader sees what the selection alone is worth.\n\n"
    )
}

fn table(rows: &[Row]) -> String {
    let mut md = String::from(
        "## Verdicts\n\n\
         | claim | dataset | paper | ours, dev-selected: mean ± std (n) | p | verdict | \
         released protocol, test-selected: mean ± std (n) | p | verdict |\n\
         |:---|:---|---:|---:|---:|:---|---:|---:|:---|\n",
    );
    for row in rows {
        let c = &row.claim;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            c.text(),
            c.dataset().title(),
            signed(c),
            cells(c, &row.dev),
            cells(c, &row.test)
        );
    }
    md.push('\n');
    md
}

/// The paper's number: a delta with its sign, a level as printed.
fn signed(claim: &Claim) -> String {
    match claim {
        Claim::Delta { paper, .. } => format!("{paper:+.2}"),
        Claim::Level { paper, .. } => format!("{paper:.2}"),
    }
}

/// `mean ± std (n) | p | verdict` for one protocol.
fn cells(claim: &Claim, m: &Measurement) -> String {
    let verdict = claim.verdict(m);
    if m.n() == 0 {
        return format!("– | – | {}", verdict.text());
    }
    let value = match claim {
        Claim::Delta { .. } => format!("{:+.2} ± {:.2} ({})", m.mean(), m.std(), m.n()),
        Claim::Level { .. } => format!("{:.2} ± {:.2} ({})", m.mean(), m.std(), m.n()),
    };
    let p = m.p_value.map_or("–".to_string(), |p| format!("{p:.3}"));
    format!("{value} | {p} | {}", verdict.text())
}

fn stores(measured: &Measured) -> String {
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
        results.iter().filter(|r| super::verdict::is_claim_run(r)).count()
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
