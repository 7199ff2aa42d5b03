//! Alpine secdb, one JSON file per origin package (vuln-list layout:
//! `secdb/<branch>/<repo>/<package>.json` with `name`, `secfixes`, `distroversion`…).
//!
//! `secfixes` maps a fixed version to the ids it fixes; the key `"0"` means "not affected in
//! this branch", never "fixed in 0". secdb lists fixed issues only: it has no unfixed data.

use std::collections::BTreeMap;
use std::path::Path;

use osprey_version::Scheme;
use serde::Deserialize;

use crate::DbError;
use crate::distro::{DistroAdvisory, Status};

#[derive(Deserialize)]
struct SecdbFile {
    name: String,
    #[serde(default)]
    secfixes: BTreeMap<String, Option<Vec<String>>>,
    #[serde(default)]
    distroversion: Option<String>,
}

/// Reads one secdb package file. `branch` is used when the file lacks `distroversion`.
pub fn read_secdb_file(path: &Path, branch: &str) -> Result<Vec<DistroAdvisory>, DbError> {
    let text = std::fs::read_to_string(path).map_err(|source| DbError::Io {
        path: path.to_owned(),
        error: source,
    })?;
    parse_secdb(path, &text, branch)
}

/// Parses one secdb package document.
pub fn parse_secdb(path: &Path, text: &str, branch: &str) -> Result<Vec<DistroAdvisory>, DbError> {
    let file: SecdbFile = serde_json::from_str(text).map_err(|e| DbError::Parse {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    if file.name.trim().is_empty() {
        return Err(DbError::Parse {
            path: path.to_owned(),
            reason: "package name is empty".into(),
        });
    }
    let release = file.distroversion.unwrap_or_else(|| branch.to_owned());
    let mut out = Vec::new();
    for (version, ids) in file.secfixes {
        let not_affected = version == "0";
        if !not_affected {
            Scheme::Apk.parse(&version).map_err(|e| DbError::Parse {
                path: path.to_owned(),
                reason: format!("secfixes key: {e}"),
            })?;
        }
        for entry in ids.unwrap_or_default() {
            // Entries are ids, sometimes followed by a note ("CVE-2019-1234 (this is…)").
            let Some(id) = entry.split_whitespace().next() else {
                continue;
            };
            out.push(DistroAdvisory {
                vuln_id: id.to_owned(),
                distro: "alpine".into(),
                release: release.clone(),
                package: file.name.clone(),
                status: if not_affected {
                    Status::NotAffected
                } else {
                    Status::Fixed
                },
                fixed_version: (!not_affected).then(|| version.clone()),
                severity: None,
                unimportant: false,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_key_is_not_affected() {
        let text = r#"{"name":"busybox","distroversion":"v3.20","secfixes":{
            "0":["CVE-2021-42373"],"1.36.1-r25":["CVE-2023-42366 (regression)"],"1.2-r0":null}}"#;
        let recs = parse_secdb(Path::new("busybox.json"), text, "v3.20").unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].status, Status::NotAffected);
        assert_eq!(recs[0].fixed_version, None);
        assert_eq!(recs[1].vuln_id, "CVE-2023-42366");
        assert_eq!(recs[1].fixed_version.as_deref(), Some("1.36.1-r25"));
    }

    #[test]
    fn bad_files_name_the_file() {
        let err = parse_secdb(
            Path::new("x.json"),
            r#"{"name":"a","secfixes":{"_bad":["CVE-1"]}}"#,
            "v3.20",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("x.json") && err.to_string().contains("_bad"),
            "{err}"
        );
        let err = parse_secdb(Path::new("y.json"), "[]", "v3.20").unwrap_err();
        assert!(err.to_string().contains("y.json"), "{err}");
    }
}
