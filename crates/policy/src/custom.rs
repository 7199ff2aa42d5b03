//! User policy directories for config scans (`osprey config --policy DIR`): Gatekeeper
//! ConstraintTemplates with their Constraints, and plain Rego files in the Trivy/conftest
//! style (`deny[msg]` or `violation[{"msg": msg}]`, `input` = the object), evaluated against
//! the objects of a scan and returned as report misconfigurations.

use crate::Error;
use crate::gatekeeper::{Constraint, Template, inventory, namespace_lookup, review_for};
use osprey_model::Severity;
use osprey_model::report::{CauseMetadata, ReportMisconfiguration};
use regorus::{Engine, Value as RegoValue};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One object of a scan, with where it is.
#[derive(Debug, Clone)]
pub struct ScannedObject {
    /// The object.
    pub object: Value,
    /// 1-based first and last line in its file (0 when unknown).
    pub lines: (usize, usize),
}

struct RegoFile {
    path: PathBuf,
    package: String,
    rules: Vec<&'static str>,
    engine: Engine,
}

/// Every policy found under some directories, compiled.
pub struct PolicySet {
    constraints: Vec<(Template, Constraint, Severity)>,
    rego: Vec<RegoFile>,
}

/// Loads every ConstraintTemplate, Constraint (a document whose kind a template defines) and
/// `.rego` file under `dirs`. Other YAML documents are ignored; a file that does not parse or
/// compile is an error naming it.
pub fn load_policies(dirs: &[PathBuf]) -> Result<PolicySet, Error> {
    let mut files = Vec::new();
    for d in dirs {
        collect(d, &mut files)?;
    }
    files.sort();
    let mut templates = Vec::new();
    let mut others = Vec::new();
    let mut rego = Vec::new();
    for f in &files {
        if f.extension().is_some_and(|e| e == "rego") {
            rego.push(compile_rego(f)?);
            continue;
        }
        for doc in crate::yaml::load_documents(f)? {
            if doc["kind"] == "ConstraintTemplate" {
                templates.push(Template::compile(&doc, f)?);
            } else {
                others.push((doc, f.clone()));
            }
        }
    }
    let mut constraints = Vec::new();
    for (doc, f) in others {
        let Some(t) = templates.iter().find(|t| doc["kind"] == t.kind.as_str()) else {
            continue;
        };
        let severity = [
            &doc["spec"]["parameters"]["severity"],
            &doc["metadata"]["annotations"]["severity"],
        ]
        .into_iter()
        .find_map(|v| v.as_str()?.parse().ok())
        .unwrap_or(Severity::Medium);
        constraints.push((t.clone(), Constraint::from_doc(&doc, &f)?, severity));
    }
    Ok(PolicySet { constraints, rego })
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if std::fs::metadata(path).map_err(io)?.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(path).map_err(io)? {
        let p = entry.map_err(io)?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !name.starts_with('.') {
                collect(&p, out)?;
            }
        } else if [".rego", ".yaml", ".yml", ".json"]
            .iter()
            .any(|e| name.ends_with(e))
            && !name.ends_with("_test.rego")
        {
            out.push(p);
        }
    }
    Ok(())
}

fn compile_rego(path: &Path) -> Result<RegoFile, Error> {
    let bad = |reason: String| Error::Template {
        path: path.to_path_buf(),
        reason,
    };
    let source = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.display().to_string();
    // Rego v0 (`deny[msg] { ... }`) first, then v1 (`deny contains msg if { ... }`).
    let mut engine = crate::rego::new_engine(true);
    let package = match crate::rego::add_module(&mut engine, &name, &source) {
        Ok(p) => p,
        Err(v0_error) => {
            engine = crate::rego::new_engine(false);
            crate::rego::add_module(&mut engine, &name, &source).map_err(|_| bad(v0_error))?
        }
    };
    let defines = |rule: &str| {
        source.lines().any(|l| {
            l.trim_start()
                .strip_prefix(rule)
                .is_some_and(|rest| rest.starts_with(['[', ' ', '{', ':']))
        })
    };
    let rules: Vec<&'static str> = ["deny", "violation"]
        .into_iter()
        .filter(|r| defines(r))
        .collect();
    if rules.is_empty() {
        return Err(bad("defines neither a deny nor a violation rule".into()));
    }
    Ok(RegoFile {
        path: path.to_path_buf(),
        package,
        rules,
        engine,
    })
}

/// `msg` of a rule result: a string, or an object's `msg` field.
fn message_of(v: &Value) -> String {
    v.as_str()
        .or_else(|| v["msg"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

impl PolicySet {
    /// Whether no policy was found.
    pub fn is_empty(&self) -> bool {
        self.constraints.is_empty() && self.rego.is_empty()
    }

    /// Evaluates every policy against every object (`data.inventory` holds all of them).
    /// Returns, per object index, its findings.
    pub fn evaluate(
        &self,
        objects: &[ScannedObject],
    ) -> Result<Vec<(usize, ReportMisconfiguration)>, Error> {
        let values: Vec<Value> = objects.iter().map(|o| o.object.clone()).collect();
        let inv = inventory(&values);
        let namespaces = namespace_lookup(&values);
        let mut out = Vec::new();
        for (i, obj) in objects.iter().enumerate() {
            let review = review_for(&obj.object);
            for (template, constraint, severity) in &self.constraints {
                if !constraint.matches(&review, &namespaces) {
                    continue;
                }
                let violations =
                    template
                        .violations(constraint, &review, &inv)
                        .map_err(|reason| Error::Template {
                            path: PathBuf::from(&template.name),
                            reason,
                        })?;
                for v in violations {
                    let id = format!("{}/{}", constraint.kind, constraint.name);
                    out.push((i, finding(obj, id, *severity, v.msg, &template.name)));
                }
            }
            for file in &self.rego {
                let mut engine = file.engine.clone();
                engine.set_input(RegoValue::from(obj.object.clone()));
                for rule in &file.rules {
                    let result = engine
                        .eval_rule(format!("{}.{rule}", file.package))
                        .map_err(|e| Error::Template {
                            path: file.path.clone(),
                            reason: e.to_string(),
                        })?;
                    let items: Vec<RegoValue> = match result {
                        RegoValue::Set(s) => s.iter().cloned().collect(),
                        RegoValue::Array(a) => a.iter().cloned().collect(),
                        _ => Vec::new(),
                    };
                    for item in items {
                        let v = serde_json::to_value(&item).unwrap_or(Value::Null);
                        let severity = v["severity"]
                            .as_str()
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(Severity::Medium);
                        let id = file.package.trim_start_matches("data.").to_string();
                        let title = id.clone();
                        out.push((i, finding(obj, id, severity, message_of(&v), &title)));
                    }
                }
            }
        }
        Ok(out)
    }
}

fn finding(
    obj: &ScannedObject,
    id: String,
    severity: Severity,
    message: String,
    title: &str,
) -> ReportMisconfiguration {
    let kind = obj.object["kind"].as_str().unwrap_or("");
    let name = obj.object["metadata"]["name"].as_str().unwrap_or("");
    ReportMisconfiguration {
        r#type: "rego".into(),
        id,
        title: title.to_string(),
        message,
        severity,
        status: "FAIL".into(),
        cause_metadata: CauseMetadata {
            resource: format!("{kind}/{name}"),
            provider: "Kubernetes".into(),
            start_line: obj.lines.0,
            end_line: obj.lines.1,
            ..Default::default()
        },
        ..Default::default()
    }
}
