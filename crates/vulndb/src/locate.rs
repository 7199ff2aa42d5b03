//! Where a scan finds the advisory store: `--db FILE`, then `$OSPREY_DB`, then
//! `db/osprey.db` under osprey's cache root ([`osprey_model::cache_root`]).
//!
//! The first place that is named decides: an explicit `--db` or `$OSPREY_DB` that does not
//! exist is an error, never a silent fall-back to another, possibly older, store.

use std::path::{Path, PathBuf};

use crate::DbError;

/// The store's path under a cache root.
const DB_UNDER_CACHE: [&str; 2] = ["db", "osprey.db"];

/// `db/osprey.db` under [`osprey_model::cache_root`]; `None` when no cache root is known
/// (no `$OSPREY_CACHE_DIR`, `$XDG_CACHE_HOME` or `$HOME`). This is where `osprey db update`
/// writes by default.
pub fn default_db_path() -> Option<PathBuf> {
    osprey_model::cache_root().map(|root| DB_UNDER_CACHE.iter().fold(root, |p, c| p.join(c)))
}

/// The store a scan should open: `explicit` (`--db FILE`), else `$OSPREY_DB`, else
/// [`default_db_path`]. Fails with [`DbError::NotFound`] naming the place(s) looked at and how
/// to get a store, online and offline.
pub fn locate_db(explicit: Option<&Path>) -> Result<PathBuf, DbError> {
    let env = std::env::var_os("OSPREY_DB")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    locate_db_in(explicit, env.as_deref(), default_db_path().as_deref())
}

/// [`locate_db`] with the environment's answers passed in.
pub fn locate_db_in(
    explicit: Option<&Path>,
    env_db: Option<&Path>,
    default: Option<&Path>,
) -> Result<PathBuf, DbError> {
    let (candidate, origin) = match (explicit, env_db, default) {
        (Some(p), _, _) => (p, "--db"),
        (None, Some(p), _) => (p, "$OSPREY_DB"),
        (None, None, Some(p)) => (p, "the cache directory"),
        (None, None, None) => {
            return Err(DbError::NotFound {
                looked: "--db (not given), $OSPREY_DB (not set), the cache directory \
                         (no $OSPREY_CACHE_DIR, $XDG_CACHE_HOME or $HOME)"
                    .into(),
            });
        }
    };
    if candidate.is_file() {
        return Ok(candidate.to_owned());
    }
    let mut looked = match origin {
        "--db" => format!("{} (from --db)", candidate.display()),
        "$OSPREY_DB" => format!("{} (from $OSPREY_DB; --db not given)", candidate.display()),
        _ => format!(
            "{} (the cache directory; --db not given, $OSPREY_DB not set)",
            candidate.display()
        ),
    };
    if candidate.exists() {
        looked.push_str(", which is not a regular file");
    }
    Err(DbError::NotFound { looked })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_named_place_decides() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.db");
        let b = dir.path().join("b.db");
        std::fs::write(&b, b"").unwrap();
        // --db wins even when it is missing and $OSPREY_DB exists.
        let err = locate_db_in(Some(&a), Some(&b), Some(&b)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("a.db (from --db)"), "{msg}");
        assert!(msg.contains("osprey db update --mirror"), "{msg}");
        assert!(msg.contains("osprey db build --from"), "{msg}");
        assert_eq!(locate_db_in(None, Some(&b), Some(&a)).unwrap(), b);
        assert_eq!(locate_db_in(None, None, Some(&b)).unwrap(), b);
        let msg = locate_db_in(None, None, Some(&a)).unwrap_err().to_string();
        assert!(msg.contains("the cache directory"), "{msg}");
        let msg = locate_db_in(Some(dir.path()), None, None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("not a regular file"), "{msg}");
        let msg = locate_db_in(None, None, None).unwrap_err().to_string();
        assert!(msg.contains("$OSPREY_DB (not set)"), "{msg}");
    }

    #[test]
    fn default_is_under_the_cache_root() {
        if let Some(p) = default_db_path() {
            assert!(p.ends_with("db/osprey.db"), "{}", p.display());
        }
    }
}
