//! .NET: `*.deps.json`, the dependency manifest beside a built application. Libraries of type
//! `package` are NuGet packages; `project` (the app itself) and `runtimepack` are not.

use super::{packages_fact, parse_json};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Reads `*.deps.json` files.
pub(crate) struct DepsJsonAnalyzer;

#[derive(Deserialize)]
struct DepsJson {
    #[serde(default)]
    libraries: BTreeMap<String, Library>,
}

#[derive(Deserialize)]
struct Library {
    #[serde(rename = "type")]
    kind: String,
}

impl Analyzer for DepsJsonAnalyzer {
    fn name(&self) -> &'static str {
        "dotnet-deps"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file.path.ends_with(".deps.json")
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let deps: DepsJson = parse_json(file.path, content)?;
        let mut packages = Vec::new();
        for (key, library) in deps.libraries {
            if !library.kind.eq_ignore_ascii_case("package") {
                continue;
            }
            let (name, version) = key.split_once('/').ok_or_else(|| {
                AnalyzerError::new(format!(
                    "{}: library {key:?} is not `name/version`",
                    file.path
                ))
            })?;
            let mut p = Package::new(Ecosystem::Nuget, name, version);
            p.pkg_type = "dotnet-deps".to_string();
            p.location.path = file.path.to_string();
            packages.push(p);
        }
        Ok(packages_fact(self.name(), file.path, packages))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::tests::{analyze, fixture};

    #[test]
    fn fixtures_list_package_libraries() {
        for file in [
            "happy.deps.json",
            "self-contained.deps.json",
            "without-runtime.deps.json",
        ] {
            let raw = fixture(&format!("dotnet/{file}"));
            let packages = analyze(&DepsJsonAnalyzer, "app/app.deps.json", &raw);
            // Independent count: `"type": "package"` occurs once per package library.
            let expected = String::from_utf8_lossy(&raw)
                .matches("\"type\": \"package\"")
                .count();
            assert_eq!(packages.len(), expected, "{file}");
        }
        // With the byte order mark .NET tools often write.
        let mut raw = b"\xef\xbb\xbf".to_vec();
        raw.extend(fixture("dotnet/happy.deps.json"));
        let packages = analyze(&DepsJsonAnalyzer, "app.deps.json", &raw);
        assert_eq!(packages[0].id(), "Newtonsoft.Json@13.0.1");
    }

    #[test]
    fn malformed_deps_json_is_an_error() {
        for bad in [
            &br#"{"libraries": {"x": {"type": "package"}}}"#[..],
            b"{\"libraries\": [",
        ] {
            let err = DepsJsonAnalyzer
                .analyze(
                    &FileMeta {
                        path: "a.deps.json",
                        size: 1,
                        mode: 0,
                    },
                    bad,
                )
                .unwrap_err();
            assert!(err.message.starts_with("a.deps.json"), "{err}");
        }
    }
}
