//! Getting a manifest file into the cache: already cached with the right
//! checksum → kept; else copied from the mirror; else downloaded from its
//! source address. Every copy is hashed while written to a temporary name
//! in the cache directory and renamed only when its sha256 matches, so a
//! corrupt or truncated file never sits in the cache under its real name,
//! and concurrent runs fetching the same file do not see half-written files.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::locations::Locations;
use super::manifest::{Dataset, FileEntry, Manifest};
use super::DatasetError;

/// Where a fetched file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Cached,
    Mirror,
    Download,
}

/// A file in the cache, and whether its checksum was checked (files the user
/// provides have none in the manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub path: PathBuf,
    pub origin: Origin,
    pub verified: bool,
}

/// The outcome for one file of a `fetch` run.
#[derive(Debug)]
pub struct FileReport {
    pub dataset: String,
    pub file: String,
    pub outcome: Result<Fetched, DatasetError>,
}

/// Fetches the named datasets, or with no names every file the mirror has.
/// One failed file does not stop the others; each has its own outcome.
pub fn fetch_datasets(
    manifest: &Manifest,
    locations: &Locations,
    names: &[String],
    download: bool,
) -> Result<Vec<FileReport>, DatasetError> {
    let selected: Vec<&Dataset> = if names.is_empty() {
        manifest.datasets.iter().collect()
    } else {
        names
            .iter()
            .map(|n| manifest.dataset(n))
            .collect::<Result<_, _>>()?
    };
    let mut reports = Vec::new();
    for dataset in selected {
        for file in &dataset.files {
            if names.is_empty() && !file.in_mirror {
                continue;
            }
            reports.push(FileReport {
                dataset: dataset.name.clone(),
                file: file.path.clone(),
                outcome: fetch_file(file, locations, download),
            });
        }
    }
    Ok(reports)
}

/// Makes sure `file` is in the cache and returns its path there. With
/// `download`, the mirror is ignored and the source address is used.
pub fn fetch_file(
    file: &FileEntry,
    locations: &Locations,
    download: bool,
) -> Result<Fetched, DatasetError> {
    if let Some((path, verified)) = cached_file(file, locations)? {
        return Ok(Fetched {
            path,
            origin: Origin::Cached,
            verified,
        });
    }
    match (&locations.mirror, download) {
        (Some(mirror), false) => copy_from_mirror(file, locations, mirror),
        _ => download_file(file, locations),
    }
}

/// The cached copy of `file`, stored or downloaded form, if it is intact,
/// and whether there was a checksum to say so.
pub fn cached_file(
    file: &FileEntry,
    locations: &Locations,
) -> Result<Option<(PathBuf, bool)>, DatasetError> {
    let forms = [
        (file.path.as_str(), file.sha256.as_deref()),
        (file.download_path(), file.download_sha256()),
    ];
    for (relative, expected) in forms {
        let path = locations.cached(relative);
        if !path.is_file() {
            continue;
        }
        match expected {
            None => return Ok(Some((path, false))),
            Some(expected) if sha256_file(&path)?.eq_ignore_ascii_case(expected) => {
                return Ok(Some((path, true)))
            }
            Some(_) => {}
        }
    }
    Ok(None)
}

fn copy_from_mirror(
    file: &FileEntry,
    locations: &Locations,
    mirror: &Path,
) -> Result<Fetched, DatasetError> {
    let source = mirror.join(&file.path);
    let reader = match std::fs::File::open(&source) {
        Ok(reader) => reader,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(missing(file, locations, mirror));
        }
        Err(e) => return Err(DatasetError::io(&source, e)),
    };
    let dest = locations.cached(&file.path);
    store(reader, &dest, &file.path, file.sha256.as_deref())?;
    Ok(Fetched {
        path: dest,
        origin: Origin::Mirror,
        verified: file.sha256.is_some(),
    })
}

fn missing(file: &FileEntry, locations: &Locations, mirror: &Path) -> DatasetError {
    if file.in_mirror {
        return DatasetError::MissingInMirror {
            file: file.path.clone(),
            mirror: mirror.to_path_buf(),
        };
    }
    DatasetError::NotInMirror {
        file: file.path.clone(),
        provide: provide_hint(file, locations),
    }
}

/// How to supply a file the mirror lacks: the manifest's advice and the exact cache path.
pub fn provide_hint(file: &FileEntry, locations: &Locations) -> String {
    let advice = file
        .provide
        .as_deref()
        .unwrap_or("Obtain it from its publisher.");
    format!(
        "{advice} Then copy it to {} (or into your mirror as {}) and run `runner data fetch` again.",
        locations.cached(&file.path).display(),
        file.path
    )
}

fn download_file(file: &FileEntry, locations: &Locations) -> Result<Fetched, DatasetError> {
    let Some(url) = &file.url else {
        return Err(DatasetError::NoSource {
            file: file.path.clone(),
        });
    };
    let response = ureq::get(url).call().map_err(|e| DatasetError::Download {
        url: url.clone(),
        source: Box::new(e),
        hint: file
            .provide
            .as_ref()
            .map(|_| format!(" {}", provide_hint(file, locations)))
            .unwrap_or_default(),
    })?;
    let reader = response.into_body().into_reader();
    let dest = locations.cached(file.download_path());
    let expected = file.download_sha256();
    store(reader, &dest, file.download_path(), expected)?;
    Ok(Fetched {
        path: dest,
        origin: Origin::Download,
        verified: expected.is_some(),
    })
}

/// Writes `reader` to `dest` through a temporary file, renaming it into place
/// only when its sha256 is `expected` (or when there is nothing to check).
/// Holds the directory's fetch lock meanwhile, so the temporary files of
/// `dest` that are there when it is taken were left by a killed fetch and are
/// removed (they would otherwise pile up in the cache, one per kill).
fn store(
    reader: impl Read,
    dest: &Path,
    name: &str,
    expected: Option<&str>,
) -> Result<(), DatasetError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| DatasetError::io(dir, e))?;
    let _lock = lock_fetches(dir)?;
    let file_name = dest.file_name().unwrap_or_default().to_string_lossy();
    crate::fs::remove_partials(dir, &[&file_name]).map_err(|e| DatasetError::io(dir, e))?;
    let mut temp = crate::fs::partial_file(dest).map_err(|e| DatasetError::io(dir, e))?;
    let actual = crate::fs::copy_hashing(reader, temp.as_file_mut())
        .map_err(|e| DatasetError::io(dest, e))?;
    if let Some(expected) = expected {
        if !actual.eq_ignore_ascii_case(expected) {
            let (file, expected) = (name.to_string(), expected.to_string());
            return Err(DatasetError::Checksum {
                file,
                expected,
                actual,
            });
        }
    }
    temp.persist(dest)
        .map_err(|e| DatasetError::io(dest, e.error))?;
    Ok(())
}

/// Waits for the exclusive lock of `dir/.fetch.lock`, held while a file is
/// written into `dir`; released when the returned file is dropped.
fn lock_fetches(dir: &Path) -> Result<std::fs::File, DatasetError> {
    let path = dir.join(".fetch.lock");
    let file = std::fs::File::create(&path).map_err(|e| DatasetError::io(&path, e))?;
    file.lock().map_err(|e| DatasetError::io(&path, e))?;
    Ok(file)
}

/// The sha256 of a file, in hex.
pub fn sha256_file(path: &Path) -> Result<String, DatasetError> {
    crate::fs::sha256_file(path).map_err(|e| DatasetError::io(path, e))
}
