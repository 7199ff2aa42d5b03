//! SemVer 2.0 and its relatives: npm and crates.io (SemVer), Go modules, Dart pub and NuGet.
//!
//! One grammar serves all of them: an optional leading `v`, dot-separated numeric components,
//! an optional `-prerelease` and an optional `+build`. It is lenient where real-world data is
//! (any number of numeric components, missing ones count as 0; a pre-release may follow the
//! numbers without a hyphen, as node-semver's loose mode allows) and strict elsewhere (empty
//! identifiers and characters outside `[0-9A-Za-z-]` are errors).
//!
//! The flavours differ only in ordering: build metadata is ignored except by pub (a version
//! with build metadata sorts after the same version without, then identifiers compare like
//! pre-release ones); NuGet compares pre-release labels case-insensitively.
//!
//! Go pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.2019…-…`) are
//! pre-releases and order correctly as such; `+incompatible` is build metadata.

use std::cmp::Ordering;

use crate::num::{Span, cmp_digits, cmp_identifiers};

/// How a flavour orders the parts SemVer leaves open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// npm, crates.io, Go: build metadata ignored, pre-release case-sensitive.
    Strict,
    /// Dart pub: build metadata ordered after the release.
    Pub,
    /// NuGet: pre-release labels case-insensitive.
    NuGet,
}

/// A parsed SemVer-like version: spans of the numeric core (`1.2.3`), the pre-release and the
/// build metadata (both without their leading `-`/`+`).
#[derive(Debug, Clone)]
pub(crate) struct SemverLike {
    core: Span,
    pre: Option<Span>,
    build: Option<Span>,
}

fn check_identifiers(text: &str, what: &str) -> Result<(), String> {
    for ident in text.split('.') {
        if ident.is_empty() {
            return Err(format!("empty {what} identifier"));
        }
        if let Some(bad) = ident
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(format!("invalid character {bad:?} in {what}"));
        }
    }
    Ok(())
}

/// Parses `text` in the shared grammar.
pub(crate) fn parse(text: &str) -> Result<SemverLike, String> {
    let bytes = text.as_bytes();
    let mut pos = usize::from(matches!(bytes.first(), Some(b'v' | b'V')));
    let core_start = pos;
    loop {
        let start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        if pos == start {
            return Err(if start == core_start {
                "does not start with a number".into()
            } else {
                "empty numeric component".into()
            });
        }
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
        } else {
            break;
        }
    }
    let core = Span::new(core_start, pos);
    let (pre_part, build_part) = match text[pos..].split_once('+') {
        Some((pre, build)) => (pre, Some(build)),
        None => (&text[pos..], None),
    };
    let pre = if pre_part.is_empty() {
        None
    } else {
        // A hyphen introduces the pre-release; loose versions (`1.2.3beta`) omit it.
        let start = pos + usize::from(pre_part.starts_with('-'));
        let pre_text = &text[start..pos + pre_part.len()];
        check_identifiers(pre_text, "pre-release")?;
        Some(Span::new(start, pos + pre_part.len()))
    };
    let build = match build_part {
        Some(build) => {
            check_identifiers(build, "build metadata")?;
            Some(Span::new(text.len() - build.len(), text.len()))
        }
        None => None,
    };
    Ok(SemverLike { core, pre, build })
}

/// Compares numeric cores component by component, padding the shorter with zeros.
fn cmp_core(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (x, y) => {
                let ord = cmp_digits(x.unwrap_or(""), y.unwrap_or(""));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// Orders two versions of the same flavour.
pub(crate) fn compare(
    flavor: Flavor,
    a_text: &str,
    a: &SemverLike,
    b_text: &str,
    b: &SemverLike,
) -> Ordering {
    let fold = flavor == Flavor::NuGet;
    cmp_core(a.core.of(a_text), b.core.of(b_text))
        .then_with(|| match (a.pre, b.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => cmp_identifiers(x.of(a_text), y.of(b_text), fold),
        })
        .then_with(|| {
            if flavor != Flavor::Pub {
                return Ordering::Equal;
            }
            match (a.build, b.build) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => cmp_identifiers(x.of(a_text), y.of(b_text), false),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(flavor: Flavor, a: &str, b: &str) -> Ordering {
        compare(flavor, a, &parse(a).unwrap(), b, &parse(b).unwrap())
    }

    #[test]
    fn go_pseudo_versions_sort_as_prereleases() {
        let f = Flavor::Strict;
        assert_eq!(
            cmp(f, "v0.0.0-20191109021931-daa7c04131f5", "v0.0.1"),
            Ordering::Less
        );
        assert_eq!(
            cmp(f, "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3"),
            Ordering::Greater
        );
        assert_eq!(
            cmp(f, "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4"),
            Ordering::Less
        );
        assert_eq!(cmp(f, "v2.0.0+incompatible", "2.0.0"), Ordering::Equal);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "v",
            "x1",
            "1..2",
            "1.",
            "1.0.0-",
            "1.0.0-a..b",
            "1.0.0+",
            "1.0.0-a_b",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
