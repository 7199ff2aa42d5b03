//! `osprey image --scanners vuln` on the fixture images with a store built from
//! `shared/vulndata`: findings derived by hand from the feed files, every filter, the output
//! formats, and a missing or corrupt store.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(p.is_dir(), "shared folder missing at {}", p.display());
    p
}

/// One store per test binary, built by the real `osprey db build`.
fn db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("osprey.db");
        let out = Command::new(env!("CARGO_BIN_EXE_osprey"))
            .args(["db", "build", "--from"])
            .arg(shared().join("vulndata"))
            .arg("--out")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (dir, path)
    });
    path
}

fn image(name: &str) -> String {
    format!(
        "oci:{}:latest",
        shared().join("images/out").join(name).join("oci").display()
    )
}

/// One layer cache for every scan of this binary (entries are written atomically, so parallel
/// tests share it safely); it holds no store, so the default store location stays empty.
fn cache() -> &'static Path {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    CACHE.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

fn osprey(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(args)
        .current_dir(cwd)
        .env("OSPREY_CACHE_DIR", cache())
        .env_remove("OSPREY_DB")
        .output()
        .expect("osprey runs")
}

/// `osprey image IMG --scanners vuln --db DB -f json EXTRA…`.
fn scan(img: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    scan_in(img, extra, dir.path())
}

fn scan_in(img: &str, extra: &[&str], cwd: &Path) -> Value {
    let db = db().to_str().unwrap().to_owned();
    let mut args = vec![
        "image",
        img,
        "--scanners",
        "vuln",
        "--db",
        db.as_str(),
        "-f",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = osprey(&args, cwd);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `(target, package, vulnerability id)` → the finding.
fn findings(report: &Value) -> Vec<(String, Value)> {
    report["Results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["Vulnerabilities"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|v| (r["Target"].as_str().unwrap().to_owned(), v))
        })
        .collect()
}

fn get<'a>(all: &'a [(String, Value)], pkg: &str, id: &str) -> &'a Value {
    all.iter()
        .map(|(_, v)| v)
        .find(|v| v["PkgName"] == pkg && v["VulnerabilityID"] == id)
        .unwrap_or_else(|| panic!("{pkg} {id} not reported"))
}

fn has(all: &[(String, Value)], pkg: &str, id: &str) -> bool {
    all.iter()
        .any(|(_, v)| v["PkgName"] == pkg && v["VulnerabilityID"] == id)
}

#[test]
fn app_image_findings_derived_from_the_feeds() {
    let report = scan(&image("app"), &[]);
    let all = findings(&report);

    // osv/PyPI/django/PYSEC-2021-98.yaml: CVE-2021-33203 (alias GHSA-68w8-qjq3-2gfm), fixed
    // 2.2.24, 3.1.12, 3.2.4;
    // PYSEC-2021-7.yaml: CVE-2021-31542, fixed 2.2.21, 3.1.9, 3.2.1.
    let v = get(&all, "Django", "CVE-2021-33203");
    assert_eq!(v["FixedVersion"], "2.2.24, 3.1.12, 3.2.4");
    assert_eq!(
        v["VendorIDs"],
        serde_json::json!(["GHSA-68w8-qjq3-2gfm", "PYSEC-2021-98"])
    );
    assert_eq!(v["InstalledVersion"], "3.2");
    assert_eq!(v["Status"], "fixed");
    assert_eq!(
        v["PkgPath"],
        "usr/local/lib/python3.11/site-packages/Django-3.2.dist-info/METADATA"
    );
    assert_eq!(v["Layer"]["Index"], 1);
    assert!(
        v["Layer"]["CreatedBy"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{v}"
    );
    assert_eq!(
        get(&all, "Django", "CVE-2021-31542")["FixedVersion"],
        "2.2.21, 3.1.9, 3.2.1"
    );
    assert_eq!(
        v["DataSource"]["Name"],
        "Python Packaging Advisory Database"
    );
    assert!(
        v["PkgIdentifier"]["PURL"]
            .as_str()
            .unwrap()
            .starts_with("pkg:pypi/django@3.2")
    );

    // osv/PyPI/urllib3/PYSEC-2021-108.yaml: CVE-2021-33503 fixed 1.26.5.
    assert_eq!(
        get(&all, "urllib3", "CVE-2021-33503")["FixedVersion"],
        "1.26.5"
    );

    // osv/Go/GO-2023-1751.json (CVE-2023-24539, fixed 1.19.9): the binary's Go 1.19.8;
    // GO-2023-1702.json (CVE-2023-24537) is fixed in 1.19.8 itself.
    let v = get(&all, "stdlib", "CVE-2023-24539");
    assert_eq!(v["VendorIDs"], serde_json::json!(["GO-2023-1751"]));
    assert_eq!(v["PkgPath"], "app/bin/gohello");
    assert!(!has(&all, "stdlib", "CVE-2023-24537"));
    let go_target = all
        .iter()
        .find(|(_, v)| v["PkgName"] == "stdlib")
        .map(|(t, _)| t.as_str());
    assert_eq!(go_target, Some("app/bin/gohello"));

    // osv/crates.io/RUSTSEC-2021-0003.json: smallvec 1.6.0, CVE-2021-25900, CVSS 9.8.
    let v = get(&all, "smallvec", "CVE-2021-25900");
    assert_eq!(
        v["VendorIDs"],
        serde_json::json!(["GHSA-43w2-9j62-hq99", "RUSTSEC-2021-0003"])
    );
    assert_eq!(v["Severity"], "CRITICAL");
    assert_eq!(v["CVSS"]["osv"]["V3Score"], 9.8);
    // RUSTSEC-2020-0071 (time 0.1.43, CVE-2020-26235).
    assert_eq!(
        get(&all, "time", "CVE-2020-26235")["VendorIDs"],
        serde_json::json!(["GHSA-wcg3-cvx6-7396", "RUSTSEC-2020-0071"])
    );

    // osv/npm/GHSA-p6mc-m468-83gw.json (CVE-2020-8203, fixed 4.17.20, HIGH) and
    // GHSA-35jh-r3h4-6jhm.json (CVE-2021-23337, fixed 4.17.21); GHSA-jf85-cpcp-j695
    // (CVE-2019-10744) is fixed in 4.17.12.
    let v = get(&all, "lodash", "CVE-2020-8203");
    assert_eq!(v["VendorIDs"], serde_json::json!(["GHSA-p6mc-m468-83gw"]));
    assert_eq!(v["FixedVersion"], "4.17.20");
    assert_eq!(v["Severity"], "HIGH");
    assert_eq!(v["SeveritySource"], "ghsa");
    assert_eq!(
        v["PrimaryURL"],
        "https://osv.dev/vulnerability/GHSA-p6mc-m468-83gw"
    );
    assert!(v["References"].as_array().is_some_and(|r| !r.is_empty()));
    get(&all, "lodash", "CVE-2021-23337");
    assert!(!has(&all, "lodash", "CVE-2019-10744"));

    // One finding per package per vulnerability.
    let mut keys: Vec<_> = all
        .iter()
        .map(|(_, v)| {
            (
                v["PkgName"].to_string(),
                v["PkgPath"].to_string(),
                v["VulnerabilityID"].to_string(),
            )
        })
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

#[test]
fn distroless_debian_findings_derived_from_the_tracker() {
    let report = scan(&image("distroless-base"), &[]);
    let all = findings(&report);
    // CVE-2023-4911 (glibc, sid <unfixed>): on libc6, binary version shown.
    let v = get(&all, "libc6", "CVE-2023-4911");
    assert_eq!(v["Status"], "affected");
    assert_eq!(v["InstalledVersion"], "2.36-9+deb12u14");
    assert_eq!(v["FixedVersion"], Value::Null);
    assert_eq!(v["DataSource"]["ID"], "debian");
    assert_eq!(
        v["PrimaryURL"],
        "https://security-tracker.debian.org/tracker/CVE-2023-4911"
    );
    assert_eq!(v["Layer"]["Index"], 0);
    // CVE-2023-4039 ([bookworm] gcc-12 <no-dsa>) on both gcc-12 binaries.
    get(&all, "libgcc-s1", "CVE-2023-4039");
    get(&all, "gcc-12-base", "CVE-2023-4039");
    // Must not match: xz CVE-2024-3094 (bookworm not-affected), zlib CVE-2022-37434 (sid fix
    // 1:1.2.11.dfsg-4.1 below the installed 1:1.2.13.dfsg-1), openssl CVE-2024-12797
    // (bookworm not-affected).
    assert!(!has(&all, "liblzma5", "CVE-2024-3094"));
    assert!(!has(&all, "zlib1g", "CVE-2022-37434"));
    assert!(!has(&all, "libssl3", "CVE-2024-12797"));
    // `unimportant` entries (glibc CVE-2019-1010022, gcc-12 CVE-2022-27943) are hidden by
    // default and shown, LOW, with --show-unimportant.
    assert!(!has(&all, "libc6", "CVE-2019-1010022"));
    let with = findings(&scan(&image("distroless-base"), &["--show-unimportant"]));
    let v = get(&with, "libc6", "CVE-2019-1010022");
    assert_eq!(v["Severity"], "LOW");
    assert_eq!(v["SeveritySource"], "debian");
    get(&with, "libgcc-s1", "CVE-2022-27943");
}

#[test]
fn status_and_severity_filters() {
    let app = image("app");
    let all = findings(&scan(&app, &[]));
    assert!(all.iter().any(|(_, v)| v["Status"] == "affected"));
    let fixed_only = findings(&scan(&app, &["--ignore-unfixed"]));
    assert!(!fixed_only.is_empty());
    assert!(fixed_only.iter().all(|(_, v)| v["Status"] == "fixed"));
    let no_fixed = findings(&scan(&app, &["--ignore-status", "fixed"]));
    assert!(!no_fixed.is_empty());
    assert!(no_fixed.iter().all(|(_, v)| v["Status"] != "fixed"));
    assert_eq!(fixed_only.len() + no_fixed.len(), all.len());
    let critical = findings(&scan(&app, &["--severity", "CRITICAL"]));
    assert!(critical.iter().all(|(_, v)| v["Severity"] == "CRITICAL"));
    assert!(has(&critical, "smallvec", "CVE-2021-25900"));

    let out = osprey(
        &[
            "image",
            &app,
            "--scanners",
            "vuln",
            "--ignore-status",
            "bogus",
        ],
        Path::new("."),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown status"));
}

#[test]
fn exit_code_gates_on_remaining_findings() {
    let app = image("app");
    let db = db().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = osprey(
        &[
            "image",
            &app,
            "--scanners",
            "vuln",
            "--db",
            db,
            "--exit-code",
            "5",
            "-f",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(5));
    // Nothing left after filtering: success.
    let out = osprey(
        &[
            "image",
            &app,
            "--scanners",
            "vuln",
            "--db",
            db,
            "--exit-code",
            "5",
            "--ignore-status",
            "fixed,affected",
            "-f",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn ignore_files_plain_and_yaml() {
    let app = image("app");
    let dir = tempfile::tempdir().unwrap();
    // Plain: comments, an expired entry (stays reported), an id, an advisory id.
    std::fs::write(
        dir.path().join(".trivyignore"),
        "# accepted risks\nCVE-2020-8203\nCVE-2021-23337 exp:2000-01-01\nRUSTSEC-2021-0003 # by advisory id\n",
    )
    .unwrap();
    let all = findings(&scan_in(&app, &[], dir.path()));
    assert!(!has(&all, "lodash", "CVE-2020-8203"));
    assert!(has(&all, "lodash", "CVE-2021-23337"));
    assert!(!has(&all, "smallvec", "CVE-2021-25900"));

    // YAML: by path glob and PURL, with a statement; --show-suppressed keeps them.
    let yaml = dir.path().join("ignore.yaml");
    std::fs::write(
        &yaml,
        "vulnerabilities:\n  - id: CVE-2021-33203\n    paths: [\"usr/local/lib/python3.11/**\"]\n    statement: not exposed\n  - id: CVE-2021-33503\n    purls: [\"pkg:pypi/urllib3@1.26.4\"]\n  - id: CVE-2021-31542\n    paths: [\"somewhere/else/**\"]\n  - id: CVE-2023-24539\n    expired_at: 2000-01-01\n",
    )
    .unwrap();
    let report = scan_in(
        &app,
        &["--ignorefile", yaml.to_str().unwrap(), "--show-suppressed"],
        dir.path(),
    );
    let all = findings(&report);
    assert!(!has(&all, "Django", "CVE-2021-33203"));
    assert!(!has(&all, "urllib3", "CVE-2021-33503"));
    assert!(has(&all, "Django", "CVE-2021-31542"), "path does not match");
    assert!(has(&all, "stdlib", "CVE-2023-24539"), "rule expired");
    // The plain file in the working directory is not read when --ignorefile is given.
    assert!(has(&all, "lodash", "CVE-2020-8203"));
    let suppressed: Vec<&Value> = report["Results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["ExperimentalModifiedFindings"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .collect();
    let django = suppressed
        .iter()
        .find(|m| m["Finding"]["VulnerabilityID"] == "CVE-2021-33203")
        .expect("suppressed finding kept");
    assert_eq!(django["Status"], "ignored");
    assert_eq!(django["Statement"], "not exposed");
    assert_eq!(django["Source"], "ignore.yaml");

    let bad = dir.path().join("bad.trivyignore");
    std::fs::write(&bad, "CVE-1 exp:tomorrow\n").unwrap();
    let out = osprey(
        &[
            "image",
            &app,
            "--scanners",
            "vuln",
            "--db",
            db().to_str().unwrap(),
            "--ignorefile",
            bad.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exp:YYYY-MM-DD"));
}

#[test]
fn vex_openvex_and_cyclonedx_suppress_by_purl() {
    let app = image("app");
    let dir = tempfile::tempdir().unwrap();
    // Round trip: osprey's own OpenVEX output, one statement turned into not_affected.
    let db = db().to_str().unwrap();
    let out = osprey(
        &[
            "image",
            &app,
            "--scanners",
            "vuln",
            "--db",
            db,
            "-f",
            "openvex",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    let mut vex: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(vex["@context"], "https://openvex.dev/ns/v0.2.0");
    let statements = vex["statements"].as_array_mut().unwrap();
    assert!(statements.iter().all(|s| s["status"] == "affected"));
    let lodash = statements
        .iter()
        .find(|s| {
            s["vulnerability"]["name"] == "CVE-2020-8203"
                && s["products"][0]["@id"]
                    .as_str()
                    .unwrap()
                    .starts_with("pkg:npm/lodash@4.17.15")
        })
        .expect("lodash statement");
    assert_eq!(lodash["action_statement"], "Upgrade lodash to 4.17.20.");
    let mut edited = lodash.clone();
    edited["status"] = "not_affected".into();
    edited["justification"] = "vulnerable_code_not_in_execute_path".into();
    edited.as_object_mut().unwrap().remove("action_statement");
    *statements = vec![edited];
    let openvex = dir.path().join("app.openvex.json");
    std::fs::write(&openvex, vex.to_string()).unwrap();

    // CycloneDX VEX: a bom-ref resolved through components to the smallvec PURL.
    let cdx = dir.path().join("app.cdx.json");
    std::fs::write(
        &cdx,
        serde_json::json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [{"bom-ref": "sv", "type": "library", "name": "smallvec",
                            "purl": "pkg:cargo/smallvec@1.6.0"}],
            "vulnerabilities": [{"id": "CVE-2021-25900",
                                 "analysis": {"state": "not_affected",
                                              "justification": "code_not_reachable"},
                                 "affects": [{"ref": "sv"}]}]
        })
        .to_string(),
    )
    .unwrap();
    let report = scan_in(
        &app,
        &[
            "--vex",
            openvex.to_str().unwrap(),
            "--vex",
            cdx.to_str().unwrap(),
            "--show-suppressed",
        ],
        dir.path(),
    );
    let all = findings(&report);
    assert!(!has(&all, "lodash", "CVE-2020-8203"));
    assert!(
        has(&all, "lodash", "CVE-2021-23337"),
        "other statements untouched"
    );
    assert!(!has(&all, "smallvec", "CVE-2021-25900"));
    let sources: Vec<String> = report["Results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["ExperimentalModifiedFindings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|m| format!("{} {}", m["Status"], m["Source"]))
        .collect();
    assert!(sources.contains(&"\"not_affected\" \"OpenVEX: app.openvex.json\"".to_string()));
    assert!(sources.contains(&"\"not_affected\" \"CycloneDX VEX: app.cdx.json\"".to_string()));

    // The table shows them in their own section; without --show-suppressed they are gone.
    let out = osprey(
        &[
            "image",
            &app,
            "--scanners",
            "vuln",
            "--db",
            db,
            "--vex",
            cdx.to_str().unwrap(),
            "--show-suppressed",
        ],
        dir.path(),
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Suppressed Vulnerabilities: 1"), "{table}");
    let quiet = scan_in(&app, &["--vex", cdx.to_str().unwrap()], dir.path());
    assert!(
        !quiet.to_string().contains("ExperimentalModifiedFindings"),
        "kept only on request"
    );

    std::fs::write(dir.path().join("junk.json"), "{\"hello\": 1}").unwrap();
    let out = osprey(
        &[
            "image",
            &app,
            "--scanners",
            "vuln",
            "--db",
            db,
            "--vex",
            "junk.json",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a VEX document"));
}

#[test]
fn missing_and_corrupt_store_are_clear_errors() {
    let app = image("app");
    let dir = tempfile::tempdir().unwrap();
    // No --db, no OSPREY_DB, a cache directory without a store.
    let out = osprey(&["image", &app, "--scanners", "vuln"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no advisory database"), "{err}");
    assert!(err.contains("db/osprey.db"), "{err}");
    assert!(err.contains("osprey db update"), "{err}");
    assert!(
        err.contains("osprey db build --from DIR --out FILE"),
        "{err}"
    );

    let corrupt = dir.path().join("corrupt.db");
    std::fs::write(&corrupt, vec![0x5a; 8192]).unwrap();
    let out = osprey(
        &[
            "image",
            &app,
            "--scanners",
            "vuln",
            "--db",
            corrupt.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("corrupt.db"), "{err}");
    assert!(err.contains("opening the advisory database"), "{err}");

    // OSPREY_DB is honoured when --db is absent.
    let out = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["image", &app, "--scanners", "vuln", "-f", "json"])
        .env("OSPREY_CACHE_DIR", cache())
        .env("OSPREY_DB", db())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
