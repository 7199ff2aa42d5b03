//! Manifests and indexes of both families (Docker v2 schema 2 and OCI), platform selection,
//! and digest checks of fetched documents.

use super::reference::validate_digest;
use crate::{Error, Platform};
use sha2::{Digest, Sha256, Sha512};

/// OCI image manifest.
pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest, schema 2.
pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Config media types of container images.
const IMAGE_CONFIG_TYPES: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// The `Accept` header for manifest requests: every type this client understands.
pub(crate) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<DescriptorPlatform>,
}

/// The platform of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct DescriptorPlatform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl std::fmt::Display for DescriptorPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A fetched manifest document, classified.
#[derive(Debug)]
pub(crate) enum Document {
    /// An image index or manifest list.
    Index(Vec<Descriptor>),
    /// An image manifest.
    Manifest {
        config: Descriptor,
        layers: Vec<Descriptor>,
    },
}

#[derive(serde::Deserialize)]
struct RawDocument {
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<u64>,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

/// Parses a manifest or index. `content_type` is the response's `Content-Type`; when it is
/// missing or generic, the document's own `mediaType` and shape decide. `what` names the
/// document in errors.
pub(crate) fn parse_document(
    bytes: &[u8],
    content_type: Option<&str>,
    what: &str,
) -> Result<Document, Error> {
    let malformed = |reason: String| Error::Malformed {
        what: what.to_string(),
        reason,
    };
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| malformed(format!("not a manifest JSON object: {e}")))?;
    if !value.is_object() {
        return Err(malformed("not a manifest JSON object".into()));
    }
    let raw: RawDocument = serde_json::from_value(value)
        .map_err(|e| malformed(format!("not a manifest JSON object: {e}")))?;
    if raw.schema_version == Some(1)
        || content_type
            .is_some_and(|t| t.starts_with("application/vnd.docker.distribution.manifest.v1"))
    {
        return Err(malformed(
            "Docker schema 1 manifests are not supported (deprecated since 2017); push the image again with a current client".into(),
        ));
    }
    let header_type = content_type
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .filter(|t| [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].contains(t));
    let media_type = header_type.or(raw.media_type.as_deref());
    let is_index = match media_type {
        Some(OCI_INDEX) | Some(DOCKER_LIST) => true,
        Some(OCI_MANIFEST) | Some(DOCKER_MANIFEST) => false,
        _ => raw.manifests.is_some(),
    };
    let check = |d: &Descriptor| validate_digest(&d.digest).map_err(&malformed);
    if is_index {
        let manifests = raw
            .manifests
            .ok_or_else(|| malformed("index without \"manifests\"".into()))?;
        manifests.iter().try_for_each(check)?;
        return Ok(Document::Index(manifests));
    }
    let config = raw
        .config
        .ok_or_else(|| malformed("manifest without \"config\"".into()))?;
    let layers = raw
        .layers
        .ok_or_else(|| malformed("manifest without \"layers\"".into()))?;
    check(&config)?;
    layers.iter().try_for_each(check)?;
    if !config.media_type.is_empty() && !IMAGE_CONFIG_TYPES.contains(&config.media_type.as_str()) {
        return Err(malformed(format!(
            "not a container image: config media type is {:?} (an artifact such as a Helm chart or signature?)",
            config.media_type
        )));
    }
    Ok(Document::Manifest { config, layers })
}

/// The first index entry for `platform`; the error says what the index offers.
pub(crate) fn select_platform<'a>(
    manifests: &'a [Descriptor],
    platform: &Platform,
) -> Result<&'a Descriptor, String> {
    manifests
        .iter()
        .find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| platform.matches(&p.os, &p.architecture, p.variant.as_deref()))
        })
        .ok_or_else(|| {
            let offered: Vec<String> = manifests
                .iter()
                .filter_map(|d| d.platform.as_ref().map(ToString::to_string))
                .collect();
            format!(
                "no image for platform {platform}; the index offers: {}",
                if offered.is_empty() {
                    "no platform-labelled entries".to_string()
                } else {
                    offered.join(", ")
                }
            )
        })
}

/// The digest of `bytes` with the algorithm `like` uses (`sha256:...` or `sha512:...`).
pub(crate) fn digest_like(like: &str, bytes: &[u8]) -> String {
    if like.starts_with("sha512:") {
        format!("sha512:{}", hex::encode(Sha512::digest(bytes)))
    } else {
        format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
    }
}

/// Checks that `bytes` hash to `expected` (and have `size` bytes when given); `what` says
/// which document of which image, for the error.
pub(crate) fn verify(
    what: &str,
    expected: &str,
    size: Option<u64>,
    bytes: &[u8],
) -> Result<(), Error> {
    if let Some(size) = size.filter(|&s| s != bytes.len() as u64) {
        return Err(Error::Integrity {
            digest: expected.to_string(),
            reason: format!("{what}: expected {size} bytes, got {}", bytes.len()),
        });
    }
    let actual = digest_like(expected, bytes);
    if actual != expected {
        return Err(Error::Integrity {
            digest: expected.to_string(),
            reason: format!("{what}: content hashes to {actual}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn index_json() -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[
              {{"mediaType":"{OCI_MANIFEST}","digest":"{D1}","size":10,"platform":{{"os":"linux","architecture":"amd64"}}}},
              {{"mediaType":"{OCI_MANIFEST}","digest":"{D2}","size":10,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}},
              {{"mediaType":"{OCI_MANIFEST}","digest":"{D2}","size":10,"platform":{{"os":"unknown","architecture":"unknown"}}}}]}}"#
        )
    }

    #[test]
    fn index_and_platform_selection() {
        let Document::Index(m) = parse_document(index_json().as_bytes(), None, "t").unwrap() else {
            panic!("not an index")
        };
        let pick = |p: &str| select_platform(&m, &p.parse().unwrap()).map(|d| d.digest.clone());
        assert_eq!(pick("linux/amd64").unwrap(), D1);
        assert_eq!(pick("linux/arm64").unwrap(), D2);
        assert_eq!(pick("linux/arm64/v8").unwrap(), D2);
        let err = pick("linux/s390x").unwrap_err();
        assert!(
            err.contains("linux/s390x") && err.contains("linux/arm64/v8"),
            "{err}"
        );
    }

    #[test]
    fn docker_manifest_by_content_type_or_shape() {
        let body = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{D1}","size":5}},
               "layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{D2}","size":7}}]}}"#
        );
        for ct in [
            Some(DOCKER_MANIFEST),
            Some("application/json; charset=utf-8"),
            None,
        ] {
            match parse_document(body.as_bytes(), ct, "t").unwrap() {
                Document::Manifest { config, layers } => {
                    assert_eq!(config.digest, D1);
                    assert_eq!(layers.len(), 1);
                    assert_eq!(layers[0].size, 7);
                }
                Document::Index(_) => panic!("manifest read as index"),
            }
        }
    }

    #[test]
    fn hostile_documents_are_refused_with_reasons() {
        let bad_digest =
            r#"{"schemaVersion":2,"config":{"digest":"sha256:../../x","size":1},"layers":[]}"#;
        let artifact = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"{D1}","size":1}},"layers":[]}}"#
        );
        for (body, ct, want) in [
            ("[]", None, "not a manifest JSON object"),
            ("{\"schemaVersion\":1,\"fsLayers\":[]}", None, "schema 1"),
            ("{}", Some(DOCKER_MANIFEST), "without \"config\""),
            ("{}", Some(OCI_INDEX), "without \"manifests\""),
            (bad_digest, None, "invalid digest"),
            (artifact.as_str(), None, "not a container image"),
            (
                "{\"manifests\":[{\"digest\":\"sha256:1\",\"size\":1}]}",
                None,
                "invalid digest",
            ),
            (
                "{\"manifests\":[{\"digest\":5}]}",
                None,
                "not a manifest JSON",
            ),
        ] {
            let err = parse_document(body.as_bytes(), ct, "manifest x").expect_err(body);
            let msg = err.to_string();
            assert!(
                msg.contains("manifest x") && msg.contains(want),
                "{body}: {msg}"
            );
        }
    }

    #[test]
    fn verification_catches_size_and_content() {
        let d = digest_like("sha256:", b"hello");
        assert!(verify("t", &d, Some(5), b"hello").is_ok());
        assert!(
            verify("t", &d, Some(6), b"hello")
                .unwrap_err()
                .to_string()
                .contains("expected 6 bytes")
        );
        assert!(
            verify("t", &d, None, b"hellO")
                .unwrap_err()
                .to_string()
                .contains("hashes to")
        );
        let d512 = digest_like("sha512:", b"x");
        assert_eq!(d512.len(), "sha512:".len() + 128);
        assert!(verify("t", &d512, None, b"x").is_ok());
    }
}
