//! Options, determinism and failure paths of `render`.

mod common;

use common::*;
use osprey_report::{Error, Format, RenderOptions, render};
use std::io::{self, Write};

#[test]
fn format_names_round_trip_and_unknown_names_are_refused() {
    for f in Format::ALL {
        assert_eq!(f.to_string().parse::<Format>().unwrap(), f);
        assert_eq!(f.as_str().to_uppercase().parse::<Format>().unwrap(), f);
    }
    let err = "spdx".parse::<Format>().unwrap_err();
    assert!(matches!(err, Error::UnknownFormat(ref s) if s == "spdx"));
    assert!(err.to_string().contains("spdx-json"), "{err}");
}

#[test]
fn same_inputs_give_same_bytes_and_the_seed_changes_identity() {
    let report = image_report();
    for f in Format::ALL {
        assert_eq!(
            render_to_string(&report, f, &opts()),
            render_to_string(&report, f, &opts()),
            "{f} is deterministic"
        );
    }
    let other_seed = RenderOptions {
        namespace_seed: "another".into(),
        ..opts()
    };
    let a = render_json(&report, Format::CycloneDx);
    let b: serde_json::Value =
        serde_json::from_str(&render_to_string(&report, Format::CycloneDx, &other_seed)).unwrap();
    assert_ne!(a["serialNumber"], b["serialNumber"]);
    let a = render_json(&report, Format::SpdxJson);
    let b: serde_json::Value =
        serde_json::from_str(&render_to_string(&report, Format::SpdxJson, &other_seed)).unwrap();
    assert_ne!(a["documentNamespace"], b["documentNamespace"]);
    let later = RenderOptions {
        timestamp: Some("2024-05-01T12:00:01Z".into()),
        ..opts()
    };
    let c: serde_json::Value =
        serde_json::from_str(&render_to_string(&report, Format::SpdxJson, &later)).unwrap();
    assert_ne!(
        a["documentNamespace"], c["documentNamespace"],
        "a new document gets a new namespace"
    );
}

#[test]
fn timestamp_falls_back_to_created_at_in_utc() {
    let opts = RenderOptions {
        timestamp: None,
        ..opts()
    };
    let bom: serde_json::Value =
        serde_json::from_str(&render_to_string(&image_report(), Format::CycloneDx, &opts)).unwrap();
    // CreatedAt is 2024-05-01T11:59:00+02:00.
    assert_eq!(bom["metadata"]["timestamp"], "2024-05-01T09:59:00Z");
}

#[test]
fn timestamp_falls_back_to_now_when_the_report_has_none() {
    let opts = RenderOptions {
        timestamp: None,
        ..opts()
    };
    let doc: serde_json::Value =
        serde_json::from_str(&render_to_string(&empty_report(), Format::SpdxJson, &opts)).unwrap();
    let created = doc["creationInfo"]["created"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");
    assert!(created[..4] >= *"2025", "{created}");
}

#[test]
fn bad_timestamps_are_refused_with_their_origin() {
    let bad_option = RenderOptions {
        timestamp: Some("last tuesday".into()),
        ..opts()
    };
    for f in [Format::CycloneDx, Format::SpdxJson] {
        let err = render(&image_report(), f, &mut Vec::new(), &bad_option).unwrap_err();
        assert!(
            matches!(err, Error::InvalidTimestamp { ref value, origin } if value == "last tuesday" && origin == "RenderOptions.timestamp"),
            "{err}"
        );
    }
    let mut report = image_report();
    report.created_at = "2024-13-40T99:00:00Z".into();
    let no_option = RenderOptions {
        timestamp: None,
        ..opts()
    };
    let err = render(&report, Format::CycloneDx, &mut Vec::new(), &no_option).unwrap_err();
    assert!(err.to_string().contains("report CreatedAt"), "{err}");
    // Formats without a document time do not care.
    for f in [Format::Table, Format::Json, Format::Sarif] {
        render(&report, f, &mut Vec::new(), &no_option).unwrap();
    }
}

struct BrokenPipe;

impl Write for BrokenPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::BrokenPipe,
            "reader went away",
        ))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_failures_name_the_format() {
    for f in Format::ALL {
        let err = render(&image_report(), f, &mut BrokenPipe, &opts()).unwrap_err();
        match &err {
            Error::Write { format, source } => {
                assert_eq!(*format, f);
                assert_eq!(source.kind(), io::ErrorKind::BrokenPipe);
            }
            other => panic!("{f}: expected a write error, got {other}"),
        }
        assert!(err.to_string().contains(f.as_str()), "{err}");
    }
}

#[test]
fn cyclonedx_graph_and_vulnerabilities() {
    let bom = render_json(&image_report(), Format::CycloneDx);
    let image = &bom["metadata"]["component"];
    assert_eq!(image["type"], "container");
    assert_eq!(image["version"], MANIFEST_DIGEST);
    let image_ref = image["bom-ref"].as_str().unwrap();
    let deps = bom["dependencies"].as_array().unwrap();
    let image_deps = deps.iter().find(|d| d["ref"] == image_ref).unwrap();
    let tops: Vec<&str> = image_deps["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(tops.contains(&"osprey:os:debian@12.15"));
    assert!(tops.contains(&"pkg:pypi/django@4.2.1"), "{tops:?}");
    assert!(tops.contains(&"pkg:npm/shop@1.4.0"), "{tops:?}");
    assert!(
        !tops.contains(&"pkg:pypi/sqlparse@0.4.3"),
        "a dependency is not top-level"
    );
    let os = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "operating-system")
        .unwrap();
    assert_eq!(
        (os["name"].as_str(), os["version"].as_str()),
        (Some("debian"), Some("12.15"))
    );

    let libc = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "libc6")
        .unwrap();
    assert_eq!(
        libc["version"], "2.36-9+deb12u4",
        "Trivy's split version is joined back"
    );
    let props: Vec<(String, String)> = libc["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (name, value) in [
        ("osprey:PkgType", "debian"),
        ("osprey:SrcName", "glibc"),
        ("osprey:SrcVersion", "2.36-9+deb12u4"),
        ("osprey:LayerIndex", "0"),
        (
            "osprey:LayerDiffID",
            "sha256:000000000000000000000000000000000000000000000000000000000000d000",
        ),
    ] {
        assert!(
            props.contains(&(name.to_string(), value.to_string())),
            "{name}={value} in {props:?}"
        );
    }

    let vulns = bom["vulnerabilities"].as_array().unwrap();
    let qs = vulns.iter().find(|v| v["id"] == "CVE-2022-24999").unwrap();
    assert_eq!(
        qs["affects"].as_array().unwrap().len(),
        2,
        "one entry per ID, both occurrences affected"
    );
    let suppressed = vulns.iter().find(|v| v["id"] == "CVE-2024-0727").unwrap();
    assert_eq!(suppressed["analysis"]["state"], "not_affected");
    assert_eq!(
        suppressed["affects"][0]["versions"][0]["status"],
        "unaffected"
    );
    let glibc = vulns.iter().find(|v| v["id"] == "CVE-2023-4911").unwrap();
    assert_eq!(glibc["ratings"][0]["method"], "CVSSv31");
    assert_eq!(glibc["ratings"][0]["score"], 7.8);
    assert_eq!(glibc["cwes"], serde_json::json!([787, 122]));
    assert_eq!(glibc["published"], "2023-10-03T18:15:10Z");
    assert!(
        glibc.get("updated").is_none(),
        "an unparseable date is dropped, not emitted"
    );
    let advisories = glibc["advisories"].as_array().unwrap();
    assert!(
        advisories
            .iter()
            .all(|a| a["url"].as_str().unwrap().starts_with("https://"))
    );
}

#[test]
fn licences_are_valid_spdx_or_named() {
    let bom = render_json(&image_report(), Format::CycloneDx);
    let lic = |name: &str| {
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["licenses"]
            .clone()
    };
    assert_eq!(
        lic("libc6"),
        serde_json::json!([{"license": {"id": "LGPL-2.1-only"}}, {"license": {"id": "GPL-2.0-or-later"}}])
    );
    assert_eq!(
        lic("lodash"),
        serde_json::json!([{"expression": "(MIT AND CC0-1.0) AND ISC"}])
    );
    assert_eq!(
        lic("sqlparse"),
        serde_json::json!([{"license": {"name": "BSD"}}]),
        "BSD is not guessed to be a clause variant"
    );
    assert_eq!(
        lic("core"),
        serde_json::json!([{"license": {"name": "MIT OR Apache-2.0"}}, {"license": {"name": "Custom: see LICENSE file"}}]),
        "an expression cannot be mixed with named licences, so it is named"
    );

    let doc = render_json(&image_report(), Format::SpdxJson);
    let pkg = |name: &str| {
        doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        pkg("lodash")["licenseDeclared"],
        "(MIT AND CC0-1.0) AND ISC"
    );
    assert_eq!(
        pkg("libssl3")["licenseDeclared"],
        "Apache-2.0 AND LicenseRef-public-domain"
    );
    assert_eq!(pkg("libssl3")["licenseConcluded"], "NOASSERTION");
    assert_eq!(
        pkg("Django")["externalRefs"][0]["referenceLocator"],
        "pkg:pypi/django@4.2.1"
    );
    assert_eq!(
        pkg("libc6")["sourceInfo"],
        "built package from: glibc 2.36-9+deb12u4"
    );
    let defined: Vec<&str> = doc["hasExtractedLicensingInfos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["licenseId"].as_str().unwrap())
        .collect();
    for p in doc["packages"].as_array().unwrap() {
        let declared = p["licenseDeclared"].as_str().unwrap();
        if declared != "NOASSERTION" {
            let expr =
                spdx::Expression::parse(declared).unwrap_or_else(|e| panic!("{declared}: {e}"));
            for r in expr.requirements() {
                if let spdx::LicenseItem::Other(other) = &r.req.license {
                    let id = format!("LicenseRef-{}", other.lic_ref);
                    assert!(defined.contains(&id.as_str()), "{id} is defined");
                }
            }
        }
    }
}

#[test]
fn sarif_rules_results_and_locations() {
    let log = render_json(&image_report(), Format::Sarif);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 9, "one rule per ID: {ids:?}");
    let qs_rule = rules.iter().find(|r| r["id"] == "CVE-2022-24999").unwrap();
    assert_eq!(
        qs_rule["properties"]["security-severity"], "8.0",
        "the worst occurrence sets the rule"
    );
    let zlib_rule = rules.iter().find(|r| r["id"] == "CVE-2023-45853").unwrap();
    assert_eq!(
        zlib_rule["properties"]["security-severity"], "9.8",
        "the highest CVSS score"
    );
    for r in rules {
        let score: f64 = r["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&score));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        10,
        "6 vulnerability occurrences, 2 secrets, 2 failed checks (a passed one is not a result)"
    );
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(
            !r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
    let fingerprints: std::collections::HashSet<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["osprey/v1"].as_str().unwrap())
        .collect();
    assert_eq!(
        fingerprints.len(),
        results.len(),
        "fingerprints tell occurrences apart"
    );
    let secret = results
        .iter()
        .find(|r| r["ruleId"] == "aws-access-key-id")
        .unwrap();
    assert_eq!(
        secret["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    assert_eq!(secret["properties"]["deletedInFinalFilesystem"], true);
    let suppressed = results
        .iter()
        .find(|r| r["ruleId"] == "CVE-2024-0727")
        .unwrap();
    assert_eq!(suppressed["suppressions"][0]["kind"], "external");
    let qs_levels: Vec<&str> = results
        .iter()
        .filter(|r| r["ruleId"] == "CVE-2022-24999")
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(
        qs_levels,
        ["error", "warning"],
        "each result keeps its own severity"
    );
}

#[test]
fn package_references_never_take_the_image_or_os_reference() {
    let mut report = image_report();
    let bom = render_json(&report, Format::CycloneDx);
    let image_ref = bom["metadata"]["component"]["bom-ref"]
        .as_str()
        .unwrap()
        .to_string();
    // A package whose fallback reference (`target:ID`) spells the OS component's, and one whose
    // PURL is the image's.
    let mut impostor = pkg("debian", "12.15", "", 0);
    impostor.id = "debian@12.15".into();
    let image_twin = pkg("shop", "1.4", &image_ref, 0);
    report.results.push(osprey_model::report::ReportResult {
        target: "osprey:os".into(),
        class: "lang-pkgs".into(),
        r#type: "npm".into(),
        packages: vec![impostor, image_twin],
        ..Default::default()
    });
    let bom = render_json(&report, Format::CycloneDx);
    assert_valid(Format::CycloneDx, &bom);
    let mut refs = std::collections::HashSet::new();
    assert!(refs.insert(bom["metadata"]["component"]["bom-ref"].as_str().unwrap()));
    for c in bom["components"].as_array().unwrap() {
        assert!(
            refs.insert(c["bom-ref"].as_str().unwrap()),
            "duplicate {}",
            c["bom-ref"]
        );
    }
    assert!(refs.contains("osprey:os:debian@12.15"));
}

#[test]
fn malformed_uri_options_are_refused() {
    let bad_base = RenderOptions {
        namespace_base: "my docs".into(),
        ..opts()
    };
    let err = render(
        &image_report(),
        Format::SpdxJson,
        &mut Vec::new(),
        &bad_base,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidUri {
                option: "namespace_base",
                ..
            }
        ),
        "{err}"
    );
    let bad_info = RenderOptions {
        information_uri: Some("osprey home".into()),
        ..opts()
    };
    let err = render(&image_report(), Format::Sarif, &mut Vec::new(), &bad_info).unwrap_err();
    assert!(err.to_string().contains("information_uri"), "{err}");
    let good = RenderOptions {
        information_uri: Some("https://osprey.example/docs".into()),
        namespace_base: "https://sbom.example/docs/".into(),
        ..opts()
    };
    let log = render_to_string(&image_report(), Format::Sarif, &good);
    assert!(log.contains("\"informationUri\": \"https://osprey.example/docs\""));
    let doc: serde_json::Value =
        serde_json::from_str(&render_to_string(&image_report(), Format::SpdxJson, &good)).unwrap();
    assert!(
        doc["documentNamespace"]
            .as_str()
            .unwrap()
            .starts_with("https://sbom.example/docs/registry.example")
    );
}
