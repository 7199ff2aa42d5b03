//! RFC 3339 timestamps without a date-time dependency: documents need one normalised UTC
//! stamp (`2024-05-01T12:00:00Z`), SPDX requires the `Z` form, and advisory dates must be
//! checked before they go into fields whose schema says `date-time`.

use crate::{Error, RenderOptions};
use osprey_model::report::Report;

/// The document time: the option, else the report's `CreatedAt`, else now; always UTC.
pub(crate) fn document_timestamp(report: &Report, opts: &RenderOptions) -> Result<String, Error> {
    let (value, origin) = match (&opts.timestamp, report.created_at.is_empty()) {
        (Some(t), _) => (t.as_str(), "RenderOptions.timestamp"),
        (None, false) => (report.created_at.as_str(), "report CreatedAt"),
        (None, true) => return Ok(format_utc(now_unix())),
    };
    parse_rfc3339(value)
        .map(format_utc)
        .ok_or_else(|| Error::InvalidTimestamp {
            value: value.to_string(),
            origin,
        })
}

/// An advisory date as a valid `date-time`: RFC 3339 as is (normalised to UTC), a bare date
/// at midnight UTC; `None` for anything else, so a malformed feed date is dropped rather
/// than making the document invalid.
pub(crate) fn normalise_date(value: &str) -> Option<String> {
    let value = value.trim();
    if value.len() == 10 {
        return parse_rfc3339(&format!("{value}T00:00:00Z")).map(format_utc);
    }
    parse_rfc3339(value).map(format_utc)
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Seconds since the Unix epoch of `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)`; fractions are
/// dropped. `t`/`z` and a space separator are accepted, as RFC 3339 allows.
pub(crate) fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || !s.is_ascii() {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = &s[range];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || rb[3] != b':' || !matches!(rb[0], b'+' | b'-') {
                return None;
            }
            let digits = |r: std::ops::Range<usize>| -> Option<i64> {
                let part = &rest[r];
                if part.bytes().all(|c| c.is_ascii_digit()) {
                    part.parse().ok()
                } else {
                    None
                }
            };
            let (h, m) = (digits(1..3)?, digits(4..6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let sign = if rb[0] == b'-' { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset)
}

/// `YYYY-MM-DDThh:mm:ssZ`.
pub(crate) fn format_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-calendar algorithms (public domain), proleptic Gregorian.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises_to_utc() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            format_utc(parse_rfc3339("2024-02-29T23:30:00.123-01:00").unwrap()),
            "2024-03-01T00:30:00Z"
        );
        assert_eq!(
            normalise_date("2023-07-04").as_deref(),
            Some("2023-07-04T00:00:00Z")
        );
        for bad in [
            "",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00.Z",
            "yesterday",
            "2024-01-01T00:00:00Zjunk",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_every_day_of_a_span() {
        for day in -800..800 {
            let t = day * 86_400 + 4_321;
            assert_eq!(parse_rfc3339(&format_utc(t)), Some(t));
        }
    }
}
