//! The advisory store.
//!
//! This crate owns reading advisory feeds and the on-disk database built from them:
//!
//! - OSV records, JSON or YAML ([`osv`]), from `osv/<ecosystem>/**`;
//! - the Debian security tracker, resolved per release ([`debian`]), from `debian/`;
//! - Alpine secdb ([`alpine`]), from `alpine/secdb/<branch>/<repo>/*.json`;
//! - one SQLite file holding all of it ([`build`], [`Store`]), written to a temporary file,
//!   fsynced and renamed into place, so a reader never sees a half-built store;
//! - where a scan finds that file ([`locate_db`]: `--db`, `$OSPREY_DB`, the cache directory).
//!
//! It must not touch: package inventories, matching decisions (which finding to report),
//! network transfer or rendering. Version ordering comes from `osprey-version`.
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
pub use store::{Contents, SCHEMA_VERSION, Store, normalize_package};

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
            let record = osv::parse_osv(&path, &text)?;
            // Stored as JSON whatever the input format, so readers need one parser.
            let json =
                serde_json::to_string(&osv_json(&path, &text)?).map_err(|e| DbError::Parse {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
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
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "osprey.db".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    // A stale temporary from a crashed build of this same process id would make SQLite append.
    let _ = std::fs::remove_file(&tmp);
    let meta = [("built_from", from.display().to_string())];
    let result = store::write(
        &tmp,
        &collected.osv,
        &collected.distro,
        &collected.debian_releases,
        &meta,
    )
    .and_then(|contents| {
        let file = std::fs::File::open(&tmp).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, out).map_err(io(out))?;
        // Make the rename itself durable.
        if let Ok(dir) = std::fs::File::open(&parent) {
            let _ = dir.sync_all();
        }
        Ok(contents)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|mut contents| {
        contents.warnings = collected.warnings;
        contents
    })
}
