//! The advisory store.
//!
//! This crate owns reading advisory feeds and the on-disk database built from them:
//!
//! - OSV records, JSON or YAML ([`osv`]), from `osv/<ecosystem>/**`;
//! - the Debian security tracker, resolved per release ([`debian`]), from `debian/`;
//! - Alpine secdb ([`alpine`]), from `alpine/secdb/<branch>/<repo>/*.json`;
//! - one SQLite file holding all of it ([`build`] from a feed directory, [`StoreWriter`] for
//!   records streamed from elsewhere, [`Store`] to read it), written to a temporary file,
//!   fsynced and renamed into place, so a reader never sees a half-built store;
//! - where a scan finds that file ([`locate_db`]: `--db`, `$OSPREY_DB`, the cache directory).
//!
//! It must not touch: package inventories, matching decisions (which finding to report),
//! network transfer and archive unpacking (`osprey-dbupdate` fetches mirrors and streams their
//! records into a [`StoreWriter`]) or rendering. Version ordering comes from `osprey-version`.
//!
//! ```no_run
//! use std::path::Path;
//! let report = osprey_vulndb::build(Path::new("shared/vulndata"), Path::new("osprey.db"))?;
//! let store = osprey_vulndb::Store::open(Path::new("osprey.db"))?;
//! let smallvec = store.osv_for("crates.io", "smallvec")?;
//! let curl = store.distro_for("debian", "bookworm", "curl")?;
//! # Ok::<(), osprey_vulndb::DbError>(())
//! ```
#![deny(missing_docs)]

pub mod alpine;
pub mod debian;
mod distro;
mod locate;
pub mod osv;
mod store;

use std::path::{Path, PathBuf};

pub use distro::{DistroAdvisory, Status};
pub use locate::{default_db_path, locate_db, locate_db_in};
pub use store::{
    Contents, Duplicates, SCHEMA_VERSION, SourceCount, Store, StoreInfo, StoreWriter,
    normalize_package,
};

/// Why a feed could not be read or the store could not be written or opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Reading or writing a file failed.
    #[error("{path}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error (part of the message, so not repeated as a cause).
        error: std::io::Error,
    },
    /// A feed file is not what its format says.
    #[error("{path}: {reason}")]
    Parse {
        /// The file (or advisory id) at fault.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// SQLite refused an operation.
    #[error("{path}: sqlite: {error}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The underlying error (part of the message).
        error: rusqlite::Error,
    },
    /// The file is not a store of this schema version.
    #[error("{path}: not an osprey advisory store of schema {SCHEMA_VERSION} (found {found})")]
    Schema {
        /// The database file.
        path: PathBuf,
        /// The schema version found.
        found: String,
    },
    /// No store where the scan looked.
    #[error(
        "no advisory database: looked at {looked}. Get one with `osprey db update`; offline, \
         with `osprey db update --mirror DIR` or `osprey db build --from DIR --out FILE`, then \
         pass `--db FILE` (or set OSPREY_DB)"
    )]
    NotFound {
        /// The place(s) looked at, and why each was chosen.
        looked: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DbError + '_ {
    move |source| DbError::Io {
        path: path.to_owned(),
        error: source,
    }
}

/// Every OSV file under `dir` (recursively), sorted.
fn osv_files(dir: &Path) -> Result<Vec<PathBuf>, DbError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(io(&d))? {
            let path = entry.map_err(io(&d))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "json" | "yaml" | "yml"))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads every feed under `from` (the `vulndata` layout) without writing anything.
fn collect(from: &Path) -> Result<Collected, DbError> {
    let mut collected = Collected::default();
    let osv_dir = from.join("osv");
    if osv_dir.is_dir() {
        for path in osv_files(&osv_dir)? {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let (record, json) = parse_osv_for_store(&path, &text)?;
            let source = path
                .strip_prefix(from)
                .unwrap_or(&path)
                .display()
                .to_string();
            collected.osv.push((source, record, json));
        }
    }
    let secdb = from.join("alpine/secdb");
    if secdb.is_dir() {
        for branch_entry in std::fs::read_dir(&secdb).map_err(io(&secdb))? {
            let branch_dir = branch_entry.map_err(io(&secdb))?.path();
            let Some(branch) = branch_dir.file_name().and_then(|b| b.to_str()) else {
                continue;
            };
            for path in osv_files(&branch_dir)? {
                collected
                    .distro
                    .extend(alpine::read_secdb_file(&path, branch)?);
            }
        }
    }
    let debian_dir = from.join("debian");
    if debian_dir.is_dir() {
        let data = debian::DebianData::load(&debian_dir)?;
        let resolved = data.resolve()?;
        collected.distro.extend(resolved.advisories);
        collected.warnings.extend(resolved.warnings);
        collected.debian_releases = data
            .releases()
            .iter()
            .map(|(c, m)| (c.clone(), m.clone()))
            .collect();
    }
    Ok(collected)
}

/// The raw record as a JSON value (YAML input converted), for storage.
fn osv_json(path: &Path, text: &str) -> Result<serde_json::Value, DbError> {
    let yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    if yaml {
        serde_saphyr::from_str(text).map_err(|e| e.to_string())
    } else {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
    .map_err(|e| DbError::Parse {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

#[derive(Default)]
struct Collected {
    osv: Vec<(String, osv::OsvRecord, String)>,
    distro: Vec<DistroAdvisory>,
    debian_releases: Vec<(String, String)>,
    warnings: Vec<String>,
}

/// Builds the store at `out` from the feeds under `from` (`osv/`, `debian/`, `alpine/`):
/// everything is read and checked first, then written to a temporary file next to `out`,
/// fsynced, and renamed over `out`. On any error `out` is left as it was.
pub fn build(from: &Path, out: &Path) -> Result<Contents, DbError> {
    if !from.is_dir() {
        return Err(DbError::Io {
            path: from.to_owned(),
            error: std::io::Error::new(std::io::ErrorKind::NotFound, "feed directory not found"),
        });
    }
    let collected = collect(from)?;
    let mut writer = StoreWriter::create(out)?;
    for (source, record, json) in &collected.osv {
        writer.add_osv(source, record, json, Duplicates::Fail)?;
    }
    writer.add_distro(&collected.distro)?;
    writer.add_debian_releases(collected.debian_releases.iter().map(|(c, m)| (c, m)));
    let mut contents = writer.finish(&from.display().to_string())?;
    contents.warnings = collected.warnings;
    Ok(contents)
}

/// Parses one OSV record from `text` (JSON, or YAML when `source` ends in `.yaml`/`.yml`)
/// and returns it with the compact JSON the store keeps. `source` names it in errors.
pub fn parse_osv_for_store(source: &Path, text: &str) -> Result<(osv::OsvRecord, String), DbError> {
    let record = osv::parse_osv(source, text)?;
    // Stored as JSON whatever the input format, so readers need one parser.
    let json = serde_json::to_string(&osv_json(source, text)?).map_err(|e| DbError::Parse {
        path: source.to_owned(),
        reason: e.to_string(),
    })?;
    Ok((record, json))
}
