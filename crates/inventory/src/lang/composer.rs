//! PHP: `composer.lock` (`packages`, `packages-dev`) and the installed list
//! `vendor/composer/installed.json` (Composer 1: an array; Composer 2: `{packages: [..]}`).

use super::{file_name, packages_fact, parse_json};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Reads `composer.lock` and `vendor/composer/installed.json`.
pub(crate) struct ComposerAnalyzer;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    packages: Vec<Entry>,
    #[serde(default, rename = "packages-dev")]
    packages_dev: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Installed {
    V1(Vec<Entry>),
    V2 {
        packages: Vec<Entry>,
        #[serde(default, rename = "dev-package-names")]
        dev_package_names: Vec<String>,
    },
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    version: String,
    license: Option<Value>,
    #[serde(default)]
    require: BTreeMap<String, Value>,
}

impl Analyzer for ComposerAnalyzer {
    fn name(&self) -> &'static str {
        "composer"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file_name(file.path) == "composer.lock"
            || file.path.ends_with("vendor/composer/installed.json")
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let (entries, pkg_type): (Vec<(Entry, bool)>, &str) =
            if file.path.ends_with("installed.json") {
                let entries = match parse_json::<Installed>(file.path, content)? {
                    Installed::V1(entries) => entries.into_iter().map(|e| (e, false)).collect(),
                    Installed::V2 {
                        packages,
                        dev_package_names,
                    } => {
                        let dev: HashSet<String> = dev_package_names.into_iter().collect();
                        packages
                            .into_iter()
                            .map(|e| {
                                let is_dev = dev.contains(&e.name);
                                (e, is_dev)
                            })
                            .collect()
                    }
                };
                (entries, "composer-vendor")
            } else {
                let lock: Lock = parse_json(file.path, content)?;
                let entries = lock
                    .packages
                    .into_iter()
                    .map(|e| (e, false))
                    .chain(lock.packages_dev.into_iter().map(|e| (e, true)))
                    .collect();
                (entries, "composer")
            };
        let ids: HashMap<String, String> = entries
            .iter()
            .map(|(e, _)| (e.name.to_lowercase(), format!("{}@{}", e.name, e.version)))
            .collect();
        let packages = entries
            .into_iter()
            .map(|(e, dev)| {
                let mut p = Package::new(Ecosystem::Composer, e.name, e.version);
                p.pkg_type = pkg_type.to_string();
                p.location.path = file.path.to_string();
                p.dev = dev;
                p.licenses = match e.license {
                    Some(Value::String(s)) => vec![s],
                    Some(Value::Array(items)) => items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                };
                // `php` and `ext-*` requirements are the platform, not packages.
                p.depends_on = e
                    .require
                    .keys()
                    .filter_map(|name| ids.get(&name.to_lowercase()).cloned())
                    .collect();
                p
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
    fn composer_lock_fixture() {
        let raw = fixture("composer/composer_happy.lock");
        let text = String::from_utf8_lossy(&raw);
        let packages = analyze(&ComposerAnalyzer, "app/composer.lock", &raw);
        // Independent count: every package object has one `"dist"` key (a download source).
        assert_eq!(packages.len(), text.matches("\"dist\":").count());
        let dev_section = text.split("\"packages-dev\"").nth(1).expect("dev section");
        assert_eq!(
            packages.iter().filter(|p| p.dev).count(),
            dev_section.matches("\"dist\":").count()
        );
        let guzzle = packages
            .iter()
            .find(|p| p.name == "guzzlehttp/guzzle")
            .expect("guzzle");
        assert_eq!(guzzle.licenses, ["MIT"]);
        assert!(
            guzzle
                .depends_on
                .iter()
                .any(|d| d.starts_with("guzzlehttp/promises@"))
        );
        assert!(guzzle.depends_on.iter().all(|d| !d.starts_with("php@")));
    }

    #[test]
    fn installed_json_v1_and_v2() {
        let v1 = br#"[{"name":"a/b","version":"1.0.0"},{"name":"c/d","version":"v2.1.0","require":{"a/b":"^1"}}]"#;
        let packages = analyze(&ComposerAnalyzer, "app/vendor/composer/installed.json", v1);
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[1].depends_on, ["a/b@1.0.0"]);
        assert_eq!(packages[0].pkg_type, "composer-vendor");
        let v2 = br#"{"packages":[{"name":"a/b","version":"1.0.0"},{"name":"t/u","version":"9.0"}],"dev":true,"dev-package-names":["t/u"]}"#;
        let packages = analyze(&ComposerAnalyzer, "vendor/composer/installed.json", v2);
        assert_eq!(packages.iter().filter(|p| p.dev).count(), 1);
        for bad in [&b"{\"packages\": 3}"[..], b"{", b"[{\"name\": \"x\"}]"] {
            let err = ComposerAnalyzer
                .analyze(
                    &FileMeta {
                        path: "vendor/composer/installed.json",
                        size: 1,
                        mode: 0,
                    },
                    bad,
                )
                .unwrap_err();
            assert!(
                err.message.starts_with("vendor/composer/installed.json"),
                "{err}"
            );
        }
    }
}
