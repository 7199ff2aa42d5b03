//! Every gator suite of the gatekeeper-library fixtures passes, including the cases plain
//! regorus gets wrong (POLICY-NOTES §11).

use osprey_policy::suite::{find_suites, run_suite};
use std::path::{Path, PathBuf};

fn library() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/policy/gatekeeper-library");
    assert!(p.is_dir(), "shared fixtures missing at {}", p.display());
    p
}

#[test]
fn every_library_suite_passes() {
    let suites = find_suites(&[library()]).unwrap();
    assert_eq!(suites.len(), 8, "{suites:?}");
    let mut cases = 0;
    let mut failures = Vec::new();
    for s in &suites {
        for r in run_suite(s).unwrap() {
            cases += 1;
            if let Some(f) = r.failure {
                failures.push(format!("{} / {} / {}: {f}", s.display(), r.test, r.case));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cases, 33);
}
