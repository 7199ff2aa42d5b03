//! Parity with checkov: every Dockerfile and Kubernetes check that names a checkov ID as its
//! cross-reference must agree with checkov on the check's failing and passing snippets.
//! Needs `checkov` in `.cache/peers` (scripts/install-test-deps.sh installs it). checkov runs
//! once over a directory holding every snippet.

mod common;
mod common_k8s;

use osprey_misconfig::catalog::CheckMeta;
use osprey_misconfig::{dockerfile, k8s};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Comparisons where we differ from checkov by design, in the passing direction only:
/// (check, checkov ID, why). Where we flag more than checkov, `dockerfile_checks.rs`
/// (`beyond_peers`) tests it.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "OSP-DF-020",
        "CKV_DOCKER_4",
        "checkov flags every ADD; ADD of a local archive (auto-extraction) is the one use hadolint and we accept",
    ),
    (
        "OSP-DF-021",
        "CKV_DOCKER_4",
        "checkov flags every ADD; ADD --checksum verifies the download",
    ),
];

fn meta(id: &str) -> &'static CheckMeta {
    dockerfile::checks::all_checks()
        .chain(k8s::checks::all_checks())
        .find(|c| c.id == id)
        .unwrap()
}

/// checkov's failed check IDs per file (path relative to `root`).
fn run_checkov(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let root = root.canonicalize().unwrap();
    let root_name = root.file_name().unwrap().to_string_lossy().to_string();
    let checkov = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.cache/peers/bin/checkov"
    ));
    assert!(
        checkov.exists(),
        "checkov missing at {}: run scripts/install-test-deps.sh",
        checkov.display()
    );
    let out = Command::new(checkov)
        // Offline: do not fetch guideline mappings from the vendor's API.
        .env("BC_SKIP_MAPPING", "TRUE")
        .args([
            "--framework",
            "kubernetes",
            "dockerfile",
            "-o",
            "json",
            "--quiet",
            "--compact",
            "-d",
        ])
        .arg(&root)
        .output()
        .expect("run checkov");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov output: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let reports = match v {
        serde_json::Value::Array(a) => a,
        other => vec![other],
    };
    let mut failed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for report in reports {
        for f in report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            // `file_path` is relative to the root for Dockerfiles but starts with the root's own
            // name for Kubernetes files.
            let path = f["file_path"]
                .as_str()
                .unwrap_or("")
                .trim_start_matches('/');
            let file = path
                .strip_prefix(&format!("{root_name}/"))
                .unwrap_or(path)
                .to_string();
            failed
                .entry(file)
                .or_default()
                .insert(f["check_id"].as_str().unwrap_or("").to_string());
        }
    }
    failed
}

#[test]
#[ignore = "slow: runs checkov (Python) over every snippet"]
fn agrees_with_checkov_on_every_cross_referenced_check() {
    // Not a hidden directory: checkov skips those.
    let dir = tempfile::Builder::new()
        .prefix("osprey-checkov-")
        .tempdir()
        .unwrap();
    let root = dir.path();
    // (check, checkov ID, file, should fail)
    let mut expectations: Vec<(String, String, String, bool)> = Vec::new();
    let mut add = |id: &str, file: String, body: &str, fail: bool| {
        let path = root.join(&file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, body).unwrap();
        for r in meta(id)
            .refs
            .iter()
            .filter_map(|r| r.strip_prefix("checkov:"))
        {
            let known = KNOWN_DIFFERENCES
                .iter()
                .any(|(i, c, _)| *i == id && *c == r);
            if fail || !known {
                expectations.push((id.to_string(), r.to_string(), file.clone(), fail));
            }
        }
    };
    for (id, fail, pass) in common::CASES {
        add(id, format!("df/{id}-fail/Dockerfile"), fail, true);
        add(id, format!("df/{id}-pass/Dockerfile"), pass, false);
    }
    for (id, fail, pass) in common_k8s::cases() {
        add(id, format!("k8s/{id}-fail.yaml"), &fail, true);
        add(id, format!("k8s/{id}-pass.yaml"), &pass, false);
    }
    let failed = run_checkov(root);
    let mut wrong = Vec::new();
    for (id, ckv, file, should_fail) in &expectations {
        let flagged = failed.get(file).is_some_and(|s| s.contains(ckv));
        if flagged != *should_fail {
            wrong.push(format!(
                "{id}/{ckv}: checkov {} {file}",
                if flagged { "flags" } else { "does not flag" }
            ));
        }
    }
    eprintln!(
        "checkov parity: {}/{} comparisons agree",
        expectations.len() - wrong.len(),
        expectations.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
