//! The `osprey` binary end to end: formats, output files, exit codes and error messages.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn osprey(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(args)
        .env("OSPREY_CACHE_DIR", cache)
        .output()
        .expect("osprey runs")
}

fn app_oci() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/images/out/app/oci");
    assert!(p.is_dir(), "shared fixtures missing at {}", p.display());
    format!("oci:{}:latest", p.display())
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "osprey failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn sbom_formats_on_the_app_image() {
    let cache = tempfile::tempdir().unwrap();
    let app = app_oci();
    let cdx = json(&osprey(
        &["sbom", &app, "--format", "cyclonedx"],
        cache.path(),
    ));
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    assert_eq!(cdx["specVersion"], "1.6");
    let components = cdx["components"].as_array().unwrap();
    assert!(
        components
            .iter()
            .any(|c| c["name"] == "Django" && c["version"] == "3.2")
    );
    assert!(
        components
            .iter()
            .any(|c| c["name"] == "smallvec" && c["version"] == "1.6.0")
    );

    let spdx = json(&osprey(
        &["sbom", &app, "--format", "spdx-json"],
        cache.path(),
    ));
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");

    let report = json(&osprey(&["sbom", &app, "--format", "json"], cache.path()));
    assert_eq!(report["SchemaVersion"], 2);
    assert_eq!(report["Metadata"]["OS"]["Family"], "debian");
    assert_eq!(report["Metadata"]["DiffIDs"].as_array().unwrap().len(), 8);
    let python = report["Results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Target"] == "Python")
        .expect("a Python result");
    assert_eq!(python["Packages"].as_array().unwrap().len(), 7);
}

#[test]
fn rescan_uses_the_cache_and_cache_clean_empties_it() {
    let cache = tempfile::tempdir().unwrap();
    let app = app_oci();
    let first = json(&osprey(&["sbom", &app, "--format", "json"], cache.path()));
    let entries = std::fs::read_dir(cache.path().join("layers"))
        .unwrap()
        .count();
    assert_eq!(entries, 8, "one cache entry per layer");
    let second = json(&osprey(&["sbom", &app, "--format", "json"], cache.path()));
    assert_eq!(first["Results"], second["Results"]);
    let out = osprey(&["cache", "clean"], cache.path());
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_dir(cache.path().join("layers"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn output_file_is_written_whole() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file: PathBuf = dir.path().join("bom.json");
    std::fs::write(&file, "previous good content").unwrap();
    // A failing scan leaves the old file alone.
    let out = osprey(
        &[
            "sbom",
            "oci:/nonexistent/layout",
            "-o",
            file.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/layout"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "previous good content"
    );
    let out = osprey(
        &["sbom", &app_oci(), "-o", file.to_str().unwrap()],
        cache.path(),
    );
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["bomFormat"], "CycloneDX");
}

#[test]
fn bad_references_are_clear_errors() {
    let cache = tempfile::tempdir().unwrap();
    let out = osprey(&["sbom", "docker-archive:/nonexistent.tar"], cache.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nonexistent.tar"), "{err}");
}
