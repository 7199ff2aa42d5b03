//! Licence strings as packages write them (`GPL-2+`, `MIT/Apache-2.0`, `BSD-3-clause`,
//! `public-domain`) turned into what SBOMs may carry: an SPDX licence ID, a valid SPDX
//! expression, or, for anything else, the original text as a named licence. Nothing here
//! ever emits an expression that the strict SPDX grammar rejects.

use crate::catalog::short_hash;

/// One declared licence, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum License {
    /// A single SPDX licence ID on the current list (`MIT`, `GPL-2.0-or-later`).
    Id(String),
    /// A valid compound SPDX expression (`MIT OR Apache-2.0`, `Apache-2.0 WITH LLVM-exception`).
    Expression(String),
    /// Anything else, verbatim.
    Other(String),
}

impl License {
    /// The ID, expression or original text.
    pub(crate) fn text(&self) -> &str {
        match self {
            License::Id(s) | License::Expression(s) | License::Other(s) => s,
        }
    }
}

/// Classifies one licence string. Common informal spellings are canonicalised (`/` as `OR`,
/// `GPL-2+` as `GPL-2.0-or-later`, known imprecise names); deprecated IDs, unknown IDs and
/// `LicenseRef`s the package invented stay [`License::Other`], because a document that uses
/// them would have to define them.
pub(crate) fn classify(raw: &str) -> Option<License> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let canonical = match spdx::Expression::canonicalize(raw) {
        Ok(Some(c)) => c,
        Ok(None) => raw.to_string(),
        Err(_) => return Some(License::Other(raw.to_string())),
    };
    let Ok(expr) = spdx::Expression::parse(&canonical) else {
        return Some(License::Other(raw.to_string()));
    };
    let mut all_listed = true;
    let mut count = 0;
    let mut single_id = None;
    for r in expr.requirements() {
        count += 1;
        match &r.req.license {
            spdx::LicenseItem::Spdx { id, or_later } => {
                if !*or_later && r.req.addition.is_none() {
                    single_id = Some(id.name);
                }
            }
            spdx::LicenseItem::Other(_) => all_listed = false,
        }
        if r.req
            .addition
            .as_ref()
            .is_some_and(|a| matches!(a, spdx::AdditionItem::Other(_)))
        {
            all_listed = false;
        }
    }
    if !all_listed {
        return Some(License::Other(raw.to_string()));
    }
    Some(match (count, single_id) {
        (1, Some(id)) => License::Id(id.to_string()),
        _ => License::Expression(canonical),
    })
}

/// A `LicenseRef-` ID for a licence SPDX does not list: the text itself when it is already a
/// valid idstring, else a sanitised form plus a hash of the original, so two different texts
/// never share an ID and the same text always gets the same one.
pub(crate) fn license_ref(raw: &str) -> String {
    let sanitised: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let sanitised = sanitised.trim_matches('-');
    if sanitised == raw {
        format!("LicenseRef-{raw}")
    } else if sanitised.is_empty() {
        format!("LicenseRef-{}", short_hash(&[raw]))
    } else {
        format!("LicenseRef-{sanitised}-{}", short_hash(&[raw]))
    }
}

/// Joins expressions with `AND`, parenthesising compound ones; a single one stays as is.
pub(crate) fn join_and(exprs: &[String]) -> String {
    if let [only] = exprs {
        return only.clone();
    }
    exprs
        .iter()
        .map(|e| {
            if e.contains(' ') {
                format!("({e})")
            } else {
                e.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_common_spellings() {
        assert_eq!(classify("MIT"), Some(License::Id("MIT".into())));
        assert_eq!(
            classify("MIT/Apache-2.0"),
            Some(License::Expression("MIT OR Apache-2.0".into()))
        );
        assert_eq!(
            classify("BSD-3-clause"),
            Some(License::Id("BSD-3-Clause".into()))
        );
        assert_eq!(
            classify("public-domain"),
            Some(License::Other("public-domain".into()))
        );
        assert_eq!(
            classify("LicenseRef-acme"),
            Some(License::Other("LicenseRef-acme".into()))
        );
        assert_eq!(
            classify("MIT AND ("),
            Some(License::Other("MIT AND (".into()))
        );
        assert_eq!(classify("  "), None);
    }

    #[test]
    fn gnu_plus_becomes_or_later() {
        match classify("GPL-2.0+") {
            Some(License::Expression(e)) | Some(License::Id(e)) => {
                assert_eq!(e, "GPL-2.0-or-later")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn license_refs_are_valid_and_distinct() {
        assert_eq!(license_ref("Custom-1.0"), "LicenseRef-Custom-1.0");
        let a = license_ref("GPL 2");
        let b = license_ref("GPL_2");
        assert_ne!(a, b);
        for r in [a, b, license_ref("!!!"), license_ref("Ünïcode licence")] {
            let id = r.strip_prefix("LicenseRef-").unwrap();
            assert!(
                !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
                "{r}"
            );
        }
    }
}
