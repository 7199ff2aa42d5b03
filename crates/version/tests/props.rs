//! Property tests: every scheme's order is reflexive, antisymmetric and transitive on
//! version-like strings; no input (arbitrary text or bytes) makes parsing or comparing panic;
//! OSV range evaluation agrees with the order it is built on.

use std::cmp::Ordering;

use osprey_version::{OsvEvent, Scheme, Version, osv_affected};
use proptest::prelude::*;
use proptest::sample::select;

/// Pieces that real versions of all schemes are made of, so random joins collide often
/// enough to exercise equal prefixes, qualifiers and separators.
const TOKENS: [&str; 32] = [
    "0", "1", "2", "9", "10", "01", "00", ".", ".", "-", "_", "~", "^", "+", ":", "a", "b", "c",
    "rc", "alpha", "beta", "dev", "post", "pre", "p", "r", "sp", "ga", "final", "snapshot", "x",
    "v",
];

fn version_like() -> impl Strategy<Value = String> {
    prop::collection::vec(select(&TOKENS[..]), 1..8).prop_map(|parts| parts.concat())
}

fn parse_all(scheme: Scheme, texts: &[String]) -> Vec<Version> {
    texts.iter().filter_map(|t| scheme.parse(t).ok()).collect()
}

/// Schemes whose order is total on any input they accept. Maven's `ComparableVersion` is
/// not: Maven itself orders `2.9.0.RC1` > `2.9.0-1` > `2.9.0` > `2.9.0.RC1` (MNG-7644), and
/// the vectors pin that behaviour, so Maven is checked on conventional versions only.
const TOTAL_ON_ANY_INPUT: [Scheme; 12] = [
    Scheme::Dpkg,
    Scheme::Apk,
    Scheme::Rpm,
    Scheme::Pep440,
    Scheme::Semver,
    Scheme::Go,
    Scheme::RubyGems,
    Scheme::NuGet,
    Scheme::Composer,
    Scheme::Pub,
    Scheme::Cran,
    Scheme::Hackage,
];

/// Maven versions as projects write them: numbers, then `-qualifier[N]` or `-N` parts.
const MAVEN_CONVENTIONAL: &str = "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(-(alpha|beta|milestone|rc|cr|snapshot|ga|final|sp|foo|[0-9]{1,2})[0-9]{0,2}){0,2}";

fn assert_total(versions: &[Version]) -> Result<(), TestCaseError> {
    for a in versions {
        prop_assert_eq!(a.cmp(a), Ordering::Equal, "reflexivity: {}", a);
        for b in versions {
            let ab = a.cmp(b);
            prop_assert_eq!(ab, b.cmp(a).reverse(), "antisymmetry: {} vs {}", a, b);
            prop_assert_eq!(a.try_cmp(b), Ok(ab));
            for c in versions {
                let bc = b.cmp(c);
                if ab != Ordering::Greater && bc != Ordering::Greater {
                    let ac = a.cmp(c);
                    prop_assert!(
                        ac != Ordering::Greater,
                        "transitivity: {} <= {} <= {} but {:?}",
                        a,
                        b,
                        c,
                        ac
                    );
                    if ab == Ordering::Equal && bc == Ordering::Equal {
                        prop_assert_eq!(
                            ac,
                            Ordering::Equal,
                            "equality is transitive: {} {} {}",
                            a,
                            b,
                            c
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn orders_are_total(scheme in select(&TOTAL_ON_ANY_INPUT[..]), texts in prop::collection::vec(version_like(), 1..9)) {
        assert_total(&parse_all(scheme, &texts))?;
    }

    #[test]
    fn maven_order_is_total_on_conventional_versions(texts in prop::collection::vec(MAVEN_CONVENTIONAL, 1..9)) {
        assert_total(&parse_all(Scheme::Maven, &texts))?;
    }

    #[test]
    fn arbitrary_text_never_panics(scheme in select(&Scheme::ALL[..]), a in any::<String>(), b in ".{0,40}") {
        let (x, y) = (scheme.parse(&a), scheme.parse(&b));
        if let (Ok(x), Ok(y)) = (&x, &y) {
            prop_assert_eq!(x.cmp(y), y.cmp(x).reverse());
        }
        if let Err(e) = x {
            // Errors carry the input (cut to the length limit) and a reason.
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// The same entry points as the fuzz target (`fuzz/fuzz_targets/parse_compare.rs`).
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let mid = (0..=text.len() / 2).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let (left, right) = text.split_at(mid);
        let left = left.to_owned();
        for scheme in Scheme::ALL {
            if let Ok(v) = scheme.parse(&text) {
                prop_assert_eq!(v.cmp(&v), Ordering::Equal);
                prop_assert_eq!(v.as_str(), &*text);
            }
            let events = [OsvEvent::Introduced(&left), OsvEvent::Fixed(right)];
            let _ = osv_affected(scheme, &events, &text);
        }
    }

    #[test]
    fn osv_range_matches_the_order(
        scheme in select(&TOTAL_ON_ANY_INPUT[..]),
        texts in prop::collection::vec(version_like(), 3),
    ) {
        let versions = parse_all(scheme, &texts);
        // Inputs a scheme rejects or equal bounds say nothing here; skip them quietly.
        let [a, b, v] = &versions[..] else { return Ok(()) };
        let (lo, hi) = match a.cmp(b) {
            Ordering::Less => (a, b),
            Ordering::Greater => (b, a),
            Ordering::Equal => return Ok(()),
        };
        // `introduced: "0"` means "from the beginning", below every version.
        let above_lo = lo.as_str() == "0" || lo <= v;
        let events = [OsvEvent::Introduced(lo.as_str()), OsvEvent::Fixed(hi.as_str())];
        prop_assert_eq!(osv_affected(scheme, &events, v.as_str()), Ok(above_lo && v < hi));
        let events = [OsvEvent::Introduced(lo.as_str()), OsvEvent::LastAffected(hi.as_str())];
        prop_assert_eq!(osv_affected(scheme, &events, v.as_str()), Ok(above_lo && v <= hi));
    }
}

#[test]
fn mixing_schemes_is_an_error_not_a_panic() {
    let a = Scheme::Dpkg.parse("1.0-1").unwrap();
    let b = Scheme::Rpm.parse("1.0-1").unwrap();
    assert!(a.try_cmp(&b).is_err());
    // `Ord` stays total across schemes: by scheme, never equal.
    assert_ne!(a.cmp(&b), Ordering::Equal);
    assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
}

#[test]
fn errors_name_input_and_reason() {
    let err = Scheme::Dpkg.parse("1.0-").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("dpkg") && msg.contains("\"1.0-\"") && msg.contains("revision"),
        "{msg}"
    );
    let long = "1".repeat(10_000);
    let err = Scheme::Semver.parse(&long).unwrap_err();
    assert!(err.to_string().contains("longer than"), "{err}");
    for scheme in Scheme::ALL {
        assert!(
            scheme.parse("").is_err(),
            "{scheme} accepted an empty version"
        );
        assert!(
            scheme.parse("   ").is_err(),
            "{scheme} accepted a blank version"
        );
    }
}

#[test]
fn ecosystem_mapping() {
    use osprey_model::Ecosystem;
    assert_eq!(Scheme::for_ecosystem(Ecosystem::Deb), Scheme::Dpkg);
    assert_eq!(Scheme::for_ecosystem(Ecosystem::Cargo), Scheme::Semver);
    assert_eq!(Scheme::for_ecosystem(Ecosystem::Golang), Scheme::Go);
    assert_eq!(Scheme::for_osv_ecosystem("Debian:12"), Some(Scheme::Dpkg));
    assert_eq!(Scheme::for_osv_ecosystem("Alpine:v3.20"), Some(Scheme::Apk));
    assert_eq!(Scheme::for_osv_ecosystem("crates.io"), Some(Scheme::Semver));
    assert_eq!(Scheme::for_osv_ecosystem("PyPI"), Some(Scheme::Pep440));
    assert_eq!(
        Scheme::for_osv_ecosystem("pypi"),
        None,
        "OSV names are case-sensitive"
    );

    // Every ecosystem of the OSV schema either has an ordering here or is deliberately left
    // out (no version ordering of its own, or one this crate does not implement yet).
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vulndata/schema/ecosystems.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("shared data folder missing: {path}: {e}"));
    let without = [
        "Android",
        "BellSoft Hardened Containers",
        "Bitnami",
        "CleanStart",
        "ConanCenter",
        "Docker Hardened Images",
        "Echo",
        "FreeBSD",
        "GitHub Actions",
        "Kubernetes",
        "Linux",
        "opam",
        "OSS-Fuzz",
        "Root",
        "TuxCare",
        "VSCode",
    ];
    // Top-level keys are the lines `  "Name": "description…"`.
    let names: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("  \""))
        .filter_map(|rest| rest.split_once("\": ").map(|(name, _)| name))
        .collect();
    assert_eq!(names.len(), 48);
    for name in names {
        let mapped = Scheme::for_osv_ecosystem(name);
        assert_eq!(
            mapped.is_none(),
            without.contains(&name),
            "{name}: {mapped:?}"
        );
    }
}
