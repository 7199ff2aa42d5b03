//! Language-package catalogers: Python, npm/yarn/pnpm, Cargo, Go, Java, Ruby, PHP, .NET.
//!
//! Each cataloger is one file with one (or two) [`Analyzer`]s that turn the bytes of one file
//! into [`FactKind::Packages`]. [`resolve`] runs after the squash: it keeps the packages of
//! files in the final filesystem, fills in their layer, folds lockfile entries into the
//! installed packages they describe (npm), resolves dependency names to IDs (Python), dedupes
//! and sets PURLs.
//!
//! Conventions the analyzers share with [`resolve`]:
//! - A lockfile entry whose install location is known (`package-lock.json`) carries that
//!   location (`<dir>/node_modules/x/package.json`) in `location.path` and the lockfile in
//!   `lockfile` (yarn and pnpm entries carry the lockfile in both); [`resolve`] merges it into
//!   the installed package it describes, drops it when the project is installed without it, and
//!   points it back at the lockfile when nothing is installed.
//! - Python packages carry the normalised names of their requirements in `depends_on`;
//!   [`resolve`] replaces them with `name@version` IDs of packages in the same directory and
//!   drops the rest.
//!
//! ```
//! use osprey_inventory::lang;
//! use osprey_scan::{FileMeta, LocatedFact, Squashed};
//!
//! let path = "usr/lib/python3/site-packages/PyYAML-5.3.1.dist-info/METADATA";
//! let content = b"Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3.1\nLicense: MIT\n";
//! let file = FileMeta { path, size: content.len() as u64, mode: 0o644 };
//! let mut squashed = Squashed::default();
//! for analyzer in lang::analyzers() {
//!     if analyzer.wants(&file) {
//!         for fact in analyzer.analyze(&file, content).expect("valid metadata") {
//!             squashed.facts.push(LocatedFact { layer: Some(1), in_final_fs: true, fact });
//!         }
//!     }
//! }
//! let packages = lang::resolve(&squashed);
//! assert_eq!(packages.len(), 1);
//! assert_eq!(packages[0].purl, "pkg:pypi/pyyaml@5.3.1");
//! assert_eq!(packages[0].location.layer, Some(1));
//! ```

use osprey_model::Package;
use osprey_scan::{Analyzer, AnalyzerError, Fact, FactKind, LocatedFact, Squashed};
use std::collections::HashSet;

mod cargo_lock;
mod composer;
mod dotnet;
mod elf;
mod gobinary;
mod gomod;
mod java;
mod npm;
mod pnpm;
mod purl;
mod python;
mod ruby;
mod rustbinary;
mod yarn;

/// One analyzer per cataloger, for the layer walker.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(python::PythonAnalyzer),
        Box::new(npm::PackageLockAnalyzer),
        Box::new(npm::PackageJsonAnalyzer),
        Box::new(yarn::YarnLockAnalyzer),
        Box::new(pnpm::PnpmLockAnalyzer),
        Box::new(cargo_lock::CargoLockAnalyzer),
        Box::new(rustbinary::RustBinaryAnalyzer),
        Box::new(gobinary::GoBinaryAnalyzer),
        Box::new(gomod::GoModAnalyzer),
        Box::new(java::JarAnalyzer),
        Box::new(ruby::GemspecAnalyzer),
        Box::new(ruby::GemfileLockAnalyzer),
        Box::new(composer::ComposerAnalyzer),
        Box::new(dotnet::DepsJsonAnalyzer),
    ]
}

/// The language packages of the final filesystem: packages of files that survive the squash,
/// each with the layer that added its evidence, merged, deduplicated and with PURLs set.
///
/// Facts from analyzers outside this module are ignored.
pub fn resolve(squashed: &Squashed) -> Vec<Package> {
    let ours: HashSet<&'static str> = analyzers().iter().map(|a| a.name()).collect();
    let live: Vec<&LocatedFact> = squashed
        .facts
        .iter()
        .filter(|f| f.in_final_fs && ours.contains(f.fact.analyzer.as_str()))
        .collect();
    let mut packages = Vec::new();
    for located in &live {
        if let FactKind::Packages(found) = &located.fact.kind {
            packages.extend(found.iter().map(|package| {
                let mut package = package.clone();
                package.location.layer = located.layer;
                package
            }));
        }
    }
    gomod::merge_go_sum(&mut packages, &live);
    npm::merge_lockfiles(&mut packages);
    python::resolve_requirements(&mut packages);

    let mut seen = HashSet::new();
    packages.retain(|p| {
        seen.insert((
            p.ecosystem,
            p.name.clone(),
            p.version.clone(),
            p.location.path.clone(),
        ))
    });
    for package in &mut packages {
        package.purl = purl::for_package(package);
    }
    packages.sort_by(|a, b| {
        (a.ecosystem, &a.location.path, &a.name, &a.version).cmp(&(
            b.ecosystem,
            &b.location.path,
            &b.name,
            &b.version,
        ))
    });
    packages
}

/// The one fact an analyzer reports for a file: the packages it lists (possibly none).
fn packages_fact(analyzer: &str, path: &str, packages: Vec<Package>) -> Vec<Fact> {
    vec![Fact {
        analyzer: analyzer.to_string(),
        path: path.to_string(),
        kind: FactKind::Packages(packages),
    }]
}

/// The last path component (`a/b/c.json` -> `c.json`).
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory part of a path, without the trailing slash (`a/b/c.json` -> `a/b`, `c` -> ``).
fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// `dir` joined with `rest` (`` + `x` -> `x`, `a` + `x` -> `a/x`).
fn join(dir: &str, rest: &str) -> String {
    if dir.is_empty() {
        rest.to_string()
    } else {
        format!("{dir}/{rest}")
    }
}

/// Content as UTF-8, or an error naming the analyzer's file.
fn utf8<'a>(path: &str, content: &'a [u8]) -> Result<&'a str, AnalyzerError> {
    std::str::from_utf8(content)
        .map_err(|e| AnalyzerError::new(format!("{path}: not UTF-8 text: {e}")))
}

/// A JSON document, or an error with the file, line and column at fault.
fn parse_json<'a, T: serde::Deserialize<'a>>(
    path: &str,
    content: &'a [u8],
) -> Result<T, AnalyzerError> {
    // .NET tools and Windows editors write a UTF-8 byte order mark, which JSON forbids.
    let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    serde_json::from_slice(content).map_err(|e| AnalyzerError::new(format!("{path}: {e}")))
}

#[cfg(test)]
mod app_image_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
