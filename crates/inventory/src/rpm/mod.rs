//! rpm: the installed-package database, read without librpm, in all three backends:
//! SQLite `rpmdb.sqlite`, NDB `Packages.db` and BerkeleyDB `Packages` (see the submodules).
//! The backend is recognised by the file's magic bytes, not its name.
//!
//! Each database record is an rpm header ([`header`]). The version is `[epoch:]version-release`;
//! the source name and version come from `SOURCERPM` (`openssl-3.0.7-1.el9.src.rpm` ->
//! `openssl`, `3.0.7-1.el9`). `gpg-pubkey` entries are imported signing keys, not software,
//! and are left out. Dependencies are resolved inside the database: a required name points to
//! the package of that name, the package that provides it, or the package that owns the file.
//!
//! A database whose structure is unreadable is an analyzer error for that file; a single bad
//! record is skipped with a warning naming the record, and the rest are still reported.

mod bdb;
mod header;
mod ndb;
mod sqlite;

use header::RpmHeader;
use osprey_model::{Ecosystem, Package, PackageLocation};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FactKind, FileMeta};
use std::collections::{BTreeMap, BTreeSet};

const ANALYZER: &str = "rpm";
const DB_DIRS: &[&str] = &["var/lib/rpm/", "usr/lib/sysimage/rpm/"];
const DB_FILES: &[&str] = &["Packages", "Packages.db", "rpmdb.sqlite"];

/// A failure reading an rpm database or header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct RpmError(String);

/// One header blob as a backend found it, with a name for the record in messages.
pub(crate) struct RawHeader {
    record: String,
    blob: Vec<u8>,
}

/// Catalogs rpm databases.
pub(crate) struct RpmAnalyzer;

impl Analyzer for RpmAnalyzer {
    fn name(&self) -> &'static str {
        ANALYZER
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        DB_DIRS.iter().any(|dir| {
            file.path
                .strip_prefix(dir)
                .is_some_and(|name| DB_FILES.contains(&name))
        })
    }

    /// Databases of large RHEL images reach a few hundred megabytes in BerkeleyDB form.
    fn max_size(&self) -> u64 {
        512 << 20
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let packages = read_database(content, file.path)
            .map_err(|e| AnalyzerError::new(format!("{}: {e}", file.path)))?;
        Ok(vec![Fact {
            analyzer: ANALYZER.to_string(),
            path: file.path.to_string(),
            kind: FactKind::Packages(packages),
        }])
    }
}

/// Reads the packages of an rpm database in any of the three backends.
pub(crate) fn read_database(bytes: &[u8], path: &str) -> Result<Vec<Package>, RpmError> {
    let raw = if bytes.starts_with(sqlite::MAGIC) {
        sqlite::headers(bytes)?
    } else if bytes.starts_with(ndb::MAGIC) {
        ndb::headers(bytes)?
    } else if bdb::is_bdb_hash(bytes) {
        bdb::headers(bytes)?
    } else {
        return Err(RpmError(
            "not an rpm database (no SQLite, NDB or Berkeley DB hash magic)".to_string(),
        ));
    };
    let headers: Vec<RpmHeader> = raw
        .into_iter()
        .filter_map(|r| match header::parse(&r.blob) {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(path, record = %r.record, "rpm: {e}, package skipped");
                None
            }
        })
        .filter(|h| h.name != "gpg-pubkey")
        .collect();
    Ok(to_packages(&headers, path))
}

fn full_version(epoch: Option<i32>, version_release: &str) -> String {
    match epoch {
        Some(e) => format!("{e}:{version_release}"),
        None => version_release.to_string(),
    }
}

/// `openssl-3.0.7-1.el9.src.rpm` -> (`openssl`, `3.0.7-1.el9`).
pub(crate) fn parse_source_rpm(source_rpm: &str) -> Option<(String, String)> {
    let stem = source_rpm
        .strip_suffix(".src.rpm")
        .or_else(|| source_rpm.strip_suffix(".nosrc.rpm"))?;
    let mut parts = stem.rsplitn(3, '-');
    let (release, version, name) = (parts.next()?, parts.next()?, parts.next()?);
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name.to_string(), format!("{version}-{release}")))
}

fn to_packages(headers: &[RpmHeader], path: &str) -> Vec<Package> {
    let versions: Vec<String> = headers
        .iter()
        .map(|h| full_version(h.epoch, &format!("{}-{}", h.version, h.release)))
        .collect();
    let ids: Vec<String> = headers
        .iter()
        .zip(&versions)
        .map(|(h, version)| format!("{}@{version}", h.name))
        .collect();
    // What satisfies a requirement: a package name, then a provided capability, then a file.
    let mut providers: BTreeMap<&str, &str> = BTreeMap::new();
    for (h, id) in headers.iter().zip(&ids) {
        providers.entry(h.name.as_str()).or_insert(id);
    }
    for (h, id) in headers.iter().zip(&ids) {
        for capability in h.provides.iter().chain(&h.files) {
            providers.entry(capability.as_str()).or_insert(id);
        }
    }
    headers
        .iter()
        .zip(versions.iter().zip(&ids))
        .map(|(h, (version, id))| {
            let mut package = Package::new(Ecosystem::Rpm, h.name.as_str(), version.as_str());
            package.pkg_type = ANALYZER.to_string();
            package.arch = h.arch.clone().filter(|a| !a.is_empty() && a != "(none)");
            if let Some((name, version)) = h.source_rpm.as_deref().and_then(parse_source_rpm) {
                package.source_name = Some(name);
                package.source_version = Some(full_version(h.epoch, &version));
            }
            package.licenses = h
                .license
                .clone()
                .filter(|l| !l.is_empty())
                .into_iter()
                .collect();
            package.location = PackageLocation {
                path: path.to_string(),
                layer: None,
            };
            let depends: BTreeSet<&str> = h
                .requires
                .iter()
                .filter(|r| !r.starts_with("rpmlib("))
                .filter_map(|r| providers.get(r.as_str()).copied())
                .filter(|dep| dep != id)
                .collect();
            package.depends_on = depends.into_iter().map(str::to_string).collect();
            package
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            parse_source_rpm("openssl-3.0.7-1.src.rpm"),
            Some(("openssl".into(), "3.0.7-1".into()))
        );
        assert_eq!(
            parse_source_rpm("util-linux-2.32.1-42.el8_8.src.rpm"),
            Some(("util-linux".into(), "2.32.1-42.el8_8".into()))
        );
        assert_eq!(parse_source_rpm("foo-1.src.rpm"), None);
        assert_eq!(parse_source_rpm("(none)"), None);
    }
}
