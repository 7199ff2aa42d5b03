//! Alpine (apk) versions: `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`.
//!
//! Suffix order: `_alpha` < `_beta` < `_pre` < `_rc` < (none) < `_cvs` < `_svn` < `_git` <
//! `_hg` < `_p`. Number components after the first that start with `0` compare as text, as
//! apk does (`1.02` < `1.1`). The `~hash` is ignored.
//!
//! apk accepts malformed versions and still orders them (`apk version -t 1.0 1.0bc`); so does
//! this module, as long as the string starts like a version. Text that does not fit the
//! grammar is kept as a tail, compared as text up to its first `-` (apk stops comparing at an
//! invalid token) right after the suffixes; a version without a tail sorts after one with it.
//! A `-rN` at the very end still counts as the revision. Anything else left over (after
//! `-rN`, or after the tail's `-`) only makes the version sort before the same version
//! without it. Every comparison is a lexicographic key, so the order stays total.

use std::cmp::Ordering;

use crate::num::{Span, cmp_digits, is_digits};

/// Known suffixes, in ascending order; "no suffix" sits between `rc` and `cvs`.
const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
/// The rank of "no suffix" among [`SUFFIXES`].
const NO_SUFFIX: u8 = 4;

/// One `_name{number}` suffix: its rank (see [`suffix_rank`]) and its number (empty = 0).
#[derive(Debug, Clone)]
struct Suffix {
    rank: u8,
    number: Span,
}

/// A parsed apk version.
#[derive(Debug, Clone)]
pub(crate) struct Apk {
    numbers: Vec<Span>,
    letter: Option<u8>,
    suffixes: Vec<Suffix>,
    /// `-rN` number (empty = 0); `None` when absent.
    revision: Option<Span>,
    /// Text that does not fit the grammar, before any `-rN` and cut at its first `-`;
    /// `None` when there is none.
    tail: Option<Span>,
    /// Whether anything else is left over (after `-rN`, or after a `-` in the tail).
    leftover: bool,
}

/// Rank of a suffix name: known suffixes below "none" get 0..=3, the rest 5..=9.
fn suffix_rank(index: usize) -> u8 {
    // Index is below SUFFIXES.len() (9), so it fits a u8.
    let index = index as u8;
    if index < NO_SUFFIX { index } else { index + 1 }
}

/// Parses `text`; it fails only when nothing in it looks like a version.
pub(crate) fn parse(text: &str) -> Result<Apk, String> {
    let bytes = text.as_bytes();
    let digits_from = |mut k: usize| {
        while k < bytes.len() && bytes[k].is_ascii_digit() {
            k += 1;
        }
        k
    };
    let mut pos = 0;
    let mut numbers = Vec::new();
    if bytes.first().is_some_and(u8::is_ascii_digit) {
        loop {
            let end = digits_from(pos);
            numbers.push(Span::new(pos, end));
            pos = end;
            if bytes.get(pos) == Some(&b'.') && bytes.get(pos + 1).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            } else {
                break;
            }
        }
    }
    let letter = match bytes.get(pos) {
        Some(c) if c.is_ascii_lowercase() => {
            pos += 1;
            Some(*c)
        }
        _ => None,
    };
    if numbers.is_empty() && letter.is_none() && bytes.first() != Some(&b'.') {
        return Err("does not start with a digit".into());
    }
    let mut suffixes = Vec::new();
    while bytes.get(pos) == Some(&b'_') {
        let rest = &text[pos + 1..];
        let Some(index) = SUFFIXES.iter().position(|s| rest.starts_with(s)) else {
            break;
        };
        let name_end = pos + 1 + SUFFIXES[index].len();
        let end = digits_from(name_end);
        suffixes.push(Suffix {
            rank: suffix_rank(index),
            number: Span::new(name_end, end),
        });
        pos = end;
    }
    if bytes.get(pos) == Some(&b'~') {
        let hex_end = pos
            + 1
            + bytes[pos + 1..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                .count();
        if hex_end > pos + 1 {
            pos = hex_end;
        }
    }
    let mut revision = None;
    let mut tail = None;
    let mut leftover = false;
    if bytes.get(pos) == Some(&b'-') && bytes.get(pos + 1) == Some(&b'r') {
        let end = digits_from(pos + 2);
        revision = Some(Span::new(pos + 2, end));
        leftover = end < bytes.len();
    } else if pos < bytes.len() {
        // Malformed text may still end in a proper `-rN` (`5.7.1p1-r2`): keep that revision.
        let mut end = text.len();
        if let Some(dash) = text[pos..].rfind("-r").map(|d| pos + d)
            && is_digits(&text[dash + 2..])
        {
            revision = Some(Span::new(dash + 2, text.len()));
            end = dash;
        }
        let cut = text[pos..end].find('-').map_or(end, |d| pos + d);
        if cut > pos {
            tail = Some(Span::new(pos, cut));
        }
        leftover = cut < end;
    }
    Ok(Apk {
        numbers,
        letter,
        suffixes,
        revision,
        tail,
        leftover,
    })
}

/// Compares number components; missing components count as `0`.
fn cmp_numbers(a_text: &str, a: &Apk, b_text: &str, b: &Apk) -> Ordering {
    for index in 0..a.numbers.len().max(b.numbers.len()) {
        let x = a.numbers.get(index).map_or("0", |s| s.of(a_text));
        let y = b.numbers.get(index).map_or("0", |s| s.of(b_text));
        let ord = if index > 0 && (x.starts_with('0') || y.starts_with('0')) {
            x.cmp(y)
        } else {
            cmp_digits(x, y)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

fn cmp_suffixes(a_text: &str, a: &Apk, b_text: &str, b: &Apk) -> Ordering {
    for index in 0..a.suffixes.len().max(b.suffixes.len()) {
        let (xr, xn) = a
            .suffixes
            .get(index)
            .map_or((NO_SUFFIX, ""), |s| (s.rank, s.number.of(a_text)));
        let (yr, yn) = b
            .suffixes
            .get(index)
            .map_or((NO_SUFFIX, ""), |s| (s.rank, s.number.of(b_text)));
        let ord = xr.cmp(&yr).then_with(|| cmp_digits(xn, yn));
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// Orders numbers, letter (none first), suffixes, malformed tail (none last), revision
/// (missing = `-r0`), then leftovers (none last).
pub(crate) fn compare(a_text: &str, a: &Apk, b_text: &str, b: &Apk) -> Ordering {
    cmp_numbers(a_text, a, b_text, b)
        .then_with(|| a.letter.cmp(&b.letter))
        .then_with(|| cmp_suffixes(a_text, a, b_text, b))
        .then_with(|| match (a.tail, b.tail) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => x.of(a_text).cmp(y.of(b_text)),
        })
        .then_with(|| {
            let x = a.revision.map_or("", |s| s.of(a_text));
            let y = b.revision.map_or("", |s| s.of(b_text));
            cmp_digits(x, y)
        })
        .then_with(|| b.leftover.cmp(&a.leftover))
}
