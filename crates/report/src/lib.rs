//! Renderers: one [`osprey_model::report::Report`] in, many formats out.
//!
//! | [`Format`] | what is written |
//! |---|---|
//! | `table` | Trivy-like text: one section per result (packages, vulnerabilities, secrets, misconfigurations) |
//! | `json` | the report itself, pretty-printed, with a trailing newline |
//! | `cyclonedx` | CycloneDX 1.6 JSON: the image, every package, dependencies, vulnerabilities |
//! | `spdx-json` | SPDX 2.3 JSON: the image, every package, DESCRIBES / CONTAINS / DEPENDS_ON |
//! | `sarif` | SARIF 2.1.0 for code-scanning dashboards: one rule per finding ID |
//! | `junit` | JUnit XML for CI test dashboards: a suite per result, a case per finding |
//! | `openvex` | OpenVEX 0.2.0: a statement per vulnerability and package PURL |
//!
//! Every document-level value that would otherwise vary between runs (time, serial number,
//! document namespace) comes from [`RenderOptions`], so the same report and options always give
//! the same bytes.
//!
//! It must not touch: scanning, matching, or anything but the shared report types. Renderers
//! read a [`Report`] and nothing else; a fact they need that the report lacks belongs in
//! `osprey-model`.
//!
//! ```
//! use osprey_model::report::{Report, SCHEMA_VERSION};
//! use osprey_report::{render, Format, RenderOptions};
//!
//! let report = Report {
//!     schema_version: SCHEMA_VERSION,
//!     artifact_name: "alpine:3.20".into(),
//!     artifact_type: "container_image".into(),
//!     ..Default::default()
//! };
//! let opts = RenderOptions {
//!     timestamp: Some("2024-05-01T12:00:00Z".into()),
//!     ..RenderOptions::default()
//! };
//! let mut out = Vec::new();
//! render(&report, "cyclonedx".parse().unwrap(), &mut out, &opts).unwrap();
//! let bom: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(bom["specVersion"], "1.6");
//! ```
#![deny(missing_docs)]

mod catalog;
mod cyclonedx;
mod json;
mod junit;
mod license;
mod openvex;
mod sarif;
mod spdx;
mod table;
mod time;

use osprey_model::report::Report;
use std::fmt;
use std::io::Write;
use std::str::FromStr;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Human-readable tables.
    Table,
    /// The report as JSON (Trivy's shape).
    Json,
    /// CycloneDX 1.6 JSON.
    CycloneDx,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML.
    Junit,
    /// OpenVEX 0.2.0 JSON.
    OpenVex,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 7] = [
        Format::Table,
        Format::Json,
        Format::CycloneDx,
        Format::SpdxJson,
        Format::Sarif,
        Format::Junit,
        Format::OpenVex,
    ];

    /// The name accepted by [`FromStr`] and shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::CycloneDx => "cyclonedx",
            Format::SpdxJson => "spdx-json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::OpenVex => "openvex",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = Error;

    /// Case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted)
            .ok_or_else(|| Error::UnknownFormat(s.to_string()))
    }
}

/// How to render: the facts a renderer cannot take from the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Colour severities in the table (the binary sets this from TTY detection and `NO_COLOR`).
    pub color: bool,
    /// Show every package in the table, not only findings (SBOM-style listing).
    pub list_packages: bool,
    /// The producing tool's name, as SBOMs and SARIF name it.
    pub tool_name: String,
    /// The producing tool's version.
    pub tool_version: String,
    /// The tool's home page for SARIF `informationUri`; left out when `None`.
    pub information_uri: Option<String>,
    /// RFC 3339 time stamped into documents. `None` takes the report's `CreatedAt`, and the
    /// current time when that is empty too. Offsets are converted to UTC.
    pub timestamp: Option<String>,
    /// Mixed into the CycloneDX serial number and the SPDX document namespace: two renders of
    /// the same report at the same time differ only when their seeds differ.
    pub namespace_seed: String,
    /// Base URI of SPDX document namespaces; the document name and a UUID are appended.
    pub namespace_base: String,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            list_packages: false,
            tool_name: "osprey".to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            information_uri: None,
            timestamp: None,
            namespace_seed: String::new(),
            namespace_base: "https://spdx.org/spdxdocs".to_string(),
        }
    }
}

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The output could not be written.
    #[error("writing {format} output: {source}")]
    Write {
        /// The format being written.
        format: Format,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A document could not be serialised.
    #[error("serialising {format} output: {source}")]
    Serialize {
        /// The format being written.
        format: Format,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A timestamp is not RFC 3339.
    #[error(
        "invalid timestamp {value:?} in {origin}: expected RFC 3339, e.g. 2024-05-01T12:00:00Z"
    )]
    InvalidTimestamp {
        /// The text given.
        value: String,
        /// Where it came from (`RenderOptions.timestamp`, `report CreatedAt`).
        origin: &'static str,
    },
    /// A URI option (`namespace_base`, `information_uri`) that is not an absolute http(s) URL.
    #[error("{option} must be an absolute http(s) URL without spaces, got {value:?}")]
    InvalidUri {
        /// The option's name.
        option: &'static str,
        /// The value given.
        value: String,
    },
    /// A format name that is none of `table`, `json`, `cyclonedx`, `spdx-json`, `sarif`,
    /// `junit`, `openvex`.
    #[error(
        "unknown output format {0:?} (expected one of table, json, cyclonedx, spdx-json, sarif, junit, openvex)"
    )]
    UnknownFormat(String),
}

/// Writes `report` to `out` in `format`.
pub fn render(
    report: &Report,
    format: Format,
    out: &mut dyn Write,
    opts: &RenderOptions,
) -> Result<(), Error> {
    match format {
        Format::Table => table::render(report, out, opts),
        Format::Json => write_json(format, report, out),
        Format::CycloneDx => {
            let bom = cyclonedx::build(report, opts)?;
            write_json(format, &bom, out)
        }
        Format::SpdxJson => {
            let doc = spdx::build(report, opts)?;
            write_json(format, &doc, out)
        }
        Format::Sarif => {
            let log = sarif::build(report, opts)?;
            write_json(format, &log, out)
        }
        Format::Junit => junit::render(report, out, opts),
        Format::OpenVex => {
            let doc = openvex::build(report, opts)?;
            write_json(format, &doc, out)
        }
    }
}

/// Pretty JSON with a trailing newline, so files end like text files and `cat` leaves the
/// prompt on its own line.
fn write_json<T: serde::Serialize>(
    format: Format,
    value: &T,
    out: &mut dyn Write,
) -> Result<(), Error> {
    json::write_pretty(value, &mut *out).map_err(|source| {
        if source.is_io() {
            Error::Write {
                format,
                source: source.into(),
            }
        } else {
            Error::Serialize { format, source }
        }
    })?;
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(|source| Error::Write { format, source })
}
