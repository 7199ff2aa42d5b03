//! Both forms of every fixture image in ../shared/images/out, checked against expected.json.

mod common;

use common::*;
use osprey_image::{Compression, ImageRef, OpenOptions, open, open_layer};

const IMAGES: [&str; 2] = ["app", "distroless-base"];

fn forms(image: &str) -> Vec<(String, ImageRef)> {
    let dir = images_dir().join(image);
    let oci = dir.join("oci");
    let archive = dir.join(format!("{image}.docker.tar"));
    vec![
        (
            "oci".into(),
            format!("oci:{}:latest", oci.display()).parse().unwrap(),
        ),
        (
            "oci (detected)".into(),
            oci.display().to_string().parse().unwrap(),
        ),
        (
            "docker-archive (detected)".into(),
            archive.display().to_string().parse().unwrap(),
        ),
    ]
}

fn expected_whiteouts(expected: &serde_json::Value, layer: u64) -> Vec<String> {
    expected["whiteouts"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|w| w["layer"] == layer && w["type"] != "replaced-file")
                .map(|w| w["path"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn detection_picks_the_right_source() {
    for image in IMAGES {
        let f = forms(image);
        assert!(matches!(f[1].1, ImageRef::OciLayout { .. }), "{image}");
        assert!(matches!(f[2].1, ImageRef::DockerArchive { .. }), "{image}");
    }
}

#[test]
fn metadata_matches_expected() {
    for image in IMAGES {
        let expected = expected(image);
        let layers = expected["layers"].as_array().unwrap();
        for (form, reference) in forms(image) {
            let src =
                open(&reference, &OpenOptions::default()).unwrap_or_else(|e| panic!("{form}: {e}"));
            let meta = src.metadata();
            assert_eq!(
                meta.config_digest, expected["oci"]["config_digest"],
                "{image} {form}"
            );
            assert_eq!(meta.layers.len(), layers.len(), "{image} {form}");
            for (got, want) in meta.layers.iter().zip(layers) {
                assert_eq!(got.diff_id, want["diff_id"], "{image} {form}");
            }
            if form.starts_with("oci") {
                assert_eq!(
                    meta.manifest_digest.as_deref(),
                    expected["oci"]["manifest_digest"].as_str(),
                    "{image} {form}"
                );
                for (got, want) in meta.layers.iter().zip(layers) {
                    assert_eq!(got.digest, want["digest"]);
                    assert_eq!(got.size, want["size"].as_u64());
                }
            } else {
                assert_eq!(
                    serde_json::json!(meta.repo_tags),
                    expected["docker_archive"]["repo_tags"],
                    "{image}"
                );
            }
            assert_eq!(
                meta.repo_tags,
                [format!("scanner-fixtures/{image}:latest")],
                "{image} {form}"
            );
            assert_eq!(meta.config["rootfs"]["type"], "layers");
        }
    }
}

#[test]
fn every_layer_walks_to_expected_entries_and_whiteouts() {
    for image in IMAGES {
        let expected = expected(image);
        // The detected OCI form is the same source as the explicit one; walk each once.
        for (form, reference) in forms(image)
            .into_iter()
            .filter(|(f, _)| f != "oci (detected)")
        {
            let src = open(&reference, &OpenOptions::default()).unwrap();
            for want in expected["layers"].as_array().unwrap() {
                let index = want["index"].as_u64().unwrap();
                let entries = walk_all(src.as_ref(), index as usize)
                    .unwrap_or_else(|e| panic!("{image} {form} layer {index}: {e}"));
                assert_eq!(
                    entries.len() as u64,
                    want["entry_count"].as_u64().unwrap(),
                    "{image} {form} layer {index}"
                );
                assert_eq!(
                    whiteouts(&entries),
                    expected_whiteouts(&expected, index),
                    "{image} {form} layer {index}"
                );
                assert_eq!(
                    open_layer(src.as_ref(), index as usize)
                        .unwrap()
                        .compression(),
                    Compression::Gzip
                );
            }
        }
    }
}

#[test]
fn small_layers_match_the_listing() {
    let expected = expected("app");
    let src = open(&forms("app")[0].1, &OpenOptions::default()).unwrap();
    for want in expected["layers"].as_array().unwrap() {
        let Some(listing) = want["entries"].as_array() else {
            continue;
        };
        let index = want["index"].as_u64().unwrap() as usize;
        let got = walk_all(src.as_ref(), index).unwrap();
        for (g, w) in got.iter().zip(listing) {
            assert_eq!(g.path, w["path"].as_str().unwrap().trim_end_matches('/'));
            if w["type"] == "file" {
                assert_eq!(Some(g.size), w["size"].as_u64(), "{}", g.path);
            }
        }
    }
}

#[test]
fn os_release_symlink_resolves_within_the_layer() {
    let src = open(&forms("distroless-base")[0].1, &OpenOptions::default()).unwrap();
    let entries = walk_all(src.as_ref(), 0).unwrap();
    let links: std::collections::HashMap<String, String> = entries
        .iter()
        .filter_map(|e| match &e.kind {
            osprey_image::EntryKind::Symlink { target } => Some((e.path.clone(), target.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(links["etc/os-release"], "../usr/lib/os-release");
    let resolved =
        osprey_image::resolve_symlinks("etc/os-release", |p| links.get(p).cloned()).unwrap();
    assert_eq!(resolved, "usr/lib/os-release");
    assert!(entries.iter().any(|e| e.path == resolved));
}
