use crate::Error;
use std::io::Read;

/// One layer as the manifest and config describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDescriptor {
    /// Digest of the blob as stored (`sha256:...`).
    pub digest: String,
    /// Size of the blob as stored, when the manifest states it (docker-archive does not).
    pub size: Option<u64>,
    /// Media type from the manifest (Docker or OCI family), empty when unknown.
    pub media_type: String,
    /// Digest of the uncompressed tar, from the config's `rootfs.diff_ids`.
    pub diff_id: String,
}

/// What every image source knows before any layer is read.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageMetadata {
    /// The reference as the user gave it.
    pub name: String,
    /// Digest of the manifest (`sha256:...`), when there is one.
    pub manifest_digest: Option<String>,
    /// Digest of the config blob: the image ID.
    pub config_digest: String,
    /// The config blob exactly as stored.
    pub config_raw: Vec<u8>,
    /// The config, parsed.
    pub config: serde_json::Value,
    /// Layers, bottom first.
    pub layers: Vec<LayerDescriptor>,
    /// `name:tag` references the source knows for the image.
    pub repo_tags: Vec<String>,
    /// `name@sha256:...` references the source knows for the image.
    pub repo_digests: Vec<String>,
}

/// A place images are read from: an OCI layout, an archive, a registry.
///
/// Sources only hand out raw blob bytes; [`crate::open_layer`] (one implementation for all
/// sources) verifies digest and size and decompresses.
pub trait ImageSource: Send + Sync {
    /// Manifest, config and layer list.
    fn metadata(&self) -> &ImageMetadata;

    /// Opens a blob by digest, unverified and as stored (possibly compressed).
    fn open_blob(&self, digest: &str) -> Result<Box<dyn Read + Send + '_>, Error>;
}
