//! The on-disk store: one SQLite file, written once by [`build`] and opened read-only by
//! [`Store::open`].

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, params};

use crate::DbError;
use crate::distro::{DistroAdvisory, Status};
use crate::osv::OsvRecord;

/// Bumped whenever the tables change; [`Store::open`] refuses other versions.
pub const SCHEMA_VERSION: &str = "1";

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE osv_record (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    modified TEXT,
    published TEXT,
    withdrawn TEXT,
    informational TEXT,
    json TEXT NOT NULL
);
CREATE TABLE osv_affected (
    record_id TEXT NOT NULL REFERENCES osv_record(id),
    ecosystem TEXT NOT NULL,
    package TEXT NOT NULL
);
CREATE INDEX osv_affected_package ON osv_affected (ecosystem, package);
CREATE TABLE distro_advisory (
    vuln_id TEXT NOT NULL,
    distro TEXT NOT NULL,
    release TEXT NOT NULL,
    package TEXT NOT NULL,
    status TEXT NOT NULL,
    fixed_version TEXT,
    severity TEXT,
    unimportant INTEGER NOT NULL
);
CREATE INDEX distro_advisory_package ON distro_advisory (distro, release, package);
CREATE TABLE debian_release (codename TEXT PRIMARY KEY, major TEXT NOT NULL);
";

fn sql(path: &Path) -> impl FnOnce(rusqlite::Error) -> DbError + '_ {
    move |source| DbError::Sqlite {
        path: path.to_owned(),
        error: source,
    }
}

/// The name under which an ecosystem's package is stored and looked up: PyPI names are
/// PEP 503-normalised (lower case, runs of `-`, `_`, `.` become `-`); others are kept as is.
pub fn normalize_package(ecosystem: &str, name: &str) -> String {
    if ecosystem != "PyPI" {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// What the build put into the store.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Contents {
    /// OSV records.
    pub osv_records: usize,
    /// Withdrawn OSV records (kept, flagged).
    pub osv_withdrawn: usize,
    /// (record, package) rows.
    pub osv_affected: usize,
    /// Debian verdicts.
    pub debian: usize,
    /// Alpine verdicts.
    pub alpine: usize,
    /// Feed entries skipped (with the advisory or file and the reason).
    pub warnings: Vec<String>,
}

/// What to do when an OSV id is added twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicates {
    /// Fail: one feed directory must not hold two records with one id.
    Fail,
    /// Keep the first: a mirror's per-ecosystem archives each carry every record that names
    /// one of their packages, so a record for two ecosystems arrives twice.
    KeepFirst,
}

/// Writes a new store to a temporary file next to its destination; [`StoreWriter::finish`]
/// fsyncs it and renames it over the destination. Dropped unfinished, the temporary file is
/// removed and the destination is untouched.
pub struct StoreWriter {
    out: PathBuf,
    tmp: tempfile::TempPath,
    conn: Connection,
    contents: Contents,
    /// Debian codename → major, from the tracker's `distributions.json`.
    debian_releases: std::collections::BTreeMap<String, String>,
}

impl StoreWriter {
    /// Starts a store that will replace `out`. The temporary file lives in `out`'s directory
    /// so the final rename cannot cross file systems.
    pub fn create(out: &Path) -> Result<StoreWriter, DbError> {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "osprey.db".into());
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(&parent)
            .map_err(crate::io(&parent))?
            .into_temp_path();
        let conn = Connection::open(&tmp).map_err(sql(&tmp))?;
        // The file is fsynced and renamed into place as a whole, so no journal is needed;
        // one transaction spans the whole build.
        conn.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;",
        )
        .map_err(sql(&tmp))?;
        conn.execute_batch(SCHEMA).map_err(sql(&tmp))?;
        conn.execute_batch("BEGIN").map_err(sql(&tmp))?;
        Ok(StoreWriter {
            out: out.to_owned(),
            tmp,
            conn,
            contents: Contents::default(),
            debian_releases: Default::default(),
        })
    }

    /// Adds one OSV record. `source` names where it came from (a file, or `archive:entry`).
    /// Returns whether the record was new.
    pub fn add_osv(
        &mut self,
        source: &str,
        record: &OsvRecord,
        json: &str,
        duplicates: Duplicates,
    ) -> Result<bool, DbError> {
        let path = &self.tmp;
        let informational = record
            .database_specific
            .as_ref()
            .and_then(|d| d.get("informational"))
            .and_then(|i| i.as_str());
        let mut rec = self
            .conn
            .prepare_cached(
                "INSERT INTO osv_record (id, source, modified, published, withdrawn, informational, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(sql(path))?;
        match rec.execute(params![
            record.id,
            source,
            record.modified,
            record.published,
            record.withdrawn,
            informational,
            json
        ]) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                return match duplicates {
                    Duplicates::KeepFirst => Ok(false),
                    Duplicates::Fail => Err(DbError::Parse {
                        path: PathBuf::from(source),
                        reason: format!("duplicate OSV id {}", record.id),
                    }),
                };
            }
            Err(other) => return Err(sql(path)(other)),
        }
        self.contents.osv_records += 1;
        self.contents.osv_withdrawn += usize::from(record.withdrawn.is_some());
        let mut aff = self
            .conn
            .prepare_cached(
                "INSERT INTO osv_affected (record_id, ecosystem, package) VALUES (?1, ?2, ?3)",
            )
            .map_err(sql(path))?;
        let mut seen = std::collections::BTreeSet::new();
        for affected in &record.affected {
            let Some(pkg) = &affected.package else {
                continue;
            };
            let name = normalize_package(&pkg.ecosystem, &pkg.name);
            if seen.insert((pkg.ecosystem.clone(), name.clone())) {
                aff.execute(params![record.id, pkg.ecosystem, name])
                    .map_err(sql(path))?;
                self.contents.osv_affected += 1;
            }
        }
        Ok(true)
    }

    /// Adds distro verdicts.
    pub fn add_distro(&mut self, advisories: &[DistroAdvisory]) -> Result<(), DbError> {
        let mut d = self
            .conn
            .prepare_cached(
                "INSERT INTO distro_advisory (vuln_id, distro, release, package, status, fixed_version, severity, unimportant)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(sql(&self.tmp))?;
        for a in advisories {
            d.execute(params![
                a.vuln_id,
                a.distro,
                a.release,
                a.package,
                a.status.as_str(),
                a.fixed_version,
                a.severity,
                a.unimportant
            ])
            .map_err(sql(&self.tmp))?;
            match a.distro.as_str() {
                "debian" => self.contents.debian += 1,
                _ => self.contents.alpine += 1,
            }
        }
        Ok(())
    }

    /// Records Debian codename → major pairs (`bookworm` → `12`).
    pub fn add_debian_releases<'a>(
        &mut self,
        releases: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) {
        for (codename, major) in releases {
            self.debian_releases.insert(codename.clone(), major.clone());
        }
    }

    /// Writes the metadata (`built_from` = `origin`, the build time besides the schema version),
    /// commits, fsyncs and renames the file over the destination.
    pub fn finish(self, origin: &str) -> Result<Contents, DbError> {
        let path = self.tmp.to_path_buf();
        {
            let mut r = self
                .conn
                .prepare("INSERT INTO debian_release (codename, major) VALUES (?1, ?2)")
                .map_err(sql(&path))?;
            for (codename, major) in &self.debian_releases {
                r.execute(params![codename, major]).map_err(sql(&path))?;
            }
            let built_at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let mut m = self
                .conn
                .prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")
                .map_err(sql(&path))?;
            for (key, value) in [
                ("schema_version", SCHEMA_VERSION.to_owned()),
                ("built_from", origin.to_owned()),
                ("built_at", built_at.to_string()),
            ] {
                m.execute(params![key, value]).map_err(sql(&path))?;
            }
        }
        self.conn.execute_batch("COMMIT").map_err(sql(&path))?;
        let StoreWriter {
            out,
            tmp,
            conn,
            contents,
            ..
        } = self;
        conn.close().map_err(|(_, e)| sql(&path)(e))?;
        let file = std::fs::File::open(&path).map_err(crate::io(&path))?;
        file.sync_all().map_err(crate::io(&path))?;
        tmp.persist(&out).map_err(|e| DbError::Io {
            path: out.clone(),
            error: e.error,
        })?;
        // Make the rename itself durable.
        if let Some(dir) = out.parent().filter(|p| !p.as_os_str().is_empty())
            && let Ok(dir) = std::fs::File::open(dir)
        {
            let _ = dir.sync_all();
        }
        Ok(contents)
    }
}

/// What [`Store::info`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    /// The store file.
    pub path: PathBuf,
    /// Its schema version (always [`SCHEMA_VERSION`]: other versions do not open).
    pub schema_version: String,
    /// The feed directory or mirror it was built from.
    pub built_from: Option<String>,
    /// When it was built, in seconds since the Unix epoch (absent in stores built before
    /// this was recorded).
    pub built_at: Option<u64>,
    /// OSV records, each counted once.
    pub osv_records: u64,
    /// Entries per source.
    pub sources: Vec<SourceCount>,
}

/// How many entries one source contributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCount {
    /// `osv` (records per ecosystem), `debian` or `alpine` (verdicts per release).
    pub kind: String,
    /// The OSV ecosystem (`PyPI`, `Debian:12`) or the distro release (`bookworm`, `v3.20`).
    pub name: String,
    /// Records (OSV: a record naming two packages of one ecosystem counts once) or verdicts.
    pub entries: u64,
}

/// A built store, opened read-only.
pub struct Store {
    path: PathBuf,
    conn: Connection,
}

impl Store {
    /// Opens a store built by [`build`](crate::build); fails on a missing file, a file that is
    /// not such a store, or another schema version.
    pub fn open(path: &Path) -> Result<Store, DbError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql(path))?;
        let store = Store {
            path: path.to_owned(),
            conn,
        };
        match store.meta("schema_version")? {
            Some(v) if v == SCHEMA_VERSION => Ok(store),
            Some(v) => Err(DbError::Schema {
                path: path.to_owned(),
                found: v,
            }),
            None => Err(DbError::Schema {
                path: path.to_owned(),
                found: "none".into(),
            }),
        }
    }

    /// A `meta` value (`schema_version`, `built_from`, `built_at` in seconds since the epoch).
    pub fn meta(&self, key: &str) -> Result<Option<String>, DbError> {
        let mut stmt = self
            .conn
            .prepare("SELECT value FROM meta WHERE key = ?1")
            .map_err(sql(&self.path))?;
        let mut rows = stmt.query(params![key]).map_err(sql(&self.path))?;
        match rows.next().map_err(sql(&self.path))? {
            Some(row) => Ok(Some(row.get(0).map_err(sql(&self.path))?)),
            None => Ok(None),
        }
    }

    /// Every OSV record naming `package` in `ecosystem` (exact OSV ecosystem string; PyPI
    /// names are normalised), withdrawn ones included (check `withdrawn`).
    pub fn osv_for(&self, ecosystem: &str, package: &str) -> Result<Vec<OsvRecord>, DbError> {
        self.osv_rows(ecosystem, package, |id, json| {
            serde_json::from_str(json).map_err(|e| format!("stored record {id}: {e}"))
        })
    }

    /// [`Store::osv_for`] as the records were stored, every field kept (references,
    /// `database_specific`, credits), for readers that need more than [`OsvRecord`] types.
    pub fn osv_json_for(
        &self,
        ecosystem: &str,
        package: &str,
    ) -> Result<Vec<serde_json::Value>, DbError> {
        self.osv_rows(ecosystem, package, |id, json| {
            serde_json::from_str(json).map_err(|e| format!("stored record {id}: {e}"))
        })
    }

    fn osv_rows<T>(
        &self,
        ecosystem: &str,
        package: &str,
        parse: impl Fn(&str, &str) -> Result<T, String>,
    ) -> Result<Vec<T>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.id, r.json FROM osv_affected a JOIN osv_record r ON r.id = a.record_id
                 WHERE a.ecosystem = ?1 AND a.package = ?2 ORDER BY r.id",
            )
            .map_err(sql(&self.path))?;
        let rows = stmt
            .query_map(
                params![ecosystem, normalize_package(ecosystem, package)],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
            )
            .map_err(sql(&self.path))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row.map_err(sql(&self.path))?;
            out.push(parse(&id, &json).map_err(|reason| DbError::Parse {
                path: self.path.clone(),
                reason,
            })?);
        }
        Ok(out)
    }

    /// Every verdict for a source package in a distro release (`debian`/`bookworm`,
    /// `alpine`/`v3.20`).
    pub fn distro_for(
        &self,
        distro: &str,
        release: &str,
        package: &str,
    ) -> Result<Vec<DistroAdvisory>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT vuln_id, status, fixed_version, severity, unimportant FROM distro_advisory
                 WHERE distro = ?1 AND release = ?2 AND package = ?3 ORDER BY vuln_id",
            )
            .map_err(sql(&self.path))?;
        let rows = stmt
            .query_map(params![distro, release, package], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, bool>(4)?,
                ))
            })
            .map_err(sql(&self.path))?;
        let mut out = Vec::new();
        for row in rows {
            let (vuln_id, status, fixed_version, severity, unimportant) =
                row.map_err(sql(&self.path))?;
            let status = Status::from_name(&status).ok_or_else(|| DbError::Parse {
                path: self.path.clone(),
                reason: format!("unknown status {status:?} for {vuln_id}"),
            })?;
            out.push(DistroAdvisory {
                vuln_id,
                distro: distro.to_owned(),
                release: release.to_owned(),
                package: package.to_owned(),
                status,
                fixed_version,
                severity,
                unimportant,
            });
        }
        Ok(out)
    }

    /// Debian codename for a major version (`12` → `bookworm`).
    pub fn debian_codename(&self, major: &str) -> Result<Option<String>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT codename FROM debian_release WHERE major = ?1")
            .map_err(sql(&self.path))?;
        let mut rows = stmt.query(params![major]).map_err(sql(&self.path))?;
        match rows.next().map_err(sql(&self.path))? {
            Some(row) => Ok(Some(row.get(0).map_err(sql(&self.path))?)),
            None => Ok(None),
        }
    }

    /// What the store holds: its metadata and the number of entries per source, counted
    /// from the tables themselves.
    pub fn info(&self) -> Result<StoreInfo, DbError> {
        let count = |query: &str| -> Result<Vec<SourceCount>, DbError> {
            let mut stmt = self.conn.prepare(query).map_err(sql(&self.path))?;
            let rows = stmt
                .query_map([], |row| {
                    Ok(SourceCount {
                        kind: row.get(0)?,
                        name: row.get(1)?,
                        entries: row.get::<_, i64>(2)?.unsigned_abs(),
                    })
                })
                .map_err(sql(&self.path))?;
            rows.collect::<Result<_, _>>().map_err(sql(&self.path))
        };
        let mut sources = count(
            "SELECT 'osv', ecosystem, COUNT(DISTINCT record_id) FROM osv_affected
             GROUP BY ecosystem ORDER BY ecosystem",
        )?;
        sources.extend(count(
            "SELECT distro, release, COUNT(*) FROM distro_advisory
             GROUP BY distro, release ORDER BY distro, release",
        )?);
        let osv_records = self
            .conn
            .query_row("SELECT COUNT(*) FROM osv_record", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(sql(&self.path))?
            .unsigned_abs();
        Ok(StoreInfo {
            path: self.path.clone(),
            schema_version: SCHEMA_VERSION.to_owned(),
            built_from: self.meta("built_from")?,
            built_at: self.meta("built_at")?.and_then(|v| v.parse().ok()),
            osv_records,
            sources,
        })
    }
}
