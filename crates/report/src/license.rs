//! Licence strings as packages write them (`GPL-2+`, `MIT/Apache-2.0`, `BSD-3-clause`,
//! `public-domain`) turned into what SBOMs may carry: an SPDX licence ID, a valid SPDX
//! expression, or, for anything else, the original text as a named licence. Nothing here
//! ever emits an expression that the strict SPDX grammar rejects.

use crate::catalog::short_hash;
use std::collections::HashMap;
use std::sync::LazyLock;

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

/// [`classify`] with memory: images repeat the same few licence strings thousands of times.
#[derive(Default)]
pub(crate) struct Classifier {
    seen: HashMap<String, Option<License>>,
}

impl Classifier {
    pub(crate) fn classify(&mut self, raw: &str) -> Option<License> {
        if let Some(known) = self.seen.get(raw) {
            return known.clone();
        }
        let result = classify(raw);
        self.seen.insert(raw.to_string(), result.clone());
        result
    }
}

/// Lower-cased SPDX licence and exception IDs to their proper spelling.
static IDS_BY_LOWERCASE: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    spdx::identifiers::LICENSES
        .iter()
        .map(|l| l.name)
        .chain(spdx::identifiers::EXCEPTIONS.iter().map(|e| e.name))
        .map(|name| (name.to_ascii_lowercase(), name))
        .collect()
});

/// Classifies one licence string. Spelling is repaired only where the meaning is certain:
/// operator case, `/` as `OR`, ID case (`BSD-3-clause`), Debian's versioned GNU short names
/// (`GPL-2+` is `GPL-2.0-or-later`), `Expat` (the MIT licence), and deprecated bare GNU IDs
/// (`GPL-2.0` is `GPL-2.0-only`). Guesses are not made: `BSD`, `GPL` without a version and
/// other unknown names stay [`License::Other`], as do `LicenseRef`s the package invented,
/// because a document that used them would have to define them.
pub(crate) fn classify(raw: &str) -> Option<License> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let other = || Some(License::Other(raw.to_string()));
    let normalised = normalise_spelling(raw);
    let Ok(expr) = spdx::Expression::parse_mode(&normalised, PARSE_MODE) else {
        return other();
    };
    let Some(canonical) = render_canonical(&expr) else {
        return other();
    };
    // The final word belongs to the strict grammar: nothing it rejects leaves this module.
    if spdx::Expression::parse(&canonical).is_err() {
        return other();
    }
    // `Apache-2.0+` is one term but no listed ID: it stays an expression.
    let single = spdx::license_id(&canonical).is_some_and(|id| id.name == canonical);
    Some(if single {
        License::Id(canonical)
    } else {
        License::Expression(canonical)
    })
}

const PARSE_MODE: spdx::ParseMode = spdx::ParseMode {
    allow_slash_as_or_operator: false,
    allow_imprecise_license_names: false,
    allow_postfix_plus_on_gpl: true,
    allow_deprecated: true,
    allow_unknown: false,
};

/// Rewrites each term of `raw`, keeping parentheses; `/` becomes ` OR `.
fn normalise_spelling(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    let mut term = String::new();
    let flush = |term: &mut String, out: &mut String| {
        if !term.is_empty() {
            out.push_str(&normalise_term(term));
            term.clear();
        }
    };
    for c in raw.chars() {
        match c {
            '(' | ')' => {
                flush(&mut term, &mut out);
                out.push(c);
            }
            '/' => {
                flush(&mut term, &mut out);
                out.push_str(" OR ");
            }
            c if c.is_whitespace() => {
                flush(&mut term, &mut out);
                out.push(' ');
            }
            c => term.push(c),
        }
    }
    flush(&mut term, &mut out);
    out
}

fn normalise_term(term: &str) -> String {
    for op in ["AND", "OR", "WITH"] {
        if term.eq_ignore_ascii_case(op) {
            return op.to_string();
        }
    }
    let (body, plus) = match term.strip_suffix('+') {
        Some(b) => (b, "+"),
        None => (term, ""),
    };
    if body.eq_ignore_ascii_case("Expat") {
        return format!("MIT{plus}");
    }
    // Debian (DEP-5) writes GNU licences as `GPL-2`, `LGPL-3`: SPDX's `GPL-2.0`, `LGPL-3.0`.
    if let Some((family, version)) = body.rsplit_once('-')
        && ["GPL", "LGPL", "AGPL", "GFDL"]
            .iter()
            .any(|f| f.eq_ignore_ascii_case(family))
        && !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_digit())
    {
        return format!("{}-{version}.0{plus}", family.to_ascii_uppercase());
    }
    if let Some(name) = IDS_BY_LOWERCASE.get(&body.to_ascii_lowercase()) {
        return format!("{name}{plus}");
    }
    term.to_string()
}

/// The expression in canonical SPDX form, or `None` when a term cannot be written validly
/// (deprecated non-GNU IDs, package-defined `LicenseRef`/`AdditionRef`s).
fn render_canonical(expr: &spdx::Expression) -> Option<String> {
    use spdx::expression::{ExprNode, Operator};
    // Postfix to infix; precedence: 2 a term, 1 an AND, 0 an OR.
    let mut stack: Vec<(String, u8)> = Vec::new();
    for node in expr.iter() {
        match node {
            ExprNode::Req(r) => stack.push((requirement(&r.req)?, 2)),
            ExprNode::Op(op) => {
                let (right, rp) = stack.pop()?;
                let (left, lp) = stack.pop()?;
                let (word, prec) = match op {
                    Operator::And => ("AND", 1),
                    Operator::Or => ("OR", 0),
                };
                let wrap = |s: String, p: u8| if p < prec { format!("({s})") } else { s };
                stack.push((
                    format!("{} {word} {}", wrap(left, lp), wrap(right, rp)),
                    prec,
                ));
            }
        }
    }
    match stack.as_slice() {
        [(only, _)] => Some(only.clone()),
        _ => None,
    }
}

fn requirement(req: &spdx::LicenseReq) -> Option<String> {
    let spdx::LicenseItem::Spdx { id, or_later } = &req.license else {
        return None;
    };
    let mut text = if id.is_gnu() {
        let later = *or_later || id.name.ends_with("-or-later");
        let base = id
            .name
            .trim_end_matches("-or-later")
            .trim_end_matches("-only");
        spdx::gnu_license_id(base, later)?.name.to_string()
    } else if id.is_deprecated() {
        return None;
    } else if *or_later {
        format!("{}+", id.name)
    } else {
        id.name.to_string()
    };
    match &req.addition {
        None => {}
        Some(spdx::AdditionItem::Spdx(exception)) if !exception.is_deprecated() => {
            text.push_str(" WITH ");
            text.push_str(exception.name);
        }
        Some(_) => return None,
    }
    Some(text)
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
        assert_eq!(
            classify("BSD"),
            Some(License::Other("BSD".into())),
            "no guessing"
        );
        assert_eq!(
            classify("GPL"),
            Some(License::Other("GPL".into())),
            "no guessing"
        );
        assert_eq!(classify("Expat"), Some(License::Id("MIT".into())));
        assert_eq!(classify("GPL-2"), Some(License::Id("GPL-2.0-only".into())));
        assert_eq!(
            classify("GPL-2.0"),
            Some(License::Id("GPL-2.0-only".into()))
        );
        assert_eq!(
            classify("LGPL-2.1+"),
            Some(License::Id("LGPL-2.1-or-later".into()))
        );
        assert_eq!(
            classify("mit and (apache-2.0 or gpl-2+)"),
            Some(License::Expression(
                "MIT AND (Apache-2.0 OR GPL-2.0-or-later)".into()
            ))
        );
        assert_eq!(
            classify("(MIT OR Apache-2.0) AND ISC"),
            Some(License::Expression("(MIT OR Apache-2.0) AND ISC".into()))
        );
        assert_eq!(
            classify("GPL-2.0-or-later WITH Classpath-exception-2.0"),
            Some(License::Expression(
                "GPL-2.0-or-later WITH Classpath-exception-2.0".into()
            ))
        );
        assert_eq!(
            classify("Apache-2.0+"),
            Some(License::Expression("Apache-2.0+".into()))
        );
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
