//! The distroless-base image fixture (`../shared/images/out/distroless-base`): its one layer is
//! read from the OCI layout with flate2 + tar, every entry is offered to the analyzers the way
//! the walker will offer it, and the result is checked against the image's `expected.json`.

use crate::common::{located, shared, try_analyze};
use osprey_inventory::{analyzers, resolve};
use osprey_scan::{FileMeta, Squashed};
use serde_json::Value;
use std::io::Read;

fn json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Walks the single layer of the image like the layer walker: wanted regular files are
/// analysed, wanted symlinks are recorded.
fn squash_distroless() -> (Squashed, Value) {
    let image = shared().join("images/out/distroless-base");
    let expected = json(&image.join("expected.json"));
    let blobs = image.join("oci/blobs/sha256");
    let blob = |digest: &str| blobs.join(digest.trim_start_matches("sha256:"));
    let index = json(&image.join("oci/index.json"));
    let manifest = json(&blob(index["manifests"][0]["digest"].as_str().unwrap()));
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    let file = std::fs::File::open(blob(layers[0]["digest"].as_str().unwrap())).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let analyzers = analyzers();
    let mut squashed = Squashed::default();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let raw_path = entry.path().unwrap().to_string_lossy().into_owned();
        let path = raw_path
            .trim_start_matches("./")
            .trim_start_matches('/')
            .to_string();
        let meta = FileMeta {
            path: &path,
            size: entry.header().size().unwrap(),
            mode: entry.header().mode().unwrap(),
        };
        if !analyzers.iter().any(|a| a.wants(&meta)) {
            continue;
        }
        match entry.header().entry_type() {
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .unwrap()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                squashed.symlinks.insert(path.clone(), target);
            }
            tar::EntryType::Regular => {
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).unwrap();
                let facts = try_analyze(&path, &bytes).unwrap();
                squashed.facts.extend(located(0, true, facts));
            }
            _ => {}
        }
    }
    (squashed, expected)
}

#[test]
fn distroless_base_has_its_twelve_debian_packages() {
    let (squashed, expected) = squash_distroless();
    assert_eq!(
        squashed.symlinks.get("etc/os-release").map(String::as_str),
        Some("../usr/lib/os-release"),
        "the fixture's os-release is a symlink"
    );
    let inventory = resolve(&squashed);

    let os = inventory
        .os
        .expect("Debian detected through the os-release symlink");
    assert_eq!(os.family, "debian");
    assert_eq!(os.name, expected["os"]["debian_version"].as_str().unwrap());
    assert_eq!(
        os.codename.as_deref(),
        expected["os"]["version_codename"].as_str()
    );

    let wanted: Vec<&Value> = expected["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] == "deb")
        .collect();
    assert_eq!(wanted.len(), 12);
    assert_eq!(inventory.packages.len(), wanted.len());
    for want in wanted {
        let name = want["name"].as_str().unwrap();
        let found = inventory
            .packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} not found"));
        let s = |key: &str| want[key].as_str();
        assert_eq!(Some(found.version.as_str()), s("version"), "{name}");
        assert_eq!(found.source_name.as_deref(), s("source_name"), "{name}");
        assert_eq!(
            found.source_version.as_deref(),
            s("source_version"),
            "{name}"
        );
        assert_eq!(found.arch.as_deref(), s("architecture"), "{name}");
        assert_eq!(Some(found.location.path.as_str()), s("path"), "{name}");
        assert_eq!(
            found.location.layer,
            want["layer"].as_u64().map(|l| l as usize),
            "{name}"
        );
        assert!(
            found.purl.ends_with("distro=debian-12.15")
                || found.purl.contains("distro=debian-12.15&")
        );
    }
    let purl = |name: &str| {
        inventory
            .packages
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .purl
            .clone()
    };
    assert_eq!(
        purl("libc6"),
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12.15&upstream=glibc"
    );
    assert_eq!(
        purl("zlib1g"),
        "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.15&epoch=1&upstream=zlib"
    );
    // Licences from usr/share/doc/<package>/copyright (expected values: `grep '^License:'` of
    // the DEP-5 files, `grep -o /usr/share/common-licenses/...` of the free-form ones, in
    // order of appearance).
    let licenses = |name: &str| {
        inventory
            .packages
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .licenses
            .clone()
    };
    assert_eq!(licenses("zlib1g"), ["Zlib"]);
    assert_eq!(licenses("tzdata"), ["public-domain"]);
    assert_eq!(licenses("netbase"), ["GPL-2"]);
    assert_eq!(licenses("libc6"), ["LGPL-2.1", "GPL-2"]);
    assert_eq!(licenses("ca-certificates"), ["GPL-2+", "MPL-2.0"]);
    // Dependencies cross status.d files: openssl depends on libssl3 and libc6.
    let openssl = inventory
        .packages
        .iter()
        .find(|p| p.name == "openssl")
        .unwrap();
    let libssl3 = inventory
        .packages
        .iter()
        .find(|p| p.name == "libssl3")
        .unwrap();
    assert!(
        openssl.depends_on.contains(&libssl3.id()),
        "{:?}",
        openssl.depends_on
    );
}
