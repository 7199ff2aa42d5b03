//! Credentials from Docker's config through the real lookup: `credHelpers` and `credsStore`
//! helpers (scripts on `PATH`), `auths` fallback and `$DOCKER_CONFIG`, against a real
//! `docker-registry` with htpasswd auth.
//!
//! One test in its own binary: it changes `PATH` and `DOCKER_CONFIG`, which no other test
//! may observe.

mod registry_common;

use osprey_image::Platform;
use osprey_image::registry::{self, RegistryOptions};
use registry_common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn helper(bin: &Path, name: &str, script: &str) {
    let path = bin.join(format!("docker-credential-{name}"));
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
#[ignore = "slow: starts docker-registry"]
fn docker_config_helpers_store_auths_and_env() {
    let tmp = tempfile::tempdir().unwrap();
    let storage = tmp.path().join("storage");
    let registry = Registry::start(&storage, &htpasswd_auth(tmp.path()), None);
    let host = registry.host();
    push(
        &fixture_oci("distroless-base"),
        &format!("{host}/base:latest"),
        Some(&format!("{USER}:{PASSWORD}")),
        false,
    );

    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // Answers only for this registry, exactly as docker-credential-* helpers do.
    helper(
        &bin,
        "osprey-test",
        &format!(
            r#"server=$(cat)
[ "$1" = get ] || exit 3
if [ "$server" = "{host}" ]; then
  printf '{{"ServerURL":"%s","Username":"{USER}","Secret":"{PASSWORD}"}}' "$server"
else
  echo "credentials not found in native keychain"; exit 1
fi"#
        ),
    );
    helper(
        &bin,
        "osprey-empty",
        "cat >/dev/null; echo 'credentials not found in native keychain'; exit 1",
    );
    helper(
        &bin,
        "osprey-broken",
        "cat >/dev/null; echo 'keychain locked: boom' >&2; exit 2",
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // SAFETY: this binary has one test and nothing else reads the environment concurrently.
    unsafe { std::env::set_var("PATH", path) };

    let platform: Platform = "linux/amd64".parse().unwrap();
    let reference = format!("{host}/base:latest");
    let want = expected("distroless-base");
    let with_config = |json: String| RegistryOptions {
        insecure: true,
        docker_config: Some(docker_config(tmp.path(), &json)),
        ..Default::default()
    };
    let open = |opts: &RegistryOptions| registry::open(&reference, opts, &platform);

    for (case, json) in [
        (
            "credHelpers",
            format!(r#"{{"credHelpers":{{"{host}":"osprey-test"}}}}"#),
        ),
        ("credsStore", r#"{"credsStore":"osprey-test"}"#.to_string()),
        (
            "credsStore without an entry falls back to auths",
            format!(
                r#"{{"credsStore":"osprey-empty","auths":{{"{host}":{{"username":"{USER}","password":"{PASSWORD}"}}}}}}"#
            ),
        ),
    ] {
        let source = open(&with_config(json)).unwrap_or_else(|e| panic!("{case}: {e}"));
        check_image(&*source, &want);
    }

    // A helper for another registry is not asked; this one has no credentials.
    let err = open(&with_config(
        r#"{"credHelpers":{"other.example.com":"osprey-broken"}}"#.into(),
    ))
    .err()
    .expect("anonymous access must fail")
    .to_string();
    assert!(err.contains("no credentials found"), "{err}");
    // A failing helper: its own words and its name are in the error.
    let err = open(&with_config(format!(
        r#"{{"credHelpers":{{"{host}":"osprey-broken"}}}}"#
    )))
    .err()
    .expect("broken helper must fail")
    .to_string();
    assert!(
        err.contains("osprey-broken")
            && err.contains("keychain locked: boom")
            && err.contains(&host),
        "{err}"
    );

    // A helper answering user `<token>` hands out an identity token: it is exchanged at the
    // token realm of a registry using token auth (same storage, second registry).
    let token_dir = tmp.path().join("token");
    std::fs::create_dir(&token_dir).unwrap();
    let auth = token_auth(&token_dir, TokenField::Token);
    let token_registry = Registry::start(&storage, &auth.registry_yaml, None);
    let token_host = token_registry.host();
    helper(
        &bin,
        "osprey-identity",
        &format!(r#"cat >/dev/null; printf '{{"Username":"<token>","Secret":"{REFRESH_TOKEN}"}}'"#),
    );
    let opts = with_config(format!(
        r#"{{"credHelpers":{{"{token_host}":"osprey-identity"}}}}"#
    ));
    let source = registry::open(&format!("{token_host}/base:latest"), &opts, &platform)
        .unwrap_or_else(|e| panic!("identity token: {e}"));
    check_image(&*source, &want);
    let posts = auth
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert!(posts >= 1, "the refresh token was not exchanged");

    // $DOCKER_CONFIG names the directory when no file is given.
    let config_dir = tmp.path().join("docker-config-dir");
    std::fs::create_dir(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.json"),
        format!(
            r#"{{"auths":{{"http://{host}/v2/":{{"auth":"{}"}}}}}}"#,
            basic_b64(USER, PASSWORD)
        ),
    )
    .unwrap();
    // SAFETY: as above.
    unsafe { std::env::set_var("DOCKER_CONFIG", &config_dir) };
    let opts = RegistryOptions {
        insecure: true,
        ..Default::default()
    };
    check_image(
        &*open(&opts).unwrap_or_else(|e| panic!("DOCKER_CONFIG: {e}")),
        &want,
    );
}
