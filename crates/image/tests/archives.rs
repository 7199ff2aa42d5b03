//! Archive forms built here from the fixtures or from scratch: oci-archive, Docker >= 25
//! archives, legacy archives with linked layers, multi-image archives, multi-platform indexes,
//! and a zstd image made by skopeo.

mod common;

use common::*;
use osprey_image::{Compression, ImageRef, OpenOptions, Platform, open, open_layer};
use std::path::Path;

fn opened(reference: &ImageRef) -> Box<dyn osprey_image::ImageSource> {
    open(reference, &OpenOptions::default()).unwrap_or_else(|e| panic!("{reference}: {e}"))
}

fn check_walks(src: &dyn osprey_image::ImageSource, expected: &serde_json::Value, skip_big: bool) {
    for want in expected["layers"].as_array().unwrap() {
        if skip_big && want["uncompressed_size"].as_u64().unwrap() > 8 << 20 {
            continue;
        }
        let index = want["index"].as_u64().unwrap() as usize;
        let entries = walk_all(src, index).unwrap_or_else(|e| panic!("layer {index}: {e}"));
        assert_eq!(
            entries.len() as u64,
            want["entry_count"].as_u64().unwrap(),
            "layer {index}"
        );
    }
}

#[test]
fn oci_archive_is_read_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("app-oci.tar");
    pack_dir(&images_dir().join("app/oci"), &file);
    let reference: ImageRef = file.display().to_string().parse().unwrap();
    assert!(
        matches!(reference, ImageRef::OciArchive { .. }),
        "{reference:?}"
    );
    let expected = expected("app");
    let src = opened(&reference);
    assert_eq!(
        src.metadata().config_digest,
        expected["oci"]["config_digest"]
    );
    assert_eq!(
        src.metadata().manifest_digest.as_deref(),
        expected["oci"]["manifest_digest"].as_str()
    );
    check_walks(src.as_ref(), &expected, true);
    let tagged: ImageRef = format!("oci-archive:{}:latest", file.display())
        .parse()
        .unwrap();
    assert_eq!(
        opened(&tagged).metadata().config_digest,
        expected["oci"]["config_digest"]
    );
}

/// A Docker >= 25 `docker save`: manifest.json points into blobs/sha256 beside an OCI index.
fn docker25_archive(out: &Path) {
    let oci = images_dir().join("app/oci");
    let expected = expected("app");
    let hex = |d: &serde_json::Value| d.as_str().unwrap()[7..].to_string();
    let manifest = serde_json::json!([{
        "Config": format!("blobs/sha256/{}", hex(&expected["oci"]["config_digest"])),
        "RepoTags": ["docker.io/scanner-fixtures/app:latest"],
        "Layers": expected["layers"].as_array().unwrap().iter()
            .map(|l| format!("blobs/sha256/{}", hex(&l["digest"]))).collect::<Vec<_>>(),
    }]);
    let mut builder = tar::Builder::new(std::fs::File::create(out).unwrap());
    builder.append_dir_all("blobs", oci.join("blobs")).unwrap();
    builder
        .append_path_with_name(oci.join("oci-layout"), "oci-layout")
        .unwrap();
    builder
        .append_path_with_name(oci.join("index.json"), "index.json")
        .unwrap();
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o644);
    builder
        .append_data(&mut h, "manifest.json", &bytes[..])
        .unwrap();
    builder.finish().unwrap();
}

#[test]
fn docker25_archive_uses_blob_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("app-docker25.tar");
    docker25_archive(&file);
    let reference: ImageRef = file.display().to_string().parse().unwrap();
    assert!(
        matches!(reference, ImageRef::DockerArchive { .. }),
        "{reference:?}"
    );
    let expected = expected("app");
    let src = opened(&reference);
    let meta = src.metadata();
    assert_eq!(meta.config_digest, expected["oci"]["config_digest"]);
    assert_eq!(meta.repo_tags, ["scanner-fixtures/app:latest"]);
    assert_eq!(
        meta.manifest_digest.as_deref(),
        expected["oci"]["manifest_digest"].as_str()
    );
    for (got, want) in meta
        .layers
        .iter()
        .zip(expected["layers"].as_array().unwrap())
    {
        assert_eq!(got.digest, want["digest"]);
        assert_eq!(got.diff_id, want["diff_id"]);
        assert_eq!(got.size, want["size"].as_u64());
    }
    check_walks(src.as_ref(), &expected, true);
    // The same file read as an oci-archive gives the same image.
    let as_oci: ImageRef = format!("oci-archive:{}", file.display()).parse().unwrap();
    assert_eq!(opened(&as_oci).metadata().layers, meta.layers);
}

#[test]
fn legacy_archive_with_linked_layer_and_several_images() {
    let tar = tar_of(&[("etc/a", b"a")]);
    let tar2 = tar_of(&[("etc/b", b"b")]);
    let config1 = config_for(&[sha256(&tar), sha256(&tar)]);
    let config2 = config_for(&[sha256(&tar2)]);
    let c1 = format!("{}.json", &sha256(&config1)[7..]);
    let c2 = format!("{}.json", &sha256(&config2)[7..]);
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": c1, "RepoTags": ["one:1"], "Layers": ["aaa/layer.tar", "bbb/layer.tar"]},
        {"Config": c2, "RepoTags": ["two:2", "docker.io/library/two:latest"], "Layers": ["ccc/layer.tar"]},
    ]))
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("legacy.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&file).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        builder.append_data(&mut h, name, data).unwrap();
    };
    add("manifest.json", &manifest);
    add(&c1, &config1);
    add(&c2, &config2);
    add("aaa/layer.tar", &gzip(&tar));
    add("ccc/layer.tar", &tar2);
    // `docker save` links a layer that two images share instead of storing it twice.
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    builder
        .append_link(&mut h, "bbb/layer.tar", "../aaa/layer.tar")
        .unwrap();
    builder.finish().unwrap();
    drop(builder);

    let path = file.display();
    let err = open(&format!("{path}").parse().unwrap(), &OpenOptions::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("lists 2 images"), "{err}");
    let one = opened(&format!("docker-archive:{path}:one:1").parse().unwrap());
    assert_eq!(one.metadata().layers.len(), 2);
    for i in 0..2 {
        assert_eq!(walk_all(one.as_ref(), i).unwrap()[0].path, "etc/a");
    }
    assert_eq!(
        open_layer(one.as_ref(), 0).unwrap().compression(),
        Compression::Gzip
    );
    for r in ["two:latest", "two:2", "@1", "docker.io/library/two:latest"] {
        let two = opened(&format!("docker-archive:{path}:{r}").parse().unwrap());
        assert_eq!(two.metadata().config_digest, sha256(&config2), "{r}");
        assert_eq!(walk_all(two.as_ref(), 0).unwrap()[0].path, "etc/b");
    }
    for r in ["three:3", "@2", "@x"] {
        let e = open(
            &format!("docker-archive:{path}:{r}").parse().unwrap(),
            &OpenOptions::default(),
        );
        assert!(e.is_err(), "{r}");
    }
}

/// A layout whose index holds a multi-platform index (tag `multi`) and a plain image (tag
/// `single`).
fn multi_platform_layout(dir: &Path) -> (String, String) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let image = |file: &str| {
        let tar = tar_of(&[(file, b"x")]);
        let config = config_for(&[sha256(&tar)]);
        let config_digest = put_blob(dir, &config);
        let blob = gzip(&tar);
        let layer = put_blob(dir, &blob);
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": blob.len()}],
        }))
        .unwrap();
        (put_blob(dir, &manifest), manifest.len())
    };
    let amd = image("amd64-file");
    let arm = image("arm64-file");
    let single = image("single-file");
    let nested = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": amd.0, "size": amd.1,
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm.0, "size": arm.1,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    }))
    .unwrap();
    let nested_digest = put_blob(dir, &nested);
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": nested_digest, "size": nested.len(),
         "annotations": {"org.opencontainers.image.ref.name": "multi"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": single.0, "size": single.1,
         "annotations": {"org.opencontainers.image.ref.name": "single"}},
    ]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    (single.0, arm.0)
}

#[test]
fn index_selection_by_tag_digest_and_platform() {
    let tmp = tempfile::tempdir().unwrap();
    let (single, arm) = multi_platform_layout(tmp.path());
    let dir = tmp.path().display();
    let with_platform = |r: &str, p: Option<&str>| {
        let opts = OpenOptions {
            platform: p.map(|p| p.parse::<Platform>().unwrap()),
            ..Default::default()
        };
        open(&r.parse().unwrap(), &opts)
            .map(|src| walk_all(src.as_ref(), 0).unwrap()[0].path.clone())
    };
    assert_eq!(
        with_platform(&format!("oci:{dir}:multi"), Some("linux/arm64")).unwrap(),
        "arm64-file"
    );
    assert_eq!(
        with_platform(&format!("oci:{dir}:multi"), Some("linux/amd64")).unwrap(),
        "amd64-file"
    );
    assert_eq!(
        with_platform(&format!("oci:{dir}:single"), Some("linux/arm64")).unwrap(),
        "single-file"
    );
    assert_eq!(
        with_platform(&format!("oci:{dir}:{single}"), None).unwrap(),
        "single-file"
    );
    let arm_src = open(
        &format!("oci:{dir}:multi").parse().unwrap(),
        &OpenOptions {
            platform: Some("linux/arm64/v8".parse().unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        arm_src.metadata().manifest_digest.as_deref(),
        Some(arm.as_str())
    );

    let err = |r: String, p: Option<&str>| with_platform(&r, p).unwrap_err().to_string();
    let e = err(format!("oci:{dir}:multi"), Some("linux/s390x"));
    assert!(
        e.contains("linux/amd64") && e.contains("linux/arm64/v8"),
        "{e}"
    );
    let e = err(format!("oci:{dir}"), None);
    assert!(e.contains("multi") && e.contains("single"), "{e}");
    let e = err(format!("oci:{dir}:nope"), None);
    assert!(e.contains("not in") && e.contains("multi"), "{e}");
}

#[test]
fn skopeo_zstd_image() {
    let which = std::process::Command::new("skopeo")
        .arg("--version")
        .output();
    assert!(
        which.is_ok_and(|o| o.status.success()),
        "skopeo is required (scripts/install-test-deps.sh installs it)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let src_ref = format!(
        "oci:{}:latest",
        images_dir().join("distroless-base/oci").display()
    );
    let dest = tmp.path().join("zstd");
    let status = std::process::Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--dest-compress",
            "--dest-compress-format",
            "zstd",
            &src_ref,
        ])
        .arg(format!("oci:{}:latest", dest.display()))
        .status()
        .unwrap();
    assert!(status.success(), "skopeo copy failed");
    let expected = expected("distroless-base");
    let src = opened(&format!("oci:{}", dest.display()).parse().unwrap());
    assert_eq!(
        src.metadata().layers[0].diff_id,
        expected["layers"][0]["diff_id"]
    );
    assert!(src.metadata().layers[0].media_type.ends_with("zstd"));
    assert_eq!(
        open_layer(src.as_ref(), 0).unwrap().compression(),
        Compression::Zstd
    );
    check_walks(src.as_ref(), &expected, false);
}

#[test]
fn rootfs_and_registry_references_are_not_opened_here() {
    let e = open(&"rootfs:/".parse().unwrap(), &OpenOptions::default())
        .err()
        .unwrap();
    assert!(e.to_string().contains("walk_dir"), "{e}");
    // This branch carries only the registry interface; the real client replaces it.
    let e = open(&"alpine:3".parse().unwrap(), &OpenOptions::default())
        .err()
        .unwrap();
    assert!(matches!(e, osprey_image::Error::Registry(_)), "{e}");
}

#[test]
fn layers_can_be_walked_on_other_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let src = opened(
        &format!("oci:{}", images_dir().join("app/oci").display())
            .parse()
            .unwrap(),
    );
    let counts: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (3..8)
            .map(|i| {
                let src = src.as_ref();
                s.spawn(move || {
                    let reader = open_layer(src, i).unwrap();
                    assert_send(&reader);
                    walk_all(src, i).unwrap().len()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(counts, [5, 3, 3, 9, 7]);
}

#[test]
fn tags_from_repositories_file_and_full_ref_names() {
    let tar = tar_of(&[("etc/a", b"a")]);
    let config = config_for(&[sha256(&tar)]);
    let c = format!("{}.json", &sha256(&config)[7..]);
    let manifest =
        serde_json::to_vec(&serde_json::json!([{"Config": c, "Layers": ["abc/layer.tar"]}]))
            .unwrap();
    let repositories =
        br#"{"docker.io/library/old":{"1.0":"abc","other":"zzz"},"example.com/x":{"v":"abc"}}"#;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("old.tar");
    std::fs::write(
        &file,
        tar_of(&[
            ("manifest.json", &manifest),
            (&c, &config),
            ("abc/layer.tar", &tar),
            ("repositories", repositories),
        ]),
    )
    .unwrap();
    let src = opened(&file.display().to_string().parse().unwrap());
    assert_eq!(src.metadata().repo_tags, ["example.com/x:v", "old:1.0"]);

    // skopeo writes `oci:DIR:NAME:TAG` references into ref.name whole.
    let dir = tmp.path().join("layout");
    let written = write_layout(&dir, &[TestLayer::gzip(tar)]);
    let index_path = dir.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] =
        "docker.io/library/alpine:3".into();
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    let src = opened(
        &format!("oci:{}:docker.io/library/alpine:3", dir.display())
            .parse()
            .unwrap(),
    );
    assert_eq!(src.metadata().repo_tags, ["alpine:3"]);
    assert_eq!(
        src.metadata().repo_digests,
        [format!("alpine@{}", written.manifest_digest)]
    );
}
