//! OSV records (schema 1.x), read from JSON or YAML files.
//!
//! Only the fields matching needs are typed; the rest of each record is kept verbatim as JSON
//! in the store. Timestamps stay strings: PyPI's YAML has unquoted ones, which a YAML 1.1
//! reader would turn into dates, and nothing here needs them as dates.

use std::collections::BTreeMap;
use std::path::Path;

use osprey_version::OsvEvent;
use serde::Deserialize;

use crate::DbError;

/// One OSV record.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct OsvRecord {
    /// `GHSA-…`, `PYSEC-…`, `RUSTSEC-…`, `GO-…`.
    pub id: String,
    /// Last modification time (RFC 3339 text).
    #[serde(default)]
    pub modified: Option<String>,
    /// Publication time.
    #[serde(default)]
    pub published: Option<String>,
    /// Set when the record was retracted.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// Other ids of the same vulnerability (CVE, GHSA, …).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Long description.
    #[serde(default)]
    pub details: Option<String>,
    /// CVSS vectors.
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
    /// Affected packages.
    #[serde(default)]
    pub affected: Vec<OsvAffected>,
    /// Database-specific extras (RustSec's `informational` lives here).
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// A severity score (`CVSS_V3` + vector).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct OsvSeverity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector or rating.
    pub score: String,
}

/// One affected package of a record.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct OsvAffected {
    /// The package.
    pub package: Option<OsvPackage>,
    /// Version ranges.
    #[serde(default)]
    pub ranges: Vec<OsvRangeSpec>,
    /// Explicitly listed affected versions.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Ecosystem extras (Go `imports`, RustSec `affects`).
    #[serde(default)]
    pub ecosystem_specific: Option<serde_json::Value>,
    /// Database extras.
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// Package identity inside an ecosystem.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct OsvPackage {
    /// Exact, case-sensitive ecosystem name (`PyPI`, `crates.io`, `Debian:12`).
    pub ecosystem: String,
    /// Package name as the ecosystem spells it.
    pub name: String,
    /// Package URL, when given.
    #[serde(default)]
    pub purl: Option<String>,
}

/// A range: its type and its events.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct OsvRangeSpec {
    /// `SEMVER`, `ECOSYSTEM` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Repository of a GIT range.
    #[serde(default)]
    pub repo: Option<String>,
    /// Events in record order; each map holds one of `introduced`, `fixed`,
    /// `last_affected`, `limit`.
    #[serde(default)]
    pub events: Vec<BTreeMap<String, String>>,
}

impl OsvRangeSpec {
    /// The events as `osprey-version` evaluates them, in record order; unknown event kinds
    /// are left out.
    pub fn version_events(&self) -> Vec<OsvEvent<'_>> {
        self.events
            .iter()
            .flat_map(|event| event.iter())
            .filter_map(|(kind, version)| match kind.as_str() {
                "introduced" => Some(OsvEvent::Introduced(version)),
                "fixed" => Some(OsvEvent::Fixed(version)),
                "last_affected" => Some(OsvEvent::LastAffected(version)),
                "limit" => Some(OsvEvent::Limit(version)),
                _ => None,
            })
            .collect()
    }
}

/// Reads one OSV file; the format follows the extension (`.json`, `.yaml`/`.yml`).
pub fn read_osv_file(path: &Path) -> Result<OsvRecord, DbError> {
    let text = std::fs::read_to_string(path).map_err(|source| DbError::Io {
        path: path.to_owned(),
        error: source,
    })?;
    parse_osv(path, &text)
}

/// Parses an OSV record from text; `path` names the source in errors and picks the format.
pub fn parse_osv(path: &Path, text: &str) -> Result<OsvRecord, DbError> {
    let yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    let record: OsvRecord = if yaml {
        serde_saphyr::from_str(text).map_err(|e| DbError::Parse {
            path: path.to_owned(),
            reason: e.to_string(),
        })?
    } else {
        serde_json::from_str(text).map_err(|e| DbError::Parse {
            path: path.to_owned(),
            reason: e.to_string(),
        })?
    };
    if record.id.trim().is_empty() {
        return Err(DbError::Parse {
            path: path.to_owned(),
            reason: "record has an empty id".into(),
        });
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquoted_yaml_timestamps_stay_text() {
        let yaml = "id: PYSEC-1\nmodified: 2021-09-26T23:32:08.989778Z\npublished: 2021-07-30 22:15:00\naffected: []\n";
        let rec = parse_osv(Path::new("x.yaml"), yaml).unwrap();
        assert_eq!(rec.modified.as_deref(), Some("2021-09-26T23:32:08.989778Z"));
        assert_eq!(rec.published.as_deref(), Some("2021-07-30 22:15:00"));
    }

    #[test]
    fn errors_name_the_file() {
        let err = parse_osv(Path::new("bad.json"), "{\"id\": 3}").unwrap_err();
        assert!(err.to_string().contains("bad.json"), "{err}");
        let err = parse_osv(Path::new("bad.yaml"), "id: [unterminated").unwrap_err();
        assert!(err.to_string().contains("bad.yaml"), "{err}");
        let err = parse_osv(Path::new("empty.json"), "{\"id\": \"\"}").unwrap_err();
        assert!(err.to_string().contains("empty id"), "{err}");
    }
}
