//! `--set key=value`: change any field of a run configuration by its dotted path
//! (`train.epochs=5`, `model.hidden=140`, `data.cws="nlpcc2016"`), without editing files.
//! Values are TOML (`5`, `0.1`, `true`, `"text"`; a bare word is taken as a string).

use anyhow::{anyhow, bail, Context};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

/// Short names for the keys researchers change most.
const ALIASES: [(&str, &str); 6] = [
    ("lambda", "model.transfer.adversarial.lambda"),
    ("seed", "train.seed"),
    ("epochs", "train.epochs"),
    ("patience", "train.patience"),
    ("batch_size", "train.batch_size"),
    ("hidden", "model.hidden"),
];

/// The dotted path an alias stands for (`lambda` →
/// `model.transfer.adversarial.lambda`); any other key is its own.
pub fn full_path(key: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == key)
        .map_or(key, |(_, p)| p)
}

/// Parses `key=value`.
pub fn parse_assignment(text: &str) -> anyhow::Result<(String, Value)> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| anyhow!("--set {text:?}: expected key=value"))?;
    Ok((key.trim().to_string(), parse_value(value.trim())?))
}

fn parse_value(text: &str) -> anyhow::Result<Value> {
    let parsed: Result<toml::Table, _> = toml::from_str(&format!("v = {text}"));
    let value = match parsed {
        Ok(mut table) => table
            .remove("v")
            .context("a parsed assignment has its value")?,
        Err(_) => toml::Value::String(text.to_string()),
    };
    Ok(serde_json::to_value(value)?)
}

/// Applies `key = value` to `target`; unknown keys and ill-typed values are errors.
pub fn apply<T: Serialize + DeserializeOwned>(
    target: &T,
    key: &str,
    value: Value,
) -> anyhow::Result<T> {
    let path = full_path(key);
    let mut tree = serde_json::to_value(target)?;
    let mut node = &mut tree;
    let parts: Vec<&str> = path.split('.').collect();
    let mut added = false;
    for (i, part) in parts.iter().enumerate() {
        let object = node
            .as_object_mut()
            .ok_or_else(|| anyhow!("--set {key}: {} is not a table", parts[..i].join(".")))?;
        if !object.contains_key(*part) {
            // A setting at its default may be left out of the serialised
            // configuration (to keep run ids); deserialising says if it exists.
            if i + 1 < parts.len() {
                bail!("--set {key}: no setting {path:?}");
            }
            object.insert(part.to_string(), Value::Null);
            added = true;
        }
        node = object.get_mut(*part).expect("present or just added");
        if node.is_null() && i + 1 < parts.len() {
            bail!(
                "--set {key}: {} is switched off in this variant",
                parts[..=i].join(".")
            );
        }
    }
    *node = value;
    serde_json::from_value(tree).map_err(|e| {
        match added && e.to_string().contains("unknown field") {
            true => anyhow!("--set {key}: no setting {path:?}"),
            false => anyhow!(e).context(format!("--set {key}: wrong type of value")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::RunConfig;

    fn config() -> RunConfig {
        RunConfig::default()
    }

    #[test]
    fn sets_nested_fields_and_aliases() {
        let (k, v) = parse_assignment("train.epochs=7").expect("parses");
        let cfg = apply(&config(), &k, v).expect("applies");
        assert_eq!(cfg.train.epochs, 7);
        let (k, v) = parse_assignment("lambda=0.1").expect("parses");
        assert_eq!(
            apply(&cfg, &k, v).expect("applies").model.lambda(),
            Some(0.1)
        );
        let (k, v) = parse_assignment("data.cws=nlpcc2016").expect("parses");
        assert_eq!(
            apply(&cfg, &k, v).expect("applies").data.cws,
            Some("nlpcc2016".into())
        );
    }

    #[test]
    fn settings_left_out_at_their_default_can_be_set() {
        let (k, v) = parse_assignment("model.crf=released").expect("parses");
        let cfg = apply(&config(), &k, v).expect("applies");
        assert_eq!(cfg.model.crf, atner::config::CrfForm::Released);
        let (k, v) = parse_assignment("model.attention.form=released").expect("parses");
        let cfg = apply(&cfg, &k, v).expect("applies");
        let form = cfg.model.attention.map(|a| a.form);
        assert_eq!(form, Some(atner::config::AttentionForm::Released));
        let (k, v) = parse_assignment("model.crfz=released").expect("parses");
        let err = apply(&cfg, &k, v).expect_err("refused").to_string();
        assert!(err.contains("no setting \"model.crfz\""), "{err}");
        let (k, v) = parse_assignment("model.crf=sideways").expect("parses");
        let err = format!("{:#}", apply(&cfg, &k, v).expect_err("refused"));
        assert!(err.contains("wrong type of value"), "{err}");
    }

    #[test]
    fn rejects_unknown_keys_and_wrong_types() {
        let (k, v) = parse_assignment("train.epoch=7").expect("parses");
        assert!(apply(&config(), &k, v)
            .unwrap_err()
            .to_string()
            .contains("no setting"));
        let (k, v) = parse_assignment("train.epochs=\"many\"").expect("parses");
        assert!(apply(&config(), &k, v).is_err());
        assert!(parse_assignment("novalue").is_err());
    }
}
