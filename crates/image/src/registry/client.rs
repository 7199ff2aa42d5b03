//! The HTTP side of the Distribution API: one agent per registry, the 401 challenge flow
//! (basic and bearer tokens), retries with backoff on 429/5xx and transport errors, and
//! redirects that never carry the registry's `Authorization` to another host.

use super::RegistryOptions;
use super::challenge::{Challenge, TokenAnswer, parse_challenges};
use super::credentials::{self, Credential, Secret};
use super::reference::{RegistryReference, host_is_loopback};
use crate::Error;
use base64::Engine;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use ureq::Body;
use ureq::http::{Response, StatusCode};

/// Default for [`RegistryOptions::timeout`].
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default for [`RegistryOptions::retries`].
const DEFAULT_RETRIES: u32 = 4;
/// Default for [`RegistryOptions::retry_delay`]: first backoff step, doubled per attempt.
const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(500);
/// Longest wait between attempts, whatever `Retry-After` asks for.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// Redirect hops followed for one request.
const MAX_REDIRECTS: u32 = 5;
/// How much of an error body is read to explain a failure.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;
/// Largest token-server answer accepted.
const TOKEN_BODY_LIMIT: u64 = 1024 * 1024;

/// A client for one repository on one registry.
pub(crate) struct Client {
    agent: ureq::Agent,
    /// `https://HOST` or (insecure loopback only) `http://HOST`.
    base: String,
    reference: RegistryReference,
    opts: RegistryOptions,
    retries: u32,
    retry_delay: Duration,
    /// Credentials are looked up on the first challenge (running a helper only when the
    /// registry asks), then kept: `None` = not yet looked up.
    credential: Mutex<Option<Option<Credential>>>,
    /// The `Authorization` value the last challenge earned, sent with later requests to
    /// the registry itself.
    authorization: Mutex<Option<String>>,
    /// Held while answering a 401, so concurrent requests renew a token once.
    renewal: Mutex<()>,
}

impl Client {
    /// Builds the agent (TLS roots, timeouts) and decides the scheme.
    pub fn new(reference: RegistryReference, opts: &RegistryOptions) -> Result<Client, Error> {
        let agent = build_agent(opts, &reference.host)?;
        let mut client = Client {
            agent,
            base: format!("https://{}", reference.host),
            reference,
            opts: opts.clone(),
            retries: opts.retries.unwrap_or(DEFAULT_RETRIES),
            retry_delay: opts.retry_delay.unwrap_or(DEFAULT_RETRY_DELAY),
            credential: Mutex::new(None),
            authorization: Mutex::new(None),
            renewal: Mutex::new(()),
        };
        if opts.insecure {
            tracing::warn!(
                host = %client.reference.host,
                "insecure: TLS certificates are not verified for this registry"
            );
            if client.reference.is_loopback() && !client.speaks_tls() {
                tracing::warn!(host = %client.reference.host, "insecure: using plain HTTP");
                client.base = format!("http://{}", client.reference.host);
            }
        }
        Ok(client)
    }

    /// The registry host, for messages.
    pub fn host(&self) -> &str {
        &self.reference.host
    }

    /// Whether the registry answers HTTPS at all (any HTTP status counts); used once, to
    /// choose plain HTTP for an insecure loopback registry.
    fn speaks_tls(&self) -> bool {
        self.agent.get(format!("{}/v2/", self.base)).call().is_ok()
    }

    /// GETs `path` (`/v2/...`) on the registry, authenticating, retrying and following
    /// redirects as needed. Any non-2xx final answer becomes an error about `what`.
    pub fn get(
        &self,
        path: &str,
        accept: Option<&str>,
        what: &str,
    ) -> Result<Response<Body>, Error> {
        self.request(path, accept, None, what)
    }

    /// GETs `path` from byte `offset` on (`Range: bytes=OFFSET-`). The answer is 206 with
    /// the rest, or 200 with everything when the server ignores ranges.
    pub fn get_from(&self, path: &str, offset: u64, what: &str) -> Result<Response<Body>, Error> {
        self.request(path, None, Some(offset), what)
    }

    fn request(
        &self,
        path: &str,
        accept: Option<&str>,
        range_from: Option<u64>,
        what: &str,
    ) -> Result<Response<Body>, Error> {
        let mut url = format!("{}{path}", self.base);
        let mut redirects = 0;
        let mut authenticated_now = false;
        loop {
            let on_registry = self.is_registry_url(&url);
            let authorization = if on_registry {
                self.lock_authorization().clone()
            } else {
                None
            };
            let response = self.call_with_retries(&url, what, || {
                let mut request = self.agent.get(&url);
                if let Some(accept) = accept {
                    request = request.header("Accept", accept);
                }
                if let Some(value) = &authorization {
                    request = request.header("Authorization", value);
                }
                if let Some(offset) = range_from {
                    request = request.header("Range", format!("bytes={offset}-"));
                }
                request.call()
            })?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            if status.is_redirection() {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(self.fail(what, format!("more than {MAX_REDIRECTS} redirects")));
                }
                url = self.redirect_target(&url, &response, what)?;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED && on_registry && !authenticated_now {
                // Parallel layer reads see an expiring token together: one of them renews
                // it, the others wait here and then use the renewed value.
                let _one_renewal_at_a_time = self
                    .renewal
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let renewed_meanwhile = {
                    let current = self.lock_authorization();
                    current.is_some() && *current != authorization
                };
                if !renewed_meanwhile {
                    self.authenticate(&response, what)?;
                }
                authenticated_now = true;
                continue;
            }
            return Err(self.status_error(what, &url, response, on_registry, authenticated_now));
        }
    }

    fn lock_authorization(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // A panic elsewhere while holding the lock leaves a plain Option behind: still valid.
        self.authorization
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_registry_url(&self, url: &str) -> bool {
        url.strip_prefix(&self.base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// Sends a request until it gets an answer that is not worth retrying: transport
    /// errors, 429 and 5xx are retried with exponential backoff (or `Retry-After`).
    fn call_with_retries(
        &self,
        url: &str,
        what: &str,
        mut send: impl FnMut() -> Result<Response<Body>, ureq::Error>,
    ) -> Result<Response<Body>, Error> {
        let mut attempt = 0;
        loop {
            let wait = match send() {
                Ok(response) => {
                    if !is_retryable_status(response.status()) || attempt >= self.retries {
                        return Ok(response);
                    }
                    tracing::debug!(url, status = %response.status(), attempt, "retrying");
                    retry_after(&response).unwrap_or_else(|| self.backoff(attempt))
                }
                Err(e) => {
                    if !is_retryable_transport(&e) || attempt >= self.retries {
                        return Err(self.transport_error(what, url, &e, attempt));
                    }
                    tracing::debug!(url, error = %e, attempt, "retrying");
                    self.backoff(attempt)
                }
            };
            std::thread::sleep(wait.min(MAX_RETRY_WAIT));
            attempt += 1;
        }
    }

    /// How often a request, or a broken blob stream, is tried again.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The wait before retry number `attempt + 1`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.retry_delay.saturating_mul(1u32 << attempt.min(16))
    }

    /// Where a 3xx points, made absolute. Plain HTTP targets are refused unless they are
    /// loopback hosts of an insecure client (the same rule as for the registry itself).
    fn redirect_target(
        &self,
        from: &str,
        response: &Response<Body>,
        what: &str,
    ) -> Result<String, Error> {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                self.fail(
                    what,
                    format!(
                        "HTTP {} redirect without a Location header",
                        response.status()
                    ),
                )
            })?;
        let target = if location.starts_with("https://") || location.starts_with("http://") {
            location.to_string()
        } else if location.starts_with('/') {
            format!("{}{location}", origin_of(from))
        } else {
            let dir = from.rsplit_once('/').map_or(from, |(d, _)| d);
            format!("{dir}/{location}")
        };
        if let Some(rest) = target.strip_prefix("http://") {
            let host = rest.split(['/', '?']).next().unwrap_or("");
            if !(self.opts.insecure && host_is_loopback(host)) {
                return Err(self.fail(
                    what,
                    format!(
                        "refusing redirect to plain HTTP URL {}",
                        redact_query(&target)
                    ),
                ));
            }
        }
        tracing::debug!(to = %redact_query(&target), "following redirect");
        Ok(target)
    }

    /// Answers a 401 from the registry: picks the challenge, finds credentials, and earns
    /// the `Authorization` value for the next attempt.
    fn authenticate(&self, response: &Response<Body>, what: &str) -> Result<(), Error> {
        let challenges: Vec<Challenge> = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(parse_challenges)
            .collect();
        let bearer = challenges.iter().find(|c| c.scheme == "bearer");
        let basic = challenges.iter().any(|c| c.scheme == "basic");
        if bearer.is_none() && !basic {
            return Err(self.fail(
                what,
                format!(
                    "HTTP 401 without a usable WWW-Authenticate challenge (got {:?})",
                    challenges
                        .iter()
                        .map(|c| c.scheme.as_str())
                        .collect::<Vec<_>>()
                ),
            ));
        }
        let credential = self.credential()?;
        let value = match (bearer, credential.as_ref().map(|c| &c.secret)) {
            (_, Some(Secret::Bearer(token))) => format!("Bearer {token}"),
            (Some(challenge), _) => {
                let token = self.fetch_token(challenge, credential.as_ref(), what)?;
                format!("Bearer {token}")
            }
            (None, Some(Secret::Basic { username, password })) => {
                let pair = format!("{username}:{password}");
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
            (None, Some(Secret::IdentityToken(_))) => {
                return Err(self.fail(
                    what,
                    format!(
                        "the registry asks for basic auth but the only credential is an \
                         identity token ({})",
                        credential
                            .as_ref()
                            .map(Credential::describe)
                            .unwrap_or_default()
                    ),
                ));
            }
            (None, _) => {
                return Err(self.fail(
                    what,
                    format!(
                        "authentication required (HTTP 401, basic auth) and no credentials \
                         found: {}",
                        self.where_credentials_were_looked_for()
                    ),
                ));
            }
        };
        *self.lock_authorization() = Some(value);
        Ok(())
    }

    fn credential(&self) -> Result<Option<Credential>, Error> {
        let mut slot = self
            .credential
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(found) = slot.as_ref() {
            return Ok(found.clone());
        }
        let found = credentials::resolve(&self.opts, &self.reference)?;
        match &found {
            Some(c) => {
                tracing::debug!(host = %self.reference.host, credential = %c.describe(), "credentials found")
            }
            None => tracing::debug!(host = %self.reference.host, "no credentials; anonymous"),
        }
        *slot = Some(found.clone());
        Ok(found)
    }

    fn where_credentials_were_looked_for(&self) -> String {
        let config = match &self.opts.docker_config {
            Some(p) => p.display().to_string(),
            None => "$DOCKER_CONFIG/config.json or ~/.docker/config.json".to_string(),
        };
        format!(
            "give --username/--password or log in so that {config} has an entry for {}",
            self.reference.host
        )
    }

    /// The bearer-token step of Docker's token auth: GET the realm with `service` and
    /// `scope` (basic credentials if any), or POST a refresh token (OAuth2) for identity
    /// tokens.
    fn fetch_token(
        &self,
        challenge: &Challenge,
        credential: Option<&Credential>,
        what: &str,
    ) -> Result<String, Error> {
        let realm = challenge
            .param("realm")
            .filter(|r| !r.is_empty())
            .ok_or_else(|| self.fail(what, "bearer challenge without a realm".to_string()))?;
        let default_scope = format!("repository:{}:pull", self.reference.repository);
        let scope = challenge.param("scope").unwrap_or(&default_scope);
        let service = challenge.param("service");
        let step = format!("token request to {realm}");
        let realm_host = realm
            .strip_prefix("https://")
            .or_else(|| realm.strip_prefix("http://"))
            .map(|rest| rest.split(['/', '?']).next().unwrap_or(""))
            .ok_or_else(|| {
                self.fail(what, format!("token realm {realm:?} is not an http(s) URL"))
            })?;
        if realm.starts_with("http://") && credential.is_some() && !host_is_loopback(realm_host) {
            return Err(self.fail(
                what,
                format!("{step}: refusing to send credentials to a plain HTTP token realm"),
            ));
        }
        let response =
            self.call_with_retries(realm, &step, || match credential.map(|c| &c.secret) {
                Some(Secret::IdentityToken(refresh)) => {
                    let mut form: Vec<(&str, &str)> = vec![
                        ("grant_type", "refresh_token"),
                        ("refresh_token", refresh),
                        ("client_id", "osprey"),
                        ("scope", scope),
                    ];
                    if let Some(service) = service {
                        form.push(("service", service));
                    }
                    self.agent.post(realm).send_form(form)
                }
                secret => {
                    let mut request = self.agent.get(realm).query("scope", scope);
                    if let Some(service) = service {
                        request = request.query("service", service);
                    }
                    if let Some(Secret::Basic { username, password }) = secret {
                        let pair = format!("{username}:{password}");
                        request = request.header(
                            "Authorization",
                            format!(
                                "Basic {}",
                                base64::engine::general_purpose::STANDARD.encode(pair)
                            ),
                        );
                        request = request.query("account", username);
                    }
                    request.call()
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            let detail = error_detail(response);
            let who = match credential {
                Some(c) => format!("refused {}", c.describe()),
                None => format!(
                    "refused anonymous access (no credentials found: {})",
                    self.where_credentials_were_looked_for()
                ),
            };
            return Err(self.fail(what, format!("{step} {who}: HTTP {status}{detail}")));
        }
        let body = response
            .into_body()
            .with_config()
            .limit(TOKEN_BODY_LIMIT)
            .read_to_vec()
            .map_err(|e| self.fail(what, format!("{step}: reading the answer: {e}")))?;
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|e| self.fail(what, format!("{step}: answer is not token JSON: {e}")))?;
        answer.into_token().ok_or_else(|| {
            self.fail(
                what,
                format!("{step}: answer has neither \"token\" nor \"access_token\""),
            )
        })
    }

    /// A failure about `what` on this registry.
    pub fn fail(&self, what: &str, reason: String) -> Error {
        Error::Registry(format!(
            "{}/{}: {what}: {reason}",
            self.reference.host, self.reference.repository
        ))
    }

    fn transport_error(&self, what: &str, url: &str, error: &ureq::Error, attempt: u32) -> Error {
        let hint = if !is_tls_failure(error) {
            ""
        } else if self.reference.is_loopback() && !self.opts.insecure {
            " (a loopback registry speaking plain HTTP or using a self-signed certificate \
             needs --insecure, or --ca-file with its CA)"
        } else {
            " (TLS failed: give the registry's CA with --ca-file, or --insecure to skip \
             verification)"
        };
        let tries = if attempt > 0 {
            format!(" after {} attempts", attempt + 1)
        } else {
            String::new()
        };
        self.fail(
            what,
            format!("GET {}: {error}{tries}{hint}", redact_query(url)),
        )
    }

    fn status_error(
        &self,
        what: &str,
        url: &str,
        response: Response<Body>,
        on_registry: bool,
        authenticated_now: bool,
    ) -> Error {
        let status = response.status();
        let detail = error_detail(response);
        let reason = match status {
            StatusCode::UNAUTHORIZED if on_registry && authenticated_now => {
                let credential = self.credential().ok().flatten();
                match credential {
                    Some(c) => format!("registry rejected {} (HTTP 401{detail})", c.describe()),
                    None => format!(
                        "anonymous access denied (HTTP 401{detail}); no credentials found: {}",
                        self.where_credentials_were_looked_for()
                    ),
                }
            }
            StatusCode::FORBIDDEN => format!("access forbidden (HTTP 403{detail})"),
            StatusCode::NOT_FOUND => format!("not found (HTTP 404{detail})"),
            _ if is_retryable_status(status) => {
                format!("HTTP {status} after {} attempts{detail}", self.retries + 1)
            }
            _ => format!("HTTP {status}{detail}"),
        };
        let at = if on_registry {
            String::new()
        } else {
            format!(" (at redirect target {})", redact_query(url))
        };
        self.fail(what, format!("{reason}{at}"))
    }
}

fn build_agent(opts: &RegistryOptions, host: &str) -> Result<ureq::Agent, Error> {
    let mut tls = ureq::tls::TlsConfig::builder().disable_verification(opts.insecure);
    if let Some(path) = &opts.ca_file {
        let pem = std::fs::read(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let mut roots: Vec<ureq::tls::Certificate<'static>> =
            webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
                .collect();
        let before = roots.len();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => roots.push(cert),
                Ok(_) => {}
                Err(e) => {
                    return Err(Error::Registry(format!(
                        "{host}: CA file {}: {e}",
                        path.display()
                    )));
                }
            }
        }
        if roots.len() == before {
            return Err(Error::Registry(format!(
                "{host}: CA file {} holds no PEM certificate",
                path.display()
            )));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&roots));
    }
    let timeout = opts.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let config = ureq::Agent::config_builder()
        .tls_config(tls.build())
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .user_agent(concat!("osprey/", env!("CARGO_PKG_VERSION")))
        .timeout_connect(Some(timeout))
        .timeout_recv_response(Some(timeout))
        // Blobs may take long in total; what matters is that bytes keep arriving.
        .timeout_per_read(Some(timeout))
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Network trouble that may pass: refused or dropped connections and timeouts. TLS
/// failures (certificates, a plain-HTTP peer) will not, and are not retried.
fn is_retryable_transport(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(e) => is_retryable_io(e),
        _ => false,
    }
}

/// The same for an I/O error from a body read, where ureq wraps its own errors.
pub(crate) fn is_retryable_io(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    if let Some(inner) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<ureq::Error>())
    {
        return is_retryable_transport(inner);
    }
    matches!(
        error.kind(),
        ConnectionRefused
            | ConnectionReset
            | ConnectionAborted
            | BrokenPipe
            | UnexpectedEof
            | TimedOut
            | Interrupted
            | NotConnected
    )
}

/// rustls reports handshake failures as `InvalidData` I/O errors.
fn is_tls_failure(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => true,
        ureq::Error::Io(e) => e.kind() == std::io::ErrorKind::InvalidData,
        _ => false,
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(response: &Response<Body>) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// ` MANIFEST_UNKNOWN: manifest unknown` from a Distribution error body, or the start of a
/// text body; empty when there is nothing useful.
fn error_detail(response: Response<Body>) -> String {
    let text = response
        .into_body()
        .with_config()
        .limit(ERROR_BODY_LIMIT)
        .read_to_string()
        .unwrap_or_default();
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let summary = match serde_json::from_str::<Errors>(&text) {
        Ok(parsed) => parsed
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        Err(_) => text.trim().chars().take(200).collect(),
    };
    let summary: String = summary
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if summary.trim().is_empty() {
        String::new()
    } else {
        format!(", {}", summary.trim())
    }
}

/// `scheme://authority` of an absolute URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// Pre-signed storage URLs carry credentials in the query: never print it.
fn redact_query(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_redaction() {
        assert_eq!(origin_of("https://h:5000/v2/x?y"), "https://h:5000");
        assert_eq!(origin_of("http://h"), "http://h");
        assert_eq!(
            redact_query("https://s3/b?X-Amz-Signature=abc"),
            "https://s3/b?…"
        );
    }

    #[test]
    fn backoff_doubles_and_saturates() {
        let client = Client::new(
            RegistryReference::parse("example.invalid/app").unwrap(),
            &RegistryOptions {
                retry_delay: Some(Duration::from_millis(10)),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(client.backoff(0), Duration::from_millis(10));
        assert_eq!(client.backoff(3), Duration::from_millis(80));
        assert!(client.backoff(u32::MAX) >= client.backoff(16));
    }

    #[test]
    fn bad_ca_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        for path in [not_pem, dir.path().join("missing.pem")] {
            let opts = RegistryOptions {
                ca_file: Some(path.clone()),
                ..Default::default()
            };
            let Err(err) = build_agent(&opts, "h.io") else {
                panic!("{} accepted", path.display())
            };
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            assert!(err.to_string().contains(&name), "{err}");
        }
    }
}
