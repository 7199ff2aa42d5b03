//! Renders a report built from the ground truth of the real `app` image fixture
//! (`../shared/images/out/app/expected.json`: 46 packages in five ecosystems over 8 layers,
//! secrets in a file a later layer deleted) and checks every format against it.

mod common;

use common::*;
use osprey_model::report::{Metadata, Report, ReportOs};
use osprey_model::report::{ReportPackage, ReportResult, ReportSecret, SCHEMA_VERSION};
use osprey_model::{
    Ecosystem, LayerInfo, OsInfo, Package, SecretFinding, SecretLocation, Severity,
};
use osprey_report::{Format, RenderOptions};
use serde_json::Value;

fn expected() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/images/out/app/expected.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{path}: {e}. The shared data folder must sit beside the checkout (../shared).")
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

/// The report a scan of the fixture should produce, made with the model's own conversions.
fn fixture_report(truth: &Value) -> Report {
    let layers: Vec<LayerInfo> = truth["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| LayerInfo {
            index: l["index"].as_u64().unwrap() as usize,
            digest: s(l, "digest").into(),
            diff_id: s(l, "diff_id").into(),
            size: l["size"].as_u64().unwrap_or(0),
            created_by: l["created_by"].as_str().map(String::from),
            history_index: l["history_index"].as_u64().map(|i| i as usize),
        })
        .collect();
    let os = OsInfo {
        family: s(&truth["os"], "id").into(),
        name: s(&truth["os"], "debian_version").into(),
        ..Default::default()
    };

    let mut results: Vec<ReportResult> = Vec::new();
    for p in truth["packages"].as_array().unwrap() {
        let (ecosystem, class, kind, target) = match s(p, "ecosystem") {
            "deb" => (
                Ecosystem::Deb,
                "os-pkgs",
                "debian",
                format!("{} (debian {})", s(truth, "ref"), os.name),
            ),
            "pypi" => (
                Ecosystem::Pypi,
                "lang-pkgs",
                "python-pkg",
                "Python".to_string(),
            ),
            "npm" => (
                Ecosystem::Npm,
                "lang-pkgs",
                "npm",
                "app/node/package-lock.json".to_string(),
            ),
            "cargo" => (
                Ecosystem::Cargo,
                "lang-pkgs",
                "rustbinary",
                "app/bin/rusthello".to_string(),
            ),
            "golang" => (
                Ecosystem::Golang,
                "lang-pkgs",
                "gobinary",
                "app/bin/gohello".to_string(),
            ),
            other => panic!("fixture has a new ecosystem {other}"),
        };
        let mut pkg = Package::new(ecosystem, s(p, "name"), s(p, "version"));
        pkg.source_name = p["source_name"].as_str().map(String::from);
        pkg.source_version = p["source_version"].as_str().map(String::from);
        pkg.arch = p["architecture"].as_str().map(String::from);
        pkg.location.path = s(p, "path").into();
        pkg.location.layer = p["layer"].as_u64().map(|l| l as usize);
        pkg.direct = p["direct"].as_bool();
        pkg.dev = p["dev"].as_bool().unwrap_or(false);
        pkg.root = s(p, "role") == "root-project";
        pkg.pkg_type = kind.into();
        pkg.purl = match ecosystem {
            Ecosystem::Deb => format!(
                "pkg:deb/debian/{}@{}?arch={}&distro=debian-{}",
                pkg.name,
                pkg.version.replace('+', "%2B"),
                pkg.arch.clone().unwrap_or_default(),
                os.name
            ),
            _ => format!(
                "pkg:{}/{}@{}",
                ecosystem.as_str(),
                pkg.name.to_lowercase(),
                pkg.version
            ),
        };
        let rp = ReportPackage::from_package(&pkg, &layers);
        match results.iter_mut().find(|r| r.target == target) {
            Some(r) => r.packages.push(rp),
            None => results.push(ReportResult {
                target,
                class: class.into(),
                r#type: kind.into(),
                packages: vec![rp],
                ..Default::default()
            }),
        }
    }
    for secret in truth["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| s(x, "location") == "file")
    {
        let line = secret["line"].as_u64().unwrap() as usize;
        let finding = SecretFinding {
            rule_id: s(secret, "kind").into(),
            category: "fixture".into(),
            severity: Severity::Critical,
            title: s(secret, "kind").into(),
            start_line: line,
            end_line: line,
            redacted_match: "*".repeat(s(secret, "value").len()),
            location: SecretLocation::File {
                path: s(secret, "path").into(),
                layer: secret["layer"].as_u64().map(|l| l as usize),
                in_final_fs: secret["in_final_fs"].as_bool().unwrap(),
            },
            code: Vec::new(),
        };
        let target = s(secret, "path").to_string();
        let rs = ReportSecret::from_finding(&finding, &layers);
        match results.iter_mut().find(|r| r.target == target) {
            Some(r) => r.secrets.push(rs),
            None => results.push(ReportResult {
                target,
                class: "secret".into(),
                secrets: vec![rs],
                ..Default::default()
            }),
        }
    }

    let manifest = s(&truth["oci"], "manifest_digest");
    let name = s(truth, "ref").rsplit_once(':').map(|(n, _)| n).unwrap();
    Report {
        schema_version: SCHEMA_VERSION,
        created_at: String::new(),
        artifact_name: s(truth, "ref").into(),
        artifact_type: "container_image".into(),
        metadata: Metadata {
            os: Some(ReportOs::from(&os)),
            image_id: s(&truth["oci"], "config_digest").into(),
            diff_ids: layers.iter().map(|l| l.diff_id.clone()).collect(),
            repo_tags: vec![s(truth, "ref").into()],
            repo_digests: vec![format!("{name}@{manifest}")],
            image_config: Value::Null,
            layers: layers.iter().map(Into::into).collect(),
        },
        results,
    }
}

#[test]
fn fixture_image_renders_validly_with_every_package_and_layer() {
    let truth = expected();
    let report = fixture_report(&truth);
    let expected_packages = truth["packages"].as_array().unwrap();
    assert_eq!(
        expected_packages.len(),
        46,
        "fixture changed; review this test"
    );

    let bom = render_json(&report, Format::CycloneDx);
    assert_valid(Format::CycloneDx, &bom);
    assert_eq!(
        bom["metadata"]["component"]["version"],
        truth["oci"]["manifest_digest"]
    );
    assert_eq!(bom["metadata"]["component"]["name"], "scanner-fixtures/app");
    let libraries: Vec<&Value> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .collect();
    assert_eq!(libraries.len(), expected_packages.len());
    for (p, c) in expected_packages.iter().zip(&libraries) {
        let full_name = match c["group"].as_str() {
            Some(scope) => format!("{scope}/{}", s(c, "name")),
            None => s(c, "name").to_string(),
        };
        assert_eq!(full_name, s(p, "name"));
        assert_eq!(
            c["version"], p["version"],
            "{}: full version survives Trivy's split",
            p["name"]
        );
        let layer = p["layer"].as_u64().unwrap() as usize;
        let diff_id = &truth["layers"][layer]["diff_id"];
        let props = c["properties"].as_array().unwrap();
        assert!(
            props
                .iter()
                .any(|x| x["name"] == "osprey:LayerDiffID" && &x["value"] == diff_id),
            "{} carries its layer's diff_id",
            p["name"]
        );
    }

    let doc = render_json(&report, Format::SpdxJson);
    assert_valid(Format::SpdxJson, &doc);
    assert_eq!(
        doc["packages"].as_array().unwrap().len(),
        expected_packages.len() + 2
    );

    let log = render_json(&report, Format::Sarif);
    assert_valid(Format::Sarif, &log);
    let file_secrets: Vec<&Value> = truth["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["location"] == "file")
        .collect();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), file_secrets.len());
    for (expected, got) in file_secrets.iter().zip(results) {
        assert_eq!(got["ruleId"], expected["kind"]);
        assert_eq!(
            got["locations"][0]["physicalLocation"]["region"]["startLine"],
            expected["line"]
        );
        let deleted = !expected["in_final_fs"].as_bool().unwrap();
        assert_eq!(
            got["properties"]["deletedInFinalFilesystem"]
                .as_bool()
                .unwrap_or(false),
            deleted
        );
        let text = got["message"]["text"].as_str().unwrap();
        assert!(
            !text.contains(expected["value"].as_str().unwrap()),
            "the secret value never reaches SARIF"
        );
    }

    let table = render_to_string(
        &report,
        Format::Table,
        &RenderOptions {
            list_packages: true,
            ..opts()
        },
    );
    for p in expected_packages {
        assert!(
            table.contains(p["name"].as_str().unwrap()),
            "{} listed",
            p["name"]
        );
    }
    assert!(table.contains("(deleted)"));
}
