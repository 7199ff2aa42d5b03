//! Every Kubernetes check has a failing and a passing manifest; this test walks the registry
//! so a new check without cases fails the build.

use osprey_misconfig::k8s::checks::all_checks;
use osprey_misconfig::{InputKind, Options, PssLevel, scan_bytes, scan_path};
use std::collections::BTreeSet;

mod common_k8s;
use common_k8s::{GOOD, cases, with};

fn failed_ids(yaml: &str, opts: &Options) -> BTreeSet<String> {
    let r = scan_bytes("m.yaml", yaml.as_bytes(), InputKind::Kubernetes, opts)
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    r[0].misconfigurations
        .iter()
        .filter(|m| m.status == "FAIL")
        .map(|m| m.id.clone())
        .collect()
}

#[test]
fn good_deployment_passes_everything() {
    let opts = Options {
        pss_level: PssLevel::Restricted,
        ..Options::default()
    };
    assert_eq!(failed_ids(GOOD, &opts), BTreeSet::new());
}

#[test]
fn every_check_fails_and_passes_its_manifests() {
    let opts = Options::default();
    let mut problems = Vec::new();
    for (id, fail, pass) in cases() {
        if !failed_ids(&fail, &opts).contains(id) {
            problems.push(format!("{id}: failing manifest not flagged:\n{fail}"));
        }
        if failed_ids(&pass, &opts).contains(id) {
            problems.push(format!("{id}: passing manifest flagged:\n{pass}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn every_registered_check_has_cases() {
    let registered: BTreeSet<&str> = all_checks().map(|c| c.id).collect();
    let covered: BTreeSet<&str> = cases().iter().map(|c| c.0).collect();
    assert_eq!(registered, covered);
    assert!(
        registered.len() >= 40,
        "only {} Kubernetes checks",
        registered.len()
    );
}

#[test]
fn findings_point_at_the_offending_line() {
    let yaml = with(&[(
        "capabilities: {drop: [ALL]}",
        "capabilities:\n            drop: [ALL]\n            add:\n            - SYS_ADMIN",
    )]);
    let r = &scan_bytes(
        "d.yaml",
        yaml.as_bytes(),
        InputKind::Kubernetes,
        &Options::default(),
    )
    .unwrap()[0];
    let m = r
        .misconfigurations
        .iter()
        .find(|m| m.id == "OSP-K8S-015")
        .unwrap();
    let line = yaml
        .lines()
        .position(|l| l.contains("- SYS_ADMIN"))
        .unwrap()
        + 1;
    assert_eq!(m.cause_metadata.start_line, line);
    assert_eq!(m.cause_metadata.resource, "Deployment/web");
    assert!(
        m.cause_metadata.code.as_ref().unwrap().lines[0]
            .content
            .contains("SYS_ADMIN")
    );
    // PSS findings carry their line too.
    let pss = r
        .misconfigurations
        .iter()
        .find(|m| m.id == "pss:capabilities_baseline")
        .unwrap();
    assert_eq!(pss.cause_metadata.start_line, line);
}

#[test]
fn namespaces_and_policies_are_related_across_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("other.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/deny.json"), "{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\", \"metadata\": {\"name\": \"deny\", \"namespace\": \"app\"}, \"spec\": {\"podSelector\": {}, \"policyTypes\": [\"Ingress\"]}}").unwrap();
    let results = scan_path(dir.path(), &Options::default()).unwrap();
    let fails = |suffix: &str| -> Vec<String> {
        results
            .iter()
            .find(|r| r.target.ends_with(suffix))
            .unwrap()
            .misconfigurations
            .iter()
            .map(|m| m.id.clone())
            .collect()
    };
    assert!(!fails("ns.yaml").contains(&"OSP-K8S-060".to_string()));
    assert!(fails("other.yaml").contains(&"OSP-K8S-060".to_string()));
}

#[test]
fn beyond_peers() {
    // GET on nodes/proxy already reaches the kubelet API (checkov's CKV2_K8S_2 wants create).
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: app}\nrules:\n- {apiGroups: [''], resources: [nodes/proxy], verbs: [get]}\n";
    assert!(failed_ids(role, &Options::default()).contains("OSP-K8S-044"));
}
