//! One's own data by path, end to end through the real binary: a generated
//! NER corpus (BIOES), CWS corpus and vectors (GloVe, gzip) named by relative
//! paths in an experiment file; `runner data check` describes them, a sweep
//! trains every variant and reports; changing one byte of the CWS file
//! changes the run ids of the variants that read it, and only those retrain;
//! malformed files stop the sweep naming file and line, and leave the store
//! as it was. Needs no data mirror.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::files_under;

const EXPERIMENT: &str = r#"
name = "own"

[data.ner]
name = "toy"
train = "corpus/train.bioes"
dev = "corpus/dev.bioes"
test = "corpus/test.bioes"
scheme = "bioes"

[data.cws]
train = "corpus/words.txt"

[data.embeddings]
path = "vectors/toy.glove.gz"
format = "glove"

[model]
hidden = 8
heads = 2

[train]
batch_size = 8
epochs = 2
patience = 2

[grid]
seed = [1]

[[variant]]
name = "baseline"

[[variant]]
name = "transfer"
parts = ["cws", "shared"]

[[variant]]
name = "adversarial"
parts = ["cws", "shared", "adversarial"]

[[variant]]
name = "self-attention"
parts = ["attention"]

[[variant]]
name = "full"
parts = ["cws", "shared", "adversarial", "attention"]
"#;

/// The sweep every test runs, in the scratch directory.
const SWEEP: [&str; 6] = [
    "sweep",
    "own.toml",
    "--results",
    "results",
    "--threads",
    "1",
];

const NAMES: [&str; 4] = ["张三", "李四", "王小明", "赵"];
const PLACES: [&str; 3] = ["北京", "上海", "广州市"];
const FILLER: [&str; 5] = ["去", "了", "在", "今天", "很好"];

/// Sentence `i` as (word, type) pairs; type "" is outside text.
fn sentence(i: usize) -> Vec<(&'static str, &'static str)> {
    vec![
        (NAMES[i % NAMES.len()], "PER"),
        (FILLER[i % FILLER.len()], ""),
        (PLACES[(i / 2) % PLACES.len()], "LOC"),
        (FILLER[(i + 2) % FILLER.len()], ""),
    ]
}

/// BIOES lines of sentences `range`.
fn bioes(range: std::ops::Range<usize>) -> String {
    let mut text = String::new();
    for i in range {
        for (word, kind) in sentence(i) {
            let chars: Vec<char> = word.chars().collect();
            for (j, c) in chars.iter().enumerate() {
                let tag = match (kind, j, chars.len()) {
                    ("", _, _) => "O".to_string(),
                    (k, 0, 1) => format!("S-{k}"),
                    (k, 0, _) => format!("B-{k}"),
                    (k, j, n) if j + 1 == n => format!("E-{k}"),
                    (k, _, _) => format!("I-{k}"),
                };
                text.push_str(&format!("{c} {tag}\n"));
            }
        }
        text.push('\n');
    }
    text
}

fn write_data(dir: &Path) {
    std::fs::create_dir_all(dir.join("corpus")).unwrap();
    std::fs::create_dir_all(dir.join("vectors")).unwrap();
    std::fs::write(dir.join("corpus/train.bioes"), bioes(0..24)).unwrap();
    std::fs::write(dir.join("corpus/dev.bioes"), bioes(24..32)).unwrap();
    std::fs::write(dir.join("corpus/test.bioes"), bioes(32..40)).unwrap();
    let words: String = (0..30)
        .map(|i| {
            let words: Vec<&str> = sentence(i + 1).iter().map(|(w, _)| *w).collect();
            format!("{}\r\n", words.join("  "))
        })
        .collect();
    std::fs::write(dir.join("corpus/words.txt"), words).unwrap();
    let file = std::fs::File::create(dir.join("vectors/toy.glove.gz")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    for (i, c) in "张三李四王小明赵北京上海广州市".chars().enumerate() {
        writeln!(
            gz,
            "{c} {} {} -0.5 0.25",
            i as f32 / 10.0,
            1.0 - i as f32 / 20.0
        )
        .unwrap();
    }
    gz.finish().unwrap();
    std::fs::write(dir.join("own.toml"), EXPERIMENT).unwrap();
}

fn runner(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runner"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the runner binary starts")
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The ids of the finished runs of a store.
fn done_runs(results: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(results.join("runs"))
        .map(|d| d.flatten().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.path().join("DONE").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("own-data-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

#[test]
fn by_path_data_is_checked_trained_and_reported_and_a_changed_byte_retrains_its_readers() {
    let dir = scratch();
    write_data(dir.path());
    let check = ok(runner(dir.path(), &["data", "check", "own.toml"]));
    assert!(check.contains("NER toy (conll)"), "{check}");
    assert!(check.contains("train: 24 sentences"), "{check}");
    assert!(check.contains("entities: LOC 24, PER 24"), "{check}");
    assert!(check.contains("tag scheme: bioes"), "{check}");
    assert!(check.contains("CWS words.txt (words)"), "{check}");
    assert!(
        check.contains("coverage of the training characters"),
        "{check}"
    );

    let results = dir.path().join("results");
    let sweep = SWEEP;
    ok(runner(dir.path(), &sweep));
    let first = done_runs(&results);
    assert_eq!(first.len(), 5, "every variant trained");
    ok(runner(
        dir.path(),
        &["report", "results", "--out", "reports"],
    ));

    // One byte of the CWS file: the three variants that read it get new ids.
    let words = dir.path().join("corpus/words.txt");
    let mut bytes = std::fs::read(&words).unwrap();
    assert_ne!(&bytes[0..3], "赵".as_bytes());
    bytes[0..3].copy_from_slice("赵".as_bytes());
    std::fs::write(&words, bytes).unwrap();
    ok(runner(dir.path(), &sweep));
    let second = done_runs(&results);
    assert_eq!(
        second.len(),
        8,
        "three new runs beside the five: {second:?}"
    );
    assert!(first.iter().all(|id| second.contains(id)));
}

#[test]
fn malformed_files_stop_the_sweep_naming_file_and_line_and_leave_the_store_alone() {
    let cases: [(&str, &str, &str); 4] = [
        (
            "corpus/train.bioes",
            "张 B-PER\n三\n",
            "train.bioes:2: expected 2 columns",
        ),
        (
            "corpus/train.bioes",
            "张 B_PER\n",
            "train.bioes:1: tag `B_PER`",
        ),
        (
            "corpus/dev.bioes",
            "张 O\n三 E-PER\n",
            "dev.bioes:2: E-PER continues no PER entity",
        ),
        ("corpus/test.bioes", "", "test.bioes: no sentences"),
    ];
    for (file, text, expected) in cases {
        let dir = scratch();
        write_data(dir.path());
        let results = dir.path().join("results");
        let sweep = SWEEP;
        ok(runner(
            dir.path(),
            &[&sweep[..], &["--only", "baseline"]].concat(),
        ));
        let before = files_under(&results);
        std::fs::write(dir.path().join(file), text).unwrap();
        let output = runner(dir.path(), &sweep);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{file}: {text:?} was accepted");
        assert!(stderr.contains(expected), "{file}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(files_under(&results), before, "{file}: the store changed");
    }
}

#[test]
fn bad_bytes_vectors_and_settings_are_named() {
    let dir = scratch();
    write_data(dir.path());
    let vectors = dir.path().join("vectors/toy.glove.gz");
    let file = std::fs::File::create(&vectors).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gz.write_all("张 0.1 0.2 0.3 0.4\n三 0.1 x 0.3 0.4\n".as_bytes())
        .unwrap();
    gz.finish().unwrap();
    let output = runner(dir.path(), &["data", "check", "own.toml"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("toy.glove.gz:2: `x` is not a number"),
        "{stderr}"
    );

    std::fs::write(dir.path().join("corpus/words.txt"), b"ok\n\xff\xfe\n").unwrap();
    let output = runner(
        dir.path(),
        &["data", "check", "--format", "words", "corpus/words.txt"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("words.txt:2: invalid UTF-8"), "{stderr}");

    let wrong_role = EXPERIMENT.replace("format = \"glove\"", "format = \"words\"");
    std::fs::write(dir.path().join("own.toml"), wrong_role).unwrap();
    let output = runner(dir.path(), &["sweep", "own.toml", "--dry-run"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("own.toml:16: data.embeddings.format = \"words\": not a format"),
        "{stderr}"
    );
    let missing = runner(dir.path(), &["data", "check", "corpus/nothing.conll"]);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("corpus/nothing.conll"), "{stderr}");
}
