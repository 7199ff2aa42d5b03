//! Evaluation of OSV `SEMVER` and `ECOSYSTEM` ranges (OSV schema, "Evaluation").
//!
//! Events are sorted by version (`introduced: "0"` first) and walked in order: an
//! `introduced` at or below the version makes it affected, a `fixed` at or below it makes it
//! unaffected, a `last_affected` strictly below it makes it unaffected; the last applicable
//! event decides. `limit` events (GIT ranges, rarely others) cap the range: the version must be
//! below at least one of them; `"*"` means no limit.

use std::cmp::Ordering;

use crate::{Scheme, Version, VersionError};

/// One event of an OSV range, with the version string as the record has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsvEvent<'a> {
    /// `introduced`: affected from this version on; `"0"` means from the beginning.
    Introduced(&'a str),
    /// `fixed`: not affected from this version on.
    Fixed(&'a str),
    /// `last_affected`: affected up to and including this version.
    LastAffected(&'a str),
    /// `limit`: nothing at or above this version is affected; `"*"` means no limit.
    Limit(&'a str),
}

/// What a sorted event does to the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
}

/// An event bound: the beginning of time, or a parsed version.
#[derive(Debug, Clone)]
enum Bound {
    Zero,
    At(Version),
}

impl Bound {
    fn cmp_version(&self, v: &Version) -> Ordering {
        match self {
            Bound::Zero => Ordering::Less,
            Bound::At(b) => b.cmp(v),
        }
    }
}

/// A parsed OSV range, ready to test many versions of one scheme.
#[derive(Debug, Clone)]
pub struct OsvRange {
    scheme: Scheme,
    events: Vec<(Kind, Bound)>,
    limits: Vec<Version>,
}

impl OsvRange {
    /// Parses every event version with `scheme`; the first unparseable one is the error.
    pub fn parse(scheme: Scheme, events: &[OsvEvent<'_>]) -> Result<OsvRange, VersionError> {
        let mut parsed = Vec::with_capacity(events.len());
        let mut limits = Vec::new();
        for event in events {
            match *event {
                OsvEvent::Introduced("0") => parsed.push((Kind::Introduced, Bound::Zero)),
                OsvEvent::Introduced(v) => {
                    parsed.push((Kind::Introduced, Bound::At(scheme.parse(v)?)));
                }
                OsvEvent::Fixed(v) => parsed.push((Kind::Fixed, Bound::At(scheme.parse(v)?))),
                OsvEvent::LastAffected(v) => {
                    parsed.push((Kind::LastAffected, Bound::At(scheme.parse(v)?)));
                }
                OsvEvent::Limit("*") => {}
                OsvEvent::Limit(v) => limits.push(scheme.parse(v)?),
            }
        }
        sort_events(&mut parsed);
        Ok(OsvRange {
            scheme,
            events: parsed,
            limits,
        })
    }

    /// The scheme the range was parsed with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// True when `version` lies inside the range; an error when its scheme differs.
    pub fn contains(&self, version: &Version) -> Result<bool, VersionError> {
        if version.scheme() != self.scheme {
            return Err(VersionError::SchemeMismatch {
                left: version.scheme(),
                right: self.scheme,
            });
        }
        let mut affected = false;
        for (kind, bound) in &self.events {
            let ord = bound.cmp_version(version);
            match kind {
                Kind::Introduced if ord != Ordering::Greater => affected = true,
                Kind::Fixed if ord != Ordering::Greater => affected = false,
                Kind::LastAffected if ord == Ordering::Less => affected = false,
                _ => {}
            }
        }
        Ok(affected && (self.limits.is_empty() || self.limits.iter().any(|l| version < l)))
    }
}

fn cmp_bounds(a: &Bound, b: &Bound) -> Ordering {
    match (a, b) {
        (Bound::Zero, Bound::Zero) => Ordering::Equal,
        (Bound::Zero, _) => Ordering::Less,
        (_, Bound::Zero) => Ordering::Greater,
        (Bound::At(x), Bound::At(y)) => x.cmp(y),
    }
}

/// Stable insertion sort by bound. Ranges hold a handful of events, and unlike `sort_by` it
/// cannot panic if an ordering is not total (Maven's `ComparableVersion` has such cycles).
fn sort_events(events: &mut [(Kind, Bound)]) {
    for i in 1..events.len() {
        let mut j = i;
        while j > 0 && cmp_bounds(&events[j - 1].1, &events[j].1) == Ordering::Greater {
            events.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// True when `version` lies inside the range the `events` describe, in `scheme`'s ordering.
/// Any unparseable version (the input or an event's) is an error.
pub fn osv_affected(
    scheme: Scheme,
    events: &[OsvEvent<'_>],
    version: &str,
) -> Result<bool, VersionError> {
    OsvRange::parse(scheme, events)?.contains(&scheme.parse(version)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use OsvEvent::*;

    fn affected(scheme: Scheme, events: &[OsvEvent<'_>], v: &str) -> bool {
        osv_affected(scheme, events, v).unwrap()
    }

    #[test]
    fn introduced_fixed_pairs() {
        let ev = [
            Introduced("0"),
            Fixed("1.2.0"),
            Introduced("2.0.0"),
            Fixed("2.0.3"),
        ];
        let s = Scheme::Semver;
        assert!(affected(s, &ev, "0.0.1"));
        assert!(affected(s, &ev, "1.1.9"));
        assert!(!affected(s, &ev, "1.2.0"));
        assert!(!affected(s, &ev, "1.9.0"));
        assert!(affected(s, &ev, "2.0.0"));
        assert!(affected(s, &ev, "2.0.3-rc.1"));
        assert!(!affected(s, &ev, "2.0.3"));
        // Event order in the record does not matter.
        let shuffled = [
            Fixed("2.0.3"),
            Introduced("2.0.0"),
            Fixed("1.2.0"),
            Introduced("0"),
        ];
        assert!(affected(s, &shuffled, "2.0.1"));
        assert!(!affected(s, &shuffled, "1.5.0"));
    }

    #[test]
    fn last_affected_is_inclusive() {
        let ev = [Introduced("1.0"), LastAffected("1.4")];
        assert!(!affected(Scheme::Pep440, &ev, "0.9"));
        assert!(affected(Scheme::Pep440, &ev, "1.4"));
        assert!(!affected(Scheme::Pep440, &ev, "1.4.post1"));
    }

    #[test]
    fn limit_caps_the_range() {
        let ev = [Introduced("0"), Limit("3.0")];
        assert!(affected(Scheme::Pep440, &ev, "2.9"));
        assert!(!affected(Scheme::Pep440, &ev, "3.0"));
        assert!(affected(
            Scheme::Pep440,
            &[Introduced("0"), Limit("*")],
            "99"
        ));
    }

    #[test]
    fn distro_fix_uses_distro_order() {
        let ev = [Introduced("0"), Fixed("1.36.1-r16")];
        assert!(affected(Scheme::Apk, &ev, "1.36.1-r15"));
        assert!(!affected(Scheme::Apk, &ev, "1.36.1-r25"));
        let ev = [Introduced("0"), Fixed("1:1.2.13.dfsg-1")];
        assert!(affected(Scheme::Dpkg, &ev, "1.2.13.dfsg-9"));
    }

    #[test]
    fn bad_versions_are_errors_naming_the_input() {
        let err =
            osv_affected(Scheme::Semver, &[Introduced("0"), Fixed("1.x")], "1.0.0").unwrap_err();
        assert!(err.to_string().contains("1.x"), "{err}");
        assert!(osv_affected(Scheme::Semver, &[Introduced("0")], "").is_err());
        let range = OsvRange::parse(Scheme::Semver, &[Introduced("0")]).unwrap();
        let other = Scheme::Pep440.parse("1.0").unwrap();
        assert!(range.contains(&other).is_err());
    }
}
