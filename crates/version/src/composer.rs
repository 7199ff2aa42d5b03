//! Packagist (Composer) versions, ordered like PHP's `version_compare`, which Composer's
//! comparator uses on normalised versions.
//!
//! A leading `v`/`V` is dropped; `-`, `_`, `+` and `.` separate parts, and so does every
//! change between digits and non-digits (`1.0rc1` = `1.0.rc.1`). Numbers compare by value.
//! Words rank by their prefix, as PHP does: `dev` < `alpha`/`a` < `beta`/`b` < `RC`/`rc` <
//! number (`#`) < `pl`/`p`; any other word ranks below `dev` (so does `stable`, which
//! Composer's normaliser would drop; the vectors pin PHP's answer `5.1.0-stable` <
//! `5.1.0-beta2`, so callers should pass Composer-normalised versions). When one version runs out, the
//! other is newer if its next part is a number, and otherwise its remaining words are compared
//! against a number.

use std::cmp::Ordering;

use crate::num::{Span, cmp_digits};

/// Rank of a number among the special forms.
const NUMBER: i8 = 4;

/// One part of a normalised version.
#[derive(Debug, Clone, Copy)]
enum Part {
    Num(Span),
    Word(i8),
}

/// A parsed Composer version.
#[derive(Debug, Clone)]
pub(crate) struct Composer(Vec<Part>);

/// PHP's rank of a special form, by prefix.
fn rank(word: &str) -> i8 {
    const FORMS: [(&str, i8); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", NUMBER),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(prefix, _)| word.starts_with(prefix))
        .map_or(-1, |&(_, r)| r)
}

/// Splits `text` into parts; every non-empty string parses.
pub(crate) fn parse(text: &str) -> Result<Composer, String> {
    let bytes = text.as_bytes();
    let mut pos = usize::from(matches!(bytes.first(), Some(b'v' | b'V')));
    let is_sep = |c: u8| matches!(c, b'.' | b'-' | b'_' | b'+');
    let mut parts = Vec::new();
    while pos < bytes.len() {
        if is_sep(bytes[pos]) {
            pos += 1;
            continue;
        }
        let start = pos;
        let digit = bytes[pos].is_ascii_digit();
        while pos < bytes.len() && !is_sep(bytes[pos]) && bytes[pos].is_ascii_digit() == digit {
            pos += 1;
        }
        parts.push(if digit {
            Part::Num(Span::new(start, pos))
        } else {
            // `start..pos` covers whole characters: separators and digits are ASCII.
            Part::Word(rank(text.get(start..pos).unwrap_or_default()))
        });
    }
    if parts.is_empty() {
        return Err("no version parts".into());
    }
    Ok(Composer(parts))
}

fn part_rank(part: &Part) -> i8 {
    match part {
        Part::Num(_) => NUMBER,
        Part::Word(r) => *r,
    }
}

/// Compares the surplus parts of the longer version against "a number".
fn cmp_rest(rest: &[Part]) -> Ordering {
    for part in rest {
        match part {
            Part::Num(_) => return Ordering::Greater,
            Part::Word(r) => {
                let ord = r.cmp(&NUMBER);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
    Ordering::Equal
}

/// Orders two Composer versions.
pub(crate) fn compare(a_text: &str, a: &Composer, b_text: &str, b: &Composer) -> Ordering {
    for (x, y) in a.0.iter().zip(&b.0) {
        let ord = match (x, y) {
            (Part::Num(p), Part::Num(q)) => cmp_digits(p.of(a_text), q.of(b_text)),
            _ => part_rank(x).cmp(&part_rank(y)),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    let common = a.0.len().min(b.0.len());
    match a.0.len().cmp(&b.0.len()) {
        Ordering::Greater => cmp_rest(&a.0[common..]),
        Ordering::Less => cmp_rest(&b.0[common..]).reverse(),
        Ordering::Equal => Ordering::Equal,
    }
}
