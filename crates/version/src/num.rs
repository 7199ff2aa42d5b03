//! Helpers shared by the schemes: arbitrary-length decimal comparison, byte spans into the
//! original version string, and dot-separated identifier lists.
//!
//! Numbers are never converted to machine integers: version strings carry dates, build stamps
//! and the odd 30-digit component, and comparing the digit strings is both exact and free of
//! allocation.

use std::cmp::Ordering;

/// A byte range of the version string a parsed version keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// The span `start..end`. Versions longer than 4 GiB are rejected before spans are made.
    pub(crate) fn new(start: usize, end: usize) -> Span {
        debug_assert!(start <= end);
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The bytes this span covers in `text`.
    pub(crate) fn of<'a>(&self, text: &'a str) -> &'a str {
        // Spans are only made from char-boundary positions of this same text.
        text.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    /// The same span moved `offset` bytes to the right.
    pub(crate) fn shifted(self, offset: usize) -> Span {
        Span::new(self.start as usize + offset, self.end as usize + offset)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Compares two strings of ASCII digits by numeric value, ignoring leading zeros.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// True when `s` is non-empty and made of ASCII digits only.
pub(crate) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// True when every digit of `s` is zero (an empty string counts as zero).
pub(crate) fn is_zero(s: &str) -> bool {
    s.bytes().all(|b| b == b'0')
}

/// Byte-wise comparison that optionally folds ASCII case.
pub(crate) fn cmp_text(a: &str, b: &str, fold_case: bool) -> Ordering {
    if fold_case {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.cmp(b)
    }
}

/// Compares dot-separated identifier lists the SemVer way: numeric identifiers by value and
/// below alphanumeric ones, alphanumeric ones as text, and a list that is a prefix of the other
/// sorts first.
pub(crate) fn cmp_identifiers(a: &str, b: &str, fold_case: bool) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (is_digits(x), is_digits(y)) {
                    (true, true) => cmp_digits(x, y),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => cmp_text(x, y, fold_case),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_compare_by_value_at_any_length() {
        assert_eq!(cmp_digits("0010", "9"), Ordering::Greater);
        assert_eq!(cmp_digits("000", ""), Ordering::Equal);
        assert_eq!(
            cmp_digits(
                "999999999999999999999999999991",
                "999999999999999999999999999999"
            ),
            Ordering::Less
        );
    }

    #[test]
    fn identifiers_follow_semver_precedence() {
        assert_eq!(cmp_identifiers("alpha", "alpha.1", false), Ordering::Less);
        assert_eq!(
            cmp_identifiers("alpha.1", "alpha.beta", false),
            Ordering::Less
        );
        assert_eq!(
            cmp_identifiers("beta.11", "beta.2", false),
            Ordering::Greater
        );
        assert_eq!(cmp_identifiers("BETA", "beta", true), Ordering::Equal);
    }
}
