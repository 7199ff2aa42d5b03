//! Where registry credentials come from: the options (flags), then Docker's `config.json`
//! (`credHelpers`, `credsStore`, `auths`), the same order and file format `docker login` uses.

use super::RegistryOptions;
use super::reference::{DOCKER_HUB_AUTH_KEY, RegistryReference};
use crate::Error;
use base64::Engine;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A secret to authenticate with.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Secret {
    /// Username and password (basic auth, or exchanged for a bearer token).
    Basic {
        /// User name.
        username: String,
        /// Password or personal access token.
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken` in config.json, or a helper answering with
    /// user `<token>`): exchanged at the token realm with `grant_type=refresh_token`.
    IdentityToken(String),
    /// A registry bearer token given directly (`--registry-token`), sent as is.
    Bearer(String),
}

// Secrets must never reach logs or error messages.
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Basic { username, .. } => write!(f, "Basic(user {username:?})"),
            Secret::IdentityToken(_) => f.write_str("IdentityToken(..)"),
            Secret::Bearer(_) => f.write_str("Bearer(..)"),
        }
    }
}

/// A secret and where it was found, for error messages (`docker config /root/.docker/config.json
/// auths["ghcr.io"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credential {
    /// The secret.
    pub secret: Secret,
    /// Where it came from, said so a person can find and fix it.
    pub origin: String,
}

impl Credential {
    /// `user "alice" from ORIGIN`, `identity token from ORIGIN`, without the secret.
    pub fn describe(&self) -> String {
        match &self.secret {
            Secret::Basic { username, .. } => format!("user {username:?} from {}", self.origin),
            Secret::IdentityToken(_) => format!("identity token from {}", self.origin),
            Secret::Bearer(_) => format!("bearer token from {}", self.origin),
        }
    }
}

/// Finds the credential for `reference`'s registry: explicit options first, then the Docker
/// config. `Ok(None)` means anonymous.
pub(crate) fn resolve(
    opts: &RegistryOptions,
    reference: &RegistryReference,
) -> Result<Option<Credential>, Error> {
    if let Some(token) = &opts.registry_token {
        return Ok(Some(Credential {
            secret: Secret::Bearer(token.clone()),
            origin: "the registry token option".into(),
        }));
    }
    match (&opts.username, &opts.password) {
        (Some(username), Some(password)) => {
            return Ok(Some(Credential {
                secret: Secret::Basic {
                    username: username.clone(),
                    password: password.clone(),
                },
                origin: "the username/password options".into(),
            }));
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::Registry(format!(
                "{}: username and password must be given together",
                reference.host
            )));
        }
        (None, None) => {}
    }
    let Some(path) = docker_config_path(opts) else {
        return Ok(None);
    };
    let explicit = opts.docker_config.is_some();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(None),
        Err(source) => return Err(Error::Io { path, source }),
    };
    let config: DockerConfig = serde_json::from_str(&text).map_err(|e| Error::Malformed {
        what: format!("docker config {}", path.display()),
        reason: e.to_string(),
    })?;
    config.lookup(&path, reference)
}

/// `opts.docker_config`, else `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
fn docker_config_path(opts: &RegistryOptions) -> Option<PathBuf> {
    if let Some(p) = &opts.docker_config {
        return Some(p.clone());
    }
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

/// The parts of Docker's `config.json` that hold credentials.
#[derive(Debug, Default, serde::Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// What a credential helper prints for `get`.
#[derive(serde::Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

impl DockerConfig {
    fn lookup(
        &self,
        path: &Path,
        reference: &RegistryReference,
    ) -> Result<Option<Credential>, Error> {
        let config = path.display();
        if let Some((key, helper)) = self
            .cred_helpers
            .iter()
            .find(|(k, _)| key_matches(k, reference))
        {
            let origin = format!("credential helper {helper:?} (credHelpers[{key:?}] in {config})");
            return run_helper(helper, &origin, reference);
        }
        if let Some(store) = &self.creds_store {
            let origin = format!("credential store {store:?} (credsStore in {config})");
            // With a store, `auths` entries are usually empty placeholders; an entry with
            // its own secret still counts when the store has nothing.
            if let Some(found) = run_helper(store, &origin, reference)? {
                return Ok(Some(found));
            }
        }
        let Some((key, entry)) = self.auths.iter().find(|(k, _)| key_matches(k, reference)) else {
            return Ok(None);
        };
        let origin = format!("auths[{key:?}] in {config}");
        let malformed = |reason: String| Error::Malformed {
            what: format!("docker config {config}: auths[{key:?}]"),
            reason,
        };
        if let Some(token) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credential {
                secret: Secret::IdentityToken(token.clone()),
                origin,
            }));
        }
        if let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
            let decoded = decode_base64(auth.trim())
                .map_err(|e| malformed(format!("\"auth\" is not base64: {e}")))?;
            let decoded = String::from_utf8(decoded)
                .map_err(|_| malformed("\"auth\" does not decode to UTF-8".into()))?;
            let (username, password) = decoded
                .split_once(':')
                .ok_or_else(|| malformed("\"auth\" does not decode to USER:PASSWORD".into()))?;
            return Ok(Some(Credential {
                secret: Secret::Basic {
                    username: username.to_string(),
                    password: password.to_string(),
                },
                origin,
            }));
        }
        match (&entry.username, &entry.password) {
            (Some(username), Some(password)) if !username.is_empty() => Ok(Some(Credential {
                secret: Secret::Basic {
                    username: username.clone(),
                    password: password.clone(),
                },
                origin,
            })),
            _ => Ok(None),
        }
    }
}

/// Docker's `auth` values are standard base64, usually padded; tolerate missing padding.
fn decode_base64(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(s)
}

/// True when a config key (`ghcr.io`, `https://ghcr.io/v2/`, `https://index.docker.io/v1/`)
/// names the reference's registry.
fn key_matches(key: &str, reference: &RegistryReference) -> bool {
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = without_scheme.split('/').next().unwrap_or("");
    if reference.is_docker_hub() {
        matches!(
            host,
            "index.docker.io" | "docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
        )
    } else {
        host.eq_ignore_ascii_case(&reference.host)
    }
}

/// Runs `docker-credential-NAME get` with the server URL on stdin. A helper that says it has
/// nothing for the server gives `Ok(None)`; one that fails otherwise is an error.
fn run_helper(
    name: &str,
    origin: &str,
    reference: &RegistryReference,
) -> Result<Option<Credential>, Error> {
    let fail = |reason: String| {
        Error::Registry(format!(
            "{}: getting credentials from {origin} failed: {reason}",
            reference.host
        ))
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(fail(format!(
            "helper name {name:?} must be letters, digits, '-', '_' or '.'"
        )));
    }
    let program = format!("docker-credential-{name}");
    let server_url = if reference.is_docker_hub() {
        DOCKER_HUB_AUTH_KEY.to_string()
    } else {
        reference.host.clone()
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading stdin closes the pipe; its exit status says
        // what happened, so a write error here is not the error to report.
        let _ = stdin.write_all(server_url.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|e| fail(format!("waiting for {program}: {e}")))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr);
        if said.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        return Err(fail(format!(
            "{program} exited with {}: {}",
            output.status,
            said.trim()
        )));
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout).map_err(|e| {
        fail(format!(
            "{program} printed no {{\"Username\",\"Secret\"}} JSON: {e}"
        ))
    })?;
    let secret = if answer.username == "<token>" {
        Secret::IdentityToken(answer.secret)
    } else {
        Secret::Basic {
            username: answer.username,
            password: answer.secret,
        }
    };
    Ok(Some(Credential {
        secret,
        origin: origin.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(s: &str) -> RegistryReference {
        RegistryReference::parse(s).unwrap()
    }

    fn config_file(dir: &Path, json: &str) -> PathBuf {
        let path = dir.join("config.json");
        std::fs::write(&path, json).unwrap();
        path
    }

    fn opts_with(path: PathBuf) -> RegistryOptions {
        RegistryOptions {
            docker_config: Some(path),
            ..Default::default()
        }
    }

    #[test]
    fn auths_base64_and_plain_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = config_file(
            dir.path(),
            r#"{"auths":{
                "https://index.docker.io/v1/":{"auth":"aHViOmh1YnBhc3M="},
                "127.0.0.1:5000":{"username":"alice","password":"pw:with:colons"},
                "http://reg.example.com/v2/":{"auth":"Ym9iOnNlY3JldA"},
                "tok.example.com":{"identitytoken":"refresh-me"}
            }}"#,
        );
        let opts = opts_with(path);
        let get = |r: &str| resolve(&opts, &reference(r)).unwrap().map(|c| c.secret);
        let basic = |u: &str, p: &str| {
            Some(Secret::Basic {
                username: u.into(),
                password: p.into(),
            })
        };
        assert_eq!(get("alpine"), basic("hub", "hubpass"));
        assert_eq!(get("127.0.0.1:5000/app"), basic("alice", "pw:with:colons"));
        assert_eq!(get("reg.example.com/app"), basic("bob", "secret"));
        assert_eq!(
            get("tok.example.com/app"),
            Some(Secret::IdentityToken("refresh-me".into()))
        );
        assert_eq!(get("127.0.0.1:5001/app"), None);
        assert_eq!(get("other.example.com/app"), None);
    }

    #[test]
    fn options_win_over_config_and_must_be_complete() {
        let dir = tempfile::tempdir().unwrap();
        let path = config_file(dir.path(), r#"{"auths":{"h.io":{"auth":"YTpi"}}}"#);
        let mut opts = opts_with(path);
        opts.username = Some("flag-user".into());
        opts.password = Some("flag-pw".into());
        let found = resolve(&opts, &reference("h.io/app")).unwrap().unwrap();
        assert!(found.describe().contains("flag-user"));
        assert!(!format!("{found:?}").contains("flag-pw"), "secret leaked");
        opts.password = None;
        let err = resolve(&opts, &reference("h.io/app")).unwrap_err();
        assert!(err.to_string().contains("h.io"), "{err}");
        opts.registry_token = Some("tok".into());
        let found = resolve(&opts, &reference("h.io/app")).unwrap().unwrap();
        assert_eq!(found.secret, Secret::Bearer("tok".into()));
    }

    #[test]
    fn hostile_config_files_give_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        for (json, want) in [
            ("{not json", "docker config"),
            (r#"{"auths":{"h.io":{"auth":"%%%"}}}"#, "not base64"),
            (
                r#"{"auths":{"h.io":{"auth":"bm9jb2xvbg=="}}}"#,
                "USER:PASSWORD",
            ),
            (r#"{"auths":{"h.io":{"auth":"/w=="}}}"#, "UTF-8"),
            (r#"{"auths":[]}"#, "docker config"),
            (r#"{"credHelpers":{"h.io":"../../bin/sh"}}"#, "helper name"),
            (
                r#"{"credHelpers":{"h.io":"osprey-test-no-such-helper"}}"#,
                "cannot run docker-credential-osprey-test-no-such-helper",
            ),
        ] {
            let opts = opts_with(config_file(dir.path(), json));
            let err = resolve(&opts, &reference("h.io/app")).expect_err(json);
            assert!(err.to_string().contains(want), "{json}: {err}");
        }
        // An explicitly named config that does not exist is an error, not anonymous access.
        let opts = opts_with(dir.path().join("missing.json"));
        let err = resolve(&opts, &reference("h.io/app")).unwrap_err();
        assert!(err.to_string().contains("missing.json"), "{err}");
    }

    #[test]
    fn empty_placeholders_mean_anonymous() {
        let dir = tempfile::tempdir().unwrap();
        let opts = opts_with(config_file(
            dir.path(),
            r#"{"auths":{"h.io":{}},"credHelpers":{"other.io":"x"}}"#,
        ));
        assert_eq!(resolve(&opts, &reference("h.io/app")).unwrap(), None);
    }
}
