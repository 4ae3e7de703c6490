//! Every value of a run configuration checked before anything trains or is
//! written: a value out of range is an error naming the setting and where it
//! was given (the experiment file's line, or the `--set` flag), never a panic
//! at train time or a run that trains silently to F1 0.
//!
//! Used by the plan (`runner sweep`, `--dry-run` included) and `runner train`.

use std::path::Path;

use crate::plan::RunConfig;

/// The first value of `config` out of its range: (dotted key, what is wrong).
pub fn problem(config: &RunConfig) -> Option<(&'static str, String)> {
    let (m, t) = (&config.model, &config.train);
    let at_least_one = [
        ("train.batch_size", t.batch_size as i64, "a batch holds"),
        ("train.epochs", t.epochs as i64, "training runs"),
        ("train.patience", t.patience as i64, "early stopping waits"),
        ("model.hidden", m.hidden, "an LSTM direction has"),
    ];
    for (key, value, what) in at_least_one {
        if value < 1 {
            return Some((key, format!("{value}: {what} at least one")));
        }
    }
    if let Some(a) = m.attention {
        if a.heads < 1 || (2 * m.hidden) % a.heads != 0 {
            let why = format!(
                "{}: the heads must divide the attention width 2·d_h = {}",
                a.heads,
                2 * m.hidden
            );
            return Some(("model.attention.heads", why));
        }
    }
    if !(0.0..1.0).contains(&m.dropout) {
        let why = format!("{}: a dropout rate is in [0, 1)", m.dropout);
        return Some(("model.dropout", why));
    }
    for (key, value) in [("train.lr", t.lr), ("train.clip", t.clip)] {
        if !(value.is_finite() && value > 0.0) {
            return Some((key, format!("{value}: must be a finite number > 0")));
        }
    }
    if let Some(l) = m.lambda().filter(|l| !(l.is_finite() && *l >= 0.0)) {
        let why = format!("{l}: λ must be a finite number ≥ 0");
        return Some(("model.transfer.adversarial.lambda", why));
    }
    data_problem(&config.data)
}

/// A by-path source given a format of another role, or a dev fraction out of (0, 1).
fn data_problem(data: &crate::plan::DataConfig) -> Option<(&'static str, String)> {
    let key = |role, field| match (role, field) {
        ("ner", "format") => "data.ner.format",
        ("ner", _) => "data.ner.dev_fraction",
        ("cws", _) => "data.cws.format",
        _ => "data.embeddings.format",
    };
    let problems = [
        ("ner", data.ner.problem()),
        ("cws", data.cws.as_ref().and_then(|s| s.problem())),
        (
            "embeddings",
            data.embeddings.as_ref().and_then(|s| s.problem()),
        ),
    ];
    let (role, (field, why)) = problems
        .into_iter()
        .find_map(|(role, p)| Some((role, p?)))?;
    Some((key(role, field), why))
}

/// The short names `--set` and grids accept for a dotted key (overrides' aliases).
fn spellings(key: &str) -> Vec<&str> {
    let alias = match key {
        "train.batch_size" => Some("batch_size"),
        "train.epochs" => Some("epochs"),
        "train.patience" => Some("patience"),
        "model.hidden" => Some("hidden"),
        "model.attention.heads" => Some("heads"),
        "model.transfer.adversarial.lambda" => Some("lambda"),
        _ => None,
    };
    let short = key.rsplit('.').next().unwrap_or(key);
    let mut all = vec![key, short];
    all.extend(alias);
    all.dedup();
    all
}

/// Where in the experiment file `key` was given: the last line that assigns
/// it, as `key = …` in its table, as a quoted dotted key (a grid or a
/// variant's `set`), or by one of its short names in those places.
pub fn line_of(text: &str, key: &str) -> Option<usize> {
    // `data.ner.format` is `format` in `[data.ner]`; `model.transfer.…` is a
    // model default written in `[model]`.
    let split = match key.starts_with("data.") {
        true => key.rsplit_once('.'),
        false => key.split_once('.'),
    };
    let (section, field) = split.unwrap_or(("", key));
    let names = spellings(key);
    let mut table = String::new();
    let mut found = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            table = line.trim_matches(|c| c == '[' || c == ']').to_string();
            continue;
        }
        let plain = table == section && assigns(line, field);
        let dotted = names.iter().any(|n| line.contains(&format!("\"{n}\"")));
        let grid = table == "grid" && names.iter().any(|n| assigns(line, n));
        let defaults = table == "model" && section == "model" && assigns(line, names[1]);
        if plain || dotted || grid || defaults {
            found = Some(i + 1);
        }
    }
    found
}

fn assigns(line: &str, name: &str) -> bool {
    line.strip_prefix(name)
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// Checks `config`; an error names the key and where it was given: a `--set`
/// assignment when one set it, else the experiment file and line.
pub fn check(
    config: &RunConfig,
    set: &[(String, serde_json::Value)],
    file: Option<&Path>,
) -> anyhow::Result<()> {
    let Some((key, why)) = problem(config) else {
        return Ok(());
    };
    let names = spellings(key);
    if let Some((given, value)) = set.iter().rev().find(|(k, _)| names.contains(&k.as_str())) {
        anyhow::bail!("--set {given}={value}: {key} = {why}");
    }
    let Some(file) = file else {
        anyhow::bail!("{key} = {why}");
    };
    let text = std::fs::read_to_string(file).unwrap_or_default();
    match line_of(&text, key) {
        Some(line) => anyhow::bail!("{}:{line}: {key} = {why}", file.display()),
        None => anyhow::bail!("{}: {key} = {why}", file.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(edit: impl FnOnce(&mut RunConfig)) -> Option<&'static str> {
        let mut config = RunConfig::default();
        edit(&mut config);
        problem(&config).map(|(key, _)| key)
    }

    #[test]
    fn the_paper_settings_pass() {
        assert_eq!(with(|_| {}), None);
        assert_eq!(with(|c| c.model.dropout = 0.0), None);
        assert_eq!(with(|c| c.model.transfer = None), None);
    }

    type Edit = fn(&mut RunConfig);

    #[test]
    fn every_out_of_range_value_is_named() {
        let cases: [(&str, Edit); 11] = [
            ("train.batch_size", |c| c.train.batch_size = 0),
            ("train.epochs", |c| c.train.epochs = 0),
            ("train.patience", |c| c.train.patience = 0),
            ("model.hidden", |c| c.model.hidden = 0),
            ("model.attention.heads", |c| c.model.hidden = 121),
            ("model.dropout", |c| c.model.dropout = 1.5),
            ("model.dropout", |c| c.model.dropout = 1.0),
            ("train.lr", |c| c.train.lr = -1.0),
            ("train.clip", |c| c.train.clip = f64::NAN),
            ("model.transfer.adversarial.lambda", |c| {
                if let Some(t) = c.model.transfer.as_mut() {
                    t.adversarial = Some(atner::config::AdversarialConfig {
                        lambda: -0.1,
                        ..Default::default()
                    });
                }
            }),
            ("model.hidden", |c| c.model.hidden = -4),
        ];
        for (key, edit) in cases {
            assert_eq!(with(edit), Some(key));
        }
    }

    const FILE: &str = "name = \"x\"\n[model]\nhidden = 120\nheads = 7\n[train]\nbatch_size = 0\n\
        [grid]\nlambda = [0.1, -1]\n[[variant]]\nname = \"b\"\nset = { \"train.lr\" = -1 }\n";

    #[test]
    fn keys_are_found_in_their_table_grid_or_variant() {
        assert_eq!(line_of(FILE, "train.batch_size"), Some(6));
        assert_eq!(line_of(FILE, "model.attention.heads"), Some(4));
        assert_eq!(line_of(FILE, "model.hidden"), Some(3));
        assert_eq!(line_of(FILE, "model.transfer.adversarial.lambda"), Some(8));
        assert_eq!(line_of(FILE, "train.lr"), Some(11));
        assert_eq!(line_of(FILE, "train.clip"), None);
    }

    #[test]
    fn a_set_flag_is_named_before_the_file() {
        let mut config = RunConfig::default();
        config.train.batch_size = 0;
        let set = vec![("batch_size".to_string(), serde_json::json!(0))];
        let err = check(&config, &set, None).unwrap_err().to_string();
        assert!(
            err.contains("--set batch_size=0") && err.contains("train.batch_size"),
            "{err}"
        );
    }
}
