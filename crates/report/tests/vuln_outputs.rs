//! Renderings of a real vulnerability report: `tests/data/app-vulns.json` is `osprey image
//! oci:shared/images/out/app/oci:latest --scanners vuln -f json` with a store built from
//! `shared/vulndata`, trimmed to six findings per result (descriptions cut, image config
//! dropped) to keep the file small.

mod common;

use common::{assert_valid, render_json};
use osprey_model::report::Report;
use osprey_report::Format;
use std::collections::BTreeSet;

fn report() -> Report {
    serde_json::from_str(include_str!("data/app-vulns.json")).expect("report parses")
}

fn vuln_ids(r: &Report) -> BTreeSet<String> {
    r.results
        .iter()
        .flat_map(|x| x.vulnerabilities.iter().map(|v| v.vulnerability_id.clone()))
        .collect()
}

#[test]
fn sarif_has_one_rule_per_vulnerability_and_locates_packages() {
    let r = report();
    let log = render_json(&r, Format::Sarif);
    assert_valid(Format::Sarif, &log);
    let run = &log["runs"][0];
    let rules: BTreeSet<String> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rules, vuln_ids(&r));
    let results = run["results"].as_array().unwrap();
    let smallvec = results
        .iter()
        .find(|x| x["ruleId"] == "CVE-2021-25900")
        .expect("smallvec result");
    assert_eq!(
        smallvec["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/bin/rusthello"
    );
    assert_eq!(smallvec["level"], "error");
}

#[test]
fn cyclonedx_vulnerabilities_affect_component_refs() {
    let r = report();
    let bom = render_json(&r, Format::CycloneDx);
    assert_valid(Format::CycloneDx, &bom);
    let refs: BTreeSet<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    let ids: BTreeSet<String> = vulns
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vuln_ids(&r));
    for v in vulns {
        let affects = v["affects"].as_array().unwrap();
        assert!(!affects.is_empty(), "{v}");
        for a in affects {
            assert!(refs.contains(a["ref"].as_str().unwrap()), "{a}");
        }
    }
}

#[test]
fn openvex_states_every_finding_per_package_purl() {
    let r = report();
    let doc = render_json(&r, Format::OpenVex);
    assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0");
    assert!(
        doc["@id"]
            .as_str()
            .unwrap()
            .starts_with("https://openvex.dev/docs/public/vex-")
    );
    assert_eq!(doc["version"], 1);
    let statements = doc["statements"].as_array().unwrap();
    let expected: usize = r.results.iter().map(|x| x.vulnerabilities.len()).sum();
    assert_eq!(statements.len(), expected);
    for s in statements {
        assert_eq!(s["status"], "affected");
        assert!(
            s["action_statement"]
                .as_str()
                .is_some_and(|a| !a.is_empty())
        );
        let purl = s["products"][0]["@id"].as_str().unwrap();
        assert!(purl.starts_with("pkg:"), "{purl}");
        assert_eq!(s["products"][0]["identifiers"]["purl"], purl);
    }
}
