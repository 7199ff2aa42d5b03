//! apk: `lib/apk/db/installed` or `usr/lib/apk/db/installed` (Alpine, Wolfi, Chainguard).
//!
//! One record per package, records separated by blank lines, each line `X:value` with a
//! one-letter key: `P` name, `V` version, `A` architecture, `o` origin (the source package),
//! `L` licence, `D` dependencies and `p` provides (both space-separated; `so:libc.musl...`,
//! `cmd:sh`, `name>=1.2`, `!conflict`). The file lists every installed package, so
//! dependencies are resolved here: a `D` entry points to the package that is named so or that
//! provides it. A record without a name or version is skipped with a warning naming the file,
//! line and name (the Trivy fixture has such an entry, `P:invalidPackageWithoutAVersion`).

use crate::stanza::stanzas;
use osprey_model::{Ecosystem, Package, PackageLocation};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FactKind, FileMeta};
use std::collections::{BTreeMap, BTreeSet};

const ANALYZER: &str = "apk";
const INSTALLED: &str = "lib/apk/db/installed";
/// Where apk-tools 3 keeps the database (with `lib/apk` a symlink to it on some images).
const INSTALLED_USR: &str = "usr/lib/apk/db/installed";

/// Catalogs `lib/apk/db/installed`.
pub(crate) struct ApkAnalyzer;

impl Analyzer for ApkAnalyzer {
    fn name(&self) -> &'static str {
        ANALYZER
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file.path == INSTALLED || file.path == INSTALLED_USR
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let text = String::from_utf8_lossy(content);
        Ok(vec![Fact {
            analyzer: ANALYZER.to_string(),
            path: file.path.to_string(),
            kind: FactKind::Packages(parse_installed(&text, file.path)),
        }])
    }
}

/// A package record with the fields dependency resolution needs.
struct Record {
    package: Package,
    depends: Vec<String>,
    provides: Vec<String>,
}

/// Parses an apk `installed` database into packages with resolved dependencies.
pub(crate) fn parse_installed(text: &str, path: &str) -> Vec<Package> {
    let records: Vec<Record> = stanzas(text)
        .iter()
        .filter_map(|stanza| {
            let mut fields: BTreeMap<char, &str> = BTreeMap::new();
            for &(line_no, line) in &stanza.lines {
                let mut chars = line.chars();
                match (chars.next(), chars.next()) {
                    // Repeated keys (`R:` file names, `a:` modes) do not matter here: keep the
                    // first.
                    (Some(key), Some(':')) => {
                        fields
                            .entry(key)
                            .or_insert(line[key.len_utf8() + 1..].trim());
                    }
                    _ => tracing::warn!(path, line = line_no, "apk: not a `X:value` line, skipped"),
                }
            }
            record(&fields, path, stanza.first_line)
        })
        .collect();

    // Who satisfies a dependency name: each package's own name, then what it provides.
    let mut providers: BTreeMap<&str, String> = BTreeMap::new();
    for r in &records {
        providers.insert(r.package.name.as_str(), r.package.id());
    }
    for r in &records {
        for provided in &r.provides {
            providers
                .entry(provided.as_str())
                .or_insert_with(|| r.package.id());
        }
    }
    let depends: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let own_id = r.package.id();
            let ids: BTreeSet<String> = r
                .depends
                .iter()
                .filter_map(|name| providers.get(name.as_str()))
                .filter(|id| **id != own_id)
                .cloned()
                .collect();
            ids.into_iter().collect()
        })
        .collect();
    records
        .into_iter()
        .zip(depends)
        .map(|(mut r, ids)| {
            r.package.depends_on = ids;
            r.package
        })
        .collect()
}

fn record(fields: &BTreeMap<char, &str>, path: &str, line: usize) -> Option<Record> {
    let name = fields.get(&'P').copied().unwrap_or_default();
    let version = fields.get(&'V').copied().unwrap_or_default();
    if name.is_empty() || version.is_empty() {
        tracing::warn!(
            path,
            line,
            name,
            version,
            "apk: invalid entry without a package name or version, skipped"
        );
        return None;
    }
    let mut package = Package::new(Ecosystem::Apk, name, version);
    let field = |key: char| {
        fields
            .get(&key)
            .filter(|v| !v.is_empty())
            .map(|v| v.to_string())
    };
    package.arch = field('A');
    package.source_name = Some(field('o').unwrap_or_else(|| name.to_string()));
    package.source_version = Some(version.to_string());
    package.licenses = field('L').into_iter().collect();
    package.location = PackageLocation {
        path: path.to_string(),
        layer: None,
    };
    let names = |key: char| -> Vec<String> {
        fields
            .get(&key)
            .map(|v| v.split_whitespace().filter_map(dependency_name).collect())
            .unwrap_or_default()
    };
    Some(Record {
        package,
        depends: names('D'),
        provides: names('p'),
    })
}

/// `so:libc.musl-x86_64.so.1=1` -> `so:libc.musl-x86_64.so.1`; `musl>=1.2` -> `musl`;
/// `!conflict` -> none.
fn dependency_name(token: &str) -> Option<String> {
    if token.starts_with('!') {
        return None;
    }
    let name = token.split(['=', '<', '>', '~']).next().unwrap_or_default();
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_so_and_name_dependencies() {
        let text = "P:musl\nV:1.2.4-r2\np:so:libc.musl-x86_64.so.1=1\n\n\
                    P:busybox\nV:1.36.1-r5\no:busybox-src\nD:so:libc.musl-x86_64.so.1 musl>=1.2 !foo cmd:nothing\n";
        let packages = parse_installed(text, INSTALLED);
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[1].depends_on, ["musl@1.2.4-r2"]);
        assert_eq!(packages[1].source_name.as_deref(), Some("busybox-src"));
        assert_eq!(packages[0].source_name.as_deref(), Some("musl"));
    }

    #[test]
    fn entry_without_version_is_skipped_not_fatal() {
        let text = "P:ok\nV:1\n\nP:invalidPackageWithoutAVersion\n\nnonsense line\nP:x\nV:2\n";
        let names: Vec<String> = parse_installed(text, INSTALLED)
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["ok", "x"]);
    }
}
