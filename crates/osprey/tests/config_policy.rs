//! `osprey config --policy`: user Gatekeeper policies run over scanned manifests.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

#[test]
fn gatekeeper_policy_flags_only_the_privileged_pod() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let policy =
        shared.join("fixtures/policy/gatekeeper-library/pod-security-policy/privileged-containers");
    assert!(
        policy.is_dir(),
        "shared fixtures missing at {}",
        policy.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let pod = |name: &str, privileged: bool| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: {privileged}\n"
        )
    };
    std::fs::write(dir.path().join("bad.yaml"), pod("bad", true)).unwrap();
    std::fs::write(dir.path().join("good.yaml"), pod("good", false)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["config", "--format", "json", "--policy"])
        .arg(&policy)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rego: Vec<(String, String)> = report["Results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            let target = r["Target"].as_str().unwrap().to_string();
            r["Misconfigurations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|m| m["Type"] == "rego")
                .map(move |m| {
                    (
                        target.clone(),
                        m["Message"].as_str().unwrap_or("").to_string(),
                    )
                })
        })
        .collect();
    assert_eq!(rego.len(), 1, "{rego:?}");
    assert!(rego[0].0.ends_with("bad.yaml"), "{rego:?}");
    assert!(
        rego[0].1.contains("Privileged container is not allowed"),
        "{rego:?}"
    );
}

#[test]
fn policy_directory_without_policies_is_an_error() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["config", "--policy"])
        .arg(empty.path())
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no ConstraintTemplate"));
}
