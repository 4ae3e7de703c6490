//! `runner eval` as a user runs it: exit status, stdout, stderr.

mod common;

fn runner(args: &[&str], stdin: &[u8]) -> std::process::Output {
    common::runner_with_stdin(args, stdin)
}

const INPUT: &[u8] =
    "北 B-GPE.NAM B-GPE.NAM\n京 I-GPE.NAM I-GPE.NAM\n\n妈 B-PER.NOM O\n".as_bytes();

#[test]
fn eval_reads_stdin_and_prints_conlleval_lines() {
    let out = runner(&["eval", "-"], INPUT);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(stdout.starts_with(
        "processed 3 tokens with 2 phrases; found: 1 phrases; correct: 1.\n\
         accuracy:  66.67%; precision: 100.00%; recall:  50.00%; FB1:  66.67\n"
    ));
    assert!(stdout.contains("\n               NM        1       0       0"));
}

#[test]
fn eval_json_prints_one_object() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pred.conll");
    std::fs::write(&path, INPUT).expect("written");
    let out = runner(&["eval", "--json", path.to_str().expect("UTF-8 path")], b"");
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["overall"]["gold"], 2);
    assert_eq!(json["mention_kinds"]["NE"]["correct"], 1);
}

#[test]
fn bad_input_exits_non_zero_with_file_and_line() {
    let out = runner(&["eval", "-"], b"a O O\nb O X-PER\n");
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        stderr.contains("<stdin>:2: predicted tag `X-PER`"),
        "{stderr}"
    );
    let out = runner(&["eval", "/nonexistent/pred.conll"], b"");
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        stderr.contains("/nonexistent/pred.conll: cannot read"),
        "{stderr}"
    );
}
