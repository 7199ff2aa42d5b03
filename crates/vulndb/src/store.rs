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

/// Writes `contents` to a fresh database at `tmp`.
pub(crate) fn write(
    tmp: &Path,
    osv: &[(String, OsvRecord, String)],
    distro: &[DistroAdvisory],
    debian_releases: &[(String, String)],
    meta: &[(&str, String)],
) -> Result<Contents, DbError> {
    let mut conn = Connection::open(tmp).map_err(sql(tmp))?;
    // The file is fsynced and renamed into place as a whole, so no journal is needed.
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        .map_err(sql(tmp))?;
    conn.execute_batch(SCHEMA).map_err(sql(tmp))?;
    let tx = conn.transaction().map_err(sql(tmp))?;
    let mut contents = Contents::default();
    {
        let mut rec = tx
            .prepare(
                "INSERT INTO osv_record (id, source, modified, published, withdrawn, informational, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(sql(tmp))?;
        let mut aff = tx
            .prepare("INSERT INTO osv_affected (record_id, ecosystem, package) VALUES (?1, ?2, ?3)")
            .map_err(sql(tmp))?;
        for (source, record, json) in osv {
            let informational = record
                .database_specific
                .as_ref()
                .and_then(|d| d.get("informational"))
                .and_then(|i| i.as_str());
            rec.execute(params![
                record.id,
                source,
                record.modified,
                record.published,
                record.withdrawn,
                informational,
                json
            ])
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    DbError::Parse {
                        path: PathBuf::from(source),
                        reason: format!("duplicate OSV id {}", record.id),
                    }
                }
                other => sql(tmp)(other),
            })?;
            contents.osv_records += 1;
            contents.osv_withdrawn += usize::from(record.withdrawn.is_some());
            let mut seen = std::collections::BTreeSet::new();
            for affected in &record.affected {
                let Some(pkg) = &affected.package else {
                    continue;
                };
                let name = normalize_package(&pkg.ecosystem, &pkg.name);
                if seen.insert((pkg.ecosystem.clone(), name.clone())) {
                    aff.execute(params![record.id, pkg.ecosystem, name])
                        .map_err(sql(tmp))?;
                    contents.osv_affected += 1;
                }
            }
        }
        let mut d = tx
            .prepare(
                "INSERT INTO distro_advisory (vuln_id, distro, release, package, status, fixed_version, severity, unimportant)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(sql(tmp))?;
        for a in distro {
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
            .map_err(sql(tmp))?;
            match a.distro.as_str() {
                "debian" => contents.debian += 1,
                _ => contents.alpine += 1,
            }
        }
        let mut r = tx
            .prepare("INSERT INTO debian_release (codename, major) VALUES (?1, ?2)")
            .map_err(sql(tmp))?;
        for (codename, major) in debian_releases {
            r.execute(params![codename, major]).map_err(sql(tmp))?;
        }
        let mut m = tx
            .prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")
            .map_err(sql(tmp))?;
        m.execute(params!["schema_version", SCHEMA_VERSION])
            .map_err(sql(tmp))?;
        for (key, value) in meta {
            m.execute(params![key, value]).map_err(sql(tmp))?;
        }
    }
    tx.commit().map_err(sql(tmp))?;
    conn.close().map_err(|(_, e)| sql(tmp)(e))?;
    Ok(contents)
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

    /// A `meta` value (`schema_version`, `built_from`, counts).
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
}
