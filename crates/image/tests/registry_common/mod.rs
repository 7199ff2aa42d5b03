//! Test harness for the registry client: real `docker-registry` processes (killed on drop),
//! `skopeo` pushes of the shared fixture images, certificates and htpasswd files made with
//! the real CLI tools, and a small std-only HTTP server for the parts a stock registry cannot
//! play (token server, faulty proxy, redirecting storage).
#![allow(dead_code)] // each test binary uses a different part of the harness

use base64::Engine;
use osprey_image::ImageSource;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub const USER: &str = "alice";
pub const PASSWORD: &str = "s3cret-pw";

/// `../shared` next to the worktree.
pub fn shared() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    assert!(
        dir.join("images/out/app/oci").is_dir(),
        "shared fixtures missing: {} must hold images/out/{{app,distroless-base}}/oci",
        dir.display()
    );
    dir
}

pub fn fixture_oci(image: &str) -> PathBuf {
    shared().join("images/out").join(image).join("oci")
}

/// Ground truth from `images/out/IMAGE/expected.json`.
pub struct Expected {
    pub manifest_digest: String,
    pub config_digest: String,
    /// (digest, diff_id, size), bottom first.
    pub layers: Vec<(String, String, u64)>,
}

pub fn expected(image: &str) -> Expected {
    let path = shared()
        .join("images/out")
        .join(image)
        .join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = |p: &str| {
        v.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or_else(|| panic!("{p} missing"))
            .to_string()
    };
    let layers = v["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| {
            (
                l["digest"].as_str().unwrap().to_string(),
                l["diff_id"].as_str().unwrap().to_string(),
                l["size"].as_u64().unwrap(),
            )
        })
        .collect();
    Expected {
        manifest_digest: s("/oci/manifest_digest"),
        config_digest: s("/oci/config_digest"),
        layers,
    }
}

/// Checks metadata against expected.json, then streams every layer blob and checks its
/// sha256 and size. Returns the number of bytes read.
pub fn check_image(source: &dyn ImageSource, want: &Expected) -> u64 {
    let m = source.metadata();
    assert_eq!(
        m.manifest_digest.as_deref(),
        Some(want.manifest_digest.as_str())
    );
    assert_eq!(m.config_digest, want.config_digest);
    assert_eq!(
        format!("sha256:{}", hex::encode(Sha256::digest(&m.config_raw))),
        want.config_digest
    );
    assert_eq!(m.layers.len(), want.layers.len());
    let mut total = 0;
    for (layer, (digest, diff_id, size)) in m.layers.iter().zip(&want.layers) {
        assert_eq!(&layer.digest, digest);
        assert_eq!(&layer.diff_id, diff_id);
        assert_eq!(layer.size, Some(*size));
        assert!(layer.media_type.contains("layer"), "{}", layer.media_type);
        let mut reader = source
            .open_blob(digest)
            .unwrap_or_else(|e| panic!("{digest}: {e}"));
        let mut hasher = Sha256::new();
        let n = std::io::copy(&mut reader, &mut hasher).unwrap_or_else(|e| panic!("{digest}: {e}"));
        assert_eq!(n, *size, "{digest}: size");
        assert_eq!(
            format!("sha256:{}", hex::encode(hasher.finalize())),
            *digest
        );
        total += n;
    }
    total
}

pub fn free_port(ip: &str) -> u16 {
    TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(ip: &str, port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect((ip, port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "{what} did not listen on {ip}:{port}; log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// A running `docker-registry serve`, killed (and reaped) on drop.
pub struct Registry {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry on 127.0.0.1 over `storage`; `extra` is YAML added at top level
    /// (`auth:`), `tls` the `http.tls` section's certificate and key.
    pub fn start(storage: &Path, extra: &str, tls: Option<(&Path, &Path)>) -> Registry {
        assert!(
            Path::new("/usr/bin/docker-registry").exists(),
            "docker-registry missing: run scripts/install-test-deps.sh"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_port("127.0.0.1");
        let tls_yaml = tls.map_or(String::new(), |(cert, key)| {
            format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            )
        });
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: osprey-test-secret\n{tls_yaml}{extra}",
            storage.display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log_path = dir.path().join("registry.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let registry = Registry {
            child,
            port,
            _dir: dir,
        };
        wait_for_port("127.0.0.1", port, "docker-registry", &log_path);
        registry
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `skopeo copy` from an OCI layout to `docker://DEST`.
pub fn push(layout: &Path, dest: &str, creds: Option<&str>, all: bool) {
    push_as(layout, dest, creds, all, None)
}

/// `push`, converting to a manifest format (`v2s2`: Docker schema 2 and manifest lists).
pub fn push_as(layout: &Path, dest: &str, creds: Option<&str>, all: bool, format: Option<&str>) {
    let mut cmd = Command::new("skopeo");
    cmd.args([
        "--insecure-policy",
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
    ]);
    if all {
        cmd.arg("--all");
    }
    if let Some(format) = format {
        cmd.args(["--format", format]);
    }
    if let Some(c) = creds {
        cmd.args(["--dest-creds", c]);
    }
    let out = cmd
        .arg(format!("oci:{}:latest", layout.display()))
        .arg(format!("docker://{dest}"))
        .output()
        .expect("run skopeo (scripts/install-test-deps.sh installs it)");
    assert!(
        out.status.success(),
        "skopeo copy to {dest} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Registry storage holding `app:latest`, `distroless-base:latest` and `multi:latest` (an
/// OCI index: linux/amd64 -> app, linux/arm64 -> distroless-base), and `app-docker:latest`
/// and `multi-docker:latest` converted to Docker's media types, pushed once per test
/// binary by skopeo through an anonymous registry.
pub fn seeded_storage() -> &'static Path {
    static SEEDED: OnceLock<PathBuf> = OnceLock::new();
    SEEDED.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("registry-seed-{}", std::process::id()));
        sweep_old_seeds();
        std::fs::create_dir_all(&dir).unwrap();
        let registry = Registry::start(&dir, "", None);
        let host = registry.host();
        push(
            &fixture_oci("app"),
            &format!("{host}/app:latest"),
            None,
            false,
        );
        push(
            &fixture_oci("distroless-base"),
            &format!("{host}/distroless-base:latest"),
            None,
            false,
        );
        let layout = tempfile::tempdir().unwrap();
        multi_arch_layout(layout.path());
        push(layout.path(), &format!("{host}/multi:latest"), None, true);
        // The same in Docker's media types: schema 2 manifests and a manifest list.
        push_as(
            &fixture_oci("app"),
            &format!("{host}/app-docker:latest"),
            None,
            false,
            Some("v2s2"),
        );
        push_as(
            layout.path(),
            &format!("{host}/multi-docker:latest"),
            None,
            true,
            Some("v2s2"),
        );
        dir
    })
}

/// Statics are never dropped, so a seeded storage outlives its test binary: it is named by
/// PID and earlier runs' are removed when the next one seeds.
fn sweep_old_seeds() {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let me = format!("registry-seed-{}", std::process::id());
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with("registry-seed-") && name != me {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// An OCI layout whose `latest` is an image index of two manifests: app's as linux/amd64
/// and distroless-base's as linux/arm64 (blobs copied from both fixtures).
pub fn multi_arch_layout(dir: &Path) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let mut entries = Vec::new();
    for (image, arch) in [("app", "amd64"), ("distroless-base", "arm64")] {
        let src = fixture_oci(image);
        for e in std::fs::read_dir(src.join("blobs/sha256")).unwrap() {
            let e = e.unwrap();
            let to = blobs.join(e.file_name());
            if !to.exists() && std::fs::hard_link(e.path(), &to).is_err() {
                std::fs::copy(e.path(), &to).unwrap();
            }
        }
        let want = expected(image);
        let size =
            std::fs::metadata(blobs.join(want.manifest_digest.trim_start_matches("sha256:")))
                .unwrap()
                .len();
        entries.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": want.manifest_digest,
            "size": size,
            "platform": {"os": "linux", "architecture": arch}
        }));
    }
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": entries
    }))
    .unwrap();
    let index_hex = hex::encode(Sha256::digest(&index));
    std::fs::write(blobs.join(&index_hex), &index).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let top = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": format!("sha256:{index_hex}"),
            "size": index.len(),
            "annotations": {"org.opencontainers.image.ref.name": "latest"}
        }]
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA and a server certificate for 127.0.0.1/localhost it signed, made by the
/// openssl CLI.
pub struct TestPki {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

pub fn make_pki(dir: &Path) -> TestPki {
    let p = |n: &str| dir.join(n);
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=osprey test CA",
        ])
        .arg("-keyout")
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("ca.pem")));
    run(Command::new("openssl")
        .args([
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .arg("-keyout")
        .arg(p("server.key"))
        .arg("-out")
        .arg(p("server.csr")));
    std::fs::write(
        p("ext.cnf"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
        .arg("-in")
        .arg(p("server.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .arg("-extfile")
        .arg(p("ext.cnf"))
        .arg("-out")
        .arg(p("server.pem")));
    TestPki {
        ca_cert: p("ca.pem"),
        server_cert: p("server.pem"),
        server_key: p("server.key"),
    }
}

/// `htpasswd -Bbn USER PASSWORD` into DIR/htpasswd; returns the registry `auth:` YAML.
pub fn htpasswd_auth(dir: &Path) -> String {
    let out = Command::new("htpasswd")
        .args(["-Bbn", USER, PASSWORD])
        .output()
        .expect("htpasswd (apache2-utils)");
    assert!(out.status.success());
    let path = dir.join("htpasswd");
    std::fs::write(&path, out.stdout).unwrap();
    format!(
        "auth:\n  htpasswd:\n    realm: osprey-test\n    path: {}\n",
        path.display()
    )
}

/// A new Docker config file with `json` in `dir`.
pub fn docker_config(dir: &Path, json: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let path = dir.join(format!("config-{}.json", N.fetch_add(1, Ordering::SeqCst)));
    std::fs::write(&path, json).unwrap();
    path
}

pub fn basic_b64(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

// ---------------------------------------------------------------------------------------
// A small HTTP/1.1 server: one request per connection, `Connection: close`.

/// A request as the test server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn query(&self, key: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        query_value(q, key)
    }
}

pub fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => out.push(b),
                    Err(_) => out.extend_from_slice(&bytes[i..i + 3]),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

/// What the test server answers.
pub enum Reply {
    /// A fixed answer.
    Fixed {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Announces all of `body` but sends only its first `send` bytes, then hangs up.
    Truncated { body: Vec<u8>, send: usize },
    /// Pass the request to `127.0.0.1:PORT` (path and query as given) and relay the answer.
    Forward(u16),
}

impl Reply {
    pub fn status(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        Reply::Fixed {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// The server; stops accepting on drop.
pub struct TestServer {
    pub port: u16,
    pub ip: &'static str,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start(
        ip: &'static str,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let handler = handler.clone();
                std::thread::spawn(move || serve_one(conn, &*handler));
            }
        });
        TestServer {
            port,
            ip,
            stop,
            thread: Some(thread),
        }
    }

    pub fn host(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect((self.ip, self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_one(mut conn: TcpStream, handler: &Handler) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(request) = read_request(&conn) else {
        return;
    };
    match handler(&request) {
        Reply::Fixed {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body);
        }
        Reply::Truncated { body, send } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body[..send.min(body.len())]);
        }
        Reply::Forward(port) => {
            let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port)) else {
                return;
            };
            let mut head = format!(
                "{} {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n",
                request.method, request.target
            );
            for (k, v) in &request.headers {
                if !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("connection") {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
            }
            head.push_str("\r\n");
            let _ = upstream.write_all(head.as_bytes());
            let _ = upstream.write_all(&request.body);
            let _ = std::io::copy(&mut upstream, &mut conn);
        }
    }
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Both);
}

fn read_request(conn: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

// ---------------------------------------------------------------------------------------
// A Docker token server (the `auth.token` side of Distribution), signing RS256 JWTs with a
// key whose certificate the registry trusts (`rootcertbundle`).

pub const TOKEN_SERVICE: &str = "osprey-test-registry";
pub const TOKEN_ISSUER: &str = "osprey-test-issuer";
pub const REFRESH_TOKEN: &str = "osprey-refresh-token";

/// Which field the token server puts the token in.
#[derive(Clone, Copy)]
pub enum TokenField {
    Token,
    AccessToken,
}

pub struct TokenAuth {
    pub server: TestServer,
    /// Registry `auth:` YAML trusting this server.
    pub registry_yaml: String,
    pub requests: Arc<std::sync::Mutex<Vec<Request>>>,
}

pub fn token_auth(dir: &Path, field: TokenField) -> TokenAuth {
    let key = dir.join("token-signer.key");
    let cert = dir.join("token-signer.pem");
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=osprey test token signer",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    let der = Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in"])
        .arg(&cert)
        .output()
        .unwrap()
        .stdout;
    let x5c = base64::engine::general_purpose::STANDARD.encode(der);
    let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    let server = TestServer::start("127.0.0.1", move |req| {
        seen.lock().unwrap().push(req.clone());
        if req.path() != "/token" {
            return Reply::status(404, &[], "");
        }
        // GET with optional basic auth, or POST grant_type=refresh_token (OAuth2).
        let (subject, scope) = if req.method == "POST" {
            let form = String::from_utf8_lossy(&req.body).to_string();
            if query_value(&form, "grant_type").as_deref() != Some("refresh_token")
                || query_value(&form, "refresh_token").as_deref() != Some(REFRESH_TOKEN)
            {
                return Reply::status(401, &[], r#"{"details":"bad refresh token"}"#);
            }
            (
                USER.to_string(),
                query_value(&form, "scope").unwrap_or_default(),
            )
        } else {
            let scope = req.query("scope").unwrap_or_default();
            match req.header("authorization") {
                Some(h) if h == format!("Basic {}", basic_b64(USER, PASSWORD)) => {
                    (USER.to_string(), scope)
                }
                Some(_) => {
                    return Reply::status(
                        401,
                        &[],
                        r#"{"details":"invalid username or password"}"#,
                    );
                }
                None => (String::new(), String::new()), // anonymous: a token granting nothing
            }
        };
        let access: Vec<serde_json::Value> = scope
            .split(' ')
            .filter_map(|s| {
                let mut parts = s.splitn(3, ':');
                let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
                Some(serde_json::json!({"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
            })
            .collect();
        let jwt = sign_jwt(&key, &x5c, &subject, access);
        let body = match field {
            TokenField::Token => serde_json::json!({"token": jwt, "expires_in": 300}),
            TokenField::AccessToken => serde_json::json!({"access_token": jwt, "expires_in": 300}),
        };
        Reply::status(
            200,
            &[("Content-Type", "application/json")],
            &body.to_string(),
        )
    });
    let registry_yaml = format!(
        "auth:\n  token:\n    realm: http://{}/token\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}\n",
        server.host(),
        cert.display()
    );
    TokenAuth {
        server,
        registry_yaml,
        requests,
    }
}

fn sign_jwt(key: &Path, x5c: &str, subject: &str, access: Vec<serde_json::Value>) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [x5c]});
    let claims = serde_json::json!({
        "iss": TOKEN_ISSUER, "sub": subject, "aud": TOKEN_SERVICE,
        "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{}", rand_suffix()),
        "access": access
    });
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(signing_input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl dgst -sign failed");
    format!("{signing_input}.{}", b64(&out.stdout))
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// A plain-HTTP GET with an optional `Accept`; returns the `Content-Type` answered.
pub fn content_type_of(host: &str, path: &str, accept: Option<&str>) -> String {
    let mut conn = TcpStream::connect(host).unwrap();
    let accept = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{accept}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    answer
        .lines()
        .find_map(|l| l.strip_prefix("Content-Type: "))
        .unwrap_or_default()
        .to_string()
}

/// Asks the token server for a token as `USER`, the way `docker login` would.
pub fn fetch_token(token_host: &str, scope: &str) -> String {
    let mut conn = TcpStream::connect(token_host).unwrap();
    let auth = basic_b64(USER, PASSWORD);
    write!(
        conn,
        "GET /token?service={TOKEN_SERVICE}&scope={scope} HTTP/1.1\r\nHost: {token_host}\r\n\
         Authorization: Basic {auth}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"));
    v.get("token")
        .or_else(|| v.get("access_token"))
        .and_then(|t| t.as_str())
        .expect("token in answer")
        .to_string()
}
