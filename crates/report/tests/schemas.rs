//! Every JSON format validates against its official schema (vendored, offline), for a
//! representative image report, an empty report and a filesystem report.

mod common;

use common::*;
use osprey_report::Format;

const SCHEMA_FORMATS: [Format; 3] = [Format::CycloneDx, Format::SpdxJson, Format::Sarif];

#[test]
fn image_report_is_valid_in_every_schema_format() {
    let report = image_report();
    for format in SCHEMA_FORMATS {
        assert_valid(format, &render_json(&report, format));
    }
}

#[test]
fn empty_report_is_valid_in_every_schema_format() {
    let report = empty_report();
    for format in SCHEMA_FORMATS {
        assert_valid(format, &render_json(&report, format));
    }
    let table = render_to_string(&report, Format::Table, &opts());
    assert!(table.contains("No results."), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&render_to_string(&report, Format::Json, &opts())).unwrap();
    assert_eq!(json["ArtifactName"], "empty");
}

#[test]
fn filesystem_report_without_os_or_image_is_valid() {
    let mut report = image_report();
    report.artifact_type = "filesystem".into();
    report.artifact_name = "/src/my project".into();
    report.metadata = Default::default();
    report.results.remove(0);
    for format in SCHEMA_FORMATS {
        assert_valid(format, &render_json(&report, format));
    }
}

/// The validators really reject: a document that breaks each schema fails.
#[test]
fn validators_reject_broken_documents() {
    let report = image_report();
    let mut bom = render_json(&report, Format::CycloneDx);
    bom["components"][0]["type"] = "gadget".into();
    assert!(!validator(Format::CycloneDx).is_valid(&bom));
    let mut bom = render_json(&report, Format::CycloneDx);
    bom["components"][3]["licenses"] = serde_json::json!([{"license": {"id": "Not-A-Licence"}}]);
    assert!(
        !validator(Format::CycloneDx).is_valid(&bom),
        "the spdx.schema.json $ref is live"
    );
    let mut spdx = render_json(&report, Format::SpdxJson);
    spdx["relationships"][0]["relationshipType"] = "LIKES".into();
    assert!(!validator(Format::SpdxJson).is_valid(&spdx));
    let mut sarif = render_json(&report, Format::Sarif);
    sarif["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator(Format::Sarif).is_valid(&sarif));
}

/// What the CycloneDX project's offline copy of the schema relaxed (see PROVENANCE.md) and
/// what the SPDX schema leaves optional but the specification requires.
#[test]
fn constraints_the_vendored_schemas_do_not_check() {
    let report = image_report();
    let bom = render_json(&report, Format::CycloneDx);
    assert_eq!(
        bom["$schema"],
        "http://cyclonedx.org/schema/bom-1.6.schema.json"
    );
    assert_eq!(bom["version"], 1);
    let serial = bom["serialNumber"].as_str().unwrap();
    assert!(
        serial.starts_with("urn:uuid:") && serial.len() == 45,
        "{serial}"
    );

    let spdx = render_json(&report, Format::SpdxJson);
    let ns = spdx["documentNamespace"].as_str().unwrap();
    assert!(
        ns.starts_with("https://spdx.org/spdxdocs/") && !ns.contains(' '),
        "{ns}"
    );
    assert_eq!(spdx["creationInfo"]["created"], "2024-05-01T12:00:00Z");
    assert_eq!(spdx["creationInfo"]["creators"][0], "Tool: osprey-0.1.0");
    for p in spdx["packages"].as_array().unwrap() {
        assert_eq!(p["downloadLocation"], "NOASSERTION");
        let id = p["SPDXID"].as_str().unwrap();
        let rest = id.strip_prefix("SPDXRef-").unwrap();
        assert!(
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "{id}"
        );
    }
}
