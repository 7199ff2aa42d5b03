//! .NET: `*.deps.json`, the dependency manifest beside a built application.
//!
//! Libraries of type `package` are NuGet packages, and `runtimepack` entries name the runtime
//! pack a self-contained app ships (`runtimepack.Microsoft.NETCore.App.Runtime.linux-x64`, the
//! NuGet package `Microsoft.NETCore.App.Runtime.linux-x64`); `project` is the app itself. A
//! package the runtime target lists without any runtime, native or RID-specific asset is a
//! compile-time reference that ships no code, and is left out.

use super::{packages_fact, parse_json};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Reads `*.deps.json` files.
pub(crate) struct DepsJsonAnalyzer;

#[derive(Deserialize)]
struct DepsJson {
    #[serde(rename = "runtimeTarget")]
    runtime_target: Option<RuntimeTarget>,
    #[serde(default)]
    targets: BTreeMap<String, BTreeMap<String, TargetLibrary>>,
    #[serde(default)]
    libraries: BTreeMap<String, Library>,
}

#[derive(Deserialize)]
struct RuntimeTarget {
    name: String,
}

#[derive(Deserialize)]
struct TargetLibrary {
    runtime: Option<Map<String, Value>>,
    #[serde(rename = "runtimeTargets")]
    runtime_targets: Option<Map<String, Value>>,
    native: Option<Map<String, Value>>,
}

impl TargetLibrary {
    fn ships_code(&self) -> bool {
        [&self.runtime, &self.runtime_targets, &self.native]
            .into_iter()
            .any(|assets| assets.as_ref().is_some_and(|a| !a.is_empty()))
    }
}

#[derive(Deserialize)]
struct Library {
    #[serde(rename = "type")]
    kind: String,
}

const RUNTIME_PACK_PREFIX: &str = "runtimepack.";

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
        let target = deps
            .runtime_target
            .as_ref()
            .and_then(|t| deps.targets.get(&t.name));
        let mut packages = Vec::new();
        for (key, library) in &deps.libraries {
            let kind = library.kind.to_ascii_lowercase();
            if kind != "package" && kind != "runtimepack" {
                continue;
            }
            if kind == "package"
                && target
                    .and_then(|t| t.get(key))
                    .is_some_and(|lib| !lib.ships_code())
            {
                continue;
            }
            let (name, version) = key.split_once('/').ok_or_else(|| {
                AnalyzerError::new(format!(
                    "{}: library {key:?} is not `name/version`",
                    file.path
                ))
            })?;
            let name = name.strip_prefix(RUNTIME_PACK_PREFIX).unwrap_or(name);
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

    /// Independent derivation over the raw JSON (`serde_json::Value`, not the analyzer's
    /// types): `package` and `runtimepack` libraries, minus packages that the runtime target
    /// lists with none of `runtime`, `runtimeTargets`, `native`.
    fn expected_ids(raw: &[u8]) -> Vec<String> {
        let doc: Value = serde_json::from_slice(raw).expect("fixture is JSON");
        let target_name = doc["runtimeTarget"]["name"]
            .as_str()
            .expect("runtime target");
        let target = &doc["targets"][target_name];
        let mut ids: Vec<String> = doc["libraries"]
            .as_object()
            .expect("libraries")
            .iter()
            .filter(|(key, lib)| match lib["type"].as_str() {
                Some("runtimepack") => true,
                Some("package") => match target.get(key.as_str()) {
                    None => true,
                    Some(t) => ["runtime", "runtimeTargets", "native"]
                        .iter()
                        .any(|k| t[k].as_object().is_some_and(|o| !o.is_empty())),
                },
                _ => false,
            })
            .map(|(key, _)| key.trim_start_matches("runtimepack.").replacen('/', "@", 1))
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn fixtures_list_shipped_packages_and_runtime_packs() {
        for file in [
            "happy.deps.json",
            "self-contained.deps.json",
            "without-runtime.deps.json",
        ] {
            let raw = fixture(&format!("dotnet/{file}"));
            let packages = analyze(&DepsJsonAnalyzer, "app/app.deps.json", &raw);
            let mut ids: Vec<String> = packages.iter().map(Package::id).collect();
            ids.sort();
            assert_eq!(ids, expected_ids(&raw), "{file}");
        }
        // The same sets Trivy 0.76 reports for these files (checked by hand, see the report).
        let raw = fixture("dotnet/without-runtime.deps.json");
        let ids: Vec<String> = analyze(&DepsJsonAnalyzer, "a.deps.json", &raw)
            .iter()
            .map(Package::id)
            .collect();
        assert_eq!(
            ids,
            [
                "JsonDiffPatch@2.0.61",
                "Libuv@1.9.1",
                "System.Collections.Immutable@1.3.0"
            ]
        );
        let raw = fixture("dotnet/self-contained.deps.json");
        let ids: Vec<String> = analyze(&DepsJsonAnalyzer, "a.deps.json", &raw)
            .iter()
            .map(Package::id)
            .collect();
        assert!(ids.contains(&"Microsoft.NETCore.App.Runtime.linux-x64@8.0.0".to_string()));
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
