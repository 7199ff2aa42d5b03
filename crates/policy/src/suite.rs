//! `osprey policy test`: runs gator-style `Suite` files (`test.gatekeeper.sh/v1alpha1`).
//!
//! A suite lists tests (a template plus a constraint) and cases (an object, optional
//! inventory objects, and assertions on the violations: `violations: yes|no|N`, optionally
//! filtered by a `message` regex).

use crate::gatekeeper::{
    Constraint, Template, inventory, namespace_lookup, relative_to, review_for,
};
use crate::{Error, yaml};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Suite file.
    pub suite: PathBuf,
    /// Test name.
    pub test: String,
    /// Case name.
    pub case: String,
    /// `None` when the case passed, else why it failed.
    pub failure: Option<String>,
    /// Violation messages the case produced.
    pub messages: Vec<String>,
}

/// Finds every `suite.yaml` (any file with `kind: Suite`) under the given paths.
pub fn find_suites(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        let mut stack = vec![p.clone()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| Error::Io {
                path: dir.clone(),
                source: e,
            })?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path
                    .file_name()
                    .is_some_and(|n| n == "suite.yaml" || n == "suite.yml")
                {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Runs one suite file; errors loading the suite itself are returned, errors in a test or
/// case become failed cases.
pub fn run_suite(suite_path: &Path) -> Result<Vec<CaseResult>, Error> {
    let suite = yaml::load_one(suite_path)?;
    if suite["kind"] != "Suite" {
        return Err(Error::Parse {
            path: suite_path.to_path_buf(),
            reason: format!("expected kind Suite, found {}", suite["kind"]),
        });
    }
    let mut results = Vec::new();
    for test in suite["tests"].as_array().into_iter().flatten() {
        let test_name = test["name"].as_str().unwrap_or("").to_string();
        if test["skip"].as_bool() == Some(true) {
            continue;
        }
        let fail_all = |reason: String, results: &mut Vec<CaseResult>| {
            for case in test["cases"].as_array().into_iter().flatten() {
                results.push(CaseResult {
                    suite: suite_path.to_path_buf(),
                    test: test_name.clone(),
                    case: case["name"].as_str().unwrap_or("").to_string(),
                    failure: Some(reason.clone()),
                    messages: Vec::new(),
                });
            }
        };
        let loaded = load_test(suite_path, test);
        let (template, constraint) = match loaded {
            Ok(x) => x,
            Err(e) => {
                fail_all(e.to_string(), &mut results);
                continue;
            }
        };
        for case in test["cases"].as_array().into_iter().flatten() {
            if case["skip"].as_bool() == Some(true) {
                continue;
            }
            let case_name = case["name"].as_str().unwrap_or("").to_string();
            let (failure, messages) = match run_case(suite_path, &template, &constraint, case) {
                Ok((failure, messages)) => (failure, messages),
                Err(e) => (Some(e.to_string()), Vec::new()),
            };
            results.push(CaseResult {
                suite: suite_path.to_path_buf(),
                test: test_name.clone(),
                case: case_name,
                failure,
                messages,
            });
        }
    }
    Ok(results)
}

fn load_test(suite_path: &Path, test: &Value) -> Result<(Template, Constraint), Error> {
    let tpath = relative_to(suite_path, test["template"].as_str().unwrap_or(""));
    let template = Template::compile(&yaml::load_one(&tpath)?, &tpath)?;
    let cpath = relative_to(suite_path, test["constraint"].as_str().unwrap_or(""));
    let constraint = Constraint::from_doc(&yaml::load_one(&cpath)?, &cpath)?;
    if constraint.kind != template.kind {
        return Err(Error::Template {
            path: cpath,
            reason: format!(
                "constraint kind {} does not match template kind {}",
                constraint.kind, template.kind
            ),
        });
    }
    Ok((template, constraint))
}

fn run_case(
    suite_path: &Path,
    template: &Template,
    constraint: &Constraint,
    case: &Value,
) -> Result<(Option<String>, Vec<String>), Error> {
    let opath = relative_to(suite_path, case["object"].as_str().unwrap_or(""));
    let object = yaml::load_one(&opath)?;
    let mut inv_objects = Vec::new();
    for inv in case["inventory"].as_array().into_iter().flatten() {
        let ipath = relative_to(suite_path, inv.as_str().unwrap_or(""));
        inv_objects.extend(yaml::load_documents(&ipath)?);
    }
    let review = review_for(&object);
    let violations = if constraint.matches(&review, &namespace_lookup(&inv_objects)) {
        template
            .violations(constraint, &review, &inventory(&inv_objects))
            .map_err(|reason| Error::Template {
                path: opath.clone(),
                reason,
            })?
    } else {
        Vec::new()
    };
    let messages: Vec<String> = violations.iter().map(|v| v.msg.clone()).collect();
    for assertion in case["assertions"].as_array().into_iter().flatten() {
        if let Some(reason) = check_assertion(assertion, &messages) {
            return Ok((Some(reason), messages));
        }
    }
    Ok((None, messages))
}

/// `None` when the assertion holds.
fn check_assertion(assertion: &Value, messages: &[String]) -> Option<String> {
    let matching: Vec<&String> = match assertion["message"].as_str() {
        Some(pattern) => match regex::Regex::new(pattern) {
            Ok(re) => messages.iter().filter(|m| re.is_match(m)).collect(),
            Err(e) => return Some(format!("invalid message regex {pattern:?}: {e}")),
        },
        None => messages.iter().collect(),
    };
    let n = matching.len();
    let want = &assertion["violations"];
    let ok = match want {
        Value::String(s) if s == "yes" => n > 0,
        Value::String(s) if s == "no" => n == 0,
        Value::Bool(true) => n > 0,
        Value::Bool(false) => n == 0,
        Value::Number(k) => k.as_u64() == Some(n as u64),
        Value::Null => n > 0,
        other => return Some(format!("invalid assertion violations: {other}")),
    };
    (!ok).then(|| {
        let filter = assertion["message"]
            .as_str()
            .map(|m| format!(" matching {m:?}"))
            .unwrap_or_default();
        format!("expected violations: {want}{filter}, got {n}: {messages:?}")
    })
}
