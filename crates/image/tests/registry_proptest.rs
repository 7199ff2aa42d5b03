//! Random and mutated input through the same entry points as the fuzz targets in
//! `crates/image/fuzz`, so CI exercises them without cargo-fuzz.

use osprey_image::registry::{RegistryReference, fuzzing};
use proptest::prelude::*;

fn app_manifest() -> Vec<u8> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/images/out/app/oci"
    );
    let path = format!(
        "{dir}/blobs/sha256/a993d4b874f0bb225d20793cfbd7475bd7d38251d8a45f2fd691590aac2368f2"
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("shared fixture {path} missing: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn references_never_panic_and_round_trip(s in "\\PC{0,80}") {
        if let Ok(parsed) = RegistryReference::parse(&s) {
            let again = RegistryReference::parse(&parsed.to_string()).unwrap();
            prop_assert_eq!(parsed, again);
        }
    }

    #[test]
    fn reference_shaped_strings_round_trip(
        host in "(localhost|[a-z]{1,8}\\.[a-z]{2,3}|127\\.0\\.0\\.1)(:[0-9]{1,5})?",
        repo in "[a-z0-9]{1,6}([._-][a-z0-9]{1,4}){0,2}(/[a-z0-9]{1,6}){0,2}",
        tag in "[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}",
    ) {
        let text = format!("{host}/{repo}:{tag}");
        if let Ok(parsed) = RegistryReference::parse(&text) {
            prop_assert_eq!(parsed.tag.as_deref(), Some(tag.as_str()));
            prop_assert_eq!(&parsed.repository, &repo);
            prop_assert_eq!(RegistryReference::parse(&parsed.to_string()).unwrap(), parsed);
        } else {
            // Only a port over 65535 may be refused.
            let port: u64 = host.rsplit_once(':').map(|(_, p)| p.parse().unwrap()).unwrap_or(0);
            prop_assert!(port > 65535, "{} refused", text);
        }
    }

    #[test]
    fn challenges_never_panic(s in "\\PC{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        fuzzing::parse_challenges(&s);
        fuzzing::parse_challenges(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_manifests_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut m = app_manifest();
        for (at, byte) in flips {
            let i = at.index(m.len());
            m[i] = byte;
        }
        fuzzing::parse_manifest(&m);
        fuzzing::parse_manifest(&m[..cut.index(m.len())]);
    }
}

#[test]
fn the_real_manifest_is_accepted() {
    assert!(fuzzing::parse_manifest(&app_manifest()));
}
