//! Package databases and release files from `../shared/fixtures/pkgdb`, with counts checked
//! against facts derived independently from the raw files.

use crate::common::{analyze, located, one_layer, read_shared};
use osprey_inventory::{Inventory, resolve};
use osprey_model::{Ecosystem, Package};
use osprey_scan::Squashed;
use std::collections::{BTreeMap, BTreeSet};

const PKGDB: &str = "fixtures/pkgdb";

fn resolve_one(path: &str, fixture: &str) -> Inventory {
    let bytes = read_shared(&format!("{PKGDB}/{fixture}"));
    resolve(&one_layer(&[(path, &bytes)]))
}

fn by_name(packages: &[Package]) -> BTreeMap<&str, &Package> {
    packages.iter().map(|p| (p.name.as_str(), p)).collect()
}

/// Every `depends_on` entry is the ID of a reported package.
fn assert_dependencies_closed(packages: &[Package]) {
    let ids: BTreeSet<String> = packages.iter().map(Package::id).collect();
    for p in packages {
        for dep in &p.depends_on {
            assert!(
                ids.contains(dep),
                "{}: dependency {dep} is not a reported package",
                p.id()
            );
        }
    }
}

#[test]
fn dpkg_ubuntu_status_files() {
    for fixture in [
        "dpkg/ubuntu-18.04/status",
        "dpkg/ubuntu-18.04-texlive/status",
    ] {
        let text = String::from_utf8(read_shared(&format!("{PKGDB}/{fixture}"))).unwrap();
        // Independent count: `grep -c '^Status: install ok installed$'` (91 and 357 stanzas;
        // one stanza of the first file is `deinstall ok config-files`).
        let installed = text
            .lines()
            .filter(|l| *l == "Status: install ok installed")
            .count();
        let inventory = resolve_one("var/lib/dpkg/status", fixture);
        assert_eq!(inventory.packages.len(), installed, "{fixture}");
        assert!(
            inventory
                .packages
                .iter()
                .all(|p| p.ecosystem == Ecosystem::Deb
                    && p.pkg_type == "dpkg"
                    && p.location.layer == Some(0)
                    && p.location.path == "var/lib/dpkg/status"
                    && p.purl.starts_with("pkg:deb/debian/"))
        );
        assert_dependencies_closed(&inventory.packages);
        let with_deps = inventory
            .packages
            .iter()
            .filter(|p| !p.depends_on.is_empty())
            .count();
        assert!(
            with_deps * 2 > installed,
            "{fixture}: only {with_deps} packages with dependencies"
        );
    }
    assert_eq!(
        resolve_one("var/lib/dpkg/status", "dpkg/ubuntu-18.04-texlive/status")
            .packages
            .len(),
        357
    );

    let inventory = resolve_one("var/lib/dpkg/status", "dpkg/ubuntu-18.04/status");
    assert_eq!(inventory.packages.len(), 90);
    let text =
        String::from_utf8(read_shared(&format!("{PKGDB}/dpkg/ubuntu-18.04/status"))).unwrap();
    let removed = text
        .split("\n\n")
        .find(|stanza| stanza.contains("Status: deinstall ok config-files"))
        .and_then(|stanza| stanza.lines().find_map(|l| l.strip_prefix("Package: ")))
        .expect("the fixture has one config-files stanza");
    let packages = by_name(&inventory.packages);
    assert!(
        !packages.contains_key(removed),
        "{removed} only has config files left"
    );
    let libc6 = packages["libc6"];
    assert_eq!(libc6.version, "2.27-3ubuntu1");
    assert_eq!(libc6.source_name.as_deref(), Some("glibc"));
    assert_eq!(libc6.arch.as_deref(), Some("amd64"));
    // coreutils names libc6 in Pre-Depends only: both fields count as dependencies.
    assert!(packages["coreutils"].depends_on.contains(&libc6.id()));
}

#[test]
fn dpkg_edge_case_file() {
    // status-multiple: an empty `Package:` stanza and `no-version` (no Version) are skipped,
    // tzdata and util-linux remain (their stanzas are the only ones with a Version line).
    let inventory = resolve_one("var/lib/dpkg/status.d/multiple", "dpkg/status-multiple");
    let names: Vec<&str> = inventory.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["tzdata", "util-linux"]);
    let tzdata = &inventory.packages[0];
    assert_eq!(tzdata.source_name.as_deref(), Some("tzdata-dev"));
    assert_eq!(tzdata.source_version.as_deref(), Some("2020a-0+deb10u1"));
    assert_eq!(tzdata.version, "2020a-0+deb10u1");
    // Depends/Pre-Depends name packages that are not installed here.
    assert!(inventory.packages.iter().all(|p| p.depends_on.is_empty()));
}

#[test]
fn dpkg_distroless_status_d() {
    let dash = read_shared(&format!("{PKGDB}/dpkg/distroless-coverage/status.d/dash"));
    let netbase = read_shared(&format!(
        "{PKGDB}/dpkg/distroless-coverage/status.d/netbase"
    ));
    let sqlite = read_shared(&format!(
        "{PKGDB}/dpkg/distroless-sqlite/status.d/libsqlite3-0"
    ));
    let md5sums = read_shared(&format!(
        "{PKGDB}/dpkg/distroless-sqlite/status.d/libsqlite3-0.md5sums"
    ));
    assert!(
        analyze("var/lib/dpkg/status.d/libsqlite3-0.md5sums", &md5sums).is_empty(),
        "md5sums sidecars are not package stanzas"
    );
    let squashed = one_layer(&[
        ("var/lib/dpkg/status.d/dash", &dash),
        ("var/lib/dpkg/status.d/netbase", &netbase),
        ("var/lib/dpkg/status.d/libsqlite3-0", &sqlite),
    ]);
    let inventory = resolve(&squashed);
    let found: Vec<(&str, &str, Option<&str>, Option<&str>)> = inventory
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.arch.as_deref(),
                p.source_name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("dash", "0.5.8-2.4", Some("amd64"), Some("dash")),
            ("libsqlite3-0", "3.34.1-3", Some("arm64"), Some("sqlite3")),
            ("netbase", "5.4", Some("all"), Some("netbase")),
        ]
    );
}

#[test]
fn apk_installed_databases() {
    for fixture in ["scalibr-installed", "syft-multiple-2", "trivy-apk-testdata"] {
        let path = format!("apk/{fixture}/lib/apk/db/installed");
        let text = String::from_utf8(read_shared(&format!("{PKGDB}/{path}"))).unwrap();
        // Independent count: `grep -c '^V:'` (a record without a version is not a package).
        let versions = text.lines().filter(|l| l.starts_with("V:")).count();
        let inventory = resolve_one("lib/apk/db/installed", &path);
        assert_eq!(inventory.packages.len(), versions, "{fixture}");
        // Each package's origin (`o:`) is its source name.
        let origins: BTreeSet<&str> = text.lines().filter_map(|l| l.strip_prefix("o:")).collect();
        for p in &inventory.packages {
            assert!(
                origins.contains(p.source_name.as_deref().unwrap()),
                "{fixture}: {}",
                p.name
            );
            assert!(p.purl.starts_with("pkg:apk/alpine/"), "{}", p.purl);
        }
        assert_dependencies_closed(&inventory.packages);
    }
    let inventory = resolve_one(
        "lib/apk/db/installed",
        "apk/trivy-apk-testdata/lib/apk/db/installed",
    );
    assert_eq!(inventory.packages.len(), 15);
    let usr = resolve_one(
        "usr/lib/apk/db/installed",
        "apk/trivy-apk-testdata/lib/apk/db/installed",
    );
    assert_eq!(
        usr.packages,
        inventory
            .packages
            .iter()
            .map(|p| {
                let mut p = p.clone();
                p.location.path = "usr/lib/apk/db/installed".to_string();
                p
            })
            .collect::<Vec<_>>()
    );
    let packages = by_name(&inventory.packages);
    assert!(!packages.contains_key("invalidPackageWithoutAVersion"));
    let musl = packages["musl"];
    assert_eq!(
        (musl.version.as_str(), musl.licenses.as_slice()),
        ("1.1.14-r10", &["MIT".to_string()][..])
    );
    // busybox's `D:so:libc.musl-x86_64.so.1` is provided by musl's `p:so:libc.musl-x86_64.so.1=1`.
    assert_eq!(packages["busybox"].depends_on, [musl.id()]);
}

/// One row of a recorded `rpm -qa` listing (see `tests/data/*.tsv`).
struct RpmQa {
    name: String,
    version: String,
    arch: String,
    source_rpm: String,
    license: String,
}

fn rpm_qa(file: &str) -> Vec<RpmQa> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let text = std::fs::read_to_string(format!("{path}{file}")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let epoch = if f[1] == "(none)" {
                String::new()
            } else {
                format!("{}:", f[1])
            };
            RpmQa {
                name: f[0].to_string(),
                version: format!("{epoch}{}-{}", f[2], f[3]),
                arch: f[4].to_string(),
                source_rpm: f[5].to_string(),
                license: f[6].to_string(),
            }
        })
        .collect()
}

/// `SOURCERPM` as rpm stores it, rebuilt from the package's source name and version.
fn source_rpm(p: &Package) -> String {
    let version = p.source_version.as_deref().unwrap();
    let version = version.split_once(':').map_or(version, |(_, v)| v);
    format!("{}-{version}.src.rpm", p.source_name.as_deref().unwrap())
}

fn assert_matches_rpm_qa(packages: &[Package], listing: &str) {
    let expected = rpm_qa(listing);
    assert_eq!(packages.len(), expected.len(), "{listing}");
    let found = by_name(packages);
    for row in &expected {
        let p = found
            .get(row.name.as_str())
            .unwrap_or_else(|| panic!("{}: {} missing", listing, row.name));
        assert_eq!(p.version, row.version, "{}", row.name);
        assert_eq!(p.arch.as_deref(), Some(row.arch.as_str()), "{}", row.name);
        assert_eq!(source_rpm(p), row.source_rpm, "{}", row.name);
        assert_eq!(
            p.licenses,
            std::slice::from_ref(&row.license),
            "{}",
            row.name
        );
        assert_eq!(p.pkg_type, "rpm");
    }
}

#[test]
fn rpm_sqlite_backend() {
    let inventory = resolve_one(
        "var/lib/rpm/rpmdb.sqlite",
        "rpm/sqlite-cbl-mariner-2.0/rpmdb.sqlite",
    );
    assert_matches_rpm_qa(&inventory.packages, "cbl-mariner-2.0.rpm-qa.tsv");
    assert_dependencies_closed(&inventory.packages);
    let packages = by_name(&inventory.packages);
    // Epoch kept in the version: `ca-certificates-base` has EPOCH 1 in `rpm -qa`.
    assert_eq!(packages["ca-certificates-base"].version, "1:2.0.0-1.cm2");
    // `bash` requires `libc.so.6()(64bit)` (provided by glibc) and `/bin/sh` (a file bash owns).
    let glibc = packages["glibc"].id();
    assert!(
        packages["bash"].depends_on.contains(&glibc),
        "{:?}",
        packages["bash"].depends_on
    );
}

#[test]
fn rpm_berkeley_db_backend() {
    for (fixture, listing) in [
        ("rpm/bdb-libuuid/Packages", "bdb-libuuid.rpm-qa.tsv"),
        ("rpm/bdb-syft/Packages", "bdb-syft.rpm-qa.tsv"),
    ] {
        let inventory = resolve_one("var/lib/rpm/Packages", fixture);
        assert_matches_rpm_qa(&inventory.packages, listing);
    }
}

/// The `SOURCERPM` strings in a file's raw bytes: NUL-delimited runs ending in `.src.rpm`.
fn raw_source_rpms(bytes: &[u8]) -> Vec<String> {
    let mut found: Vec<String> = bytes
        .split(|b| *b == 0)
        .filter(|run| run.ends_with(b".src.rpm") && run.iter().all(|b| b.is_ascii_graphic()))
        .map(|run| String::from_utf8_lossy(run).into_owned())
        .collect();
    found.sort();
    found
}

#[test]
fn rpm_ndb_backend() {
    let bytes = read_shared(&format!("{PKGDB}/rpm/ndb-sle15-bci/Packages.db"));
    // Independent facts from the raw file: one `BlbS` blob per package, and one SOURCERPM
    // string per header. (rpm on this machine is built without NDB, and go-rpmdb's packages.csv
    // describes a later version of this file, so neither could serve as the reference.)
    let blobs = bytes.windows(4).filter(|w| *w == b"BlbS").count();
    assert_eq!(blobs, 35);
    let squashed = one_layer(&[("usr/lib/sysimage/rpm/Packages.db", &bytes)]);
    let inventory = resolve(&squashed);
    assert_eq!(inventory.packages.len(), blobs);
    let mut rebuilt: Vec<String> = inventory.packages.iter().map(source_rpm).collect();
    rebuilt.sort();
    assert_eq!(rebuilt, raw_source_rpms(&bytes));
    assert_dependencies_closed(&inventory.packages);
    let bash = by_name(&inventory.packages)["bash"];
    assert_eq!(
        (bash.version.as_str(), bash.arch.as_deref()),
        ("4.4-19.6.1", Some("x86_64"))
    );
}

#[test]
fn rpm_sqlite_counts_match_raw_source_rpms() {
    let bytes = read_shared(&format!("{PKGDB}/rpm/sqlite-cbl-mariner-2.0/rpmdb.sqlite"));
    let inventory = resolve(&one_layer(&[("var/lib/rpm/rpmdb.sqlite", &bytes)]));
    let mut rebuilt: Vec<String> = inventory.packages.iter().map(source_rpm).collect();
    rebuilt.sort();
    assert_eq!(rebuilt, raw_source_rpms(&bytes));
}

fn os_of(files: &[(&str, &[u8])], symlinks: &[(&str, &str)]) -> Option<osprey_model::OsInfo> {
    let mut squashed: Squashed = one_layer(files);
    squashed.symlinks = symlinks
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    resolve(&squashed).os
}

#[test]
fn os_release_fixtures_and_debian_version() {
    let d12 = read_shared(&format!("{PKGDB}/os-release/debian-12/os-release"));
    let d11 = read_shared(&format!("{PKGDB}/os-release/debian-11/os-release"));
    let os = os_of(
        &[("etc/os-release", &d12), ("etc/debian_version", b"12.15\n")],
        &[],
    )
    .unwrap();
    assert_eq!((os.family.as_str(), os.name.as_str()), ("debian", "12.15"));
    assert_eq!(os.codename.as_deref(), Some("bookworm"));
    assert_eq!(
        os.pretty_name.as_deref(),
        Some("Debian GNU/Linux 12 (bookworm)")
    );
    let os = os_of(&[("etc/os-release", &d11)], &[]).unwrap();
    assert_eq!((os.family.as_str(), os.name.as_str()), ("debian", "11"));
    // A non-numeric debian_version (testing/sid) gives way to VERSION_ID.
    let os = os_of(
        &[
            ("usr/lib/os-release", &d12),
            ("etc/debian_version", b"bookworm/sid\n"),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(os.name, "12");
}

#[test]
fn os_release_through_symlinks() {
    let d12 = read_shared(&format!("{PKGDB}/os-release/debian-12/os-release"));
    let files: &[(&str, &[u8])] = &[
        ("usr/lib/os-release", &d12),
        ("etc/debian_version", b"12.15"),
    ];
    for target in [
        "../usr/lib/os-release",
        "/usr/lib/os-release",
        "../../../../usr/lib/os-release",
    ] {
        let os = os_of(files, &[("etc/os-release", target)]).unwrap();
        assert_eq!(os.name, "12.15", "{target}");
    }
    // A symlink's own entry analysed as if it were a file (empty content) does not hide the
    // target.
    let os = os_of(
        &[("usr/lib/os-release", &d12), ("etc/os-release", b"")],
        &[("etc/os-release", "../usr/lib/os-release")],
    )
    .unwrap();
    assert_eq!((os.family.as_str(), os.name.as_str()), ("debian", "12"));
    // A chain through a directory link.
    let os = os_of(
        &[("usr/lib/os-release", b"ID=alpine\nVERSION_ID=3.20.3\n")],
        &[("etc/os-release", "../lib/os-release"), ("lib", "usr/lib")],
    )
    .unwrap();
    assert_eq!((os.family.as_str(), os.name.as_str()), ("alpine", "3.20.3"));
    // A loop resolves to nothing; the file's own copy under usr/lib is then the fallback.
    let os = os_of(
        &[("usr/lib/os-release", b"ID=wolfi\nVERSION_ID=20230201\n")],
        &[
            ("etc/os-release", "os-release2"),
            ("etc/os-release2", "os-release"),
        ],
    )
    .unwrap();
    assert_eq!(
        (os.family.as_str(), os.name.as_str()),
        ("wolfi", "20230201")
    );
}

#[test]
fn os_release_only_from_final_filesystem() {
    let mut facts = located(
        0,
        false,
        analyze("etc/os-release", b"ID=alpine\nVERSION_ID=3.19.0\n"),
    );
    facts.extend(located(
        1,
        true,
        analyze("etc/os-release", b"ID=alpine\nVERSION_ID=3.20.3\n"),
    ));
    let squashed = Squashed {
        facts,
        ..Squashed::default()
    };
    assert_eq!(resolve(&squashed).os.unwrap().name, "3.20.3");
}

/// Release files as the distributions ship them (contents typed from the distributions'
/// published images; the families are Trivy's names).
#[test]
fn os_families() {
    type Files<'a> = &'a [(&'a str, &'a [u8])];
    let cases: &[(Files<'_>, &str, &str)] = &[
        (
            &[
                (
                    "etc/os-release",
                    b"NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n",
                ),
                ("etc/debian_version", b"bookworm/sid\n"),
            ],
            "ubuntu",
            "22.04",
        ),
        (
            &[
                ("etc/os-release", b"ID=alpine\nVERSION_ID=3.20.3\n"),
                ("etc/alpine-release", b"3.20.3\n"),
            ],
            "alpine",
            "3.20.3",
        ),
        (
            &[
                ("etc/os-release", b"ID=\"centos\"\nVERSION_ID=\"7\"\n"),
                (
                    "etc/centos-release",
                    b"CentOS Linux release 7.9.2009 (Core)\n",
                ),
                (
                    "etc/redhat-release",
                    b"CentOS Linux release 7.9.2009 (Core)\n",
                ),
            ],
            "centos",
            "7.9.2009",
        ),
        (
            &[(
                "etc/redhat-release",
                b"Red Hat Enterprise Linux release 8.7 (Ootpa)\n",
            )],
            "redhat",
            "8.7",
        ),
        (
            &[("etc/os-release", b"ID=\"rhel\"\nVERSION_ID=\"9.4\"\n")],
            "redhat",
            "9.4",
        ),
        (
            &[
                ("etc/os-release", b"ID=\"rocky\"\nVERSION_ID=\"9.3\"\n"),
                (
                    "etc/rocky-release",
                    b"Rocky Linux release 9.3 (Blue Onyx)\n",
                ),
            ],
            "rocky",
            "9.3",
        ),
        (
            &[("etc/os-release", b"ID=\"almalinux\"\nVERSION_ID=\"9.3\"\n")],
            "alma",
            "9.3",
        ),
        (
            &[("etc/fedora-release", b"Fedora release 39 (Thirty Nine)\n")],
            "fedora",
            "39",
        ),
        (
            &[
                ("etc/os-release", b"ID=\"amzn\"\nVERSION_ID=\"2\"\n"),
                ("etc/system-release", b"Amazon Linux release 2 (Karoo)\n"),
            ],
            "amazon",
            "2",
        ),
        (
            &[(
                "etc/system-release",
                b"Amazon Linux release 2023.3.20240108 (Amazon Linux)\n",
            )],
            "amazon",
            "2023.3.20240108",
        ),
        (
            &[("etc/os-release", b"ID=mariner\nVERSION_ID=\"2.0\"\n")],
            "cbl-mariner",
            "2.0",
        ),
        (
            &[("etc/mariner-release", b"CBL-Mariner 2.0.20230630\n")],
            "cbl-mariner",
            "2.0.20230630",
        ),
        (
            &[("etc/os-release", b"ID=azurelinux\nVERSION_ID=\"3.0\"\n")],
            "azurelinux",
            "3.0",
        ),
        (
            &[("etc/os-release", b"ID=\"sles\"\nVERSION_ID=\"15.3\"\n")],
            "sles",
            "15.3",
        ),
        (
            &[(
                "etc/os-release",
                b"ID=\"opensuse-leap\"\nVERSION_ID=\"15.5\"\n",
            )],
            "opensuse-leap",
            "15.5",
        ),
        (
            &[("etc/os-release", b"ID=\"sle-micro\"\nVERSION_ID=\"5.5\"\n")],
            "slem",
            "5.5",
        ),
        (
            &[("etc/os-release", b"ID=wolfi\nVERSION_ID=20230201\n")],
            "wolfi",
            "20230201",
        ),
        (
            &[("etc/os-release", b"ID=chainguard\nVERSION_ID=20230214\n")],
            "chainguard",
            "20230214",
        ),
        (
            &[("etc/os-release", b"ID=photon\nVERSION_ID=4.0\n")],
            "photon",
            "4.0",
        ),
        (
            &[(
                "etc/photon-release",
                b"VMware Photon OS 5.0\nPHOTON_BUILD_NUMBER=dde71ec57\n",
            )],
            "photon",
            "5.0",
        ),
        (
            &[("etc/os-release", b"ID=\"ol\"\nVERSION_ID=\"8.9\"\n")],
            "oracle",
            "8.9",
        ),
    ];
    for (files, family, name) in cases {
        let os = os_of(files, &[]).unwrap_or_else(|| panic!("no OS for {family}"));
        assert_eq!((os.family.as_str(), os.name.as_str()), (*family, *name));
    }
    assert_eq!(os_of(&[], &[]), None);
}

#[test]
fn rpm_package_urls_use_the_os_family() {
    let db = read_shared(&format!("{PKGDB}/rpm/ndb-sle15-bci/Packages.db"));
    let inventory = resolve(&one_layer(&[
        ("usr/lib/sysimage/rpm/Packages.db", &db),
        ("etc/os-release", b"ID=\"sles\"\nVERSION_ID=\"15.3\"\n"),
    ]));
    let bash = by_name(&inventory.packages)["bash"];
    assert_eq!(
        bash.purl,
        "pkg:rpm/suse/bash@4.4-19.6.1?arch=x86_64&distro=sles-15.3"
    );
    let readline = by_name(&inventory.packages)["libreadline7"];
    assert_eq!(
        readline.purl,
        "pkg:rpm/suse/libreadline7@7.0-19.6.1?arch=x86_64&distro=sles-15.3&upstream=bash%404.4-19.6.1"
    );
}
