//! `pnpm-lock.yaml`, lockfile versions 5 (`/name/1.0.0_peer`), 6 (`/name@1.0.0(peer)`) and
//! 9 (`name@1.0.0(peer)` with dependency edges in `snapshots`).

use super::{file_name, packages_fact, utf8};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Reads `pnpm-lock.yaml` files outside `node_modules`.
pub(crate) struct PnpmLockAnalyzer;

type Deps = BTreeMap<String, Value>;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Value,
    #[serde(default)]
    importers: BTreeMap<String, Importer>,
    #[serde(default)]
    dependencies: Deps,
    #[serde(default, rename = "devDependencies")]
    dev_dependencies: Deps,
    #[serde(default, rename = "optionalDependencies")]
    optional_dependencies: Deps,
    #[serde(default)]
    packages: BTreeMap<String, PackageEntry>,
    #[serde(default)]
    snapshots: BTreeMap<String, Snapshot>,
}

#[derive(Deserialize, Default)]
struct Importer {
    #[serde(default)]
    dependencies: Deps,
    #[serde(default, rename = "devDependencies")]
    dev_dependencies: Deps,
    #[serde(default, rename = "optionalDependencies")]
    optional_dependencies: Deps,
}

#[derive(Deserialize)]
struct PackageEntry {
    name: Option<String>,
    version: Option<Value>,
    dev: Option<bool>,
    #[serde(default)]
    dependencies: Deps,
    #[serde(default, rename = "optionalDependencies")]
    optional_dependencies: Deps,
}

#[derive(Deserialize)]
struct Snapshot {
    #[serde(default)]
    dependencies: Deps,
    #[serde(default, rename = "optionalDependencies")]
    optional_dependencies: Deps,
}

impl Analyzer for PnpmLockAnalyzer {
    fn name(&self) -> &'static str {
        "pnpm-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file_name(file.path) == "pnpm-lock.yaml" && !file.path.contains("node_modules/")
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let text = utf8(file.path, content)?;
        let lock: Lockfile = serde_saphyr::from_str(text)
            .map_err(|e| AnalyzerError::new(format!("{}: {e}", file.path)))?;
        let packages = to_packages(file.path, lock)
            .map_err(|e| AnalyzerError::new(format!("{}: {e}", file.path)))?;
        Ok(packages_fact(self.name(), file.path, packages))
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `1.0.0(react@18.0.0)` -> `1.0.0`; `1.0.0_react@18.0.0` (v5) -> `1.0.0`.
fn strip_peers(version: &str, v5: bool) -> &str {
    let cut = if v5 {
        version.find('_')
    } else {
        version.find('(')
    };
    cut.map_or(version, |i| &version[..i])
}

/// A dependency reference: v5 writes the version, v6+ `{specifier, version}`.
fn dep_version(value: &Value) -> Option<String> {
    scalar(value).or_else(|| value.get("version").and_then(scalar))
}

/// Name and version in a `packages` key.
fn parse_key(key: &str, v5: bool) -> Option<(String, String)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    if v5 {
        let (name, version) = key.rsplit_once('/')?;
        return Some((name.to_string(), strip_peers(version, true).to_string()));
    }
    let key = strip_peers(key, false);
    let at = key.get(1..)?.find('@')? + 1;
    Some((key[..at].to_string(), key[at + 1..].to_string()))
}

fn looks_like_version(v: &str) -> bool {
    v.starts_with(|c: char| c.is_ascii_digit())
}

fn to_packages(path: &str, lock: Lockfile) -> Result<Vec<Package>, String> {
    let major = scalar(&lock.lockfile_version)
        .and_then(|v| v.split('.').next()?.parse::<u32>().ok())
        .ok_or_else(|| format!("unreadable lockfileVersion {}", lock.lockfile_version))?;
    let v5 = major < 6;

    // Package key (peers stripped) -> (name, version).
    let mut ids: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (key, entry) in &lock.packages {
        let Some((key_name, key_version)) = parse_key(key, v5) else {
            return Err(format!("package key {key:?} has no name@version"));
        };
        let name = entry.name.clone().unwrap_or(key_name);
        let version = entry
            .version
            .as_ref()
            .and_then(scalar)
            .unwrap_or(key_version);
        if !looks_like_version(&version) {
            continue; // local directories and links have no registry version
        }
        let bare = key.strip_prefix('/').unwrap_or(key);
        ids.insert(strip_peers(bare, v5).to_string(), (name, version));
    }
    let key_of = |name: &str, version: &str| -> String {
        let version = strip_peers(version, v5);
        if v5 {
            format!("{name}/{version}")
        } else {
            format!("{name}@{version}")
        }
    };
    let id_of = |key: &str| ids.get(key).map(|(n, v)| format!("{n}@{v}"));

    // Direct dependencies: the root importer (`.`) in v9, the top level before.
    let root = lock.importers.get(".");
    let (prod, dev_roots, optional) = match root {
        Some(r) => (
            &r.dependencies,
            &r.dev_dependencies,
            &r.optional_dependencies,
        ),
        None => (
            &lock.dependencies,
            &lock.dev_dependencies,
            &lock.optional_dependencies,
        ),
    };
    let direct: HashSet<String> = [prod, dev_roots, optional]
        .into_iter()
        .flatten()
        .filter_map(|(name, v)| Some(key_of(name, &dep_version(v)?)))
        .collect();

    // Dependency edges, by package key.
    let mut edges: HashMap<String, Vec<String>> = HashMap::new();
    let mut add_edges = |key: &str, deps: [&Deps; 2]| {
        let bare = strip_peers(key.strip_prefix('/').unwrap_or(key), v5).to_string();
        let list = edges.entry(bare).or_default();
        for (name, v) in deps.into_iter().flatten() {
            if let Some(version) = dep_version(v) {
                list.push(key_of(name, &version));
            }
        }
    };
    for (key, e) in &lock.packages {
        add_edges(key, [&e.dependencies, &e.optional_dependencies]);
    }
    for (key, s) in &lock.snapshots {
        add_edges(key, [&s.dependencies, &s.optional_dependencies]);
    }

    // v9 has no `dev` flag: a package is dev when only devDependencies reach it.
    let reach = |roots: Vec<String>| -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut stack = roots;
        while let Some(key) = stack.pop() {
            if seen.insert(key.clone()) {
                stack.extend(edges.get(&key).into_iter().flatten().cloned());
            }
        }
        seen
    };
    let roots_of = |maps: &[&Deps]| -> Vec<String> {
        maps.iter()
            .flat_map(|m| m.iter())
            .filter_map(|(name, v)| Some(key_of(name, &dep_version(v)?)))
            .collect()
    };
    let all_prod: Vec<&Deps> = lock
        .importers
        .values()
        .flat_map(|i| [&i.dependencies, &i.optional_dependencies])
        .collect();
    let all_dev: Vec<&Deps> = lock
        .importers
        .values()
        .map(|i| &i.dev_dependencies)
        .collect();
    let prod_reach = reach(roots_of(&all_prod));
    let dev_reach = reach(roots_of(&all_dev));

    let mut packages = Vec::new();
    for (key, entry) in &lock.packages {
        let bare = strip_peers(key.strip_prefix('/').unwrap_or(key), v5);
        let Some((name, version)) = ids.get(bare) else {
            continue;
        };
        let mut p = Package::new(Ecosystem::Npm, name.clone(), version.clone());
        p.pkg_type = "pnpm".to_string();
        p.location.path = path.to_string();
        p.lockfile = Some(path.to_string());
        p.direct = Some(direct.contains(bare));
        p.dev = match entry.dev {
            Some(dev) => dev,
            None => dev_reach.contains(bare) && !prod_reach.contains(bare),
        };
        let mut deps: Vec<String> = edges
            .get(bare)
            .into_iter()
            .flatten()
            .filter_map(|k| id_of(k))
            .collect();
        deps.sort();
        deps.dedup();
        p.depends_on = deps;
        packages.push(p);
    }
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::tests::{analyze, fixture};

    /// Independent count from the raw text: entry keys of the `packages:` section are the
    /// lines indented by exactly two spaces up to the next top-level key; keys without a
    /// registry version (`file:` directories with no `version:` line) are not packages.
    fn package_keys(raw: &str) -> usize {
        let mut in_packages = false;
        let mut count = 0;
        let mut last_key_has_version = true;
        let mut last_key_needs_version = false;
        for line in raw.lines() {
            if !line.starts_with(' ') && !line.is_empty() {
                in_packages = line == "packages:";
                continue;
            }
            if !in_packages {
                continue;
            }
            if line.starts_with("  ") && !line.starts_with("   ") {
                if last_key_needs_version && !last_key_has_version {
                    count -= 1;
                }
                count += 1;
                let key = line.trim().trim_matches(|c| c == '\'' || c == ':');
                last_key_needs_version = key.contains("@file:") || key.contains("@link:");
                last_key_has_version = false;
            } else if line.trim_start().starts_with("version:") {
                last_key_has_version = true;
            }
        }
        if last_key_needs_version && !last_key_has_version {
            count -= 1;
        }
        count
    }

    #[test]
    fn v5_v6_v9_fixtures_list_one_package_per_key() {
        for file in [
            "pnpm-lock_with_dev.yaml",
            "pnpm-lock_v6_with_dev.yaml",
            "pnpm-lock_v9.yaml",
        ] {
            let raw = fixture(&format!("pnpm/{file}"));
            let packages = analyze(&PnpmLockAnalyzer, "pnpm-lock.yaml", &raw);
            let text = String::from_utf8_lossy(&raw);
            assert_eq!(packages.len(), package_keys(&text), "{file}");
            if !file.contains("v9") {
                // v5/v6 state `dev: true` per dev package.
                let dev = text.lines().filter(|l| l.trim() == "dev: true").count();
                assert_eq!(packages.iter().filter(|p| p.dev).count(), dev, "{file}");
            }
        }
    }

    #[test]
    fn direct_dev_and_tarball_versions() {
        let raw = fixture("pnpm/pnpm-lock_v9.yaml");
        let packages = analyze(&PnpmLockAnalyzer, "pnpm-lock.yaml", &raw);
        let get = |id: &str| {
            packages
                .iter()
                .find(|p| p.id() == id)
                .unwrap_or_else(|| panic!("{id}"))
        };
        assert_eq!(get("jquery@3.6.0").direct, Some(true));
        assert!(get("jquery@3.6.0").dev);
        assert!(!get("promise@8.1.0").dev);
        assert_eq!(get("asap@2.0.6").direct, Some(false));
        // A tarball dependency takes the version the entry states.
        get("debug@4.3.5");
        assert!(packages.iter().all(|p| p.name != "package1"));
        let raw = fixture("pnpm/pnpm-lock_with_dev.yaml");
        let packages = analyze(&PnpmLockAnalyzer, "pnpm-lock.yaml", &raw);
        let runtime = packages
            .iter()
            .find(|p| p.name == "@babel/runtime")
            .expect("scoped v5");
        assert_eq!(runtime.version, "7.18.3");
        assert_eq!(runtime.depends_on, ["regenerator-runtime@0.13.9"]);
    }

    #[test]
    fn malformed_yaml_is_an_error_naming_the_file() {
        for bad in [
            "lockfileVersion: '9.0'\npackages: [",
            "packages: {}\n",
            "lockfileVersion: x\n",
        ] {
            let err = PnpmLockAnalyzer
                .analyze(
                    &FileMeta {
                        path: "w/pnpm-lock.yaml",
                        size: 1,
                        mode: 0o644,
                    },
                    bad.as_bytes(),
                )
                .unwrap_err();
            assert!(err.message.starts_with("w/pnpm-lock.yaml"), "{err}");
        }
    }
}
