//! Registry references: `HOST/REPO[:TAG][@DIGEST]` and Docker-Hub short names.

use crate::Error;
use std::fmt;
use std::net::IpAddr;

/// The host the Docker Hub API answers on.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
/// The name Docker Hub images are known by (`docker.io/library/alpine`).
pub const DOCKER_HUB_NAME: &str = "docker.io";
/// The server URL Docker stores Hub credentials under in `config.json` and credential helpers.
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// Host names that all mean Docker Hub.
const DOCKER_HUB_ALIASES: [&str; 4] = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// A parsed registry reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryReference {
    /// Host (and port) the Distribution API is reached on: `registry-1.docker.io`,
    /// `127.0.0.1:5000`, `ghcr.io`.
    pub host: String,
    /// Repository path inside the registry: `library/alpine`.
    pub repository: String,
    /// Tag, `latest` when neither tag nor digest was given; `None` for digest-only references.
    pub tag: Option<String>,
    /// Digest (`sha256:...`) when the reference pins one; it wins over the tag for fetching.
    pub digest: Option<String>,
}

impl RegistryReference {
    /// Parses `HOST/REPO[:TAG][@DIGEST]` or a short name (`alpine`, `user/app:1`), which
    /// means Docker Hub.
    pub fn parse(reference: &str) -> Result<RegistryReference, Error> {
        let invalid = |reason: String| Error::Reference {
            reference: reference.to_string(),
            reason,
        };
        if reference.is_empty() {
            return Err(invalid("empty reference".into()));
        }
        if reference
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid("contains whitespace or control characters".into()));
        }
        let (name_and_tag, digest) = match reference.split_once('@') {
            Some((n, d)) => {
                validate_digest(d).map_err(invalid)?;
                (n, Some(d.to_string()))
            }
            None => (reference, None),
        };
        let last_slash = name_and_tag.rfind('/');
        let (name, tag) = match name_and_tag.rfind(':') {
            Some(colon) if last_slash.is_none_or(|s| colon > s) => {
                let tag = &name_and_tag[colon + 1..];
                validate_tag(tag).map_err(invalid)?;
                (&name_and_tag[..colon], Some(tag.to_string()))
            }
            _ => (name_and_tag, None),
        };
        let (host, repository) = match name.split_once('/') {
            Some((first, rest)) if looks_like_host(first) => (first.to_string(), rest.to_string()),
            _ => (DOCKER_HUB_NAME.to_string(), name.to_string()),
        };
        validate_host(&host).map_err(invalid)?;
        let is_hub = DOCKER_HUB_ALIASES.contains(&host.as_str());
        let host = if is_hub {
            DOCKER_HUB_API_HOST.to_string()
        } else {
            host
        };
        let repository = if is_hub && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        validate_repository(&repository).map_err(invalid)?;
        let tag = match (&tag, &digest) {
            (None, None) => Some("latest".to_string()),
            _ => tag,
        };
        Ok(RegistryReference {
            host,
            repository,
            tag,
            digest,
        })
    }

    /// True for Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.host == DOCKER_HUB_API_HOST
    }

    /// The image name as people write it in full: `docker.io/library/alpine`,
    /// `127.0.0.1:5000/app`. Used for `repo_tags` and `repo_digests`.
    pub fn name(&self) -> String {
        let host = if self.is_docker_hub() {
            DOCKER_HUB_NAME
        } else {
            &self.host
        };
        format!("{host}/{}", self.repository)
    }

    /// The manifest reference to fetch: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> &str {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d,
            (None, Some(t)) => t,
            // parse() always sets one of the two.
            (None, None) => "latest",
        }
    }

    /// True when the registry host is a loopback address (`localhost`, `127.0.0.0/8`,
    /// `[::1]`): the only hosts plain HTTP is ever used for.
    pub fn is_loopback(&self) -> bool {
        host_is_loopback(&self.host)
    }
}

impl fmt::Display for RegistryReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.host, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Docker's rule: the first path component is a host when it has a `.` or `:` or is
/// `localhost`; otherwise the whole name is a Docker Hub repository.
fn looks_like_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

/// True when `host` (optionally with `:port`, IPv6 in brackets) is a loopback address.
pub(crate) fn host_is_loopback(host: &str) -> bool {
    let bare = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn validate_host(host: &str) -> Result<(), String> {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (ip, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("invalid registry host {host:?}: unclosed ["))?;
            if ip.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("invalid IPv6 address in registry host {host:?}"));
            }
            match after {
                "" => ("", None),
                _ => match after.strip_prefix(':') {
                    Some(port) => ("", Some(port)),
                    None => return Err(format!("invalid registry host {host:?}")),
                },
            }
        }
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        || (name.is_empty() && !host.starts_with('['))
    {
        return Err(format!("invalid registry host {host:?}"));
    }
    if let Some(port) = port {
        port.parse::<u16>()
            .map_err(|_| format!("invalid port {port:?} in registry host {host:?}"))?;
    }
    Ok(())
}

/// Repository path components: lowercase alphanumerics separated by `.`, `_`, `__` or
/// runs of `-` (the Distribution grammar), at most 255 characters in all.
fn validate_repository(repo: &str) -> Result<(), String> {
    if repo.is_empty() {
        return Err("empty repository name".into());
    }
    if repo.len() > 255 {
        return Err(format!(
            "repository name is {} characters, over 255",
            repo.len()
        ));
    }
    for component in repo.split('/') {
        let bytes = component.as_bytes();
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let valid = !bytes.is_empty()
            && bytes.first().copied().is_some_and(alnum)
            && bytes.last().copied().is_some_and(alnum)
            && bytes.iter().all(|&b| alnum(b) || b"._-".contains(&b))
            && !component.contains("..")
            && !component.contains("._")
            && !component.contains("_.")
            && !component.contains("___");
        if !valid {
            return Err(format!(
                "invalid repository component {component:?}: lowercase letters, digits and \
                 single separators (. _ __ -) only"
            ));
        }
    }
    Ok(())
}

fn validate_tag(tag: &str) -> Result<(), String> {
    let bytes = tag.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid tag {tag:?}: 1-128 of [A-Za-z0-9_.-], not starting with . or -"
        ))
    }
}

/// Accepts `sha256:` + 64 or `sha512:` + 128 lowercase hex digits: the digests this client
/// can verify. Everything else is refused before it reaches a URL.
pub(crate) fn validate_digest(digest: &str) -> Result<(), String> {
    let (algorithm, hex) = digest
        .split_once(':')
        .ok_or_else(|| format!("invalid digest {digest:?}: expected ALGORITHM:HEX"))?;
    let want_len = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        other => {
            return Err(format!(
                "unsupported digest algorithm {other:?} in {digest:?} (sha256 and sha512 only)"
            ));
        }
    };
    if hex.len() != want_len
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!(
            "invalid digest {digest:?}: {algorithm} needs {want_len} lowercase hex digits"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> RegistryReference {
        RegistryReference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    const D: &str = "sha256:0798be36986fc3e15447021a63ac4c7df14fbf160632ba238030cb27b9cf4158";

    #[test]
    fn docker_hub_short_names_are_normalised() {
        let r = parse("alpine");
        assert_eq!(r.host, "registry-1.docker.io");
        assert_eq!(r.repository, "library/alpine");
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(r.name(), "docker.io/library/alpine");
        let r = parse("index.docker.io/user/app:1.2");
        assert_eq!(
            (r.host.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("registry-1.docker.io", "user/app", Some("1.2"))
        );
        assert_eq!(parse("docker.io/alpine:3").repository, "library/alpine");
        assert_eq!(parse("user/app").repository, "user/app");
    }

    #[test]
    fn hosts_ports_tags_and_digests() {
        let r = parse("127.0.0.1:5000/team/app:v1");
        assert_eq!(r.host, "127.0.0.1:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.manifest_reference(), "v1");
        assert!(r.is_loopback());
        let r = parse(&format!("localhost/app@{D}"));
        assert_eq!((r.tag.clone(), r.digest.as_deref()), (None, Some(D)));
        assert_eq!(r.manifest_reference(), D);
        let r = parse(&format!("ghcr.io/o/app:v1@{D}"));
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.manifest_reference(), D);
        assert!(!r.is_loopback());
        assert_eq!(r.to_string(), format!("ghcr.io/o/app:v1@{D}"));
        assert_eq!(parse("[::1]:5000/app").host, "[::1]:5000");
        assert!(parse("[::1]:5000/app").is_loopback());
        assert!(parse("127.8.0.1/app").is_loopback());
        assert!(!parse("127.example.com/app").is_loopback());
    }

    #[test]
    fn hostile_references_are_refused() {
        for bad in [
            "",
            "Alpine",
            "alpine:",
            "alpine:-x",
            "host.io/../etc",
            "host.io/a//b",
            "alpine@sha256:abc",
            "alpine@md5:0123",
            "alpine@sha256:../../../../../../etc/passwd0000000000000000000000000000000",
            "host.io:99999/app",
            "host.io:port/app",
            "a b",
            "host.io/app\n",
            "ho$t.io/app",
            "host.io/app_",
        ] {
            let err = RegistryReference::parse(bad).expect_err(bad);
            assert!(
                err.to_string().contains("invalid image reference"),
                "{bad}: {err}"
            );
        }
        let long = format!("host.io/{}", "a".repeat(300));
        assert!(RegistryReference::parse(&long).is_err());
    }
}
