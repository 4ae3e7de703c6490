//! Where each effective setting of a variant came from: the default, a line
//! of the experiment file, a preset, the variant's own `set`, `--set`, or
//! the grid (`runner sweep --dry-run --explain`).
//!
//! A setting's source is the last stage of [`plan::variant_stages`] that
//! changed it, or, when none did, the file line that states it (a file may
//! state a default). A preset that replaces a value the file states is an
//! *override*: the plan says so, and the report's provenance repeats it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde_json::Value;
use toml::de::{DeTable, DeValue};

use crate::plan::{self, RunConfig};
use crate::spec::{ExperimentSpec, Preset, VariantSpec};

/// One effective setting of a variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Its dotted path, as `--set` takes it.
    pub key: String,
    /// Its value (grid keys: every value of the grid).
    pub value: String,
    pub source: String,
}

/// A preset's replacement of a value the experiment file states.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub variant: String,
    pub key: String,
    pub preset: Preset,
    pub file_value: String,
    pub value: String,
    /// `file:line` of the replaced value.
    pub at: String,
}

/// A variant's settings and the preset's overrides of its file.
#[derive(Debug, Clone)]
pub struct Explained {
    pub variant: String,
    pub settings: Vec<Setting>,
    pub overrides: Vec<Override>,
}

/// Every variant of `spec` (read from `file`) explained, under `set`.
pub fn explain(
    spec: &ExperimentSpec,
    file: &Path,
    options: &plan::PlanOptions,
) -> anyhow::Result<Vec<Explained>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let lines = key_lines(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let shown = file.display().to_string();
    plan::selected_variants(spec, &options.only)?
        .into_iter()
        .map(|v| {
            let index = spec.variants.iter().position(|w| w.name == v.name);
            variant(spec, v, index.unwrap_or(0), options, &lines, &shown)
        })
        .collect()
}

/// The overrides, one line per replaced value with every variant it
/// applies to (the plan's notes and the store's record).
pub fn overrides(explained: &[Explained]) -> Vec<String> {
    let mut lines: Vec<(Override, Vec<String>)> = Vec::new();
    for o in explained.iter().flat_map(|e| &e.overrides) {
        let same = |(l, _): &&mut (Override, Vec<String>)| {
            Override {
                variant: o.variant.clone(),
                ..l.clone()
            } == *o
        };
        match lines.iter_mut().find(same) {
            Some((_, variants)) => variants.push(o.variant.clone()),
            None => lines.push((o.clone(), vec![o.variant.clone()])),
        }
    }
    lines
        .into_iter()
        .map(|(o, variants)| {
            let names: Vec<String> = variants.iter().map(|v| format!("{v:?}")).collect();
            let which = match names.len() {
                1 => format!("variant {}", names[0]),
                _ => format!("variants {}", names.join(", ")),
            };
            format!(
                "preset {} sets {} = {} in {which}, over {} at {}",
                preset_name(o.preset),
                o.key,
                o.value,
                o.file_value,
                o.at
            )
        })
        .collect()
}

/// A variant's configuration flattened after each stage of settings.
struct Flat {
    defaults: BTreeMap<String, Value>,
    file: BTreeMap<String, Value>,
    preset: BTreeMap<String, Value>,
    variant: BTreeMap<String, Value>,
    flags: BTreeMap<String, Value>,
}

/// What places a variant's settings: its index and the file's lines, the
/// flags, and the preset in force.
struct Place<'a> {
    v: &'a VariantSpec,
    index: usize,
    options: &'a plan::PlanOptions,
    lines: &'a BTreeMap<String, usize>,
    file: &'a str,
    preset: Preset,
}

fn variant(
    spec: &ExperimentSpec,
    v: &VariantSpec,
    index: usize,
    options: &plan::PlanOptions,
    lines: &BTreeMap<String, usize>,
    file: &str,
) -> anyhow::Result<Explained> {
    let stages = plan::variant_stages(spec, v, &options.set)?;
    let flat = Flat {
        defaults: flatten(&stages.defaults),
        file: flatten(&stages.file),
        preset: flatten(&stages.preset_applied),
        variant: flatten(&stages.variant),
        flags: flatten(&stages.flags),
    };
    let cx = Place {
        v,
        index,
        options,
        lines,
        file,
        preset: stages.preset,
    };
    let keys: std::collections::BTreeSet<&String> = flat
        .defaults
        .keys()
        .chain(flat.flags.keys())
        .chain(flat.preset.keys())
        .collect();
    let mut settings = Vec::new();
    let mut overrides = Vec::new();
    for key in keys {
        let (source, replaced) = source_of(&cx, &flat, key);
        overrides.extend(replaced);
        settings.push(Setting {
            key: key.clone(),
            value: shown(flat.flags.get(key)),
            source,
        });
    }
    settings.push(preset_setting(
        v,
        index,
        options,
        lines,
        file,
        stages.preset,
    ));
    grid_settings(spec, &flat.flags, lines, file, &mut settings);
    Ok(Explained {
        variant: v.name.clone(),
        settings,
        overrides,
    })
}

/// The last stage that changed `key` (or the file line that states it),
/// and the override when that stage is a preset replacing a file value.
fn source_of(cx: &Place, flat: &Flat, key: &str) -> (String, Option<Override>) {
    let at = |line: usize| format!("{}:{line}", cx.file);
    let changed =
        |a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>| a.get(key) != b.get(key);
    let file_line = file_line(cx.lines, key);
    if cx.options.set.iter().any(|(k, _)| resolve(k) == key) || changed(&flat.flags, &flat.variant)
    {
        return ("--set".into(), None);
    }
    if changed(&flat.variant, &flat.preset) {
        let prefix = format!("variant.{}.set.", cx.index);
        let line = cx
            .lines
            .iter()
            .find(|(k, _)| k.strip_prefix(&prefix).is_some_and(|k| resolve(k) == key));
        let place = line.map_or("set".into(), |(_, l)| at(*l));
        return (format!("variant {:?} ({place})", cx.v.name), None);
    }
    if changed(&flat.preset, &flat.file) {
        let name = format!("preset {}", preset_name(cx.preset));
        let Some(line) = file_line else {
            return (name, None);
        };
        let o = Override {
            variant: cx.v.name.clone(),
            key: key.to_string(),
            preset: cx.preset,
            file_value: shown(flat.file.get(key)),
            value: shown(flat.preset.get(key)),
            at: at(line),
        };
        return (
            format!("{name} (over {} at {})", o.file_value, o.at),
            Some(o),
        );
    }
    let source = match file_line {
        Some(line) => at(line),
        None if changed(&flat.file, &flat.defaults) => cx.file.to_string(),
        None => "default".into(),
    };
    (source, None)
}

/// The preset in force and who chose it: `--set`, the variant, the file's
/// `[model]`, or the default.
fn preset_setting(
    v: &VariantSpec,
    index: usize,
    options: &plan::PlanOptions,
    lines: &BTreeMap<String, usize>,
    file: &str,
    preset: Preset,
) -> Setting {
    let variant_line = lines.get(&format!("variant.{index}.set.preset"));
    let source = if options.set.iter().any(|(k, _)| k == "preset") {
        "--set".to_string()
    } else if let Some(line) = variant_line.filter(|_| v.set.contains_key("preset")) {
        format!("variant {:?} ({file}:{line})", v.name)
    } else if let Some(line) = lines.get("model.preset") {
        format!("{file}:{line}")
    } else {
        "default".to_string()
    };
    Setting {
        key: "preset".into(),
        value: preset_name(preset).into(),
        source,
    }
}

/// The grid's keys replace their settings' rows: every value, and its line.
fn grid_settings(
    spec: &ExperimentSpec,
    flags: &BTreeMap<String, Value>,
    lines: &BTreeMap<String, usize>,
    file: &str,
    settings: &mut Vec<Setting>,
) {
    for (key, values) in &spec.grid {
        let path = resolve(key);
        if !flags.contains_key(path) && path != "train.seed" {
            continue; // λ in a variant without a discriminator
        }
        let value = values
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let source = lines.get(&format!("grid.{key}")).map_or_else(
            || "grid".to_string(),
            |line| format!("grid ({file}:{line})"),
        );
        settings.retain(|s| s.key != path);
        settings.push(Setting {
            key: path.to_string(),
            value,
            source,
        });
    }
    settings.sort_by(|a, b| a.key.cmp(&b.key));
}

/// The line of the file that states `key`: the key itself, or the
/// `[model]` shorthand it is built from (`heads`, `lambda`).
fn file_line(lines: &BTreeMap<String, usize>, key: &str) -> Option<usize> {
    let shorthand = match key {
        "model.attention.heads" => Some("model.heads"),
        "model.transfer.adversarial.lambda" => Some("model.lambda"),
        _ => None,
    };
    lines
        .get(key)
        .or_else(|| shorthand.and_then(|s| lines.get(s)))
        .copied()
}

/// `--set` and grid aliases (`lambda`, `seed`, …) to their dotted paths.
fn resolve(key: &str) -> &str {
    crate::overrides::full_path(key)
}

fn preset_name(preset: Preset) -> &'static str {
    match preset {
        Preset::Ours => "ours",
        Preset::Released => "released",
    }
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None => "default".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// `config` as dotted path → value, leaves only (the variant's name left out).
pub fn flatten(config: &RunConfig) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            Value::Null => {}
            leaf => {
                out.insert(prefix.to_string(), leaf.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(value) = serde_json::to_value(config) {
        walk("", &value, &mut out);
    }
    out.remove("variant");
    out
}

/// Every key the file states, as a dotted path (array elements by index,
/// `variant.2.set.train.lr`), with its line.
fn key_lines(text: &str) -> Result<BTreeMap<String, usize>, String> {
    let table = DeTable::parse(text).map_err(|e| e.to_string())?;
    let line = |offset: usize| crate::spec::line_at(text, offset);
    let mut out = BTreeMap::new();
    let mut stack: Vec<(String, &DeTable)> = vec![(String::new(), table.get_ref())];
    while let Some((prefix, table)) = stack.pop() {
        for (key, value) in table {
            let path = match prefix.is_empty() {
                true => key.get_ref().to_string(),
                false => format!("{prefix}.{}", key.get_ref()),
            };
            out.insert(path.clone(), line(key.span().start));
            match value.get_ref() {
                DeValue::Table(t) => stack.push((path, t)),
                DeValue::Array(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        if let DeValue::Table(t) = item.get_ref() {
                            stack.push((format!("{path}.{i}"), t));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The explanation as the plan prints it: a block per variant.
pub fn render(explained: &[Explained]) -> String {
    let mut out = String::new();
    for e in explained {
        let width = e.settings.iter().map(|s| s.key.len()).max().unwrap_or(0);
        let vwidth = e
            .settings
            .iter()
            .map(|s| s.value.chars().count())
            .max()
            .unwrap_or(0)
            .min(40);
        let _ = writeln!(out, "variant {}:", e.variant);
        for s in &e.settings {
            let _ = writeln!(out, "  {:width$}  {:vwidth$}  {}", s.key, s.value, s.source);
        }
    }
    out.push_str(
        "(settings of the released code's details that are not listed are at their defaults)\n",
    );
    out
}
