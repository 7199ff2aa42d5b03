//! CycloneDX 1.6 JSON: the image as `metadata.component` (type `container`, version = digest),
//! the OS as an `operating-system` component, every package occurrence as a `library`
//! component with `osprey:` properties, `dependencies` for every component (the image to the
//! OS and to top-level packages, the OS to its packages, packages along `DependsOn`), and
//! `vulnerabilities` grouped by ID with `affects` pointing at component bom-refs.
//!
//! Own serde structs: `cyclonedx-bom` stops at spec 1.5.

use crate::catalog::{self, Catalog, Subject};
use crate::license::{self, License};
use crate::{Error, RenderOptions, time};
use osprey_model::Severity;
use osprey_model::report::{Report, ReportVulnerability};
use serde::Serialize;
use std::collections::HashMap;

const SCHEMA_URI: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "String::is_empty")]
    bom_ref: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    group: String,
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    version: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "String::is_empty")]
    purl: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Evidence>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

/// Where the package was found (CycloneDX 1.6 `evidence.occurrences`).
#[derive(Serialize)]
struct Evidence {
    occurrences: Vec<Occurrence>,
}

#[derive(Serialize)]
struct Occurrence {
    location: String,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    License { license: NamedLicense },
    Expression { expression: String },
}

#[derive(Serialize)]
struct NamedLicense {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

#[derive(Serialize)]
struct Vulnerability {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<VulnReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cwes: Vec<u32>,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    recommendation: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisories: Vec<Advisory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<Analysis>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    affects: Vec<Affect>,
}

#[derive(Serialize)]
struct Source {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct VulnReference {
    id: String,
    source: Source,
}

#[derive(Serialize)]
struct Rating {
    source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'static str>,
    #[serde(skip_serializing_if = "String::is_empty")]
    vector: String,
}

#[derive(Serialize)]
struct Advisory {
    url: String,
}

#[derive(Serialize)]
struct Analysis {
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    response: Vec<&'static str>,
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
}

#[derive(Serialize)]
struct Affect {
    #[serde(rename = "ref")]
    reference: String,
    versions: Vec<AffectedVersion>,
}

#[derive(Serialize)]
struct AffectedVersion {
    version: String,
    status: &'static str,
}

pub(crate) fn build(report: &Report, opts: &RenderOptions) -> Result<Bom, Error> {
    let timestamp = time::document_timestamp(report, opts)?;
    let subject = Subject::of(report);
    let image_ref = subject
        .purl
        .clone()
        .unwrap_or_else(|| format!("osprey:artifact:{}", report.artifact_name));
    let os_ref = report
        .metadata
        .os
        .as_ref()
        .map(|os| format!("osprey:os:{}@{}", os.family, os.name));
    // Package references must not take the image's or the OS's.
    let mut reserved = vec![image_ref.as_str()];
    reserved.extend(os_ref.as_deref());
    let catalog = Catalog::new(report, &reserved);
    let image = subject_component(report, &subject, image_ref.clone());

    let os = report.metadata.os.as_ref().map(|os| Component {
        kind: "operating-system",
        bom_ref: os_ref.clone().unwrap_or_default(),
        name: os.family.clone(),
        version: os.name.clone(),
        properties: if os.eosl {
            vec![property("osprey:EOSL", "true")]
        } else {
            Vec::new()
        },
        ..Component::default()
    });

    let mut components = Vec::with_capacity(catalog.entries.len() + 1);
    let mut dependencies = Vec::with_capacity(catalog.entries.len() + 2);
    let mut image_depends: Vec<String> = Vec::new();
    let mut os_depends: Vec<String> = Vec::new();
    if let Some(os) = &os {
        image_depends.push(os.bom_ref.clone());
    }
    for &i in &catalog.top_level {
        let e = &catalog.entries[i];
        // OS packages hang off the OS component when there is one.
        if os.is_some() && e.result.class == "os-pkgs" {
            os_depends.push(e.reference.clone());
        } else {
            image_depends.push(e.reference.clone());
        }
    }
    dependencies.push(Dependency {
        reference: image_ref,
        depends_on: image_depends,
    });
    if let Some(os) = os {
        dependencies.push(Dependency {
            reference: os.bom_ref.clone(),
            depends_on: os_depends,
        });
        components.push(os);
    }
    let mut classifier = license::Classifier::default();
    for (i, e) in catalog.entries.iter().enumerate() {
        let (group, name) = group_and_name(&e.package.identifier.purl, &e.package.name);
        components.push(Component {
            kind: "library",
            bom_ref: e.reference.clone(),
            group,
            name,
            version: catalog::full_version(e.package),
            licenses: licenses(&mut classifier, &e.package.licenses),
            purl: e.package.identifier.purl.clone(),
            evidence: (!e.package.file_path.is_empty()).then(|| Evidence {
                occurrences: vec![Occurrence {
                    location: e.package.file_path.clone(),
                }],
            }),
            properties: catalog::package_properties(e)
                .into_iter()
                .map(|(n, v)| property(n, &v))
                .collect(),
            ..Component::default()
        });
        dependencies.push(Dependency {
            reference: e.reference.clone(),
            depends_on: catalog.depends_on[i]
                .iter()
                .map(|&t| catalog.entries[t].reference.clone())
                .collect(),
        });
    }

    Ok(Bom {
        schema: SCHEMA_URI,
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!(
            "urn:uuid:{}",
            catalog::document_uuid(report, opts, &timestamp, "cyclonedx")
        ),
        version: 1,
        metadata: Metadata {
            timestamp,
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: opts.tool_name.clone(),
                    version: opts.tool_version.clone(),
                    ..Component::default()
                }],
            },
            component: image,
        },
        components,
        dependencies,
        vulnerabilities: vulnerabilities(report, &catalog),
    })
}

fn subject_component(report: &Report, subject: &Subject, bom_ref: String) -> Component {
    let meta = &report.metadata;
    let mut properties = vec![property(
        "osprey:SchemaVersion",
        &report.schema_version.to_string(),
    )];
    if !meta.image_id.is_empty() {
        properties.push(property("osprey:ImageID", &meta.image_id));
    }
    for d in &meta.diff_ids {
        properties.push(property("osprey:DiffID", d));
    }
    for t in &meta.repo_tags {
        properties.push(property("osprey:RepoTag", t));
    }
    for d in &meta.repo_digests {
        properties.push(property("osprey:RepoDigest", d));
    }
    let hashes = subject
        .version
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|h| Hash {
            alg: "SHA-256",
            content: h.to_ascii_lowercase(),
        })
        .into_iter()
        .collect();
    Component {
        kind: if subject.is_image {
            "container"
        } else {
            "application"
        },
        bom_ref,
        name: subject.name.clone(),
        version: subject.version.clone(),
        purl: subject.purl.clone().unwrap_or_default(),
        hashes,
        properties,
        ..Component::default()
    }
}

/// CycloneDX puts an npm scope or a Maven group ID in `group`: `@babel/core` is group
/// `@babel`, name `core`; `org.slf4j:slf4j-api` is group `org.slf4j`, name `slf4j-api`.
fn group_and_name(purl: &str, name: &str) -> (String, String) {
    let split = if purl.starts_with("pkg:npm/") && name.starts_with('@') {
        name.split_once('/')
    } else if purl.starts_with("pkg:maven/") {
        name.split_once(':')
    } else {
        None
    };
    match split {
        Some((group, rest)) if !group.is_empty() && !rest.is_empty() => {
            (group.to_string(), rest.to_string())
        }
        _ => (String::new(), name.to_string()),
    }
}

fn property(name: &str, value: &str) -> Property {
    Property {
        name: name.to_string(),
        value: value.to_string(),
    }
}

/// CycloneDX allows either licence objects or exactly one expression. Compound expressions
/// become one `AND`-joined expression when every licence is valid SPDX; otherwise every
/// licence is listed as an object, compound ones by name.
fn licenses(classifier: &mut license::Classifier, raw: &[String]) -> Vec<LicenseChoice> {
    let classified: Vec<License> = raw.iter().filter_map(|l| classifier.classify(l)).collect();
    let has_compound = classified
        .iter()
        .any(|l| matches!(l, License::Expression(_)));
    let has_other = classified.iter().any(|l| matches!(l, License::Other(_)));
    if has_compound && !has_other {
        let parts: Vec<String> = classified.iter().map(|l| l.text().to_string()).collect();
        let expression = license::join_and(&parts);
        return vec![LicenseChoice::Expression { expression }];
    }
    classified
        .into_iter()
        .map(|l| LicenseChoice::License {
            license: match l {
                License::Id(id) => NamedLicense {
                    id: Some(id),
                    name: None,
                },
                License::Expression(name) | License::Other(name) => NamedLicense {
                    id: None,
                    name: Some(name),
                },
            },
        })
        .collect()
}

/// One entry per vulnerability ID; `affects` lists every package occurrence it was found in.
fn vulnerabilities(report: &Report, catalog: &Catalog<'_>) -> Vec<Vulnerability> {
    let mut out: Vec<Vulnerability> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (ri, result) in report.results.iter().enumerate() {
        for v in &result.vulnerabilities {
            let slot = *index.entry(v.vulnerability_id.as_str()).or_insert_with(|| {
                out.push(vulnerability(v));
                out.len() - 1
            });
            let Some(entry) = catalog.entry_for_vulnerability(ri, result, v) else {
                continue;
            };
            let reference = catalog.entries[entry].reference.clone();
            let affects = &mut out[slot].affects;
            if affects.iter().any(|a| a.reference == reference) {
                continue;
            }
            let version = if v.installed_version.is_empty() {
                catalog::full_version(catalog.entries[entry].package)
            } else {
                v.installed_version.clone()
            };
            affects.push(Affect {
                reference,
                versions: vec![AffectedVersion {
                    version,
                    status: if v.status == "not_affected" {
                        "unaffected"
                    } else {
                        "affected"
                    },
                }],
            });
        }
    }
    out
}

fn vulnerability(v: &ReportVulnerability) -> Vulnerability {
    let source = v.data_source.as_ref().map(|d| Source {
        name: if d.name.is_empty() {
            d.id.clone()
        } else {
            d.name.clone()
        },
        url: Some(d.url.clone()).filter(|u| catalog::is_web_url(u)),
    });
    let references = v
        .vendor_ids
        .iter()
        .filter(|id| **id != v.vulnerability_id)
        .map(|id| VulnReference {
            id: id.clone(),
            source: Source {
                name: id.split('-').next().unwrap_or(id).to_string(),
                url: None,
            },
        })
        .collect();
    let mut advisories: Vec<Advisory> = Vec::new();
    for url in std::iter::once(&v.primary_url).chain(&v.references) {
        if catalog::is_web_url(url) && !advisories.iter().any(|a| &a.url == url) {
            advisories.push(Advisory { url: url.clone() });
        }
    }
    let recommendation = if v.fixed_version.is_empty() {
        String::new()
    } else {
        format!("Upgrade {} to {}", v.pkg_name, v.fixed_version)
    };
    let (state, response) = match v.status.as_str() {
        "not_affected" => (Some("not_affected"), Vec::new()),
        "fixed" => (None, vec!["update"]),
        "will_not_fix" => (None, vec!["will_not_fix"]),
        "end_of_life" => (None, vec!["can_not_fix"]),
        _ => (None, Vec::new()),
    };
    let analysis = (state.is_some() || !response.is_empty()).then(|| Analysis {
        state,
        response,
        detail: format!("status: {}", v.status),
    });
    Vulnerability {
        id: v.vulnerability_id.clone(),
        source,
        references,
        ratings: ratings(v),
        cwes: v
            .cwe_ids
            .iter()
            .filter_map(|c| c.strip_prefix("CWE-").unwrap_or(c).parse().ok())
            .collect(),
        description: if v.description.is_empty() {
            v.title.clone()
        } else {
            v.description.clone()
        },
        recommendation,
        advisories,
        published: v.published_date.as_deref().and_then(time::normalise_date),
        updated: v
            .last_modified_date
            .as_deref()
            .and_then(time::normalise_date),
        analysis,
        affects: Vec::new(),
    }
}

/// CVSS ratings per source, then the vendor severities that carry no score, then the chosen
/// severity when nothing else rated it.
fn ratings(v: &ReportVulnerability) -> Vec<Rating> {
    let mut out = Vec::new();
    for (source, cvss) in &v.cvss {
        if let Some(score) = cvss.v40_score.filter(|s| s.is_finite()) {
            out.push(Rating {
                source: named(source),
                score: Some(score),
                severity: severity_name(Severity::from_cvss_score(score)),
                method: Some("CVSSv4"),
                vector: cvss.v40_vector.clone(),
            });
        }
        if let Some(score) = cvss.v3_score.filter(|s| s.is_finite()) {
            out.push(Rating {
                source: named(source),
                score: Some(score),
                severity: severity_name(Severity::from_cvss_score(score)),
                method: Some(if cvss.v3_vector.starts_with("CVSS:3.0/") {
                    "CVSSv3"
                } else {
                    "CVSSv31"
                }),
                vector: cvss.v3_vector.clone(),
            });
        }
    }
    for (source, level) in &v.vendor_severity {
        out.push(Rating {
            source: named(source),
            score: None,
            severity: severity_name(vendor_severity(*level)),
            method: None,
            vector: String::new(),
        });
    }
    if out.is_empty() {
        out.push(Rating {
            source: named(if v.severity_source.is_empty() {
                "osprey"
            } else {
                &v.severity_source
            }),
            score: None,
            severity: severity_name(v.severity),
            method: None,
            vector: String::new(),
        });
    }
    out
}

fn named(name: &str) -> Source {
    Source {
        name: name.to_string(),
        url: None,
    }
}

/// Trivy's `VendorSeverity` numbers: 0 unknown, 1 low, 2 medium, 3 high, 4 critical.
fn vendor_severity(level: u8) -> Severity {
    match level {
        1 => Severity::Low,
        2 => Severity::Medium,
        3 => Severity::High,
        4 => Severity::Critical,
        _ => Severity::Unknown,
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Unknown => "unknown",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}
