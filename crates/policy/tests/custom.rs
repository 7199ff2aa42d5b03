//! `custom::load_policies` + `evaluate`: the gatekeeper-library privileged-containers policy
//! and a plain Rego deny rule over scanned objects.

use osprey_policy::custom::{ScannedObject, load_policies};
use serde_json::json;
use std::path::PathBuf;

fn shared() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    assert!(p.is_dir(), "shared data folder missing at {}", p.display());
    p
}

fn pod(name: &str, privileged: bool) -> ScannedObject {
    ScannedObject {
        object: json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx",
                "securityContext": {"privileged": privileged}}]}}),
        lines: (1, 10),
    }
}

#[test]
fn gatekeeper_constraint_flags_only_the_privileged_pod() {
    let dir = shared()
        .join("fixtures/policy/gatekeeper-library/pod-security-policy/privileged-containers");
    let set = load_policies(&[dir]).unwrap();
    let found = set
        .evaluate(&[pod("bad", true), pod("good", false)])
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let (index, m) = &found[0];
    assert_eq!(*index, 0);
    assert_eq!(m.r#type, "rego");
    assert_eq!(m.id, "K8sPSPPrivilegedContainer/psp-privileged-container");
    assert_eq!(m.cause_metadata.resource, "Pod/bad");
    assert!(m.message.contains("Privileged container"), "{}", m.message);
}

#[test]
fn plain_rego_deny_rule_with_input_as_the_object() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("names.rego"),
        "package osprey.names\n\ndeny[msg] {\n  input.metadata.name == \"bad\"\n  msg := sprintf(\"%s is a bad name\", [input.metadata.name])\n}\n",
    )
    .unwrap();
    let set = load_policies(&[dir.path().to_path_buf()]).unwrap();
    let found = set
        .evaluate(&[pod("bad", false), pod("good", false)])
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1.id, "osprey.names");
    assert_eq!(found[0].1.message, "bad is a bad name");
    assert_eq!(found[0].1.severity, osprey_model::Severity::Medium);
    assert_eq!(found[0].1.cause_metadata.start_line, 1);
}

#[test]
fn bad_policy_files_are_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.rego"), "package x\ndeny[msg] {\n").unwrap();
    let err = load_policies(&[dir.path().to_path_buf()]).err().unwrap();
    assert!(err.to_string().contains("broken.rego"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "a: [unclosed\n").unwrap();
    let err = load_policies(&[dir.path().to_path_buf()]).err().unwrap();
    assert!(err.to_string().contains("bad.yaml"), "{err}");
}
