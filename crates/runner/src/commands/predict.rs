//! `runner predict --run <run>`: tags raw Chinese text, one sentence a line,
//! with a finished run's best-dev weights, vocabulary and tag set.
//!
//! Input is read whole and checked before anything is printed: a line that is
//! not UTF-8 stops the command, naming file and line. Whitespace is not a
//! token (no training sentence holds any) but offsets count it: they are
//! character offsets into the line as given, end exclusive. A character never
//! seen in training reads as the unknown character. An empty line yields an
//! empty sentence. A line longer than `--max-chars` characters is tagged in
//! consecutive windows of that many (an entity across a window edge is split).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use atner::data::Vocab;
use atner::encode::TagSet;
use atner::metrics::{chunks, Scheme};
use atner::model::{Batch, Dims, Model, Task};
use serde::Serialize;
use tch::{nn, Device, Tensor};

use crate::plan::PlannedRun;
use crate::store::read_json;

#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// A finished run: its directory, or its id under results/*/runs/.
    #[arg(long)]
    pub run: String,
    /// conll (character and tag per line), json (one object per line) or
    /// spans (one entity per line: line, start, end, type, text).
    #[arg(long, value_enum, default_value_t = Format::Conll)]
    pub format: Format,
    /// Text files, one sentence a line; none or `-`: standard input.
    pub files: Vec<PathBuf>,
    /// Longest window the model reads at once, in characters.
    #[arg(long, default_value_t = 500)]
    pub max_chars: usize,
    /// cpu, cuda or auto.
    #[arg(long, value_enum, default_value_t = super::DeviceArg::Cpu)]
    pub device: super::DeviceArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Conll,
    Json,
    Spans,
}

/// One input line: where it came from and its non-space characters with
/// their offsets.
struct Line {
    source: String,
    number: usize,
    text: String,
    tokens: Vec<(usize, String)>,
}

/// An entity found in a line; offsets in characters, end exclusive.
#[derive(Debug, Serialize, PartialEq)]
pub struct Entity {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub label: String,
    pub text: String,
}

pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    if args.max_chars == 0 {
        bail!("--max-chars must be at least 1");
    }
    let dir = find_run(&args.run)?;
    let lines = read_input(&args.files)?;
    let tagger = Tagger::load(&dir, args.device.device()?)?;
    let sentences: Vec<Vec<String>> = lines
        .iter()
        .map(|l| l.tokens.iter().map(|(_, c)| c.clone()).collect())
        .collect();
    let tags = tagger.tag(&sentences, args.max_chars);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (line, tags) in lines.iter().zip(&tags) {
        write_line(&mut out, args.format, line, tags)?;
    }
    out.flush()?;
    Ok(())
}

/// A run directory as given, or `results/*/runs/<id>` in the workspace.
fn find_run(arg: &str) -> anyhow::Result<PathBuf> {
    let path = Path::new(arg);
    if path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let root = crate::dataset::locations::workspace_root(&std::env::current_dir()?)?;
    let results = root.join("results");
    let found: Vec<PathBuf> = std::fs::read_dir(&results)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("runs").join(arg))
        .filter(|p| p.is_dir())
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!(
            "--run {arg:?}: neither a directory nor a run id under {}",
            results.display()
        ),
        many => bail!(
            "--run {arg:?}: found in several stores ({}); give the directory",
            many.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Every line of every input, checked to be UTF-8 before any is tagged.
fn read_input(files: &[PathBuf]) -> anyhow::Result<Vec<Line>> {
    let mut sources: Vec<(String, Vec<u8>)> = Vec::new();
    let stdin = files.is_empty() || (files.len() == 1 && files[0].as_os_str() == "-");
    if stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
        sources.push(("<stdin>".into(), bytes));
    } else {
        for file in files {
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            sources.push((file.display().to_string(), bytes));
        }
    }
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for (source, bytes) in &sources {
        if bytes.is_empty() {
            continue;
        }
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        for (i, raw) in body.split(|b| *b == b'\n').enumerate() {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            match std::str::from_utf8(raw) {
                Ok(text) => lines.push(line(source, i + 1, text)),
                Err(e) => bad.push(format!(
                    "{source}:{}: not UTF-8 (invalid byte at byte {})",
                    i + 1,
                    e.valid_up_to()
                )),
            }
        }
    }
    if !bad.is_empty() {
        let shown = bad.iter().take(5).cloned().collect::<Vec<_>>().join("\n");
        bail!(
            "{} input lines are not UTF-8; nothing was tagged:\n{shown}",
            bad.len()
        );
    }
    Ok(lines)
}

fn line(source: &str, number: usize, text: &str) -> Line {
    let tokens = text
        .chars()
        .enumerate()
        .filter(|(_, c)| !c.is_whitespace())
        .map(|(i, c)| (i, c.to_string()))
        .collect();
    Line {
        source: source.to_string(),
        number,
        text: text.to_string(),
        tokens,
    }
}

/// A finished run's model, ready to tag.
pub struct Tagger {
    _vs: nn::VarStore,
    model: Model,
    vocab: Vocab,
    tags: TagSet,
    device: Device,
}

impl Tagger {
    /// Loads `best.pt`, `vocab.txt`, `tags.json` and the configuration of run `dir`.
    pub fn load(dir: &Path, device: Device) -> anyhow::Result<Self> {
        if !dir.join(crate::store::DONE).exists() {
            bail!(
                "{}: the run has not finished (no DONE); only finished runs can tag",
                dir.display()
            );
        }
        let planned: PlannedRun = read_json(&dir.join("config.json"))?;
        let vocab = Vocab::load(&dir.join("vocab.txt"))?;
        let tags: TagSet = read_json(&dir.join("tags.json"))?;
        let weights = dir.join(crate::store::WEIGHTS);
        if !weights.exists() {
            bail!(
                "{}: the run's weights are not kept here (committed results carry none); \
                 sweep its experiment into another store (runner sweep EXPERIMENT --results DIR): \
                 the run id is the same and training with the same threads gives the same weights",
                weights.display()
            );
        }
        let saved = Tensor::load_multi_with_device(&weights, device)
            .with_context(|| format!("reading {}", weights.display()))?;
        let embedding = embedding_dim(&saved)
            .with_context(|| format!("{}: no embedding.weight", weights.display()))?;
        let vs = nn::VarStore::new(device);
        let dims = Dims {
            vocab: vocab.len() as i64,
            embedding,
            ner_tags: tags.len() as i64,
            cws_tags: TagSet::cws().len() as i64,
        };
        // The run's precision where this device runs it natively, else fp32
        // (the weights are fp32 either way; only rounding differs).
        let precision = Some(planned.config.train.precision)
            .filter(|p| p.check(device).is_ok())
            .unwrap_or_default();
        let model =
            Model::new(&vs.root(), &planned.config.model, dims, None).in_precision(precision);
        copy_weights(&vs, &saved)
            .with_context(|| format!("{}: not the weights of this run", weights.display()))?;
        Ok(Self {
            _vs: vs,
            model,
            vocab,
            tags,
            device,
        })
    }

    /// Tags of every sentence (characters), each read in windows of at most
    /// `window` characters.
    pub fn tag(&self, sentences: &[Vec<String>], window: usize) -> Vec<Vec<String>> {
        let mut pieces: Vec<(usize, Vec<i64>)> = Vec::new();
        for (i, s) in sentences.iter().enumerate() {
            for chunk in s.chunks(window) {
                let ids = chunk.iter().map(|c| self.vocab.id(c)).collect();
                pieces.push((i, ids));
            }
        }
        // Longest first, as batches must be; 64 pieces a batch.
        let mut order: Vec<usize> = (0..pieces.len()).collect();
        order.sort_by_key(|&p| std::cmp::Reverse(pieces[p].1.len()));
        let mut decoded = vec![Vec::new(); pieces.len()];
        for group in order.chunks(64) {
            let zeros: Vec<Vec<i64>> = group.iter().map(|&p| vec![0; pieces[p].1.len()]).collect();
            let rows: Vec<(&[i64], &[i64])> = group
                .iter()
                .zip(&zeros)
                .map(|(&p, z)| (pieces[p].1.as_slice(), z.as_slice()))
                .collect();
            let batch = Batch::new(&rows, self.device);
            for (&p, tags) in group.iter().zip(self.model.decode(Task::Ner, &batch)) {
                decoded[p] = tags;
            }
        }
        let mut out = vec![Vec::new(); sentences.len()];
        for ((i, _), tags) in pieces.iter().zip(decoded) {
            out[*i].extend(self.tags.names(&tags));
        }
        out
    }
}

impl Tagger {
    /// The shared space's pooled view of each sentence (`[n, dim]`, in the
    /// order given; [`Model::pooled_shared`]); `None` for a run without a
    /// shared BiLSTM.
    pub fn pooled_shared(&self, sentences: &[Vec<String>]) -> Option<Tensor> {
        let ids: Vec<Vec<i64>> = sentences
            .iter()
            .map(|s| s.iter().map(|c| self.vocab.id(c)).collect())
            .collect();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
        let mut rows: Vec<(usize, Tensor)> = Vec::with_capacity(ids.len());
        for group in order.chunks(64) {
            let zeros: Vec<Vec<i64>> = group.iter().map(|&i| vec![0; ids[i].len()]).collect();
            let batch: Vec<(&[i64], &[i64])> = group
                .iter()
                .zip(&zeros)
                .map(|(&i, z)| (ids[i].as_slice(), z.as_slice()))
                .collect();
            let pooled = self.model.pooled_shared(&Batch::new(&batch, self.device))?;
            for (k, &i) in group.iter().enumerate() {
                rows.push((i, pooled.get(k as i64)));
            }
        }
        rows.sort_by_key(|(i, _)| *i);
        let rows: Vec<Tensor> = rows.into_iter().map(|(_, t)| t).collect();
        Some(Tensor::stack(&rows, 0).to_device(Device::Cpu))
    }
}

/// d_e, read from the embedding table's shape in the saved weights.
fn embedding_dim(saved: &[(String, Tensor)]) -> Option<i64> {
    saved
        .iter()
        .find(|(name, t)| name == "embedding.weight" && t.dim() == 2)
        .map(|(_, t)| t.size()[1])
}

/// Copies every variable of `vs` from `saved`, which must hold each with its shape.
fn copy_weights(vs: &nn::VarStore, saved: &[(String, Tensor)]) -> anyhow::Result<()> {
    tch::no_grad(|| {
        for (name, variable) in vs.variables() {
            let Some((_, value)) = saved.iter().find(|(n, _)| *n == name) else {
                bail!("no {name}");
            };
            if value.size() != variable.size() {
                bail!(
                    "{name} has shape {:?}, the model {:?}",
                    value.size(),
                    variable.size()
                );
            }
            variable.shallow_clone().copy_(value);
        }
        Ok(())
    })
}

/// The entities of a tagged line, with offsets into the line.
pub fn entities(tokens: &[(usize, String)], tags: &[String]) -> Vec<Entity> {
    let spans = chunks(tags, Scheme::Conlleval).expect("conlleval reads any tags");
    spans
        .into_iter()
        .map(|span| {
            let text = tokens[span.start..span.end]
                .iter()
                .map(|(_, c)| c.as_str())
                .collect();
            Entity {
                start: tokens[span.start].0,
                end: tokens[span.end - 1].0 + 1,
                label: span.label,
                text,
            }
        })
        .collect()
}

fn write_line(
    out: &mut impl Write,
    format: Format,
    line: &Line,
    tags: &[String],
) -> std::io::Result<()> {
    match format {
        Format::Conll => {
            for ((_, c), tag) in line.tokens.iter().zip(tags) {
                writeln!(out, "{c}\t{tag}")?;
            }
            writeln!(out)
        }
        Format::Json => {
            #[derive(Serialize)]
            struct Tagged<'a> {
                source: &'a str,
                line: usize,
                text: &'a str,
                entities: Vec<Entity>,
            }
            let tagged = Tagged {
                source: &line.source,
                line: line.number,
                text: &line.text,
                entities: entities(&line.tokens, tags),
            };
            let json = serde_json::to_string(&tagged).expect("serialisable");
            writeln!(out, "{json}")
        }
        Format::Spans => {
            for e in entities(&line.tokens, tags) {
                let (source, n) = (&line.source, line.number);
                writeln!(
                    out,
                    "{source}:{n}\t{}\t{}\t{}\t{}",
                    e.start, e.end, e.label, e.text
                )?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_spaces_but_spaces_are_not_tokens() {
        let l = line("-", 1, "我 在北京");
        let chars: Vec<&str> = l.tokens.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(chars, ["我", "在", "北", "京"]);
        let tags: Vec<String> = ["O", "O", "B-GPE", "I-GPE"].map(String::from).to_vec();
        let found = entities(&l.tokens, &tags);
        assert_eq!(
            found,
            [Entity {
                start: 3,
                end: 5,
                label: "GPE".into(),
                text: "北京".into()
            }]
        );
        let chars: Vec<char> = l.text.chars().collect();
        assert_eq!(chars[3..5].iter().collect::<String>(), "北京");
    }

    #[test]
    fn non_utf8_lines_are_named_and_nothing_is_tagged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("in.txt");
        std::fs::write(&path, b"\xe6\x88\x91\n\xff\xfe\n").expect("writable");
        let err = read_input(std::slice::from_ref(&path))
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains(&format!("{}:2: not UTF-8", path.display())),
            "{err}"
        );
        assert!(err.contains("nothing was tagged"), "{err}");
    }

    #[test]
    fn empty_lines_are_empty_sentences() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "我\n\n  \r\n他\n").expect("writable");
        let lines = read_input(std::slice::from_ref(&path)).expect("read");
        let counts: Vec<usize> = lines.iter().map(|l| l.tokens.len()).collect();
        assert_eq!(counts, [1, 0, 0, 1]);
        assert_eq!(lines[3].number, 4);
    }
}
