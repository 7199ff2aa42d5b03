//! Bytes every match of a rule must contain, read off the regex's syntax tree.
//!
//! Most keyword windows hold no match: the keyword turns up in prose, paths and code that
//! merely mention it (`password` in a man page, `://` in every URL). Running the regex over a
//! window costs about a nanosecond or two a byte; finding a byte with `memchr` costs a small
//! fraction of that. So a rule whose every match must contain, say, an `@` (credentials in a
//! URL) or one of `=` and `:` (an assignment) first checks its window for those bytes and
//! skips the regex when they are absent. The check can only skip windows without a match:
//! a set is kept only when the syntax tree proves every match holds one of its bytes.

use crate::keywords::commonness;
use regex_syntax::hir::{Class, Hir, HirKind};

/// At most this many byte sets are checked per window; the rarest are kept.
const MAX_SETS: usize = 2;
/// A set is searched with `memchr`, `memchr2` or `memchr3`.
const MAX_SET_LEN: usize = 3;

/// Byte sets every match draws from: a match holds at least one byte of each set.
#[derive(Debug, Default)]
pub(crate) struct RequiredBytes(Vec<Box<[u8]>>);

impl RequiredBytes {
    /// The rarest required byte sets of a regex. Sets that share a byte with one of the rule's
    /// `keywords` (ASCII case-insensitively) are left out: a keyword opens the window, so they
    /// would always be found.
    pub fn of(hir: &Hir, keywords: &[String]) -> Self {
        let in_keyword = |b: u8| {
            keywords
                .iter()
                .any(|k| k.bytes().any(|kb| kb.eq_ignore_ascii_case(&b)))
        };
        let mut sets: Vec<Vec<u8>> = required(hir)
            .into_iter()
            .filter(|set| !set.iter().any(|&b| in_keyword(b)))
            .collect();
        sets.sort();
        sets.dedup();
        sets.sort_by_key(|set| set.iter().map(|&b| commonness(b)).sum::<u32>());
        sets.truncate(MAX_SETS);
        RequiredBytes(sets.into_iter().map(Vec::into_boxed_slice).collect())
    }

    /// False when `hay` lacks every byte of some required set, so no match lies in it.
    pub fn found_in(&self, hay: &[u8]) -> bool {
        self.0.iter().all(|set| match **set {
            [a] => memchr::memchr(a, hay).is_some(),
            [a, b] => memchr::memchr2(a, b, hay).is_some(),
            [a, b, c] => memchr::memchr3(a, b, c, hay).is_some(),
            _ => true,
        })
    }
}

/// Byte sets (sorted, each at most [`MAX_SET_LEN`] bytes) such that every match of `hir`
/// contains a byte of each.
fn required(hir: &Hir) -> Vec<Vec<u8>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Vec::new(),
        HirKind::Literal(lit) => {
            let mut bytes = lit.0.to_vec();
            bytes.sort_unstable();
            bytes.dedup();
            bytes.into_iter().map(|b| vec![b]).collect()
        }
        HirKind::Class(class) => class_bytes(class).into_iter().collect(),
        HirKind::Repetition(rep) if rep.min > 0 => required(&rep.sub),
        HirKind::Repetition(_) => Vec::new(),
        HirKind::Capture(cap) => required(&cap.sub),
        HirKind::Concat(parts) => parts.iter().flat_map(required).collect(),
        HirKind::Alternation(branches) => {
            // Each branch holds a byte of its own rarest set, so every match holds a byte of
            // their union.
            let mut union = Vec::new();
            for branch in branches {
                let Some(rarest) = required(branch)
                    .into_iter()
                    .min_by_key(|set| set.iter().map(|&b| commonness(b)).sum::<u32>())
                else {
                    return Vec::new();
                };
                union.extend(rarest);
            }
            union.sort_unstable();
            union.dedup();
            if union.len() <= MAX_SET_LEN {
                vec![union]
            } else {
                Vec::new()
            }
        }
    }
}

/// The bytes of a class, when there are at most [`MAX_SET_LEN`] of them.
fn class_bytes(class: &Class) -> Option<Vec<u8>> {
    let bytes: Vec<u8> = match class {
        Class::Bytes(c) => {
            let count: usize = c.ranges().iter().map(|r| r.len()).sum();
            if count > MAX_SET_LEN {
                return None;
            }
            c.ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .collect()
        }
        Class::Unicode(c) => {
            let count: usize = c
                .ranges()
                .iter()
                .map(|r| r.end() as usize - r.start() as usize + 1)
                .sum();
            if count > MAX_SET_LEN || c.ranges().iter().any(|r| !r.end().is_ascii()) {
                return None;
            }
            c.ranges()
                .iter()
                .flat_map(|r| r.start() as u8..=r.end() as u8)
                .collect()
        }
    };
    (!bytes.is_empty()).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(pattern: &str, keywords: &[&str]) -> Vec<Vec<u8>> {
        let hir = crate::rule::parse_regex(pattern).unwrap();
        let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        RequiredBytes::of(&hir, &keywords)
            .0
            .iter()
            .map(|s| s.to_vec())
            .collect()
    }

    #[test]
    fn required_bytes_come_from_literals_small_classes_and_alternations() {
        // `://` opens the window; the `@` before the host is what most URLs lack.
        assert_eq!(
            sets(
                r"(?:https?|ftp)://[^\s:@]{1,64}:(?P<secret>[^\s:@]{6,128})@[a-z]{1,9}",
                &["://"]
            ),
            vec![b"@".to_vec(), b"p".to_vec()]
        );
        // Every operator holds `=` or `:`, and the value is quoted.
        let assignment = r#"(?i)password[a-z]{0,20}[ \t]{0,4}(?:=|:=|:|=>)[ \t]{0,4}["'](?P<secret>[^"'\s]{8,128})["']"#;
        assert_eq!(
            sets(assignment, &["password"]),
            vec![b"\"'".to_vec(), b":=>".to_vec()]
        );
    }

    #[test]
    fn optional_parts_and_big_classes_require_nothing() {
        assert!(sets(r"key[=:]?[a-z0-9]{8,40}", &["key"]).is_empty());
        assert!(sets(r"(?:token=|secret)[a-z0-9]{8,40}", &["token", "secret"]).is_empty());
        assert!(sets(r"a{0,3}b?", &[]).is_empty());
    }

    #[test]
    fn a_window_without_a_required_byte_is_skipped() {
        let hir = crate::rule::parse_regex(r"//[a-z]{1,9}:[a-z]{1,9}@host").unwrap();
        let required = RequiredBytes::of(&hir, &["//".to_string()]);
        assert!(!required.found_in(b"see https://example.com/docs"));
        assert!(required.found_in(b"https://user:pw@host"));
        assert!(RequiredBytes::default().found_in(b""));
    }
}
