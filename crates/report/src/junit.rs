//! JUnit XML for CI test dashboards (Jenkins, GitLab, Azure DevOps).
//!
//! The common JUnit shape: `<testsuites>` holding one `<testsuite>` per report result (named
//! by its target), one `<testcase>` per misconfiguration, vulnerability and secret. A failed
//! check, every vulnerability and every secret is a `<failure>`; a passed check is a passing
//! case; an excepted check (`EXCEPTION`) is `<skipped>`. Packages are not test cases.
//!
//! Written by hand: the document is a few fixed elements, and XML escaping is one function.

use crate::{Error, Format, RenderOptions};
use osprey_model::Severity;
use osprey_model::report::{
    Report, ReportMisconfiguration, ReportResult, ReportSecret, ReportVulnerability,
};
use std::fmt::Write as _;
use std::io::Write;

/// What a test case reports.
enum Outcome {
    Passed,
    Failed { message: String, details: String },
    Skipped { message: String },
}

struct Case {
    name: String,
    outcome: Outcome,
}

/// Writes `report` as JUnit XML.
pub(crate) fn render(
    report: &Report,
    out: &mut dyn Write,
    opts: &RenderOptions,
) -> Result<(), Error> {
    let doc = build(report, opts);
    out.write_all(doc.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Write {
            format: Format::Junit,
            source,
        })
}

fn build(report: &Report, opts: &RenderOptions) -> String {
    let suites: Vec<(&ReportResult, Vec<Case>)> =
        report.results.iter().map(|r| (r, cases(r))).collect();
    let count = |cases: &[Case], want: fn(&Outcome) -> bool| {
        cases.iter().filter(|c| want(&c.outcome)).count()
    };
    let failed = |o: &Outcome| matches!(o, Outcome::Failed { .. });
    let skipped = |o: &Outcome| matches!(o, Outcome::Skipped { .. });
    let total_tests: usize = suites.iter().map(|(_, c)| c.len()).sum();
    let total_failures: usize = suites.iter().map(|(_, c)| count(c, failed)).sum();

    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // `write!` into a String cannot fail; the results are discarded for that reason.
    let _ = writeln!(
        xml,
        "<testsuites name=\"{}\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"0\">",
        escape(&format!("{} {}", opts.tool_name, report.artifact_name))
    );
    for (result, cases) in &suites {
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"0\">",
            escape(&result.target),
            cases.len(),
            count(cases, failed),
            count(cases, skipped),
        );
        for case in cases {
            let _ = write!(
                xml,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
                escape(&result.target),
                escape(&case.name)
            );
            match &case.outcome {
                Outcome::Passed => xml.push_str("/>\n"),
                Outcome::Failed { message, details } => {
                    let _ = writeln!(
                        xml,
                        ">\n      <failure message=\"{}\" type=\"failure\">{}</failure>\n    </testcase>",
                        escape(message),
                        escape(details)
                    );
                }
                Outcome::Skipped { message } => {
                    let _ = writeln!(
                        xml,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(message)
                    );
                }
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

fn cases(result: &ReportResult) -> Vec<Case> {
    let misconfigs = result.misconfigurations.iter().map(misconfiguration_case);
    let vulns = result.vulnerabilities.iter().map(vulnerability_case);
    let secrets = result.secrets.iter().map(secret_case);
    misconfigs.chain(vulns).chain(secrets).collect()
}

fn case_name(severity: Severity, id: &str, title: &str) -> String {
    format!("[{severity}] {id}: {title}")
}

fn misconfiguration_case(m: &ReportMisconfiguration) -> Case {
    let name = case_name(m.severity, &m.id, &m.title);
    let outcome = match m.status.as_str() {
        "PASS" => Outcome::Passed,
        "EXCEPTION" => Outcome::Skipped {
            message: "check excepted by policy".into(),
        },
        _ => {
            let c = &m.cause_metadata;
            let mut details = format!("{}\n", m.message);
            if !c.resource.is_empty() {
                let _ = writeln!(details, "Resource: {}", c.resource);
            }
            if c.start_line > 0 {
                let _ = writeln!(
                    details,
                    "Lines: {}-{}",
                    c.start_line,
                    c.end_line.max(c.start_line)
                );
            }
            if !m.resolution.is_empty() {
                let _ = writeln!(details, "Resolution: {}", m.resolution);
            }
            if !m.primary_url.is_empty() {
                let _ = writeln!(details, "See: {}", m.primary_url);
            }
            Outcome::Failed {
                message: m.message.clone(),
                details,
            }
        }
    };
    Case { name, outcome }
}

fn vulnerability_case(v: &ReportVulnerability) -> Case {
    let title = if v.title.is_empty() {
        format!("{} {}", v.pkg_name, v.installed_version)
    } else {
        v.title.clone()
    };
    let mut details = format!("Package: {} {}\n", v.pkg_name, v.installed_version);
    if !v.fixed_version.is_empty() {
        let _ = writeln!(details, "Fixed in: {}", v.fixed_version);
    }
    if !v.pkg_path.is_empty() {
        let _ = writeln!(details, "Path: {}", v.pkg_path);
    }
    if !v.primary_url.is_empty() {
        let _ = writeln!(details, "See: {}", v.primary_url);
    }
    Case {
        name: case_name(v.severity, &v.vulnerability_id, &title),
        outcome: Outcome::Failed {
            message: format!(
                "{} {} is vulnerable to {}",
                v.pkg_name, v.installed_version, v.vulnerability_id
            ),
            details,
        },
    }
}

fn secret_case(s: &ReportSecret) -> Case {
    Case {
        name: case_name(s.severity, &s.rule_id, &s.title),
        outcome: Outcome::Failed {
            message: format!("{} at lines {}-{}", s.title, s.start_line, s.end_line),
            details: format!(
                "Category: {}\nLines: {}-{}\nMatch: {}\n",
                s.category, s.start_line, s.end_line, s.redacted_match
            ),
        },
    }
}

/// Escapes text for both attribute values and element content.
///
/// XML 1.0 forbids control characters other than tab, newline and carriage return even as
/// character references, so those become U+FFFD; tab, newline and carriage return become
/// references so attribute-value normalisation does not turn them into spaces.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_replaces_forbidden_controls() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(
            escape("x\u{1}y\u{1b}z\u{ffff}"),
            "x\u{fffd}y\u{fffd}z\u{fffd}"
        );
        assert_eq!(escape("l1\nl2\tl3\r"), "l1&#10;l2&#9;l3&#13;");
        assert_eq!(escape("ünïcode ✓"), "ünïcode ✓");
    }
}
