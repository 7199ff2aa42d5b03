//! The `app` fixture image, layer by layer: every secret its `expected.json` lists is found
//! with the right file, line, layer and final-filesystem state, and nothing else is found
//! anywhere in the image (the CA bundle, Django, node_modules, the binaries).

use flate2::read::MultiGzDecoder;
use osprey_model::{SecretFinding, SecretLocation};
use osprey_scan::{Analyzer, Fact, FileMeta, LocatedFact, Skipped, Squashed};
use osprey_secrets::{Scanner, SecretAnalyzer, findings_from_squashed, scan_image_config};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

fn app_dir() -> PathBuf {
    let shared = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    let app = shared.join("images/out/app");
    assert!(
        app.join("oci/index.json").is_file(),
        "fixture image missing: {} (the shared data folder must sit beside the checkout)",
        app.display()
    );
    app
}

fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn blob(app: &std::path::Path, digest: &str) -> PathBuf {
    app.join("oci/blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// What one layer adds and removes.
#[derive(Default)]
struct LayerFiles {
    added: BTreeSet<String>,
    whiteouts: BTreeSet<String>,
    opaque_dirs: BTreeSet<String>,
}

fn normalise(path: &str) -> String {
    path.trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_string()
}

/// True when `path`, added by `layers[at]`, is still visible on top of every layer.
fn in_final_fs(layers: &[LayerFiles], at: usize, path: &str) -> bool {
    let ancestors: Vec<&str> = path.match_indices('/').map(|(i, _)| &path[..i]).collect();
    layers[at + 1..].iter().all(|l| {
        !l.added.contains(path)
            && !l.whiteouts.contains(path)
            && !ancestors
                .iter()
                .any(|a| l.whiteouts.contains(*a) || l.opaque_dirs.contains(*a))
    })
}

struct Walk {
    squashed: Squashed,
    files_seen: usize,
    files_analysed: usize,
}

fn walk_image(app: &std::path::Path, analyzer: &SecretAnalyzer) -> (Walk, Value) {
    let index = read_json(app.join("oci/index.json"));
    let manifest = read_json(blob(app, index["manifests"][0]["digest"].as_str().unwrap()));
    let config = read_json(blob(app, manifest["config"]["digest"].as_str().unwrap()));
    let mut layers: Vec<LayerFiles> = Vec::new();
    let mut facts: Vec<(usize, Fact)> = Vec::new();
    let mut skipped = Vec::new();
    let (mut files_seen, mut files_analysed) = (0, 0);
    for (i, layer) in manifest["layers"].as_array().unwrap().iter().enumerate() {
        let file = std::fs::File::open(blob(app, layer["digest"].as_str().unwrap())).unwrap();
        let mut archive = tar::Archive::new(MultiGzDecoder::new(file));
        let mut files = LayerFiles::default();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = normalise(&entry.path().unwrap().to_string_lossy());
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
            if name == ".wh..wh..opq" {
                files.opaque_dirs.insert(dir.to_string());
                continue;
            }
            if let Some(hidden) = name.strip_prefix(".wh.") {
                let target = if dir.is_empty() {
                    hidden.to_string()
                } else {
                    format!("{dir}/{hidden}")
                };
                files.whiteouts.insert(target);
                continue;
            }
            files.added.insert(path.clone());
            if !entry.header().entry_type().is_file() {
                continue;
            }
            files_seen += 1;
            let meta = FileMeta {
                path: &path,
                size: entry.header().size().unwrap(),
                mode: entry.header().mode().unwrap(),
            };
            if !analyzer.wants(&meta) {
                continue;
            }
            if meta.size > analyzer.max_size() {
                skipped.push(Skipped {
                    layer: Some(i),
                    path: path.clone(),
                    analyzer: analyzer.name().into(),
                    reason: format!("larger than {} bytes", analyzer.max_size()),
                });
                continue;
            }
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            files_analysed += 1;
            for fact in analyzer.analyze(&meta, &content).unwrap() {
                facts.push((i, fact));
            }
        }
        layers.push(files);
    }
    let facts = facts
        .into_iter()
        .map(|(layer, fact)| LocatedFact {
            layer: Some(layer),
            in_final_fs: in_final_fs(&layers, layer, &fact.path),
            fact,
        })
        .collect();
    let squashed = Squashed {
        facts,
        skipped,
        ..Default::default()
    };
    (
        Walk {
            squashed,
            files_seen,
            files_analysed,
        },
        config,
    )
}

fn rule_for_kind(kind: &str) -> &str {
    match kind {
        "github-classic-pat" => "github-pat",
        "slack-bot-token" => "slack-access-token",
        "rsa-private-key" => "private-key",
        "slack-webhook-url" => "slack-web-hook",
        other => other,
    }
}

fn no_value_leaks(findings: &[SecretFinding], expected: &[Value]) {
    let json = serde_json::to_string(findings).unwrap();
    for e in expected {
        let value = e["value"].as_str().unwrap();
        if value.starts_with("-----BEGIN") {
            continue; // the PEM header is shown; the body is what is secret
        }
        assert!(
            !json.contains(value),
            "secret value printed in a finding: {json}"
        );
    }
}

#[test]
#[ignore = "slow: walks every file of the 8 layers (5-15 s in a debug build)"]
fn app_image_secrets_match_expected_exactly() {
    let app = app_dir();
    let expected = read_json(app.join("expected.json"));
    let expected = expected["secrets"].as_array().unwrap().clone();
    let analyzer = SecretAnalyzer::new(Arc::new(Scanner::builtin()));
    let (walk, config) = walk_image(&app, &analyzer);
    assert!(
        walk.files_seen > 6000,
        "walked only {} files",
        walk.files_seen
    );
    assert!(
        walk.squashed.skipped.is_empty(),
        "skipped: {:?}",
        walk.squashed.skipped
    );
    println!(
        "{} files in the image, {} analysed",
        walk.files_seen, walk.files_analysed
    );

    // Files: (path, rule, line, layer, in final fs)
    let want: BTreeSet<(String, String, usize, usize, bool)> = expected
        .iter()
        .filter(|e| e["location"] == "file")
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                rule_for_kind(e["kind"].as_str().unwrap()).to_string(),
                e["line"].as_u64().unwrap() as usize,
                e["layer"].as_u64().unwrap() as usize,
                e["in_final_fs"].as_bool().unwrap(),
            )
        })
        .collect();
    let findings = findings_from_squashed(&walk.squashed);
    let got: BTreeSet<(String, String, usize, usize, bool)> = findings
        .iter()
        .map(|f| match &f.location {
            SecretLocation::File {
                path,
                layer,
                in_final_fs,
            } => (
                path.clone(),
                f.rule_id.clone(),
                f.start_line,
                layer.unwrap(),
                *in_final_fs,
            ),
            other => panic!("file finding with location {other:?}"),
        })
        .collect();
    assert_eq!(got, want, "file findings differ from expected.json");
    assert_eq!(
        findings.len(),
        want.len(),
        "duplicate findings: {findings:#?}"
    );
    no_value_leaks(&findings, &expected);

    // Config and history: (location, rule)
    let want: BTreeSet<(String, String)> = expected
        .iter()
        .filter(|e| e["location"] != "file")
        .map(|e| {
            let loc = e["location"].as_str().unwrap();
            let loc = match loc {
                "config.config.Env" => "config.Env".to_string(),
                other => other
                    .trim_start_matches("config.")
                    .trim_end_matches(".created_by")
                    .to_string(),
            };
            (loc, rule_for_kind(e["kind"].as_str().unwrap()).to_string())
        })
        .collect();
    let config_findings = scan_image_config(&config);
    let got: BTreeSet<(String, String)> = config_findings
        .iter()
        .map(|f| {
            let loc = match &f.location {
                SecretLocation::Config { field } => {
                    // `config.Env[2]` -> `config.Env`, as expected.json names the field.
                    field.split('[').next().unwrap().to_string()
                }
                SecretLocation::History { index } => format!("history[{index}]"),
                other => panic!("config finding with location {other:?}"),
            };
            (loc, f.rule_id.clone())
        })
        .collect();
    assert_eq!(got, want, "config findings differ from expected.json");
    assert_eq!(
        config_findings.len(),
        want.len(),
        "duplicates: {config_findings:#?}"
    );
    let env = config_findings
        .iter()
        .find(|f| matches!(&f.location, SecretLocation::Config { field } if field.starts_with("config.Env")))
        .unwrap();
    assert_eq!(
        env.location,
        SecretLocation::Config {
            field: "config.Env[2]".into()
        }
    );
    no_value_leaks(&config_findings, &expected);
}

#[test]
fn ca_bundle_is_clean() {
    let app = app_dir();
    let index = read_json(app.join("oci/index.json"));
    let manifest = read_json(blob(
        &app,
        index["manifests"][0]["digest"].as_str().unwrap(),
    ));
    let layer0 = manifest["layers"][0]["digest"].as_str().unwrap();
    let file = std::fs::File::open(blob(&app, layer0)).unwrap();
    let mut archive = tar::Archive::new(MultiGzDecoder::new(file));
    let scanner = Scanner::builtin();
    let mut checked = false;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = normalise(&entry.path().unwrap().to_string_lossy());
        if path == "etc/ssl/certs/ca-certificates.crt" {
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            assert!(content.len() > 100_000);
            // With the public-certificate allow rule off too: no rule fires on certificates.
            let strict = Scanner::new(&osprey_secrets::SecretConfig {
                disable_allow_rules: vec!["public-certificates".into()],
                ..Default::default()
            })
            .unwrap();
            assert!(scanner.scan_file(&path, &content).is_empty());
            assert!(strict.scan_file(&path, &content).is_empty());
            checked = true;
        }
    }
    assert!(checked, "CA bundle not found in layer 0");
}
