//! `docker save` archives, read in place: the legacy form (`manifest.json`, `<id>/layer.tar`,
//! `<config>.json`, `repositories`) and the Docker >= 25 form, whose `manifest.json` points
//! into `blobs/sha256/` beside an OCI `index.json`.

use crate::digest::{read_capped, sha256_hex, sha256_of};
use crate::oci::{
    Index, MANIFEST_TYPES, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, Manifest, diff_ids, familiar,
    parse_json, read_blob,
};
use crate::path::normalise;
use crate::store::{Store, TarStore};
use crate::{Error, ImageMetadata, ImageSource, LayerDescriptor};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// One image of `manifest.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ArchiveImage {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// An image in a `docker save` archive.
pub(crate) struct DockerArchiveSource {
    store: TarStore,
    metadata: ImageMetadata,
    /// Layer digest -> archive member holding the blob.
    members: HashMap<String, String>,
}

impl ImageSource for DockerArchiveSource {
    fn metadata(&self) -> &ImageMetadata {
        &self.metadata
    }

    fn open_blob(&self, digest: &str) -> Result<Box<dyn Read + Send + '_>, Error> {
        let member = self.members.get(digest).ok_or_else(|| Error::Integrity {
            digest: digest.to_string(),
            reason: "no such layer in this archive".into(),
        })?;
        Ok(self.store.open(member)?.0)
    }
}

/// The digest a member's name states: `blobs/sha256/<hex>` or `<hex>.json`.
fn digest_in_name(member: &str) -> Option<String> {
    let hex = member
        .strip_prefix("blobs/sha256/")
        .or_else(|| member.strip_suffix(".json"))?;
    let digest = format!("sha256:{hex}");
    sha256_hex(&digest).is_ok().then_some(digest)
}

/// Opens the image `reference` (`name:tag`, `@N`, or `None` for the only one) of an archive.
pub(crate) fn open(
    file: &Path,
    name: String,
    reference: Option<&str>,
) -> Result<DockerArchiveSource, Error> {
    let store = TarStore::index(file)?;
    let manifest_what = store.describe("manifest.json");
    if !store.contains("manifest.json") {
        return Err(Error::Malformed {
            what: manifest_what,
            reason: "missing: not a docker-archive".into(),
        });
    }
    let bytes = read_capped(
        store.open("manifest.json")?.0,
        MAX_MANIFEST_BYTES,
        &manifest_what,
    )?;
    let images: Vec<ArchiveImage> =
        serde_json::from_slice(&bytes).map_err(|e| Error::Malformed {
            what: manifest_what.clone(),
            reason: e.to_string(),
        })?;
    let image = select(&images, &name, reference, &manifest_what)?;

    let config_member = normalise(&image.config).path;
    let config_what = store.describe(&config_member);
    let config_raw = read_capped(
        store.open(&config_member)?.0,
        MAX_CONFIG_BYTES,
        &config_what,
    )?;
    let config_digest = sha256_of(&config_raw);
    if let Some(named) = digest_in_name(&config_member)
        && named != config_digest
    {
        return Err(Error::Integrity {
            digest: named,
            reason: format!("{config_what} hashes to {config_digest}"),
        });
    }
    let config: serde_json::Value =
        serde_json::from_slice(&config_raw).map_err(|e| Error::Malformed {
            what: config_what.clone(),
            reason: e.to_string(),
        })?;
    let diff_ids = diff_ids(&config, &config_what, image.layers.len())?;

    let mut layers = Vec::new();
    let mut members = HashMap::new();
    for (member, diff_id) in image.layers.iter().zip(diff_ids) {
        let member = normalise(member).path;
        let (_, size) = store.open(&member).map_err(|_| Error::Malformed {
            what: manifest_what.clone(),
            reason: format!("it names layer {member:?}, which is not in the archive"),
        })?;
        // Legacy archives do not know the stored blob's digest without hashing it; the layer
        // is then named by its diff_id, which `open_layer` verifies after decompression.
        let digest = digest_in_name(&member).unwrap_or_else(|| diff_id.clone());
        members.insert(digest.clone(), member);
        layers.push(LayerDescriptor {
            digest,
            size: Some(size),
            media_type: String::new(),
            diff_id,
        });
    }
    // Docker >= 25 archives also carry the OCI manifest: it knows the manifest digest and the
    // layers' media types, which manifest.json does not.
    let oci_manifest = oci_manifest_for(&store, &config_digest);
    if let Some((_, manifest)) = &oci_manifest {
        for (layer, desc) in layers.iter_mut().zip(&manifest.layers) {
            if layer.digest == desc.digest {
                layer.media_type.clone_from(&desc.media_type);
            }
        }
    }
    let mut repo_tags: Vec<String> = image
        .repo_tags
        .iter()
        .flatten()
        .map(|t| familiar(t))
        .collect();
    if repo_tags.is_empty() {
        repo_tags = legacy_repositories(&store, image);
    }
    let metadata = ImageMetadata {
        name,
        manifest_digest: oci_manifest.map(|(digest, _)| digest),
        config_digest,
        config_raw,
        config,
        layers,
        repo_tags,
        repo_digests: Vec::new(),
    };
    Ok(DockerArchiveSource {
        store,
        metadata,
        members,
    })
}

fn select<'i>(
    images: &'i [ArchiveImage],
    name: &str,
    reference: Option<&str>,
    what: &str,
) -> Result<&'i ArchiveImage, Error> {
    let tags = || {
        images
            .iter()
            .flat_map(|i| i.repo_tags.iter().flatten())
            .map(|t| familiar(t))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match reference {
        None => match images {
            [only] => Ok(only),
            [] => Err(Error::Malformed {
                what: what.to_string(),
                reason: "it lists no images".into(),
            }),
            _ => Err(Error::Reference {
                reference: name.to_string(),
                reason: format!(
                    "{what} lists {} images; name one with :NAME:TAG or :@INDEX (tags: {})",
                    images.len(),
                    tags()
                ),
            }),
        },
        Some(r) => {
            if let Some(n) = r.strip_prefix('@') {
                let i: usize = n.parse().map_err(|_| Error::Reference {
                    reference: r.to_string(),
                    reason: "expected @INDEX with a number".into(),
                })?;
                return images.get(i).ok_or_else(|| Error::Reference {
                    reference: r.to_string(),
                    reason: format!("{what} lists only {} images", images.len()),
                });
            }
            let wanted = familiar(r);
            images
                .iter()
                .find(|i| i.repo_tags.iter().flatten().any(|t| familiar(t) == wanted))
                .ok_or_else(|| Error::Reference {
                    reference: r.to_string(),
                    reason: format!("not in {what} (tags there: {})", tags()),
                })
        }
    }
}

/// The OCI manifest of a Docker >= 25 archive whose config is `config_digest`, if the archive
/// has an `index.json` listing one. Best effort: manifest.json alone defines the image, so a
/// missing or unreadable OCI side only loses the manifest digest and media types.
fn oci_manifest_for(store: &TarStore, config_digest: &str) -> Option<(String, Manifest)> {
    if !store.contains("index.json") {
        return None;
    }
    let what = store.describe("index.json");
    let read = || -> Result<Option<(String, Manifest)>, Error> {
        let bytes = read_capped(store.open("index.json")?.0, MAX_MANIFEST_BYTES, &what)?;
        let index: Index = parse_json(&bytes, &what)?;
        for desc in index
            .manifests
            .iter()
            .filter(|d| MANIFEST_TYPES.contains(&d.media_type.as_str()))
        {
            let bytes = read_blob(store, desc, MAX_MANIFEST_BYTES)?;
            let manifest: Manifest = parse_json(&bytes, &format!("manifest {}", desc.digest))?;
            if manifest.config.digest == config_digest {
                return Ok(Some((desc.digest.clone(), manifest)));
            }
        }
        Ok(None)
    };
    read().unwrap_or_else(|e| {
        tracing::debug!("ignoring the OCI side of {what}: {e}");
        None
    })
}

/// Tags from the legacy `repositories` file (`{"repo": {"tag": "<top layer id>"}}`), for
/// archives whose manifest.json has no `RepoTags`. Best effort, like the file itself.
fn legacy_repositories(store: &TarStore, image: &ArchiveImage) -> Vec<String> {
    let Some(top) = image
        .layers
        .last()
        .map(|l| normalise(l).path)
        .and_then(|l| l.split('/').next().map(str::to_string))
    else {
        return Vec::new();
    };
    let what = store.describe("repositories");
    let parsed = store
        .open("repositories")
        .and_then(|(reader, _)| read_capped(reader, MAX_MANIFEST_BYTES, &what))
        .and_then(|bytes| parse_json::<HashMap<String, HashMap<String, String>>>(&bytes, &what));
    let Ok(repositories) = parsed else {
        return Vec::new();
    };
    let mut tags: Vec<String> = repositories
        .iter()
        .flat_map(|(repo, tags)| {
            tags.iter()
                .filter(|(_, id)| **id == top)
                .map(move |(tag, _)| familiar(&format!("{repo}:{tag}")))
        })
        .collect();
    tags.sort();
    tags
}
