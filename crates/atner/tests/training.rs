//! End-to-end training on tiny synthetic data: every variant learns, runs are
//! reproducible, and a resumed run ends with the uninterrupted run's numbers,
//! in fp32 and (where the CPU has native bf16) in bf16 mixed precision.

use atner::config::{ModelConfig, TrainConfig, Variant};
use atner::encode::{Encoded, TagSet};
use atner::precision::Precision;
use atner::train::{TaskData, Trainer};
use std::sync::{Mutex, MutexGuard};

use tch::{Device, Kind, Tensor};

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

/// The precisions this machine runs at full speed (bf16 needs avx512_bf16 or AMX).
fn precisions() -> Vec<Precision> {
    let mut all = vec![Precision::Fp32];
    match Precision::Bf16.check(Device::Cpu) {
        Ok(()) => all.push(Precision::Bf16),
        Err(why) => eprintln!("bf16 cases SKIPPED: {why}"),
    }
    all
}

fn in_precision(mut cfg: TrainConfig, precision: Precision) -> TrainConfig {
    cfg.precision = precision;
    cfg
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
    for (variant, precision) in Variant::ALL
        .into_iter()
        .flat_map(|v| precisions().into_iter().map(move |p| (v, p)))
    {
        let cfg = in_precision(schedule(40, 3), precision);
        let mut trainer = Trainer::new(&small(variant), &cfg, &data, None, Device::Cpu);
        trainer.fit(|_| {}).expect("finite");
        let best = trainer.state().best().expect("trained at least one epoch");
        assert_eq!(
            best.dev.overall.f1(),
            100.0,
            "{variant:?} in {precision} reached {:?}",
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
    let run = |seed, precision| {
        let mut trainer = Trainer::new(
            &small(Variant::Full),
            &in_precision(schedule(3, seed), precision),
            &data,
            None,
            Device::Cpu,
        );
        trainer.fit(|_| {}).expect("finite");
        numbers(&trainer)
    };
    for precision in precisions() {
        assert_eq!(run(5, precision), run(5, precision), "{precision}");
    }
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
    straight.fit(|_| {}).expect("finite");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("checkpoint.pt");
    let mut first = Trainer::new(&cfg, &schedule(4, 8), &data, None, Device::Cpu);
    first.epoch().expect("finite");
    first.epoch().expect("finite");
    first.save_checkpoint(&path).expect("checkpoint saved");
    let mut resumed = Trainer::new(&cfg, &schedule(4, 8), &data, None, Device::Cpu);
    resumed.load_checkpoint(&path).expect("checkpoint loaded");
    resumed.fit(|_| {}).expect("finite");
    assert_eq!(numbers(&resumed), numbers(&straight));
    assert_eq!(resumed.best_predictions(), straight.best_predictions());
}

#[test]
fn checkpoints_are_fp32_and_resume_into_either_precision() {
    let _serial = serial();
    tch::set_num_threads(1);
    if !precisions().contains(&Precision::Bf16) {
        return;
    }
    let data = tiny_data();
    let cfg = small(Variant::Full);
    let bf16 = in_precision(schedule(4, 8), Precision::Bf16);
    let mut straight = Trainer::new(&cfg, &bf16, &data, None, Device::Cpu);
    straight.fit(|_| {}).expect("finite");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("checkpoint.pt");
    let mut first = Trainer::new(&cfg, &bf16, &data, None, Device::Cpu);
    first.epoch().expect("finite");
    first.epoch().expect("finite");
    first.save_checkpoint(&path).expect("checkpoint saved");
    for (_, t) in Tensor::load_multi(&path).expect("checkpoint reads") {
        assert!(matches!(t.kind(), Kind::Float | Kind::Int64 | Kind::Uint8));
    }
    // bf16 → bf16 continues exactly; bf16 → fp32 continues from the same epoch.
    let mut resumed = Trainer::new(&cfg, &bf16, &data, None, Device::Cpu);
    resumed.load_checkpoint(&path).expect("checkpoint loaded");
    resumed.fit(|_| {}).expect("finite");
    assert_eq!(numbers(&resumed), numbers(&straight));
    let fp32 = in_precision(schedule(4, 8), Precision::Fp32);
    let mut switched = Trainer::new(&cfg, &fp32, &data, None, Device::Cpu);
    switched
        .load_checkpoint(&path)
        .expect("a bf16 checkpoint loads into fp32");
    switched.fit(|_| {}).expect("finite");
    assert_eq!(switched.state().records.len(), 4);
    assert_eq!(numbers(&switched)[..2], numbers(&straight)[..2]);
}

/// The full model with every released-code detail of docs/fidelity.md that
/// is a model or training setting, dropout layout aside.
fn released_details() -> (ModelConfig, TrainConfig) {
    use atner::config::{AttentionForm, Batching, CrfForm, DiscriminatorPool, InactiveStep};
    let mut model = small(Variant::Full);
    model.crf = CrfForm::Released;
    if let Some(a) = model.attention.as_mut() {
        a.form = AttentionForm::Released;
    }
    if let Some(adversarial) = model.transfer.as_mut().and_then(|t| t.adversarial.as_mut()) {
        adversarial.pool = DiscriminatorPool::Padded;
    }
    let mut train = schedule(40, 3);
    train.inactive_task_step = InactiveStep::Adam;
    train.batching = Batching::Random;
    (model, train)
}

#[test]
fn the_released_details_still_overfit_and_repeat_their_numbers() {
    let _serial = serial();
    tch::set_num_threads(1);
    let data = tiny_data();
    let (model, train) = released_details();
    let mut trainer = Trainer::new(&model, &train, &data, None, Device::Cpu);
    trainer.fit(|_| {}).expect("finite");
    let best = trainer.state().best().expect("trained");
    assert_eq!(best.dev.overall.f1(), 100.0, "{:?}", best.dev.overall);

    let mut with_dropout = model.clone();
    with_dropout.dropout_layout = atner::config::DropoutLayout::Released;
    let run = || {
        let mut t = Trainer::new(&with_dropout, &schedule(3, 4), &data, None, Device::Cpu);
        t.fit(|_| {}).expect("finite");
        numbers(&t)
    };
    assert_eq!(run(), run());
}

#[test]
fn the_released_test_protocol_scores_whole_batches_of_cut_sentences() {
    let _serial = serial();
    tch::set_num_threads(1);
    let mut data = tiny_data();
    // One sentence longer than 80 characters: only its first 80 are scored.
    let mut long = data.ner_test[5].clone();
    let pattern = long.clone();
    while long.chars.len() < 90 {
        long.chars.extend(&pattern.chars);
        long.tags.extend(&pattern.tags);
    }
    data.ner_test.push(long.clone());
    let mut train = schedule(1, 2);
    train.batch_size = 2; // 7 test sentences: three batches, the seventh not scored
    let mut trainer = Trainer::new(&small(Variant::Baseline), &train, &data, None, Device::Cpu);
    let record = trainer.epoch().expect("finite").clone();
    let released = record.released_test.expect("measured every epoch");
    let scored: Vec<&Encoded> = data.ner_test[..6].iter().collect();
    let entities = |tags: &[i64]| {
        let names = data.ner_tags.names(tags);
        names.iter().filter(|t| t.starts_with("B-")).count() as u64
    };
    let expected: u64 = scored
        .iter()
        .map(|s| entities(&s.tags[..s.tags.len().min(80)]))
        .sum();
    assert_eq!(released.overall.gold, expected);
    let all: u64 = data.ner_test.iter().map(|s| entities(&s.tags)).sum();
    assert_eq!(
        record.test.overall.gold, all,
        "the honest score reads every sentence"
    );
    assert!(released.overall.gold < all);
}

#[test]
fn the_released_cut_keeps_whole_batches_of_at_most_80_characters() {
    let sentence = |len: usize| Encoded {
        chars: (0..len as i64).collect(),
        tags: vec![0; len],
    };
    let sentences: Vec<Encoded> = [5, 120, 80, 81, 3].into_iter().map(sentence).collect();
    let cut = atner::train::released_cut(&sentences, 2);
    let lengths: Vec<usize> = cut.iter().map(|s| s.chars.len()).collect();
    assert_eq!(
        lengths,
        [5, 80, 80, 80],
        "the fifth sentence is a partial batch"
    );
    assert_eq!(cut[1].chars, sentences[1].chars[..80]);
    assert_eq!(atner::train::released_cut(&sentences, 6).len(), 0);
}

/// The fingerprint (atner::fingerprint) is a function of the code: the same
/// twice in one process, and it exercises every path it names.
#[test]
fn the_fingerprint_is_the_same_twice_and_covers_every_path() {
    use atner::fingerprint::{path, Fingerprint, Settings};
    let _serial = serial();
    tch::set_num_threads(1);
    let first = Fingerprint::compute(Device::Cpu, |_| true);
    let second = Fingerprint::compute(Device::Cpu, |_| true);
    assert_eq!(first, second, "same code, same machine, same numbers");
    for variant in Variant::ALL {
        for settings in [Settings::Ours, Settings::Released] {
            let prefix = path(variant, Precision::Fp32, settings);
            let entry = format!("{prefix}/weights_moved_l1");
            let moved = first.entries.get(&entry).copied().unwrap_or(0.0);
            assert!(moved > 0.0, "{entry}: {moved}");
            assert!(first
                .entries
                .contains_key(&format!("{prefix}/initial_dev_tags")));
        }
    }
    assert!(first.entries.keys().any(|k| k.contains("adversarial_loss")));
}
