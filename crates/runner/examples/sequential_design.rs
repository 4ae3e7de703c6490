//! The price and the gain of `--until-decided`'s design, by simulation:
//! for WeiboNER's design (first look at 20 seeds, rounds of 5, at most 40)
//! and per-seed deltas of our spread, the expected seeds at which a claim
//! stops and the share decided, beside the fixed-n design of equal power
//! (capped at 0.99: beyond it the power integral's error dominates).
//! `cargo run --example sequential_design`; the table is
//! recorded in BENCHMARKS.md.

use runner::stats::power::power;
use runner::stats::sequential::{expected_seeds, Design};

fn main() {
    let design = Design {
        alpha: 0.05,
        first: 20,
        round: 5,
        max_seeds: 40,
    };
    let sims = 4000;
    println!("| true delta | sd | decided (power) | mean seeds, sequential | seeds, fixed-n of equal power |");
    println!("|---:|---:|---:|---:|---:|");
    for sd in [2.1, 3.3] {
        for delta in [0.0, 1.08, 2.07, 3.0, 4.26] {
            let op = expected_seeds(&design, delta, sd, sims, 2018);
            let fixed = (2..=1000)
                .find(|&n| power(delta / sd, n) >= op.decided.min(0.99))
                .map_or("-".to_string(), |n| n.to_string());
            println!(
                "| {delta:+.2} | {sd:.1} | {:.3} | {:.1} | {} |",
                op.decided,
                op.mean_seeds,
                if delta == 0.0 { "-".to_string() } else { fixed }
            );
        }
    }
}
