//! The file helpers every stage shares: atomic writes, JSON, sha256, locks
//! and a log's last lines. One way each.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};

/// `name.xz` beside `name`.
pub fn compressed_twin(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".xz");
    PathBuf::from(name)
}

/// Takes the exclusive lock of the file at `path` (created if missing),
/// waiting while another process holds it; released when the file is dropped.
pub fn wait_for_lock(path: &Path) -> anyhow::Result<File> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    file.lock()
        .with_context(|| format!("locking {}", path.display()))?;
    Ok(file)
}

/// The last `n` non-blank lines of a log (none if it cannot be read).
pub fn log_tail(path: &Path, n: usize) -> Vec<String> {
    let text = fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

/// Removes the temporary files a killed writer left in `dir`: names with
/// `.partial` that start with one of `prefixes`. Called by the process that
/// holds the lock on those files, so none of them is being written.
pub fn remove_partials(dir: &Path, prefixes: &[&str]) -> std::io::Result<()> {
    let named = |path: &Path, e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
    };
    for entry in fs::read_dir(dir).map_err(|e| named(dir, e))? {
        let path = entry.map_err(|e| named(dir, e))?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let ours = prefixes.iter().any(|p| name.starts_with(p));
        if ours && name.contains(".partial") && path.is_file() {
            fs::remove_file(&path).map_err(|e| named(&path, e))?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_through_partial(path, |partial| {
        fs::write(partial, bytes).with_context(|| format!("writing {}", partial.display()))
    })
}

/// Has `write` write the file under a temporary name beside it, then
/// renames it to `path`: readers see the old file or the whole new one, never
/// a part. The temporary file (`<name>.partial-<random>`) is removed when
/// `write` fails; one a killed process leaves behind is removed by the next
/// writer that holds the lock on it ([`remove_partials`]).
/// The one way files are written atomically here; the data cache's fetch
/// uses the same temporary file, kept only when its checksum holds.
pub fn write_through_partial(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let partial = partial_file(path)
        .with_context(|| format!("creating a temporary file beside {}", path.display()))?;
    write(partial.path())?;
    partial
        .persist(path)
        .map(drop)
        .with_context(|| format!("renaming a temporary file to {}", path.display()))
}

/// An empty temporary file beside `path`, named after it.
pub fn partial_file(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut prefix = path.file_name().unwrap_or_default().to_os_string();
    prefix.push(".partial-");
    // Created as `File::create` creates (0666 less the umask), not 0600: a
    // store on a cluster's shared disk is read by the other users' reports.
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o666);
    tempfile::Builder::new()
        .prefix(&prefix)
        .permissions(mode)
        .tempfile_in(dir)
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    write_atomic(path, &serde_json::to_vec_pretty(value)?)
}

/// Reads JSON from `path`, or from `path.xz` when only that exists (the
/// compressed predictions of committed results).
pub fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let compressed = compressed_twin(path);
    let text = if !path.exists() && compressed.exists() {
        atner::data::source::read_bytes(&compressed)?
    } else {
        fs::read(path).with_context(|| format!("reading {}", path.display()))?
    };
    serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a valid result file", path.display()))
}

/// Copies everything and returns the sha256 of what was copied, in hex.
pub fn copy_hashing(mut reader: impl Read, writer: &mut impl Write) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        writer.write_all(&buffer[..n])?;
    }
    writer.flush()?;
    Ok(hex(&hasher.finalize()))
}

/// The sha256 of a file, in hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    copy_hashing(File::open(path)?, &mut std::io::sink())
}

/// Bytes as lower-case hexadecimal (digests, run ids).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        // sha256("abc"), FIPS 180-2 appendix B.1.
        let digest = copy_hashing(&b"abc"[..], &mut std::io::sink()).expect("in memory");
        assert_eq!(
            digest,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_failed_write_leaves_neither_the_file_nor_a_partial() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("runs.csv");
        let failed = write_through_partial(&path, |partial| {
            fs::write(partial, b"half").expect("writable");
            anyhow::bail!("disk full")
        });
        assert!(failed.is_err());
        let left: Vec<_> = fs::read_dir(dir.path()).expect("readable").collect();
        assert!(left.is_empty(), "{left:?}");
        write_atomic(&path, b"whole").expect("written");
        assert_eq!(fs::read(&path).expect("readable"), b"whole");
        assert_eq!(fs::read_dir(dir.path()).expect("readable").count(), 1);
    }

    #[test]
    fn partial_files_are_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("runs.parquet.partial-7"), "x").expect("writable");
        fs::write(dir.path().join("checkpoint-002.partial"), "x").expect("writable");
        fs::write(dir.path().join("config.json"), "{}").expect("writable");
        fs::write(dir.path().join("other.partial-3"), "x").expect("writable");
        remove_partials(dir.path(), &["runs.", "checkpoint"]).expect("cleaned");
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .expect("readable")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["config.json", "other.partial-3"]);
    }
}
