//! The JSON report, in the shape Trivy writes (`SchemaVersion` 2), so tools that read Trivy
//! reports (DefectDojo, Dependency-Track importers, GitHub actions, jq scripts) read ours.
//!
//! Field names follow Trivy exactly. Facts only osprey knows go in extra fields that Trivy
//! readers ignore: `Layer.Index`, `Layer.HistoryIndex`, `Secret.Deleted`, `Metadata.Layers`.
//! Every capability fills its own part of a [`ReportResult`]; renderers (table, SARIF,
//! CycloneDX, SPDX) read a [`Report`] and nothing else.

use crate::{Ecosystem, LayerInfo, OsInfo, Package, SecretFinding, Severity};
use serde::{Deserialize, Serialize};

/// Trivy's report schema version this shape follows.
pub const SCHEMA_VERSION: u32 = 2;

/// A whole scan report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// RFC 3339 time the report was made.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_at: String,
    /// What was scanned, as the user named it.
    pub artifact_name: String,
    /// `container_image`, `filesystem`, `rootfs` or `repository`.
    pub artifact_type: String,
    /// Facts about the artifact.
    pub metadata: Metadata,
    /// One result per target (OS packages, each language file, each scanned file).
    #[serde(default)]
    pub results: Vec<ReportResult>,
}

/// Facts about the scanned artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Metadata {
    /// Detected OS.
    #[serde(default, rename = "OS", skip_serializing_if = "Option::is_none")]
    pub os: Option<ReportOs>,
    /// The image ID: the config blob digest.
    #[serde(default, rename = "ImageID", skip_serializing_if = "String::is_empty")]
    pub image_id: String,
    /// The config's `rootfs.diff_ids`.
    #[serde(default, rename = "DiffIDs", skip_serializing_if = "Vec::is_empty")]
    pub diff_ids: Vec<String>,
    /// `name:tag` references the image is known by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    /// `name@sha256:...` references (manifest digests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_digests: Vec<String>,
    /// The image config JSON as stored.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub image_config: serde_json::Value,
    /// Osprey extra: every layer with its digest, diff_id and history step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<ReportLayer>,
}

/// `Metadata.OS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ReportOs {
    /// `debian`, `alpine`, ...
    pub family: String,
    /// Release (`12.15`).
    pub name: String,
    /// True past end of life.
    #[serde(default, rename = "EOSL", skip_serializing_if = "std::ops::Not::not")]
    pub eosl: bool,
}

impl From<&OsInfo> for ReportOs {
    fn from(os: &OsInfo) -> Self {
        ReportOs {
            family: os.family.clone(),
            name: os.name.clone(),
            eosl: os.eosl,
        }
    }
}

/// A layer as findings and packages name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ReportLayer {
    /// Blob digest.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
    /// Uncompressed digest.
    #[serde(default, rename = "DiffID", skip_serializing_if = "String::is_empty")]
    pub diff_id: String,
    /// History step that made the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Osprey extra: 0-based layer index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Osprey extra: index of the history step in the config's `history[]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_index: Option<usize>,
}

impl From<&LayerInfo> for ReportLayer {
    fn from(l: &LayerInfo) -> Self {
        ReportLayer {
            digest: l.digest.clone(),
            diff_id: l.diff_id.clone(),
            created_by: l.created_by.clone(),
            index: Some(l.index),
            history_index: l.history_index,
        }
    }
}

/// One target's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ReportResult {
    /// `debian 12.15 (debian 12.15)` for OS packages, `Python`, `Node.js`, or a file path.
    pub target: String,
    /// `os-pkgs`, `lang-pkgs`, `secret`, `config`, `license`.
    pub class: String,
    /// The OS family or the package type (`python-pkg`, `npm`, `gobinary`, `dockerfile`, ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub r#type: String,
    /// Packages of this target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<ReportPackage>,
    /// Vulnerabilities of this target's packages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<ReportVulnerability>,
    /// Pass/fail counts for config checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub misconf_summary: Option<MisconfSummary>,
    /// Misconfigurations in this target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub misconfigurations: Vec<ReportMisconfiguration>,
    /// Secrets in this target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<ReportSecret>,
    /// Findings an ignore file or VEX statement suppressed, kept when the user asks to see
    /// them (`--show-suppressed`), as Trivy writes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub experimental_modified_findings: Vec<ModifiedFinding>,
}

/// A suppressed finding and why (Trivy's `ExperimentalModifiedFindings[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ModifiedFinding {
    /// `vulnerability`.
    pub r#type: String,
    /// `ignored` (ignore file), `not_affected` or `fixed` (VEX).
    pub status: String,
    /// The ignore rule's statement or the VEX justification.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub statement: String,
    /// The file that suppressed it (`.trivyignore`, `OpenVEX: vex.json`).
    pub source: String,
    /// The finding itself.
    pub finding: ReportVulnerability,
}

/// `PkgIdentifier` / `Identifier`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PkgIdentifier {
    /// Package URL.
    #[serde(rename = "PURL", default, skip_serializing_if = "String::is_empty")]
    pub purl: String,
    /// Stable per-report unique ID.
    #[serde(rename = "UID", default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
}

/// A package in Trivy's shape. OS versions are split as Trivy splits them: for dpkg and rpm,
/// `Version` is the upstream part, `Release` the revision and `Epoch` the epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ReportPackage {
    /// `name@version`.
    #[serde(rename = "ID")]
    pub id: String,
    /// Name.
    pub name: String,
    /// PURL and UID.
    pub identifier: PkgIdentifier,
    /// Version (upstream part for dpkg and rpm).
    pub version: String,
    /// Revision part for dpkg and rpm.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub release: String,
    /// Epoch for dpkg and rpm.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub epoch: u32,
    /// Architecture.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arch: String,
    /// Source package name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub src_name: String,
    /// Source version (upstream part).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub src_version: String,
    /// Source revision.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub src_release: String,
    /// Source epoch.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub src_epoch: u32,
    /// Licences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// IDs of dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// `root`, `direct`, `indirect` or absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub relationship: String,
    /// True for transitive dependencies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub indirect: bool,
    /// True for dev dependencies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// Layer that added it.
    #[serde(default)]
    pub layer: ReportLayer,
    /// Evidence file, for packages found file by file.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub file_path: String,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Splits `epoch:upstream-revision` the way dpkg and rpm write versions. The revision is what
/// follows the last `-` (dpkg) or the only one (rpm).
pub fn split_os_version(v: &str) -> (u32, String, String) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (e.parse().unwrap_or(0), rest)
        }
        _ => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((up, rel)) => (epoch, up.to_string(), rel.to_string()),
        None => (epoch, rest.to_string(), String::new()),
    }
}

impl ReportPackage {
    /// Converts a package, naming its layer from `layers` (indexed by `location.layer`).
    pub fn from_package(p: &Package, layers: &[LayerInfo]) -> Self {
        let split = matches!(p.ecosystem, Ecosystem::Deb | Ecosystem::Rpm);
        let (epoch, version, release) = if split {
            split_os_version(&p.version)
        } else {
            (0, p.version.clone(), String::new())
        };
        let (src_epoch, src_version, src_release) = match (&p.source_version, split) {
            (Some(sv), true) => split_os_version(sv),
            (Some(sv), false) => (0, sv.clone(), String::new()),
            (None, _) => (0, String::new(), String::new()),
        };
        let relationship = if p.root {
            "root"
        } else {
            match p.direct {
                Some(true) => "direct",
                Some(false) => "indirect",
                None => "",
            }
        };
        let layer = p
            .location
            .layer
            .and_then(|i| layers.get(i))
            .map(ReportLayer::from)
            .unwrap_or_default();
        ReportPackage {
            id: p.id(),
            name: p.name.clone(),
            identifier: PkgIdentifier {
                purl: p.purl.clone(),
                uid: String::new(),
            },
            version,
            release,
            epoch,
            arch: p.arch.clone().unwrap_or_default(),
            src_name: p.source_name.clone().unwrap_or_default(),
            src_version,
            src_release,
            src_epoch,
            licenses: p.licenses.clone(),
            depends_on: p.depends_on.clone(),
            relationship: relationship.to_string(),
            indirect: p.direct == Some(false),
            dev: p.dev,
            layer,
            file_path: if p.ecosystem.is_os() {
                String::new()
            } else {
                p.location.path.clone()
            },
        }
    }
}

/// CVSS scores from one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Cvss {
    /// CVSS v3 vector.
    #[serde(rename = "V3Vector", default, skip_serializing_if = "String::is_empty")]
    pub v3_vector: String,
    /// CVSS v3 base score.
    #[serde(rename = "V3Score", default, skip_serializing_if = "Option::is_none")]
    pub v3_score: Option<f64>,
    /// CVSS v4 vector.
    #[serde(
        rename = "V40Vector",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub v40_vector: String,
    /// CVSS v4 base score.
    #[serde(rename = "V40Score", default, skip_serializing_if = "Option::is_none")]
    pub v40_score: Option<f64>,
}

/// Where an advisory came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DataSource {
    /// Source ID (`debian`, `osv-pypi`, `alpine`, `rustsec`, `go-vulndb`).
    #[serde(rename = "ID")]
    pub id: String,
    /// Human name.
    pub name: String,
    /// Home page.
    #[serde(rename = "URL")]
    pub url: String,
}

/// A vulnerability of one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ReportVulnerability {
    /// CVE ID when there is one, else the advisory ID.
    #[serde(rename = "VulnerabilityID")]
    pub vulnerability_id: String,
    /// Other IDs of the same vulnerability (GHSA, PYSEC, RUSTSEC, GO, DSA).
    #[serde(rename = "VendorIDs", default, skip_serializing_if = "Vec::is_empty")]
    pub vendor_ids: Vec<String>,
    /// `name@version` of the package.
    #[serde(rename = "PkgID", default, skip_serializing_if = "String::is_empty")]
    pub pkg_id: String,
    /// Package name.
    pub pkg_name: String,
    /// Evidence file for language packages.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pkg_path: String,
    /// PURL of the package.
    pub pkg_identifier: PkgIdentifier,
    /// Installed version (full).
    pub installed_version: String,
    /// Versions that fix it, comma-separated as Trivy writes them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fixed_version: String,
    /// `fixed`, `affected`, `will_not_fix`, `fix_deferred`, `end_of_life`, `not_affected`.
    pub status: String,
    /// Layer that added the package.
    #[serde(default)]
    pub layer: ReportLayer,
    /// Where the severity came from (`debian`, `nvd`, `ghsa`, ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub severity_source: String,
    /// The advisory's main page.
    #[serde(
        rename = "PrimaryURL",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub primary_url: String,
    /// Where the record came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_source: Option<DataSource>,
    /// One-line title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Longer description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Severity chosen (vendor first, then CVSS).
    pub severity: Severity,
    /// CWE IDs.
    #[serde(rename = "CweIDs", default, skip_serializing_if = "Vec::is_empty")]
    pub cwe_ids: Vec<String>,
    /// Severity by source.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub vendor_severity: std::collections::BTreeMap<String, u8>,
    /// CVSS by source.
    #[serde(
        rename = "CVSS",
        default,
        skip_serializing_if = "std::collections::BTreeMap::is_empty"
    )]
    pub cvss: std::collections::BTreeMap<String, Cvss>,
    /// Reference URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Publication time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_date: Option<String>,
    /// Last modification time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<String>,
}

/// `MisconfSummary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct MisconfSummary {
    /// Checks that passed.
    pub successes: usize,
    /// Checks that failed.
    pub failures: usize,
}

/// Source lines shown with a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Code {
    /// The lines.
    pub lines: Vec<CodeLine>,
}

/// One source line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CodeLine {
    /// 1-based line number.
    pub number: usize,
    /// Text (secrets redacted).
    pub content: String,
    /// True when the line is part of the finding.
    pub is_cause: bool,
    /// True for the first line of the finding.
    pub first_cause: bool,
    /// True for the last line of the finding.
    pub last_cause: bool,
}

/// Where a misconfiguration is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CauseMetadata {
    /// Resource (`Deployment/web`, `FROM alpine`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource: String,
    /// `Dockerfile`, `Kubernetes`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
    /// Service / family.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service: String,
    /// 1-based first line.
    #[serde(default)]
    pub start_line: usize,
    /// 1-based last line.
    #[serde(default)]
    pub end_line: usize,
    /// Source excerpt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
}

/// A failed (or, when asked, passed) configuration check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ReportMisconfiguration {
    /// `dockerfile`, `kubernetes`, `rego`.
    pub r#type: String,
    /// Stable check ID (`OSP-DS-001`, `pss:privileged`).
    #[serde(rename = "ID")]
    pub id: String,
    /// Title.
    pub title: String,
    /// What the check looks for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What was found, specifically.
    pub message: String,
    /// Rego namespace or check family.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resolution: String,
    /// Severity.
    pub severity: Severity,
    /// Main reference.
    #[serde(
        rename = "PrimaryURL",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub primary_url: String,
    /// References, including the peer IDs this check corresponds to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// `FAIL` or `PASS`.
    pub status: String,
    /// Layer, for checks on image files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<ReportLayer>,
    /// Where.
    pub cause_metadata: CauseMetadata,
}

/// A secret in Trivy's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ReportSecret {
    /// Rule ID.
    #[serde(rename = "RuleID")]
    pub rule_id: String,
    /// Category.
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// Title.
    pub title: String,
    /// 1-based first line.
    pub start_line: usize,
    /// 1-based last line.
    pub end_line: usize,
    /// Redacted lines around the match.
    #[serde(default)]
    pub code: Code,
    /// The matching line with the secret redacted.
    #[serde(rename = "Match")]
    pub redacted_match: String,
    /// Layer that added the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<ReportLayer>,
    /// Osprey extra: the file is not in the final filesystem (deleted or hidden by a later
    /// layer), yet still readable from the image.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl ReportSecret {
    /// Converts a finding, naming its layer from `layers`.
    pub fn from_finding(f: &SecretFinding, layers: &[LayerInfo]) -> Self {
        let (layer, deleted) = match &f.location {
            crate::SecretLocation::File {
                layer, in_final_fs, ..
            } => (
                layer.and_then(|i| layers.get(i)).map(ReportLayer::from),
                !in_final_fs,
            ),
            _ => (None, false),
        };
        ReportSecret {
            rule_id: f.rule_id.clone(),
            category: f.category.clone(),
            severity: f.severity,
            title: f.title.clone(),
            start_line: f.start_line,
            end_line: f.end_line,
            code: Code {
                lines: f.code.clone(),
            },
            redacted_match: f.redacted_match.clone(),
            layer,
            deleted,
        }
    }
}

impl Report {
    /// Keeps only findings (vulnerabilities, secrets, failed checks) whose severity is in
    /// `keep`; packages stay. Misconfiguration summaries are recounted.
    pub fn retain_severities(&mut self, keep: &[Severity]) {
        for r in &mut self.results {
            r.vulnerabilities.retain(|v| keep.contains(&v.severity));
            r.secrets.retain(|s| keep.contains(&s.severity));
            r.misconfigurations
                .retain(|m| m.status != "FAIL" || keep.contains(&m.severity));
            if let Some(summary) = &mut r.misconf_summary {
                summary.failures = r
                    .misconfigurations
                    .iter()
                    .filter(|m| m.status == "FAIL")
                    .count();
            }
        }
    }

    /// Findings in the report: vulnerabilities, secrets and failed checks.
    pub fn finding_count(&self) -> usize {
        self.results
            .iter()
            .map(|r| {
                r.vulnerabilities.len()
                    + r.secrets.len()
                    + r.misconfigurations
                        .iter()
                        .filter(|m| m.status == "FAIL")
                        .count()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_dpkg_versions_like_trivy() {
        assert_eq!(
            split_os_version("1:1.2.13.dfsg-1"),
            (1, "1.2.13.dfsg".into(), "1".into())
        );
        assert_eq!(
            split_os_version("2.36-9+deb12u14"),
            (0, "2.36".into(), "9+deb12u14".into())
        );
        assert_eq!(split_os_version("6.4"), (0, "6.4".into(), String::new()));
        assert_eq!(split_os_version("1.0-2-3"), (0, "1.0-2".into(), "3".into()));
    }

    #[test]
    fn report_uses_trivy_field_names() {
        let r = Report {
            schema_version: SCHEMA_VERSION,
            artifact_name: "x".into(),
            artifact_type: "container_image".into(),
            ..Default::default()
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["SchemaVersion"], 2);
        assert_eq!(v["ArtifactType"], "container_image");
        assert!(v.get("Results").is_some());
    }
}
