//! What a rule regex's syntax tree says about every match: the bytes it must contain, and
//! how far it can reach around a keyword occurrence. Both make the search of a built-in
//! rule cheaper without changing what it finds.
//!
//! **Required bytes.** Most keyword windows hold no match: the keyword turns up in prose,
//! paths and code that merely mention it (`password` in a man page, `://` in every URL).
//! Running the regex over a window costs about a nanosecond or two a byte; finding a byte
//! with `memchr` costs a small fraction of that. So a rule whose every match must contain,
//! say, an `@` (credentials in a URL) or one of `=` and `:` (an assignment) first checks its
//! window for those bytes and skips the regex when they are absent. A set is kept only when
//! the syntax tree proves every match holds one of its bytes.
//!
//! **Reach around a keyword.** A match that contains a keyword occurrence starts at most as
//! far before it as the regex allows bytes before any place the keyword's first byte can
//! stand, and ends at most as far after it as the regex allows bytes after any place its
//! last byte can stand. For `(?:https?|ftp)://user:pass@host`, `://` stands within a few
//! bytes of the start, so the window reaches 18 bytes back instead of the regex's full
//! length of 470.

use crate::keywords::commonness;
use regex_syntax::hir::{Class, Hir, HirKind};

/// How many bytes before a keyword occurrence's start and after its end a match containing
/// it can reach (at most the regex's longest match, `max_len`, either way).
pub(crate) fn reach_around(hir: &Hir, keyword: &[u8], max_len: usize) -> (usize, usize) {
    let (Some(&first), Some(&last)) = (keyword.first(), keyword.last()) else {
        return (max_len, max_len);
    };
    // No place for the keyword's first (or last) byte: no match contains the keyword, and
    // any window finds nothing; an empty reach says so.
    let before = beside_byte(hir, first, Side::Before).unwrap_or(0);
    let after = beside_byte(hir, last, Side::After).unwrap_or(0);
    (before.min(max_len), after.min(max_len))
}

/// Which side of a byte [`beside_byte`] counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Before,
    After,
}

/// The most bytes a match of `hir` can hold on `side` of a byte equal (ASCII
/// case-insensitively) to `b`; `None` when no match holds such a byte.
fn beside_byte(hir: &Hir, b: u8, side: Side) -> Option<usize> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(lit) => {
            let len = lit.0.len();
            (lit.0.iter().enumerate())
                .filter(|(_, c)| c.eq_ignore_ascii_case(&b))
                .map(|(i, _)| if side == Side::Before { i } else { len - 1 - i })
                .max()
        }
        HirKind::Class(class) => class_holds(class, b).then_some(0),
        HirKind::Repetition(rep) => {
            let inner = beside_byte(&rep.sub, b, side)?;
            let copies = rep.max.map_or(usize::MAX, |m| m as usize);
            Some(
                copies
                    .saturating_sub(1)
                    .saturating_mul(longest(&rep.sub))
                    .saturating_add(inner),
            )
        }
        HirKind::Capture(cap) => beside_byte(&cap.sub, b, side),
        HirKind::Concat(parts) => {
            // Walk away from the counted side: the parts passed are all on that side.
            let mut ordered: Vec<&Hir> = parts.iter().collect();
            if side == Side::After {
                ordered.reverse();
            }
            let mut passed = 0usize;
            let mut most = None;
            for part in ordered {
                if let Some(inner) = beside_byte(part, b, side) {
                    most = most.max(Some(passed.saturating_add(inner)));
                }
                passed = passed.saturating_add(longest(part));
            }
            most
        }
        HirKind::Alternation(branches) => (branches.iter())
            .filter_map(|x| beside_byte(x, b, side))
            .max(),
    }
}

/// The longest match of `hir` (rule regexes are bounded; see `rule::check_regex`).
fn longest(hir: &Hir) -> usize {
    hir.properties().maximum_len().unwrap_or(usize::MAX)
}

/// True when `class` holds `b` in either ASCII case.
fn class_holds(class: &Class, b: u8) -> bool {
    let cases = [b.to_ascii_lowercase(), b.to_ascii_uppercase()];
    match class {
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .any(|r| cases.iter().any(|&x| (r.start()..=r.end()).contains(&x))),
        Class::Unicode(c) => c.ranges().iter().any(|r| {
            cases
                .iter()
                .any(|&x| (r.start()..=r.end()).contains(&char::from(x)))
        }),
    }
}

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

    fn around(pattern: &str, keyword: &str) -> (usize, usize) {
        let hir = crate::rule::parse_regex(pattern).unwrap();
        let max_len = hir.properties().maximum_len().unwrap();
        reach_around(&hir, keyword.as_bytes(), max_len)
    }

    #[test]
    fn reach_around_a_keyword_counts_the_bytes_the_regex_allows_beside_it() {
        // `p` can stand in the literal or in the 14-byte run, `t` likewise.
        let token = r"(?:^|[^0-9A-Za-z_\-])pat[A-Za-z0-9]{14}\.[a-f0-9]{64}";
        assert_eq!(around(token, "pat"), (1 + 3 + 13, 14 + 1 + 64));
        // `:` also stands between user and password: the reach back counts up to there.
        let url = r"(?i)(?:https?|ftp)://[^\s:/@]{1,64}:[^\s:/@]{6,128}@[a-z]{1,9}";
        assert_eq!(around(url, "://"), (5 + 3 + 64, 1 + 64 + 1 + 128 + 1 + 9));
        // Case-insensitive keywords: either case counts.
        assert_eq!(around("(?i)[0-9]{0,8}token", "TOKEN"), (8, 0));
        // The keyword's bytes cannot occur: nothing to reach.
        assert_eq!(around("[0-9]{4}", "ab"), (0, 0));
    }

    #[test]
    fn reach_around_agrees_with_every_match_of_random_inputs() {
        // Brute force: every match of the regex in short strings over a small alphabet,
        // and every keyword occurrence inside it, stays within the computed reach.
        let cases = [
            (r"a{0,3}(?:b|ca)x{1,2}a?", "a"),
            (r"(?:ab|b){1,3}c{0,2}", "bc"),
            (r"[ab]{2,4}:[a-c]{1,3}", "a:"),
        ];
        for (pattern, keyword) in cases {
            let (before, after) = around(pattern, keyword);
            let re = regex::bytes::Regex::new(pattern).unwrap();
            let alphabet = b"abcx:";
            for n in 0..6u32 {
                for code in 0..5usize.pow(n) {
                    let hay: Vec<u8> = (0..n as usize)
                        .map(|i| alphabet[code / 5usize.pow(i as u32) % 5])
                        .collect();
                    for start in 0..hay.len() {
                        for m in re.find_iter(&hay[start..]) {
                            let (ms, me) = (start + m.start(), start + m.end());
                            for ks in ms..me {
                                let ke = ks + keyword.len();
                                if ke <= me && hay[ks..ke] == *keyword.as_bytes() {
                                    assert!(ks - ms <= before, "{pattern} in {hay:?}");
                                    assert!(me - ke <= after, "{pattern} in {hay:?}");
                                }
                            }
                        }
                    }
                }
            }
        }
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
