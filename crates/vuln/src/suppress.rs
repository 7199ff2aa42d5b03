//! What the user chose not to see: status filters (`--ignore-unfixed`, `--ignore-status`),
//! ignore files (`.trivyignore`, `.trivyignore.yaml`) and VEX documents (OpenVEX, CycloneDX
//! VEX), with Trivy's names and semantics.
//!
//! Status filters drop findings. Ignore files and VEX move them to the result's
//! `ExperimentalModifiedFindings` with the rule's statement and source, so
//! `--show-suppressed` can show them; without it they are dropped too.

use std::path::{Path, PathBuf};

use osprey_model::report::{ModifiedFinding, Report, ReportVulnerability};
use serde::Deserialize;

use crate::VulnError;

/// Every status a finding can have, as `--ignore-status` accepts them.
pub const STATUSES: [&str; 7] = [
    "fixed",
    "affected",
    "will_not_fix",
    "fix_deferred",
    "end_of_life",
    "under_investigation",
    "unknown",
];

/// What `--ignore-unfixed` hides: every status without a fix.
pub const UNFIXED_STATUSES: [&str; 4] = ["affected", "will_not_fix", "fix_deferred", "end_of_life"];

/// Drops vulnerabilities whose status is in `statuses`.
pub fn drop_statuses(report: &mut Report, statuses: &[String]) {
    for r in &mut report.results {
        r.vulnerabilities.retain(|v| !statuses.contains(&v.status));
    }
}

/// An error about `path`; the reason (which may quote the file) is cut at 300 bytes.
fn input_error(path: &Path, reason: impl Into<String>) -> VulnError {
    let mut reason = reason.into();
    if reason.len() > 300 {
        let mut cut = 300;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
        reason.push('…');
    }
    VulnError::Input {
        path: path.to_owned(),
        reason,
    }
}

/// A calendar date, for `exp:` and `expired_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD` (a time part after `T` is ignored).
    pub fn parse(text: &str) -> Option<Date> {
        let day_part = text.split('T').next()?;
        let mut it = day_part.splitn(3, '-');
        let year: i32 = it.next()?.parse().ok()?;
        let month: u32 = it.next()?.parse().ok()?;
        let day: u32 = it.next()?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Date { year, month, day })
    }

    /// Today in UTC.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// The civil date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

/// One ignore rule.
#[derive(Debug, Clone, Default, PartialEq)]
struct IgnoreRule {
    id: String,
    /// Glob patterns over the package's evidence path (`PkgPath`); empty = anywhere.
    paths: Vec<String>,
    /// Package URLs; empty = any package.
    purls: Vec<String>,
    expires: Option<Date>,
    statement: String,
}

/// A loaded `.trivyignore` or `.trivyignore.yaml`.
#[derive(Debug, Clone)]
pub struct IgnoreFile {
    source: String,
    rules: Vec<IgnoreRule>,
}

#[derive(Deserialize)]
struct YamlIgnore {
    #[serde(default)]
    vulnerabilities: Vec<YamlRule>,
}

#[derive(Deserialize)]
struct YamlRule {
    id: String,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    purls: Vec<String>,
    #[serde(default)]
    expired_at: Option<String>,
    #[serde(default)]
    statement: Option<String>,
}

impl IgnoreFile {
    /// Reads an ignore file: YAML (`vulnerabilities: [{id, paths, purls, expired_at,
    /// statement}]`) when the name ends in `.yaml`/`.yml`, else the plain format (one id per
    /// line, `#` comments, optional `exp:YYYY-MM-DD`).
    pub fn load(path: &Path) -> Result<IgnoreFile, VulnError> {
        let text = std::fs::read_to_string(path).map_err(|e| input_error(path, e.to_string()))?;
        let yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        let source = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        let rules = if yaml {
            Self::parse_yaml(path, &text)?
        } else {
            Self::parse_plain(path, &text)?
        };
        Ok(IgnoreFile { source, rules })
    }

    fn parse_plain(path: &Path, text: &str) -> Result<Vec<IgnoreRule>, VulnError> {
        let mut rules = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            let mut tokens = line.split_whitespace();
            let Some(id) = tokens.next() else { continue };
            let mut rule = IgnoreRule {
                id: id.to_owned(),
                ..Default::default()
            };
            // Trivy reads only `exp:` after the id; anything else is free text.
            for token in tokens {
                if let Some(date) = token.strip_prefix("exp:") {
                    rule.expires = Some(Date::parse(date).ok_or_else(|| {
                        input_error(
                            path,
                            format!("line {}: {token:?} is not exp:YYYY-MM-DD", n + 1),
                        )
                    })?);
                }
            }
            rules.push(rule);
        }
        Ok(rules)
    }

    fn parse_yaml(path: &Path, text: &str) -> Result<Vec<IgnoreRule>, VulnError> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let doc: YamlIgnore =
            serde_saphyr::from_str(text).map_err(|e| input_error(path, e.to_string()))?;
        doc.vulnerabilities
            .into_iter()
            .map(|r| {
                let expires = match &r.expired_at {
                    Some(d) => Some(Date::parse(d).ok_or_else(|| {
                        input_error(
                            path,
                            format!("{}: expired_at {d:?} is not YYYY-MM-DD", r.id),
                        )
                    })?),
                    None => None,
                };
                Ok(IgnoreRule {
                    id: r.id,
                    paths: r.paths,
                    purls: r.purls,
                    expires,
                    statement: r.statement.unwrap_or_default(),
                })
            })
            .collect()
    }

    fn matching(&self, v: &ReportVulnerability, today: Date) -> Option<&IgnoreRule> {
        self.rules.iter().find(|r| {
            r.expires.is_none_or(|e| today <= e)
                && (r.id == v.vulnerability_id || v.vendor_ids.contains(&r.id))
                && (r.paths.is_empty() || r.paths.iter().any(|g| glob(g, &v.pkg_path)))
                && (r.purls.is_empty()
                    || r.purls
                        .iter()
                        .any(|p| purl_matches(p, &v.pkg_identifier.purl)))
        })
    }
}

/// `*` (within a path segment), `**` (any depth) and `?` over `/`-separated paths; a leading
/// `/` on either side is ignored.
fn glob(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p {
            [] => s.is_empty(),
            [b'*', b'*', rest @ ..] => {
                let rest = rest.strip_prefix(b"/").unwrap_or(rest);
                if rest.is_empty() {
                    return true;
                }
                (0..=s.len()).any(|i| (i == 0 || s[i - 1] == b'/') && go(rest, &s[i..]))
                    || go(rest, s)
            }
            [b'*', rest @ ..] => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != b'/')
                .any(|i| go(rest, &s[i..])),
            [b'?', rest @ ..] => s.first().is_some_and(|c| *c != b'/') && go(rest, &s[1..]),
            [c, rest @ ..] => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(
        pattern.trim_start_matches('/').as_bytes(),
        path.trim_start_matches('/').as_bytes(),
    )
}

/// A package URL split into what matching compares.
#[derive(Debug, PartialEq, Eq)]
struct Purl {
    /// `type/namespace/name`, lower-cased type.
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
}

fn parse_purl(text: &str) -> Option<Purl> {
    let rest = text.trim().strip_prefix("pkg:")?;
    let rest = rest.split('#').next().unwrap_or_default();
    let (main, quals) = match rest.split_once('?') {
        Some((m, q)) => (m, q),
        None => (rest, ""),
    };
    // The version follows the last `@` after the last `/` (namespaces may hold `@`, as npm
    // scopes do, percent-encoded or not).
    let slash = main.rfind('/').unwrap_or(0);
    let (name, version) = match main[slash..].rfind('@') {
        Some(at) => (&main[..slash + at], Some(&main[slash + at + 1..])),
        None => (main, None),
    };
    let (ty, path) = name.split_once('/')?;
    let decode = |s: &str| {
        s.replace("%40", "@")
            .replace("%2B", "+")
            .replace("%3A", ":")
    };
    let mut qualifiers: Vec<(String, String)> = quals
        .split('&')
        .filter_map(|q| q.split_once('='))
        .map(|(k, v)| (k.to_ascii_lowercase(), decode(v)))
        .collect();
    qualifiers.sort();
    Some(Purl {
        name: format!("{}/{}", ty.to_ascii_lowercase(), decode(path)),
        version: version.map(decode),
        qualifiers,
    })
}

/// True when the package URL `pattern` (from a rule or VEX statement) names `actual`: same
/// type, namespace and name; same version when the pattern has one; and every qualifier of
/// the pattern present in `actual` with the same value.
fn purl_matches(pattern: &str, actual: &str) -> bool {
    let (Some(p), Some(a)) = (parse_purl(pattern), parse_purl(actual)) else {
        return false;
    };
    p.name == a.name
        && p.version
            .as_ref()
            .is_none_or(|v| Some(v) == a.version.as_ref())
        && p.qualifiers.iter().all(|q| a.qualifiers.contains(q))
}

/// One VEX statement, reduced to what suppression needs.
#[derive(Debug, Clone, PartialEq)]
struct VexStatement {
    /// The vulnerability id and its aliases.
    ids: Vec<String>,
    /// Package URLs the statement covers (products and subcomponents).
    purls: Vec<String>,
    /// `not_affected` or `fixed`.
    status: &'static str,
    statement: String,
}

/// A loaded VEX document (OpenVEX or CycloneDX VEX).
#[derive(Debug, Clone)]
pub struct Vex {
    source: String,
    statements: Vec<VexStatement>,
}

impl Vex {
    /// Reads an OpenVEX (`@context` of openvex.dev) or CycloneDX (`bomFormat: CycloneDX`)
    /// JSON document. Only statements that suppress (`not_affected`, `fixed`; CycloneDX
    /// `not_affected`, `false_positive`, `resolved`) are kept.
    pub fn load(path: &Path) -> Result<Vex, VulnError> {
        let text = std::fs::read_to_string(path).map_err(|e| input_error(path, e.to_string()))?;
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| input_error(path, format!("not JSON: {e}")))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        if doc
            .get("@context")
            .and_then(|c| c.as_str())
            .is_some_and(|c| c.contains("openvex"))
        {
            Ok(Vex {
                source: format!("OpenVEX: {name}"),
                statements: openvex_statements(path, &doc)?,
            })
        } else if doc.get("bomFormat").and_then(|f| f.as_str()) == Some("CycloneDX") {
            Ok(Vex {
                source: format!("CycloneDX VEX: {name}"),
                statements: cyclonedx_statements(&doc),
            })
        } else {
            Err(input_error(
                path,
                "not a VEX document: expected OpenVEX (@context https://openvex.dev/ns/…) or \
                 CycloneDX (bomFormat CycloneDX with vulnerabilities)",
            ))
        }
    }

    fn matching(&self, v: &ReportVulnerability) -> Option<&VexStatement> {
        self.statements.iter().find(|s| {
            s.ids
                .iter()
                .any(|id| *id == v.vulnerability_id || v.vendor_ids.contains(id))
                && s.purls
                    .iter()
                    .any(|p| purl_matches(p, &v.pkg_identifier.purl))
        })
    }
}

fn str_field<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(|x| x.as_str())
}

fn openvex_statements(
    path: &Path,
    doc: &serde_json::Value,
) -> Result<Vec<VexStatement>, VulnError> {
    let statements = doc
        .get("statements")
        .and_then(|s| s.as_array())
        .ok_or_else(|| input_error(path, "OpenVEX document without statements[]"))?;
    let mut out = Vec::new();
    for s in statements {
        let status = match str_field(s, "status") {
            Some("not_affected") => "not_affected",
            Some("fixed") => "fixed",
            Some("affected" | "under_investigation") => continue,
            other => {
                return Err(input_error(
                    path,
                    format!("statement with unknown status {other:?}"),
                ));
            }
        };
        // `vulnerability` is an object (`name`, `aliases`) since v0.2.0, a string before.
        let mut ids = Vec::new();
        match s.get("vulnerability") {
            Some(serde_json::Value::String(id)) => ids.push(id.clone()),
            Some(v) => {
                ids.extend(str_field(v, "name").map(str::to_owned));
                ids.extend(str_field(v, "@id").map(str::to_owned));
                if let Some(aliases) = v.get("aliases").and_then(|a| a.as_array()) {
                    ids.extend(aliases.iter().filter_map(|a| a.as_str().map(str::to_owned)));
                }
            }
            None => {}
        }
        let mut purls = Vec::new();
        let product_id = |p: &serde_json::Value| match p {
            serde_json::Value::String(s) => Some(s.clone()),
            other => str_field(other, "@id").map(str::to_owned),
        };
        for p in s
            .get("products")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
        {
            purls.extend(product_id(p));
            for sub in p
                .get("subcomponents")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
            {
                purls.extend(product_id(sub));
            }
        }
        let statement = [
            str_field(s, "justification"),
            str_field(s, "impact_statement"),
            str_field(s, "status_notes"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ");
        out.push(VexStatement {
            ids,
            purls,
            status,
            statement,
        });
    }
    Ok(out)
}

fn cyclonedx_statements(doc: &serde_json::Value) -> Vec<VexStatement> {
    // `affects[].ref` is a bom-ref: resolve it through the components (recursively) to a PURL;
    // a ref that is itself a PURL is taken as is.
    let mut purl_of_ref = std::collections::HashMap::new();
    let mut stack: Vec<&serde_json::Value> = doc
        .get("components")
        .and_then(|c| c.as_array())
        .map(|c| c.iter().collect())
        .unwrap_or_default();
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        stack.push(c);
    }
    while let Some(c) = stack.pop() {
        if let (Some(r), Some(p)) = (str_field(c, "bom-ref"), str_field(c, "purl")) {
            purl_of_ref.insert(r.to_owned(), p.to_owned());
        }
        stack.extend(
            c.get("components")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten(),
        );
    }
    let mut out = Vec::new();
    for v in doc
        .get("vulnerabilities")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let analysis = v.get("analysis");
        let status = match analysis.and_then(|a| str_field(a, "state")) {
            Some("not_affected" | "false_positive") => "not_affected",
            Some("resolved" | "resolved_with_pedigree") => "fixed",
            _ => continue,
        };
        let mut ids: Vec<String> = str_field(v, "id").map(str::to_owned).into_iter().collect();
        for r in v
            .get("references")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            ids.extend(str_field(r, "id").map(str::to_owned));
        }
        let purls = v
            .get("affects")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .filter_map(|a| str_field(a, "ref"))
            .filter_map(|r| {
                if r.starts_with("pkg:") {
                    Some(r.to_owned())
                } else {
                    purl_of_ref.get(r).cloned()
                }
            })
            .collect();
        let statement = [
            analysis.and_then(|a| str_field(a, "justification")),
            analysis.and_then(|a| str_field(a, "detail")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ");
        out.push(VexStatement {
            ids,
            purls,
            status,
            statement,
        });
    }
    out
}

/// Ignore files and VEX documents, applied together.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    ignore: Vec<IgnoreFile>,
    vex: Vec<Vex>,
}

impl Suppressions {
    /// Loads `ignorefile` (when given, or `.trivyignore` in the current directory when it
    /// exists, as Trivy does) and every VEX file.
    pub fn load(ignorefile: Option<&Path>, vex: &[PathBuf]) -> Result<Suppressions, VulnError> {
        let mut out = Suppressions::default();
        match ignorefile {
            Some(path) => out.ignore.push(IgnoreFile::load(path)?),
            None => {
                let default = Path::new(".trivyignore");
                if default.is_file() {
                    out.ignore.push(IgnoreFile::load(default)?);
                }
            }
        }
        for path in vex {
            out.vex.push(Vex::load(path)?);
        }
        Ok(out)
    }

    /// True when nothing is loaded.
    pub fn is_empty(&self) -> bool {
        self.ignore.is_empty() && self.vex.is_empty()
    }

    /// Moves suppressed vulnerabilities out of `report`; with `keep`, into each result's
    /// `ExperimentalModifiedFindings`. Returns how many were suppressed.
    pub fn apply(&self, report: &mut Report, keep: bool, today: Date) -> usize {
        let mut count = 0;
        for r in &mut report.results {
            let mut kept = Vec::with_capacity(r.vulnerabilities.len());
            for v in std::mem::take(&mut r.vulnerabilities) {
                let hit = self
                    .ignore
                    .iter()
                    .find_map(|f| {
                        f.matching(&v, today)
                            .map(|rule| ("ignored", rule.statement.clone(), f.source.clone()))
                    })
                    .or_else(|| {
                        self.vex.iter().find_map(|x| {
                            x.matching(&v)
                                .map(|s| (s.status, s.statement.clone(), x.source.clone()))
                        })
                    });
                match hit {
                    Some((status, statement, source)) => {
                        count += 1;
                        if keep {
                            r.experimental_modified_findings.push(ModifiedFinding {
                                r#type: "vulnerability".into(),
                                status: status.into(),
                                statement,
                                source,
                                finding: v,
                            });
                        }
                    }
                    None => kept.push(v),
                }
            }
            r.vulnerabilities = kept;
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            Date::from_days(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(Date::from_days(19_723), Date::parse("2024-01-01").unwrap());
        assert_eq!(Date::from_days(11_016), Date::parse("2000-02-29").unwrap());
        assert!(Date::parse("2024-13-01").is_none());
        assert!(Date::parse("soon").is_none());
    }

    #[test]
    fn globs() {
        assert!(glob("app/**", "app/node/node_modules/x/package.json"));
        assert!(glob("**/package.json", "app/node/package.json"));
        assert!(glob("/app/*/package.json", "app/node/package.json"));
        assert!(!glob("app/*/package.json", "app/node/x/package.json"));
        assert!(glob(
            "usr/lib/python3.1?/**",
            "usr/lib/python3.11/site-packages/x"
        ));
        assert!(!glob("usr/**", "app/usr/x"));
    }

    #[test]
    fn hostile_ignore_files_give_short_errors() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join(".trivyignore");
        std::fs::write(&plain, format!("CVE-1 exp:{}\n", "9".repeat(1_000_000))).unwrap();
        let err = IgnoreFile::load(&plain).unwrap_err().to_string();
        assert!(err.contains("line 1") && err.len() < 600, "{}", err.len());
        let yaml = dir.path().join("x.yaml");
        std::fs::write(&yaml, "vulnerabilities: {not: a list}\n").unwrap();
        assert!(
            IgnoreFile::load(&yaml)
                .unwrap_err()
                .to_string()
                .contains("x.yaml")
        );
        let ok = dir.path().join("ok");
        std::fs::write(
            &ok,
            "\n# only comments\n   \nCVE-2\tfree text after the id\n",
        )
        .unwrap();
        let rules = IgnoreFile::load(&ok).unwrap().rules;
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].id, "CVE-2");
    }

    #[test]
    fn purls() {
        let actual = "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12.15";
        assert!(purl_matches("pkg:deb/debian/libc6", actual));
        assert!(purl_matches("pkg:deb/debian/libc6@2.36-9", actual));
        assert!(purl_matches(
            "pkg:deb/debian/libc6@2.36-9?arch=amd64",
            actual
        ));
        assert!(!purl_matches("pkg:deb/debian/libc6@2.36-8", actual));
        assert!(!purl_matches("pkg:deb/debian/libc6?arch=arm64", actual));
        assert!(!purl_matches("pkg:deb/debian/libc", actual));
        assert!(purl_matches(
            "pkg:npm/%40babel/core@7.0.0",
            "pkg:npm/%40babel/core@7.0.0"
        ));
        assert!(purl_matches(
            "pkg:npm/@babel/core",
            "pkg:npm/%40babel/core@7.0.0"
        ));
        assert!(!purl_matches("not a purl", actual));
    }
}
