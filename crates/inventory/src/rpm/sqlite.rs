//! The SQLite backend (`rpmdb.sqlite`, rpm >= 4.16): table `Packages(hnum, blob)`.
//!
//! The database is opened from memory with `sqlite3_deserialize`, read-only: nothing is
//! written to disk. rpm keeps the file in WAL mode, which SQLite's in-memory VFS cannot read,
//! so the copy's header says "rollback journal" instead (bytes 18 and 19 set to 1); committed
//! pages are in the main file either way once rpm has checkpointed.

use super::{RawHeader, RpmError};
use rusqlite::{Connection, MAIN_DB};
use std::io::Read;

/// First bytes of every SQLite 3 database.
pub(crate) const MAGIC: &[u8] = b"SQLite format 3\0";
const HEADER_LEN: usize = 100;

pub(crate) fn headers(bytes: &[u8]) -> Result<Vec<RawHeader>, RpmError> {
    let err = |e: rusqlite::Error| RpmError(format!("sqlite: {e}"));
    if bytes.len() < HEADER_LEN || !bytes.starts_with(MAGIC) {
        return Err(RpmError("sqlite: not an SQLite 3 database".to_string()));
    }
    let mut header = bytes[..HEADER_LEN].to_vec();
    header[18] = 1;
    header[19] = 1;
    let mut conn = Connection::open_in_memory().map_err(err)?;
    conn.deserialize_read_exact(
        MAIN_DB,
        header.as_slice().chain(&bytes[HEADER_LEN..]),
        bytes.len(),
        true,
    )
    .map_err(err)?;
    let mut statement = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(err)?;
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)))
        })
        .map_err(err)?;
    let mut out = Vec::new();
    for row in rows {
        let (hnum, blob) = row.map_err(err)?;
        match blob {
            Ok(blob) => out.push(RawHeader {
                record: format!("hnum {hnum}"),
                blob,
            }),
            Err(e) => tracing::warn!(
                hnum,
                "rpm sqlite: blob column unreadable ({e}), record skipped"
            ),
        }
    }
    Ok(out)
}
