//! Where the archives come from: an HTTP(S) base URL or a local directory.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ureq::http::StatusCode;

use crate::{Progress, UpdateError};

/// The public OSV bucket.
pub const DEFAULT_MIRROR: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Attempts per download (the first one included).
const ATTEMPTS: u32 = 3;
/// Wait before the second attempt; doubled for each further one.
const FIRST_RETRY_WAIT: Duration = Duration::from_millis(500);
/// Time to connect, and the longest silence while waiting for or reading an answer: a
/// stalled server fails the attempt instead of hanging the update.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Largest archive accepted (the real ones are a few hundred MiB at most).
const MAX_ARCHIVE_BYTES: u64 = 8 << 30;
/// Largest `ecosystems.txt` accepted.
const MAX_LIST_BYTES: u64 = 1 << 20;

/// An OSV mirror: `<base>/<Ecosystem>/all.zip`, optionally `<base>/ecosystems.txt`.
pub enum Mirror {
    /// Fetched over HTTP(S).
    Http {
        /// Base URL without a trailing `/`.
        base: String,
        /// The client (timeouts, TLS roots, proxies from the environment).
        agent: ureq::Agent,
    },
    /// Read from a local directory, for machines without network access.
    Dir(PathBuf),
}

impl fmt::Display for Mirror {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mirror::Http { base, .. } => f.write_str(base),
            Mirror::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

impl Mirror {
    /// An `http://` or `https://` URL, or a directory that must exist.
    pub fn parse(spec: &str) -> Result<Mirror, UpdateError> {
        if spec.starts_with("https://") || spec.starts_with("http://") {
            let config = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .user_agent(concat!("osprey/", env!("CARGO_PKG_VERSION")))
                .timeout_connect(Some(TIMEOUT))
                .timeout_recv_response(Some(TIMEOUT))
                // Archives take long in total; what matters is that bytes keep arriving.
                .timeout_per_read(Some(TIMEOUT))
                .build();
            return Ok(Mirror::Http {
                base: spec.trim_end_matches('/').to_owned(),
                agent: ureq::Agent::new_with_config(config),
            });
        }
        if spec.contains("://") {
            return Err(UpdateError::Mirror {
                mirror: spec.to_owned(),
                reason: "only http://, https:// and local directories are supported".into(),
            });
        }
        let dir = PathBuf::from(spec);
        if !dir.is_dir() {
            return Err(UpdateError::Mirror {
                mirror: spec.to_owned(),
                reason: "not a URL and not an existing directory".into(),
            });
        }
        Ok(Mirror::Dir(dir))
    }

    /// The ecosystems the mirror's `ecosystems.txt` lists; `None` when it has none.
    pub fn ecosystems(&self) -> Result<Option<Vec<String>>, UpdateError> {
        let text = match self {
            Mirror::Dir(dir) => {
                let path = dir.join("ecosystems.txt");
                match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(error) => return Err(UpdateError::Io { path, error }),
                }
            }
            Mirror::Http { base, agent } => {
                let url = format!("{base}/ecosystems.txt");
                let mut buf = Vec::new();
                match download(agent, &url, &mut buf, MAX_LIST_BYTES, &crate::NoProgress)? {
                    Some(_) => buf,
                    None => return Ok(None),
                }
            }
        };
        let text = String::from_utf8_lossy(&text);
        Ok(Some(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        ))
    }

    /// Opens `<Ecosystem>/all.zip`: a directory mirror's file as it is, a URL downloaded to
    /// an anonymous temporary file in `tmp_dir`. Returns the file, a label for messages and
    /// its size; `None` when the mirror does not have it.
    pub fn fetch(
        &self,
        ecosystem: &str,
        tmp_dir: &Path,
        progress: &dyn Progress,
    ) -> Result<Option<(File, String, u64)>, UpdateError> {
        match self {
            Mirror::Dir(dir) => {
                let path = dir.join(ecosystem).join("all.zip");
                let file = match File::open(&path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(error) => return Err(UpdateError::Io { path, error }),
                };
                let size = file
                    .metadata()
                    .map_err(|error| UpdateError::Io {
                        path: path.clone(),
                        error,
                    })?
                    .len();
                progress.archive_start(ecosystem, Some(size));
                progress.archive_bytes(size);
                Ok(Some((file, path.display().to_string(), size)))
            }
            Mirror::Http { base, agent } => {
                let url = format!("{base}/{ecosystem}/all.zip");
                let tmp_err = |error| UpdateError::Io {
                    path: tmp_dir.to_owned(),
                    error,
                };
                let mut file = tempfile::tempfile_in(tmp_dir).map_err(tmp_err)?;
                let Some(size) = download(agent, &url, &mut file, MAX_ARCHIVE_BYTES, progress)?
                else {
                    return Ok(None);
                };
                file.rewind().map_err(tmp_err)?;
                Ok(Some((file, url, size)))
            }
        }
    }
}

/// Something a download is written into, emptied before each attempt.
trait Sink: Write {
    fn reset(&mut self) -> std::io::Result<()>;
}

impl Sink for Vec<u8> {
    fn reset(&mut self) -> std::io::Result<()> {
        self.clear();
        Ok(())
    }
}

impl Sink for File {
    fn reset(&mut self) -> std::io::Result<()> {
        self.set_len(0)?;
        self.rewind().map(|_| ())
    }
}

/// GETs `url` into `sink`, retrying transport errors, broken or short bodies, 408, 429 and
/// 5xx. Returns the size, or `None` on 404.
fn download(
    agent: &ureq::Agent,
    url: &str,
    sink: &mut dyn Sink,
    max_bytes: u64,
    progress: &dyn Progress,
) -> Result<Option<u64>, UpdateError> {
    let fail = |reason: String| UpdateError::Download {
        url: url.to_owned(),
        reason,
    };
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            let wait = FIRST_RETRY_WAIT * (1 << (attempt - 1));
            tracing::warn!("{url}: {last}; retrying in {wait:?}");
            std::thread::sleep(wait);
        }
        let mut response = match agent.get(url).call() {
            Ok(r) => r,
            Err(e) => {
                last = format!("request failed: {e}");
                continue;
            }
        };
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            last = format!("HTTP {status}");
            if matches!(status.as_u16(), 408 | 429 | 500..=599) {
                continue;
            }
            return Err(fail(last));
        }
        let declared = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(n) = declared
            && n > max_bytes
        {
            return Err(fail(format!(
                "{n} bytes announced, more than the limit of {max_bytes}"
            )));
        }
        sink.reset()
            .map_err(|e| fail(format!("temporary file: {e}")))?;
        progress.archive_start(url.rsplit('/').nth(1).unwrap_or(url), declared);
        let mut reader = response.body_mut().with_config().limit(max_bytes).reader();
        let mut got = 0u64;
        let mut chunk = vec![0u8; 256 << 10];
        let broken = loop {
            match reader.read(&mut chunk) {
                Ok(0) => break None,
                Ok(n) => {
                    sink.write_all(&chunk[..n])
                        .map_err(|e| fail(format!("temporary file: {e}")))?;
                    got += n as u64;
                    progress.archive_bytes(n as u64);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Some(e),
            }
        };
        let of = declared.map(|n| format!(" of {n}")).unwrap_or_default();
        match broken {
            Some(e) => last = format!("connection broke after {got}{of} bytes ({e})"),
            None if declared.is_some_and(|n| n != got) => {
                last = format!("body ended after {got}{of} bytes")
            }
            None => {
                sink.flush()
                    .map_err(|e| fail(format!("temporary file: {e}")))?;
                return Ok(Some(got));
            }
        }
    }
    Err(fail(format!("{last} (gave up after {ATTEMPTS} attempts)")))
}
