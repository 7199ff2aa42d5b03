//! Pulling images from container registries (Distribution API v2).
//!
//! [`open`] resolves a reference (`HOST/REPO[:TAG|@DIGEST]`, or a Docker Hub short name such
//! as `alpine`) to an [`ImageSource`]: it fetches the manifest (Docker schema 2 or OCI; an index
//! or manifest list is resolved to the requested [`Platform`]), verifies it against the
//! pinned digest or `Docker-Content-Digest`, then fetches and verifies the config. Layer blobs
//! are streamed on demand by [`ImageSource::open_blob`], unverified: `open_layer` checks every
//! source's blobs the same way.
//!
//! Authentication follows Docker: anonymous first; on a 401 the `WWW-Authenticate` challenge
//! picks basic auth or a bearer token from the challenge's realm (`service`, `scope`; answers
//! with `token` or `access_token`; identity tokens are exchanged as OAuth2 refresh tokens).
//! Credentials come from [`RegistryOptions`] first, then Docker's `config.json`
//! (`credHelpers`, `credsStore`, `auths`), looked up only when a registry asks.
//!
//! Transport: 429, 408 and 5xx answers and transport errors are retried with exponential
//! backoff, honouring `Retry-After`; a blob stream that breaks is resumed with a range
//! request; a bearer token that expires mid-scan is renewed once for all threads.
//! `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` are honoured (ureq reads them). Redirects (blob
//! storage on another host, such as pre-signed S3 URLs) are followed by hand so the
//! registry's `Authorization` header is never sent to another host. TLS is rustls with Mozilla's roots (webpki), plus an extra CA
//! file when given. Verification is off only with [`RegistryOptions::insecure`], which also
//! allows plain HTTP — for loopback hosts only.
//!
//! Names: `repo_tags` and `repo_digests` use the name people write, so Docker Hub images
//! are `docker.io/library/alpine:latest` although the API host is `registry-1.docker.io`;
//! `repo_digests` holds the digest the reference resolved to (the index's, for a
//! multi-platform image, as `docker pull` records it), `manifest_digest` the platform
//! manifest actually read.
//!
//! Why `ureq` and not `oci-client` (STACK.md's suggestion): the scan pipeline is synchronous
//! (rayon threads read layer streams through `std::io::Read`). `oci-client` is async on tokio,
//! so every blob read would need a runtime and a bridge from `AsyncRead` to `Read`; its
//! credential handling also leaves Docker's config file and credential helpers to the
//! caller. `ureq` is blocking, small, uses rustls, and lets us control redirects and the
//! challenge flow directly, which is most of what a registry client is.

mod challenge;
mod client;
mod credentials;
mod manifest;
mod reference;

pub use reference::RegistryReference;

/// Entry points for the fuzz targets in `crates/image/fuzz` and the property tests that
/// feed them random bytes; not an API to build on.
#[doc(hidden)]
pub mod fuzzing {
    /// Parses a `WWW-Authenticate` value; returns how many challenges it holds.
    pub fn parse_challenges(header: &str) -> usize {
        super::challenge::parse_challenges(header).len()
    }

    /// Parses a manifest or index (content type unknown); true when accepted.
    pub fn parse_manifest(bytes: &[u8]) -> bool {
        super::manifest::parse_document(bytes, None, "fuzz input").is_ok()
    }
}

use crate::{Error, ImageMetadata, ImageSource, LayerDescriptor, Platform};
use client::Client;
use manifest::{Document, MANIFEST_ACCEPT};
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

/// Largest manifest or index accepted (containerd uses the same bound).
const MANIFEST_LIMIT: u64 = 4 * 1024 * 1024;
/// Largest image config accepted.
const CONFIG_LIMIT: u64 = 64 * 1024 * 1024;
/// How many nested indexes are followed before giving up.
const MAX_INDEX_DEPTH: usize = 2;

/// How to reach and authenticate to a registry. `Debug` shows which secrets are set,
/// never their values.
#[derive(Clone, Default)]
pub struct RegistryOptions {
    /// Skip TLS certificate verification, and allow plain HTTP for loopback hosts
    /// (`localhost`, `127.0.0.0/8`, `[::1]`). Never implied by anything else.
    pub insecure: bool,
    /// User name for basic auth or the token exchange; needs `password`.
    pub username: Option<String>,
    /// Password or access token for `username`.
    pub password: Option<String>,
    /// A bearer token sent as is (`Authorization: Bearer TOKEN`), skipping the token
    /// exchange; wins over every other credential.
    pub registry_token: Option<String>,
    /// Docker config file with credentials. Default: `$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`; a missing default file means anonymous, a missing file
    /// given here is an error.
    pub docker_config: Option<PathBuf>,
    /// Extra root CA (PEM, one or more certificates) trusted besides Mozilla's roots.
    pub ca_file: Option<PathBuf>,
    /// Connect timeout, time to the response headers, and longest pause between bytes of
    /// a body. Default 30 s.
    pub timeout: Option<Duration>,
    /// Retries after a 408/429/5xx answer or a transport error. Default 4.
    pub retries: Option<u32>,
    /// First backoff step, doubled per retry, when no `Retry-After` is given. Default 500 ms.
    pub retry_delay: Option<Duration>,
}

impl std::fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("RegistryOptions")
            .field("insecure", &self.insecure)
            .field("username", &self.username)
            .field("password", &redacted(&self.password))
            .field("registry_token", &redacted(&self.registry_token))
            .field("docker_config", &self.docker_config)
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("retry_delay", &self.retry_delay)
            .finish()
    }
}

/// Opens the image `reference` (`HOST/REPO[:TAG][@DIGEST]`, or a Docker Hub short name:
/// `alpine` is `registry-1.docker.io/library/alpine:latest`) on its registry; an index is
/// resolved to `platform`.
pub fn open(
    reference: &str,
    opts: &RegistryOptions,
    platform: &Platform,
) -> Result<Box<dyn ImageSource>, Error> {
    let parsed = RegistryReference::parse(reference)?;
    let client = Client::new(parsed.clone(), opts)?;
    let metadata = fetch_metadata(&client, &parsed, reference, platform)?;
    Ok(Box::new(RegistrySource {
        client,
        repository: parsed.repository,
        metadata,
    }))
}

/// An image on a registry; blobs are fetched when opened.
struct RegistrySource {
    client: Client,
    repository: String,
    metadata: ImageMetadata,
}

impl ImageSource for RegistrySource {
    fn metadata(&self) -> &ImageMetadata {
        &self.metadata
    }

    fn open_blob(&self, digest: &str) -> Result<Box<dyn Read + Send + '_>, Error> {
        let what = format!("blob {digest}");
        reference::validate_digest(digest).map_err(|reason| self.client.fail(&what, reason))?;
        let path = format!("/v2/{}/blobs/{digest}", self.repository);
        let response = self.client.get(&path, None, &what)?;
        Ok(Box::new(BlobReader {
            client: &self.client,
            inner: Box::new(response.into_body().into_reader()),
            context: format!(
                "registry {}/{}: {what}",
                self.client.host(),
                self.repository
            ),
            path,
            what,
            offset: 0,
            resumes: 0,
        }))
    }
}

/// A blob body that resumes with a range request when the connection breaks mid-stream,
/// and whose I/O errors say which registry and blob they came from.
struct BlobReader<'a> {
    client: &'a Client,
    inner: Box<dyn Read + Send>,
    context: String,
    path: String,
    what: String,
    /// Bytes handed out so far.
    offset: u64,
    resumes: u32,
}

impl BlobReader<'_> {
    /// Reopens the blob at `self.offset`. A server that ignores `Range` sends it all again:
    /// the part already handed out is skipped.
    fn resume(&mut self) -> Result<(), String> {
        let response = self
            .client
            .get_from(&self.path, self.offset, &self.what)
            .map_err(|e| e.to_string())?;
        let partial = response.status() == ureq::http::StatusCode::PARTIAL_CONTENT;
        if partial {
            let start = response
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("bytes "))
                .and_then(|v| v.split('-').next())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if start != Some(self.offset) {
                return Err(format!(
                    "asked for bytes from {}, got a partial answer starting at {start:?}",
                    self.offset
                ));
            }
        }
        let mut body: Box<dyn Read + Send> = Box::new(response.into_body().into_reader());
        if !partial {
            let skipped =
                std::io::copy(&mut (&mut body).take(self.offset), &mut std::io::sink())
                    .map_err(|e| format!("skipping {} bytes already read: {e}", self.offset))?;
            if skipped != self.offset {
                return Err(format!(
                    "the blob ended at byte {skipped} on the retry, before byte {}",
                    self.offset
                ));
            }
        }
        self.inner = body;
        Ok(())
    }
}

impl Read for BlobReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(n) => {
                    self.offset += n as u64;
                    return Ok(n);
                }
                Err(e) if client::is_retryable_io(&e) && self.resumes < self.client.retries() => {
                    tracing::debug!(blob = %self.what, offset = self.offset, error = %e, "resuming blob");
                    std::thread::sleep(self.client.backoff(self.resumes));
                    self.resumes += 1;
                    if let Err(why) = self.resume() {
                        return Err(std::io::Error::new(
                            e.kind(),
                            format!(
                                "{}: {e}; resuming at byte {} failed: {why}",
                                self.context, self.offset
                            ),
                        ));
                    }
                }
                Err(e) => {
                    let resumed = match self.resumes {
                        0 => String::new(),
                        1 => ", after 1 resume attempt".to_string(),
                        n => format!(", after {n} resume attempts"),
                    };
                    return Err(std::io::Error::new(
                        e.kind(),
                        format!("{}: {e} at byte {}{resumed}", self.context, self.offset),
                    ));
                }
            }
        }
    }
}

/// Manifest (through any indexes), config and layer list.
fn fetch_metadata(
    client: &Client,
    reference: &RegistryReference,
    given: &str,
    platform: &Platform,
) -> Result<ImageMetadata, Error> {
    let top = fetch_manifest(client, reference, reference.manifest_reference(), None)?;
    let top_digest = top.digest.clone();
    let mut current = top;
    let mut depth = 0;
    let (config_descriptor, layer_descriptors) = loop {
        match current.document {
            Document::Manifest { config, layers } => break (config, layers),
            Document::Index(entries) => {
                depth += 1;
                if depth > MAX_INDEX_DEPTH {
                    return Err(client.fail(
                        &format!("manifest {}", current.digest),
                        format!("indexes nested deeper than {MAX_INDEX_DEPTH}"),
                    ));
                }
                let what = format!("index {}", current.digest);
                let chosen = manifest::select_platform(&entries, platform)
                    .map_err(|reason| client.fail(&what, reason))?;
                current = fetch_manifest(client, reference, &chosen.digest, Some(chosen.size))?;
            }
        }
    };
    let config_what = format!("config {}", config_descriptor.digest);
    if config_descriptor.size > CONFIG_LIMIT {
        return Err(client.fail(
            &config_what,
            format!(
                "declared size {} is over the {CONFIG_LIMIT}-byte limit",
                config_descriptor.size
            ),
        ));
    }
    let response = client.get(
        &format!(
            "/v2/{}/blobs/{}",
            reference.repository, config_descriptor.digest
        ),
        None,
        &config_what,
    )?;
    let config_raw = read_limited(client, response, config_descriptor.size + 1, &config_what)?;
    manifest::verify(
        &format!("config of {}", reference.name()),
        &config_descriptor.digest,
        Some(config_descriptor.size),
        &config_raw,
    )?;
    let config: serde_json::Value =
        serde_json::from_slice(&config_raw).map_err(|e| Error::Malformed {
            what: format!("{config_what} of {}", reference.name()),
            reason: e.to_string(),
        })?;
    let diff_ids = diff_ids(&config).map_err(|reason| Error::Malformed {
        what: format!("{config_what} of {}", reference.name()),
        reason,
    })?;
    if diff_ids.len() != layer_descriptors.len() {
        return Err(Error::Malformed {
            what: format!("{config_what} of {}", reference.name()),
            reason: format!(
                "rootfs.diff_ids lists {} layers but manifest {} has {}",
                diff_ids.len(),
                current.digest,
                layer_descriptors.len()
            ),
        });
    }
    warn_on_platform_mismatch(&config, platform, reference);
    let layers = layer_descriptors
        .into_iter()
        .zip(diff_ids)
        .map(|(d, diff_id)| LayerDescriptor {
            digest: d.digest,
            size: Some(d.size),
            media_type: d.media_type,
            diff_id,
        })
        .collect();
    let name = reference.name();
    Ok(ImageMetadata {
        name: given.to_string(),
        manifest_digest: Some(current.digest),
        config_digest: config_descriptor.digest,
        config_raw,
        config,
        layers,
        repo_tags: reference
            .tag
            .iter()
            .map(|t| format!("{name}:{t}"))
            .collect(),
        // The digest the reference resolves to (the index's, for multi-platform images),
        // as `docker pull` records it.
        repo_digests: vec![format!("{name}@{top_digest}")],
    })
}

/// A fetched, verified manifest or index.
struct FetchedManifest {
    digest: String,
    document: Document,
}

/// GETs a manifest by tag or digest and verifies it: against the digest when fetched by
/// digest, else against `Docker-Content-Digest` when the registry sends it.
fn fetch_manifest(
    client: &Client,
    reference: &RegistryReference,
    tag_or_digest: &str,
    size: Option<u64>,
) -> Result<FetchedManifest, Error> {
    let what = format!("manifest {tag_or_digest}");
    let response = client.get(
        &format!("/v2/{}/manifests/{tag_or_digest}", reference.repository),
        Some(MANIFEST_ACCEPT),
        &what,
    )?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type");
    let announced = header("docker-content-digest");
    let bytes = read_limited(client, response, MANIFEST_LIMIT, &what)?;
    let digest = if tag_or_digest.contains(':') {
        manifest::verify(
            &format!("manifest of {}", reference.name()),
            tag_or_digest,
            size,
            &bytes,
        )?;
        tag_or_digest.to_string()
    } else {
        let computed = manifest::digest_like(announced.as_deref().unwrap_or("sha256:"), &bytes);
        if let Some(announced) = announced.filter(|a| *a != computed) {
            return Err(Error::Integrity {
                digest: announced,
                reason: format!(
                    "{}/{}: manifest for tag {tag_or_digest:?} hashes to {computed}, not to the \
                     Docker-Content-Digest the registry sent",
                    reference.host, reference.repository
                ),
            });
        }
        computed
    };
    let document = manifest::parse_document(
        &bytes,
        content_type.as_deref(),
        &format!("manifest {digest} of {}", reference.name()),
    )?;
    Ok(FetchedManifest { digest, document })
}

/// Reads a whole body, refusing more than `limit` bytes.
fn read_limited(
    client: &Client,
    response: ureq::http::Response<ureq::Body>,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, Error> {
    response
        .into_body()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| client.fail(what, format!("reading the body: {e}")))
}

/// `rootfs.diff_ids` as strings, each a valid digest.
fn diff_ids(config: &serde_json::Value) -> Result<Vec<String>, String> {
    let list = config
        .pointer("/rootfs/diff_ids")
        .and_then(|v| v.as_array())
        .ok_or("no rootfs.diff_ids array")?;
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let s = v
                .as_str()
                .ok_or_else(|| format!("rootfs.diff_ids[{i}] is not a string"))?;
            reference::validate_digest(s).map_err(|e| format!("rootfs.diff_ids[{i}]: {e}"))?;
            Ok(s.to_string())
        })
        .collect()
}

/// A single-platform image that does not match the requested platform is still scanned
/// (the user asked for exactly this image), but said so.
fn warn_on_platform_mismatch(
    config: &serde_json::Value,
    platform: &Platform,
    reference: &RegistryReference,
) {
    let field = |k: &str| config.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let variant = config.get("variant").and_then(|v| v.as_str());
    if !field("os").is_empty() && !platform.matches(field("os"), field("architecture"), variant) {
        tracing::warn!(
            image = %reference,
            image_platform = %format!("{}/{}", field("os"), field("architecture")),
            requested = %platform,
            "image platform differs from the requested platform"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let opts = RegistryOptions {
            username: Some("alice".into()),
            password: Some("hunter2".into()),
            registry_token: Some("tok-abc".into()),
            ..Default::default()
        };
        let shown = format!("{opts:?}");
        assert!(
            shown.contains("alice") && shown.contains("<redacted>"),
            "{shown}"
        );
        assert!(
            !shown.contains("hunter2") && !shown.contains("tok-abc"),
            "{shown}"
        );
    }
}
