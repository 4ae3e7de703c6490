//! The claims a store decided in rounds (`runner sweep --until-decided`):
//! for them the interval to read is the sequential one at 1 − α/K, at the
//! look that stopped them, not the fixed-n interval of the same runs above,
//! which ignores that the seeds were added until something was excluded.

use std::fmt::Write as _;

use super::Measured;
use crate::store::decisions::{self, Decisions};

/// The section, or nothing when no store has made a sequential pass.
pub(super) fn section_of(measured: &Measured) -> anyhow::Result<String> {
    let mut passes = Vec::new();
    for s in &measured.sources {
        if let Some(d) = decisions::read(&s.root)? {
            passes.push((crate::dataset::locations::shown_path(&s.root), d));
        }
    }
    Ok(section(&passes))
}

/// The markdown of the passes, each named by its store.
pub(super) fn section(passes: &[(String, Decisions)]) -> String {
    if passes.is_empty() {
        return String::new();
    }
    let mut md = String::from("## Claims decided in rounds (`runner sweep --until-decided`)\n\n");
    md.push_str(
        "Seeds were added in planned rounds until a claim's interval excluded 0 or its \
         reference; each look's t interval is at 1 − α/K over the K planned looks, so the \
         intervals of all looks hold together at 1 − α. For these claims read this interval, \
         not the fixed-n one of the same runs above.\n\n",
    );
    for (store, d) in passes {
        let looks = d.design.looks();
        let _ = writeln!(
            md,
            "`{store}`: looks at {} seeds, α = {}, each interval at {:.3}%.\n",
            looks
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            d.design.alpha,
            100.0 * (1.0 - d.design.level())
        );
        md.push_str("| claim | reference | n | mean | sequential interval | state |\n");
        md.push_str("|:---|---:|---:|---:|---:|:---|\n");
        for c in &d.claims {
            let reference = c.reference.map_or("–".to_string(), |r| format!("{r:+.2}"));
            let _ = match c.looks.last() {
                Some(l) => writeln!(
                    md,
                    "| {} | {reference} | {} | {:+.2} | [{:+.2}, {:+.2}] | {} |",
                    c.name(),
                    l.n,
                    l.mean,
                    l.low,
                    l.high,
                    l.state.label()
                ),
                None => writeln!(
                    md,
                    "| {} | {reference} | 0 | – | – | not looked at yet |",
                    c.name()
                ),
            };
        }
        md.push('\n');
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::sequential::{judge, Design};
    use crate::store::decisions::Claim;

    #[test]
    fn a_pass_shows_each_claim_at_the_look_that_stopped_it() {
        assert_eq!(section(&[]), "");
        let design = Design {
            alpha: 0.05,
            first: 3,
            round: 1,
            max_seeds: 5,
        };
        let clear = [5.0, 5.5, 4.5, 5.2, 4.9];
        let claim = Claim {
            a: "full".into(),
            b: "baseline".into(),
            reference: Some(2.07),
            looks: judge(&design, &clear, Some(2.07)),
        };
        let pending = Claim {
            looks: Vec::new(),
            ..claim.clone()
        };
        let d = Decisions {
            design,
            claims: vec![claim, pending],
        };
        let md = section(&[("results/weibo".into(), d)]);
        assert!(
            md.contains("looks at 3, 4, 5 seeds, α = 0.05, each interval at 98.333%"),
            "{md}"
        );
        assert!(
            md.contains("| full vs baseline | +2.07 | 3 | +5.00 |"),
            "{md}"
        );
        assert!(md.contains("| direction decided |"), "{md}");
        assert!(md.contains("| 0 | – | – | not looked at yet |"), "{md}");
    }
}
