//! `yarn.lock`: the v1 format (its own indented syntax) and berry (v2+, YAML with a
//! `__metadata` entry).

use super::{file_name, packages_fact, utf8};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Reads `yarn.lock` files outside `node_modules`.
pub(crate) struct YarnLockAnalyzer;

impl Analyzer for YarnLockAnalyzer {
    fn name(&self) -> &'static str {
        "yarn-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file_name(file.path) == "yarn.lock" && !file.path.contains("node_modules/")
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let text = utf8(file.path, content)?;
        let entries = if text.lines().any(|l| l.starts_with("__metadata:")) {
            parse_berry(text)
        } else {
            parse_v1(text)
        }
        .map_err(|e| AnalyzerError::new(format!("{}: {e}", file.path)))?;
        Ok(packages_fact(
            self.name(),
            file.path,
            to_packages(file.path, &entries),
        ))
    }
}

/// One resolved package: the specs (`name@range`) it satisfies and its dependencies
/// (`name` -> range).
#[derive(Debug, Default)]
struct Entry {
    specs: Vec<String>,
    name: String,
    version: String,
    dependencies: Vec<(String, String)>,
}

/// The package name of a spec: `@scope/a@^1` -> `@scope/a`, `a@npm:^1` -> `a`.
fn spec_name(spec: &str) -> Option<&str> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some(&spec[..at])
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

fn parse_v1(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut in_dependencies = false;
    for (index, line) in text.lines().enumerate() {
        let n = index + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let header = line
                .strip_suffix(':')
                .ok_or_else(|| format!("line {n}: expected `specs:` header, got {line:?}"))?;
            let specs: Vec<String> = header.split(", ").map(|s| unquote(s).to_string()).collect();
            let name = specs
                .first()
                .and_then(|s| spec_name(s))
                .ok_or_else(|| format!("line {n}: no package name in {header:?}"))?
                .to_string();
            entries.push(Entry {
                specs,
                name,
                ..Entry::default()
            });
            in_dependencies = false;
            continue;
        }
        let entry = entries
            .last_mut()
            .ok_or_else(|| format!("line {n}: indented line before any package header"))?;
        if let Some(field) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            in_dependencies = matches!(field, "dependencies:" | "optionalDependencies:");
            if let Some(version) = field.strip_prefix("version ") {
                entry.version = unquote(version).to_string();
            }
        } else if in_dependencies {
            let (name, range) = line
                .trim()
                .split_once(' ')
                .ok_or_else(|| format!("line {n}: dependency without a range: {line:?}"))?;
            entry
                .dependencies
                .push((unquote(name).to_string(), unquote(range).to_string()));
        }
    }
    if let Some(e) = entries.iter().find(|e| e.version.is_empty()) {
        return Err(format!("{} has no version", e.specs.join(", ")));
    }
    Ok(entries)
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_berry(text: &str) -> Result<Vec<Entry>, String> {
    let doc: BTreeMap<String, Value> = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    let mut entries = Vec::new();
    for (key, value) in doc {
        if key == "__metadata" {
            continue;
        }
        let resolution = value.get("resolution").and_then(scalar).unwrap_or_default();
        // Workspaces are the project itself. (Patched entries, `name@patch:…`, are kept: the
        // package is installed in its patched form; duplicates of an npm entry are merged.)
        if resolution.contains("@workspace:") {
            continue;
        }
        let version = value
            .get("version")
            .and_then(scalar)
            .ok_or_else(|| format!("entry {key:?} has no version"))?;
        let name = spec_name(&resolution)
            .or_else(|| spec_name(&key))
            .ok_or_else(|| format!("entry {key:?} has no package name"))?
            .to_string();
        let dependencies = value
            .get("dependencies")
            .and_then(Value::as_object)
            .map(|deps| {
                deps.iter()
                    .filter_map(|(name, range)| Some((name.clone(), scalar(range)?)))
                    .collect()
            })
            .unwrap_or_default();
        let specs = key.split(", ").map(|s| s.trim().to_string()).collect();
        entries.push(Entry {
            specs,
            name,
            version,
            dependencies,
        });
    }
    Ok(entries)
}

fn to_packages(path: &str, entries: &[Entry]) -> Vec<Package> {
    let mut by_spec: HashMap<&str, String> = HashMap::new();
    for e in entries {
        for spec in &e.specs {
            by_spec.insert(spec, format!("{}@{}", e.name, e.version));
        }
    }
    let mut seen = std::collections::HashSet::new();
    entries
        .iter()
        .filter(|e| seen.insert((e.name.as_str(), e.version.as_str())))
        .map(|e| {
            let mut p = Package::new(Ecosystem::Npm, e.name.clone(), e.version.clone());
            p.pkg_type = "yarn".to_string();
            p.location.path = path.to_string();
            p.lockfile = Some(path.to_string());
            let mut deps: Vec<String> = e
                .dependencies
                .iter()
                .filter_map(|(name, range)| {
                    by_spec
                        .get(format!("{name}@{range}").as_str())
                        .or_else(|| by_spec.get(format!("{name}@npm:{range}").as_str()))
                        .cloned()
                })
                .collect();
            deps.sort();
            deps.dedup();
            p.depends_on = deps;
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::tests::{analyze, fixture};

    /// Independent count: non-indented, non-comment lines ending in `:` are entry headers;
    /// berry's `__metadata` and workspace entries are not packages.
    fn headers(raw: &str) -> usize {
        raw.lines()
            .filter(|l| !l.starts_with([' ', '#']) && l.ends_with(':'))
            .filter(|l| !l.starts_with("__metadata") && !l.contains("@workspace:"))
            .count()
    }

    #[test]
    fn v1_and_berry_fixtures_list_one_package_per_entry() {
        for file in ["yarn_happy.lock", "yarn_v2_happy.lock"] {
            let raw = fixture(&format!("yarn/{file}"));
            let packages = analyze(&YarnLockAnalyzer, "web/yarn.lock", &raw);
            assert_eq!(
                packages.len(),
                headers(&String::from_utf8_lossy(&raw)),
                "{file}"
            );
            assert!(packages.iter().all(|p| !p.version.is_empty()));
        }
    }

    #[test]
    fn names_versions_and_dependencies() {
        let raw = fixture("yarn/yarn_happy.lock");
        let packages = analyze(&YarnLockAnalyzer, "yarn.lock", &raw);
        let regex = packages
            .iter()
            .find(|p| p.name == "@babel/helper-regex")
            .expect("scoped");
        assert_eq!(regex.version, "7.4.4");
        assert_eq!(regex.depends_on, ["lodash@4.17.11"]);
        let raw = fixture("yarn/yarn_v2_happy.lock");
        let packages = analyze(&YarnLockAnalyzer, "yarn.lock", &raw);
        let styles = packages
            .iter()
            .find(|p| p.id() == "ansi-styles@4.2.1")
            .expect("ansi-styles 4.2.1");
        assert_eq!(
            styles.depends_on,
            ["@types/color-name@1.1.1", "color-convert@2.0.1"]
        );
    }

    #[test]
    fn berry_patch_entries_count_once_with_their_npm_entry() {
        let lock = "__metadata:\n  version: 6\n\n\"resolve@npm:^1.20.0\":\n  version: 1.22.1\n  resolution: \"resolve@npm:1.22.1\"\n\n\"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>\":\n  version: 1.22.1\n  resolution: \"resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=07638b\"\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n  dependencies:\n    resolve: ^1.20.0\n";
        let packages = analyze(&YarnLockAnalyzer, "yarn.lock", lock.as_bytes());
        let ids: Vec<String> = packages.iter().map(Package::id).collect();
        assert_eq!(ids, ["resolve@1.22.1"]);
    }

    #[test]
    fn malformed_locks_are_errors_with_a_line() {
        for (bad, needle) in [
            ("  version \"1\"\n", "line 1"),
            ("a@^1:\n  resolved \"x\"\n", "no version"),
            ("a@^1\n", "line 1"),
            (
                "__metadata:\n  version: 4\n\"a@npm:1\": [unclosed\n",
                "yarn.lock",
            ),
        ] {
            let err = YarnLockAnalyzer
                .analyze(
                    &FileMeta {
                        path: "yarn.lock",
                        size: 1,
                        mode: 0o644,
                    },
                    bad.as_bytes(),
                )
                .unwrap_err();
            assert!(err.message.contains(needle), "{bad:?}: {err}");
        }
    }
}
