//! Builds a store from the real feeds in `shared/vulndata` and checks what comes back out,
//! plus the atomicity of the build.

use std::path::{Path, PathBuf};

use osprey_vulndb::{DbError, Status, Store, build};

fn vulndata() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vulndata"
    ));
    assert!(
        dir.is_dir(),
        "shared data folder missing: expected {} (the read-only `shared` checkout beside the worktree)",
        dir.display()
    );
    dir
}

fn built() -> (tempfile::TempDir, PathBuf, osprey_vulndb::Contents) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("osprey.db");
    let contents = build(&vulndata(), &out).unwrap_or_else(|e| panic!("build failed: {e}"));
    (dir, out, contents)
}

#[test]
#[ignore = "slow: parses all 8,209 OSV files (~12 s in a debug build)"]
fn all_feeds_build_and_read_back() {
    let (dir, out, contents) = built();
    println!("{contents:?}");
    // Every OSV file parses: 1,206 crates.io + 4,291 Go + 2,661 PyPI (YAML) + 51 npm.
    assert_eq!(contents.osv_records, 8_209);
    // Withdrawn: Go 17, crates.io 13, PyPI 10, npm 2.
    assert_eq!(contents.osv_withdrawn, 42);
    assert!(contents.debian > 0 && contents.alpine > 0);
    // Only the store is left in the directory: the temporary was renamed.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("osprey.db")]);

    let store = Store::open(&out).unwrap();
    assert_eq!(store.meta("schema_version").unwrap().as_deref(), Some("1"));

    // crates.io, from the cargo-auditable binary in the app image.
    let ids: Vec<String> = store
        .osv_for("crates.io", "smallvec")
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(ids.contains(&"RUSTSEC-2021-0003".to_owned()), "{ids:?}");
    // PyPI YAML, looked up by a non-normalised name.
    let recs = store.osv_for("PyPI", "Access_Control").unwrap();
    assert!(
        recs.is_empty(),
        "PEP 503 keeps the underscore-less name distinct"
    );
    let recs = store.osv_for("PyPI", "AccessControl").unwrap();
    let pysec = recs
        .iter()
        .find(|r| r.id == "PYSEC-2021-335")
        .expect("PYSEC-2021-335");
    assert_eq!(
        pysec.modified.as_deref(),
        Some("2021-09-26T23:32:08.989778Z")
    );
    assert_eq!(pysec.affected[0].versions.len(), 5);
    // Ecosystem strings are exact.
    assert!(store.osv_for("crates.IO", "smallvec").unwrap().is_empty());
}

#[test]
fn distro_feeds_build_and_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    copy_tree(&vulndata().join("alpine"), &feeds.join("alpine"));
    copy_tree(&vulndata().join("debian"), &feeds.join("debian"));
    copy_tree(&vulndata().join("osv/npm"), &feeds.join("osv/npm"));
    let out = dir.path().join("osprey.db");
    let contents = build(&feeds, &out).unwrap_or_else(|e| panic!("build failed: {e}"));
    assert_eq!(contents.osv_records, 51);
    // One historic DSA line has a package name where the version belongs.
    assert_eq!(contents.warnings.len(), 1, "{:?}", contents.warnings);
    assert!(
        contents.warnings[0].contains("DSA-423"),
        "{:?}",
        contents.warnings
    );
    let store = Store::open(&out).unwrap();
    let find = |recs: &[osprey_vulndb::DistroAdvisory], id: &str| {
        recs.iter()
            .find(|r| r.vuln_id == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert!(store.osv_for("npm", "lodash").unwrap().len() > 3);

    // Alpine: "0" is not-affected; fixes differ per branch.
    let busybox_19 = store.distro_for("alpine", "v3.19", "busybox").unwrap();
    let busybox_20 = store.distro_for("alpine", "v3.20", "busybox").unwrap();
    assert_eq!(
        find(&busybox_19, "CVE-2023-42366").fixed_version.as_deref(),
        Some("1.36.1-r16")
    );
    assert_eq!(
        find(&busybox_20, "CVE-2023-42366").fixed_version.as_deref(),
        Some("1.36.1-r25")
    );
    assert_eq!(
        find(&busybox_20, "CVE-2021-42373").status,
        Status::NotAffected
    );

    // Debian, resolved per release (VULN-NOTES §4.4).
    let xz = store.distro_for("debian", "bookworm", "xz-utils").unwrap();
    assert_eq!(find(&xz, "CVE-2024-3094").status, Status::NotAffected);
    let curl = store.distro_for("debian", "bookworm", "curl").unwrap();
    let c = find(&curl, "CVE-2023-38545");
    assert_eq!(
        (c.status, c.fixed_version.as_deref()),
        (Status::Fixed, Some("7.88.1-10+deb12u4"))
    );
    let apt = store.distro_for("debian", "bookworm", "apt").unwrap();
    let a = find(&apt, "CVE-2011-3374");
    assert_eq!(a.status, Status::Unfixed);
    assert!(a.unimportant);
    assert_eq!(a.severity.as_deref(), Some("LOW"));
    // sid fix older than bookworm's source version: fixed at the sid version.
    let zlib = store.distro_for("debian", "bookworm", "zlib").unwrap();
    let z = find(&zlib, "CVE-2022-37434");
    assert_eq!(
        (z.status, z.fixed_version.as_deref()),
        (Status::Fixed, Some("1:1.2.11.dfsg-4.1"))
    );
    assert_eq!(
        store.debian_codename("12").unwrap().as_deref(),
        Some("bookworm")
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_broken_feed_leaves_the_old_store_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    copy_tree(&vulndata().join("alpine"), &feeds.join("alpine"));
    let out = dir.path().join("osprey.db");
    let first = build(&feeds, &out).unwrap();
    assert!(first.alpine > 0);
    let before = std::fs::read(&out).unwrap();

    let bad = feeds.join("osv/npm/GHSA-bad.json");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, "{\"id\": \"GHSA-x\", \"affected\": 7}").unwrap();
    let err = build(&feeds, &out).unwrap_err();
    assert!(err.to_string().contains("GHSA-bad.json"), "{err}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        before,
        "old store must survive"
    );
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp-")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn duplicate_ids_and_bad_secdb_keys_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    let record = r#"{"id": "GHSA-dup", "affected": []}"#;
    std::fs::create_dir_all(feeds.join("osv/npm")).unwrap();
    std::fs::write(feeds.join("osv/npm/a.json"), record).unwrap();
    std::fs::write(feeds.join("osv/npm/b.json"), record).unwrap();
    let err = build(&feeds, &dir.path().join("db")).unwrap_err();
    assert!(
        err.to_string().contains("duplicate OSV id GHSA-dup"),
        "{err}"
    );

    let feeds = dir.path().join("feeds2");
    std::fs::create_dir_all(feeds.join("alpine/secdb/v3.20/main")).unwrap();
    std::fs::write(
        feeds.join("alpine/secdb/v3.20/main/x.json"),
        r#"{"name": "x", "secfixes": {"Not-a-version": ["CVE-1"]}}"#,
    )
    .unwrap();
    let err = build(&feeds, &dir.path().join("db")).unwrap_err();
    assert!(
        matches!(err, DbError::Parse { .. }) && err.to_string().contains("x.json"),
        "{err}"
    );
}

#[test]
fn opening_something_else_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    assert!(Store::open(&missing).is_err());
    let text = dir.path().join("text.db");
    std::fs::write(&text, "hello").unwrap();
    let err = Store::open(&text).err().expect("not a database");
    assert!(err.to_string().contains("text.db"), "{err}");
    let empty = dir.path().join("empty.db");
    rusqlite::Connection::open(&empty)
        .unwrap()
        .execute_batch("CREATE TABLE meta (key TEXT, value TEXT);")
        .unwrap();
    let err = Store::open(&empty).err().expect("no schema version");
    assert!(matches!(err, DbError::Schema { .. }), "{err}");
    assert!(build(&dir.path().join("no-such-dir"), &dir.path().join("x.db")).is_err());
}

#[test]
fn hostile_osv_files_are_errors_not_crashes() {
    use osprey_vulndb::osv::parse_osv;
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_osv(Path::new("deep.json"), &deep_json).is_err());
    let deep_yaml = format!(
        "id: x\naffected: {}{}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse_osv(Path::new("deep.yaml"), &deep_yaml).is_err());
    // Billion-laughs style aliases must not expand without bound.
    let mut bomb = String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    for level in 1..12 {
        let prev = level - 1;
        let refs = vec![format!("*{}", letter(prev)); 9].join(",");
        bomb.push_str(&format!("{}: &{} [{refs}]\n", letter(level), letter(level)));
    }
    bomb.push_str("id: x\n");
    let _ = parse_osv(Path::new("bomb.yaml"), &bomb);
    assert!(parse_osv(Path::new("empty.yaml"), "").is_err());
    assert!(parse_osv(Path::new("binary.json"), "\u{0}\u{1}\u{2}").is_err());
}

fn letter(i: usize) -> String {
    ((b'a' + i as u8) as char).to_string()
}

/// Every version in every SEMVER/ECOSYSTEM range and `versions` list of the real OSV data
/// parses in the scheme of its ecosystem, and every range evaluates.
#[test]
fn every_osv_version_parses_in_its_scheme() {
    use osprey_version::{OsvRange, Scheme};
    let mut stack = vec![vulndata().join("osv")];
    let (mut versions, mut ranges, mut failures) = (0, 0, Vec::new());
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let record = osprey_vulndb::osv::read_osv_file(&path).unwrap();
            for affected in &record.affected {
                let Some(pkg) = &affected.package else {
                    continue;
                };
                let scheme = Scheme::for_osv_ecosystem(&pkg.ecosystem).unwrap_or_else(|| {
                    panic!("{}: no scheme for {}", path.display(), pkg.ecosystem)
                });
                for v in &affected.versions {
                    versions += 1;
                    if let Err(e) = scheme.parse(v) {
                        failures.push(format!("{}: {e}", record.id));
                    }
                }
                for range in affected.ranges.iter().filter(|r| r.kind != "GIT") {
                    ranges += 1;
                    if let Err(e) = OsvRange::parse(scheme, &range.version_events()) {
                        failures.push(format!("{}: {e}", record.id));
                    }
                }
            }
        }
    }
    println!("{versions} listed versions and {ranges} ranges checked");
    assert!(
        versions > 50_000 && ranges > 8_000,
        "{versions} versions, {ranges} ranges"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The chain the matcher will use: a stored record's ranges, evaluated with the ecosystem's
/// ordering, flag the vulnerable crates of the `app` image fixture and not their fixes.
#[test]
fn stored_ranges_flag_the_app_image_crates() {
    use osprey_version::{Scheme, osv_affected};
    let affected = |id: &str, package: &str, version: &str| -> bool {
        let path = vulndata().join(format!("osv/crates.io/{id}.json"));
        let record = osprey_vulndb::osv::read_osv_file(&path).unwrap();
        record
            .affected
            .iter()
            .filter(|a| a.package.as_ref().is_some_and(|p| p.name == package))
            .flat_map(|a| &a.ranges)
            .any(|range| osv_affected(Scheme::Semver, &range.version_events(), version).unwrap())
    };
    assert!(affected("RUSTSEC-2021-0003", "smallvec", "1.6.0"));
    assert!(!affected("RUSTSEC-2021-0003", "smallvec", "1.6.1"));
    assert!(!affected("RUSTSEC-2021-0003", "smallvec", "0.6.2"));
    assert!(affected("RUSTSEC-2020-0071", "time", "0.1.43"));
    assert!(!affected("RUSTSEC-2020-0071", "time", "0.2.23"));
    assert!(affected("RUSTSEC-2020-0071", "time", "0.2.7"));
    assert!(!affected("RUSTSEC-2020-0071", "time", "0.2.1"));
}
