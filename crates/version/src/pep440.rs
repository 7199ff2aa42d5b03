//! Python versions: PEP 440 (`[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`) with the
//! spelling variants the spec normalises (`alpha`, `c`, `pre`, `preview`, `rev`, `r`, `-N`,
//! separators, case, a leading `v`, surrounding whitespace).
//!
//! Strings that are not PEP 440 are ordered the way setuptools' `LegacyVersion` did: below
//! every PEP 440 version, among themselves by their legacy parts. PyPI still serves releases
//! with such versions, and advisories name them.

use std::cmp::Ordering;

use crate::num::{Span, cmp_digits, is_digits};

/// A parsed Python version.
#[derive(Debug, Clone)]
pub(crate) enum Pep440 {
    /// A PEP 440 version.
    Modern(Modern),
    /// A pre-PEP 440 version, as its legacy comparison parts.
    Legacy(Vec<String>),
}

/// Pre-release phase: `a` < `b` < `rc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Alpha,
    Beta,
    Candidate,
}

/// The segments of a PEP 440 version; number spans may be empty (meaning 0).
#[derive(Debug, Clone)]
pub(crate) struct Modern {
    epoch: Option<Span>,
    release: Vec<Span>,
    pre: Option<(Phase, Span)>,
    post: Option<Span>,
    dev: Option<Span>,
    local: Option<Span>,
}

/// A cursor over the ASCII-lowercased input.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.text
            .as_bytes()
            .get(self.pos)
            .map(u8::to_ascii_lowercase)
    }

    fn digits(&mut self) -> Span {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        Span::new(start, self.pos)
    }

    /// Consumes the first of `words` (case-insensitive) found at the cursor.
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = self.text.get(self.pos..)?;
        let index = words.iter().position(|w| {
            rest.get(..w.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(w))
        })?;
        self.pos += words[index].len();
        Some(index)
    }

    fn separator(&mut self) {
        if matches!(self.peek(), Some(b'-' | b'_' | b'.')) {
            self.pos += 1;
        }
    }

    /// Parses `[sep]word[sep][digits]`; restores the cursor and returns `None` on no match.
    fn labelled(&mut self, words: &[&str]) -> Option<(usize, Span)> {
        let start = self.pos;
        self.separator();
        let Some(index) = self.word(words) else {
            self.pos = start;
            return None;
        };
        let before_number = self.pos;
        self.separator();
        let number = self.digits();
        if number.is_empty() {
            // A trailing separator belongs to whatever comes next.
            self.pos = before_number;
        }
        Some((index, number))
    }
}

/// Parses the PEP 440 grammar; `None` when `text` is not PEP 440.
fn parse_modern(text: &str) -> Option<Modern> {
    let mut cur = Cursor { text, pos: 0 };
    if cur.peek() == Some(b'v') {
        cur.pos += 1;
    }
    let first = cur.digits();
    if first.is_empty() {
        return None;
    }
    let mut epoch = None;
    let mut release = vec![first];
    if cur.peek() == Some(b'!') {
        cur.pos += 1;
        epoch = Some(first);
        let number = cur.digits();
        if number.is_empty() {
            return None;
        }
        release = vec![number];
    }
    while cur.peek() == Some(b'.')
        && text
            .as_bytes()
            .get(cur.pos + 1)
            .is_some_and(u8::is_ascii_digit)
    {
        cur.pos += 1;
        release.push(cur.digits());
    }
    // Longer spellings first, so `preview` is not read as `pre` + "view".
    let pre = cur
        .labelled(&["preview", "alpha", "beta", "pre", "rc", "a", "b", "c"])
        .map(|(index, number)| {
            let phase = match index {
                1 | 5 => Phase::Alpha,
                2 | 6 => Phase::Beta,
                _ => Phase::Candidate,
            };
            (phase, number)
        });
    let mut post = None;
    if cur.peek() == Some(b'-')
        && text
            .as_bytes()
            .get(cur.pos + 1)
            .is_some_and(u8::is_ascii_digit)
    {
        cur.pos += 1;
        post = Some(cur.digits());
    } else if let Some((_, number)) = cur.labelled(&["post", "rev", "r"]) {
        post = Some(number);
    }
    let dev = cur.labelled(&["dev"]).map(|(_, number)| number);
    let mut local = None;
    if cur.peek() == Some(b'+') {
        cur.pos += 1;
        let start = cur.pos;
        let rest = &text[start..];
        let valid = !rest.is_empty()
            && rest
                .split(['-', '_', '.'])
                .all(|part| !part.is_empty() && part.bytes().all(|c| c.is_ascii_alphanumeric()));
        if !valid {
            return None;
        }
        cur.pos = text.len();
        local = Some(Span::new(start, text.len()));
    }
    (cur.pos == text.len()).then_some(Modern {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// setuptools' legacy parts: digit runs zero-padded to 8, words prefixed with `*`, a few
/// words renamed, trailing zeros and `final-` markers dropped before pre-release words.
fn legacy_parts(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut raw = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let start = pos;
        let class = |c: u8| {
            if c.is_ascii_digit() {
                0
            } else if c.is_ascii_lowercase() {
                1
            } else if c == b'.' || c == b'-' {
                2
            } else {
                3
            }
        };
        let kind = class(bytes[pos]);
        pos += 1;
        if kind != 2 {
            while pos < bytes.len() && class(bytes[pos]) == kind {
                pos += 1;
            }
        }
        raw.push(&lower[start..pos]);
    }
    raw.push("final");
    let mut parts: Vec<String> = Vec::new();
    for part in raw {
        let part = match part {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            "." => continue,
            other => other,
        };
        let part = if part.as_bytes()[0].is_ascii_digit() {
            format!("{part:0>8}")
        } else {
            format!("*{part}")
        };
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

/// Parses `text` as PEP 440, falling back to the legacy ordering; only blank input fails.
pub(crate) fn parse(text: &str) -> Result<Pep440, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("version is empty".into());
    }
    // Spans must index `text`, so parse the trimmed slice and shift its spans.
    let offset = text.len() - text.trim_start().len();
    if offset != 0 || trimmed.len() != text.len() {
        return match parse(trimmed)? {
            Pep440::Modern(m) => Ok(Pep440::Modern(shift(m, offset))),
            legacy => Ok(legacy),
        };
    }
    Ok(match parse_modern(text) {
        Some(modern) => Pep440::Modern(modern),
        None => Pep440::Legacy(legacy_parts(text)),
    })
}

fn shift(m: Modern, offset: usize) -> Modern {
    let s = |span: Span| span.shifted(offset);
    Modern {
        epoch: m.epoch.map(s),
        release: m.release.into_iter().map(s).collect(),
        pre: m.pre.map(|(phase, n)| (phase, s(n))),
        post: m.post.map(s),
        dev: m.dev.map(s),
        local: m.local.map(s),
    }
}

fn cmp_release(a_text: &str, a: &[Span], b_text: &str, b: &[Span]) -> Ordering {
    for index in 0..a.len().max(b.len()) {
        let x = a.get(index).map_or("", |s| s.of(a_text));
        let y = b.get(index).map_or("", |s| s.of(b_text));
        let ord = cmp_digits(x, y);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// Orders local labels: numeric parts by value and above text parts, text case-insensitively,
/// a label that is a prefix of the other first.
fn cmp_local(a: &str, b: &str) -> Ordering {
    let mut left = a.split(['-', '_', '.']);
    let mut right = b.split(['-', '_', '.']);
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (is_digits(x), is_digits(y)) {
                    (true, true) => cmp_digits(x, y),
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => crate::num::cmp_text(x, y, true),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// Where a version's pre-release segment sorts: dev-only releases before every pre-release,
/// final releases after them.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum PreKey<'a> {
    DevOnly,
    Pre(Phase, Num<'a>),
    Final,
}

/// A digit string ordered by value.
#[derive(PartialEq, Eq)]
struct Num<'a>(&'a str);

impl PartialOrd for Num<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Num<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.0, other.0)
    }
}

fn pre_key<'a>(text: &'a str, m: &Modern) -> PreKey<'a> {
    match (m.pre, m.post, m.dev) {
        (None, None, Some(_)) => PreKey::DevOnly,
        (None, _, _) => PreKey::Final,
        (Some((phase, n)), _, _) => PreKey::Pre(phase, Num(n.of(text))),
    }
}

fn cmp_modern(a_text: &str, a: &Modern, b_text: &str, b: &Modern) -> Ordering {
    let num = |text, span: Option<Span>| span.map(|s| Num(s.of(text)));
    cmp_digits(
        a.epoch.map_or("", |s| s.of(a_text)),
        b.epoch.map_or("", |s| s.of(b_text)),
    )
    .then_with(|| cmp_release(a_text, &a.release, b_text, &b.release))
    .then_with(|| pre_key(a_text, a).cmp(&pre_key(b_text, b)))
    // No post-release sorts first: `None` < `Some`.
    .then_with(|| num(a_text, a.post).cmp(&num(b_text, b.post)))
    // No dev-release sorts last.
    .then_with(|| match (num(a_text, a.dev), num(b_text, b.dev)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(&y),
    })
    .then_with(|| match (a.local, b.local) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => cmp_local(x.of(a_text), y.of(b_text)),
    })
}

/// Orders two Python versions; legacy versions sort below PEP 440 ones.
pub(crate) fn compare(a_text: &str, a: &Pep440, b_text: &str, b: &Pep440) -> Ordering {
    match (a, b) {
        (Pep440::Modern(x), Pep440::Modern(y)) => cmp_modern(a_text, x, b_text, y),
        (Pep440::Legacy(_), Pep440::Modern(_)) => Ordering::Less,
        (Pep440::Modern(_), Pep440::Legacy(_)) => Ordering::Greater,
        (Pep440::Legacy(x), Pep440::Legacy(y)) => x.cmp(y),
    }
}
