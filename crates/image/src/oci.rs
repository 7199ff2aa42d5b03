//! OCI image layouts (a directory, or the same inside a tar: `oci-archive`): `index.json`,
//! nested indexes, manifest, config. Selection is by tag (`org.opencontainers.image.ref.name`),
//! digest, and platform for multi-platform indexes.

use crate::digest::{read_capped, sha256_hex, verify};
use crate::store::Store;
use crate::{Error, ImageMetadata, ImageSource, LayerDescriptor, Platform};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;

/// Largest index or manifest accepted; real ones are a few KiB.
pub(crate) const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Largest image config accepted; real ones are well under 1 MiB even with long histories.
pub(crate) const MAX_CONFIG_BYTES: u64 = 32 << 20;
/// How deep indexes may nest before we call it a loop.
const MAX_INDEX_DEPTH: usize = 4;

const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
const ANNOTATION_CONTAINERD_NAME: &str = "io.containerd.image.name";

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
pub(crate) const MANIFEST_TYPES: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
const CONFIG_TYPES: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// A content descriptor as found in indexes and manifests.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub platform: Option<DescriptorPlatform>,
}

/// The `platform` of an index entry.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DescriptorPlatform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl DescriptorPlatform {
    fn label(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}/{}/{v}", self.os, self.architecture),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Index {
    pub manifests: Vec<Descriptor>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Manifest {
    #[serde(default)]
    pub media_type: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// An image in an OCI layout directory or archive.
pub(crate) struct OciSource {
    store: Box<dyn Store>,
    metadata: ImageMetadata,
}

impl ImageSource for OciSource {
    fn metadata(&self) -> &ImageMetadata {
        &self.metadata
    }

    fn open_blob(&self, digest: &str) -> Result<Box<dyn Read + Send + '_>, Error> {
        blob_reader(self.store.as_ref(), digest)
    }
}

/// Path of a blob inside a layout.
pub(crate) fn blob_path(digest: &str) -> Result<String, Error> {
    Ok(format!("blobs/sha256/{}", sha256_hex(digest)?))
}

fn blob_reader<'a>(store: &'a dyn Store, digest: &str) -> Result<Box<dyn Read + Send + 'a>, Error> {
    let path = blob_path(digest)?;
    if !store.contains(&path) {
        return Err(Error::Integrity {
            digest: digest.to_string(),
            reason: format!("blob missing: {}", store.describe(&path)),
        });
    }
    Ok(store.open(&path)?.0)
}

/// Reads a small blob whole, checking its digest and size.
pub(crate) fn read_blob(store: &dyn Store, desc: &Descriptor, cap: u64) -> Result<Vec<u8>, Error> {
    if desc.size > cap {
        return Err(Error::Malformed {
            what: format!("blob {}", desc.digest),
            reason: format!("descriptor size {} exceeds the {cap}-byte limit", desc.size),
        });
    }
    let reader = blob_reader(store, &desc.digest)?;
    let bytes = read_capped(reader, cap, &format!("blob {}", desc.digest))?;
    verify(&bytes, &desc.digest, Some(desc.size))?;
    Ok(bytes)
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Malformed {
        what: what.to_string(),
        reason: e.to_string(),
    })
}

/// Opens the image `reference` (tag or digest; `None` for the only one) of a layout.
pub(crate) fn open(
    store: Box<dyn Store>,
    name: String,
    reference: Option<&str>,
    platform: &Platform,
) -> Result<OciSource, Error> {
    if !store.contains("oci-layout") {
        return Err(Error::Malformed {
            what: store.describe("oci-layout"),
            reason: "missing: not an OCI image layout".into(),
        });
    }
    let index_what = store.describe("index.json");
    let (reader, _) = store.open("index.json")?;
    let index: Index = parse_json(
        &read_capped(reader, MAX_MANIFEST_BYTES, &index_what)?,
        &index_what,
    )?;
    let top = select_top(&index, &name, reference, platform, &index_what)?;
    let metadata = load_image(store.as_ref(), top, name, platform)?;
    Ok(OciSource { store, metadata })
}

/// Picks the entry of the top-level index the user asked for.
fn select_top<'i>(
    index: &'i Index,
    name: &str,
    reference: Option<&str>,
    platform: &Platform,
    what: &str,
) -> Result<&'i Descriptor, Error> {
    let names = || {
        let names: Vec<&str> = index
            .manifests
            .iter()
            .filter_map(|d| d.annotations.get(ANNOTATION_REF_NAME).map(String::as_str))
            .collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    match reference {
        Some(r) => {
            let digest = r.strip_prefix('@').unwrap_or(r);
            let found = if digest.starts_with("sha256:") {
                index.manifests.iter().find(|d| d.digest == digest)
            } else {
                index.manifests.iter().find(|d| {
                    d.annotations.get(ANNOTATION_REF_NAME).map(String::as_str) == Some(r)
                        || d.annotations
                            .get(ANNOTATION_CONTAINERD_NAME)
                            .map(String::as_str)
                            == Some(r)
                })
            };
            found.ok_or_else(|| Error::Reference {
                reference: r.to_string(),
                reason: format!("not in {what} (names there: {})", names()),
            })
        }
        None if index.manifests.len() == 1 => Ok(&index.manifests[0]),
        None if index.manifests.is_empty() => Err(Error::Malformed {
            what: what.to_string(),
            reason: "the index lists no images".into(),
        }),
        // Several images: a multi-platform set stored at the top level is chosen by platform;
        // otherwise the user must say which.
        None if index.manifests.iter().all(|d| d.platform.is_some()) => {
            select_platform(&index.manifests, platform, what)
        }
        None => Err(Error::Reference {
            reference: name.to_string(),
            reason: format!(
                "{what} lists {} images; name one with :TAG or :sha256:DIGEST (names: {})",
                index.manifests.len(),
                names()
            ),
        }),
    }
}

/// Picks the manifest for `platform` from the entries of an index.
fn select_platform<'i>(
    manifests: &'i [Descriptor],
    platform: &Platform,
    what: &str,
) -> Result<&'i Descriptor, Error> {
    if let [only] = manifests
        && only.platform.is_none()
    {
        return Ok(only);
    }
    let found = manifests.iter().find(|d| {
        d.platform
            .as_ref()
            .is_some_and(|p| platform.matches(&p.os, &p.architecture, p.variant.as_deref()))
    });
    found.ok_or_else(|| {
        let available: Vec<String> = manifests
            .iter()
            .filter_map(|d| d.platform.as_ref().map(DescriptorPlatform::label))
            .collect();
        Error::Reference {
            reference: platform.to_string(),
            reason: format!(
                "{what} has no image for platform {platform} (available: {}); choose one with --platform",
                available.join(", ")
            ),
        }
    })
}

fn is_index(desc: &Descriptor, bytes: &[u8]) -> bool {
    if INDEX_TYPES.contains(&desc.media_type.as_str()) {
        return true;
    }
    if MANIFEST_TYPES.contains(&desc.media_type.as_str()) {
        return false;
    }
    // No or unknown media type on the descriptor: an index is the one with `manifests`.
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .is_some_and(|v| v.get("manifests").is_some())
}

/// Follows nested indexes down to one manifest, then reads it and its config.
fn load_image(
    store: &dyn Store,
    top: &Descriptor,
    name: String,
    platform: &Platform,
) -> Result<ImageMetadata, Error> {
    let mut desc = top.clone();
    let mut depth = 0;
    let manifest_bytes = loop {
        let bytes = read_blob(store, &desc, MAX_MANIFEST_BYTES)?;
        if !is_index(&desc, &bytes) {
            break bytes;
        }
        depth += 1;
        if depth > MAX_INDEX_DEPTH {
            return Err(Error::Malformed {
                what: format!("index {}", desc.digest),
                reason: format!("indexes nest more than {MAX_INDEX_DEPTH} deep"),
            });
        }
        let what = format!("index {}", desc.digest);
        let nested: Index = parse_json(&bytes, &what)?;
        desc = select_platform(&nested.manifests, platform, &what)?.clone();
    };
    let what = format!("manifest {}", desc.digest);
    let manifest: Manifest = parse_json(&manifest_bytes, &what)?;
    if !manifest.media_type.is_empty() && !MANIFEST_TYPES.contains(&manifest.media_type.as_str()) {
        return Err(Error::Malformed {
            what,
            reason: format!("unsupported manifest media type {:?}", manifest.media_type),
        });
    }
    if !manifest.config.media_type.is_empty()
        && !CONFIG_TYPES.contains(&manifest.config.media_type.as_str())
    {
        return Err(Error::Malformed {
            what,
            reason: format!(
                "config media type {:?} is not a container image config (an artifact?)",
                manifest.config.media_type
            ),
        });
    }
    let config_raw = read_blob(store, &manifest.config, MAX_CONFIG_BYTES)?;
    let config_what = format!("config {}", manifest.config.digest);
    let config: serde_json::Value = parse_json(&config_raw, &config_what)?;
    let diff_ids = diff_ids(&config, &config_what, manifest.layers.len())?;
    let layers = manifest
        .layers
        .iter()
        .zip(diff_ids)
        .map(|(l, diff_id)| {
            sha256_hex(&l.digest)?;
            Ok(LayerDescriptor {
                digest: l.digest.clone(),
                size: Some(l.size),
                media_type: l.media_type.clone(),
                diff_id,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    // containerd records the full name; skopeo and others may put one in ref.name instead of
    // a bare tag (`oci:dir:alpine:3`).
    let repo_name = top
        .annotations
        .get(ANNOTATION_CONTAINERD_NAME)
        .or_else(|| {
            top.annotations
                .get(ANNOTATION_REF_NAME)
                .filter(|r| r.contains(':') || r.contains('/'))
        })
        .map(|n| familiar(n));
    let repo_tags: Vec<String> = repo_name.iter().cloned().collect();
    let repo_digests = repo_name
        .iter()
        .map(|n| format!("{}@{}", strip_tag(n), top.digest))
        .collect();
    Ok(ImageMetadata {
        name,
        manifest_digest: Some(desc.digest.clone()),
        config_digest: manifest.config.digest.clone(),
        config_raw,
        config,
        layers,
        repo_tags,
        repo_digests,
    })
}

/// The config's `rootfs.diff_ids`, which must match the manifest's layer count.
pub(crate) fn diff_ids(
    config: &serde_json::Value,
    what: &str,
    layer_count: usize,
) -> Result<Vec<String>, Error> {
    let bad = |reason: String| Error::Malformed {
        what: what.to_string(),
        reason,
    };
    let list = config
        .pointer("/rootfs/diff_ids")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| bad("no rootfs.diff_ids".into()))?;
    let ids = list
        .iter()
        .map(|v| {
            let id = v
                .as_str()
                .ok_or_else(|| bad("rootfs.diff_ids holds a non-string".into()))?;
            sha256_hex(id)?;
            Ok(id.to_string())
        })
        .collect::<Result<Vec<_>, Error>>()?;
    if ids.len() != layer_count {
        return Err(bad(format!(
            "rootfs.diff_ids lists {} layers, the manifest {layer_count}",
            ids.len()
        )));
    }
    Ok(ids)
}

/// The short form Docker shows (`docker.io/library/alpine:3` -> `alpine:3`).
pub(crate) fn familiar(name: &str) -> String {
    let short = name
        .strip_prefix("docker.io/library/")
        .or_else(|| name.strip_prefix("docker.io/"))
        .unwrap_or(name);
    short.to_string()
}

/// `repo:tag` -> `repo` (a `:` after the last `/` is the tag, one before it a port).
pub(crate) fn strip_tag(name: &str) -> &str {
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].find(':') {
        Some(i) => &name[..slash + i],
        None => name,
    }
}
