//! `runner eval FILE`: conlleval's report of a CoNLL file (see [`crate::score`]).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use atner::metrics::Scheme;

use crate::score::{read_input, render, score_conll, JsonReport};

/// Score a CoNLL file exactly as conlleval does.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// CoNLL file: `token ... gold predicted` per line, a blank line between
    /// sentences; `-` reads standard input.
    pub file: PathBuf,
    /// Strict IOB2 (seqeval's strict mode): an I-X that continues no chunk of
    /// type X begun by B-X starts nothing; E- and S- tags are errors.
    #[arg(long)]
    pub strict: bool,
    /// Print the numbers as JSON instead of conlleval's layout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let scheme = if args.strict {
        Scheme::StrictIob2
    } else {
        Scheme::Conlleval
    };
    let (name, bytes) = read_input(&args.file)?;
    let scores = score_conll(&bytes, &name, scheme)?;
    let report = if args.json {
        let mut json = serde_json::to_string_pretty(&JsonReport::new(&scores, scheme))?;
        json.push('\n');
        json
    } else {
        render(&scores)
    };
    std::io::stdout()
        .lock()
        .write_all(report.as_bytes())
        .context("writing the report to standard output")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_fails_the_command() {
        let args = EvalArgs {
            file: "/nonexistent/eval.conll".into(),
            strict: false,
            json: false,
        };
        let err = run(args).expect_err("missing");
        assert!(
            err.to_string().contains("/nonexistent/eval.conll"),
            "{err:#}"
        );
    }
}
