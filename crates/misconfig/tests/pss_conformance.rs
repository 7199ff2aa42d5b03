//! Pod Security Standards conformance: upstream's generated fixtures and Kyverno's
//! pod-security policy tests must get the verdicts their authors recorded.

use osprey_misconfig::k8s::manifest::{self, pod_template};
use osprey_misconfig::k8s::pss::{self, CHECKS, Pod};
use osprey_misconfig::k8s::yaml::{Limits, Node, load_all};
use osprey_misconfig::{InputKind, Options, PssLevel, PssVersion, scan_bytes};
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    assert!(
        p.is_dir(),
        "shared data folder missing at {} (see HELPER-BRIEF)",
        p.display()
    );
    p.to_path_buf()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// The check ID a fixture file is named after (`capabilities_baseline1.yaml`), matched
/// case-insensitively against upstream IDs.
fn named_check(file: &Path) -> Option<&'static str> {
    let stem = file.file_stem()?.to_str()?;
    let base = stem.trim_end_matches(|c: char| c.is_ascii_digit());
    CHECKS
        .iter()
        .map(|c| c.id)
        .find(|id| id.eq_ignore_ascii_case(base))
}

#[test]
fn upstream_pss_fixtures_get_their_verdicts() {
    let root = shared().join("fixtures/policy/pss");
    let mut total = 0;
    let mut wrong = Vec::new();
    for (level_dir, level) in [
        ("baseline", PssLevel::Baseline),
        ("restricted", PssLevel::Restricted),
    ] {
        let version_dir = root.join(level_dir).join("v1.37");
        for (verdict, should_fail) in [("pass", false), ("fail", true)] {
            for file in yaml_files(&version_dir.join(verdict)) {
                total += 1;
                let bytes = std::fs::read(&file).unwrap();
                let opts = Options {
                    pss_level: level,
                    pss_version: PssVersion::Minor(37),
                    ..Options::default()
                };
                let r = scan_bytes(
                    &file.to_string_lossy(),
                    &bytes,
                    InputKind::Kubernetes,
                    &opts,
                )
                .unwrap();
                let failed: Vec<String> = r[0]
                    .misconfigurations
                    .iter()
                    .filter(|m| m.id.starts_with("pss:"))
                    .map(|m| m.id.clone())
                    .collect();
                if failed.is_empty() == should_fail {
                    wrong.push(format!(
                        "{level_dir}/{verdict}/{}: got {failed:?}",
                        file.file_name().unwrap().to_string_lossy()
                    ));
                    continue;
                }
                // A failing fixture must fail for the check it is named after (or the
                // restricted check that overrides it at this level).
                if should_fail && let Some(id) = named_check(&file) {
                    let overriders: Vec<String> = pss::applicable(level, PssVersion::Minor(37))
                        .iter()
                        .filter(|(_, i)| i.overrides.contains(&id))
                        .map(|(c, _)| format!("pss:{}", c.id))
                        .collect();
                    let expected = format!("pss:{id}");
                    if !failed.contains(&expected) && !overriders.iter().any(|o| failed.contains(o))
                    {
                        wrong.push(format!(
                            "{level_dir}/{verdict}/{}: failed {failed:?}, not {expected}",
                            file.file_name().unwrap().to_string_lossy()
                        ));
                    }
                }
            }
        }
    }
    // 15 + 34 baseline, 23 + 76 restricted (the folder's other two files are LICENSE/README).
    assert_eq!(total, 148, "fixture count changed");
    assert!(
        wrong.is_empty(),
        "{} of {total} fixtures wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("PSS fixtures: {total}/{total} verdicts match");
}

#[test]
fn fixtures_pass_at_baseline_when_they_only_break_restricted() {
    // Restricted-only failures must be allowed at baseline: the level split is real.
    let dir = shared().join("fixtures/policy/pss/restricted/v1.37/fail");
    let restricted_only = [
        "allowprivilegeescalation",
        "runasnonroot",
        "runasuser",
        "seccompprofile_restricted",
        "capabilities_restricted",
        "restrictedvolumes",
    ];
    let mut checked = 0;
    for file in yaml_files(&dir) {
        let stem = file
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_string();
        if !restricted_only.contains(&stem.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let doc = &load_all(&text, Limits::default()).unwrap()[0];
        let (meta, spec) = pod_template(doc).unwrap();
        let pod = Pod {
            metadata: meta,
            spec,
        };
        let baseline = pss::evaluate(&pod, PssLevel::Baseline, PssVersion::Latest);
        // Fixtures with hostPath or an Unconfined seccomp profile break baseline too; the rest
        // must pass it.
        let breaks_baseline = text.contains("hostPath") || text.contains("Unconfined");
        assert_eq!(
            baseline.is_empty(),
            !breaks_baseline,
            "{}: {:?}",
            file.display(),
            baseline.iter().map(|(c, _)| c.id).collect::<Vec<_>>()
        );
        checked += 1;
    }
    assert!(checked > 30, "{checked}");
}

/// Which PSS check each Kyverno pod-security policy corresponds to.
const KYVERNO_POLICIES: &[(&str, &str, &str)] = &[
    ("baseline", "disallow-privileged-containers", "privileged"),
    ("baseline", "disallow-host-namespaces", "hostNamespaces"),
    ("baseline", "disallow-capabilities", "capabilities_baseline"),
    ("restricted", "require-run-as-nonroot", "runAsNonRoot"),
    (
        "restricted",
        "restrict-seccomp-strict",
        "seccompProfile_restricted",
    ),
    (
        "restricted",
        "disallow-privilege-escalation",
        "allowPrivilegeEscalation",
    ),
];

#[test]
fn kyverno_pod_security_tests_agree() {
    let root = shared().join("fixtures/policy/kyverno-policies");
    let mut total = 0;
    let mut wrong = Vec::new();
    for (level, policy, check_id) in KYVERNO_POLICIES {
        let dir = root.join(level).join(policy).join(".kyverno-test");
        let test_text = std::fs::read_to_string(dir.join("kyverno-test.yaml")).unwrap();
        let test = &load_all(&test_text, Limits::default()).unwrap()[0];
        let resources_text = std::fs::read_to_string(dir.join("resource.yaml")).unwrap();
        let file = manifest::load("resource.yaml", &resources_text).unwrap();
        let check = CHECKS.iter().find(|c| c.id == *check_id).unwrap();
        let implementation = check.versions.last().unwrap();
        for result in test.get("results").map(Node::items).unwrap_or_default() {
            let kind = result.get("kind").and_then(Node::as_str).unwrap();
            let expect_fail = match result.get("result").and_then(Node::as_str) {
                Some("fail") => true,
                Some("pass") => false,
                other => panic!("{policy}: unexpected result {other:?}"),
            };
            for name in result.get("resources").map(Node::items).unwrap_or_default() {
                let name = name.as_str().unwrap();
                let obj = file
                    .objects
                    .iter()
                    .find(|o| manifest::kind(o) == kind && manifest::name(o) == name)
                    .unwrap_or_else(|| panic!("{policy}: {kind}/{name} not in resource.yaml"));
                let (meta, spec) = pod_template(obj)
                    .unwrap_or_else(|| panic!("{kind}/{name} has no pod template"));
                let violations = (implementation.eval)(&Pod {
                    metadata: meta,
                    spec,
                });
                total += 1;
                if violations.is_empty() == expect_fail {
                    wrong.push(format!(
                        "{policy} {kind}/{name}: Kyverno {}, we {violations:?}",
                        if expect_fail { "fail" } else { "pass" }
                    ));
                }
            }
        }
    }
    assert!(total > 100, "only {total} Kyverno cases");
    assert!(
        wrong.is_empty(),
        "{} of {total} Kyverno cases disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("Kyverno pod-security cases: {total}/{total} agree");
}

#[test]
fn namespace_enforce_labels_raise_the_level() {
    let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: locked\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: v1.30\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: locked}\nspec:\n  containers: [{name: c, image: x}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: open}\nspec:\n  containers: [{name: c, image: x}]\n";
    let pss_ids = |opts: &Options| -> Vec<(String, String)> {
        let r = scan_bytes("ns.yaml", text.as_bytes(), InputKind::Kubernetes, opts).unwrap();
        r[0].misconfigurations
            .iter()
            .filter(|m| m.id.starts_with("pss:"))
            .map(|m| (m.cause_metadata.resource.clone(), m.id.clone()))
            .collect()
    };
    let found = pss_ids(&Options::default());
    assert!(
        found.contains(&("Pod/p".into(), "pss:runAsNonRoot".into())),
        "{found:?}"
    );
    assert!(found.iter().all(|(r, _)| r == "Pod/p"), "{found:?}");
    let off = Options {
        pss_namespace_labels: false,
        ..Options::default()
    };
    assert!(pss_ids(&off).is_empty());
}

#[test]
fn kyverno_chainsaw_good_and_bad_resources_agree() {
    // Chainsaw applies `*-good.yaml` expecting admission and `*-bad.yaml` expecting denial,
    // object by object.
    let root = shared().join("fixtures/policy/kyverno-policies");
    let mut total = 0;
    let mut wrong = Vec::new();
    for (level, policy, check_id) in KYVERNO_POLICIES {
        let check = CHECKS.iter().find(|c| c.id == *check_id).unwrap();
        let implementation = check.versions.last().unwrap();
        for (file, expect_fail) in [
            ("pod-good.yaml", false),
            ("pod-bad.yaml", true),
            ("podcontroller-good.yaml", false),
            ("podcontroller-bad.yaml", true),
        ] {
            let path = root
                .join(level)
                .join(policy)
                .join(".chainsaw-test")
                .join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let loaded = manifest::load(file, &text).unwrap();
            for obj in &loaded.objects {
                let Some((meta, spec)) = pod_template(obj) else {
                    continue;
                };
                total += 1;
                let violations = (implementation.eval)(&Pod {
                    metadata: meta,
                    spec,
                });
                if violations.is_empty() == expect_fail {
                    wrong.push(format!(
                        "{policy}/{file} {}: {violations:?}",
                        manifest::resource_id(obj)
                    ));
                }
            }
        }
    }
    assert!(total > 100, "only {total} chainsaw objects");
    assert!(
        wrong.is_empty(),
        "{} of {total} chainsaw objects disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("Kyverno chainsaw objects: {total}/{total} agree");
}

#[test]
fn levels_nest_on_upstream_fixtures() {
    // Restricted includes baseline: baseline failures fail restricted, restricted passes pass
    // baseline.
    let root = shared().join("fixtures/policy/pss");
    let verdict = |file: &Path, level| {
        let text = std::fs::read_to_string(file).unwrap();
        let doc = &load_all(&text, Limits::default()).unwrap()[0];
        let (meta, spec) = pod_template(doc).unwrap();
        pss::evaluate(
            &Pod {
                metadata: meta,
                spec,
            },
            level,
            PssVersion::Minor(37),
        )
        .is_empty()
    };
    let mut n = 0;
    for file in yaml_files(&root.join("baseline/v1.37/fail")) {
        assert!(!verdict(&file, PssLevel::Restricted), "{}", file.display());
        n += 1;
    }
    for file in yaml_files(&root.join("restricted/v1.37/pass")) {
        assert!(verdict(&file, PssLevel::Baseline), "{}", file.display());
        n += 1;
    }
    assert_eq!(n, 34 + 23);
}
