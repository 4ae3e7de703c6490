//! Does the adversarial loss remove task information from the shared
//! space? The probes of `runner probe` (a fresh linear classifier on the
//! frozen encoder's pooled features, NER against CWS sentences), by λ, and
//! each λ's paired per-seed difference from λ = 0, where the discriminator
//! is never trained.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Measured;
use crate::stats;
use crate::store::ProbeRecord;

/// The section over every probe of the measured stores.
pub(super) fn section_of(measured: &Measured) -> String {
    let probes: Vec<&ProbeRecord> = measured
        .sources
        .iter()
        .flat_map(|s| s.probes.values())
        .collect();
    section(&probes)
}

/// A row per variant and λ, or a line saying nothing was probed.
fn section(probes: &[&ProbeRecord]) -> String {
    let mut md = String::from("## Does the adversarial loss remove task information?\n\n");
    // (variant, λ in thousandths; none without a discriminator) → seed → probe.
    let mut by: BTreeMap<(String, Option<i64>), BTreeMap<u64, &ProbeRecord>> = BTreeMap::new();
    for p in probes {
        let lambda = p.lambda.map(|l| (l * 1000.0).round() as i64);
        by.entry((p.variant.clone(), lambda))
            .or_default()
            .insert(p.seed, p);
    }
    if by.is_empty() {
        md.push_str("Not measured yet: no run in these results carries a probe. `runner probe RUN…` freezes a finished run's shared encoder and fits a fresh linear probe (the discriminator's form, on its max-pooled features) to tell NER from CWS sentences; `experiments/probe.toml` trains the full model at λ ∈ {0, 0.06, 1} for it. A discriminator's own accuracy near chance diagnoses nothing: at λ = 0 it is never trained.\n\n");
        return md;
    }
    md.push_str("Held-out accuracy (%) of a fresh linear probe telling NER from CWS sentences by the frozen shared encoder's max-pooled features (chance: 50), with the 95% t interval over seeds (one seed: the run's Wilson interval over its held-out sentences); Δ is the paired per-seed difference from λ = 0 of the same variant, with its 95% t interval.\n\n");
    md.push_str("| variant | λ | seeds | accuracy | 95% interval | Δ from λ = 0 | 95% interval | reads |\n|:---|---:|---:|---:|---:|---:|---:|:---|\n");
    for ((variant, lambda), seeds) in &by {
        let accuracy: BTreeMap<u64, f64> = seeds
            .iter()
            .map(|(s, p)| (*s, 100.0 * p.accuracy))
            .collect();
        let values: Vec<f64> = accuracy.values().copied().collect();
        let level = stats::estimate(&values);
        let one = seeds.values().next().filter(|_| seeds.len() == 1);
        let zero = by
            .get(&(variant.clone(), Some(0)))
            .filter(|_| lambda.is_some_and(|l| l != 0));
        let deltas: Vec<f64> = zero.map_or(Vec::new(), |z| {
            accuracy
                .iter()
                .filter_map(|(s, a)| Some(a - 100.0 * z.get(s)?.accuracy))
                .collect()
        });
        let delta = stats::estimate(&deltas);
        let _ = writeln!(
            md,
            "| {variant} | {} | {} | {} | {} | {} | {} | {} |",
            lambda.map_or("–".into(), |l| (l as f64 / 1000.0).to_string()),
            values.len(),
            level.map_or(format!("{:.1}", values[0]), |e| format!(
                "{:.1} ± {:.1}",
                e.mean, e.sd
            )),
            match (level, one) {
                (Some(e), _) => format!("[{:.1}, {:.1}]", e.low, e.high),
                (None, Some(p)) =>
                    format!("[{:.1}, {:.1}] (Wilson)", 100.0 * p.low, 100.0 * p.high),
                (None, None) => "—".into(),
            },
            delta.map_or("—".into(), |e| format!("{:+.1} ± {:.1}", e.mean, e.sd)),
            delta.map_or("—".into(), |e| format!("[{:+.1}, {:+.1}]", e.low, e.high)),
            delta.map_or("—", |e| reads(&e)),
        );
    }
    md.push('\n');
    md
}

/// What a difference from λ = 0 says, read from its interval.
fn reads(e: &stats::Estimate) -> &'static str {
    if e.high < 0.0 {
        "lower: the loss removes task information"
    } else if e.low > 0.0 {
        "higher"
    } else {
        "undecided"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(lambda: f64, seed: u64, accuracy: f64) -> ProbeRecord {
        ProbeRecord {
            variant: "full".into(),
            lambda: Some(lambda),
            seed,
            sentences: 1000,
            probe_seed: 1,
            correct: (accuracy * 1000.0) as usize,
            total: 1000,
            accuracy,
            low: accuracy - 0.02,
            high: accuracy + 0.02,
        }
    }

    #[test]
    fn a_lower_accuracy_than_at_lambda_zero_on_every_seed_reads_lower() {
        let records = [
            probe(0.0, 1, 0.85),
            probe(0.0, 2, 0.86),
            probe(0.0, 3, 0.87),
            probe(0.06, 1, 0.80),
            probe(0.06, 2, 0.80),
            probe(0.06, 3, 0.81),
            probe(1.0, 1, 0.84),
            probe(1.0, 2, 0.88),
            probe(1.0, 3, 0.86),
        ];
        let md = section(&records.iter().collect::<Vec<_>>());
        let row = |l: &str| {
            md.lines()
                .find(|r| r.starts_with(&format!("| full | {l} |")))
                .expect(l)
                .to_string()
        };
        assert!(
            row("0.06").contains("| -5.7 ± 0.6 |")
                && row("0.06").ends_with("lower: the loss removes task information |"),
            "{md}"
        );
        assert!(row("1").ends_with("undecided |"), "{md}");
        assert!(
            row("0").contains("| 86.0 ± 1.0 |") && row("0").ends_with("— |"),
            "{md}"
        );
        assert!(section(&[]).contains("Not measured yet"));
        let single = section(&[&probe(0.06, 1, 0.862)]);
        assert!(
            single.contains("| 86.2 | [84.2, 88.2] (Wilson) |"),
            "{single}"
        );
    }
}
