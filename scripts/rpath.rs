// Shared by the crates' build scripts: point the rpath of every binary and test
// at `$LIBTORCH/lib`, the libtorch that tch was built against, and name its
// version (`ATNER_LIBTORCH_VERSION`, recorded in every run's machine).
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    let mut version = String::from("unknown");
    if let Ok(libtorch) = std::env::var("LIBTORCH") {
        let root = std::path::Path::new(&libtorch);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", root.join("lib").display());
        // A pip-installed torch has version.py; a libtorch archive, build-version.
        let python = root.join("version.py");
        let archive = root.join("build-version");
        println!("cargo:rerun-if-changed={}", python.display());
        println!("cargo:rerun-if-changed={}", archive.display());
        let from_python = std::fs::read_to_string(&python).ok().and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("__version__"))?;
            Some(line.split('\'').nth(1)?.to_string())
        });
        let from_archive = std::fs::read_to_string(&archive)
            .ok()
            .map(|t| t.trim().to_string());
        if let Some(found) = from_python.or(from_archive) {
            version = found;
        }
    }
    println!("cargo:rustc-env=ATNER_LIBTORCH_VERSION={version}");
}
