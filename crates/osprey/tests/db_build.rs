//! `osprey db build` end to end: a store from the shared Alpine feed, and a clear failure.

use std::path::PathBuf;
use std::process::Command;

fn vulndata() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vulndata"
    ));
    assert!(
        dir.is_dir(),
        "shared data folder missing: expected {}",
        dir.display()
    );
    dir
}

#[test]
fn db_build_writes_a_store_and_reports_counts() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    let secdb = feeds.join("alpine/secdb/v3.20/main");
    std::fs::create_dir_all(&secdb).unwrap();
    for name in ["busybox.json", "openssl.json"] {
        std::fs::copy(
            vulndata().join("alpine/secdb/v3.20/main").join(name),
            secdb.join(name),
        )
        .unwrap();
    }
    let out = dir.path().join("osprey.db");
    let run = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["db", "build", "--from"])
        .arg(&feeds)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("Alpine verdicts"), "{stdout}");
    let store = osprey_vulndb::Store::open(&out).unwrap();
    assert!(
        !store
            .distro_for("alpine", "v3.20", "openssl")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn db_build_fails_clearly_on_a_missing_feed_dir() {
    let dir = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["db", "build", "--from", "/nonexistent/feeds", "--out"])
        .arg(dir.path().join("x.db"))
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("/nonexistent/feeds") && stderr.contains("not found"),
        "{stderr}"
    );
    assert!(!dir.path().join("x.db").exists());
}
