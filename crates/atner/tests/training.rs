//! End-to-end training on tiny synthetic data: every variant learns, runs are
//! reproducible, and a resumed run ends with the uninterrupted run's numbers.

use atner::config::{ModelConfig, TrainConfig, Variant};
use atner::encode::{Encoded, TagSet};
use atner::train::{TaskData, Trainer};
use std::sync::{Mutex, MutexGuard};

use tch::Device;

/// libtorch's random generator is global to the process: tests that train
/// take turns, or each would draw from the others' streams.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Character 2 is a one-character PER, 3 4 a two-character LOC; 5..9 are context.
fn ner_sentence(chars: &[i64], tags: &TagSet) -> Encoded {
    let mut names = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            2 => names.push("B-PER"),
            3 if chars.get(i + 1) == Some(&4) => {
                names.extend(["B-LOC", "I-LOC"]);
                i += 1;
            }
            _ => names.push("O"),
        }
        i += 1;
    }
    Encoded {
        chars: chars.to_vec(),
        tags: names
            .iter()
            .map(|t| tags.id(t).expect("known tag"))
            .collect(),
    }
}

fn tiny_data() -> TaskData {
    let ner_tags = TagSet::from_tags(["O", "B-PER", "B-LOC", "I-LOC"]);
    let rows: [&[i64]; 6] = [
        &[5, 2, 6, 3, 4],
        &[3, 4, 7, 8],
        &[9, 9, 2],
        &[2, 5, 3, 4, 6, 7],
        &[8, 6, 5],
        &[7, 3, 4, 2, 9, 5, 6],
    ];
    let ner: Vec<Encoded> = rows.iter().map(|r| ner_sentence(r, &ner_tags)).collect();
    let cws_tags = TagSet::cws();
    let cws = rows
        .iter()
        .map(|r| Encoded {
            chars: r.to_vec(),
            tags: r.iter().map(|_| cws_tags.id("S").expect("S")).collect(),
        })
        .collect();
    TaskData {
        ner_train: ner.clone(),
        ner_dev: ner.clone(),
        ner_test: ner,
        cws_train: cws,
        ner_tags,
        cws_tags,
        vocab_size: 10,
        embedding_dim: 8,
    }
}

fn small(variant: Variant) -> ModelConfig {
    let mut cfg = variant.model_config();
    cfg.hidden = 16;
    cfg.dropout = 0.0;
    if let Some(a) = cfg.attention.as_mut() {
        a.heads = 2;
    }
    cfg
}

fn schedule(epochs: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        lr: 0.02,
        batch_size: 2,
        epochs,
        patience: epochs,
        seed,
        ..TrainConfig::default()
    }
}

/// The records with wall-clock fields zeroed, for exact comparison.
fn numbers(trainer: &Trainer) -> Vec<atner::train::EpochRecord> {
    trainer
        .state()
        .records
        .iter()
        .cloned()
        .map(|mut r| {
            r.train_seconds = 0.0;
            r.eval_seconds = 0.0;
            r
        })
        .collect()
}

#[test]
fn every_variant_overfits_a_handful_of_sentences() {
    let _serial = serial();
    tch::set_num_threads(1);
    let data = tiny_data();
    for variant in Variant::ALL {
        let mut trainer = Trainer::new(&small(variant), &schedule(40, 3), &data, None, Device::Cpu);
        trainer.fit(|_| {});
        let best = trainer.state().best().expect("trained at least one epoch");
        assert_eq!(
            best.dev.overall.f1(),
            100.0,
            "{variant:?} reached {:?}",
            best.dev.overall
        );
        if matches!(variant, Variant::Adversarial | Variant::Full) {
            assert!(best.adversarial_loss.is_some() && best.discriminator_accuracy.is_some());
        } else {
            assert!(best.adversarial_loss.is_none());
        }
    }
}

#[test]
fn same_seed_same_numbers_other_seed_other_weights() {
    let _serial = serial();
    tch::set_num_threads(1);
    let data = tiny_data();
    let run = |seed| {
        let mut trainer = Trainer::new(
            &small(Variant::Full),
            &schedule(3, seed),
            &data,
            None,
            Device::Cpu,
        );
        trainer.fit(|_| {});
        numbers(&trainer)
    };
    assert_eq!(run(5), run(5));
    let first_weights = |seed| {
        let trainer = Trainer::new(
            &small(Variant::Full),
            &schedule(1, seed),
            &data,
            None,
            Device::Cpu,
        );
        trainer.var_store().variables()["ner.crf.transitions"].copy()
    };
    assert!(!first_weights(5).equal(&first_weights(6)));
}

#[test]
fn resumed_run_ends_with_uninterrupted_numbers() {
    let _serial = serial();
    tch::set_num_threads(1);
    let data = tiny_data();
    let cfg = small(Variant::Full);
    let mut straight = Trainer::new(&cfg, &schedule(4, 8), &data, None, Device::Cpu);
    straight.fit(|_| {});

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("checkpoint.pt");
    let mut first = Trainer::new(&cfg, &schedule(4, 8), &data, None, Device::Cpu);
    first.epoch();
    first.epoch();
    first.save_checkpoint(&path).expect("checkpoint saved");
    let mut resumed = Trainer::new(&cfg, &schedule(4, 8), &data, None, Device::Cpu);
    resumed.load_checkpoint(&path).expect("checkpoint loaded");
    resumed.fit(|_| {});
    assert_eq!(numbers(&resumed), numbers(&straight));
    assert_eq!(resumed.best_predictions(), straight.best_predictions());
}
