//! The committed manifest against the real mirror: every stored file has its
//! checksum and reproduces the manifest's counts. Skips, saying so, when the
//! mirror (`../shared/data` or `$ATNER_DATA_MIRROR`) is absent.

use std::path::PathBuf;

use runner::dataset::stats::{self, Checksum};
use runner::dataset::{Locations, Manifest};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn committed_manifest_matches_every_file_of_the_mirror() {
    let default = workspace().join("../shared/data");
    let mirror = std::env::var_os("ATNER_DATA_MIRROR")
        .map(PathBuf::from)
        .unwrap_or(default);
    if !mirror.is_dir() {
        eprintln!(
            "skipped: no data mirror at {} (set ATNER_DATA_MIRROR)",
            mirror.display()
        );
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let locations = Locations {
        manifest: workspace().join("data/datasets.toml"),
        cache: cache.path().to_path_buf(),
        mirror: Some(mirror),
    };
    let manifest = Manifest::load(&locations.manifest).unwrap();
    let all = stats::collect(&manifest, &locations, 0).unwrap();
    for dataset in &all {
        for row in &dataset.rows {
            let file = row.file.as_deref().unwrap_or("sampled");
            assert!(row.differences.is_empty(), "{file}: {:?}", row.differences);
            assert_ne!(row.checksum, Checksum::Mismatch, "{file}");
        }
    }
    let missing: Vec<&str> = all
        .iter()
        .flat_map(|d| &d.missing)
        .map(|m| m.file.as_str())
        .collect();
    assert_eq!(missing, ["msr_cws/msr_training.utf8"]);
}
