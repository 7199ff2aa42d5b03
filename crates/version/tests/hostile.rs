//! Hostile and malformed input, scheme by scheme: each is an error value naming the input and
//! the reason, or (where the ecosystem's own tool accepts it) a version that still orders.

use osprey_version::{Scheme, VersionError};

fn reason(scheme: Scheme, input: &str) -> String {
    match scheme.parse(input) {
        Ok(v) => panic!("{scheme} accepted {input:?} as {v}"),
        Err(VersionError::Invalid {
            scheme: s,
            input: echoed,
            reason,
        }) => {
            assert_eq!(s, scheme);
            assert!(input.starts_with(&echoed), "error must echo the input");
            reason
        }
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[test]
fn rejected_inputs_say_why() {
    let cases: &[(Scheme, &str, &str)] = &[
        (Scheme::Dpkg, "a1.0", "does not start with a digit"),
        (Scheme::Dpkg, "1.0-", "revision"),
        (Scheme::Dpkg, "x:1.0", "epoch"),
        (Scheme::Dpkg, "99999999999:1", "too big"),
        (Scheme::Dpkg, "1.0 beta", "whitespace"),
        (Scheme::Dpkg, "1.0/2", "invalid character"),
        (Scheme::Dpkg, "1:", "empty"),
        (Scheme::Apk, "_1.0", "does not start"),
        (Scheme::Apk, "A1", "does not start"),
        (Scheme::Semver, "1.x", "empty numeric component"),
        (Scheme::Semver, "latest", "does not start with a number"),
        (Scheme::Semver, "1.0.0-", "empty pre-release"),
        (Scheme::Semver, "1.0.0+", "empty build"),
        (Scheme::Semver, "1.0.0-rc$1", "invalid character"),
        (Scheme::Go, "v1.2.3-", "empty pre-release"),
        (Scheme::NuGet, "1.0.0-beta..1", "empty pre-release"),
        (Scheme::Pub, "^1.0.0", "does not start"),
        (Scheme::RubyGems, "1.0;rm", "invalid character"),
        (Scheme::RubyGems, "...", "no version segments"),
        (Scheme::Composer, "--", "no version parts"),
        (Scheme::Cran, "1..2", "empty component"),
        (Scheme::Cran, "1.2a", "invalid character"),
        (Scheme::Hackage, "1-2", "invalid character"),
    ];
    for &(scheme, input, want) in cases {
        let got = reason(scheme, input);
        assert!(
            got.contains(want),
            "{scheme} {input:?}: reason {got:?} lacks {want:?}"
        );
    }
}

#[test]
fn empty_long_and_control_input() {
    let long = format!("1.{}", "0.".repeat(400));
    let nested = "1-".repeat(300);
    for scheme in Scheme::ALL {
        assert!(reason(scheme, "").contains("empty"));
        assert!(reason(scheme, " \t\n").contains("empty"));
        assert!(reason(scheme, &long).contains("longer than"));
        // Deeply nested Maven lists and the like stay within the length bound.
        let _ = scheme.parse(&nested);
        let _ = scheme.parse("1.0\u{0}\u{7f}\u{202e}");
        let _ = scheme.parse("１.０"); // full-width digits are not ASCII digits
    }
}

#[test]
fn tolerated_like_the_ecosystem_tools() {
    // apk orders malformed versions (`apk version -t 1.0 1.0bc` answers `<`).
    assert!(Scheme::Apk.parse("1.0bc").is_ok());
    // rpm orders any string.
    assert!(Scheme::Rpm.parse("xyz.4").is_ok());
    // pip still orders pre-PEP 440 versions (below every PEP 440 one).
    let legacy = Scheme::Pep440.parse("0.9-doduo").unwrap();
    assert!(legacy < Scheme::Pep440.parse("0.0.1").unwrap());
    // Maven and Composer order any string.
    assert!(Scheme::Maven.parse("stable").is_ok());
    assert!(Scheme::Composer.parse("dev-main").is_ok());
}
