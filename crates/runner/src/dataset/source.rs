//! Where a run's NER corpus, CWS corpus or vectors come from: a name from
//! the manifest (`ner = "weibo"`), or one's own files by path:
//!
//! ```toml
//! [data.ner]
//! train = "corpora/resume/train.char.bmes"
//! dev = "corpora/resume/dev.char.bmes"     # optional: else dev_fraction of train
//! test = "corpora/resume/test.char.bmes"
//! format = "conll"                          # conll (default), msra, weibo-original, weibo-updated
//! scheme = "auto"                           # conll only: auto, bio, iob1, bioes, bmes
//! ```
//!
//! Relative paths are resolved against the experiment file (or the current
//! directory for `--set` and `runner train`), `~` against the home directory,
//! when the spec is read; a run's configuration holds absolute paths, and its
//! id hashes them together with every file's SHA-256.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{DatasetError, DatasetFiles, Format, Split, Task};
use atner::data::conll::TagScheme;

/// A manifest name or a set of local files.
#[derive(Debug, Clone, PartialEq)]
pub enum Source<F> {
    Name(String),
    Files(F),
}

/// An NER corpus by path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NerFiles {
    /// What reports call the corpus (default: the training file's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub train: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<PathBuf>,
    pub test: PathBuf,
    #[serde(default = "conll")]
    pub format: Format,
    #[serde(default)]
    pub scheme: TagScheme,
    /// Share of train sampled as dev (by `data.split_seed`) when there is no dev file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_fraction: Option<f64>,
}

/// A CWS corpus by path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CwsFiles {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub train: PathBuf,
    /// `words` (space-separated words; the default).
    #[serde(default = "words")]
    pub format: Format,
}

/// Character vectors by path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFiles {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub path: PathBuf,
    /// `word2vec` (text, header optional; the default), `word2vec-binary` or `glove`.
    #[serde(default = "word2vec")]
    pub format: Format,
}

fn conll() -> Format {
    Format::Conll
}

fn words() -> Format {
    Format::Segmented
}

fn word2vec() -> Format {
    Format::Word2vec
}

/// What the three kinds of file set have in common.
pub trait Files {
    const TASK: Task;
    /// The formats this role accepts.
    const FORMATS: &'static [Format];
    fn name(&self) -> Option<&str>;
    fn format(&self) -> Format;
    /// The files by split, in a fixed order.
    fn paths(&self) -> Vec<(Split, &Path)>;
    fn paths_mut(&mut self) -> Vec<&mut PathBuf>;
    fn dev_fraction(&self) -> Option<f64> {
        None
    }
    fn scheme(&self) -> TagScheme {
        TagScheme::Auto
    }
}

impl Files for NerFiles {
    const TASK: Task = Task::Ner;
    const FORMATS: &'static [Format] = &[
        Format::Conll,
        Format::Sighan,
        Format::WeiboOriginal,
        Format::WeiboUpdated,
    ];
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn format(&self) -> Format {
        self.format
    }
    fn paths(&self) -> Vec<(Split, &Path)> {
        let mut paths = vec![(Split::Train, self.train.as_path())];
        paths.extend(self.dev.as_deref().map(|p| (Split::Dev, p)));
        paths.push((Split::Test, self.test.as_path()));
        paths
    }
    fn paths_mut(&mut self) -> Vec<&mut PathBuf> {
        let mut paths = vec![&mut self.train, &mut self.test];
        paths.extend(self.dev.as_mut());
        paths
    }
    fn dev_fraction(&self) -> Option<f64> {
        self.dev_fraction
    }
    fn scheme(&self) -> TagScheme {
        self.scheme
    }
}

impl Files for CwsFiles {
    const TASK: Task = Task::Cws;
    const FORMATS: &'static [Format] = &[Format::Segmented];
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn format(&self) -> Format {
        self.format
    }
    fn paths(&self) -> Vec<(Split, &Path)> {
        vec![(Split::Train, self.train.as_path())]
    }
    fn paths_mut(&mut self) -> Vec<&mut PathBuf> {
        vec![&mut self.train]
    }
}

impl Files for VectorFiles {
    const TASK: Task = Task::Embeddings;
    const FORMATS: &'static [Format] = &[Format::Word2vec, Format::Word2vecBinary, Format::Glove];
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn format(&self) -> Format {
        self.format
    }
    fn paths(&self) -> Vec<(Split, &Path)> {
        vec![(Split::Vectors, self.path.as_path())]
    }
    fn paths_mut(&mut self) -> Vec<&mut PathBuf> {
        vec![&mut self.path]
    }
}

impl<F: Files> Source<F> {
    /// What reports and tables call it: the manifest name, or the `name`
    /// given with the files, else the first file's name.
    pub fn label(&self) -> String {
        match self {
            Source::Name(name) => name.clone(),
            Source::Files(files) => files.name().map(str::to_string).unwrap_or_else(|| {
                let first = files.paths().first().map(|(_, p)| p.to_path_buf());
                let name = first.as_deref().and_then(Path::file_name);
                name.map_or_else(|| "?".into(), |n| n.to_string_lossy().into_owned())
            }),
        }
    }

    /// The manifest name, when it is one.
    pub fn manifest_name(&self) -> Option<&str> {
        match self {
            Source::Name(name) => Some(name),
            Source::Files(_) => None,
        }
    }

    /// The files to read: fetched into the cache for a manifest name, as
    /// given otherwise (a missing file is an error naming it).
    pub fn files(&self) -> Result<DatasetFiles, DatasetError> {
        let files = match self {
            Source::Name(name) => return super::dataset_files(name),
            Source::Files(files) => files,
        };
        let mut by_split = std::collections::BTreeMap::new();
        for (split, path) in files.paths() {
            if !path.is_file() {
                let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
                return Err(DatasetError::io(path, missing));
            }
            by_split.insert(split, path.to_path_buf());
        }
        Ok(DatasetFiles {
            name: self.label(),
            task: F::TASK,
            format: files.format(),
            dev_fraction: files.dev_fraction(),
            scheme: files.scheme(),
            files: by_split,
        })
    }

    /// Why these files cannot serve their role, if they cannot: the field
    /// (`format`, `dev_fraction`) and what is wrong with its value.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let Source::Files(files) = self else {
            return None;
        };
        if !F::FORMATS.contains(&files.format()) {
            let accepted: Vec<String> = F::FORMATS.iter().map(|f| f.to_string()).collect();
            let why = format!(
                "\"{}\": not a format of this kind of data (accepted: {})",
                files.format(),
                accepted.join(", ")
            );
            return Some(("format", why));
        }
        match files.dev_fraction() {
            Some(f) if !(f > 0.0 && f < 1.0) => Some((
                "dev_fraction",
                format!("{f}: a share of train is in (0, 1)"),
            )),
            _ => None,
        }
    }

    /// Makes every path absolute: `~/` against the home directory, a
    /// relative one against `base`.
    pub fn resolve(&mut self, base: &Path) {
        if let Source::Files(files) = self {
            for path in files.paths_mut() {
                *path = resolve_path(path, base);
            }
        }
    }
}

fn resolve_path(path: &Path, base: &Path) -> PathBuf {
    let joined = match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => base.join(path),
    };
    // `experiments/../data/x` reads as `data/x` in provenance; symbolic
    // links are left as given.
    let mut clean = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::ParentDir if clean.parent().is_some() => {
                clean.pop();
            }
            std::path::Component::CurDir => {}
            other => clean.push(other),
        }
    }
    clean
}

/// A name serialises as the string it was written as, so that the run ids
/// of experiments that name manifest datasets stay what they were.
impl<F: Serialize> Serialize for Source<F> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Source::Name(name) => serializer.serialize_str(name),
            Source::Files(files) => files.serialize(serializer),
        }
    }
}

/// A string is a manifest name; a table is a set of files, whose unknown
/// or missing keys are named in the error.
impl<'de, F: Deserialize<'de>> Deserialize<'de> for Source<F> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<F>(std::marker::PhantomData<F>);
        impl<'de, F: Deserialize<'de>> serde::de::Visitor<'de> for Visit<F> {
            type Value = Source<F>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a dataset name from data/datasets.toml or a table of files")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(Source::Name(name.to_string()))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                map: M,
            ) -> Result<Self::Value, M::Error> {
                let files = F::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Source::Files(files))
            }
        }
        deserializer.deserialize_any(Visit(std::marker::PhantomData))
    }
}

impl<F> From<&str> for Source<F> {
    fn from(name: &str) -> Self {
        Source::Name(name.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_against_the_base_and_lose_dot_segments() {
        let base = Path::new("/work/x/experiments");
        let resolve = |p: &str| resolve_path(Path::new(p), base);
        assert_eq!(resolve("../data/a.txt"), Path::new("/work/x/data/a.txt"));
        assert_eq!(
            resolve("./b/./c.txt"),
            Path::new("/work/x/experiments/b/c.txt")
        );
        assert_eq!(resolve("/abs/d.txt"), Path::new("/abs/d.txt"));
        if let Some(home) = std::env::var_os("HOME") {
            assert_eq!(resolve("~/v.txt"), PathBuf::from(home).join("v.txt"));
        }
    }

    #[test]
    fn a_name_and_a_table_read_back_as_written() {
        let name: Source<NerFiles> = serde_json::from_str("\"weibo\"").expect("a name");
        assert_eq!(name, Source::Name("weibo".into()));
        assert_eq!(serde_json::to_string(&name).expect("json"), "\"weibo\"");
        let table = r#"{"train": "a", "test": "b", "scheme": "bmes"}"#;
        let files: Source<NerFiles> = serde_json::from_str(table).expect("files");
        let Source::Files(f) = &files else {
            panic!("a table is files")
        };
        assert_eq!((f.format, f.scheme), (Format::Conll, TagScheme::Bmes));
        let again: Source<NerFiles> =
            serde_json::from_str(&serde_json::to_string(&files).expect("json")).expect("back");
        assert_eq!(again, files);
        let typo = serde_json::from_str::<Source<NerFiles>>(r#"{"trian": "a", "test": "b"}"#);
        assert!(typo.expect_err("refused").to_string().contains("trian"));
    }
}
