//! Shared helpers for the catalogers' tests.

use osprey_model::Package;
use osprey_scan::{Analyzer, FactKind, FileMeta};
use std::path::PathBuf;

/// `../shared` beside the worktree; panics with a clear message when it is missing.
pub(crate) fn shared() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    assert!(
        dir.is_dir(),
        "test data folder {} is missing: the tests need the shared fixtures beside the checkout",
        dir.display()
    );
    dir
}

/// The bytes of `shared/fixtures/pkgdb/<rel>`.
pub(crate) fn fixture(rel: &str) -> Vec<u8> {
    let path = shared().join("fixtures/pkgdb").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()))
}

/// Runs `analyzer` on `content` as if it were the file at `path` (asserting it wants it) and
/// returns the packages of its facts.
pub(crate) fn analyze(analyzer: &dyn Analyzer, path: &str, content: &[u8]) -> Vec<Package> {
    let meta = FileMeta {
        path,
        size: content.len() as u64,
        mode: 0o755,
    };
    assert!(
        analyzer.wants(&meta),
        "{} does not want {path}",
        analyzer.name()
    );
    let facts = analyzer
        .analyze(&meta, content)
        .unwrap_or_else(|e| panic!("{} on {path}: {e}", analyzer.name()));
    facts
        .into_iter()
        .flat_map(|f| match f.kind {
            FactKind::Packages(p) => p,
            _ => Vec::new(),
        })
        .collect()
}

mod resolve_tests {
    use super::super::resolve;
    use osprey_model::{Ecosystem, Package};
    use osprey_scan::{Fact, FactKind, LocatedFact, Squashed};

    fn located(
        analyzer: &str,
        path: &str,
        layer: usize,
        live: bool,
        packages: Vec<Package>,
    ) -> LocatedFact {
        LocatedFact {
            layer: Some(layer),
            in_final_fs: live,
            fact: Fact {
                analyzer: analyzer.to_string(),
                path: path.to_string(),
                kind: FactKind::Packages(packages),
            },
        }
    }

    fn package(
        ecosystem: Ecosystem,
        pkg_type: &str,
        name: &str,
        version: &str,
        path: &str,
    ) -> Package {
        let mut p = Package::new(ecosystem, name, version);
        p.pkg_type = pkg_type.to_string();
        p.location.path = path.to_string();
        p
    }

    #[test]
    fn only_final_files_of_our_analyzers_count_once_each_with_their_layer() {
        let meta = "site/a-1.dist-info/METADATA";
        let old = package(Ecosystem::Pypi, "python-pkg", "a", "1.0", meta);
        let new = package(Ecosystem::Pypi, "python-pkg", "a", "2.0", meta);
        let deb = package(
            Ecosystem::Deb,
            "dpkg",
            "libc6",
            "2.36",
            "var/lib/dpkg/status",
        );
        let squashed = Squashed {
            facts: vec![
                located("python-pkg", meta, 0, false, vec![old]),
                located("python-pkg", meta, 2, true, vec![new.clone(), new]),
                located("dpkg", "var/lib/dpkg/status", 0, true, vec![deb]),
            ],
            ..Squashed::default()
        };
        let packages = resolve(&squashed);
        assert_eq!(packages.len(), 1, "{packages:#?}");
        assert_eq!(packages[0].id(), "a@2.0");
        assert_eq!(packages[0].location.layer, Some(2));
        assert_eq!(packages[0].purl, "pkg:pypi/a@2.0");
    }

    fn locked(pkg_type: &str, name: &str, version: &str, path: &str, lockfile: &str) -> Package {
        let mut p = package(Ecosystem::Npm, pkg_type, name, version, path);
        p.lockfile = Some(lockfile.into());
        p
    }

    fn installed(name: &str, version: &str, path: &str) -> Package {
        package(Ecosystem::Npm, "node-pkg", name, version, path)
    }

    /// (id, evidence path, lockfile) of the resolved packages.
    fn summary(squashed: &Squashed) -> Vec<(String, String, Option<String>)> {
        resolve(squashed)
            .iter()
            .map(|p| (p.id(), p.location.path.clone(), p.lockfile.clone()))
            .collect()
    }

    fn row(id: &str, path: &str, lockfile: Option<&str>) -> (String, String, Option<String>) {
        (id.into(), path.into(), lockfile.map(Into::into))
    }

    #[test]
    fn yarn_entries_fold_into_installed_packages_under_the_lockfile_directory() {
        let web_lock = "web/yarn.lock";
        let src_lock = "src/yarn.lock";
        let lodash_path = "web/node_modules/lodash/package.json";
        let other_path = "other/node_modules/lodash/package.json";
        let squashed = Squashed {
            facts: vec![
                located(
                    "yarn-lock",
                    web_lock,
                    1,
                    true,
                    vec![
                        locked("yarn", "lodash", "4.17.11", web_lock, web_lock),
                        // Not installed although web/node_modules is: omitted, so dropped.
                        locked("yarn", "left-pad", "1.3.0", web_lock, web_lock),
                    ],
                ),
                // Nothing installed beside this lockfile: its entries stand on their own.
                located(
                    "yarn-lock",
                    src_lock,
                    1,
                    true,
                    vec![locked("yarn", "left-pad", "1.3.0", src_lock, src_lock)],
                ),
                located(
                    "node-pkg",
                    lodash_path,
                    2,
                    true,
                    vec![installed("lodash", "4.17.11", lodash_path)],
                ),
                located(
                    "node-pkg",
                    other_path,
                    2,
                    true,
                    vec![installed("lodash", "4.17.11", other_path)],
                ),
            ],
            ..Squashed::default()
        };
        assert_eq!(
            summary(&squashed),
            [
                row("lodash@4.17.11", other_path, None),
                row("left-pad@1.3.0", src_lock, None),
                row("lodash@4.17.11", lodash_path, Some(web_lock)),
            ]
        );
    }

    #[test]
    fn installed_files_beat_a_stale_package_lock() {
        let lock = "app/package-lock.json";
        let ms_path = "app/node_modules/ms/package.json";
        let squashed = Squashed {
            facts: vec![
                located(
                    "npm-lock",
                    lock,
                    1,
                    true,
                    vec![
                        locked("npm", "ms", "2.0.0", ms_path, lock),
                        Package {
                            root: true,
                            ..locked("npm", "app", "1.0.0", "app/package.json", lock)
                        },
                    ],
                ),
                located(
                    "node-pkg",
                    ms_path,
                    2,
                    true,
                    vec![installed("ms", "2.1.3", ms_path)],
                ),
            ],
            ..Squashed::default()
        };
        // The lock's root entry has no package.json to merge into, so it points at the lock.
        // (Output is sorted by evidence path.)
        assert_eq!(
            summary(&squashed),
            [row("ms@2.1.3", ms_path, None), row("app@1.0.0", lock, None)]
        );
    }

    #[test]
    fn go_sum_counts_only_without_a_go_mod_beside_it() {
        let sum_a = package(
            Ecosystem::Golang,
            "gosum",
            "x.com/a",
            "v1.0.0",
            "svc/go.sum",
        );
        let sum_b = package(
            Ecosystem::Golang,
            "gosum",
            "x.com/b",
            "v1.0.0",
            "lib/go.sum",
        );
        let squashed = Squashed {
            facts: vec![
                located("gomod", "svc/go.mod", 0, true, Vec::new()),
                located("gomod", "svc/go.sum", 0, true, vec![sum_a]),
                located("gomod", "lib/go.sum", 0, true, vec![sum_b]),
            ],
            ..Squashed::default()
        };
        let ids: Vec<String> = resolve(&squashed).iter().map(Package::id).collect();
        assert_eq!(ids, ["x.com/b@v1.0.0"]);
    }

    #[test]
    fn go_sum_fills_in_a_pre_1_17_go_mod() {
        use super::super::analyzers;
        use osprey_scan::FileMeta;
        let mut squashed = Squashed::default();
        for file in ["go.mod", "go.sum"] {
            let path = format!("src/{file}");
            let content = super::fixture(&format!("gomod/go116/{file}"));
            let meta = FileMeta {
                path: &path,
                size: content.len() as u64,
                mode: 0o644,
            };
            for analyzer in analyzers().iter().filter(|a| a.wants(&meta)) {
                for fact in analyzer.analyze(&meta, &content).expect("parses") {
                    squashed.facts.push(LocatedFact {
                        layer: Some(0),
                        in_final_fs: true,
                        fact,
                    });
                }
            }
        }
        let packages = resolve(&squashed);
        // Trivy 0.76 reports the same 37 modules for this directory (plus the main module),
        // among them these, with go.mod's own requirement winning over go.sum's versions.
        assert_eq!(packages.len(), 37);
        let ids: Vec<String> = packages.iter().map(Package::id).collect();
        for id in [
            "github.com/aquasecurity/go-dep-parser@v0.0.0-20211224170007-df43bca6b6ff",
            "github.com/stretchr/testify@v1.7.0",
            "golang.org/x/net@v0.0.0-20210119194325-5f4716e94777",
            "gopkg.in/yaml.v2@v2.2.2",
            "gopkg.in/yaml.v3@v3.0.0-20210107192922-496545a6307b",
        ] {
            assert!(ids.contains(&id.to_string()), "{id} missing from {ids:#?}");
        }
        let from_sum = packages.iter().filter(|p| p.location.path == "src/go.sum");
        assert!(from_sum.clone().all(|p| p.direct == Some(false)));
        assert_eq!(from_sum.count(), 35);
    }
}

/// The bytes of `path` in the `app` image fixture, read from its OCI layer blobs (the topmost
/// layer that has it).
pub(crate) fn app_image_file(path: &str) -> Vec<u8> {
    use std::io::Read;
    let image = shared().join("images/out/app/oci");
    let read_json = |p: std::path::PathBuf| -> serde_json::Value {
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let blob = |digest: &str| {
        image
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let index = read_json(image.join("index.json"));
    let manifest = read_json(blob(
        index["manifests"][0]["digest"].as_str().expect("digest"),
    ));
    let mut found = None;
    for layer in manifest["layers"].as_array().expect("layers") {
        let file =
            std::fs::File::open(blob(layer["digest"].as_str().expect("digest"))).expect("blob");
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        for entry in archive.entries().expect("tar") {
            let mut entry = entry.expect("entry");
            if entry
                .path()
                .expect("path")
                .to_string_lossy()
                .trim_start_matches("./")
                == path
            {
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).expect("read");
                found = Some(bytes);
            }
        }
    }
    found.unwrap_or_else(|| panic!("{path} is not in the app image"))
}
