//! Registries that lie or misbehave, which a stock `docker-registry` cannot be made to do:
//! a test server speaks the Distribution API from the real fixture layout, then tampers
//! with what it serves. Fast: no external processes.

mod registry_common;

use osprey_image::registry::{self, RegistryOptions};
use osprey_image::{Error, Platform};
use registry_common::*;
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server misbehaves.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    /// `Docker-Content-Digest` names another manifest.
    WrongDigestHeader,
    /// One byte of the manifest changed (same length).
    TamperedManifest,
    /// One byte of the config changed (same length).
    TamperedConfig,
    /// The manifest lists one layer fewer than the config's diff_ids.
    DroppedLayer,
    /// The first GET of each layer breaks off halfway; ranges are honoured.
    BreakOnce,
    /// As `BreakOnce`, but `Range` is ignored: the retry sends the whole blob.
    BreakOnceIgnoreRange,
    /// Every GET of a layer breaks off halfway.
    BreakAlways,
}

/// Serves `app` from its OCI layout: manifests by tag `latest` or by digest, blobs by digest.
fn layout_server(fault: Fault) -> TestServer {
    let blobs = fixture_oci("app").join("blobs/sha256");
    let want = expected("app");
    let blob_gets: Mutex<HashMap<String, usize>> = Mutex::default();
    TestServer::start("127.0.0.1", move |req| {
        let path = req.path().to_string();
        let read =
            |digest: &str| std::fs::read(blobs.join(digest.trim_start_matches("sha256:"))).ok();
        if let Some(reference) = path.strip_prefix("/v2/app/manifests/") {
            let digest = if reference == "latest" {
                want.manifest_digest.clone()
            } else {
                reference.to_string()
            };
            let Some(mut body) = read(&digest) else {
                return Reply::status(
                    404,
                    &[],
                    r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
                );
            };
            let mut header_digest = digest.clone();
            match fault {
                Fault::WrongDigestHeader => header_digest = format!("sha256:{}", "1".repeat(64)),
                Fault::TamperedManifest => {
                    let i = body.len() - 3;
                    body[i] ^= 1;
                }
                Fault::DroppedLayer => {
                    let mut m: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    m["layers"].as_array_mut().unwrap().pop();
                    body = serde_json::to_vec(&m).unwrap();
                    header_digest = format!(
                        "sha256:{}",
                        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body))
                    );
                }
                _ => {}
            }
            return Reply::Fixed {
                status: 200,
                headers: vec![
                    (
                        "Content-Type".into(),
                        "application/vnd.oci.image.manifest.v1+json".into(),
                    ),
                    ("Docker-Content-Digest".into(), header_digest),
                ],
                body,
            };
        }
        if let Some(digest) = path.strip_prefix("/v2/app/blobs/") {
            let Some(mut body) = read(digest) else {
                return Reply::status(404, &[], "");
            };
            if fault == Fault::TamperedConfig && digest == want.config_digest {
                body[10] ^= 1;
            }
            let is_layer = digest != want.config_digest;
            let gets = {
                let mut map = blob_gets.lock().unwrap();
                let n = map.entry(digest.to_string()).or_default();
                *n += 1;
                *n
            };
            let breaks = match fault {
                Fault::BreakOnce | Fault::BreakOnceIgnoreRange => gets == 1,
                Fault::BreakAlways => true,
                _ => false,
            };
            if is_layer && breaks {
                let send = body.len() / 2;
                return Reply::Truncated { body, send };
            }
            let range_from = req
                .header("range")
                .and_then(|r| r.strip_prefix("bytes="))
                .and_then(|r| r.strip_suffix('-'))
                .and_then(|r| r.parse::<usize>().ok());
            if let Some(from) = range_from.filter(|_| fault != Fault::BreakOnceIgnoreRange) {
                let total = body.len();
                return Reply::Fixed {
                    status: 206,
                    headers: vec![(
                        "Content-Range".into(),
                        format!("bytes {from}-{}/{total}", total - 1),
                    )],
                    body: body[from..].to_vec(),
                };
            }
            return Reply::Fixed {
                status: 200,
                headers: vec![],
                body,
            };
        }
        Reply::status(404, &[], "")
    })
}

fn opts() -> RegistryOptions {
    // An empty config of our own, never the developer's ~/.docker/config.json.
    // Written once: tests run in parallel and must never see it half-written.
    static CONFIG: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let path =
            std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("empty-docker-config.json");
        std::fs::write(&path, "{}").unwrap();
        path
    });
    RegistryOptions {
        insecure: true,
        docker_config: Some(config.clone()),
        retries: Some(1),
        retry_delay: Some(Duration::from_millis(5)),
        ..Default::default()
    }
}

fn amd64() -> Platform {
    "linux/amd64".parse().unwrap()
}

fn open_err(reference: &str, opts: &RegistryOptions) -> Error {
    match registry::open(reference, opts, &amd64()) {
        Ok(_) => panic!("{reference}: opened, expected an error"),
        Err(e) => {
            eprintln!("{reference}: {e}");
            e
        }
    }
}

#[test]
fn honest_layout_server_reads_like_a_registry() {
    let server = layout_server(Fault::None);
    let image =
        registry::open(&format!("{}/app:latest", server.host()), &opts(), &amd64()).unwrap();
    check_image(&*image, &expected("app"));
}

#[test]
fn tampered_documents_are_refused() {
    let want = expected("app");
    for (fault, by_digest, check) in [
        (Fault::WrongDigestHeader, false, "Docker-Content-Digest"),
        (Fault::TamperedManifest, true, "hashes to"),
        (Fault::TamperedConfig, false, "hashes to"),
    ] {
        let server = layout_server(fault);
        let reference = if by_digest {
            format!("{}/app@{}", server.host(), want.manifest_digest)
        } else {
            format!("{}/app:latest", server.host())
        };
        let err = open_err(&reference, &opts());
        assert!(matches!(err, Error::Integrity { .. }), "{err:?}");
        assert!(err.to_string().contains(check), "{err}");
    }
    let server = layout_server(Fault::DroppedLayer);
    let err = open_err(&format!("{}/app:latest", server.host()), &opts()).to_string();
    assert!(
        err.contains("rootfs.diff_ids lists 8 layers") && err.contains("has 7"),
        "{err}"
    );
}

#[test]
fn oversized_manifest_is_cut_off() {
    let huge = format!(
        "{{\"schemaVersion\":2,\"pad\":\"{}\"}}",
        "x".repeat(5 * 1024 * 1024)
    );
    let server = TestServer::start("127.0.0.1", move |_| Reply::status(200, &[], &huge));
    let err = open_err(&format!("{}/app:latest", server.host()), &opts()).to_string();
    assert!(
        err.contains("manifest latest") && err.contains("reading the body"),
        "{err}"
    );
}

#[test]
fn broken_auth_and_redirect_loops_give_clear_errors() {
    // 401 without any challenge.
    let server = TestServer::start("127.0.0.1", |_| Reply::status(401, &[], ""));
    let err = open_err(&format!("{}/app:latest", server.host()), &opts()).to_string();
    assert!(err.contains("without a usable WWW-Authenticate"), "{err}");

    // A token server answering without a token.
    let token_server = TestServer::start("127.0.0.1", |_| {
        Reply::status(200, &[], r#"{"expires_in":60}"#)
    });
    let challenge = format!(
        "Bearer realm=\"http://{}/token\",service=\"s\"",
        token_server.host()
    );
    let server = TestServer::start("127.0.0.1", move |_| {
        Reply::status(401, &[("WWW-Authenticate", &challenge)], "")
    });
    let err = open_err(&format!("{}/app:latest", server.host()), &opts()).to_string();
    assert!(
        err.contains("neither \"token\" nor \"access_token\""),
        "{err}"
    );

    // A bearer realm on a non-loopback plain-HTTP URL never receives credentials.
    let server = TestServer::start("127.0.0.1", |_| {
        Reply::status(
            401,
            &[(
                "WWW-Authenticate",
                "Bearer realm=\"http://auth.example.invalid/token\"",
            )],
            "",
        )
    });
    let mut with_creds = opts();
    with_creds.username = Some(USER.into());
    with_creds.password = Some(PASSWORD.into());
    let err = open_err(&format!("{}/app:latest", server.host()), &with_creds).to_string();
    assert!(err.contains("refusing to send credentials"), "{err}");

    // Redirect loop.
    let server = TestServer::start("127.0.0.1", |req| {
        let next = format!("{}x", req.path());
        Reply::status(302, &[("Location", &next)], "")
    });
    let err = open_err(&format!("{}/app:latest", server.host()), &opts()).to_string();
    assert!(err.contains("more than 5 redirects"), "{err}");
}

#[test]
fn retry_after_http_date_and_transport_errors_are_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let inner = layout_server(Fault::None);
    let upstream = inner.port;
    let server = TestServer::start("127.0.0.1", move |_| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            // A date in the past means "now".
            return Reply::status(503, &[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")], "");
        }
        Reply::Forward(upstream)
    });
    let image =
        registry::open(&format!("{}/app:latest", server.host()), &opts(), &amd64()).unwrap();
    assert_eq!(
        image.metadata().config_digest,
        expected("app").config_digest
    );
    assert!(calls.load(Ordering::SeqCst) >= 3);

    // Nothing listening: connection refused is retried, then reported with the URL.
    let port = free_port("127.0.0.1");
    let err = open_err(&format!("127.0.0.1:{port}/app:latest"), &opts()).to_string();
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("after 2 attempts"),
        "{err}"
    );
}

#[test]
fn broken_blob_streams_resume() {
    for fault in [Fault::BreakOnce, Fault::BreakOnceIgnoreRange] {
        let server = layout_server(fault);
        let image =
            registry::open(&format!("{}/app:latest", server.host()), &opts(), &amd64()).unwrap();
        // check_image hashes every layer: resumed streams must be byte-exact.
        check_image(&*image, &expected("app"));
    }
    // A stream that breaks on every try gives up after the retries, naming blob and offset.
    let server = layout_server(Fault::BreakAlways);
    let image =
        registry::open(&format!("{}/app:latest", server.host()), &opts(), &amd64()).unwrap();
    let layer = image.metadata().layers[0].digest.clone();
    let mut reader = image.open_blob(&layer).unwrap();
    let err = std::io::copy(&mut reader, &mut std::io::sink())
        .unwrap_err()
        .to_string();
    eprintln!("{err}");
    assert!(
        err.contains(&layer) && err.contains(&server.host()),
        "{err}"
    );
    let mut buf = Vec::new();
    assert!(
        image
            .open_blob(&layer)
            .unwrap()
            .read_to_end(&mut buf)
            .is_err()
    );
}

#[test]
fn expiring_tokens_are_renewed_once_for_parallel_layer_reads() {
    const LIFETIME: Duration = Duration::from_millis(1000);
    let inner = layout_server(Fault::None);
    let upstream = inner.port;
    // Tokens expire LIFETIME after they are issued, as short-lived registry tokens do
    // during long scans.
    let valid: Arc<Mutex<HashMap<String, std::time::Instant>>> = Arc::default();
    let issued = Arc::new(AtomicUsize::new(0));
    let (token_valid, token_count) = (valid.clone(), issued.clone());
    let tokens = TestServer::start("127.0.0.1", move |req| {
        if req.header("authorization") != Some(&format!("Basic {}", basic_b64(USER, PASSWORD))) {
            return Reply::status(401, &[], "");
        }
        let token = format!("tok-{}", token_count.fetch_add(1, Ordering::SeqCst));
        token_valid
            .lock()
            .unwrap()
            .insert(token.clone(), std::time::Instant::now() + LIFETIME);
        Reply::status(200, &[], &format!(r#"{{"token":"{token}"}}"#))
    });
    let challenge = format!(
        "Bearer realm=\"http://{}/token\",service=\"svc\",scope=\"repository:app:pull\"",
        tokens.host()
    );
    let front = TestServer::start("127.0.0.1", move |req| {
        let presented = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "));
        let live = presented
            .and_then(|t| valid.lock().unwrap().get(t).copied())
            .is_some_and(|until| std::time::Instant::now() < until);
        if live {
            Reply::Forward(upstream)
        } else {
            Reply::status(401, &[("WWW-Authenticate", &challenge)], "")
        }
    });
    let mut o = opts();
    o.username = Some(USER.into());
    o.password = Some(PASSWORD.into());
    let image = registry::open(&format!("{}/app:latest", front.host()), &o, &amd64()).unwrap();
    assert_eq!(issued.load(Ordering::SeqCst), 1);
    std::thread::sleep(LIFETIME + Duration::from_millis(200));
    let want = expected("app");
    std::thread::scope(|scope| {
        for (digest, _, size) in &want.layers {
            let image = &image;
            scope.spawn(move || {
                let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
                let n = std::io::copy(&mut image.open_blob(digest).unwrap(), &mut hasher).unwrap();
                assert_eq!(n, *size);
                let got = format!("sha256:{}", hex::encode(sha2::Digest::finalize(hasher)));
                assert_eq!(&got, digest);
            });
        }
    });
    // Eight reads met the expired token at once; one renewal served them all.
    assert_eq!(issued.load(Ordering::SeqCst), 2);
}

/// Serves fixed documents by path: `/v2/app/manifests/REF` and `/v2/app/blobs/DIGEST`.
fn document_server(docs: HashMap<String, (String, Vec<u8>)>) -> TestServer {
    TestServer::start("127.0.0.1", move |req| match docs.get(req.path()) {
        Some((content_type, body)) => Reply::Fixed {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.clone())],
            body: body.clone(),
        },
        None => Reply::status(404, &[], ""),
    })
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
    )
}

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// An index with one linux/amd64 entry pointing at `digest` with `size`.
fn index_of(digest: &str, size: usize, media_type: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": media_type, "digest": digest, "size": size,
                       "platform": {"os": "linux", "architecture": "amd64"}}]
    }))
    .unwrap()
}

#[test]
fn index_entries_are_checked_and_nesting_is_bounded() {
    let manifest = std::fs::read(
        fixture_oci("app").join("blobs/sha256").join(
            expected("app")
                .manifest_digest
                .trim_start_matches("sha256:"),
        ),
    )
    .unwrap();
    let manifest_digest = sha256_digest(&manifest);
    let oci_manifest = "application/vnd.oci.image.manifest.v1+json";

    // An index entry whose size disagrees with the manifest it points at.
    let index = index_of(&manifest_digest, manifest.len() + 1, oci_manifest);
    let docs = HashMap::from([
        (
            "/v2/app/manifests/latest".to_string(),
            (OCI_INDEX.to_string(), index),
        ),
        (
            format!("/v2/app/manifests/{manifest_digest}"),
            (oci_manifest.to_string(), manifest.clone()),
        ),
    ]);
    let server = document_server(docs);
    let err = open_err(&format!("{}/app:latest", server.host()), &opts());
    assert!(
        matches!(err, Error::Integrity { .. }) && err.to_string().contains("bytes"),
        "{err}"
    );

    // Indexes nested three deep (latest -> i2 -> i1 -> i0 -> manifest): refused, not followed forever.
    let mut docs = HashMap::from([(
        format!("/v2/app/manifests/{manifest_digest}"),
        (oci_manifest.to_string(), manifest.clone()),
    )]);
    let (mut digest, mut size, mut media_type) =
        (manifest_digest.clone(), manifest.len(), oci_manifest);
    for level in 0..4 {
        let index = index_of(&digest, size, media_type);
        let index_digest = sha256_digest(&index);
        (size, media_type) = (index.len(), OCI_INDEX);
        let path = if level == 3 {
            "/v2/app/manifests/latest".to_string()
        } else {
            format!("/v2/app/manifests/{index_digest}")
        };
        docs.insert(path, (OCI_INDEX.to_string(), index));
        digest = index_digest;
    }
    let server = document_server(docs);
    let err = open_err(&format!("{}/app:latest", server.host()), &opts()).to_string();
    assert!(err.contains("nested deeper than 2"), "{err}");
}
