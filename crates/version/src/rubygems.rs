//! RubyGems versions with the semantics of `Gem::Version#<=>`.
//!
//! A `-` means `.pre.`; the string splits into digit runs and letter runs; any letter run
//! makes the version a pre-release that sorts before the release (`1.0.a < 1.0`). Trailing
//! zeros are dropped from the numeric part and from the pre-release part, missing segments
//! count as 0, numbers beat letters, letters compare as text (case-sensitive, as Ruby does).

use std::cmp::Ordering;

use crate::num::{Span, cmp_digits, is_zero};

/// One segment of a gem version.
#[derive(Debug, Clone, Copy)]
enum Segment {
    Num(Span),
    Word(Span),
    /// The `pre` a `-` stands for.
    Pre,
}

/// A parsed gem version: its canonical segments.
#[derive(Debug, Clone)]
pub(crate) struct Gem(Vec<Segment>);

fn drop_trailing_zeros(text: &str, segments: &mut Vec<Segment>, keep: usize) {
    while segments.len() > keep {
        match segments.last() {
            Some(Segment::Num(s)) if is_zero(s.of(text)) => {
                segments.pop();
            }
            _ => break,
        }
    }
}

/// Parses `text` (surrounding whitespace allowed); only `[0-9A-Za-z.-]` may appear.
pub(crate) fn parse(text: &str) -> Result<Gem, String> {
    let offset = text.len() - text.trim_start().len();
    let trimmed = text.trim();
    if let Some(bad) = trimmed
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
    {
        return Err(format!("invalid character {bad:?}"));
    }
    if !trimmed.bytes().any(|c| c.is_ascii_alphanumeric()) {
        return Err("no version segments".into());
    }
    let bytes = trimmed.as_bytes();
    let mut segments = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let c = bytes[pos];
        if c == b'-' {
            segments.push(Segment::Pre);
            pos += 1;
            continue;
        }
        if c == b'.' {
            pos += 1;
            continue;
        }
        let start = pos;
        let digit = c.is_ascii_digit();
        while pos < bytes.len()
            && bytes[pos].is_ascii_alphanumeric()
            && bytes[pos].is_ascii_digit() == digit
        {
            pos += 1;
        }
        let span = Span::new(start + offset, pos + offset);
        segments.push(if digit {
            Segment::Num(span)
        } else {
            Segment::Word(span)
        });
    }
    // Canonical form: trailing zeros go from the release part and from the pre-release part.
    let first_word = segments
        .iter()
        .position(|s| !matches!(s, Segment::Num(_)))
        .unwrap_or(segments.len());
    let mut release: Vec<Segment> = segments[..first_word].to_vec();
    drop_trailing_zeros(text, &mut release, 0);
    let mut canonical = release;
    let keep = canonical.len();
    canonical.extend_from_slice(&segments[first_word..]);
    drop_trailing_zeros(text, &mut canonical, keep);
    Ok(Gem(canonical))
}

fn word<'a>(text: &'a str, segment: &Segment) -> &'a str {
    match segment {
        Segment::Word(s) => s.of(text),
        _ => "pre",
    }
}

/// Orders two gem versions segment by segment.
pub(crate) fn compare(a_text: &str, a: &Gem, b_text: &str, b: &Gem) -> Ordering {
    for index in 0..a.0.len().max(b.0.len()) {
        let zero = Segment::Num(Span::default());
        let x = a.0.get(index).unwrap_or(&zero);
        let y = b.0.get(index).unwrap_or(&zero);
        let ord = match (x, y) {
            (Segment::Num(p), Segment::Num(q)) => cmp_digits(p.of(a_text), q.of(b_text)),
            (Segment::Num(_), _) => Ordering::Greater,
            (_, Segment::Num(_)) => Ordering::Less,
            _ => word(a_text, x).cmp(word(b_text, y)),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}
