//! CVSS base scores from vector strings: v3.0/v3.1 (FIRST CVSS v3.1 specification, section 7
//! and Appendix A) and v4.0 (FIRST CVSS v4.0 specification, section 8: MacroVectors and
//! severity-distance interpolation).
//!
//! Only what a vector states is scored: v3 temporal/environmental metrics are ignored (base
//! score), v4 threat and environmental metrics are honoured as the v4 formula requires
//! (`E`, `CR`/`IR`/`AR`, `M*`), defaulting to their "not defined" values.

use std::collections::BTreeMap;

use crate::cvss4_table::MACRO_VECTOR_SCORES;

/// Why a vector could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CVSS vector {vector:?}: {reason}")]
pub struct CvssError {
    vector: String,
    reason: String,
}

/// An error quoting at most 200 bytes of the vector and of the reason (which may quote a
/// metric), so hostile input cannot make messages huge.
fn error(vector: &str, reason: impl Into<String>) -> CvssError {
    let clip = |s: &str| {
        let mut cut = s.len().min(200);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s[..cut].to_owned()
    };
    CvssError {
        vector: clip(vector),
        reason: clip(&reason.into()),
    }
}

/// `CVSS:X.Y/` prefix and `KEY:VALUE` metrics, each key at most once.
fn metrics<'a>(
    vector: &'a str,
    prefixes: &[&str],
) -> Result<BTreeMap<&'a str, &'a str>, CvssError> {
    let rest = prefixes
        .iter()
        .find_map(|p| vector.strip_prefix(p))
        .ok_or_else(|| {
            error(
                vector,
                format!("expected a {} prefix", prefixes.join(" or ")),
            )
        })?;
    let mut out = BTreeMap::new();
    for part in rest.split('/') {
        let (k, v) = part
            .split_once(':')
            .ok_or_else(|| error(vector, format!("metric {part:?} is not KEY:VALUE")))?;
        if out.insert(k, v).is_some() {
            return Err(error(vector, format!("metric {k} given twice")));
        }
    }
    Ok(out)
}

fn pick(
    vector: &str,
    m: &BTreeMap<&str, &str>,
    key: &str,
    table: &[(&str, f64)],
) -> Result<f64, CvssError> {
    let value = m
        .get(key)
        .ok_or_else(|| error(vector, format!("base metric {key} is missing")))?;
    table
        .iter()
        .find(|(v, _)| v == value)
        .map(|(_, w)| *w)
        .ok_or_else(|| error(vector, format!("{key}:{value} is not a valid value")))
}

/// The base score of a `CVSS:3.0/…` or `CVSS:3.1/…` vector.
pub fn v3_base_score(vector: &str) -> Result<f64, CvssError> {
    let v31 = vector.starts_with("CVSS:3.1/");
    let m = metrics(vector, &["CVSS:3.1/", "CVSS:3.0/"])?;
    let scope_changed = match m.get("S") {
        Some(&"U") => false,
        Some(&"C") => true,
        Some(other) => return Err(error(vector, format!("S:{other} is not a valid value"))),
        None => return Err(error(vector, "base metric S is missing")),
    };
    let av = pick(
        vector,
        &m,
        "AV",
        &[("N", 0.85), ("A", 0.62), ("L", 0.55), ("P", 0.2)],
    )?;
    let ac = pick(vector, &m, "AC", &[("L", 0.77), ("H", 0.44)])?;
    let pr = if scope_changed {
        pick(vector, &m, "PR", &[("N", 0.85), ("L", 0.68), ("H", 0.5)])?
    } else {
        pick(vector, &m, "PR", &[("N", 0.85), ("L", 0.62), ("H", 0.27)])?
    };
    let ui = pick(vector, &m, "UI", &[("N", 0.85), ("R", 0.62)])?;
    let cia = [("H", 0.56), ("L", 0.22), ("N", 0.0)];
    let c = pick(vector, &m, "C", &cia)?;
    let i = pick(vector, &m, "I", &cia)?;
    let a = pick(vector, &m, "A", &cia)?;
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Ok(0.0);
    }
    let raw = if scope_changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    Ok(if v31 {
        roundup_31(raw)
    } else {
        roundup_30(raw)
    })
}

/// CVSS v3.1 Appendix A `Roundup`: the smallest one-decimal number ≥ the input, computed on
/// integers so that floating-point noise (e.g. 4.000000000000001) does not round up.
fn roundup_31(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// CVSS v3.0's `Roundup`: ceiling to one decimal.
fn roundup_30(x: f64) -> f64 {
    (x * 10.0).ceil() / 10.0
}

/// Metric values of a v4 vector with the spec's defaults applied: a modified metric (`MAV`…)
/// overrides its base metric unless `X`; `E` defaults to `A`, `CR`/`IR`/`AR` to `H`.
struct V4<'a> {
    m: BTreeMap<&'a str, &'a str>,
}

impl<'a> V4<'a> {
    fn get(&self, key: &str) -> &'a str {
        let modified = format!("M{key}");
        if let Some(v) = self.m.get(modified.as_str()).filter(|v| **v != "X") {
            return v;
        }
        match (key, self.m.get(key).copied()) {
            ("E", None | Some("X")) => "A",
            ("CR" | "IR" | "AR", None | Some("X")) => "H",
            (_, Some(v)) => v,
            (_, None) => "X",
        }
    }
}

const V4_BASE: [(&str, &[&str]); 11] = [
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
];

/// Severity distance of a metric value from the most severe value, in tenths.
fn level(metric: &str, value: &str) -> f64 {
    let table: &[(&str, f64)] = match metric {
        "AV" => &[("N", 0.0), ("A", 0.1), ("L", 0.2), ("P", 0.3)],
        "PR" => &[("N", 0.0), ("L", 0.1), ("H", 0.2)],
        "UI" => &[("N", 0.0), ("P", 0.1), ("A", 0.2)],
        "AC" => &[("L", 0.0), ("H", 0.1)],
        "AT" => &[("N", 0.0), ("P", 0.1)],
        "VC" | "VI" | "VA" => &[("H", 0.0), ("L", 0.1), ("N", 0.2)],
        "SC" => &[("H", 0.1), ("L", 0.2), ("N", 0.3)],
        "SI" | "SA" => &[("S", 0.0), ("H", 0.1), ("L", 0.2), ("N", 0.3)],
        "CR" | "IR" | "AR" => &[("H", 0.0), ("M", 0.1), ("L", 0.2)],
        _ => &[],
    };
    table
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(0.0, |(_, d)| *d)
}

/// The highest-severity vectors of each equivalence-class level (spec section 8.2), as
/// metric/value lists.
fn max_vectors(eq: usize, lvl: u8, eq6: u8) -> &'static [&'static str] {
    match (eq, lvl) {
        (1, 0) => &["AV:N/PR:N/UI:N"],
        (1, 1) => &["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"],
        (1, 2) => &["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"],
        (2, 0) => &["AC:L/AT:N"],
        (2, 1) => &["AC:H/AT:N", "AC:L/AT:P"],
        (3, 0) if eq6 == 0 => &["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"],
        (3, 0) => &[
            "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H",
            "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M",
        ],
        (3, 1) if eq6 == 0 => &[
            "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H",
            "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H",
        ],
        (3, 1) => &[
            "VC:L/VI:H/VA:H/CR:M/IR:H/AR:M",
            "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H",
            "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
            "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
            "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M",
        ],
        (3, 2) => &["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"],
        (4, 0) => &["SC:H/SI:S/SA:S"],
        (4, 1) => &["SC:H/SI:H/SA:H"],
        (4, 2) => &["SC:L/SI:L/SA:L"],
        (5, 0) => &["E:A"],
        (5, 1) => &["E:P"],
        (5, 2) => &["E:U"],
        _ => &[],
    }
}

/// Depth of each level (spec: "maximal scoring difference"), in tenths.
fn max_severity(eq: usize, lvl: u8, eq6: u8) -> f64 {
    let tenths = match (eq, lvl, eq6) {
        (1, 0, _) => 1,
        (1, 1, _) => 4,
        (1, 2, _) => 5,
        (2, 0, _) => 1,
        (2, 1, _) => 2,
        (3, 0, 0) => 7,
        (3, 0, _) => 6,
        (3, 1, _) => 8,
        (3, 2, _) => 10,
        (4, 0, _) => 6,
        (4, 1, _) => 5,
        (4, 2, _) => 4,
        _ => 1,
    };
    f64::from(tenths) * 0.1
}

fn macro_score(eqs: [u8; 6]) -> Option<f64> {
    let key: String = eqs.iter().map(|d| char::from(b'0' + d)).collect();
    MACRO_VECTOR_SCORES
        .binary_search_by(|(k, _)| (*k).cmp(key.as_str()))
        .ok()
        .map(|i| MACRO_VECTOR_SCORES[i].1)
}

/// The score of a `CVSS:4.0/…` vector (CVSS-B, -BT, -BE or -BTE, whichever metrics it has).
pub fn v4_score(vector: &str) -> Result<f64, CvssError> {
    let m = metrics(vector, &["CVSS:4.0/"])?;
    for (key, allowed) in V4_BASE {
        match m.get(key) {
            None => return Err(error(vector, format!("base metric {key} is missing"))),
            Some(v) if !allowed.contains(v) => {
                return Err(error(vector, format!("{key}:{v} is not a valid value")));
            }
            Some(_) => {}
        }
    }
    let v = V4 { m };
    let is = |k: &str, val: &str| v.get(k) == val;
    // A subsequent-system integrity/availability of `S` (safety) exists only as MSI/MSA.
    let si = v.get("SI");
    let sa = v.get("SA");
    if ["VC", "VI", "VA", "SC"].iter().all(|k| is(k, "N")) && si == "N" && sa == "N" {
        return Ok(0.0);
    }
    let eq1 = if is("AV", "N") && is("PR", "N") && is("UI", "N") {
        0
    } else if (is("AV", "N") || is("PR", "N") || is("UI", "N")) && !is("AV", "P") {
        1
    } else {
        2
    };
    let eq2 = if is("AC", "L") && is("AT", "N") { 0 } else { 1 };
    let eq3 = if is("VC", "H") && is("VI", "H") {
        0
    } else if is("VC", "H") || is("VI", "H") || is("VA", "H") {
        1
    } else {
        2
    };
    let eq4 = if si == "S" || sa == "S" {
        0
    } else if is("SC", "H") || si == "H" || sa == "H" {
        1
    } else {
        2
    };
    let eq5 = match v.get("E") {
        "P" => 1,
        "U" => 2,
        _ => 0,
    };
    let eq6 = if (is("CR", "H") && is("VC", "H"))
        || (is("IR", "H") && is("VI", "H"))
        || (is("AR", "H") && is("VA", "H"))
    {
        0
    } else {
        1
    };
    let eqs = [eq1, eq2, eq3, eq4, eq5, eq6];
    let value =
        macro_score(eqs).ok_or_else(|| error(vector, "no MacroVector score for these metrics"))?;

    // Scores of the next lower MacroVector along each equivalence class (EQ3 and EQ6 move
    // together, as the spec's joint table requires).
    let lower = |i: usize| {
        let mut e = eqs;
        e[i] += 1;
        macro_score(e)
    };
    let lower_eq3eq6 = match (eq3, eq6) {
        (1, 1) | (0, 1) => macro_score([eq1, eq2, eq3 + 1, eq4, eq5, eq6]),
        (1, 0) | (0, 0) => {
            let left = macro_score([eq1, eq2, eq3, eq4, eq5, eq6 + 1]);
            let right = macro_score([eq1, eq2, eq3 + 1, eq4, eq5, eq6]);
            match (left, right) {
                (Some(l), Some(r)) => Some(l.max(r)),
                (l, r) => l.or(r),
            }
        }
        _ => macro_score([eq1, eq2, eq3 + 1, eq4, eq5, eq6]),
    };

    // The highest-severity vector of this MacroVector that the vector does not exceed.
    let dist = |metric: &str, max: &BTreeMap<&str, &str>| {
        let value = if metric == "SI" {
            si
        } else if metric == "SA" {
            sa
        } else {
            v.get(metric)
        };
        level(metric, value) - level(metric, max[metric])
    };
    let mut chosen = None;
    'outer: for a in max_vectors(1, eq1, eq6) {
        for b in max_vectors(2, eq2, eq6) {
            for c in max_vectors(3, eq3, eq6) {
                for d in max_vectors(4, eq4, eq6) {
                    for e in max_vectors(5, eq5, eq6) {
                        let max: BTreeMap<&str, &str> = [*a, *b, *c, *d, *e]
                            .iter()
                            .flat_map(|s| s.split('/'))
                            .filter_map(|p| p.split_once(':'))
                            .collect();
                        let all_at_or_below = [
                            "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR",
                            "IR", "AR",
                        ]
                        .iter()
                        .all(|k| dist(k, &max) >= 0.0);
                        if all_at_or_below {
                            chosen = Some(max);
                            break 'outer;
                        }
                    }
                }
            }
        }
    }
    let max = chosen.ok_or_else(|| error(vector, "no maximal vector for its MacroVector"))?;
    let sum = |keys: &[&str]| keys.iter().map(|k| dist(k, &max)).sum::<f64>();
    let current = [
        sum(&["AV", "PR", "UI"]),
        sum(&["AC", "AT"]),
        sum(&["VC", "VI", "VA", "CR", "IR", "AR"]),
        sum(&["SC", "SI", "SA"]),
        0.0,
    ];
    let lowers = [lower(0), lower(1), lower_eq3eq6, lower(3), lower(4)];
    let depth = [
        max_severity(1, eq1, eq6),
        max_severity(2, eq2, eq6),
        max_severity(3, eq3, eq6),
        max_severity(4, eq4, eq6),
        max_severity(5, eq5, eq6),
    ];
    let mut n_lower = 0;
    let mut total = 0.0;
    for ((lower_score, distance), depth) in lowers.iter().zip(current).zip(depth) {
        if let Some(lower_score) = lower_score {
            n_lower += 1;
            total += (value - lower_score) * (distance / depth);
        }
    }
    let mean = if n_lower == 0 {
        0.0
    } else {
        total / f64::from(n_lower)
    };
    let score = (value - mean).clamp(0.0, 10.0);
    Ok(((score + 1e-6) * 10.0).round() / 10.0)
}

/// The base score of any supported vector (v3.0, v3.1, v4.0).
pub fn score(vector: &str) -> Result<f64, CvssError> {
    if vector.starts_with("CVSS:4.0/") {
        v4_score(vector)
    } else {
        v3_base_score(vector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked examples of the CVSS v3.1 specification's examples document (FIRST) and NVD.
    #[test]
    fn v3_published_examples() {
        for (vector, expected) in [
            // CVE-2014-0160 Heartbleed.
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
            // CVE-2014-6271 Shellshock.
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            // CVE-2013-1937 phpMyAdmin reflected XSS.
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            // CVE-2014-3566 POODLE.
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1),
            // CVE-2012-1516 VMware guest-to-host escape.
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
            // CVE-2021-44228 Log4Shell.
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            // CVE-2015-1098 Apple iWork.
            ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ] {
            assert_eq!(v3_base_score(vector).unwrap(), expected, "{vector}");
        }
    }

    /// Examples of FIRST's CVSS v4.0 calculator and specification.
    #[test]
    fn v4_published_examples() {
        for (vector, expected) in [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
                10.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0.0,
            ),
        ] {
            assert_eq!(v4_score(vector).unwrap(), expected, "{vector}");
        }
    }

    #[test]
    fn bad_vectors_are_errors() {
        for bad in [
            "",
            "CVSS:3.1/AV:N",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:X/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:2.0/AV:N",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:Q/SC:N/SI:N/SA:N",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        ] {
            assert!(score(bad).is_err(), "{bad}");
        }
        // Hostile input: long, repetitive, non-ASCII. Errors stay short and never panic.
        let long = format!("CVSS:3.1/{}", "AV:N/".repeat(100_000));
        let err = score(&long).unwrap_err().to_string();
        assert!(err.len() < 400, "{}", err.len());
        let err = score(&format!("CVSS:4.0/{}", "é".repeat(500))).unwrap_err();
        assert!(err.to_string().len() < 600, "{err}");
    }
}
