//! Where datasets live: the workspace root (the directory holding
//! `data/datasets.toml`), the git-ignored cache, and the mirror to copy from.
//!
//! Resolved once from the current directory and the environment, then passed
//! explicitly, so that tests can point everything at a temporary directory.

use std::path::{Path, PathBuf};

use super::manifest::MANIFEST_PATH;
use super::DatasetError;

/// Overrides the cache directory (default `<root>/data/cache`).
pub const CACHE_ENV: &str = "ATNER_DATA_CACHE";
/// The mirror directory when `--mirror` is not given.
pub const MIRROR_ENV: &str = "ATNER_DATA_MIRROR";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locations {
    pub manifest: PathBuf,
    pub cache: PathBuf,
    /// `None`: no mirror, files are downloaded from their source address.
    pub mirror: Option<PathBuf>,
}

impl Locations {
    /// Finds the workspace from the current directory. The mirror is
    /// `mirror` if given, else `$ATNER_DATA_MIRROR`, else `<root>/../shared/data`
    /// when that directory exists.
    pub fn discover(mirror: Option<PathBuf>) -> Result<Self, DatasetError> {
        let cwd = std::env::current_dir().map_err(|e| DatasetError::io(Path::new("."), e))?;
        let root = workspace_root(&cwd)?;
        let env_path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let default_mirror = root.join("../shared/data");
        let mirror = mirror
            .or_else(|| env_path(MIRROR_ENV))
            .or_else(|| default_mirror.is_dir().then_some(default_mirror));
        Ok(Self {
            manifest: root.join(MANIFEST_PATH),
            cache: env_path(CACHE_ENV).unwrap_or_else(|| root.join("data/cache")),
            mirror,
        })
    }

    /// Where `relative` (a manifest path) lives in the cache.
    pub fn cached(&self, relative: &str) -> PathBuf {
        self.cache.join(relative)
    }
}

/// The nearest ancestor of `start` (itself included) that holds the manifest.
pub fn workspace_root(start: &Path) -> Result<PathBuf, DatasetError> {
    start
        .ancestors()
        .find(|dir| dir.join(MANIFEST_PATH).is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| DatasetError::NoWorkspace {
            start: start.to_path_buf(),
        })
}

/// A path relative to the workspace root when it lies inside it.
pub fn shown_path(path: &Path) -> String {
    let root = std::env::current_dir()
        .ok()
        .and_then(|cwd| workspace_root(&cwd).ok());
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    root.and_then(|r| absolute.strip_prefix(r).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_is_found_from_a_subdirectory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join(MANIFEST_PATH), "").unwrap();
        let deep = dir.path().join("crates/x/src");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(workspace_root(&deep).unwrap(), dir.path());
    }

    #[test]
    fn missing_workspace_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = workspace_root(dir.path()).unwrap_err();
        assert!(err.to_string().contains("no data/datasets.toml"), "{err}");
    }
}
