//! Shared test inputs: a representative image report, deterministic options, and validators
//! built from the vendored official schemas (see `tests/schemas/PROVENANCE.md`).
#![allow(dead_code)] // each test binary uses a different part of this module

use osprey_model::Severity;
use osprey_model::report::*;
use osprey_report::{Format, RenderOptions, render};
use std::collections::BTreeMap;

pub const IMAGE_ID: &str =
    "sha256:5f1c2a3b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
pub const MANIFEST_DIGEST: &str =
    "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

pub fn opts() -> RenderOptions {
    RenderOptions {
        timestamp: Some("2024-05-01T12:00:00Z".into()),
        tool_version: "0.1.0".into(),
        namespace_seed: "tests".into(),
        ..RenderOptions::default()
    }
}

pub fn layer(index: usize) -> ReportLayer {
    ReportLayer {
        digest: format!("sha256:{:064x}", 0xa000 + index),
        diff_id: format!("sha256:{:064x}", 0xd000 + index),
        created_by: Some(format!("RUN step {index}")),
        index: Some(index),
        history_index: Some(index + 1),
    }
}

pub fn pkg(name: &str, version: &str, purl: &str, layer_index: usize) -> ReportPackage {
    ReportPackage {
        id: format!("{name}@{version}"),
        name: name.into(),
        identifier: PkgIdentifier {
            purl: purl.into(),
            uid: String::new(),
        },
        version: version.into(),
        layer: layer(layer_index),
        ..Default::default()
    }
}

pub fn vuln(id: &str, p: &ReportPackage, severity: Severity, status: &str) -> ReportVulnerability {
    ReportVulnerability {
        vulnerability_id: id.into(),
        pkg_id: p.id.clone(),
        pkg_name: p.name.clone(),
        pkg_path: p.file_path.clone(),
        pkg_identifier: p.identifier.clone(),
        installed_version: p
            .id
            .split_once('@')
            .map(|(_, v)| v.to_string())
            .unwrap_or_default(),
        status: status.into(),
        layer: p.layer.clone(),
        severity,
        primary_url: format!("https://avd.example/{id}"),
        title: format!("{} flaw tracked as {id}", p.name),
        ..Default::default()
    }
}

/// An image with Debian, PyPI and npm packages (with dependencies, a duplicate occurrence and
/// a dangling `DependsOn`), vulnerabilities in every VEX-ish status, secrets (one deleted) and
/// misconfigurations (failed and passed).
pub fn image_report() -> Report {
    // Debian: versions split as Trivy splits them.
    let mut libc6 = pkg(
        "libc6",
        "2.36",
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.15",
        0,
    );
    libc6.id = "libc6@2.36-9+deb12u4".into();
    libc6.release = "9+deb12u4".into();
    libc6.arch = "amd64".into();
    libc6.src_name = "glibc".into();
    libc6.src_version = "2.36".into();
    libc6.src_release = "9+deb12u4".into();
    libc6.licenses = vec!["LGPL-2.1".into(), "GPL-2.0+".into()];
    let mut zlib = pkg(
        "zlib1g",
        "1.2.13.dfsg",
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12.15",
        0,
    );
    zlib.id = "zlib1g@1:1.2.13.dfsg-1".into();
    zlib.epoch = 1;
    zlib.release = "1".into();
    zlib.src_name = "zlib".into();
    zlib.licenses = vec!["Zlib".into()];
    zlib.depends_on = vec!["libc6@2.36-9+deb12u4".into()];
    let mut libssl = pkg(
        "libssl3",
        "3.0.11",
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.15",
        0,
    );
    libssl.id = "libssl3@3.0.11-1~deb12u2".into();
    libssl.release = "1~deb12u2".into();
    libssl.src_name = "openssl".into();
    libssl.licenses = vec!["Apache-2.0".into(), "public-domain".into()];
    libssl.depends_on = vec![
        "libc6@2.36-9+deb12u4".into(),
        "zlib1g@1:1.2.13.dfsg-1".into(),
    ];

    let mut glibc_vuln = vuln("CVE-2023-4911", &libc6, Severity::High, "fixed");
    glibc_vuln.installed_version = "2.36-9+deb12u4".into();
    glibc_vuln.fixed_version = "2.36-9+deb12u5".into();
    glibc_vuln.vendor_ids = vec!["DSA-5514-1".into()];
    glibc_vuln.severity_source = "debian".into();
    glibc_vuln.data_source = Some(DataSource {
        id: "debian".into(),
        name: "Debian Security Tracker".into(),
        url: "https://salsa.debian.org/security-tracker-team/security-tracker".into(),
    });
    glibc_vuln.cwe_ids = vec!["CWE-787".into(), "CWE-122".into()];
    glibc_vuln.vendor_severity = BTreeMap::from([("debian".into(), 3), ("nvd".into(), 3)]);
    glibc_vuln.cvss = BTreeMap::from([(
        "nvd".to_string(),
        Cvss {
            v3_vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H".into(),
            v3_score: Some(7.8),
            ..Default::default()
        },
    )]);
    glibc_vuln.references = vec![
        "https://www.qualys.com/2023/10/03/cve-2023-4911/looney-tunables-local-privilege-escalation-glibc-ld-so.txt".into(),
        "not a url, just words".into(),
    ];
    glibc_vuln.published_date = Some("2023-10-03T18:15:10.183Z".into());
    glibc_vuln.last_modified_date = Some("yesterday".into());
    glibc_vuln.description =
        "A buffer overflow in the dynamic loader's GLIBC_TUNABLES handling.".into();
    let mut zlib_vuln = vuln("CVE-2023-45853", &zlib, Severity::Critical, "will_not_fix");
    zlib_vuln.installed_version = "1:1.2.13.dfsg-1".into();
    zlib_vuln.cvss = BTreeMap::from([(
        "nvd".to_string(),
        Cvss {
            v3_vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
            v3_score: Some(9.8),
            v40_vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
            v40_score: Some(9.3),
        },
    )]);
    let mut ssl_vuln = vuln("CVE-2024-0727", &libssl, Severity::Low, "not_affected");
    ssl_vuln.installed_version = "3.0.11-1~deb12u2".into();
    ssl_vuln.published_date = Some("2024-01-26".into());

    let os_result = ReportResult {
        target: "registry.example/acme/shop:1.4 (debian 12.15)".into(),
        class: "os-pkgs".into(),
        r#type: "debian".into(),
        packages: vec![libc6, zlib, libssl],
        vulnerabilities: vec![glibc_vuln, zlib_vuln, ssl_vuln],
        ..Default::default()
    };

    // Python: Django depends on sqlparse and asgiref.
    let site = "usr/local/lib/python3.11/site-packages";
    let mut django = pkg("Django", "4.2.1", "pkg:pypi/django@4.2.1", 3);
    django.file_path = format!("{site}/Django-4.2.1.dist-info/METADATA");
    django.licenses = vec!["BSD-3-Clause".into()];
    django.depends_on = vec!["sqlparse@0.4.3".into(), "asgiref@3.7.2".into()];
    let mut sqlparse = pkg("sqlparse", "0.4.3", "pkg:pypi/sqlparse@0.4.3", 3);
    sqlparse.file_path = format!("{site}/sqlparse-0.4.3.dist-info/METADATA");
    sqlparse.licenses = vec!["BSD".into()];
    let mut asgiref = pkg("asgiref", "3.7.2", "pkg:pypi/asgiref@3.7.2", 3);
    asgiref.file_path = format!("{site}/asgiref-3.7.2.dist-info/METADATA");
    asgiref.licenses = vec!["BSD License".into()];
    let mut django_vuln = vuln("CVE-2023-36053", &django, Severity::High, "fixed");
    django_vuln.fixed_version = "3.2.20, 4.1.10, 4.2.3".into();
    django_vuln.vendor_ids = vec!["GHSA-jh3w-4vvf-mjgr".into(), "PYSEC-2023-100".into()];
    django_vuln.cvss = BTreeMap::from([(
        "ghsa".to_string(),
        Cvss {
            v3_vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
            v3_score: Some(7.5),
            ..Default::default()
        },
    )]);
    let python_result = ReportResult {
        target: "Python".into(),
        class: "lang-pkgs".into(),
        r#type: "python-pkg".into(),
        packages: vec![django, sqlparse, asgiref],
        vulnerabilities: vec![django_vuln],
        ..Default::default()
    };

    // npm: a root project, a nested duplicate of qs, a cycle and a dangling dependency.
    let mut shop = pkg("shop", "1.4.0", "pkg:npm/shop@1.4.0", 5);
    shop.relationship = "root".into();
    shop.licenses = vec!["UNLICENSED".into()];
    shop.depends_on = vec!["express@4.18.2".into(), "@babel/core@7.22.0".into()];
    let mut express = pkg("express", "4.18.2", "pkg:npm/express@4.18.2", 5);
    express.relationship = "direct".into();
    express.licenses = vec!["MIT".into()];
    express.depends_on = vec![
        "qs@6.11.0".into(),
        "body-parser@1.20.1".into(),
        "left-pad@0.0.0".into(),
    ];
    let mut body_parser = pkg("body-parser", "1.20.1", "pkg:npm/body-parser@1.20.1", 5);
    body_parser.indirect = true;
    body_parser.licenses = vec!["MIT".into()];
    body_parser.depends_on = vec!["qs@6.11.0".into(), "express@4.18.2".into()];
    let mut qs = pkg("qs", "6.11.0", "pkg:npm/qs@6.11.0", 5);
    qs.indirect = true;
    qs.file_path = "app/node_modules/qs/package.json".into();
    qs.licenses = vec!["BSD-3-Clause".into()];
    let mut qs_nested = qs.clone();
    qs_nested.file_path = "app/node_modules/body-parser/node_modules/qs/package.json".into();
    let mut babel = pkg("@babel/core", "7.22.0", "pkg:npm/%40babel/core@7.22.0", 5);
    babel.dev = true;
    babel.licenses = vec![
        "MIT OR Apache-2.0".into(),
        "Custom: see LICENSE file".into(),
    ];
    let mut lodash = pkg("lodash", "4.17.20", "pkg:npm/lodash@4.17.20", 5);
    lodash.licenses = vec!["(MIT AND CC0-1.0)".into(), "ISC".into()];
    let mut qs_vuln = vuln("CVE-2022-24999", &qs_nested, Severity::High, "fixed");
    qs_vuln.fixed_version = "6.11.1".into();
    let mut qs_vuln_top = vuln("CVE-2022-24999", &qs, Severity::Medium, "fixed");
    qs_vuln_top.fixed_version = "6.11.1".into();
    let npm_result = ReportResult {
        target: "app/package-lock.json".into(),
        class: "lang-pkgs".into(),
        r#type: "npm".into(),
        packages: vec![shop, express, body_parser, qs, qs_nested, babel, lodash],
        vulnerabilities: vec![qs_vuln, qs_vuln_top],
        ..Default::default()
    };

    let secret_result = ReportResult {
        target: "app/.env".into(),
        class: "secret".into(),
        secrets: vec![
            ReportSecret {
                rule_id: "aws-access-key-id".into(),
                category: "AWS".into(),
                severity: Severity::Critical,
                title: "AWS Access Key ID".into(),
                start_line: 3,
                end_line: 3,
                code: Code::default(),
                redacted_match: "AWS_ACCESS_KEY_ID=********************".into(),
                layer: Some(layer(6)),
                deleted: true,
            },
            ReportSecret {
                rule_id: "github-pat".into(),
                category: "GitHub".into(),
                severity: Severity::High,
                title: "GitHub Personal Access Token".into(),
                start_line: 7,
                end_line: 7,
                code: Code::default(),
                redacted_match: "GITHUB_TOKEN=****************************************".into(),
                layer: Some(layer(6)),
                deleted: false,
            },
        ],
        ..Default::default()
    };

    let config_result = ReportResult {
        target: "Dockerfile".into(),
        class: "config".into(),
        r#type: "dockerfile".into(),
        misconf_summary: Some(MisconfSummary {
            successes: 20,
            failures: 2,
        }),
        misconfigurations: vec![
            ReportMisconfiguration {
                r#type: "dockerfile".into(),
                id: "OSP-DS-002".into(),
                title: "Image user should not be 'root'".into(),
                description: "Running containers as root widens the blast radius of a compromise."
                    .into(),
                message:
                    "Specify at least 1 USER command in Dockerfile with non-root user as argument"
                        .into(),
                namespace: "builtin.dockerfile.DS002".into(),
                resolution: "Add 'USER <non root user name>' line to the Dockerfile".into(),
                severity: Severity::High,
                primary_url: "https://osprey.example/checks/OSP-DS-002".into(),
                references: vec![
                    "https://docs.docker.com/develop/develop-images/dockerfile_best-practices/"
                        .into(),
                ],
                status: "FAIL".into(),
                layer: None,
                cause_metadata: CauseMetadata {
                    provider: "Dockerfile".into(),
                    service: "general".into(),
                    ..Default::default()
                },
            },
            ReportMisconfiguration {
                r#type: "dockerfile".into(),
                id: "OSP-DS-026".into(),
                title: "No HEALTHCHECK defined".into(),
                message: "Add HEALTHCHECK instruction in your Dockerfile".into(),
                severity: Severity::Low,
                status: "FAIL".into(),
                cause_metadata: CauseMetadata {
                    resource: "FROM debian:12".into(),
                    start_line: 1,
                    end_line: 4,
                    ..Default::default()
                },
                ..Default::default()
            },
            ReportMisconfiguration {
                r#type: "dockerfile".into(),
                id: "OSP-DS-005".into(),
                title: "ADD instead of COPY".into(),
                message: "passed".into(),
                severity: Severity::Low,
                status: "PASS".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    };

    Report {
        schema_version: SCHEMA_VERSION,
        created_at: "2024-05-01T11:59:00+02:00".into(),
        artifact_name: "registry.example/acme/shop:1.4".into(),
        artifact_type: "container_image".into(),
        metadata: Metadata {
            os: Some(ReportOs {
                family: "debian".into(),
                name: "12.15".into(),
                eosl: false,
            }),
            image_id: IMAGE_ID.into(),
            diff_ids: (0..7).map(|i| layer(i).diff_id).collect(),
            repo_tags: vec!["registry.example/acme/shop:1.4".into()],
            repo_digests: vec![format!("registry.example/acme/shop@{MANIFEST_DIGEST}")],
            image_config: serde_json::json!({"architecture": "amd64", "os": "linux", "config": {"User": ""}}),
            layers: (0..7).map(layer).collect(),
        },
        results: vec![
            os_result,
            python_result,
            npm_result,
            secret_result,
            config_result,
        ],
    }
}

pub fn empty_report() -> Report {
    Report {
        schema_version: SCHEMA_VERSION,
        artifact_name: "empty".into(),
        artifact_type: "filesystem".into(),
        ..Default::default()
    }
}

pub fn render_to_string(report: &Report, format: Format, opts: &RenderOptions) -> String {
    let mut out = Vec::new();
    render(report, format, &mut out, opts).expect("render");
    String::from_utf8(out).expect("utf-8 output")
}

pub fn render_json(report: &Report, format: Format) -> serde_json::Value {
    serde_json::from_str(&render_to_string(report, format, &opts())).expect("valid JSON")
}

fn schema(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

/// A validator for `format` from the official schema, with every `$ref` served offline.
pub fn validator(format: Format) -> jsonschema::Validator {
    let (main, extra): (&str, &[(&str, &str)]) = match format {
        Format::CycloneDx => (
            "bom-1.6.SNAPSHOT.schema.json",
            &[
                (
                    "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
                    "spdx.SNAPSHOT.schema.json",
                ),
                (
                    "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
                    "jsf-0.82.SNAPSHOT.schema.json",
                ),
            ],
        ),
        Format::SpdxJson => ("spdx-2.3.schema.json", &[]),
        Format::Sarif => ("sarif-2.1.0.schema.json", &[]),
        other => panic!("no schema for {other}"),
    };
    let mut registry = jsonschema::Registry::new();
    for (uri, file) in extra {
        registry = registry.add(*uri, schema(file)).expect("register schema");
    }
    let registry = registry.prepare().expect("prepare registry");
    // The registry is borrowed by the options only while building.
    let registry: &'static _ = Box::leak(Box::new(registry));
    let mut main = schema(main);
    if format == Format::Sarif {
        escape_stray_bracket(&mut main);
    }
    jsonschema::options()
        .with_registry(registry)
        .should_validate_formats(true)
        .build(&main)
        .unwrap_or_else(|e| panic!("compiling the {format} schema: {e}"))
}

/// The OASIS SARIF 2.1.0 schema's `language` pattern, `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`,
/// has a stray `]` that ECMA-262 (Annex B) reads as a literal but the validator's regex
/// check rejects. Escaping it keeps the meaning and lets the schema compile.
fn escape_stray_bracket(schema: &mut serde_json::Value) {
    const STRAY: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    const ESCAPED: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$";
    let mut replaced = 0;
    let mut stack = vec![schema];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                if map.get("pattern").and_then(|p| p.as_str()) == Some(STRAY) {
                    map.insert("pattern".into(), ESCAPED.into());
                    replaced += 1;
                }
                stack.extend(map.values_mut());
            }
            serde_json::Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    assert!(
        replaced > 0,
        "the SARIF schema's language pattern moved; revisit this fix-up"
    );
}

/// Panics with every schema violation listed.
pub fn assert_valid(format: Format, doc: &serde_json::Value) {
    let v = validator(format);
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{format} output violates its schema:\n{}",
        errors.join("\n")
    );
}
