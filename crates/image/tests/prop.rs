//! Property tests over random and mutated bytes through the same entry points as the fuzz
//! target (`fuzz/fuzz_targets/walk_layer.rs`): never a panic, and never a "successful" walk of
//! a layer whose digests do not match.

mod common;

use common::*;
use osprey_image::{ImageMetadata, ImageSource, LayerDescriptor, open_layer, walk_layer};
use proptest::prelude::*;
use std::io::{Cursor, Read};

/// A well-formed layer using every header kind the walker handles.
fn rich_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    fn add(
        b: &mut tar::Builder<Vec<u8>>,
        ty: tar::EntryType,
        path: &str,
        link: Option<&str>,
        data: &[u8],
    ) {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(ty);
        h.set_size(data.len() as u64);
        h.set_mode(0o755);
        match link {
            Some(l) => b.append_link(&mut h, path, l).unwrap(),
            None => b.append_data(&mut h, path, data).unwrap(),
        }
    }
    add(&mut b, tar::EntryType::Directory, "usr/lib/", None, b"");
    add(
        &mut b,
        tar::EntryType::Regular,
        &format!("usr/lib/{}", "long".repeat(40)),
        None,
        b"long name",
    );
    add(
        &mut b,
        tar::EntryType::Symlink,
        "etc/os-release",
        Some("../usr/lib/os-release"),
        b"",
    );
    add(
        &mut b,
        tar::EntryType::Link,
        "usr/bin/hard",
        Some("usr/lib/os-release"),
        b"",
    );
    add(&mut b, tar::EntryType::Regular, "app/.wh.gone", None, b"");
    add(
        &mut b,
        tar::EntryType::Regular,
        "app/.wh..wh..opq",
        None,
        b"",
    );
    b.append_pax_extensions([("path", &b"pax/very/long/name"[..])])
        .unwrap();
    add(&mut b, tar::EntryType::Regular, "short", None, b"pax body");
    b.into_inner().unwrap()
}

fn walk_bytes(bytes: &[u8]) -> Result<Vec<String>, osprey_image::Error> {
    let mut paths = Vec::new();
    walk_layer(Cursor::new(bytes), "sha256:prop", |entry, content| {
        let mut sink = Vec::new();
        let _ = content.take(1 << 20).read_to_end(&mut sink);
        paths.push(entry.path.clone());
        Ok(())
    })?;
    Ok(paths)
}

fn assert_normalised(paths: &[String]) {
    for p in paths {
        assert!(!p.starts_with('/'), "{p}");
        assert!(p.split('/').all(|c| c != ".." && c != "."), "{p}");
        assert!(!p.contains("//") && !p.ends_with('/'), "{p}");
    }
}

/// One layer held in memory, described with the digests of `tar`.
struct MemSource {
    metadata: ImageMetadata,
    blob: Vec<u8>,
}

impl MemSource {
    fn new(blob: Vec<u8>, diff_id: String) -> MemSource {
        MemSource {
            metadata: ImageMetadata {
                name: "memory".into(),
                manifest_digest: None,
                config_digest: sha256(b"{}"),
                config_raw: b"{}".to_vec(),
                config: serde_json::json!({}),
                layers: vec![LayerDescriptor {
                    digest: sha256(&blob),
                    size: Some(blob.len() as u64),
                    media_type: String::new(),
                    diff_id,
                }],
                repo_tags: vec![],
                repo_digests: vec![],
            },
            blob,
        }
    }
}

impl ImageSource for MemSource {
    fn metadata(&self) -> &ImageMetadata {
        &self.metadata
    }

    fn open_blob(&self, _digest: &str) -> Result<Box<dyn Read + Send + '_>, osprey_image::Error> {
        Ok(Box::new(Cursor::new(&self.blob)))
    }
}

#[test]
fn rich_tar_walks_cleanly() {
    let tar = rich_tar();
    let paths = walk_bytes(&tar).unwrap();
    assert_eq!(paths.len(), 7);
    assert!(
        paths.contains(&"pax/very/long/name".to_string()),
        "{paths:?}"
    );
    let src = MemSource::new(gzip(&tar), sha256(&tar));
    let digest = src.metadata.layers[0].digest.clone();
    walk_layer(open_layer(&src, 0).unwrap(), &digest, |_, _| Ok(())).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..8192)) {
        if let Ok(paths) = walk_bytes(&bytes) {
            assert_normalised(&paths);
        }
    }

    #[test]
    fn mutated_tars_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut tar = rich_tar();
        for (at, byte) in flips {
            let i = at.index(tar.len());
            tar[i] = byte;
        }
        if truncate {
            tar.truncate(cut.index(tar.len()));
        }
        if let Ok(paths) = walk_bytes(&tar) {
            assert_normalised(&paths);
        }
    }

    #[test]
    fn corrupted_blobs_never_verify(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let tar = rich_tar();
        let mut blob = gzip(&tar);
        let original = blob.clone();
        for (at, byte) in flips {
            let i = at.index(blob.len());
            blob[i] = byte;
        }
        // The manifest still names the original blob: any change must fail the walk.
        let mut src = MemSource::new(blob.clone(), sha256(&tar));
        src.metadata.layers[0].digest = sha256(&original);
        let digest = src.metadata.layers[0].digest.clone();
        let result = open_layer(&src, 0)
            .and_then(|reader| walk_layer(reader, &digest, |_, c| {
                let _ = c.read_to_end(&mut Vec::new());
                Ok(())
            }));
        prop_assert_eq!(result.is_ok(), blob == original);
    }
}
