//! npm: `package-lock.json` (lockfile versions 1, 2 and 3) and installed packages
//! (`node_modules/**/package.json`, plus a project's own `package.json` as its root package).
//!
//! A lock entry's key is its install location (`node_modules/a/node_modules/b`), so each lock
//! package carries the `package.json` path it would be installed at; [`merge_lockfiles`] folds
//! it into the installed package found there (which keeps the installed file as evidence and
//! gains the lock's direct/dev facts); see there for entries that match nothing installed.

use super::{file_name, join, packages_fact, parent_dir, parse_json};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Reads `package-lock.json` files outside `node_modules`.
pub(crate) struct PackageLockAnalyzer;

/// Reads installed `node_modules/<name>/package.json` files and project `package.json` files.
pub(crate) struct PackageJsonAnalyzer;

/// The lockfile's own JSON shape (v1 uses `dependencies`, v2 both, v3 `packages`).
#[derive(Deserialize)]
struct Lockfile {
    name: Option<String>,
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<u32>,
    packages: Option<BTreeMap<String, LockEntry>>,
    dependencies: Option<BTreeMap<String, V1Entry>>,
}

/// An entry of the v2/v3 `packages` map.
#[derive(Deserialize, Default)]
struct LockEntry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    link: bool,
    license: Option<Value>,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(default, rename = "devDependencies")]
    dev_dependencies: BTreeMap<String, String>,
    #[serde(default, rename = "optionalDependencies")]
    optional_dependencies: BTreeMap<String, String>,
    #[serde(default, rename = "peerDependencies")]
    peer_dependencies: BTreeMap<String, String>,
}

/// An entry of the v1 nested `dependencies` tree.
#[derive(Deserialize)]
struct V1Entry {
    version: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    requires: BTreeMap<String, String>,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Entry>,
}

/// One lock entry, whatever the lockfile version: install key and what the lock says.
struct Entry {
    key: String,
    name: Option<String>,
    version: Option<String>,
    dev: bool,
    link: bool,
    resolved: Option<String>,
    license: Option<Value>,
    requires: Vec<String>,
}

impl Analyzer for PackageLockAnalyzer {
    fn name(&self) -> &'static str {
        "npm-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file_name(file.path) == "package-lock.json" && !file.path.contains("node_modules/")
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let packages = parse_lock(file.path, content)?;
        Ok(packages_fact(self.name(), file.path, packages))
    }
}

/// The packages a `package-lock.json` lists (the root project included, with `root: true`).
pub(crate) fn parse_lock(path: &str, content: &[u8]) -> Result<Vec<Package>, AnalyzerError> {
    let lock: Lockfile = parse_json(path, content)?;
    let (entries, root_deps) = match (lock.packages, lock.dependencies) {
        (Some(packages), _) => {
            let root_deps: HashSet<String> = packages
                .get("")
                .map(|root| {
                    [
                        &root.dependencies,
                        &root.dev_dependencies,
                        &root.optional_dependencies,
                        &root.peer_dependencies,
                    ]
                    .into_iter()
                    .flat_map(|m| m.keys().cloned())
                    .collect()
                })
                .unwrap_or_default();
            let entries = packages
                .into_iter()
                .map(|(key, e)| {
                    let requires = e
                        .dependencies
                        .keys()
                        .chain(e.optional_dependencies.keys())
                        .chain(e.peer_dependencies.keys())
                        .cloned()
                        .collect();
                    Entry {
                        key,
                        name: e.name,
                        version: e.version,
                        dev: e.dev,
                        link: e.link,
                        resolved: e.resolved,
                        license: e.license,
                        requires,
                    }
                })
                .collect();
            (entries, Some(root_deps))
        }
        (None, Some(dependencies)) => {
            let mut entries = Vec::new();
            flatten_v1("", dependencies, &mut entries);
            (entries, None)
        }
        (None, None) => {
            return Err(AnalyzerError::new(format!(
                "{path}: lockfileVersion {} has neither `packages` nor `dependencies`",
                lock.lockfile_version.unwrap_or(0)
            )));
        }
    };

    // Workspace members are linked: `node_modules/foo` -> `packages/foo`. The target entry
    // has the version; its name is the link's name unless it states one.
    let link_names: HashMap<&str, &str> = entries
        .iter()
        .filter(|e| e.link)
        .filter_map(|e| Some((e.resolved.as_deref()?, package_name_of_key(&e.key)?)))
        .collect();
    let ids: HashMap<&str, String> = entries
        .iter()
        .filter(|e| !e.link)
        .filter_map(|e| {
            let name = entry_name(e, &link_names, lock.name.as_deref())?;
            Some((e.key.as_str(), format!("{name}@{}", e.version.as_deref()?)))
        })
        .collect();

    let lock_dir = parent_dir(path);
    let mut packages = Vec::new();
    for entry in &entries {
        if entry.link {
            continue;
        }
        let (Some(name), Some(version)) = (
            entry_name(entry, &link_names, lock.name.as_deref()),
            &entry.version,
        ) else {
            continue;
        };
        let mut package = Package::new(Ecosystem::Npm, name, version.clone());
        package.pkg_type = "npm".to_string();
        package.location.path = if entry.key.is_empty() {
            join(lock_dir, "package.json")
        } else {
            join(lock_dir, &format!("{}/package.json", entry.key))
        };
        package.lockfile = Some(path.to_string());
        package.root = entry.key.is_empty();
        package.dev = entry.dev;
        if !package.root {
            package.direct = root_deps
                .as_ref()
                .map(|deps| entry.key == format!("node_modules/{name}") && deps.contains(name));
        }
        package.licenses = entry.license.as_ref().map(licenses).unwrap_or_default();
        let mut depends_on: Vec<String> = entry
            .requires
            .iter()
            .filter_map(|dep| resolve_dependency(&entry.key, dep, &ids))
            .collect();
        depends_on.sort();
        depends_on.dedup();
        package.depends_on = depends_on;
        packages.push(package);
    }
    Ok(packages)
}

/// v1's nested tree as install keys: `a` under `b` is `node_modules/b/node_modules/a`.
fn flatten_v1(parent: &str, dependencies: BTreeMap<String, V1Entry>, out: &mut Vec<Entry>) {
    for (name, entry) in dependencies {
        let key = if parent.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{parent}/node_modules/{name}")
        };
        out.push(Entry {
            key: key.clone(),
            name: Some(name),
            version: entry.version,
            dev: entry.dev,
            link: false,
            resolved: None,
            license: None,
            requires: entry.requires.into_keys().collect(),
        });
        flatten_v1(&key, entry.dependencies, out);
    }
}

/// The package name an entry stands for.
fn entry_name<'a>(
    entry: &'a Entry,
    link_names: &HashMap<&str, &'a str>,
    lock_name: Option<&'a str>,
) -> Option<&'a str> {
    if let Some(name) = entry.name.as_deref() {
        return Some(name);
    }
    if entry.key.is_empty() {
        return lock_name;
    }
    package_name_of_key(&entry.key).or_else(|| link_names.get(entry.key.as_str()).copied())
}

/// `node_modules/a/node_modules/@s/b` -> `@s/b`; `None` for keys outside `node_modules`.
fn package_name_of_key(key: &str) -> Option<&str> {
    let i = key.rfind("node_modules/")?;
    let name = &key[i + "node_modules/".len()..];
    (!name.is_empty()).then_some(name)
}

/// Node's lookup: the nearest `node_modules/<dep>` from `key` upwards.
fn resolve_dependency(key: &str, dep: &str, ids: &HashMap<&str, String>) -> Option<String> {
    let mut base = key;
    loop {
        let candidate = if base.is_empty() {
            format!("node_modules/{dep}")
        } else {
            format!("{base}/node_modules/{dep}")
        };
        if let Some(id) = ids.get(candidate.as_str()) {
            return Some(id.clone());
        }
        if base.is_empty() {
            return None;
        }
        base = base.rfind("/node_modules/").map_or("", |i| &base[..i]);
    }
}

/// `license` as npm writes it: a string, `{ "type": .. }`, or a list of either.
fn licenses(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) if !s.is_empty() => vec![s.clone()],
        Value::Object(o) => o
            .get("type")
            .and_then(Value::as_str)
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        Value::Array(items) => items.iter().flat_map(licenses).collect(),
        _ => Vec::new(),
    }
}

/// Where a `package.json` stands.
#[derive(Debug, PartialEq, Eq)]
enum ManifestKind {
    /// `…/node_modules/<name>/package.json` or `…/node_modules/@scope/<name>/package.json`.
    Installed,
    /// A `package.json` outside any `node_modules`: a project's own manifest.
    Project,
}

/// `None` for `package.json` files that describe neither (files inside an installed package,
/// such as `node_modules/x/lib/package.json` or test fixtures).
fn manifest_kind(path: &str) -> Option<ManifestKind> {
    // Called for every file of every layer: decide on the file name before splitting.
    if file_name(path) != "package.json" {
        return None;
    }
    // Directory segments after the last `node_modules` segment, innermost last.
    let mut after_modules: Option<(usize, [&str; 2])> = None;
    for segment in parent_dir(path).split('/') {
        if segment == "node_modules" {
            after_modules = Some((0, ["", ""]));
        } else if let Some((count, seen)) = &mut after_modules {
            if *count < 2 {
                seen[*count] = segment;
            }
            *count += 1;
        }
    }
    match after_modules {
        None => Some(ManifestKind::Project),
        Some((1, [name, _])) if !name.is_empty() && !name.starts_with('@') => {
            Some(ManifestKind::Installed)
        }
        Some((2, [scope, name])) if scope.starts_with('@') && !name.is_empty() => {
            Some(ManifestKind::Installed)
        }
        Some(_) => None,
    }
}

#[derive(Deserialize)]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
    license: Option<Value>,
    licenses: Option<Value>,
}

impl Analyzer for PackageJsonAnalyzer {
    fn name(&self) -> &'static str {
        "node-pkg"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        manifest_kind(file.path).is_some()
    }

    fn max_size(&self) -> u64 {
        4 << 20
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let Some(kind) = manifest_kind(file.path) else {
            return Ok(Vec::new());
        };
        let manifest: Manifest = parse_json(file.path, content)?;
        // Private projects often have no version; such a manifest names no package.
        let (Some(name), Some(version)) = (manifest.name, manifest.version) else {
            return Ok(packages_fact(self.name(), file.path, Vec::new()));
        };
        if name.is_empty() || version.is_empty() {
            return Ok(packages_fact(self.name(), file.path, Vec::new()));
        }
        let mut package = Package::new(Ecosystem::Npm, name, version);
        package.pkg_type = "node-pkg".to_string();
        package.location.path = file.path.to_string();
        package.root = kind == ManifestKind::Project;
        package.licenses = manifest
            .license
            .or(manifest.licenses)
            .as_ref()
            .map(licenses)
            .unwrap_or_default();
        Ok(packages_fact(self.name(), file.path, vec![package]))
    }
}

/// Folds lockfile entries (npm, yarn, pnpm: `lockfile` set) into the installed packages they
/// describe.
///
/// An entry with an install location merges with the installed package at that path when name
/// and version agree; an entry without one (yarn, pnpm) merges with every installed package of
/// that name and version under the lockfile's `node_modules`. Merged, the installed
/// `package.json` stays the evidence and gains the lockfile, direct, dev and dependency facts.
///
/// When the project is installed (its `node_modules` holds packages), the installed files are
/// the truth: a lock entry whose location holds another version is stale, and one found nowhere
/// was not installed (`npm ci --omit=dev`); both are dropped. When nothing is installed (a
/// source tree), lock entries stand on their own and point at their lockfile. The root project
/// entry is always kept.
pub(crate) fn merge_lockfiles(packages: &mut Vec<Package>) {
    let mut installed: HashMap<&str, usize> = HashMap::new();
    let mut installed_by_id: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    // `<dir>/node_modules/` prefixes that hold at least one installed package.
    let mut populated: HashSet<&str> = HashSet::new();
    for (i, p) in packages.iter().enumerate() {
        if p.ecosystem == Ecosystem::Npm && p.pkg_type == "node-pkg" {
            installed.insert(&p.location.path, i);
            installed_by_id
                .entry((&p.name, &p.version))
                .or_default()
                .push(i);
            if let Some(at) = p.location.path.find("node_modules/")
                && (at == 0 || p.location.path[..at].ends_with('/'))
            {
                populated.insert(&p.location.path[..at + "node_modules/".len()]);
            }
        }
    }
    let mut merged_into: Vec<(usize, usize)> = Vec::new();
    let mut dropped = HashSet::new();
    let mut standalone = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        if p.ecosystem != Ecosystem::Npm || p.pkg_type == "node-pkg" {
            continue;
        }
        let Some(lockfile) = p.lockfile.as_deref() else {
            continue;
        };
        let same = |j: usize| packages[j].name == p.name && packages[j].version == p.version;
        let modules = join(parent_dir(lockfile), "node_modules/");
        match installed.get(p.location.path.as_str()) {
            Some(&j) if same(j) => {
                merged_into.push((i, j));
                continue;
            }
            Some(_) => {
                dropped.insert(i);
                continue;
            }
            None => {}
        }
        let matches: Vec<usize> = installed_by_id
            .get(&(p.name.as_str(), p.version.as_str()))
            .into_iter()
            .flatten()
            .copied()
            .filter(|&j| packages[j].location.path.starts_with(&modules))
            .collect();
        if !matches.is_empty() {
            merged_into.extend(matches.into_iter().map(|j| (i, j)));
        } else if populated.contains(modules.as_str()) && !p.root {
            dropped.insert(i);
        } else {
            standalone.push(i);
        }
    }
    for &(from, to) in &merged_into {
        let lock = packages[from].clone();
        let target = &mut packages[to];
        target.lockfile = lock.lockfile;
        target.direct = target.direct.or(lock.direct);
        target.dev |= lock.dev;
        target.root |= lock.root;
        if target.depends_on.is_empty() {
            target.depends_on = lock.depends_on;
        }
        if target.licenses.is_empty() {
            target.licenses = lock.licenses;
        }
    }
    for i in standalone {
        let p = &mut packages[i];
        if let Some(lockfile) = p.lockfile.take() {
            p.location.path = lockfile;
        }
    }
    dropped.extend(merged_into.iter().map(|&(from, _)| from));
    let mut index = 0;
    packages.retain(|_| {
        let keep = !dropped.contains(&index);
        index += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::tests::{analyze, fixture};

    /// Lock entries with a version outside the root: in v2/v3 every `"node_modules/…"` key of
    /// the `packages` map, in v1 every `"version"` key of the tree. In these fixtures each
    /// registry package has exactly one `"resolved"` URL, so the number of `"resolved"` keys
    /// (counted in the raw text, halved for v2 which repeats every entry in its v1 section) is
    /// an independent count.
    fn resolved_count(raw: &str, v2: bool) -> usize {
        let n = raw.matches("\"resolved\"").count();
        if v2 { n / 2 } else { n }
    }

    #[test]
    fn lockfile_fixtures_parse_with_counts_from_the_raw_text() {
        for (file, v2) in [
            ("package-lock_v1.json", false),
            ("package-lock_v2.json", true),
            ("package-lock_v3.json", false),
        ] {
            let raw = fixture(&format!("npm/{file}"));
            let packages = analyze(&PackageLockAnalyzer, "src/package-lock.json", &raw);
            let text = String::from_utf8_lossy(&raw);
            let non_root = packages.iter().filter(|p| !p.root).count();
            assert_eq!(non_root, resolved_count(&text, v2), "{file}");
            let dev = packages.iter().filter(|p| p.dev).count();
            // `"dev": true` appears once per dev entry (twice in v2: both sections).
            let dev_raw = text.matches("\"dev\": true").count();
            assert_eq!(dev, if v2 { dev_raw / 2 } else { dev_raw }, "{file}");
        }
    }

    #[test]
    fn v3_lock_marks_direct_nested_and_dependency_ids() {
        let raw = fixture("npm/package-lock_v3.json");
        let packages = analyze(&PackageLockAnalyzer, "src/package-lock.json", &raw);
        let find = |path: &str| {
            packages
                .iter()
                .find(|p| p.location.path == path)
                .unwrap_or_else(|| panic!("no package at {path}"))
        };
        let root = find("src/package.json");
        assert!(root.root);
        assert_eq!(root.id(), "node_v1@1.0.0");
        let parser = find("src/node_modules/@babel/helper-string-parser/package.json");
        assert_eq!(parser.name, "@babel/helper-string-parser");
        assert_eq!(parser.direct, Some(true));
        let debug_dev = find("src/node_modules/debug/package.json");
        assert_eq!((debug_dev.direct, debug_dev.dev), (Some(true), true));
        let nested = find("src/node_modules/body-parser/node_modules/debug/package.json");
        assert_eq!(
            (nested.version.as_str(), nested.direct),
            ("2.6.9", Some(false))
        );
        // body-parser's debug resolves to its own nested copy, not the hoisted 2.5.2.
        let body_parser = find("src/node_modules/body-parser/package.json");
        assert!(body_parser.depends_on.contains(&"debug@2.6.9".to_string()));
        assert!(body_parser.depends_on.contains(&"bytes@3.0.0".to_string()));
        // nested debug 2.6.9 needs ms 2.0.0 from its own parent's node_modules.
        assert_eq!(nested.depends_on, ["ms@2.0.0"]);
    }

    #[test]
    fn v1_lock_has_nested_locations_and_no_direct_flag() {
        let raw = fixture("npm/package-lock_v1.json");
        let packages = analyze(&PackageLockAnalyzer, "package-lock.json", &raw);
        let nested = packages
            .iter()
            .find(|p| {
                p.location.path == "node_modules/finalhandler/node_modules/debug/package.json"
            })
            .expect("nested debug");
        assert_eq!(nested.version, "2.6.9");
        assert_eq!(nested.direct, None);
        assert_eq!(nested.depends_on, ["ms@2.0.0"]);
    }

    #[test]
    fn link_entries_name_their_workspace_target() {
        let lock = br#"{"name":"ws","version":"1.0.0","lockfileVersion":3,"packages":{
            "":{"name":"ws","version":"1.0.0","workspaces":["packages/*"],"dependencies":{"lib":"*"}},
            "node_modules/lib":{"resolved":"packages/lib","link":true},
            "packages/lib":{"version":"0.3.0"},
            "node_modules/left-pad":{"version":"1.3.0","resolved":"https://r/left-pad.tgz","optional":true}
        }}"#;
        let packages = analyze(&PackageLockAnalyzer, "package-lock.json", lock);
        let ids: Vec<String> = packages.iter().map(Package::id).collect();
        assert_eq!(ids, ["ws@1.0.0", "left-pad@1.3.0", "lib@0.3.0"]);
        assert_eq!(packages[2].location.path, "packages/lib/package.json");
    }

    #[test]
    fn malformed_locks_are_errors_naming_the_file() {
        for bad in [
            &b"{\"lockfileVersion\": 3, \"packages\": {"[..],
            b"{\"lockfileVersion\": 3}",
            b"{\"packages\": {\"node_modules/x\": {\"version\": 7}}}",
            b"[]",
        ] {
            let err = PackageLockAnalyzer
                .analyze(
                    &FileMeta {
                        path: "a/package-lock.json",
                        size: 1,
                        mode: 0o644,
                    },
                    bad,
                )
                .unwrap_err();
            assert!(err.message.starts_with("a/package-lock.json"), "{err}");
        }
    }

    #[test]
    fn manifest_kinds_by_path() {
        use ManifestKind::*;
        assert_eq!(manifest_kind("app/package.json"), Some(Project));
        assert_eq!(manifest_kind("package.json"), Some(Project));
        assert_eq!(
            manifest_kind("app/node_modules/a/package.json"),
            Some(Installed)
        );
        assert_eq!(
            manifest_kind("node_modules/@s/a/package.json"),
            Some(Installed)
        );
        assert_eq!(
            manifest_kind("app/node_modules/a/node_modules/b/package.json"),
            Some(Installed)
        );
        assert_eq!(manifest_kind("app/node_modules/a/lib/package.json"), None);
        assert_eq!(manifest_kind("app/node_modules/@s/package.json"), None);
        assert_eq!(manifest_kind("app/node_modules/a/package-lock.json"), None);
        assert_eq!(
            manifest_kind("app/my_node_modules/a/package.json"),
            Some(Project)
        );
    }

    #[test]
    fn unmatched_lock_entries_point_at_the_lockfile() {
        let raw = fixture("npm/package-lock_v3.json");
        let mut packages = analyze(&PackageLockAnalyzer, "src/package-lock.json", &raw);
        let count = packages.len();
        merge_lockfiles(&mut packages);
        assert_eq!(packages.len(), count);
        assert!(
            packages
                .iter()
                .all(|p| p.location.path == "src/package-lock.json")
        );
        assert!(packages.iter().all(|p| p.lockfile.is_none()));
    }
}
