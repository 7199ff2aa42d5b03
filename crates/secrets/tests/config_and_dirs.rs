//! User configs change what is found; directory scans honour `.gitignore`, skip binaries and
//! report oversized files.

mod common;

use osprey_secrets::{DirOptions, Scanner, SecretConfig, scan_dir};
use std::fs;

fn scanner(yaml: &str) -> Scanner {
    Scanner::new(&SecretConfig::from_yaml(yaml, "secret.yaml").unwrap()).unwrap()
}

fn ids(scanner: &Scanner, path: &str, text: &str) -> Vec<String> {
    scanner
        .scan_file(path, text.as_bytes())
        .into_iter()
        .map(|f| f.rule_id)
        .collect()
}

#[test]
fn user_rules_disable_rules_and_allow_rules() {
    let (token, _) = common::expand("ghp_«GH»", "cfg");
    let (internal, _) = common::expand("itk_«l:32»", "cfg");
    let text = format!("GITHUB_TOKEN={token}\nINTERNAL={internal}\n");

    let builtin = Scanner::builtin();
    assert_eq!(ids(&builtin, "app/.env", &text), ["github-pat"]);

    let custom = scanner(
        "rules:\n  - id: internal-token\n    category: Internal\n    title: Internal token\n    severity: HIGH\n    regex: 'itk_(?P<secret>[a-z0-9]{32})'\n    keywords: [itk_]\n",
    );
    assert_eq!(
        ids(&custom, "app/.env", &text),
        ["github-pat", "internal-token"]
    );
    let f = custom.scan_file("app/.env", text.as_bytes());
    assert_eq!(f[1].start_line, 2);
    assert!(!f[1].redacted_match.contains(&internal[4..]));

    // With the specific rule off, the generic env-variable rule reports the same line.
    let disabled = scanner("disable-rules: [github-pat]\n");
    assert_eq!(ids(&disabled, "app/.env", &text), ["password-in-env"]);
    let by_category = scanner("disable-categories: [github, generic]\n");
    assert!(ids(&by_category, "app/.env", &text).is_empty());
    let only = scanner("enable-builtin-rules: [aws-access-key-id]\n");
    assert!(ids(&only, "app/.env", &text).is_empty());

    let glob = scanner("allow-rules:\n  - id: vendored\n    glob: 'third_party/**'\n");
    assert!(ids(&glob, "third_party/x/.env", &text).is_empty());
    assert_eq!(ids(&glob, "app/.env", &text), ["github-pat"]);
    let regex = scanner(&format!(
        "allow-rules:\n  - id: known\n    regex: '^{}'\n",
        &token[..12]
    ));
    assert!(ids(&regex, "app/.env", &text).is_empty());
    let path_regex = scanner("allow-rules:\n  - id: envs\n    path: '\\.env$'\n");
    assert!(ids(&path_regex, "app/.env", &text).is_empty());
}

#[test]
fn builtin_allow_rules_can_be_turned_off() {
    let (token, _) = common::expand("ghp_«GH»", "tests");
    let text = format!("token = {token}\n");
    assert!(ids(&Scanner::builtin(), "pkg/tests/fixture.py", &text).is_empty());
    let strict = scanner("disable-allow-rules: [tests]\n");
    assert_eq!(ids(&strict, "pkg/tests/fixture.py", &text), ["github-pat"]);
}

#[test]
fn directory_scan_honours_gitignore_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (token, _) = common::expand("ghp_«GH»", "dir");
    let line = format!("GITHUB_TOKEN={token}\n");
    fs::create_dir_all(root.join("src")).unwrap();
    fs::create_dir_all(root.join("build")).unwrap();
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::write(root.join(".gitignore"), "build/\n").unwrap();
    fs::write(root.join("src/.env"), &line).unwrap();
    fs::write(root.join("build/out.env"), &line).unwrap();
    fs::write(root.join(".git/config"), &line).unwrap();
    let mut binary = line.clone().into_bytes();
    binary.insert(0, 0);
    fs::write(root.join("src/blob.bin2"), &binary).unwrap();
    fs::write(root.join("src/logo.png"), &line).unwrap();
    let mut big = vec![b'a'; 2048];
    big.extend_from_slice(line.as_bytes());
    fs::write(root.join("src/big.txt"), &big).unwrap();

    let options = DirOptions {
        max_size: 1024,
        ..DirOptions::default()
    };
    let scan = scan_dir(&Scanner::builtin(), root, &options);
    let paths: Vec<String> = scan
        .findings
        .iter()
        .map(|f| match &f.location {
            osprey_model::SecretLocation::File { path, .. } => path.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(paths, ["src/.env"]);
    assert_eq!(scan.skipped.len(), 1, "{:?}", scan.skipped);
    assert_eq!(scan.skipped[0].path, "src/big.txt");
    assert!(scan.skipped[0].reason.contains("larger than 1024"));
    assert_eq!(scan.binary_files, 2);

    let all = scan_dir(
        &Scanner::builtin(),
        root,
        &DirOptions {
            respect_gitignore: false,
            max_size: 1 << 20,
        },
    );
    assert_eq!(all.findings.len(), 3, "{:?}", all.findings);
}

#[test]
fn image_config_fields_and_history() {
    let (token, _) = common::expand("ghp_«GH»", "config");
    let (pw, _) = common::expand("«n:16»", "pw");
    let config = serde_json::json!({
        "config": {
            "Env": ["PATH=/usr/bin", format!("API_TOKEN={token}")],
            "Labels": {"db.password": pw},
            "Entrypoint": ["/app", format!("--token={token}")],
            "Cmd": "serve",
        },
        "history": [
            {"created_by": format!("ARG GITHUB_TOKEN={token}")},
            {"created_by": "RUN apt-get update"},
        ],
    });
    let findings = Scanner::builtin().scan_image_config(&config);
    let got: Vec<(String, String)> = findings
        .iter()
        .map(|f| (format!("{:?}", f.location), f.rule_id.clone()))
        .collect();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.contains(&(
        r#"Config { field: "config.Env[1]" }"#.into(),
        "github-pat".into()
    )));
    assert!(got.contains(&(
        r#"Config { field: "config.Labels.db.password" }"#.into(),
        "password-assignment".into()
    )));
    assert!(got.contains(&(
        r#"Config { field: "config.Entrypoint" }"#.into(),
        "github-pat".into()
    )));
    assert!(got.contains(&("History { index: 0 }".into(), "github-pat".into())));
    let json = serde_json::to_string(&findings).unwrap();
    assert!(!json.contains(&token[4..]) && !json.contains(&pw));
}
