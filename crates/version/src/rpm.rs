//! RPM versions, `[epoch:]version[-release]`, ordered by rpm's `rpmvercmp` including the `~`
//! (sorts before everything, even the end) and `^` (sorts after the end, before anything
//! else) operators.

use std::cmp::Ordering;

use crate::num::{Span, cmp_digits};

/// A parsed EVR: spans of the epoch digits, the version and the release.
#[derive(Debug, Clone)]
pub(crate) struct Rpm {
    epoch: Option<Span>,
    version: Span,
    release: Option<Span>,
}

/// Splits `text` as rpm's `parseEVR` does: the epoch is a run of leading digits followed by a
/// colon (an empty run means epoch 0); the release follows the last hyphen. Anything else is
/// part of the version, so every string parses.
pub(crate) fn parse(text: &str) -> Result<Rpm, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (epoch, version_start) = if text.as_bytes().get(digits) == Some(&b':') {
        (Some(Span::new(0, digits)), digits + 1)
    } else {
        (None, 0)
    };
    let (version, release) = match text[version_start..].rfind('-') {
        Some(dash) => (
            Span::new(version_start, version_start + dash),
            Some(Span::new(version_start + dash + 1, text.len())),
        ),
        None => (Span::new(version_start, text.len()), None),
    };
    Ok(Rpm {
        epoch,
        version,
        release,
    })
}

/// Orders epoch (missing = 0), version, then release; a version without a release sorts
/// before the same version with one.
pub(crate) fn compare(a_text: &str, a: &Rpm, b_text: &str, b: &Rpm) -> Ordering {
    let a_epoch = a.epoch.map(|e| e.of(a_text)).unwrap_or("0");
    let b_epoch = b.epoch.map(|e| e.of(b_text)).unwrap_or("0");
    cmp_digits(a_epoch, b_epoch)
        .then_with(|| rpmvercmp(a.version.of(a_text), b.version.of(b_text)))
        .then_with(|| match (a.release, b.release) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => rpmvercmp(x.of(a_text), y.of(b_text)),
        })
}

fn is_separator(c: u8) -> bool {
    !c.is_ascii_alphanumeric() && c != b'~' && c != b'^'
}

/// rpm's segment-wise comparison (`rpmio/rpmvercmp.c`): separators are skipped, `~` and `^`
/// are handled first, then alternating digit and letter segments are compared; a numeric
/// segment beats an alphabetic one.
pub(crate) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    loop {
        while i < a.len() && is_separator(a[i]) {
            i += 1;
        }
        while j < b.len() && is_separator(b[j]) {
            j += 1;
        }
        let (ac, bc) = (a.get(i).copied(), b.get(j).copied());
        if ac == Some(b'~') || bc == Some(b'~') {
            if ac != Some(b'~') {
                return Ordering::Greater;
            }
            if bc != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ac == Some(b'^') || bc == Some(b'^') {
            match (ac, bc) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), _) if x != b'^' => return Ordering::Greater,
                (_, Some(y)) if y != b'^' => return Ordering::Less,
                _ => {}
            }
            i += 1;
            j += 1;
            continue;
        }
        if i >= a.len() || j >= b.len() {
            break;
        }
        let numeric = a[i].is_ascii_digit();
        let in_segment = |c: u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (si, sj) = (i, j);
        while i < a.len() && in_segment(a[i]) {
            i += 1;
        }
        while j < b.len() && in_segment(b[j]) {
            j += 1;
        }
        if sj == j {
            // `b` has a segment of the other kind here: numbers are newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        // Both segments are ASCII, so the slices are valid UTF-8.
        let sa = std::str::from_utf8(&a[si..i]).unwrap_or("");
        let sb = std::str::from_utf8(&b[sj..j]).unwrap_or("");
        let ord = if numeric {
            cmp_digits(sa, sb)
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_and_caret() {
        assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0^git1", "1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp("1.0^git1", "1.0.1"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0^git1~pre", "1.0^git1"), Ordering::Less);
        assert_eq!(rpmvercmp("2_0", "2.0"), Ordering::Equal);
    }
}
