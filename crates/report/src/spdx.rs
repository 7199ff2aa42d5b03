//! SPDX 2.3 JSON: the document DESCRIBES the image (or scanned directory), which CONTAINS the
//! OS and every package occurrence; packages DEPENDS_ON each other along `DependsOn`.
//!
//! Licences: `licenseDeclared` is a valid SPDX expression built from the package's declared
//! licences, with `LicenseRef-` IDs (defined in `hasExtractedLicensingInfos`) for those SPDX
//! does not list; `licenseConcluded` is `NOASSERTION`, because osprey reads declarations and
//! concludes nothing. Osprey's extra facts (layer, path, package type) go in annotations.

use crate::catalog::{self, Catalog, Entry, Subject};
use crate::license::{self, License};
use crate::{Error, RenderOptions, time};
use osprey_model::report::Report;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

const NOASSERTION: &str = "NOASSERTION";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<Package>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
    license_list_version: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    version_info: String,
    supplier: &'static str,
    download_location: &'static str,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    #[serde(skip_serializing_if = "String::is_empty")]
    source_info: String,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    primary_package_purpose: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Annotation {
    annotation_date: String,
    annotation_type: &'static str,
    annotator: String,
    comment: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    extracted_text: String,
    name: String,
}

pub(crate) fn build(report: &Report, opts: &RenderOptions) -> Result<Document, Error> {
    let created = time::document_timestamp(report, opts)?;
    if !catalog::is_web_url(&opts.namespace_base) {
        return Err(Error::InvalidUri {
            option: "namespace_base",
            value: opts.namespace_base.clone(),
        });
    }
    let catalog = Catalog::new(report, &[]);
    let subject = Subject::of(report);
    let annotator = format!("Tool: {}-{}", opts.tool_name, opts.tool_version);
    let mut ids = SpdxIds::default();
    let mut licences = Licences::default();

    let subject_id = ids.assign("Image", &[&subject.name], &subject.name);
    let mut packages = vec![subject_package(report, &subject, subject_id.clone())];
    let mut relationships = vec![Relationship {
        spdx_element_id: DOCUMENT_ID.to_string(),
        relationship_type: "DESCRIBES",
        related_spdx_element: subject_id.clone(),
    }];

    if let Some(os) = &report.metadata.os {
        let os_id = ids.assign("OperatingSystem", &[&os.family, &os.name], &os.family);
        packages.push(Package {
            name: os.family.clone(),
            version_info: os.name.clone(),
            primary_package_purpose: "OPERATING_SYSTEM",
            ..bare_package(os_id.clone())
        });
        relationships.push(contains(&subject_id, &os_id));
    }

    let entry_ids: Vec<String> = catalog
        .entries
        .iter()
        .map(|e| {
            ids.assign(
                &e.result.r#type,
                &[&e.reference, &e.result.target],
                &e.package.name,
            )
        })
        .collect();
    for (i, e) in catalog.entries.iter().enumerate() {
        packages.push(package(
            e,
            entry_ids[i].clone(),
            &created,
            &annotator,
            &mut licences,
        ));
        relationships.push(contains(&subject_id, &entry_ids[i]));
    }
    for (i, targets) in catalog.depends_on.iter().enumerate() {
        for &t in targets {
            relationships.push(Relationship {
                spdx_element_id: entry_ids[i].clone(),
                relationship_type: "DEPENDS_ON",
                related_spdx_element: entry_ids[t].clone(),
            });
        }
    }

    let uuid = catalog::document_uuid(report, opts, &created, "spdx");
    let name = if report.artifact_name.is_empty() {
        "unnamed".to_string()
    } else {
        report.artifact_name.clone()
    };
    Ok(Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        document_namespace: format!(
            "{}/{}-{uuid}",
            opts.namespace_base.trim_end_matches('/'),
            catalog::percent_encode(&name)
        ),
        name,
        creation_info: CreationInfo {
            created,
            creators: vec![annotator],
            // `3.29.0` -> `3.29`: SPDX writes the list version as major.minor.
            license_list_version: spdx::license_version()
                .split('.')
                .take(2)
                .collect::<Vec<_>>()
                .join("."),
        },
        packages,
        relationships,
        has_extracted_licensing_infos: licences.extracted.into_values().collect(),
    })
}

fn contains(from: &str, to: &str) -> Relationship {
    Relationship {
        spdx_element_id: from.to_string(),
        relationship_type: "CONTAINS",
        related_spdx_element: to.to_string(),
    }
}

fn bare_package(spdx_id: String) -> Package {
    Package {
        spdx_id,
        name: String::new(),
        version_info: String::new(),
        supplier: NOASSERTION,
        download_location: NOASSERTION,
        files_analyzed: false,
        checksums: Vec::new(),
        source_info: String::new(),
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_string(),
        copyright_text: NOASSERTION,
        external_refs: Vec::new(),
        primary_package_purpose: "LIBRARY",
        annotations: Vec::new(),
    }
}

fn subject_package(report: &Report, subject: &Subject, spdx_id: String) -> Package {
    let checksums = subject
        .version
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|h| Checksum {
            algorithm: "SHA256",
            checksum_value: h.to_ascii_lowercase(),
        })
        .into_iter()
        .collect();
    Package {
        name: subject.name.clone(),
        version_info: subject.version.clone(),
        checksums,
        external_refs: subject.purl.iter().map(|p| purl_ref(p.clone())).collect(),
        primary_package_purpose: if subject.is_image {
            "CONTAINER"
        } else if report.artifact_type == "repository" {
            "SOURCE"
        } else {
            "FILE"
        },
        ..bare_package(spdx_id)
    }
}

fn package(
    e: &Entry<'_>,
    spdx_id: String,
    created: &str,
    annotator: &str,
    licences: &mut Licences,
) -> Package {
    let p = e.package;
    let source_info = if p.src_name.is_empty() {
        String::new()
    } else {
        match catalog::full_source_version(p) {
            Some(v) => format!("built package from: {} {v}", p.src_name),
            None => format!("built package from: {}", p.src_name),
        }
    };
    Package {
        name: p.name.clone(),
        version_info: catalog::full_version(p),
        source_info,
        license_declared: licences.declared(&p.licenses),
        external_refs: if p.identifier.purl.is_empty() {
            Vec::new()
        } else {
            vec![purl_ref(p.identifier.purl.clone())]
        },
        annotations: catalog::package_properties(e)
            .into_iter()
            .map(|(name, value)| Annotation {
                annotation_date: created.to_string(),
                annotation_type: "OTHER",
                annotator: annotator.to_string(),
                comment: format!("{name}: {value}"),
            })
            .collect(),
        ..bare_package(spdx_id)
    }
}

fn purl_ref(locator: String) -> ExternalRef {
    ExternalRef {
        reference_category: "PACKAGE-MANAGER",
        reference_type: "purl",
        reference_locator: locator,
    }
}

/// Licence state of one document: the classifier's memory and the `LicenseRef-`s defined so far.
#[derive(Default)]
struct Licences {
    classifier: license::Classifier,
    extracted: BTreeMap<String, ExtractedLicense>,
}

impl Licences {
    /// All declared licences `AND`-ed into one valid expression; unlisted ones become
    /// `LicenseRef-`s recorded in `extracted`. `NOASSERTION` when the package declares none.
    fn declared(&mut self, raw: &[String]) -> String {
        let mut parts: Vec<String> = Vec::new();
        for l in raw.iter().filter_map(|l| self.classifier.classify(l)) {
            let part = match l {
                License::Id(s) | License::Expression(s) => s,
                License::Other(text) => {
                    let id = license::license_ref(&text);
                    self.extracted
                        .entry(id.clone())
                        .or_insert_with(|| ExtractedLicense {
                            license_id: id.clone(),
                            extracted_text: text.clone(),
                            name: text,
                        });
                    id
                }
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        if parts.is_empty() {
            NOASSERTION.to_string()
        } else {
            license::join_and(&parts)
        }
    }
}

/// SPDX IDs: `SPDXRef-<kind>-<name>-<hash>` reduced to `[A-Za-z0-9.-]`, the hash over the
/// element's identity so IDs are stable across runs and unique within the document.
#[derive(Default)]
struct SpdxIds {
    used: HashSet<String>,
}

impl SpdxIds {
    fn assign(&mut self, kind: &str, identity: &[&str], name: &str) -> String {
        let readable = sanitise(&format!("{kind}-{name}"));
        // Each attempt hashes a new counter, so a free ID turns up at once in practice.
        let mut attempt = 0u64;
        loop {
            let counter = attempt.to_string();
            let mut parts = identity.to_vec();
            parts.push(&counter);
            let id = format!("SPDXRef-{readable}-{}", catalog::short_hash(&parts));
            if self.used.insert(id.clone()) {
                return id;
            }
            attempt += 1;
        }
    }
}

fn sanitise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            c
        } else {
            '-'
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "Package".to_string()
    } else {
        trimmed.chars().take(80).collect()
    }
}
