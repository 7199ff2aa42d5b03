//! End to end over the `app` image fixture: every file of every layer (read straight from the
//! OCI blobs) goes through every language analyzer that wants it, the facts are squashed by
//! hand (a later layer's whiteout, opaque directory or replacement takes a file out of the
//! final filesystem), and [`resolve`] must give exactly the language packages `expected.json`
//! lists.

use super::tests::shared;
use super::{analyzers, resolve};
use flate2::read::GzDecoder;
use osprey_model::{Ecosystem, Package};
use osprey_scan::{FileMeta, LocatedFact, Skipped, Squashed};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A file entry of one layer tar.
struct Entry {
    path: String,
    mode: u32,
    content: Option<Vec<u8>>,
}

/// The layer tars of the image, in order, as (path, mode, bytes if wanted) lists.
fn layers(image: &Path) -> Vec<Vec<Entry>> {
    let blob = |digest: &str| {
        image
            .join("oci/blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let index = read_json(&image.join("oci/index.json"));
    let manifest_digest = index["manifests"][0]["digest"]
        .as_str()
        .expect("manifest digest");
    let manifest = read_json(&blob(manifest_digest));
    let analyzers = analyzers();
    manifest["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|layer| {
            let digest = layer["digest"].as_str().expect("layer digest");
            let file = std::fs::File::open(blob(digest)).expect("layer blob");
            let mut archive = tar::Archive::new(GzDecoder::new(file));
            let mut entries = Vec::new();
            for entry in archive.entries().expect("tar") {
                let mut entry = entry.expect("tar entry");
                let path = entry.path().expect("path").to_string_lossy().into_owned();
                let path = path
                    .trim_start_matches("./")
                    .trim_start_matches('/')
                    .to_string();
                let mode = entry.header().mode().expect("mode");
                let size = entry.header().size().expect("size");
                let is_file = entry.header().entry_type().is_file();
                let meta = FileMeta {
                    path: &path,
                    size,
                    mode,
                };
                let wanted = is_file && analyzers.iter().any(|a| a.wants(&meta));
                let content = wanted.then(|| {
                    let mut bytes = Vec::new();
                    entry.read_to_end(&mut bytes).expect("read entry");
                    bytes
                });
                entries.push(Entry {
                    path,
                    mode,
                    content,
                });
            }
            entries
        })
        .collect()
}

/// True when a layer after `layer` deletes, hides or replaces `path`.
fn removed_later(all: &[Vec<Entry>], layer: usize, path: &str) -> bool {
    all[layer + 1..].iter().any(|entries| {
        entries.iter().any(|e| {
            if e.path == path {
                return true;
            }
            let (dir, name) = e.path.rsplit_once('/').unwrap_or(("", &e.path));
            let prefix = if dir.is_empty() {
                String::new()
            } else {
                format!("{dir}/")
            };
            if name == ".wh..wh..opq" {
                return path.starts_with(&prefix);
            }
            name.strip_prefix(".wh.").is_some_and(|deleted| {
                let gone = format!("{prefix}{deleted}");
                path == gone || path.starts_with(&format!("{gone}/"))
            })
        })
    })
}

fn squash(all: &[Vec<Entry>]) -> Squashed {
    let mut squashed = Squashed::default();
    for analyzer in analyzers() {
        for (layer, entries) in all.iter().enumerate() {
            for entry in entries {
                let Some(content) = &entry.content else {
                    continue;
                };
                let meta = FileMeta {
                    path: &entry.path,
                    size: content.len() as u64,
                    mode: entry.mode,
                };
                if !analyzer.wants(&meta) {
                    continue;
                }
                match analyzer.analyze(&meta, content) {
                    Ok(facts) => squashed
                        .facts
                        .extend(facts.into_iter().map(|fact| LocatedFact {
                            layer: Some(layer),
                            in_final_fs: !removed_later(all, layer, &entry.path),
                            fact,
                        })),
                    Err(e) => squashed.skipped.push(Skipped {
                        layer: Some(layer),
                        path: entry.path.clone(),
                        analyzer: analyzer.name().to_string(),
                        reason: e.message,
                    }),
                }
            }
        }
    }
    squashed
}

/// (ecosystem, name, version, path, layer) as `expected.json` states them. The Go standard
/// library is written `go1.19.8` there (as `go version -m` prints it); osprey reports it in
/// module-version form, `v1.19.8`, as Go's vulnerability data does.
fn expected_packages(expected: &Value) -> BTreeSet<(String, String, String, String, usize)> {
    expected["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["ecosystem"] != "deb")
        .map(|p| {
            let s = |k: &str| {
                p[k].as_str()
                    .unwrap_or_else(|| panic!("{k} in {p}"))
                    .to_string()
            };
            let mut version = s("version");
            if p["name"] == "stdlib" {
                version = version.replacen("go", "v", 1);
            }
            (
                s("ecosystem"),
                s("name"),
                version,
                s("path"),
                p["layer"].as_u64().expect("layer") as usize,
            )
        })
        .collect()
}

fn key(p: &Package) -> (String, String, String, String, usize) {
    (
        p.ecosystem.to_string(),
        p.name.clone(),
        p.version.clone(),
        p.location.path.clone(),
        p.location.layer.expect("image packages have a layer"),
    )
}

#[test]
fn app_image_language_packages_match_expected_json() {
    let image = shared().join("images/out/app");
    let expected = read_json(&image.join("expected.json"));
    let squashed = squash(&layers(&image));
    assert!(
        squashed.skipped.is_empty(),
        "analyzer errors on real files: {:#?}",
        squashed.skipped
    );
    let packages = resolve(&squashed);

    let want = expected_packages(&expected);
    let got: BTreeSet<_> = packages.iter().map(key).collect();
    assert_eq!(packages.len(), got.len(), "duplicates in {packages:#?}");
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );

    let count = |e: Ecosystem| packages.iter().filter(|p| p.ecosystem == e).count();
    assert_eq!(
        (
            count(Ecosystem::Pypi),
            count(Ecosystem::Npm),
            count(Ecosystem::Golang),
            count(Ecosystem::Cargo)
        ),
        (7, 21, 2, 4)
    );

    // Per-entry facts beyond identity: lockfile and direct flag of npm packages, roles.
    for want in expected["packages"].as_array().expect("packages") {
        if want["ecosystem"] == "deb" {
            continue;
        }
        let p = packages
            .iter()
            .find(|p| p.name == want["name"] && p.location.path == want["path"])
            .expect("matched above");
        if let Some(lockfile) = want.get("lockfile") {
            assert_eq!(p.lockfile.as_deref(), lockfile.as_str(), "{}", p.name);
            assert_eq!(p.direct, want["direct"].as_bool(), "{}", p.name);
            assert_eq!(p.dev, want["dev"].as_bool().expect("dev"), "{}", p.name);
        }
        assert_eq!(p.root, want.get("role").is_some(), "{}", p.name);
        assert!(!p.purl.is_empty(), "{} has no purl", p.name);
    }

    let purl = |name: &str| {
        packages
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.purl.as_str())
            .expect("present")
    };
    assert_eq!(purl("PyYAML"), "pkg:pypi/pyyaml@5.3.1");
    assert_eq!(purl("stdlib"), "pkg:golang/stdlib@v1.19.8");
    assert_eq!(
        purl("example.com/fixtures/gohello"),
        "pkg:golang/example.com/fixtures/gohello"
    );
    assert_eq!(purl("smallvec"), "pkg:cargo/smallvec@1.6.0");
    let requests = packages
        .iter()
        .find(|p| p.name == "requests")
        .expect("requests");
    assert_eq!(requests.depends_on, ["urllib3@1.26.4"]);
    let rusthello = packages
        .iter()
        .find(|p| p.name == "rusthello")
        .expect("rusthello");
    assert_eq!(rusthello.depends_on, ["smallvec@1.6.0", "time@0.1.43"]);
}
