//! False-positive rate on clean corpora: this machine's `/usr`, and a freshly installed
//! `node_modules` of a real project. Every finding counts as a false positive (neither corpus
//! holds real credentials); the rate must stay at or below 1 per 10,000 scanned files.

use osprey_model::SecretLocation;
use osprey_secrets::{DirOptions, DirScan, Scanner, scan_dir};
use std::path::Path;
use std::process::Command;

/// Credentials a vendor ships on purpose in its client: the Google Cloud SDK's installed-app
/// OAuth client secrets and API keys, which Google documents as not confidential. They are
/// real credentials, correctly found, so they are reported but not counted as false positives.
fn vendor_published(path: &str, rule: &str) -> bool {
    path.contains("google-cloud-sdk/") && matches!(rule, "google-api-key" | "generic-api-key")
}

/// Prints every finding and returns the false-positive rate per 10,000 scanned files.
fn report(name: &str, scan: &DirScan) -> f64 {
    let mut false_positives = 0;
    for f in &scan.findings {
        if let SecretLocation::File { path, .. } = &f.location {
            let kind = if vendor_published(path, &f.rule_id) {
                "vendor-published credential"
            } else {
                false_positives += 1;
                "false positive"
            };
            println!(
                "{name}: {kind}: {path}:{} {} {}",
                f.start_line, f.rule_id, f.redacted_match
            );
        }
    }
    let rate = false_positives as f64 * 10_000.0 / scan.files_scanned.max(1) as f64;
    println!(
        "{name}: {} findings ({false_positives} false positives) in {} text files ({:.1} MB); {} binary, {} allowed by path, {} skipped; {rate:.2} false positives per 10,000 files",
        scan.findings.len(),
        scan.files_scanned,
        scan.bytes_scanned as f64 / 1e6,
        scan.binary_files,
        scan.allowed_files,
        scan.skipped.len(),
    );
    rate
}

#[test]
#[ignore = "slow: scans every file under /usr"]
fn usr_false_positive_rate() {
    let scan = scan_dir(
        &Scanner::builtin(),
        Path::new("/usr"),
        &DirOptions {
            respect_gitignore: false,
            ..DirOptions::default()
        },
    );
    assert!(
        scan.files_scanned > 10_000,
        "only {} files under /usr",
        scan.files_scanned
    );
    let rate = report("/usr", &scan);
    assert!(
        rate <= 1.0,
        "false-positive rate {rate:.2} per 10,000 files on /usr"
    );
}

#[test]
#[ignore = "slow: npm install of express and webpack from the registry"]
fn node_modules_false_positive_rate() {
    let npm = Command::new("npm").arg("--version").output();
    assert!(
        npm.as_ref().is_ok_and(|o| o.status.success()),
        "npm is required for this test (scripts/install-test-deps.sh installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"name":"fp-corpus","version":"1.0.0","private":true,"dependencies":{"express":"^4","webpack":"^5","webpack-cli":"^5","axios":"^1","lodash":"^4"}}"#,
    )
    .unwrap();
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ])
        .current_dir(dir.path())
        .status()
        .expect("run npm install");
    assert!(status.success(), "npm install failed");
    let scan = scan_dir(
        &Scanner::builtin(),
        &dir.path().join("node_modules"),
        &DirOptions {
            respect_gitignore: false,
            ..DirOptions::default()
        },
    );
    assert!(
        scan.files_scanned > 2_000,
        "only {} files installed",
        scan.files_scanned
    );
    let rate = report("node_modules", &scan);
    assert!(
        rate <= 1.0,
        "false-positive rate {rate:.2} per 10,000 files in node_modules"
    );
}
