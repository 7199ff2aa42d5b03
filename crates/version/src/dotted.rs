//! Plain numeric versions compared as lists, without zero padding: CRAN (`1.2-3`, where `.`
//! and `-` both separate) and Hackage (`1.2.3.4`). A list that is a prefix of another sorts
//! first, so `1.0 < 1.0.0`, as R's `package_version` and Haskell's `Data.Version` do.

use std::cmp::Ordering;

use crate::num::{Span, cmp_digits};

/// A parsed numeric list.
#[derive(Debug, Clone)]
pub(crate) struct Dotted(Vec<Span>);

/// Parses `text` as numbers separated by any of `separators`.
pub(crate) fn parse(text: &str, separators: &[char]) -> Result<Dotted, String> {
    let mut parts = Vec::new();
    let mut start = 0;
    for piece in text.split(separators) {
        if piece.is_empty() {
            return Err("empty component".into());
        }
        if let Some(bad) = piece.chars().find(|c| !c.is_ascii_digit()) {
            return Err(format!("invalid character {bad:?}"));
        }
        parts.push(Span::new(start, start + piece.len()));
        // Separators are single ASCII characters.
        start += piece.len() + 1;
    }
    Ok(Dotted(parts))
}

/// Orders two lists element by element; the shorter list wins ties.
pub(crate) fn compare(a_text: &str, a: &Dotted, b_text: &str, b: &Dotted) -> Ordering {
    for (x, y) in a.0.iter().zip(&b.0) {
        let ord = cmp_digits(x.of(a_text), y.of(b_text));
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.0.len().cmp(&b.0.len())
}
