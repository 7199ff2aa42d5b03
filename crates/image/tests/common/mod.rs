//! Helpers shared by the integration tests: fixture paths and builders for synthetic images.
#![allow(dead_code)] // each test binary uses a different subset

use flate2::Compression as Level;
use flate2::write::GzEncoder;
use osprey_image::{Entry, EntryKind, Error, ImageSource, open_layer, walk_layer};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// `../shared/images/out`, or a panic saying it is missing.
pub fn images_dir() -> PathBuf {
    let shared = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    let dir = shared.join("images/out");
    assert!(
        dir.is_dir(),
        "image fixtures missing: expected {} (the read-only shared data folder beside the checkout)",
        dir.display()
    );
    dir
}

pub fn expected(image: &str) -> serde_json::Value {
    let path = images_dir().join(image).join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Level::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A tar with the given regular files.
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut h, path, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

/// Walks every entry of a layer, reading all file contents; returns entries or the error.
/// The walk runs twice, decompressing inline and on a read-ahead thread, and both must give
/// the same entries or the same error.
pub fn walk_all(src: &dyn ImageSource, index: usize) -> Result<Vec<Entry>, Error> {
    let inline = walk_all_from(src, index, open_layer(src, index)?);
    let ahead = std::thread::scope(|scope| {
        walk_all_from(src, index, open_layer(src, index)?.read_ahead(scope))
    });
    assert_eq!(
        format!("{inline:?}"),
        format!("{ahead:?}"),
        "read-ahead walk differs from the inline one"
    );
    inline
}

fn walk_all_from(
    src: &dyn ImageSource,
    index: usize,
    reader: impl osprey_image::SkipRead,
) -> Result<Vec<Entry>, Error> {
    let digest = src.metadata().layers[index].digest.clone();
    let mut out = Vec::new();
    walk_layer(reader, &digest, |entry, content| {
        std::io::copy(content, &mut std::io::sink()).map_err(|e| Error::Layer {
            layer: digest.clone(),
            path: entry.path.clone(),
            reason: e.to_string(),
        })?;
        out.push(entry.clone());
        Ok(())
    })?;
    Ok(out)
}

/// A layer for [`write_layout`]: the blob as stored and its uncompressed tar.
pub struct TestLayer {
    pub blob: Vec<u8>,
    pub tar: Vec<u8>,
    pub media_type: &'static str,
}

impl TestLayer {
    pub fn gzip(tar: Vec<u8>) -> TestLayer {
        TestLayer {
            blob: gzip(&tar),
            tar,
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
        }
    }
}

/// Digests of what [`write_layout`] wrote.
pub struct Written {
    pub manifest_digest: String,
    pub config_digest: String,
    pub config: Vec<u8>,
    pub manifest: Vec<u8>,
}

pub fn put_blob(dir: &Path, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(&digest[7..]), bytes).unwrap();
    digest
}

pub fn config_for(diff_ids: &[String]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap()
}

/// Writes an OCI layout with one image (tag `latest`) made of `layers`.
pub fn write_layout(dir: &Path, layers: &[TestLayer]) -> Written {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256(&l.tar)).collect();
    let config = config_for(&diff_ids);
    let config_digest = put_blob(dir, &config);
    let layer_descs: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            let d = put_blob(dir, &l.blob);
            serde_json::json!({"mediaType": l.media_type, "digest": d, "size": l.blob.len()})
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": layer_descs,
    }))
    .unwrap();
    let manifest_digest = put_blob(dir, &manifest);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
            "platform": {"os": "linux", "architecture": "amd64"},
        }],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    Written {
        manifest_digest,
        config_digest,
        config,
        manifest,
    }
}

/// Packs a directory tree into a tar file (members relative to `dir`).
pub fn pack_dir(dir: &Path, out: &Path) {
    let mut builder = tar::Builder::new(std::fs::File::create(out).unwrap());
    builder.follow_symlinks(false);
    builder.append_dir_all(".", dir).unwrap();
    builder.finish().unwrap();
}

pub fn read_all(mut r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}

pub fn whiteouts(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EntryKind::Whiteout { .. } | EntryKind::OpaqueDir { .. }
            )
        })
        .map(|e| e.path.clone())
        .collect()
}

/// Builds tars byte by byte, so names the `tar` crate's builder refuses (`../x`) can be written.
#[derive(Default)]
pub struct RawTar {
    pub buf: Vec<u8>,
}

impl RawTar {
    pub fn header(name: &[u8], ty: tar::EntryType, size: u64, link: &[u8]) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        h.set_entry_type(ty);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        h
    }

    pub fn push_header(&mut self, h: &tar::Header) {
        self.buf.extend_from_slice(h.as_bytes());
    }

    pub fn push_data(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.buf.extend(std::iter::repeat_n(0, pad));
    }

    pub fn entry(&mut self, name: &str, ty: tar::EntryType, data: &[u8], link: &str) -> &mut Self {
        let h = Self::header(name.as_bytes(), ty, data.len() as u64, link.as_bytes());
        self.push_header(&h);
        self.push_data(data);
        self
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.entry(name, tar::EntryType::Regular, data, "")
    }

    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        out.extend(std::iter::repeat_n(0, 1024));
        out
    }
}
