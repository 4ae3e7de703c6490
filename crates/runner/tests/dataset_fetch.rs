//! `runner data fetch` on a tiny mirror in a temporary directory: copies and
//! verifies, refuses a corrupted file, skips what is cached, explains a file
//! the mirror lacks, and resolves a dataset's files for training.

use std::path::Path;

use runner::dataset::fetch::sha256_file;
use runner::dataset::{fetch_datasets, resolve, DatasetError, Locations, Manifest, Origin, Split};

const TRAIN: &str = "张三/nr 在/o 北京/ns \n微软/nt 好/o \n一/o \n二/o \n三/o \n四/o \n五/o \n六/o \n七/o \n八/o \n";
const TEST: &str = "李四/nr 说/o \n";

struct Setup {
    _dir: tempfile::TempDir,
    manifest: Manifest,
    locations: Locations,
}

/// A mirror with `tiny/train.txt` and `tiny/test.txt`, and a manifest that
/// also lists `tiny/extra.txt` as not in the mirror.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    std::fs::create_dir_all(mirror.join("tiny")).unwrap();
    std::fs::write(mirror.join("tiny/train.txt"), TRAIN).unwrap();
    std::fs::write(mirror.join("tiny/test.txt"), TEST).unwrap();
    let sha = |name: &str| sha256_file(&mirror.join(name)).unwrap();
    let manifest_text = format!(
        r#"
[[dataset]]
name = "tiny"
task = "ner"
format = "sighan"
citation = "test"
source = "https://example.invalid"
dev_fraction = 0.1

[[dataset.file]]
path = "tiny/train.txt"
split = "train"
sha256 = "{}"
counts = {{ sentences = 10 }}

[[dataset.file]]
path = "tiny/test.txt"
split = "test"
sha256 = "{}"

[[dataset]]
name = "partial"
task = "cws"
format = "segmented"
citation = "test"
source = "https://example.invalid"

[[dataset.file]]
path = "tiny/extra.txt"
split = "train"
in_mirror = false
provide = "Ask the author."
"#,
        sha("tiny/train.txt"),
        sha("tiny/test.txt")
    );
    let manifest_path = dir.path().join("datasets.toml");
    std::fs::write(&manifest_path, manifest_text).unwrap();
    let manifest = Manifest::load(&manifest_path).unwrap();
    let locations = Locations {
        manifest: manifest_path,
        cache: dir.path().join("cache"),
        mirror: Some(mirror),
    };
    Setup {
        _dir: dir,
        manifest,
        locations,
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn mirror(setup: &Setup) -> &Path {
    setup.locations.mirror.as_deref().unwrap()
}

#[test]
fn fetch_copies_and_verifies_every_mirrored_file() {
    let s = setup();
    let reports = fetch_datasets(&s.manifest, &s.locations, &[], false).unwrap();
    assert_eq!(
        reports.len(),
        2,
        "the not-in-mirror file is skipped without names"
    );
    for report in reports {
        let fetched = report.outcome.unwrap();
        assert_eq!((fetched.origin, fetched.verified), (Origin::Mirror, true));
    }
    let cached = std::fs::read_to_string(s.locations.cache.join("tiny/train.txt")).unwrap();
    assert_eq!(cached, TRAIN);
}

#[test]
fn fetch_skips_files_already_cached_with_the_right_checksum() {
    let s = setup();
    fetch_datasets(&s.manifest, &s.locations, &names(&["tiny"]), false).unwrap();
    let again = fetch_datasets(&s.manifest, &s.locations, &names(&["tiny"]), false).unwrap();
    assert!(again
        .iter()
        .all(|r| r.outcome.as_ref().unwrap().origin == Origin::Cached));
}

#[test]
fn fetch_replaces_a_cached_file_whose_checksum_is_wrong() {
    let s = setup();
    let cached = s.locations.cache.join("tiny/test.txt");
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    std::fs::write(&cached, "stale").unwrap();
    let reports = fetch_datasets(&s.manifest, &s.locations, &names(&["tiny"]), false).unwrap();
    assert!(reports
        .iter()
        .all(|r| r.outcome.as_ref().unwrap().origin == Origin::Mirror));
    assert_eq!(std::fs::read_to_string(cached).unwrap(), TEST);
}

#[test]
fn fetch_refuses_a_corrupted_file_and_leaves_nothing_in_the_cache() {
    let s = setup();
    std::fs::write(mirror(&s).join("tiny/train.txt"), "corrupted").unwrap();
    let reports = fetch_datasets(&s.manifest, &s.locations, &names(&["tiny"]), false).unwrap();
    let err = reports[0].outcome.as_ref().unwrap_err();
    assert!(matches!(err, DatasetError::Checksum { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("tiny/train.txt: sha256 mismatch"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(s.locations.cache.join("tiny"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != ".fetch.lock")
        .collect();
    assert_eq!(left, ["test.txt"], "no corrupt or temporary file is left");
}

#[test]
fn fetch_removes_the_temporary_file_a_killed_fetch_left() {
    let s = setup();
    let dir = s.locations.cache.join("tiny");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("train.txt.partial-Ab3xYz"), "half a fi").unwrap();
    fetch_datasets(&s.manifest, &s.locations, &names(&["tiny"]), false).unwrap();
    let mut left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, [".fetch.lock", "test.txt", "train.txt"]);
}

#[test]
fn fetch_of_a_file_not_in_the_mirror_says_how_to_provide_it() {
    let s = setup();
    let reports = fetch_datasets(&s.manifest, &s.locations, &names(&["partial"]), false).unwrap();
    let err = reports[0].outcome.as_ref().unwrap_err().to_string();
    assert!(
        err.contains("tiny/extra.txt: not available from the mirror"),
        "{err}"
    );
    assert!(
        err.contains("Ask the author.") && err.contains("cache/tiny/extra.txt"),
        "{err}"
    );
}

#[test]
fn a_user_provided_file_without_checksum_is_used_unverified() {
    let s = setup();
    std::fs::write(mirror(&s).join("tiny/extra.txt"), "我 们\n").unwrap();
    let reports = fetch_datasets(&s.manifest, &s.locations, &names(&["partial"]), false).unwrap();
    let fetched = reports[0].outcome.as_ref().unwrap();
    assert_eq!((fetched.origin, fetched.verified), (Origin::Mirror, false));
}

#[test]
fn fetch_of_an_unknown_dataset_is_an_error() {
    let s = setup();
    let err = fetch_datasets(&s.manifest, &s.locations, &names(&["nope"]), false).unwrap_err();
    assert!(err.to_string().contains("unknown dataset `nope`"), "{err}");
}

#[test]
fn resolve_fetches_on_demand_and_samples_the_dev_split() {
    let s = setup();
    let files = resolve(&s.manifest, &s.locations, "tiny").unwrap();
    assert_eq!(
        files.path(Split::Train).unwrap(),
        s.locations.cache.join("tiny/train.txt")
    );
    let splits = files.ner_splits(atner::data::WeiboMode::Named, 0).unwrap();
    let sizes = (
        splits.train.sentences.len(),
        splits.dev.sentences.len(),
        splits.test.sentences.len(),
    );
    assert_eq!(sizes, (9, 1, 1));
    assert_eq!(splits.test.sentences[0].tags, ["B-PER", "I-PER", "O"]);
}

/// Serves `body` once over HTTP on 127.0.0.1 and returns the file's URL.
fn serve_once(body: &'static [u8]) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 2 {
            line.clear();
        }
        let mut stream = reader.into_inner();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
    });
    format!("http://127.0.0.1:{port}/train1.txt")
}

#[test]
fn without_mirror_the_raw_file_is_downloaded_and_verified() {
    let s = setup();
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw.txt");
    std::fs::write(&raw, TEST).unwrap();
    let mut file = s.manifest.dataset("tiny").unwrap().files[1].clone();
    file.path = "tiny/test.txt.xz".into();
    file.url = Some(serve_once(TEST.as_bytes()));
    file.url_sha256 = Some(sha256_file(&raw).unwrap());
    let locations = Locations {
        mirror: None,
        ..s.locations.clone()
    };
    let fetched = runner::dataset::fetch_file(&file, &locations, false).unwrap();
    assert_eq!((fetched.origin, fetched.verified), (Origin::Download, true));
    assert_eq!(
        fetched.path,
        locations.cache.join("tiny/test.txt"),
        "stored uncompressed"
    );
    let again = runner::dataset::fetch_file(&file, &locations, false).unwrap();
    assert_eq!(again.origin, Origin::Cached);
}

#[test]
fn a_download_with_the_wrong_checksum_is_refused() {
    let s = setup();
    let mut file = s.manifest.dataset("tiny").unwrap().files[1].clone();
    file.url = Some(serve_once(b"tampered"));
    let locations = Locations {
        mirror: None,
        ..s.locations.clone()
    };
    let err = runner::dataset::fetch_file(&file, &locations, false).unwrap_err();
    assert!(matches!(err, DatasetError::Checksum { .. }), "{err}");
    assert!(!locations.cache.join("tiny/test.txt").exists());
}
