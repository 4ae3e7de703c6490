//! The real conlleval Perl script, for the tests that compare against it
//! (atner's metrics, runner's `eval`). Included by both with `#[path]`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `$CONLLEVAL`, else `conlleval` or `conlleval.pl` on `PATH`.
pub fn conlleval() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CONLLEVAL") {
        return Some(PathBuf::from(path));
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .flat_map(|dir| [dir.join("conlleval"), dir.join("conlleval.pl")])
        .find(|path| path.is_file())
}

/// The script's report on `input`.
pub fn run_perl(script: &PathBuf, input: &str) -> String {
    let mut child = Command::new("perl")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("perl runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(input.as_bytes()).expect("input written");
    drop(stdin);
    let out = child.wait_with_output().expect("perl finishes");
    assert!(out.status.success(), "conlleval failed on:\n{input}");
    String::from_utf8(out.stdout).expect("UTF-8 report")
}
