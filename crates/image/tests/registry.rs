//! The registry client against real `docker-registry` processes fed by `skopeo`, plus test
//! servers for token auth, faults and redirects. Every image read is checked against the
//! fixtures' `expected.json` and every layer blob is hashed.

mod registry_common;

use osprey_image::registry::{self, RegistryOptions};
use osprey_image::{ImageSource, Platform};
use registry_common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn amd64() -> Platform {
    "linux/amd64".parse().unwrap()
}

/// Options that never read the developer's own `~/.docker/config.json`.
fn opts(dir: &std::path::Path) -> RegistryOptions {
    RegistryOptions {
        docker_config: Some(docker_config(dir, "{}")),
        retry_delay: Some(Duration::from_millis(20)),
        ..Default::default()
    }
}

fn open_ok(reference: &str, opts: &RegistryOptions, platform: &Platform) -> Box<dyn ImageSource> {
    registry::open(reference, opts, platform).unwrap_or_else(|e| panic!("{reference}: {e}"))
}

fn open_err(reference: &str, opts: &RegistryOptions) -> String {
    match registry::open(reference, opts, &amd64()) {
        Ok(_) => panic!("{reference}: opened, expected an error"),
        Err(e) => {
            // Printed so `--nocapture` shows what a user would read.
            eprintln!("{reference}: {e}");
            e.to_string()
        }
    }
}

#[test]
#[ignore = "slow: starts docker-registry"]
fn plain_http_anonymous_by_tag_and_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(seeded_storage(), "", None);
    let host = registry.host();
    let mut o = opts(tmp.path());
    o.insecure = true;
    for image in ["app", "distroless-base"] {
        let want = expected(image);
        let started = std::time::Instant::now();
        let by_tag = open_ok(&format!("{host}/{image}:latest"), &o, &amd64());
        let bytes = check_image(&*by_tag, &want);
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "{image}: metadata + {bytes} layer bytes hashed in {secs:.2} s ({:.0} MB/s)",
            bytes as f64 / secs / 1e6
        );
        assert!(bytes > 0);
        let m = by_tag.metadata();
        assert_eq!(m.repo_tags, vec![format!("{host}/{image}:latest")]);
        assert_eq!(
            m.repo_digests,
            vec![format!("{host}/{image}@{}", want.manifest_digest)]
        );
        assert_eq!(m.name, format!("{host}/{image}:latest"));
        assert_eq!(m.config["rootfs"]["type"], "layers");

        let by_digest = open_ok(
            &format!("{host}/{image}@{}", want.manifest_digest),
            &o,
            &amd64(),
        );
        check_image(&*by_digest, &want);
        assert!(by_digest.metadata().repo_tags.is_empty());
    }
    // Tag and digest together: the digest is fetched, the tag is kept.
    let want = expected("app");
    let both = open_ok(
        &format!("{host}/app:v9@{}", want.manifest_digest),
        &o,
        &amd64(),
    );
    assert_eq!(both.metadata().repo_tags, vec![format!("{host}/app:v9")]);

    // Unknown tag, repository and blob: errors name the registry, repository and what.
    let err = open_err(&format!("{host}/app:nope"), &o);
    assert!(
        err.contains(&format!("{host}/app"))
            && err.contains("manifest nope")
            && err.contains("404"),
        "{err}"
    );
    let err = open_err(&format!("{host}/no/such:latest"), &o);
    assert!(err.contains("no/such") && err.contains("404"), "{err}");
    let missing = format!("sha256:{}", "0".repeat(64));
    let err = match by_tag_source(&host, &o).open_blob(&missing) {
        Ok(_) => panic!("missing blob opened"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains(&missing) && err.contains("404"), "{err}");
    let err = match by_tag_source(&host, &o).open_blob("sha256:../../etc/passwd") {
        Ok(_) => panic!("hostile digest accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("invalid digest"), "{err}");

    // Without --insecure, plain HTTP is never tried: TLS fails and the error says why.
    let err = open_err(&format!("{host}/app:latest"), &opts(tmp.path()));
    assert!(err.contains(&host) && err.contains("--insecure"), "{err}");
}

fn by_tag_source(host: &str, o: &RegistryOptions) -> Box<dyn ImageSource> {
    open_ok(&format!("{host}/app:latest"), o, &amd64())
}

#[test]
#[ignore = "slow: starts docker-registry"]
fn multi_arch_index_resolves_platform() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(seeded_storage(), "", None);
    let host = registry.host();
    let mut o = opts(tmp.path());
    o.insecure = true;
    let amd = open_ok(&format!("{host}/multi:latest"), &o, &amd64());
    check_image(&*amd, &expected("app"));
    let index_digest = amd.metadata().repo_digests[0].clone();
    assert!(
        !index_digest.ends_with(&expected("app").manifest_digest),
        "repo digest must be the index's"
    );
    let arm = open_ok(
        &format!("{host}/multi:latest"),
        &o,
        &"linux/arm64".parse().unwrap(),
    );
    check_image(&*arm, &expected("distroless-base"));
    assert_eq!(arm.metadata().repo_digests[0], index_digest);
    // Pinning the index digest resolves the same way.
    let digest = index_digest.rsplit_once('@').unwrap().1;
    let pinned = open_ok(
        &format!("{host}/multi@{digest}"),
        &o,
        &"linux/arm64/v8".parse().unwrap(),
    );
    assert_eq!(
        pinned.metadata().config_digest,
        expected("distroless-base").config_digest
    );
    let err = match registry::open(
        &format!("{host}/multi:latest"),
        &o,
        &"linux/s390x".parse().unwrap(),
    ) {
        Ok(_) => panic!("s390x resolved"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("linux/s390x") && err.contains("linux/amd64, linux/arm64"),
        "{err}"
    );
}

#[test]
#[ignore = "slow: starts docker-registry"]
fn tls_with_basic_auth_and_pushed_by_skopeo() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = make_pki(tmp.path());
    let storage = tmp.path().join("storage");
    let auth = htpasswd_auth(tmp.path());
    let registry = Registry::start(&storage, &auth, Some((&pki.server_cert, &pki.server_key)));
    let host = registry.host();
    push(
        &fixture_oci("distroless-base"),
        &format!("{host}/base:1"),
        Some(&format!("{USER}:{PASSWORD}")),
        false,
    );
    let reference = format!("{host}/base:1");
    let want = expected("distroless-base");

    // Flags + CA file.
    let mut o = opts(tmp.path());
    o.ca_file = Some(pki.ca_cert.clone());
    o.username = Some(USER.into());
    o.password = Some(PASSWORD.into());
    check_image(&*open_ok(&reference, &o, &amd64()), &want);

    // The same credentials from a docker config `auths` entry (base64 `auth`).
    let mut from_config = opts(tmp.path());
    from_config.ca_file = Some(pki.ca_cert.clone());
    from_config.docker_config = Some(docker_config(
        tmp.path(),
        &format!(
            r#"{{"auths":{{"https://{host}":{{"auth":"{}"}}}}}}"#,
            basic_b64(USER, PASSWORD)
        ),
    ));
    check_image(&*open_ok(&reference, &from_config, &amd64()), &want);

    // No CA: verification fails, clearly, and is not silently skipped.
    let mut no_ca = o.clone();
    no_ca.ca_file = None;
    let err = open_err(&reference, &no_ca);
    assert!(
        !err.contains("attempts"),
        "TLS failures must not be retried: {err}"
    );
    assert!(
        err.contains(&host) && (err.contains("--insecure") || err.contains("--ca-file")),
        "{err}"
    );
    // --insecure turns verification off (and keeps HTTPS, since the registry speaks it).
    no_ca.insecure = true;
    check_image(&*open_ok(&reference, &no_ca, &amd64()), &want);

    // Wrong password: the error names the registry, the repository and the user.
    let mut wrong = o.clone();
    wrong.password = Some("wrong".into());
    let err = open_err(&reference, &wrong);
    assert!(
        err.contains(&format!("{host}/base")) && err.contains("rejected") && err.contains(USER),
        "{err}"
    );
    // No credentials anywhere.
    let mut none = o.clone();
    none.username = None;
    none.password = None;
    let err = open_err(&reference, &none);
    assert!(
        err.contains(&host) && err.contains("no credentials found"),
        "{err}"
    );
}

#[test]
#[ignore = "slow: starts docker-registry"]
fn bearer_token_flow_with_distribution_token_auth() {
    for field in [TokenField::Token, TokenField::AccessToken] {
        let tmp = tempfile::tempdir().unwrap();
        let auth = token_auth(tmp.path(), field);
        let registry = Registry::start(seeded_storage(), &auth.registry_yaml, None);
        let host = registry.host();
        let reference = format!("{host}/app:latest");
        let mut o = opts(tmp.path());
        o.insecure = true;
        o.username = Some(USER.into());
        o.password = Some(PASSWORD.into());
        check_image(&*open_ok(&reference, &o, &amd64()), &expected("app"));
        {
            let seen = auth.requests.lock().unwrap();
            let first = seen.first().expect("token server was asked");
            assert_eq!(first.query("service").as_deref(), Some(TOKEN_SERVICE));
            assert_eq!(first.query("scope").as_deref(), Some("repository:app:pull"));
        }

        // A token given directly (--registry-token) is sent as is: no token request.
        let asked = auth.requests.lock().unwrap().len();
        let token = fetch_token(&auth.server.host(), "repository:app:pull");
        let direct = RegistryOptions {
            username: None,
            password: None,
            registry_token: Some(token),
            ..o.clone()
        };
        check_image(&*open_ok(&reference, &direct, &amd64()), &expected("app"));
        assert_eq!(
            auth.requests.lock().unwrap().len(),
            asked + 1,
            "only our own fetch"
        );
        let forged = RegistryOptions {
            registry_token: Some("not.a.jwt".into()),
            ..direct
        };
        let err = open_err(&reference, &forged);
        assert!(err.contains("rejected bearer token"), "{err}");

        // Wrong password: the token server refuses; the error says so and names the registry.
        let mut wrong = o.clone();
        wrong.password = Some("wrong".into());
        let err = open_err(&reference, &wrong);
        assert!(
            err.contains(&host)
                && err.contains("token request")
                && err.contains("401")
                && err.contains(USER),
            "{err}"
        );

        // Anonymous: a token without access; the registry refuses it.
        let mut anonymous = o.clone();
        anonymous.username = None;
        anonymous.password = None;
        let err = open_err(&reference, &anonymous);
        assert!(
            err.contains(&host) && err.contains("anonymous access denied"),
            "{err}"
        );

        // An identity token from the docker config is exchanged as an OAuth2 refresh token.
        anonymous.docker_config = Some(docker_config(
            tmp.path(),
            &format!(r#"{{"auths":{{"{host}":{{"identitytoken":"{REFRESH_TOKEN}"}}}}}}"#),
        ));
        let image = open_ok(&reference, &anonymous, &amd64());
        assert_eq!(
            image.metadata().config_digest,
            expected("app").config_digest
        );
        assert!(
            auth.requests
                .lock()
                .unwrap()
                .iter()
                .any(|r| r.method == "POST")
        );
    }
}

#[test]
#[ignore = "slow: starts docker-registry"]
fn retries_429_and_503_then_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(seeded_storage(), "", None);
    let upstream = registry.port;
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let proxy = TestServer::start("127.0.0.1", move |req| {
        let n = counted.fetch_add(1, Ordering::SeqCst);
        match (req.path().contains("/manifests/"), n) {
            (true, 0) => Reply::status(
                429,
                &[("Retry-After", "1")],
                r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
            ),
            (true, 1) => Reply::status(503, &[], "unavailable"),
            _ => Reply::Forward(upstream),
        }
    });
    let mut o = opts(tmp.path());
    o.insecure = true;
    let started = std::time::Instant::now();
    let image = open_ok(&format!("{}/app:latest", proxy.host()), &o, &amd64());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
    check_image(&*image, &expected("app"));
    assert!(calls.load(Ordering::SeqCst) >= 3);

    // A registry that never recovers: the error gives the status and the attempts.
    let always = TestServer::start("127.0.0.1", |_| {
        Reply::status(503, &[], "down for maintenance")
    });
    o.retries = Some(2);
    let err = open_err(&format!("{}/app:latest", always.host()), &o);
    assert!(
        err.contains("HTTP 503 Service Unavailable after 3 attempts, down for maintenance"),
        "{err}"
    );
}

#[test]
#[ignore = "slow: starts docker-registry"]
fn blob_redirects_to_another_host_without_authorization() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(seeded_storage(), "", None);
    let upstream = registry.port;
    // Storage on another loopback address, like a pre-signed S3 URL: records what it got.
    let storage_seen: Arc<Mutex<Vec<Request>>> = Arc::default();
    let seen = storage_seen.clone();
    let storage = TestServer::start("127.0.0.2", move |req| {
        seen.lock().unwrap().push(req.clone());
        if req.header("authorization").is_some() {
            return Reply::status(400, &[], "registry credentials leaked to storage");
        }
        Reply::Forward(upstream)
    });
    // The registry front: basic auth required; blobs answered with a 307 to storage.
    let front_saw_auth = Arc::new(AtomicUsize::new(0));
    let saw = front_saw_auth.clone();
    let storage_host = storage.host();
    let want_auth = format!("Basic {}", basic_b64(USER, PASSWORD));
    let front = TestServer::start("127.0.0.1", move |req| {
        if req.header("authorization") != Some(want_auth.as_str()) {
            return Reply::status(401, &[("WWW-Authenticate", "Basic realm=\"front\"")], "");
        }
        saw.fetch_add(1, Ordering::SeqCst);
        if req.path().contains("/blobs/") {
            let location = format!("http://{storage_host}{}?X-Amz-Signature=abc", req.path());
            return Reply::status(307, &[("Location", &location)], "");
        }
        Reply::Forward(upstream)
    });
    let mut o = opts(tmp.path());
    o.insecure = true;
    o.username = Some(USER.into());
    o.password = Some(PASSWORD.into());
    let image = open_ok(&format!("{}/app:latest", front.host()), &o, &amd64());
    check_image(&*image, &expected("app"));
    let seen = storage_seen.lock().unwrap();
    // The config and every layer came from storage, none with the registry's credentials.
    assert_eq!(seen.len(), expected("app").layers.len() + 1);
    assert!(seen.iter().all(|r| r.header("authorization").is_none()));
    assert!(front_saw_auth.load(Ordering::SeqCst) > seen.len());

    // Without --insecure, a redirect to plain HTTP on a non-loopback host is refused; on
    // loopback it needs --insecure too (checked through the registry's own host).
    let redirect_out = TestServer::start("127.0.0.1", |req| {
        let location = format!("http://storage.example.invalid{}", req.path());
        Reply::status(302, &[("Location", &location)], "")
    });
    let err = open_err(&format!("{}/app:latest", redirect_out.host()), &o);
    assert!(err.contains("refusing redirect to plain HTTP"), "{err}");
}

#[test]
#[ignore = "slow: starts docker-registry"]
fn docker_media_types_manifest_and_list() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(seeded_storage(), "", None);
    let host = registry.host();
    // The registry really stores Docker types (and would answer schema 1 without our Accept).
    let v2 = "application/vnd.docker.distribution.manifest.v2+json";
    let list = "application/vnd.docker.distribution.manifest.list.v2+json";
    assert_eq!(
        content_type_of(&host, "/v2/app-docker/manifests/latest", Some(v2)),
        v2
    );
    assert_eq!(
        content_type_of(&host, "/v2/multi-docker/manifests/latest", Some(list)),
        list
    );
    assert!(
        content_type_of(&host, "/v2/app-docker/manifests/latest", None).contains("manifest.v1")
    );

    let mut o = opts(tmp.path());
    o.insecure = true;
    let want = expected("app");
    for reference in [
        format!("{host}/app-docker:latest"),
        format!("{host}/multi-docker:latest"),
    ] {
        let image = open_ok(&reference, &o, &amd64());
        let m = image.metadata();
        // Conversion rewrites the manifest, not the config or the layers.
        assert_ne!(
            m.manifest_digest.as_deref(),
            Some(want.manifest_digest.as_str())
        );
        assert_eq!(m.config_digest, want.config_digest);
        for (layer, (digest, diff_id, _)) in m.layers.iter().zip(&want.layers) {
            assert_eq!((&layer.digest, &layer.diff_id), (digest, diff_id));
            assert_eq!(
                layer.media_type,
                "application/vnd.docker.image.rootfs.diff.tar.gzip"
            );
        }
        let mut total = 0;
        for layer in &m.layers {
            total += std::io::copy(
                &mut image.open_blob(&layer.digest).unwrap(),
                &mut std::io::sink(),
            )
            .unwrap();
        }
        assert_eq!(total, want.layers.iter().map(|l| l.2).sum::<u64>());
    }
    let arm = open_ok(
        &format!("{host}/multi-docker:latest"),
        &o,
        &"linux/arm64".parse().unwrap(),
    );
    assert_eq!(
        arm.metadata().config_digest,
        expected("distroless-base").config_digest
    );
}
