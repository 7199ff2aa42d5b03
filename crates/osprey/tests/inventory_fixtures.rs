//! Recall and precision of the whole inventory pipeline (image source -> layer walk ->
//! catalogers -> squash -> resolve) against the fixtures' ground truth, on both forms of
//! every fixture image and on a debian-minbase image built by the fixtures' own script.

use osprey_image::{ImageRef, OpenOptions};
use osprey_scan::ScanOptions;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(
        p.join("images/out").is_dir(),
        "the shared fixtures are missing: expected {} beside the checkout",
        p.display()
    );
    p
}

/// (ecosystem, name, version, source name, layer) — the facts `expected.json` pins.
type Key = (String, String, String, Option<String>, Option<usize>);

fn expected(image_dir: &Path) -> BTreeSet<Key> {
    let e: Value =
        serde_json::from_slice(&std::fs::read(image_dir.join("expected.json")).unwrap()).unwrap();
    e["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["ecosystem"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
                stdlib_as_trivy(p["name"].as_str().unwrap(), p["version"].as_str().unwrap()),
                p["source_name"].as_str().map(str::to_string),
                p["layer"].as_u64().map(|l| l as usize),
            )
        })
        .collect()
}

/// The ground truth writes the Go standard library as the toolchain prints it (`go1.19.8`);
/// osprey reports it as Trivy does and as Go module versions are written (`v1.19.8`), keeping
/// the toolchain's spelling in `source_version`. Only that prefix is translated.
fn stdlib_as_trivy(name: &str, version: &str) -> String {
    match (name, version.strip_prefix("go")) {
        ("stdlib", Some(v)) => format!("v{v}"),
        _ => version.to_string(),
    }
}

fn found(reference: &str) -> BTreeSet<Key> {
    let r: ImageRef = reference.parse().unwrap();
    let src = osprey_image::open(&r, &OpenOptions::default()).unwrap();
    let analyzers = osprey_inventory::analyzers();
    let scan = osprey_scan::scan_image(src.as_ref(), &analyzers, &ScanOptions::default()).unwrap();
    assert!(
        scan.squashed.skipped.is_empty(),
        "files skipped: {:?}",
        scan.squashed.skipped
    );
    let inv = osprey_inventory::resolve(&scan.squashed);
    let os = inv.os.expect("OS detected");
    assert_eq!((os.family.as_str(), os.name.as_str()), ("debian", "12.15"));
    inv.packages
        .iter()
        .map(|p| {
            (
                p.ecosystem.as_str().to_string(),
                p.name.clone(),
                p.version.clone(),
                // expected.json states source names for debs only.
                if p.ecosystem.is_os() {
                    p.source_name.clone().or_else(|| Some(p.name.clone()))
                } else {
                    None
                },
                p.location.layer,
            )
        })
        .collect()
}

fn assert_same(reference: &str, want: &BTreeSet<Key>) {
    let got = found(reference);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{reference}: {} expected, {} found\nmissing: {missing:#?}\nextra: {extra:#?}",
        want.len(),
        got.len()
    );
}

fn check_image(name: &str) {
    let dir = shared().join("images/out").join(name);
    let want = expected(&dir);
    assert_same(&format!("oci:{}:latest", dir.join("oci").display()), &want);
    assert_same(
        &format!(
            "docker-archive:{}",
            dir.join(format!("{name}.docker.tar")).display()
        ),
        &want,
    );
    // A plain path is detected as what it is.
    assert_same(&dir.join("oci").display().to_string(), &want);
}

#[test]
fn distroless_base_is_exact() {
    check_image("distroless-base");
}

#[test]
fn app_is_exact() {
    check_image("app");
}

/// Builds debian-minbase with the fixtures' script (debootstrap; needs root and the Debian
/// mirror) unless `OSPREY_MINBASE_DIR` points at an existing build.
#[test]
#[ignore = "slow: builds a Debian minbase image with debootstrap (~1-2 min)"]
fn debian_minbase_is_exact() {
    let out = match std::env::var_os("OSPREY_MINBASE_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/images/out");
            if !out.join("debian-minbase/expected.json").exists() {
                let status = std::process::Command::new("python3")
                    .arg(shared().join("images/build.py"))
                    .args(["--only", "debian-minbase", "--out"])
                    .arg(&out)
                    .status()
                    .expect("python3 runs");
                assert!(status.success(), "build.py --only debian-minbase failed");
            }
            out
        }
    };
    let dir = out.join("debian-minbase");
    let want = expected(&dir);
    assert_eq!(want.len(), 88);
    assert_same(&format!("oci:{}:latest", dir.join("oci").display()), &want);
    assert_same(
        &format!(
            "docker-archive:{}",
            dir.join("debian-minbase.docker.tar").display()
        ),
        &want,
    );
}
