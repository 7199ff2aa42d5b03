//! Turns failures into the shared report model: one [`ReportResult`] per file.

use crate::Options;
use crate::catalog::{CheckMeta, Failure};
use osprey_model::report::{
    CauseMetadata, Code, CodeLine, MisconfSummary, ReportMisconfiguration, ReportResult,
};

/// Most source lines shown with one finding.
const MAX_CODE_LINES: usize = 10;

/// What kind of file a result is for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind {
    /// `Type` of the result and of each finding (`dockerfile`, `kubernetes`).
    pub r#type: &'static str,
    /// `CauseMetadata.Provider`.
    pub provider: &'static str,
}

/// Builds the result of one file. `checks` lists every check that ran, so passes can be
/// reported; `line` returns source line `n` (1-based).
pub(crate) fn build<'a>(
    target: &str,
    kind: Kind,
    checks: impl Iterator<Item = (&'static str, &'static CheckMeta)>,
    failures: Vec<Failure>,
    line: impl Fn(usize) -> Option<&'a str>,
    opts: &Options,
) -> ReportResult {
    let checks: Vec<(&'static str, &'static CheckMeta)> = checks.collect();
    let failures: Vec<Failure> = failures
        .into_iter()
        .filter(|f| opts.runs(f.meta.id))
        .collect();
    let mut misconfs = Vec::new();
    let mut passed = 0;
    for &(namespace, meta) in &checks {
        if !opts.runs(meta.id) || failures.iter().any(|f| f.meta.id == meta.id) {
            continue;
        }
        passed += 1;
        if opts.include_passed {
            misconfs.push(entry(
                kind,
                namespace,
                meta,
                "PASS",
                String::new(),
                CauseMetadata {
                    provider: kind.provider.into(),
                    ..Default::default()
                },
            ));
        }
    }
    let failed = failures.len();
    for f in failures {
        let code = (f.start_line > 0).then(|| Code {
            lines: (f.start_line..=f.end_line.min(f.start_line + MAX_CODE_LINES - 1))
                .filter_map(|n| {
                    line(n).map(|content| CodeLine {
                        number: n,
                        content: content.to_string(),
                        is_cause: true,
                        first_cause: n == f.start_line,
                        last_cause: n == f.end_line.min(f.start_line + MAX_CODE_LINES - 1),
                    })
                })
                .collect(),
        });
        let cause = CauseMetadata {
            resource: f.resource.clone(),
            provider: kind.provider.into(),
            service: String::new(),
            start_line: f.start_line,
            end_line: f.end_line,
            code,
        };
        let namespace = checks
            .iter()
            .find(|(_, m)| m.id == f.meta.id)
            .map_or("", |(n, _)| *n);
        misconfs.push(entry(kind, namespace, f.meta, "FAIL", f.message, cause));
    }
    ReportResult {
        target: target.to_string(),
        class: "config".into(),
        r#type: kind.r#type.into(),
        misconf_summary: Some(MisconfSummary {
            successes: passed,
            failures: failed,
        }),
        misconfigurations: misconfs,
        ..Default::default()
    }
}

fn entry(
    kind: Kind,
    namespace: &str,
    meta: &CheckMeta,
    status: &str,
    message: String,
    cause: CauseMetadata,
) -> ReportMisconfiguration {
    ReportMisconfiguration {
        r#type: kind.r#type.into(),
        id: meta.id.into(),
        title: meta.title.into(),
        description: meta.description.into(),
        message: if message.is_empty() {
            meta.title.into()
        } else {
            message
        },
        namespace: namespace.into(),
        resolution: meta.resolution.into(),
        severity: meta.severity,
        primary_url: String::new(),
        references: meta.refs.iter().map(|r| r.to_string()).collect(),
        status: status.into(),
        layer: None,
        cause_metadata: cause,
    }
}

static PARSE_FAILURE: CheckMeta = CheckMeta {
    id: "OSP-PARSE-001",
    severity: osprey_model::Severity::Unknown,
    title: "File could not be parsed",
    description: "The file looks like a Dockerfile or manifest but could not be parsed, so no checks ran on it.",
    resolution: "Fix the syntax error, or exclude the file from the scan.",
    refs: &[],
};

/// A result for a file that could not be parsed during a directory walk.
pub(crate) fn parse_failure(target: &str, e: &crate::Error) -> ReportResult {
    let line = match e {
        crate::Error::Dockerfile { line, .. } | crate::Error::Yaml { line, .. } => *line,
        _ => 0,
    };
    let kind = match e {
        crate::Error::Dockerfile { .. } => Kind {
            r#type: "dockerfile",
            provider: "Dockerfile",
        },
        _ => Kind {
            r#type: "kubernetes",
            provider: "Kubernetes",
        },
    };
    let failure = Failure {
        meta: &PARSE_FAILURE,
        message: e.to_string(),
        start_line: line,
        end_line: line,
        resource: String::new(),
    };
    let mut r = build(
        target,
        kind,
        std::iter::empty(),
        vec![failure],
        |_| None,
        &crate::Options::default(),
    );
    r.misconf_summary = Some(MisconfSummary {
        successes: 0,
        failures: 1,
    });
    r
}
