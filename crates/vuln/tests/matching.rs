//! Matching against a store built from the real feeds in `shared/vulndata`. Every expected
//! finding below was derived by reading the named feed file, not from osprey's output.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use osprey_model::report::ReportVulnerability;
use osprey_model::{Ecosystem, OsInfo, Package};
use osprey_vuln::{MatchOptions, Matcher};
use osprey_vulndb::Store;

fn store_path() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata");
        assert!(from.is_dir(), "shared feeds missing at {}", from.display());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("osprey.db");
        osprey_vulndb::build(&from, &path).expect("store builds");
        (dir, path)
    });
    path
}

fn os(family: &str, name: &str) -> OsInfo {
    OsInfo {
        family: family.into(),
        name: name.into(),
        ..Default::default()
    }
}

fn pkg(eco: Ecosystem, name: &str, version: &str, source: Option<(&str, &str)>) -> Package {
    let mut p = Package::new(eco, name, version);
    if let Some((n, v)) = source {
        p.source_name = Some(n.into());
        p.source_version = Some(v.into());
    }
    p.location.path = format!("evidence/{name}");
    p
}

fn run(os: Option<&OsInfo>, pkgs: &[Package], options: MatchOptions) -> Vec<ReportVulnerability> {
    let store = Store::open(store_path()).unwrap();
    let found = Matcher::new(&store, options)
        .match_packages(os, pkgs, &[])
        .unwrap();
    found.findings.into_iter().map(|(_, v)| v).collect()
}

fn find<'a>(found: &'a [ReportVulnerability], pkg: &str, id: &str) -> &'a ReportVulnerability {
    found
        .iter()
        .find(|v| v.pkg_name == pkg && v.vulnerability_id == id)
        .unwrap_or_else(|| panic!("{pkg} {id} not found"))
}

fn absent(found: &[ReportVulnerability], pkg: &str, id: &str) {
    assert!(
        !found
            .iter()
            .any(|v| v.pkg_name == pkg && v.vulnerability_id == id),
        "{pkg} {id} must not match"
    );
}

/// `alpine/secdb/v3.19/main/busybox.json` and `v3.20/main/busybox.json`: CVE-2023-42366 is
/// fixed in `1.36.1-r16` on v3.19 but `1.36.1-r25` on v3.20; key `"0"` lists
/// CVE-2021-42373/42376/42377 as not affected.
#[test]
fn alpine_branch_fixes_and_zero_key() {
    let busybox = pkg(
        Ecosystem::Apk,
        "busybox",
        "1.36.1-r20",
        Some(("busybox", "1.36.1-r20")),
    );
    let on_320 = run(
        Some(&os("alpine", "3.20.3")),
        std::slice::from_ref(&busybox),
        MatchOptions::default(),
    );
    let v = find(&on_320, "busybox", "CVE-2023-42366");
    assert_eq!(v.fixed_version, "1.36.1-r25");
    assert_eq!(v.status, "fixed");
    assert_eq!(v.data_source.as_ref().unwrap().id, "alpine");
    for id in ["CVE-2021-42373", "CVE-2021-42376", "CVE-2021-42377"] {
        absent(&on_320, "busybox", id);
    }
    let on_319 = run(
        Some(&os("alpine", "3.19.1")),
        &[busybox],
        MatchOptions::default(),
    );
    absent(&on_319, "busybox", "CVE-2023-42366");
}

/// `debian/tracker/CVE/*.json` for bookworm source packages of the distroless image.
#[test]
fn debian_tracker_statuses() {
    let debian = os("debian", "12.15");
    let pkgs = [
        pkg(
            Ecosystem::Deb,
            "libc6",
            "2.36-9+deb12u14",
            Some(("glibc", "2.36-9+deb12u14")),
        ),
        pkg(
            Ecosystem::Deb,
            "zlib1g",
            "1:1.2.13.dfsg-1",
            Some(("zlib", "1:1.2.13.dfsg-1")),
        ),
        pkg(
            Ecosystem::Deb,
            "liblzma5",
            "5.4.1-1+deb12u2",
            Some(("xz-utils", "5.4.1-1+deb12u2")),
        ),
        pkg(
            Ecosystem::Deb,
            "libssl3",
            "3.0.22-1~deb12u2",
            Some(("openssl", "3.0.22-1~deb12u2")),
        ),
        pkg(
            Ecosystem::Deb,
            "libgcc-s1",
            "12.2.0-14+deb12u1",
            Some(("gcc-12", "12.2.0-14+deb12u1")),
        ),
    ];
    let found = run(Some(&debian), &pkgs, MatchOptions::default());
    // CVE-2023-4911: sid `<unfixed>`, only buster not-affected.
    assert_eq!(find(&found, "libc6", "CVE-2023-4911").status, "affected");
    // CVE-2025-0395: `[bookworm] <no-dsa>`.
    assert_eq!(find(&found, "libc6", "CVE-2025-0395").status, "affected");
    // CVE-2023-4039: `[bookworm] - gcc-12 <no-dsa>`.
    assert_eq!(
        find(&found, "libgcc-s1", "CVE-2023-4039").status,
        "affected"
    );
    // CVE-2023-45853: sid fixed `1:1.3.dfsg-2`, above every bookworm zlib: unfixed there.
    assert_eq!(find(&found, "zlib1g", "CVE-2023-45853").status, "affected");
    // CVE-2022-37434: sid fixed `1:1.2.11.dfsg-4.1` < installed `1:1.2.13.dfsg-1`.
    absent(&found, "zlib1g", "CVE-2022-37434");
    // CVE-2024-3094: `[bookworm] - xz-utils <not-affected>`.
    absent(&found, "liblzma5", "CVE-2024-3094");
    // CVE-2024-12797: `[bookworm] - openssl <not-affected>`; CVE-2023-5363 sid unfixed.
    absent(&found, "libssl3", "CVE-2024-12797");
    assert_eq!(find(&found, "libssl3", "CVE-2023-5363").status, "affected");
    // `unimportant` (CVE-2019-1010022 glibc, CVE-2022-27943 gcc-12): hidden by default…
    absent(&found, "libc6", "CVE-2019-1010022");
    absent(&found, "libgcc-s1", "CVE-2022-27943");
    let all = run(
        Some(&debian),
        &pkgs,
        MatchOptions {
            include_unimportant: true,
        },
    );
    // …and LOW, from the tracker's urgency, when asked for.
    let v = find(&all, "libc6", "CVE-2019-1010022");
    assert_eq!(v.severity, osprey_model::Severity::Low);
    assert_eq!(v.severity_source, "debian");
    find(&all, "libgcc-s1", "CVE-2022-27943");
    // The installed version shown is the binary package's; the source decides the match.
    assert_eq!(
        find(&found, "libc6", "CVE-2023-4911").installed_version,
        "2.36-9+deb12u14"
    );
}

/// `osv/PyPI/django/PYSEC-2021-98.yaml` (CVE-2021-33203: fixed 2.2.24, 3.1.12, 3.2.4; alias
/// GHSA-68w8-qjq3-2gfm) and
/// `osv/PyPI/urllib3/PYSEC-2021-108.yaml` (CVE-2021-33503: fixed 1.26.5); the package name
/// is matched PEP 503-normalised.
#[test]
fn pypi_records_by_normalised_name() {
    let found = run(
        None,
        &[
            pkg(Ecosystem::Pypi, "Django", "3.2", None),
            pkg(Ecosystem::Pypi, "urllib3", "1.26.4", None),
        ],
        MatchOptions::default(),
    );
    let v = find(&found, "Django", "CVE-2021-33203");
    assert_eq!(v.fixed_version, "2.2.24, 3.1.12, 3.2.4");
    assert_eq!(v.vendor_ids, ["GHSA-68w8-qjq3-2gfm", "PYSEC-2021-98"]);
    assert_eq!(
        v.data_source.as_ref().unwrap().name,
        "Python Packaging Advisory Database"
    );
    assert_eq!(
        find(&found, "urllib3", "CVE-2021-33503").fixed_version,
        "1.26.5"
    );
    // PYSEC-2023-192 (CVE-2023-43804): `introduced 0, fixed 1.26.17` and a 2.x range.
    assert_eq!(
        find(&found, "urllib3", "CVE-2023-43804").fixed_version,
        "2.0.6, 1.26.17"
    );
}

/// `osv/npm/GHSA-*.json` for lodash: 4.17.15 is below the fixes of CVE-2020-8203 (4.17.20),
/// CVE-2021-23337 and CVE-2020-28500 (4.17.21), above those of CVE-2019-10744 (4.17.12),
/// CVE-2018-16487 (4.17.11) and CVE-2018-3721 (4.17.5). Severity is GitHub's rating.
#[test]
fn npm_ghsa_with_vendor_severity() {
    let found = run(
        None,
        &[pkg(Ecosystem::Npm, "lodash", "4.17.15", None)],
        MatchOptions::default(),
    );
    let v = find(&found, "lodash", "CVE-2020-8203");
    assert_eq!(v.vendor_ids, ["GHSA-p6mc-m468-83gw"]);
    assert_eq!(v.fixed_version, "4.17.20");
    assert_eq!(v.severity, osprey_model::Severity::High);
    assert_eq!(v.severity_source, "ghsa");
    let v = find(&found, "lodash", "CVE-2020-28500");
    assert_eq!(v.vendor_ids, ["GHSA-29mw-wpgm-hmr9"]);
    assert_eq!(v.severity, osprey_model::Severity::Medium);
    assert_eq!(
        find(&found, "lodash", "CVE-2021-23337").vendor_ids,
        ["GHSA-35jh-r3h4-6jhm"]
    );
    for id in ["CVE-2019-10744", "CVE-2018-16487", "CVE-2018-3721"] {
        absent(&found, "lodash", id);
    }
    assert_eq!(found.len(), 3, "{found:#?}");
}

/// `osv/Go/GO-2023-1751.json` (fixed 1.19.9) and `GO-2023-1840.json` (fixed 1.19.10) apply to
/// go1.19.8; `GO-2023-1702.json` is fixed in 1.19.8 itself.
#[test]
fn go_stdlib_by_toolchain_version() {
    let found = run(
        None,
        &[pkg(Ecosystem::Golang, "stdlib", "go1.19.8", None)],
        MatchOptions::default(),
    );
    let v = find(&found, "stdlib", "CVE-2023-24539");
    assert_eq!(v.vendor_ids, ["GO-2023-1751"]);
    assert_eq!(v.fixed_version, "1.19.9, 1.20.4");
    assert_eq!(
        find(&found, "stdlib", "CVE-2023-29403").fixed_version,
        "1.19.10, 1.20.5"
    );
    absent(&found, "stdlib", "CVE-2023-24537");
    // The inventory's PURL spelling (`v1.19.8`) matches the same records.
    let with_v = run(
        None,
        &[pkg(Ecosystem::Golang, "stdlib", "v1.19.8", None)],
        MatchOptions::default(),
    );
    assert_eq!(with_v.len(), found.len());
}

/// `osv/crates.io/RUSTSEC-2021-0003.json`: smallvec `>=1.0.0, <1.6.1`, aliases CVE-2021-25900
/// and GHSA-43w2-9j62-hq99, CVSS 3.1 vector AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H (9.8).
#[test]
fn rustsec_with_cvss_severity() {
    let found = run(
        None,
        &[
            pkg(Ecosystem::Cargo, "smallvec", "1.6.0", None),
            pkg(Ecosystem::Cargo, "smallvec", "1.6.1", None),
        ],
        MatchOptions::default(),
    );
    let v = find(&found, "smallvec", "CVE-2021-25900");
    assert_eq!(v.installed_version, "1.6.0");
    assert_eq!(v.vendor_ids, ["GHSA-43w2-9j62-hq99", "RUSTSEC-2021-0003"]);
    assert_eq!(v.fixed_version, "0.6.14, 1.6.1");
    assert_eq!(v.severity, osprey_model::Severity::Critical);
    assert_eq!(v.severity_source, "osv");
    assert_eq!(v.cvss["osv"].v3_score, Some(9.8));
    assert_eq!(v.title, "Buffer overflow in SmallVec::insert_many");
    assert!(
        found.iter().all(|v| v.installed_version == "1.6.0"),
        "1.6.1 is fixed"
    );
}

/// A Python package under Debian's `dist-packages` belongs to an OS package and is not
/// matched again; the same package installed by pip is.
#[test]
fn language_packages_owned_by_os_packages_are_not_reported_twice() {
    let mut owned = pkg(Ecosystem::Pypi, "urllib3", "1.26.4", None);
    owned.location.path = "usr/lib/python3/dist-packages/urllib3-1.26.4.dist-info/METADATA".into();
    assert!(run(None, &[owned], MatchOptions::default()).is_empty());
}

/// A feed written here: a GHSA and a PYSEC record of one CVE (merged into one finding, the
/// CVE as id, both advisories as vendor ids, GitHub's severity), a withdrawn record (never
/// reported), and OSV `Debian:12` / `Alpine:v3.20` records (matched by source package in the
/// distro's order).
#[test]
fn aliases_merge_withdrawn_records_drop_and_distro_osv_records_match() {
    let feeds = tempfile::tempdir().unwrap();
    let write = |rel: &str, json: serde_json::Value| {
        let path = feeds.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, json.to_string()).unwrap();
    };
    let range = |fixed: &str| serde_json::json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]);
    write(
        "osv/PyPI/GHSA-aaaa-bbbb-cccc.json",
        serde_json::json!({"id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2099-0001"],
            "summary": "GitHub's title",
            "database_specific": {"severity": "CRITICAL", "cwe_ids": ["CWE-79"]},
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"}],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "Demo_Pkg"}, "ranges": range("2.0")}]}),
    );
    write(
        "osv/PyPI/PYSEC-2099-1.json",
        serde_json::json!({"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "demo-pkg"}, "ranges": range("2.0")}]}),
    );
    write(
        "osv/PyPI/PYSEC-2099-2.json",
        serde_json::json!({"id": "PYSEC-2099-2", "withdrawn": "2099-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "demo-pkg"}, "ranges": range("2.0")}]}),
    );
    write(
        "osv/Debian/DEBIAN-CVE-2099-0002.json",
        serde_json::json!({"id": "DEBIAN-CVE-2099-0002", "aliases": ["CVE-2099-0002"],
            "affected": [{"package": {"ecosystem": "Debian:12", "name": "demo-src"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0-2+deb12u1"}]}]}]}),
    );
    write(
        "osv/Alpine/ALPINE-CVE-2099-0003.json",
        serde_json::json!({"id": "ALPINE-CVE-2099-0003", "aliases": ["CVE-2099-0003"],
            "affected": [{"package": {"ecosystem": "Alpine:v3.20", "name": "demo-origin"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0-r5"}]}]}]}),
    );
    let db = feeds.path().join("osprey.db");
    osprey_vulndb::build(feeds.path(), &db).unwrap();
    let store = Store::open(&db).unwrap();
    let matcher = Matcher::new(&store, MatchOptions::default());

    let py = [pkg(Ecosystem::Pypi, "Demo.Pkg", "1.5", None)];
    let found = matcher.match_packages(None, &py, &[]).unwrap().findings;
    assert_eq!(found.len(), 1, "{found:#?}");
    let v = &found[0].1;
    assert_eq!(v.vulnerability_id, "CVE-2099-0001");
    assert_eq!(v.vendor_ids, ["GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1"]);
    assert_eq!(v.severity, osprey_model::Severity::Critical);
    assert_eq!(v.severity_source, "ghsa");
    assert_eq!(v.cvss["ghsa"].v3_score, Some(3.1));
    assert_eq!(v.cwe_ids, ["CWE-79"]);
    assert_eq!(v.title, "GitHub's title");
    assert_eq!(v.fixed_version, "2.0");

    let deb = [pkg(
        Ecosystem::Deb,
        "demo-bin",
        "1.0-2",
        Some(("demo-src", "1.0-2")),
    )];
    // The store knows no Debian codenames here (no tracker data): the OSV records still match,
    // with or without `VERSION_CODENAME`.
    for release in [os("debian", "12.15"), {
        let mut b = os("debian", "12.15");
        b.codename = Some("bookworm".into());
        b
    }] {
        let found = matcher
            .match_packages(Some(&release), &deb, &[])
            .unwrap()
            .findings;
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].1.vulnerability_id, "CVE-2099-0002");
        assert_eq!(found[0].1.fixed_version, "1.0-2+deb12u1");
    }

    let apk = [pkg(
        Ecosystem::Apk,
        "demo",
        "1.0-r4",
        Some(("demo-origin", "1.0-r4")),
    )];
    let found = matcher
        .match_packages(Some(&os("alpine", "3.20.1")), &apk, &[])
        .unwrap()
        .findings;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].1.vulnerability_id, "CVE-2099-0003");
}
