//! Inline suppressions in Dockerfile comments, compatible with hadolint's:
//!
//! - `# hadolint ignore=DL3008,DL3015` or `# osprey ignore=OSP-DF-060` on the line right above
//!   an instruction silences those checks for that instruction;
//! - `# hadolint global ignore=DL3003` or `# osprey global ignore=OSP-DF-121` anywhere silences
//!   them for the whole file.
//!
//! A hadolint rule ID silences every check that lists it as a cross-reference.

use super::parser::Dockerfile;
use crate::catalog::Failure;

/// The IDs named by an ignore comment, with whether it is global.
fn parse_pragma(line: &str) -> Option<(bool, Vec<String>)> {
    let body = line.trim_start().strip_prefix('#')?.trim_start();
    let rest = body
        .strip_prefix("hadolint")
        .or_else(|| body.strip_prefix("osprey"))?
        .trim_start();
    let (global, rest) = match rest.strip_prefix("global") {
        Some(r) => (true, r.trim_start()),
        None => (false, rest),
    };
    let ids = rest
        .strip_prefix("ignore")?
        .trim_start()
        .strip_prefix('=')?;
    let ids = ids.split_whitespace().next().unwrap_or("");
    Some((
        global,
        ids.split(',')
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .collect(),
    ))
}

fn silences(ids: &[String], failure: &Failure) -> bool {
    ids.iter().any(|id| {
        id.eq_ignore_ascii_case(failure.meta.id)
            || failure.meta.refs.iter().any(|r| {
                r.strip_prefix("hadolint:")
                    .is_some_and(|h| h.eq_ignore_ascii_case(id))
            })
    })
}

/// Drops failures silenced by pragmas.
pub fn apply(df: &Dockerfile, failures: Vec<Failure>) -> Vec<Failure> {
    let mut global: Vec<String> = Vec::new();
    for n in 1..=df.line_count() {
        if let Some((true, ids)) = df.line(n).and_then(parse_pragma) {
            global.extend(ids);
        }
    }
    failures
        .into_iter()
        .filter(|f| {
            if silences(&global, f) {
                return false;
            }
            let above = f
                .start_line
                .checked_sub(1)
                .and_then(|n| df.line(n))
                .and_then(parse_pragma);
            !matches!(above, Some((false, ids)) if silences(&ids, f))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_pragma;

    #[test]
    fn pragma_forms() {
        assert_eq!(
            parse_pragma("# hadolint ignore=DL3008,dl3015"),
            Some((false, vec!["DL3008".into(), "DL3015".into()]))
        );
        assert_eq!(
            parse_pragma("#osprey global ignore=OSP-DF-121"),
            Some((true, vec!["OSP-DF-121".into()]))
        );
        assert_eq!(parse_pragma("# just a comment"), None);
        assert_eq!(parse_pragma("RUN x"), None);
    }
}
