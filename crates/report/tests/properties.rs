//! Properties over random reports: every package occurrence becomes exactly one component /
//! SPDX package, every reference resolves, and every document stays schema-valid, whatever
//! names, versions, licences, PURLs and dependency IDs (dangling, duplicated, cyclic) hold.

mod common;

use common::*;
use osprey_model::Severity;
use osprey_model::report::*;
use osprey_report::Format;
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

static CDX: LazyLock<jsonschema::Validator> = LazyLock::new(|| validator(Format::CycloneDx));
static SPDX: LazyLock<jsonschema::Validator> = LazyLock::new(|| validator(Format::SpdxJson));
static SARIF: LazyLock<jsonschema::Validator> = LazyLock::new(|| validator(Format::Sarif));

/// Names from a small pool (so IDs collide across and within results) or arbitrary text.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["libc6", "qs", "@scope/pkg", "Django", "a b", "x"]).prop_map(String::from),
        1 => "\\PC{1,12}",
        1 => "[a-z\\x1b\\x07\\r\\n]{1,8}",
    ]
}

fn licence() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "MIT",
            "GPL-2+",
            "BSD",
            "(MIT OR Apache-2.0) AND ISC",
            "LicenseRef-x",
            "GPL-2.0 WITH Foo",
            "Apache-2.0+",
            "mit/isc",
            "AND",
            "((",
            "LGPL-2.1-or-later WITH Classpath-exception-2.0",
        ])
        .prop_map(String::from),
        "\\PC{0,16}",
    ]
}

prop_compose! {
    fn package(ids: Vec<String>)(
        name in name(),
        version in prop_oneof!["[0-9]\\.[0-9]{1,2}", "\\PC{0,6}"],
        epoch in 0u32..3,
        release in prop_oneof![Just(String::new()), "[0-9a-z~+]{1,4}"],
        purl_kind in 0u8..3,
        licenses in prop::collection::vec(licence(), 0..3),
        deps in prop::collection::vec(prop::sample::select(ids), 0..4),
        layer in prop::option::of(0usize..4),
        path in prop_oneof![Just(String::new()), "[a-z/]{1,20}"],
    ) -> ReportPackage {
        let purl = match purl_kind {
            0 => String::new(),
            1 => format!("pkg:generic/{}@{}", name.replace(' ', "%20"), version),
            _ => "pkg:generic/same@1".to_string(),
        };
        ReportPackage {
            id: format!("{name}@{version}"),
            name,
            identifier: PkgIdentifier { purl, uid: String::new() },
            version,
            epoch,
            release,
            licenses,
            depends_on: deps,
            layer: layer.map(common::layer).unwrap_or_default(),
            file_path: path,
            ..Default::default()
        }
    }
}

fn result() -> impl Strategy<Value = ReportResult> {
    // Dependency IDs are drawn from a pool that overlaps the package IDs generated above.
    let ids: Vec<String> = [
        "libc6@1.0",
        "qs@1.2",
        "Django@1.0",
        "x@1.1",
        "missing@9",
        "a b@1.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    (
        prop::bool::ANY,
        prop_oneof!["\\PC{0,20}", "[a-z\\x1b\\n]{0,8}"],
        prop::collection::vec(package(ids), 0..8),
        prop::collection::vec(
            (
                0usize..8,
                0u8..5,
                prop::sample::select(vec!["fixed", "affected", "not_affected", "will_not_fix"]),
            ),
            0..4,
        ),
    )
        .prop_map(|(os, target, packages, vulns)| {
            let vulnerabilities = vulns
                .into_iter()
                .filter_map(|(i, sev, status)| {
                    let p = packages.get(i)?;
                    let mut v = vuln(
                        &format!("CVE-2024-{i}"),
                        p,
                        Severity::ALL[sev as usize],
                        status,
                    );
                    v.installed_version = p.version.clone();
                    Some(v)
                })
                .collect();
            ReportResult {
                target,
                class: if os { "os-pkgs" } else { "lang-pkgs" }.into(),
                r#type: if os { "debian" } else { "npm" }.into(),
                packages,
                vulnerabilities,
                ..Default::default()
            }
        })
}

fn report() -> impl Strategy<Value = Report> {
    (
        prop::collection::vec(result(), 0..4),
        prop::bool::ANY,
        "\\PC{0,30}",
    )
        .prop_map(|(results, image, name)| {
            let mut r = image_report();
            r.results = results;
            r.artifact_name = name;
            if !image {
                r.artifact_type = "filesystem".into();
                r.metadata = Default::default();
            }
            r
        })
}

fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn cyclonedx_lists_every_package_once_and_resolves_every_reference(report in report()) {
        let bom = render_json(&report, Format::CycloneDx);
        let errs = errors(&CDX, &bom);
        prop_assert!(errs.is_empty(), "{errs:?}");

        let total: usize = report.results.iter().map(|r| r.packages.len()).sum();
        let components = bom["components"].as_array().unwrap();
        let libraries: Vec<&serde_json::Value> = components.iter().filter(|c| c["type"] == "library").collect();
        prop_assert_eq!(libraries.len(), total);
        // Occurrence for occurrence, in report order.
        let expected: Vec<&str> = report.results.iter().flat_map(|r| &r.packages).map(|p| p.name.as_str()).collect();
        let got: Vec<&str> = libraries.iter().map(|c| c["name"].as_str().unwrap()).collect();
        prop_assert_eq!(got, expected);

        let mut refs = HashSet::new();
        refs.insert(bom["metadata"]["component"]["bom-ref"].as_str().unwrap().to_string());
        for c in components {
            prop_assert!(refs.insert(c["bom-ref"].as_str().unwrap().to_string()), "duplicate bom-ref {}", c["bom-ref"]);
        }
        let mut with_entry = HashSet::new();
        for d in bom["dependencies"].as_array().unwrap() {
            let r = d["ref"].as_str().unwrap();
            prop_assert!(refs.contains(r), "dependency ref {r} resolves");
            prop_assert!(with_entry.insert(r.to_string()), "one dependency entry per ref");
            for t in d["dependsOn"].as_array().unwrap() {
                prop_assert!(refs.contains(t.as_str().unwrap()), "dependsOn {t} resolves");
            }
        }
        prop_assert_eq!(with_entry.len(), refs.len(), "every component has a dependency entry");
        // Every component is reachable from the image along dependencies.
        let graph: HashMap<&str, Vec<&str>> = bom["dependencies"].as_array().unwrap().iter()
            .map(|d| (d["ref"].as_str().unwrap(), d["dependsOn"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect()))
            .collect();
        let mut seen = HashSet::new();
        let mut stack = vec![bom["metadata"]["component"]["bom-ref"].as_str().unwrap()];
        while let Some(r) = stack.pop() {
            if seen.insert(r) {
                stack.extend(graph[r].iter().copied());
            }
        }
        prop_assert_eq!(seen.len(), refs.len(), "all reachable from the image");
        for v in bom["vulnerabilities"].as_array().into_iter().flatten() {
            for a in v["affects"].as_array().unwrap() {
                prop_assert!(refs.contains(a["ref"].as_str().unwrap()));
            }
        }
    }

    #[test]
    fn cyclonedx_keeps_every_resolvable_dependency(report in report()) {
        let bom = render_json(&report, Format::CycloneDx);
        let libraries: Vec<&serde_json::Value> = bom["components"].as_array().unwrap().iter().filter(|c| c["type"] == "library").collect();
        let deps: HashMap<&str, Vec<&str>> = bom["dependencies"].as_array().unwrap().iter()
            .map(|d| (d["ref"].as_str().unwrap(), d["dependsOn"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect()))
            .collect();
        let packages: Vec<(&ReportResult, &ReportPackage)> = report.results.iter().flat_map(|r| r.packages.iter().map(move |p| (r, p))).collect();
        for (i, (result, p)) in packages.iter().enumerate() {
            let me = libraries[i]["bom-ref"].as_str().unwrap();
            for dep in &p.depends_on {
                // Resolvable within the same result (and not the package itself): must be kept.
                if let Some(j) = result.packages.iter().position(|q| &q.id == dep) {
                    let offset = packages.iter().position(|(r, _)| std::ptr::eq(*r, *result)).unwrap();
                    let target = libraries[offset + j]["bom-ref"].as_str().unwrap();
                    if target != me {
                        prop_assert!(deps[me].contains(&target), "{me} -> {target} kept");
                    }
                }
            }
        }
    }

    #[test]
    fn spdx_lists_every_package_once_and_resolves_every_relationship(report in report()) {
        let doc = render_json(&report, Format::SpdxJson);
        let errs = errors(&SPDX, &doc);
        prop_assert!(errs.is_empty(), "{errs:?}");

        let total: usize = report.results.iter().map(|r| r.packages.len()).sum();
        let packages = doc["packages"].as_array().unwrap();
        let extra = 1 + usize::from(report.metadata.os.is_some());
        prop_assert_eq!(packages.len(), total + extra);
        let mut ids = HashSet::new();
        for p in packages {
            let id = p["SPDXID"].as_str().unwrap();
            prop_assert!(ids.insert(id.to_string()), "duplicate {id}");
            let rest = id.strip_prefix("SPDXRef-").unwrap();
            prop_assert!(rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'), "{id}");
            let declared = p["licenseDeclared"].as_str().unwrap();
            prop_assert!(declared == "NOASSERTION" || spdx::Expression::parse(declared).is_ok(), "{declared}");
        }
        let subject = packages[0]["SPDXID"].as_str().unwrap();
        let mut contained = HashSet::new();
        for r in doc["relationships"].as_array().unwrap() {
            let from = r["spdxElementId"].as_str().unwrap();
            let to = r["relatedSpdxElement"].as_str().unwrap();
            prop_assert!(from == "SPDXRef-DOCUMENT" || ids.contains(from), "{from}");
            prop_assert!(ids.contains(to), "{to}");
            if r["relationshipType"] == "CONTAINS" && from == subject {
                contained.insert(to);
            }
        }
        prop_assert_eq!(contained.len(), packages.len() - 1, "the subject contains every other package");
    }

    #[test]
    fn sarif_is_valid_and_indexes_its_rules(report in report()) {
        let log = render_json(&report, Format::Sarif);
        let errs = errors(&SARIF, &log);
        prop_assert!(errs.is_empty(), "{errs:?}");
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: HashSet<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        prop_assert_eq!(ids.len(), rules.len(), "one rule per ID");
        let total: usize = report.results.iter().map(|r| r.vulnerabilities.len()).sum();
        prop_assert_eq!(run["results"].as_array().unwrap().len(), total);
        for r in run["results"].as_array().unwrap() {
            prop_assert_eq!(&rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], &r["ruleId"]);
        }
    }

    #[test]
    fn table_and_json_render_anything(report in report()) {
        let listing = osprey_report::RenderOptions { list_packages: true, ..opts() };
        let table = render_to_string(&report, Format::Table, &opts())
            + &render_to_string(&report, Format::Table, &listing);
        prop_assert!(!table.chars().any(|c| c.is_control() && c != '\n'), "no control characters reach the terminal");
        for r in report.results.iter().filter(|r| !r.target.chars().any(char::is_control)) {
            prop_assert!(table.contains(&r.target));
        }
        let json = render_to_string(&report, Format::Json, &opts());
        let back: Report = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, report);
    }
}
