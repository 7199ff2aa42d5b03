//! Image references, as skopeo and syft spell them.

use crate::Error;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where an image (or root filesystem) is read from.
///
/// Parsed from:
/// - `oci:DIR[:TAG|:sha256:DIGEST]`: an OCI image layout directory;
/// - `oci-archive:FILE[:TAG|:sha256:DIGEST]`: the same, as a tar file;
/// - `docker-archive:FILE[:NAME:TAG|:@INDEX]`: a `docker save` archive;
/// - `registry:HOST/REPO[:TAG|@DIGEST]`, `docker://...`, or a bare reference (`alpine:3`,
///   `127.0.0.1:5000/app:1`): a registry;
/// - `rootfs:DIR` or `dir:DIR`: a root filesystem, walked with [`crate::walk_dir`];
/// - a path that exists: a directory holding `oci-layout` is an OCI layout, a tar file holding
///   `manifest.json` a docker-archive (this includes Docker >= 25 archives, which also hold
///   `oci-layout`), a tar file holding `oci-layout` an oci-archive.
///
/// As in skopeo, the first `:` after the transport ends the path, so paths containing `:`
/// need the plain-path form.
///
/// ```
/// use osprey_image::ImageRef;
/// let r: ImageRef = "oci:/images/app:latest".parse().unwrap();
/// assert_eq!(r, ImageRef::OciLayout { path: "/images/app".into(), reference: Some("latest".into()) });
/// let r: ImageRef = "alpine:3".parse().unwrap();
/// assert_eq!(r, ImageRef::Registry { reference: "alpine:3".into() });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// An OCI image layout directory.
    OciLayout {
        /// The directory.
        path: PathBuf,
        /// Tag (`org.opencontainers.image.ref.name`) or `sha256:` digest; `None` for the only image.
        reference: Option<String>,
    },
    /// An OCI image layout in a tar file.
    OciArchive {
        /// The tar file.
        path: PathBuf,
        /// Tag or `sha256:` digest; `None` for the only image.
        reference: Option<String>,
    },
    /// A `docker save` archive (legacy or Docker >= 25).
    DockerArchive {
        /// The tar file.
        path: PathBuf,
        /// `name:tag` from `RepoTags`, or `@N` for the N-th image; `None` for the only image.
        reference: Option<String>,
    },
    /// An image in a registry.
    Registry {
        /// `HOST/REPO[:TAG|@DIGEST]` as given.
        reference: String,
    },
    /// A root filesystem directory (a running system's `/`, an unpacked image).
    RootFs {
        /// The directory.
        path: PathBuf,
    },
}

fn split_reference(rest: &str) -> (PathBuf, Option<String>) {
    match rest.split_once(':') {
        Some((path, r)) if !r.is_empty() => (PathBuf::from(path), Some(r.to_string())),
        Some((path, _)) => (PathBuf::from(path), None),
        None => (PathBuf::from(rest), None),
    }
}

fn invalid(reference: &str, reason: impl Into<String>) -> Error {
    Error::Reference {
        reference: reference.to_string(),
        reason: reason.into(),
    }
}

impl FromStr for ImageRef {
    type Err = Error;

    /// Parses a reference; only bare strings that name an existing path touch the filesystem.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(invalid(s, "empty"));
        }
        let nonempty = |path: &Path| -> Result<(), Error> {
            if path.as_os_str().is_empty() {
                Err(invalid(s, "no path after the transport"))
            } else {
                Ok(())
            }
        };
        if let Some(rest) = s.strip_prefix("docker://") {
            return registry(s, rest);
        }
        if let Some((transport, rest)) = s.split_once(':') {
            match transport {
                "oci" | "oci-archive" | "docker-archive" => {
                    let (path, reference) = split_reference(rest);
                    nonempty(&path)?;
                    return Ok(match transport {
                        "oci" => ImageRef::OciLayout { path, reference },
                        "oci-archive" => ImageRef::OciArchive { path, reference },
                        _ => ImageRef::DockerArchive { path, reference },
                    });
                }
                "registry" => return registry(s, rest),
                "rootfs" | "dir" => {
                    let path = PathBuf::from(rest);
                    nonempty(&path)?;
                    return Ok(ImageRef::RootFs { path });
                }
                _ => {}
            }
        }
        let path = Path::new(s);
        if path.exists() {
            return detect(path);
        }
        if s.starts_with('.') || s.starts_with('/') || s.starts_with('~') || s.ends_with(".tar") {
            return Err(invalid(s, "no such file or directory"));
        }
        registry(s, s)
    }
}

/// Checks the shape of a registry reference (`[HOST[:PORT]/]REPO[:TAG][@DIGEST]`).
fn registry(given: &str, reference: &str) -> Result<ImageRef, Error> {
    let (name, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (reference, None),
    };
    if let Some(d) = digest {
        crate::digest::sha256_hex(d).map_err(|e| invalid(given, e.to_string()))?;
    }
    let repo = crate::oci::strip_tag(name);
    let tag = &name[repo.len()..];
    if let Some(tag) = tag.strip_prefix(':') {
        let valid = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !valid {
            return Err(invalid(given, format!("invalid tag {tag:?}")));
        }
    }
    let components: Vec<&str> = repo.split('/').collect();
    let (host, path) = match components.as_slice() {
        [first, rest @ ..]
            if !rest.is_empty()
                && (first.contains('.') || first.contains(':') || *first == "localhost") =>
        {
            (Some(*first), rest)
        }
        all => (None, all),
    };
    let bad_port = host
        .and_then(|h| h.split_once(':'))
        .is_some_and(|(_, port)| port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()));
    if bad_port {
        return Err(invalid(given, "registry port must be a number"));
    }
    if host.is_some_and(str::is_empty) || path.is_empty() {
        return Err(invalid(given, "no repository name"));
    }
    for component in path {
        let valid = !component.is_empty()
            && component.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
            });
        if !valid {
            return Err(invalid(
                given,
                format!(
                    "repository component {component:?} must be lowercase letters, digits, '.', '_' or '-'"
                ),
            ));
        }
    }
    Ok(ImageRef::Registry {
        reference: reference.to_string(),
    })
}

/// Decides what an existing path holds.
fn detect(path: &Path) -> Result<ImageRef, Error> {
    let given = path.display().to_string();
    if path.is_dir() {
        if path.join("oci-layout").is_file() {
            return Ok(ImageRef::OciLayout {
                path: path.to_path_buf(),
                reference: None,
            });
        }
        return Err(invalid(
            &given,
            "a directory without oci-layout; use rootfs:DIR to scan a root filesystem",
        ));
    }
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut has_manifest = false;
    let mut has_layout = false;
    let mut archive = tar::Archive::new(file);
    let entries = archive
        .entries_with_seek()
        .map_err(|e| invalid(&given, format!("not a tar file: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| invalid(&given, format!("not a readable tar file: {e}")))?;
        match crate::path::normalise(&String::from_utf8_lossy(&entry.path_bytes()))
            .path
            .as_str()
        {
            "manifest.json" => has_manifest = true,
            "oci-layout" => has_layout = true,
            _ => {}
        }
    }
    let path = path.to_path_buf();
    match (has_manifest, has_layout) {
        (true, _) => Ok(ImageRef::DockerArchive {
            path,
            reference: None,
        }),
        (false, true) => Ok(ImageRef::OciArchive {
            path,
            reference: None,
        }),
        (false, false) => Err(invalid(
            &given,
            "a tar file with neither manifest.json (docker-archive) nor oci-layout (oci-archive)",
        )),
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (transport, path, reference) = match self {
            ImageRef::OciLayout { path, reference } => ("oci", path, reference),
            ImageRef::OciArchive { path, reference } => ("oci-archive", path, reference),
            ImageRef::DockerArchive { path, reference } => ("docker-archive", path, reference),
            ImageRef::Registry { reference } => return write!(f, "registry:{reference}"),
            ImageRef::RootFs { path } => return write!(f, "rootfs:{}", path.display()),
        };
        write!(f, "{transport}:{}", path.display())?;
        if let Some(r) = reference {
            write!(f, ":{r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ImageRef {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn transports() {
        assert_eq!(
            parse("oci:dir"),
            ImageRef::OciLayout {
                path: "dir".into(),
                reference: None
            }
        );
        assert_eq!(
            parse("oci:dir:sha256:abc"),
            ImageRef::OciLayout {
                path: "dir".into(),
                reference: Some("sha256:abc".into())
            }
        );
        assert_eq!(
            parse("oci-archive:a.tar:v1"),
            ImageRef::OciArchive {
                path: "a.tar".into(),
                reference: Some("v1".into())
            }
        );
        assert_eq!(
            parse("docker-archive:a.tar:library/app:1"),
            ImageRef::DockerArchive {
                path: "a.tar".into(),
                reference: Some("library/app:1".into())
            }
        );
        assert_eq!(
            parse("docker-archive:a.tar:@1"),
            ImageRef::DockerArchive {
                path: "a.tar".into(),
                reference: Some("@1".into())
            }
        );
        assert_eq!(parse("rootfs:/"), ImageRef::RootFs { path: "/".into() });
        assert_eq!(
            parse("dir:/mnt/x"),
            ImageRef::RootFs {
                path: "/mnt/x".into()
            }
        );
    }

    #[test]
    fn registry_forms() {
        let digest = format!("sha256:{}", "0".repeat(64));
        for (given, want) in [
            ("alpine:3", "alpine:3"),
            ("alpine", "alpine"),
            ("127.0.0.1:5000/app:1", "127.0.0.1:5000/app:1"),
            ("registry:localhost/a/b", "localhost/a/b"),
            ("docker://ghcr.io/o/r:v1.2-rc_3", "ghcr.io/o/r:v1.2-rc_3"),
        ] {
            assert_eq!(
                parse(given),
                ImageRef::Registry {
                    reference: want.into()
                }
            );
        }
        let with_digest = format!("127.0.0.1:5000/app@{digest}");
        assert_eq!(
            parse(&with_digest),
            ImageRef::Registry {
                reference: with_digest.clone()
            }
        );
        assert_eq!(
            parse(&format!("registry:{with_digest}")).to_string(),
            format!("registry:{with_digest}")
        );
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "oci:",
            "rootfs:",
            "Alpine:3",
            "alpine:",
            "alpine:bad/tag",
            "app@sha256:123",
            "registry:host.io/",
            "./missing-dir",
            "/no/such/image.tar",
            "missing.tar",
        ] {
            assert!(bad.parse::<ImageRef>().is_err(), "{bad:?} parsed");
        }
    }
}
