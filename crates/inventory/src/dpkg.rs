//! dpkg: `var/lib/dpkg/status` and the distroless form `var/lib/dpkg/status.d/<name>`.
//!
//! Each file is one or more deb822 stanzas (`Field: value`, continuation lines start with a
//! space or tab). A stanza is reported when its `Status` says the package's files are on disk:
//! the third word (the state) is `installed`, `triggers-pending`, `triggers-awaited`,
//! `half-configured` or `unpacked`. The first word (the wish) does not matter: `hold ok
//! installed` and `deinstall ok installed` (marked for removal, still there) are reported;
//! `deinstall ok config-files` (only conffiles left), `purge ok not-installed` and
//! `half-installed` are not. Distroless `status.d` files usually carry no `Status` at all; a
//! stanza without one counts as installed.
//!
//! The version is kept whole, epoch included (`1:1.2.13.dfsg-1`). `Source: glibc (2.36-9)`
//! gives the source name and version; without a version the source version is the binary's.
//!
//! Dependencies: the analyzer stores each `Depends`/`Pre-Depends` group in `depends_on` as
//! unresolved alternatives (`debconf|debconf-2.0`), because in `status.d` the packages a
//! group refers to live in other files. [`link_dependencies`] rewrites them into the
//! `name@version` IDs of installed packages, taking the first installed alternative.

use crate::stanza::{Stanza, stanzas};
use osprey_model::{Ecosystem, Package, PackageLocation};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FactKind, FileMeta};
use std::collections::{BTreeMap, BTreeSet};

const ANALYZER: &str = "dpkg";
const STATUS_FILE: &str = "var/lib/dpkg/status";
const STATUS_DIR: &str = "var/lib/dpkg/status.d/";

/// dpkg states in which the package's files are on disk.
const FILES_PRESENT_STATES: &[&str] = &[
    "installed",
    "triggers-pending",
    "triggers-awaited",
    "half-configured",
    "unpacked",
];

/// Catalogs dpkg `status` and `status.d/*` files.
pub(crate) struct DpkgAnalyzer;

impl Analyzer for DpkgAnalyzer {
    fn name(&self) -> &'static str {
        ANALYZER
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        if file.path == STATUS_FILE {
            return true;
        }
        match file.path.strip_prefix(STATUS_DIR) {
            Some(name) => !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums"),
            None => false,
        }
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let text = String::from_utf8_lossy(content);
        Ok(vec![Fact {
            analyzer: ANALYZER.to_string(),
            path: file.path.to_string(),
            kind: FactKind::Packages(parse_status(&text, file.path)),
        }])
    }
}

/// Parses a `status` file (or one `status.d` file) into its installed packages. Broken
/// stanzas and lines are skipped with a warning naming the file and line.
pub fn parse_status(text: &str, path: &str) -> Vec<Package> {
    stanzas(text)
        .iter()
        .filter_map(|stanza| parse_stanza(stanza, path))
        .collect()
}

/// The fields of one stanza; names lower-cased (deb822 field names ignore case), continuation
/// lines joined with `\n`.
fn fields<'a>(stanza: &Stanza<'a>, path: &str) -> BTreeMap<String, String> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for &(line_no, line) in &stanza.lines {
        if line.starts_with([' ', '\t']) {
            match last.as_ref().and_then(|name| fields.get_mut(name)) {
                Some(value) => {
                    value.push('\n');
                    value.push_str(line.trim());
                }
                None => tracing::warn!(
                    path,
                    line = line_no,
                    "dpkg: continuation line without a field, skipped"
                ),
            }
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                let name = name.to_ascii_lowercase();
                fields.insert(name.clone(), value.trim().to_string());
                last = Some(name);
            }
            _ => {
                tracing::warn!(
                    path,
                    line = line_no,
                    "dpkg: not a `Field: value` line, skipped"
                );
                last = None;
            }
        }
    }
    fields
}

fn parse_stanza(stanza: &Stanza<'_>, path: &str) -> Option<Package> {
    let fields = fields(stanza, path);
    let line = stanza.first_line;
    let Some(name) = fields.get("package").filter(|n| !n.is_empty()) else {
        tracing::warn!(path, line, "dpkg: stanza without a package name, skipped");
        return None;
    };
    if let Some(status) = fields.get("status") {
        let words: Vec<&str> = status.split_whitespace().collect();
        let [_wish, _flag, state] = words.as_slice() else {
            tracing::warn!(path, line, package = %name, %status, "dpkg: Status is not `want flag state`, skipped");
            return None;
        };
        if !FILES_PRESENT_STATES.contains(state) {
            return None;
        }
    }
    let Some(version) = fields.get("version").filter(|v| !v.is_empty()) else {
        tracing::warn!(path, line, package = %name, "dpkg: package without a Version, skipped");
        return None;
    };
    let mut package = Package::new(Ecosystem::Deb, name.as_str(), version.as_str());
    package.pkg_type = ANALYZER.to_string();
    package.arch = fields
        .get("architecture")
        .filter(|a| !a.is_empty())
        .cloned();
    let (source_name, source_version) = match fields.get("source") {
        Some(source) => parse_source(source),
        None => (None, None),
    };
    package.source_name = Some(source_name.unwrap_or_else(|| name.clone()));
    package.source_version = Some(source_version.unwrap_or_else(|| version.clone()));
    package.location = PackageLocation {
        path: path.to_string(),
        layer: None,
    };
    package.depends_on = ["pre-depends", "depends"]
        .iter()
        .filter_map(|field| fields.get(*field))
        .flat_map(|value| dependency_groups(value))
        .collect();
    Some(package)
}

/// `glibc (2.36-9)` -> (`glibc`, `2.36-9`); `zlib` -> (`zlib`, none).
fn parse_source(source: &str) -> (Option<String>, Option<String>) {
    let (name, rest) = match source.split_once('(') {
        Some((name, rest)) => (name.trim(), Some(rest)),
        None => (source.trim(), None),
    };
    let version = rest
        .map(|r| r.split(')').next().unwrap_or_default().trim())
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let name = (!name.is_empty()).then(|| name.to_string());
    (name, version)
}

/// `libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, python3:any` ->
/// [`libc6`, `debconf|debconf-2.0`, `python3`]: names only, version constraints, architecture
/// qualifiers and restrictions dropped.
fn dependency_groups(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|group| {
            let names: Vec<&str> = group
                .split('|')
                .filter_map(|alternative| {
                    let name = alternative
                        .split(|c: char| c == '(' || c == '[' || c == '<' || c.is_whitespace())
                        .find(|s| !s.is_empty())?;
                    Some(name.split(':').next().unwrap_or(name))
                })
                .collect();
            (!names.is_empty()).then(|| names.join("|"))
        })
        .collect()
}

/// Replaces the unresolved dependency groups of every deb package with the IDs of installed
/// packages: the first alternative that is installed, sorted and without duplicates. Groups
/// with no installed alternative (virtual or missing packages) are dropped.
pub(crate) fn link_dependencies(packages: &mut [Package]) {
    let mut installed: BTreeMap<String, String> = BTreeMap::new();
    for package in packages.iter().filter(|p| p.ecosystem == Ecosystem::Deb) {
        installed
            .entry(package.name.clone())
            .or_insert_with(|| package.id());
    }
    for package in packages
        .iter_mut()
        .filter(|p| p.ecosystem == Ecosystem::Deb)
    {
        let own_id = package.id();
        let resolved: BTreeSet<String> = package
            .depends_on
            .iter()
            .filter_map(|group| group.split('|').find_map(|name| installed.get(name)))
            .filter(|id| **id != own_id)
            .cloned()
            .collect();
        package.depends_on = resolved.into_iter().collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_with_and_without_version() {
        assert_eq!(
            parse_source("glibc (2.36-9)"),
            (Some("glibc".into()), Some("2.36-9".into()))
        );
        assert_eq!(parse_source("zlib"), (Some("zlib".into()), None));
        assert_eq!(parse_source("gcc-12 ( )"), (Some("gcc-12".into()), None));
    }

    #[test]
    fn dependency_groups_drop_constraints() {
        assert_eq!(
            dependency_groups(
                "libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, python3:any (>= 3.7~)"
            ),
            vec!["libc6", "debconf|debconf-2.0", "python3"]
        );
        assert!(dependency_groups(" , ").is_empty());
    }

    #[test]
    fn status_states() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1\n\n\
                    Package: b\nStatus: hold ok installed\nVersion: 1\n\n\
                    Package: c\nStatus: deinstall ok config-files\nVersion: 1\n\n\
                    Package: d\nStatus: purge ok not-installed\nVersion: 1\n\n\
                    Package: e\nStatus: deinstall ok installed\nVersion: 1\n\n\
                    Package: f\nStatus: install reinstreq half-installed\nVersion: 1\n\n\
                    Package: g\nStatus: install ok unpacked\nVersion: 1\n\n\
                    Package: h\nStatus: broken\nVersion: 1\n\n\
                    Package: i\nVersion: 1\n";
        let names: Vec<String> = parse_status(text, "status")
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["a", "b", "e", "g", "i"]);
    }

    #[test]
    fn links_first_installed_alternative() {
        let text = "Package: tzdata\nVersion: 1\nDepends: debconf (>= 0.5) | debconf-2.0, tzdata\n\n\
                    Package: debconf-2.0\nVersion: 2\n\nPackage: x\nVersion: 3\nPre-Depends: missing\n";
        let mut packages = parse_status(text, "status");
        link_dependencies(&mut packages);
        assert_eq!(packages[0].depends_on, ["debconf-2.0@2"]);
        assert!(packages[2].depends_on.is_empty());
    }
}
