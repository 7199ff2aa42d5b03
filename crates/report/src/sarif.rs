//! SARIF 2.1.0 for code-scanning dashboards (GitHub, Azure DevOps, DefectDojo).
//!
//! One rule per vulnerability ID, secret rule ID and misconfiguration ID, carrying help text,
//! tags and `properties.security-severity` (a CVSS-style number, written as a string the way
//! CodeQL writes it; GitHub maps >= 9.0 to critical, 7.0-8.9 high, 4.0-6.9 medium, else low).
//! One result per finding occurrence, located at the package's evidence file, the secret's
//! or config's file and lines, or, for OS packages of an image, the image repository; a
//! `partialFingerprints` hash keeps re-uploads deduplicated. Passed checks are not results.
//!
//! Own serde structs rather than `serde-sarif`: a dozen small structs against a crate that
//! generates the whole object model at build time.

use crate::catalog::{self, Catalog, Subject};
use crate::{Error, RenderOptions};
use osprey_model::Severity;
use osprey_model::report::{Report, ReportResult, ReportVulnerability};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Paths in results are relative to the scanned root (the image filesystem or directory).
const ROOT_BASE_ID: &str = "ROOTPATH";

#[derive(Serialize)]
pub(crate) struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    column_kind: &'static str,
    original_uri_base_ids: BTreeMap<&'static str, BaseUri>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, serde_json::Value>,
}

#[derive(Serialize)]
struct BaseUri {
    uri: &'static str,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: String,
    full_name: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<String>,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    default_configuration: Configuration,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: Help,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: String,
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, serde_json::Value>,
}

/// A finding a VEX statement marked not affected: still reported, but dashboards (GitHub
/// among them) show it as dismissed rather than open.
#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    end_line: usize,
}

/// What a rule is about; decides its `name` and tags.
#[derive(Clone, Copy)]
enum Kind {
    OsVulnerability,
    LanguageVulnerability,
    Secret,
    Misconfiguration,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::OsVulnerability => "OsPackageVulnerability",
            Kind::LanguageVulnerability => "LanguageSpecificPackageVulnerability",
            Kind::Secret => "Secret",
            Kind::Misconfiguration => "Misconfiguration",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Kind::OsVulnerability | Kind::LanguageVulnerability => "vulnerability",
            Kind::Secret => "secret",
            Kind::Misconfiguration => "misconfiguration",
        }
    }
}

/// The facts of one rule, merged over every finding that shares its ID.
struct RuleFacts {
    id: String,
    kind: Kind,
    severity: Severity,
    score: f64,
    title: String,
    description: String,
    help_uri: Option<String>,
    help_extra: String,
}

/// One finding occurrence before it is tied to its rule index.
struct Occurrence {
    rule: RuleFacts,
    message: String,
    uri: String,
    region: Option<Region>,
    fingerprint: Vec<String>,
    suppression: Option<Suppression>,
    properties: BTreeMap<&'static str, serde_json::Value>,
}

pub(crate) fn build(report: &Report, opts: &RenderOptions) -> Result<Log, Error> {
    let information_uri = match &opts.information_uri {
        Some(uri) if !catalog::is_web_url(uri) => {
            return Err(Error::InvalidUri {
                option: "information_uri",
                value: uri.clone(),
            });
        }
        other => other.clone(),
    };
    let catalog = Catalog::new(report, &[]);
    let subject = Subject::of(report);
    let mut occurrences = Vec::new();
    for (ri, result) in report.results.iter().enumerate() {
        for v in &result.vulnerabilities {
            occurrences.push(vulnerability(report, &subject, &catalog, ri, result, v));
        }
        for s in &result.secrets {
            let mut properties = BTreeMap::new();
            if let Some(layer) = &s.layer {
                insert_layer(&mut properties, &layer.digest, &layer.diff_id, layer.index);
            }
            if s.deleted {
                properties.insert("deletedInFinalFilesystem", true.into());
            }
            occurrences.push(Occurrence {
                rule: RuleFacts {
                    id: s.rule_id.clone(),
                    kind: Kind::Secret,
                    severity: s.severity,
                    score: default_score(s.severity),
                    title: s.title.clone(),
                    description: format!("{} ({})", s.title, s.category),
                    help_uri: None,
                    help_extra: String::new(),
                },
                message: format!(
                    "Artifact: {}\nType: {}\nSecret {}\nSeverity: {}\nMatch: {}",
                    result.target, s.category, s.title, s.severity, s.redacted_match
                ),
                uri: path_uri(&result.target),
                region: region(s.start_line, s.end_line),
                fingerprint: vec![
                    s.rule_id.clone(),
                    result.target.clone(),
                    s.start_line.to_string(),
                    s.layer
                        .as_ref()
                        .map(|l| l.diff_id.clone())
                        .unwrap_or_default(),
                ],
                suppression: None,
                properties,
            });
        }
        for m in result
            .misconfigurations
            .iter()
            .filter(|m| m.status != "PASS")
        {
            let mut properties = BTreeMap::new();
            if let Some(layer) = &m.layer {
                insert_layer(&mut properties, &layer.digest, &layer.diff_id, layer.index);
            }
            let cause = &m.cause_metadata;
            if !cause.resource.is_empty() {
                properties.insert("resource", cause.resource.clone().into());
            }
            let mut help_extra = String::new();
            if !m.resolution.is_empty() {
                help_extra = format!("\nResolution: {}", m.resolution);
            }
            occurrences.push(Occurrence {
                rule: RuleFacts {
                    id: m.id.clone(),
                    kind: Kind::Misconfiguration,
                    severity: m.severity,
                    score: default_score(m.severity),
                    title: m.title.clone(),
                    description: if m.description.is_empty() {
                        m.title.clone()
                    } else {
                        m.description.clone()
                    },
                    help_uri: Some(m.primary_url.clone())
                        .filter(|u| catalog::is_web_url(u))
                        .or_else(|| {
                            m.references
                                .iter()
                                .find(|u| catalog::is_web_url(u))
                                .cloned()
                        }),
                    help_extra,
                },
                message: format!(
                    "Artifact: {}\nType: {}\nMisconfiguration {}\nSeverity: {}\nMessage: {}",
                    result.target, m.r#type, m.id, m.severity, m.message
                ),
                uri: path_uri(&result.target),
                region: region(cause.start_line, cause.end_line),
                fingerprint: vec![
                    m.id.clone(),
                    result.target.clone(),
                    cause.resource.clone(),
                    cause.start_line.to_string(),
                ],
                suppression: None,
                properties,
            });
        }
    }

    let mut rules: Vec<RuleFacts> = Vec::new();
    let mut rule_index: HashMap<String, usize> = HashMap::new();
    let mut results = Vec::with_capacity(occurrences.len());
    for o in occurrences {
        // A result keeps the level of its own finding; the rule carries the worst of them.
        let own_level = level(o.rule.severity);
        let index = match rule_index.get(&o.rule.id) {
            Some(&i) => {
                let existing = &mut rules[i];
                existing.severity = existing.severity.max(o.rule.severity);
                existing.score = existing.score.max(o.rule.score);
                i
            }
            None => {
                rule_index.insert(o.rule.id.clone(), rules.len());
                rules.push(o.rule);
                rules.len() - 1
            }
        };
        let rule = &rules[index];
        let parts: Vec<&str> = o.fingerprint.iter().map(String::as_str).collect();
        results.push(SarifResult {
            rule_id: rule.id.clone(),
            rule_index: index,
            level: own_level,
            message: Text { text: o.message },
            locations: vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: o.uri,
                        uri_base_id: ROOT_BASE_ID,
                    },
                    region: o.region,
                },
                message: None,
            }],
            partial_fingerprints: BTreeMap::from([("osprey/v1", catalog::short_hash(&parts))]),
            suppressions: o.suppression.into_iter().collect(),
            properties: o.properties,
        });
    }

    let mut run_properties = BTreeMap::new();
    if !report.artifact_name.is_empty() {
        run_properties.insert("artifactName", report.artifact_name.clone().into());
        run_properties.insert("artifactType", report.artifact_type.clone().into());
    }
    if !report.metadata.image_id.is_empty() {
        run_properties.insert("imageID", report.metadata.image_id.clone().into());
    }
    if !report.metadata.repo_digests.is_empty() {
        run_properties.insert("repoDigests", report.metadata.repo_digests.clone().into());
    }

    Ok(Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: opts.tool_name.clone(),
                    full_name: format!("{} {}", opts.tool_name, opts.tool_version),
                    version: opts.tool_version.clone(),
                    information_uri,
                    rules: rules.iter().map(rule).collect(),
                },
            },
            results,
            column_kind: "utf16CodeUnits",
            original_uri_base_ids: BTreeMap::from([(ROOT_BASE_ID, BaseUri { uri: "file:///" })]),
            properties: run_properties,
        }],
    })
}

fn vulnerability(
    report: &Report,
    subject: &Subject,
    catalog: &Catalog<'_>,
    result_index: usize,
    result: &ReportResult,
    v: &ReportVulnerability,
) -> Occurrence {
    let entry = catalog
        .entry_for_vulnerability(result_index, result, v)
        .map(|i| &catalog.entries[i]);
    let is_os = result.class == "os-pkgs";
    let evidence = if !v.pkg_path.is_empty() {
        v.pkg_path.clone()
    } else {
        entry
            .map(|e| e.package.file_path.clone())
            .unwrap_or_default()
    };
    // OS packages have no evidence file in the report: point at the image (as a path, so
    // `registry:5000/app` is not read as a URI scheme) or at the scanned target.
    let location = if !evidence.is_empty() {
        evidence
    } else if subject.is_image {
        subject.name.clone()
    } else if !report.artifact_name.is_empty() && is_os {
        report.artifact_name.clone()
    } else {
        result.target.clone()
    };
    let link = Some(v.primary_url.clone())
        .filter(|u| catalog::is_web_url(u))
        .or_else(|| {
            v.references
                .iter()
                .find(|u| catalog::is_web_url(u))
                .cloned()
        });
    let fixed = if v.fixed_version.is_empty() {
        "none".to_string()
    } else {
        v.fixed_version.clone()
    };
    let mut message = format!(
        "Package: {}\nInstalled Version: {}\nVulnerability {}\nSeverity: {}\nFixed Version: {}\nStatus: {}",
        v.pkg_name, v.installed_version, v.vulnerability_id, v.severity, fixed, v.status
    );
    if let Some(l) = &link {
        message.push_str(&format!("\nLink: [{}]({l})", v.vulnerability_id));
    }
    let mut properties = BTreeMap::new();
    insert_layer(
        &mut properties,
        &v.layer.digest,
        &v.layer.diff_id,
        v.layer.index,
    );
    if !v.pkg_identifier.purl.is_empty() {
        properties.insert("purl", v.pkg_identifier.purl.clone().into());
    }
    let score = v
        .cvss
        .values()
        .flat_map(|c| [c.v40_score, c.v3_score])
        .flatten()
        .filter(|s| s.is_finite() && (0.0..=10.0).contains(s))
        .fold(None, |best: Option<f64>, s| {
            Some(best.map_or(s, |b| b.max(s)))
        })
        .unwrap_or_else(|| default_score(v.severity));
    let title = if v.title.is_empty() {
        format!("{}: {}", v.pkg_name, v.vulnerability_id)
    } else {
        v.title.clone()
    };
    Occurrence {
        rule: RuleFacts {
            id: v.vulnerability_id.clone(),
            kind: if is_os {
                Kind::OsVulnerability
            } else {
                Kind::LanguageVulnerability
            },
            severity: v.severity,
            score,
            description: if v.description.is_empty() {
                title.clone()
            } else {
                v.description.clone()
            },
            title,
            help_uri: link,
            help_extra: String::new(),
        },
        message,
        uri: path_uri(&location),
        region: None,
        fingerprint: vec![
            v.vulnerability_id.clone(),
            result.target.clone(),
            v.pkg_name.clone(),
            v.installed_version.clone(),
            v.pkg_path.clone(),
        ],
        suppression: (v.status == "not_affected").then(|| Suppression {
            kind: "external",
            status: "accepted",
            justification: format!(
                "{} is not affected by {} (VEX status not_affected)",
                v.pkg_name, v.vulnerability_id
            ),
        }),
        properties,
    }
}

fn rule(r: &RuleFacts) -> Rule {
    let mut text = format!("{}\nSeverity: {}\n{}", r.id, r.severity, r.description);
    text.push_str(&r.help_extra);
    let mut markdown = format!(
        "**{}** `{}`\n\n| Severity | Kind |\n| --- | --- |\n| {} | {} |\n\n{}",
        r.title,
        r.id,
        r.severity,
        r.kind.tag(),
        r.description
    );
    markdown.push_str(&r.help_extra.replace('\n', "\n\n"));
    if let Some(uri) = &r.help_uri {
        text.push_str(&format!("\nLink: {uri}"));
        markdown.push_str(&format!("\n\n[{}]({uri})", r.id));
    }
    Rule {
        id: r.id.clone(),
        name: r.kind.name(),
        short_description: Text {
            text: r.title.clone(),
        },
        full_description: Text {
            text: r.description.clone(),
        },
        default_configuration: Configuration {
            level: level(r.severity),
        },
        help_uri: r.help_uri.clone(),
        help: Help { text, markdown },
        properties: RuleProperties {
            precision: "very-high",
            security_severity: format!("{:.1}", r.score),
            tags: vec![
                r.kind.tag().to_string(),
                "security".to_string(),
                r.severity.as_str().to_string(),
            ],
        },
    }
}

/// SARIF levels: critical and high are errors, medium warnings, the rest notes.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// A score inside each band GitHub maps back to the same severity.
fn default_score(s: Severity) -> f64 {
    match s {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Unknown => 0.0,
    }
}

fn region(start: usize, end: usize) -> Option<Region> {
    (start >= 1).then(|| Region {
        start_line: start,
        end_line: end.max(start),
    })
}

fn insert_layer(
    properties: &mut BTreeMap<&'static str, serde_json::Value>,
    digest: &str,
    diff_id: &str,
    index: Option<usize>,
) {
    if !digest.is_empty() {
        properties.insert("layerDigest", digest.into());
    }
    if !diff_id.is_empty() {
        properties.insert("layerDiffID", diff_id.into());
    }
    if let Some(i) = index {
        properties.insert("layerIndex", i.into());
    }
}

/// A relative URI reference for a path: leading `/` dropped (paths are relative to
/// `ROOTPATH`), every byte outside RFC 3986's unreserved set and `/` percent-encoded, so
/// spaces and colons in targets never make an invalid or scheme-like URI.
fn path_uri(path: &str) -> String {
    let path = path.trim_start_matches('/');
    let path = if path.is_empty() { "." } else { path };
    path.split('/')
        .map(catalog::percent_encode)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_uri_references() {
        assert_eq!(path_uri("/usr/lib/x.py"), "usr/lib/x.py");
        assert_eq!(path_uri("registry:5000/app"), "registry%3A5000/app");
        assert_eq!(path_uri("debian 12 (x)"), "debian%2012%20%28x%29");
        assert_eq!(path_uri(""), ".");
    }
}
