//! `Cargo.lock` (TOML; `[[package]]` tables with name, version, source, dependencies).

use super::{file_name, packages_fact, utf8};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use serde::Deserialize;
use std::collections::HashMap;

/// Reads `Cargo.lock` files.
pub(crate) struct CargoLockAnalyzer;

#[derive(Deserialize)]
struct CargoLock {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl Analyzer for CargoLockAnalyzer {
    fn name(&self) -> &'static str {
        "cargo-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file_name(file.path) == "Cargo.lock"
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let text = utf8(file.path, content)?;
        let lock: CargoLock =
            toml::from_str(text).map_err(|e| AnalyzerError::new(format!("{}: {e}", file.path)))?;
        // Dependencies are `name`, `name version` or `name version (source)`; a bare name is
        // unique in the lockfile.
        let mut by_name: HashMap<&str, Vec<&str>> = HashMap::new();
        for p in &lock.package {
            by_name.entry(&p.name).or_default().push(&p.version);
        }
        let packages = lock
            .package
            .iter()
            .map(|p| {
                let mut package = Package::new(Ecosystem::Cargo, p.name.clone(), p.version.clone());
                package.pkg_type = "cargo".to_string();
                package.location.path = file.path.to_string();
                package.depends_on = p
                    .dependencies
                    .iter()
                    .filter_map(|dep| {
                        let mut parts = dep.split_whitespace();
                        let name = parts.next()?;
                        let version = match parts.next() {
                            Some(v) => v,
                            None => match by_name.get(name)?.as_slice() {
                                [only] => only,
                                _ => return None,
                            },
                        };
                        Some(format!("{name}@{version}"))
                    })
                    .collect();
                package
            })
            .collect();
        Ok(packages_fact(self.name(), file.path, packages))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::tests::{analyze, fixture};

    #[test]
    fn fixtures_list_one_package_per_package_table() {
        for file in ["cargo_normal.lock", "cargo_v3.lock", "cargo_mixed.lock"] {
            let raw = fixture(&format!("cargo/{file}"));
            let packages = analyze(&CargoLockAnalyzer, "src/Cargo.lock", &raw);
            // Independent count: `[[package]]` headers in the raw text.
            let tables = String::from_utf8_lossy(&raw).matches("[[package]]").count();
            assert_eq!(packages.len(), tables, "{file}");
            assert!(packages.iter().all(|p| !p.version.is_empty()), "{file}");
        }
    }

    #[test]
    fn v3_dependencies_resolve_bare_and_versioned_names() {
        let raw = fixture("cargo/cargo_v3.lock");
        let packages = analyze(&CargoLockAnalyzer, "Cargo.lock", &raw);
        let app = packages.iter().find(|p| p.name == "app").expect("app");
        assert_eq!(
            app.depends_on,
            ["memchr@1.0.2", "regex@1.7.3", "regex-syntax@0.5.6"]
        );
        let mixed = fixture("cargo/cargo_mixed.lock");
        let packages = analyze(&CargoLockAnalyzer, "Cargo.lock", &mixed);
        let url = packages.iter().find(|p| p.name == "url").expect("url");
        assert_eq!(url.version, "1.7.2");
        assert_eq!(url.depends_on.len(), 3);
    }

    #[test]
    fn malformed_toml_is_an_error_with_the_file() {
        let err = CargoLockAnalyzer
            .analyze(
                &FileMeta {
                    path: "x/Cargo.lock",
                    size: 1,
                    mode: 0o644,
                },
                b"[[package]]\nname = \"a\"\nversion = ",
            )
            .unwrap_err();
        assert!(err.message.starts_with("x/Cargo.lock"), "{err}");
    }
}
