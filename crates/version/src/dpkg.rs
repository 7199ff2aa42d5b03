//! Debian package versions, `[epoch:]upstream[-revision]`, ordered exactly as
//! `dpkg --compare-versions` does (`lib/dpkg/version.c`, `verrevcmp`).

use std::cmp::Ordering;

use crate::num::{Span, cmp_digits};

/// A parsed dpkg version: spans of the epoch digits, the upstream version and the revision.
#[derive(Debug, Clone)]
pub(crate) struct Dpkg {
    epoch: Option<Span>,
    upstream: Span,
    revision: Option<Span>,
}

/// Parses `text` with dpkg's rules: a numeric epoch before the first colon, the revision after
/// the last hyphen, an upstream part that starts with a digit, and only the characters dpkg
/// allows in each part.
pub(crate) fn parse(text: &str) -> Result<Dpkg, String> {
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err("contains whitespace".into());
    }
    let (epoch, rest_start) = match text.find(':') {
        Some(colon) => {
            let digits = &text[..colon];
            if digits.is_empty() {
                return Err("epoch before ':' is empty".into());
            }
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err("epoch before ':' is not a number".into());
            }
            // dpkg stores the epoch in an int and rejects values above INT_MAX.
            if cmp_digits(digits, "2147483647") == Ordering::Greater {
                return Err("epoch is too big".into());
            }
            (Some(Span::new(0, colon)), colon + 1)
        }
        None => (None, 0),
    };
    let rest = &text[rest_start..];
    let (upstream, revision) = match rest.rfind('-') {
        Some(dash) => {
            if dash + 1 == rest.len() {
                return Err("revision after '-' is empty".into());
            }
            (
                Span::new(rest_start, rest_start + dash),
                Some(Span::new(rest_start + dash + 1, text.len())),
            )
        }
        None => (Span::new(rest_start, text.len()), None),
    };
    let upstream_text = upstream.of(text);
    match upstream_text.bytes().next() {
        None => return Err("upstream version is empty".into()),
        Some(first) if !first.is_ascii_digit() => {
            return Err("upstream version does not start with a digit".into());
        }
        Some(_) => {}
    }
    if let Some(bad) = upstream_text
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || ".+-~:".contains(c)))
    {
        return Err(format!("invalid character {bad:?} in upstream version"));
    }
    if let Some(revision) = revision
        && let Some(bad) = revision
            .of(text)
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || ".+~".contains(c)))
    {
        return Err(format!("invalid character {bad:?} in revision"));
    }
    Ok(Dpkg {
        epoch,
        upstream,
        revision,
    })
}

/// Orders two parsed versions: epoch, then upstream, then revision (a missing revision
/// compares like an empty one, which equals "0").
pub(crate) fn compare(a_text: &str, a: &Dpkg, b_text: &str, b: &Dpkg) -> Ordering {
    let a_epoch = a.epoch.map(|e| e.of(a_text)).unwrap_or("0");
    let b_epoch = b.epoch.map(|e| e.of(b_text)).unwrap_or("0");
    cmp_digits(a_epoch, b_epoch)
        .then_with(|| verrevcmp(a.upstream.of(a_text), b.upstream.of(b_text)))
        .then_with(|| {
            verrevcmp(
                a.revision.map(|r| r.of(a_text)).unwrap_or(""),
                b.revision.map(|r| r.of(b_text)).unwrap_or(""),
            )
        })
}

/// dpkg's weight of a non-digit character: `~` before the end of the string, the end before
/// letters, letters before every other character.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// The comparison dpkg applies to the upstream version and to the revision: alternating runs
/// of non-digits (compared by [`order`]) and digits (compared by value).
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let digits_end = |s: &[u8], mut k: usize| {
            while k < s.len() && s[k].is_ascii_digit() {
                k += 1;
            }
            k
        };
        let (ae, be) = (digits_end(a, i), digits_end(b, j));
        // Both slices hold ASCII digits only, so they are valid UTF-8.
        let ad = std::str::from_utf8(&a[i.min(ae)..ae]).unwrap_or("");
        let bd = std::str::from_utf8(&b[j.min(be)..be]).unwrap_or("");
        let ord = cmp_digits(ad, bd);
        if ord != Ordering::Equal {
            return ord;
        }
        i = ae;
        j = be;
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        let (pa, pb) = (parse(a).unwrap(), parse(b).unwrap());
        compare(a, &pa, b, &pb)
    }

    #[test]
    fn tilde_sorts_before_everything() {
        assert_eq!(cmp("1.0~rc1-1", "1.0-1"), Ordering::Less);
        assert_eq!(cmp("1.2.3-1~deb7u1", "1.2.3-1"), Ordering::Less);
        assert_eq!(cmp("1:1.2.13.dfsg-1", "1.2.13.dfsg-9"), Ordering::Greater);
        assert_eq!(cmp("0.0.0", "0.0.0-0"), Ordering::Equal);
    }

    #[test]
    fn rejects_what_dpkg_rejects() {
        for bad in [
            "",
            "a1.0",
            "1.0-",
            ":1.0",
            "x:1.0",
            "1:",
            "1.0 1",
            "1.0-a$",
            "99999999999:1",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
