//! JUnit XML: parsed back with a real XML parser, structure and counts checked.

mod common;

use common::*;
use osprey_model::Severity;
use osprey_model::report::{
    CauseMetadata, Report, ReportMisconfiguration, ReportResult, ReportSecret, ReportVulnerability,
    SCHEMA_VERSION,
};
use osprey_report::Format;

fn junit(report: &Report) -> String {
    render_to_string(report, Format::Junit, &opts())
}

fn misconfig(id: &str, status: &str, message: &str) -> ReportMisconfiguration {
    ReportMisconfiguration {
        r#type: "kubernetes".into(),
        id: id.into(),
        title: format!("title of {id}"),
        message: message.into(),
        resolution: "Set privileged to false".into(),
        severity: Severity::High,
        status: status.into(),
        cause_metadata: CauseMetadata {
            resource: "Pod/web".into(),
            start_line: 5,
            end_line: 9,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn mixed_report() -> Report {
    Report {
        schema_version: SCHEMA_VERSION,
        artifact_name: "manifests".into(),
        artifact_type: "filesystem".into(),
        results: vec![
            ReportResult {
                target: "k8s/pod.yaml".into(),
                class: "config".into(),
                misconfigurations: vec![
                    misconfig(
                        "KSV017",
                        "FAIL",
                        "Container 'web' should set privileged: false",
                    ),
                    misconfig("KSV001", "PASS", ""),
                    misconfig("KSV012", "FAIL", "runs as root"),
                ],
                ..Default::default()
            },
            ReportResult {
                target: "app/.env".into(),
                class: "secret".into(),
                secrets: vec![ReportSecret {
                    rule_id: "aws-access-key-id".into(),
                    category: "AWS".into(),
                    severity: Severity::Critical,
                    title: "AWS Access Key ID".into(),
                    start_line: 3,
                    end_line: 3,
                    redacted_match: "AWS_ACCESS_KEY_ID=****".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            ReportResult {
                target: "app/package-lock.json".into(),
                class: "lang-pkgs".into(),
                vulnerabilities: vec![ReportVulnerability {
                    vulnerability_id: "CVE-2022-24999".into(),
                    pkg_name: "qs".into(),
                    installed_version: "6.5.2".into(),
                    fixed_version: "6.5.3".into(),
                    title: "qs: prototype poisoning".into(),
                    severity: Severity::Medium,
                    ..Default::default()
                }],
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> lacks {name}", node.tag_name().name()))
}

fn children<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(|n| n.is_element() && n.tag_name().name() == tag)
        .collect()
}

#[test]
fn one_suite_per_result_one_case_per_finding() {
    let xml = junit(&mixed_report());
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(attr(root, "tests"), "5");
    assert_eq!(attr(root, "failures"), "4");

    let suites = children(root, "testsuite");
    let names: Vec<_> = suites.iter().map(|s| attr(*s, "name")).collect();
    assert_eq!(names, ["k8s/pod.yaml", "app/.env", "app/package-lock.json"]);

    let pod = suites[0];
    assert_eq!(
        (
            attr(pod, "tests"),
            attr(pod, "failures"),
            attr(pod, "skipped")
        ),
        ("3", "2", "0")
    );
    let cases = children(pod, "testcase");
    assert_eq!(cases.len(), 3);
    assert!(
        cases
            .iter()
            .all(|c| attr(*c, "classname") == "k8s/pod.yaml")
    );
    assert_eq!(attr(cases[0], "name"), "[HIGH] KSV017: title of KSV017");
    let failure = children(cases[0], "failure");
    assert_eq!(failure.len(), 1);
    assert_eq!(
        attr(failure[0], "message"),
        "Container 'web' should set privileged: false"
    );
    let body = failure[0].text().unwrap_or_default();
    assert!(
        body.contains("Resolution: Set privileged to false"),
        "{body}"
    );
    assert!(body.contains("Lines: 5-9"), "{body}");
    assert!(body.contains("Resource: Pod/web"), "{body}");
    // The passing check is a case without children.
    assert_eq!(attr(cases[1], "name"), "[HIGH] KSV001: title of KSV001");
    assert_eq!(cases[1].children().filter(|n| n.is_element()).count(), 0);

    let secret = children(suites[1], "testcase");
    assert_eq!(secret.len(), 1);
    assert_eq!(
        attr(secret[0], "name"),
        "[CRITICAL] aws-access-key-id: AWS Access Key ID"
    );
    assert_eq!(children(secret[0], "failure").len(), 1);
    assert_eq!(attr(suites[1], "failures"), "1");

    let vuln = children(suites[2], "testcase");
    assert_eq!(
        attr(vuln[0], "name"),
        "[MEDIUM] CVE-2022-24999: qs: prototype poisoning"
    );
    let failure = children(vuln[0], "failure");
    assert!(attr(failure[0], "message").contains("qs 6.5.2"));
    assert!(
        failure[0]
            .text()
            .unwrap_or_default()
            .contains("Fixed in: 6.5.3")
    );
}

#[test]
fn excepted_checks_are_skipped_and_counted() {
    let mut report = mixed_report();
    report.results[0].misconfigurations[2].status = "EXCEPTION".into();
    let xml = junit(&report);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let pod = children(doc.root_element(), "testsuite")[0];
    assert_eq!(
        (
            attr(pod, "tests"),
            attr(pod, "failures"),
            attr(pod, "skipped")
        ),
        ("3", "1", "1")
    );
    assert_eq!(children(children(pod, "testcase")[2], "skipped").len(), 1);
}

#[test]
fn markup_and_control_characters_survive_the_round_trip() {
    let hostile = "a<b>&\"c' \u{1}\u{1b}[31m\ttab\nline";
    let mut report = mixed_report();
    report.results[0].target = format!("dir/{hostile}.yaml");
    report.results[0].misconfigurations[0].title = hostile.into();
    report.results[0].misconfigurations[0].message = hostile.into();
    let xml = junit(&report);
    assert!(!xml.contains('\u{1}') && !xml.contains('\u{1b}'));
    let doc = roxmltree::Document::parse(&xml).expect("still well-formed");
    let suite = children(doc.root_element(), "testsuite")[0];
    let cleaned = "a<b>&\"c' \u{fffd}\u{fffd}[31m\ttab\nline";
    assert_eq!(attr(suite, "name"), format!("dir/{cleaned}.yaml"));
    let case = children(suite, "testcase")[0];
    assert_eq!(attr(case, "name"), format!("[HIGH] KSV017: {cleaned}"));
    let failure = children(case, "failure")[0];
    // Tab and newline are character references, so attribute normalisation keeps them.
    assert_eq!(attr(failure, "message"), cleaned);
    assert!(failure.text().unwrap_or_default().starts_with(cleaned));
}

#[test]
fn whole_image_report_counts_every_finding() {
    let report = image_report();
    let doc_text = junit(&report);
    let doc = roxmltree::Document::parse(&doc_text).unwrap();
    let root = doc.root_element();
    let suites = children(root, "testsuite");
    assert_eq!(suites.len(), report.results.len());
    let mut tests = 0;
    let mut failures = 0;
    for (suite, result) in suites.iter().zip(&report.results) {
        let want_tests =
            result.misconfigurations.len() + result.vulnerabilities.len() + result.secrets.len();
        let want_failures = want_tests
            - result
                .misconfigurations
                .iter()
                .filter(|m| m.status == "PASS")
                .count();
        assert_eq!(
            children(*suite, "testcase").len(),
            want_tests,
            "{}",
            result.target
        );
        assert_eq!(attr(*suite, "tests"), want_tests.to_string());
        assert_eq!(attr(*suite, "failures"), want_failures.to_string());
        assert_eq!(
            suite
                .descendants()
                .filter(|n| n.has_tag_name("failure"))
                .count(),
            want_failures
        );
        tests += want_tests;
        failures += want_failures;
    }
    assert!(tests > 0 && failures > 0);
    assert_eq!(attr(root, "tests"), tests.to_string());
    assert_eq!(attr(root, "failures"), failures.to_string());
}

#[test]
fn an_empty_report_is_an_empty_testsuites() {
    let xml = junit(&empty_report());
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(attr(doc.root_element(), "tests"), "0");
    assert_eq!(children(doc.root_element(), "testsuite").len(), 0);
}
