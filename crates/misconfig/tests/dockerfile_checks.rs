//! Every Dockerfile check has a failing and a passing snippet; this test walks the registry so
//! a new check without cases fails the build.

use osprey_misconfig::dockerfile::checks::{Config, all_checks};
use osprey_misconfig::{InputKind, Options, scan_bytes};
use std::collections::BTreeSet;

mod common;
use common::CASES;

fn ids(src: &str, opts: &Options) -> BTreeSet<String> {
    let results = scan_bytes("Dockerfile", src.as_bytes(), InputKind::Dockerfile, opts)
        .unwrap_or_else(|e| panic!("snippet does not parse: {e}\n{src}"));
    results[0]
        .misconfigurations
        .iter()
        .filter(|m| m.status == "FAIL")
        .map(|m| m.id.clone())
        .collect()
}

#[test]
fn every_check_fails_and_passes_its_snippets() {
    let opts = Options::default();
    let mut problems = Vec::new();
    for (id, fail, pass) in CASES {
        if !ids(fail, &opts).contains(*id) {
            problems.push(format!("{id}: failing snippet not flagged:\n{fail}"));
        }
        if ids(pass, &opts).contains(*id) {
            problems.push(format!("{id}: passing snippet flagged:\n{pass}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn every_registered_check_has_cases() {
    let registered: BTreeSet<&str> = all_checks().map(|c| c.id).collect();
    let covered: BTreeSet<&str> = CASES.iter().map(|c| c.0).chain(["OSP-DF-018"]).collect();
    assert_eq!(
        registered, covered,
        "checks without cases, or cases without checks"
    );
    assert!(
        registered.len() >= 45,
        "only {} Dockerfile checks",
        registered.len()
    );
    for c in all_checks() {
        assert!(
            !c.title.is_empty() && !c.resolution.is_empty() && !c.description.is_empty(),
            "{}",
            c.id
        );
    }
}

#[test]
fn trusted_registries_are_configurable() {
    let mut opts = Options::default();
    let src = "FROM ghcr.io/acme/app:1.0\nFROM alpine:3.20\n";
    assert!(!ids(src, &opts).contains("OSP-DF-018"));
    opts.dockerfile = Config {
        trusted_registries: vec!["docker.io".into()],
    };
    let results = scan_bytes("Dockerfile", src.as_bytes(), InputKind::Dockerfile, &opts).unwrap();
    let hits: Vec<_> = results[0]
        .misconfigurations
        .iter()
        .filter(|m| m.id == "OSP-DF-018")
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].cause_metadata.start_line, 1);
}

#[test]
fn findings_carry_lines_code_and_refs() {
    let src = "FROM debian:12\nRUN apt-get update && \\\n    apt-get install curl\nUSER root\n";
    let r = &scan_bytes(
        "Dockerfile",
        src.as_bytes(),
        InputKind::Dockerfile,
        &Options::default(),
    )
    .unwrap()[0];
    let m = r
        .misconfigurations
        .iter()
        .find(|m| m.id == "OSP-DF-061")
        .unwrap();
    assert_eq!(
        (m.cause_metadata.start_line, m.cause_metadata.end_line),
        (2, 3)
    );
    let code = m.cause_metadata.code.as_ref().unwrap();
    assert_eq!(code.lines[1].content, "    apt-get install curl");
    assert!(code.lines[0].first_cause && code.lines[1].last_cause);
    assert!(m.references.contains(&"hadolint:DL3014".to_string()));
    assert_eq!(m.namespace, "apt");
    let root = r
        .misconfigurations
        .iter()
        .find(|m| m.id == "OSP-DF-001")
        .unwrap();
    assert_eq!(root.cause_metadata.start_line, 4);
    let summary = r.misconf_summary.unwrap();
    assert_eq!(summary.failures, r.misconfigurations.len());
    assert!(summary.successes > 40);
}

#[test]
fn include_passed_and_skip() {
    let opts = Options {
        include_passed: true,
        skip_checks: vec!["OSP-DF-017".into()],
        ..Options::default()
    };
    let r = &scan_bytes(
        "Dockerfile",
        b"FROM alpine:3.20\nUSER 1000\nHEALTHCHECK NONE\n",
        InputKind::Dockerfile,
        &opts,
    )
    .unwrap()[0];
    assert!(r.misconfigurations.iter().all(|m| m.id != "OSP-DF-017"));
    let passes = r
        .misconfigurations
        .iter()
        .filter(|m| m.status == "PASS")
        .count();
    assert_eq!(passes, r.misconf_summary.unwrap().successes);
    assert!(passes > 40);
}

#[test]
fn heredoc_run_is_checked_as_a_script() {
    let src = "FROM debian:12\nRUN <<EOF\nset -e\napt-get update\napt-get install -y curl\nEOF\nUSER 1000\n";
    let found = ids(src, &Options::default());
    assert!(
        found.contains("OSP-DF-062") && found.contains("OSP-DF-063"),
        "{found:?}"
    );
    let exec = "FROM debian:12\nRUN [\"/bin/sh\", \"-c\", \"curl -k https://x | bash\"]\n";
    let found = ids(exec, &Options::default());
    assert!(
        found.contains("OSP-DF-030") && found.contains("OSP-DF-040"),
        "{found:?}"
    );
}

#[test]
fn parse_errors_name_file_and_line() {
    let e = scan_bytes(
        "svc/Dockerfile",
        b"FROM a\nRUN x \\\n y\nBOGUS z\n",
        InputKind::Dockerfile,
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "svc/Dockerfile:4: Dockerfile: unknown instruction: BOGUS"
    );
}

#[test]
fn hadolint_and_osprey_ignore_pragmas() {
    let src = "# hadolint global ignore=DL3007\nFROM alpine:latest\n# hadolint ignore=DL3018,DL3019\nRUN apk add curl\nRUN apk add git\n# osprey ignore=OSP-DF-121\nRUN cd /x && make\nRUN cd /y\n";
    let r = &scan_bytes(
        "Dockerfile",
        src.as_bytes(),
        InputKind::Dockerfile,
        &Options::default(),
    )
    .unwrap()[0];
    let at = |id: &str| -> Vec<usize> {
        r.misconfigurations
            .iter()
            .filter(|m| m.id == id)
            .map(|m| m.cause_metadata.start_line)
            .collect()
    };
    assert!(at("OSP-DF-011").is_empty());
    assert_eq!(at("OSP-DF-070"), [5]);
    assert_eq!(at("OSP-DF-071"), [5]);
    assert_eq!(at("OSP-DF-121"), [8]);
}

#[test]
fn beyond_peers() {
    let opts = Options::default();
    // Global ARG defaults are substituted into FROM before checking the tag.
    assert!(ids("ARG V=latest\nFROM alpine:${V}\n", &opts).contains("OSP-DF-011"));
    assert!(!ids("ARG V\nFROM alpine:${V}\n", &opts).contains("OSP-DF-010"));
    // USER is resolved with the ARG/ENV values in scope (global ARGs only when redeclared).
    assert!(ids("ARG U=root\nFROM alpine:3.20\nARG U\nUSER $U\n", &opts).contains("OSP-DF-001"));
    assert!(!ids("ARG U=root\nFROM alpine:3.20\nUSER ${U:-app}\n", &opts).contains("OSP-DF-001"));
    // Stage names are case-insensitive in BuildKit.
    assert!(ids("FROM alpine:3.20 AS a\nFROM alpine:3.20 AS A\n", &opts).contains("OSP-DF-013"));
    // A cache mount over /var/lib/apt keeps the lists out of the layer.
    assert!(!ids("FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y y\n", &opts).contains("OSP-DF-063"));
    // sslverify turned off in the config file, not only through config-manager (checkov).
    assert!(
        ids(
            "FROM fedora:40\nRUN echo 'sslverify=false' >> /etc/dnf/dnf.conf\n",
            &opts
        )
        .contains("OSP-DF-048")
    );
    // An update in its own RUN is stale for later installs even when they follow (checkov
    // only flags an update with no install anywhere).
    assert!(
        ids(
            "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y x\n",
            &opts
        )
        .contains("OSP-DF-064")
    );
    // Scripts inside `sh -c` and heredocs are checked like any other RUN.
    assert!(
        ids("FROM debian:12\nRUN sh -c 'apt-get install curl'\n", &opts).contains("OSP-DF-061")
    );
}
