//! `runner train`: one configuration, trained in the foreground with a progress
//! bar, its final dev and test P/R/F1 printed.

use crate::cli::TrainArgs;
use crate::execute::{parse_device, train_run, Event};
use crate::progress;

pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let cfg = args.run_config()?;
    let device = parse_device(&args.device)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    tch::set_num_threads(threads as i32);
    eprintln!(
        "training {} on {} ({} threads): {}",
        cfg.variant,
        cfg.data.ner.label(),
        threads,
        serde_json::to_string(&cfg)?
    );
    let bar = progress::bar(cfg.train.epochs as u64, "epochs");
    bar.set_prefix(cfg.variant.clone());
    let outcome = train_run(&cfg, device, None, |event| {
        if let Event::Epoch(r) = event {
            bar.inc(1);
            progress::event(&bar, &epoch_line(r));
        }
    })?;
    bar.finish_and_clear();
    let best = outcome
        .state
        .best()
        .ok_or_else(|| anyhow::anyhow!("no epoch was trained"))?;
    println!(
        "best epoch {} of {} ({:.0} s)",
        best.epoch,
        outcome.state.records.len(),
        outcome.wall_seconds
    );
    for (name, scores) in [("dev", &best.dev), ("test", &best.test)] {
        let o = &scores.overall;
        println!(
            "{name:>5}: P {:.2}  R {:.2}  F1 {:.2}",
            o.precision(),
            o.recall(),
            o.f1()
        );
    }
    Ok(())
}

/// One epoch in a line: losses, dev/test F1, throughput.
pub fn epoch_line(r: &atner::train::EpochRecord) -> String {
    let adv = r
        .adversarial_loss
        .map_or(String::new(), |a| format!(" adv {a:.3}"));
    format!(
        "epoch {:>2}: ner loss {:.3}{} dev F1 {:.2} test F1 {:.2} ({:.0} chars/s)",
        r.epoch,
        r.ner_loss,
        adv,
        r.dev.overall.f1(),
        r.test.overall.f1(),
        r.chars_per_second()
    )
}
