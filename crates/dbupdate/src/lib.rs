//! `osprey db update`: fetching an OSV mirror and rebuilding the advisory store from it.
//!
//! This crate owns network transfer and archive unpacking for the advisory store:
//!
//! - [`Mirror`]: where the archives come from: an HTTP(S) base URL (default: the public OSV
//!   bucket) or a local directory for air-gapped machines, both in OSV's per-ecosystem
//!   layout `<base>/<Ecosystem>/all.zip` with an optional `<base>/ecosystems.txt`. HTTP has
//!   connect and per-read timeouts, retries with backoff, and checks the body against
//!   `Content-Length`;
//! - [`archive`]: reading those zips as hostile input (entry count, per-entry and total
//!   sizes capped, sizes checked while reading not just as declared, unsafe entry names
//!   refused; nothing is ever written to disk by entry name);
//! - [`update`]: every record streamed into an `osprey_vulndb::StoreWriter`, which renames
//!   the new store over the old one only when all archives were read; any failure leaves
//!   the old store as it was.
//!
//! It must not touch: what records mean (parsing and storage are `osprey-vulndb`'s), matching,
//! rendering, or where a scan looks for the store (`osprey_vulndb::locate_db`).
#![deny(missing_docs)]

pub mod archive;
mod mirror;

use std::path::{Path, PathBuf};

use osprey_vulndb::{Contents, DbError, Duplicates, StoreWriter};

pub use archive::Limits;
pub use mirror::{DEFAULT_MIRROR, Mirror};

/// The OSV ecosystems osprey matches packages against, fetched unless the mirror's
/// `ecosystems.txt` says it lacks them. `Debian` and `Alpine` hold every release.
pub const ECOSYSTEMS: [&str; 10] = [
    "Alpine",
    "Debian",
    "Go",
    "Maven",
    "npm",
    "NuGet",
    "Packagist",
    "PyPI",
    "RubyGems",
    "crates.io",
];

/// Why an update failed. The old store is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The mirror could not be used at all.
    #[error("mirror {mirror}: {reason}")]
    Mirror {
        /// The mirror as given.
        mirror: String,
        /// What is wrong.
        reason: String,
    },
    /// A download failed after its retries.
    #[error("downloading {url}: {reason}")]
    Download {
        /// What was fetched.
        url: String,
        /// Why it failed, with the last attempt's details.
        reason: String,
    },
    /// An archive is corrupt or hostile.
    #[error("archive {archive}: {reason}")]
    Archive {
        /// The archive (URL or path).
        archive: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The mirror has none of the wanted ecosystems.
    #[error(
        "mirror {mirror} has none of the ecosystems osprey matches ({wanted}); is it an OSV mirror (<base>/<Ecosystem>/all.zip)?"
    )]
    NoEcosystems {
        /// The mirror.
        mirror: String,
        /// The ecosystems looked for.
        wanted: String,
    },
    /// Local file trouble (temporary files, a directory mirror).
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// Writing the store failed.
    #[error(transparent)]
    Store(#[from] DbError),
}

/// Progress of an update, for a terminal bar; every method has an empty default.
pub trait Progress {
    /// An archive download starts; `bytes` when the size is known.
    fn archive_start(&self, _ecosystem: &str, _bytes: Option<u64>) {}
    /// `bytes` more of the current archive arrived.
    fn archive_bytes(&self, _bytes: u64) {}
    /// The current archive was read into the store.
    fn archive_done(&self, _ecosystem: &str, _records: usize) {}
}

/// No progress display.
pub struct NoProgress;
impl Progress for NoProgress {}

/// What to fetch and where the store goes.
pub struct UpdateOptions {
    /// Where the archives come from.
    pub mirror: Mirror,
    /// The store to replace (created, with its directory, when absent).
    pub db: PathBuf,
    /// Ecosystems to fetch (normally [`ECOSYSTEMS`]).
    pub ecosystems: Vec<String>,
    /// Bounds on each archive.
    pub limits: Limits,
}

/// One archive read into the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The ecosystem.
    pub ecosystem: String,
    /// Archive size in bytes.
    pub bytes: u64,
    /// Records read (a record already read from an earlier archive included).
    pub records: usize,
}

/// What an update did.
#[derive(Debug, Default)]
pub struct UpdateReport {
    /// Archives read.
    pub fetched: Vec<Fetched>,
    /// Wanted ecosystems the mirror does not have.
    pub missing: Vec<String>,
    /// What the new store holds; `warnings` lists records that were skipped and why.
    pub contents: Contents,
}

/// Fetches every wanted ecosystem's archive from the mirror and replaces the store with one
/// built from them. Ecosystems the mirror lacks are reported in [`UpdateReport::missing`]; a
/// mirror with none of them is an error. A record that does not parse is skipped with a
/// warning; a download or archive that fails aborts the update, and the old store stays.
pub fn update(opts: &UpdateOptions, progress: &dyn Progress) -> Result<UpdateReport, UpdateError> {
    let dir = match opts.db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let listed = opts.mirror.ecosystems()?;
    let mut report = UpdateReport::default();
    let mut writer = StoreWriter::create(&opts.db)?;
    for ecosystem in &opts.ecosystems {
        if listed
            .as_ref()
            .is_some_and(|l| !l.iter().any(|e| e == ecosystem))
        {
            report.missing.push(ecosystem.clone());
            continue;
        }
        let Some((file, label, bytes)) = opts.mirror.fetch(ecosystem, &dir, progress)? else {
            report.missing.push(ecosystem.clone());
            continue;
        };
        let mut records = 0;
        archive::for_each_record(file, &label, &opts.limits, |name, text| {
            records += 1;
            let source = format!("{ecosystem}/all.zip:{name}");
            match osprey_vulndb::parse_osv_for_store(Path::new(&source), text) {
                Ok((record, json)) => {
                    writer.add_osv(&source, &record, &json, Duplicates::KeepFirst)?;
                }
                Err(DbError::Parse { path, reason }) => report
                    .contents
                    .warnings
                    .push(format!("{}: {reason}", path.display())),
                Err(other) => return Err(other.into()),
            }
            Ok(())
        })?;
        progress.archive_done(ecosystem, records);
        report.fetched.push(Fetched {
            ecosystem: ecosystem.clone(),
            bytes,
            records,
        });
    }
    if report.fetched.is_empty() {
        return Err(UpdateError::NoEcosystems {
            mirror: opts.mirror.to_string(),
            wanted: opts.ecosystems.join(", "),
        });
    }
    let warnings = std::mem::take(&mut report.contents.warnings);
    report.contents = writer.finish(&opts.mirror.to_string())?;
    report.contents.warnings = warnings;
    Ok(report)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> UpdateError + '_ {
    move |error| UpdateError::Io {
        path: path.to_owned(),
        error,
    }
}
