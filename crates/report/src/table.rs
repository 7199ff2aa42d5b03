//! Human-readable output, Trivy-like: a section per result (target and type, underlined),
//! then a table for each kind of content it holds: packages (when listing is asked for),
//! vulnerabilities, secrets, failed misconfiguration checks. ASCII borders only, no width
//! fitting (so output is the same on every terminal and in files), colour only when
//! [`RenderOptions::color`] says so.

use crate::{Error, Format, RenderOptions, catalog};
use comfy_table::{Attribute, Cell, Color, Table, presets};
use osprey_model::Severity;
use osprey_model::report::{Report, ReportResult};
use std::io::Write;

const TITLE_WIDTH: usize = 60;
const MATCH_WIDTH: usize = 80;

pub(crate) fn render(
    report: &Report,
    out: &mut dyn Write,
    opts: &RenderOptions,
) -> Result<(), Error> {
    let text = to_text(report, opts);
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Write {
            format: Format::Table,
            source,
        })
}

fn to_text(report: &Report, opts: &RenderOptions) -> String {
    let mut s = String::new();
    let kind = if report.artifact_type.is_empty() {
        String::new()
    } else {
        format!(" ({})", report.artifact_type)
    };
    s.push_str(&bold(
        &printable(&format!("{}{kind}", report.artifact_name)),
        opts,
    ));
    s.push('\n');
    if let Some(os) = &report.metadata.os {
        s.push_str(&format!(
            "OS: {} {}{}\n",
            printable(&os.family),
            printable(&os.name),
            if os.eosl { " (end of life)" } else { "" }
        ));
    }
    if report.results.is_empty() {
        s.push_str("\nNo results.\n");
    } else {
        summary(&mut s, report, opts);
    }
    for result in &report.results {
        section(&mut s, result, opts);
    }
    s
}

/// One row per result with its finding counts, so a long report opens with its shape.
fn summary(s: &mut String, report: &Report, opts: &RenderOptions) {
    s.push_str("\nReport Summary\n\n");
    let mut t = new_table(
        opts,
        &[
            "Target",
            "Type",
            "Packages",
            "Vulnerabilities",
            "Secrets",
            "Misconfigurations",
        ],
    );
    for r in &report.results {
        let failed = r
            .misconfigurations
            .iter()
            .filter(|m| m.status != "PASS")
            .count();
        t.add_row(vec![
            cell(&r.target),
            cell(if r.r#type.is_empty() {
                &r.class
            } else {
                &r.r#type
            }),
            cell(r.packages.len().to_string()),
            cell(r.vulnerabilities.len().to_string()),
            cell(r.secrets.len().to_string()),
            cell(failed.to_string()),
        ]);
    }
    push_table(s, &t);
}

fn section(s: &mut String, r: &ReportResult, opts: &RenderOptions) {
    let heading = printable(&if r.r#type.is_empty() {
        r.target.clone()
    } else {
        format!("{} ({})", r.target, r.r#type)
    });
    if !s.ends_with("\n\n") {
        s.push('\n');
    }
    s.push_str(&bold(&heading, opts));
    s.push('\n');
    s.push_str(&"=".repeat(heading.chars().count().max(1)));
    s.push('\n');

    let failed: Vec<_> = r
        .misconfigurations
        .iter()
        .filter(|m| m.status != "PASS")
        .collect();
    let shows_packages = opts.list_packages && !r.packages.is_empty();
    if !shows_packages
        && r.vulnerabilities.is_empty()
        && r.experimental_modified_findings.is_empty()
        && r.secrets.is_empty()
        && failed.is_empty()
        && r.misconf_summary.is_none()
    {
        s.push_str(&format!("Packages: {}, no findings\n", r.packages.len()));
        return;
    }

    if shows_packages {
        s.push_str(&format!("Packages: {}\n\n", r.packages.len()));
        let mut t = new_table(opts, &["Name", "Version", "Type", "Layer", "Path"]);
        for p in &r.packages {
            t.add_row(vec![
                cell(&p.name),
                cell(catalog::full_version(p)),
                cell(&r.r#type),
                cell(p.layer.index.map_or("-".to_string(), |i| i.to_string())),
                cell(if p.file_path.is_empty() {
                    "-"
                } else {
                    &p.file_path
                }),
            ]);
        }
        push_table(s, &t);
    }

    if !r.vulnerabilities.is_empty() {
        s.push_str(&format!(
            "Vulnerabilities: {}\n\n",
            totals(r.vulnerabilities.iter().map(|v| v.severity))
        ));
        let mut vulns: Vec<_> = r.vulnerabilities.iter().collect();
        vulns.sort_by(|a, b| {
            (
                &a.pkg_name,
                &a.pkg_path,
                std::cmp::Reverse(a.severity),
                &a.vulnerability_id,
            )
                .cmp(&(
                    &b.pkg_name,
                    &b.pkg_path,
                    std::cmp::Reverse(b.severity),
                    &b.vulnerability_id,
                ))
        });
        let mut t = new_table(
            opts,
            &[
                "Library",
                "Vulnerability",
                "Severity",
                "Status",
                "Installed Version",
                "Fixed Version",
                "Title",
            ],
        );
        for v in vulns {
            // The evidence path only where the name alone is ambiguous (nested copies).
            let same_name = r.packages.iter().filter(|p| p.name == v.pkg_name).count();
            let library = if v.pkg_path.is_empty() || same_name < 2 {
                v.pkg_name.clone()
            } else {
                format!("{} ({})", v.pkg_name, v.pkg_path)
            };
            t.add_row(vec![
                cell(library),
                cell(&v.vulnerability_id),
                severity_cell(v.severity, opts),
                cell(&v.status),
                cell(&v.installed_version),
                cell(&v.fixed_version),
                cell(truncate(
                    &title_with_link(&v.title, &v.primary_url),
                    TITLE_WIDTH,
                )),
            ]);
        }
        push_table(s, &t);
    }

    if !r.experimental_modified_findings.is_empty() {
        s.push_str(&format!(
            "Suppressed Vulnerabilities: {}\n\n",
            r.experimental_modified_findings.len()
        ));
        let mut t = new_table(
            opts,
            &[
                "Library",
                "Vulnerability",
                "Severity",
                "Status",
                "Statement",
                "Source",
            ],
        );
        for m in &r.experimental_modified_findings {
            t.add_row(vec![
                cell(&m.finding.pkg_name),
                cell(&m.finding.vulnerability_id),
                severity_cell(m.finding.severity, opts),
                cell(&m.status),
                cell(truncate(&m.statement, TITLE_WIDTH)),
                cell(&m.source),
            ]);
        }
        push_table(s, &t);
    }

    if !r.secrets.is_empty() {
        s.push_str(&format!(
            "Secrets: {}\n\n",
            totals(r.secrets.iter().map(|x| x.severity))
        ));
        let mut t = new_table(
            opts,
            &[
                "Severity", "Category", "Rule", "Title", "Lines", "Layer", "Match",
            ],
        );
        for x in &r.secrets {
            let layer = match (&x.layer, x.deleted) {
                (Some(l), deleted) => format!(
                    "{}{}",
                    l.index.map_or("-".to_string(), |i| i.to_string()),
                    if deleted { " (deleted)" } else { "" }
                ),
                (None, true) => "- (deleted)".to_string(),
                (None, false) => "-".to_string(),
            };
            t.add_row(vec![
                severity_cell(x.severity, opts),
                cell(&x.category),
                cell(&x.rule_id),
                cell(&x.title),
                cell(lines(x.start_line, x.end_line)),
                cell(layer),
                cell(truncate(x.redacted_match.trim(), MATCH_WIDTH)),
            ]);
        }
        push_table(s, &t);
    }

    if r.misconf_summary.is_some() || !failed.is_empty() {
        match &r.misconf_summary {
            Some(sum) => s.push_str(&format!(
                "Misconfigurations: Tests: {} (SUCCESSES: {}, FAILURES: {})\n",
                sum.successes + sum.failures,
                sum.successes,
                sum.failures
            )),
            None => s.push_str("Misconfigurations:\n"),
        }
        s.push_str(&format!(
            "Failures: {}\n\n",
            totals(failed.iter().map(|m| m.severity))
        ));
        if !failed.is_empty() {
            let mut t = new_table(
                opts,
                &["ID", "Severity", "Title", "Message", "Lines", "Resource"],
            );
            for m in failed {
                let c = &m.cause_metadata;
                t.add_row(vec![
                    cell(&m.id),
                    severity_cell(m.severity, opts),
                    cell(truncate(&m.title, TITLE_WIDTH)),
                    cell(truncate(&m.message, TITLE_WIDTH)),
                    cell(lines(c.start_line, c.end_line)),
                    cell(if c.resource.is_empty() {
                        "-"
                    } else {
                        &c.resource
                    }),
                ]);
            }
            push_table(s, &t);
        }
    }
}

/// A cell whose text cannot drive the terminal: report fields come from scanned images, and a
/// package named `\x1b]...` must not retitle the window or hide rows.
fn cell(text: impl AsRef<str>) -> Cell {
    Cell::new(printable(text.as_ref()))
}

/// Control characters (escape, newline, carriage return, ...) written as `\u{1b}`.
fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn new_table(opts: &RenderOptions, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::ASCII_FULL_CONDENSED);
    if opts.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t.set_header(header.iter().map(Cell::new).collect::<Vec<_>>());
    t
}

fn push_table(s: &mut String, t: &Table) {
    for line in t.lines() {
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s.push('\n');
}

/// `Total: 3 (UNKNOWN: 0, LOW: 1, MEDIUM: 1, HIGH: 1, CRITICAL: 0)`.
fn totals(severities: impl Iterator<Item = Severity>) -> String {
    let mut counts = [0usize; 5];
    let mut total = 0;
    for s in severities {
        counts[s as usize] += 1;
        total += 1;
    }
    let parts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{}: {}", s, counts[*s as usize]))
        .collect();
    format!("Total: {total} ({})", parts.join(", "))
}

fn severity_cell(s: Severity, opts: &RenderOptions) -> Cell {
    let cell = Cell::new(s.as_str());
    if !opts.color {
        return cell;
    }
    match s {
        Severity::Critical => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::High => cell.fg(Color::Red),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Blue),
        Severity::Unknown => cell.fg(Color::DarkGrey),
    }
}

fn bold(text: &str, opts: &RenderOptions) -> String {
    if opts.color {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn lines(start: usize, end: usize) -> String {
    match (start, end) {
        (0, _) => "-".to_string(),
        (s, e) if e <= s => s.to_string(),
        (s, e) => format!("{s}-{e}"),
    }
}

fn title_with_link(title: &str, url: &str) -> String {
    match (title.is_empty(), url.is_empty()) {
        (true, true) => "-".to_string(),
        (true, false) => url.to_string(),
        _ => title.to_string(),
    }
}

/// At most `max` characters (not bytes), on one line, with `...` marking a cut.
fn truncate(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max.saturating_sub(3)).collect();
    format!("{}...", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_by_characters() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("ééééééééééé", 6), "ééé...");
        assert_eq!(truncate("a\nb   c", 10), "a b c");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("ok"), "ok");
        assert_eq!(
            printable("a\x1b]0;pwned\x07b\n"),
            "a\\u{1b}]0;pwned\\u{7}b\\u{a}"
        );
    }

    #[test]
    fn counts_by_severity() {
        assert_eq!(
            totals([Severity::High, Severity::High, Severity::Low].into_iter()),
            "Total: 3 (UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 2, CRITICAL: 0)"
        );
    }
}
