//! Vulnerability matching: which advisories of the store apply to which installed package.
//!
//! This crate owns the matching policy and everything that decides what a user sees about a
//! vulnerability:
//!
//! - OS packages ([`Matcher`]) by **source** package in the feed of the detected release
//!   (Debian codename from the store's release map, Alpine branch `vMAJOR.MINOR` from the
//!   release), in dpkg/apk order, with the tracker's statuses; OSV `Debian:N`/`Alpine:vX.Y`
//!   records when the store has them;
//! - language packages by ecosystem and normalised name against OSV ranges and `versions[]`;
//!   the Go standard library (`stdlib`) by the binary's toolchain version;
//! - one finding per package per vulnerability: records sharing an id or alias are merged,
//!   the CVE becomes the `VulnerabilityID`, advisory ids (`GHSA-…`, `PYSEC-…`, `RUSTSEC-…`,
//!   `GO-…`) the `VendorIDs`;
//! - severity: the vendor's (Debian urgency, GitHub's rating) first, then CVSS scored from the
//!   vectors ([`cvss`]: v3.0, v3.1, v4.0);
//! - what is hidden: Debian `unimportant` entries unless asked ([`MatchOptions`]), withdrawn
//!   records, RustSec informational notices; status filters, ignore files and VEX statements
//!   ([`suppress`]).
//!
//! It must not touch: image or layer reading, the store's format or building (`vulndb`),
//! version ordering (`version`), rendering (`report`).
//!
//! ```no_run
//! use osprey_vuln::{MatchOptions, Matcher};
//! let store = osprey_vulndb::Store::open(std::path::Path::new("osprey.db"))?;
//! let matcher = Matcher::new(&store, MatchOptions::default());
//! let packages = vec![osprey_model::Package::new(osprey_model::Ecosystem::Pypi, "Django", "3.2")];
//! let found = matcher.match_packages(None, &packages, &[])?;
//! for (index, vuln) in &found.findings {
//!     println!("{} {}", packages[*index].name, vuln.vulnerability_id);
//! }
//! # Ok::<(), osprey_vuln::VulnError>(())
//! ```
#![deny(missing_docs)]

pub mod cvss;
mod cvss4_table;
mod matcher;
mod merge;
pub mod suppress;

pub use matcher::{MatchOptions, Matcher, Matches, attach};

/// Why matching failed.
#[derive(Debug, thiserror::Error)]
pub enum VulnError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] osprey_vulndb::DbError),
    /// An ignore file or VEX document is unreadable or malformed.
    #[error("{path}: {reason}")]
    Input {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}
