//! Misconfiguration scanning: Dockerfiles, Kubernetes manifests, Pod Security Standards.
//!
//! This crate owns the Dockerfile parser and shell tokenizer, the Dockerfile checks, the
//! Kubernetes manifest loader (multi-document YAML and JSON with line numbers and limits
//! against hostile input), the Pod Security Standards exactly as upstream defines them, and
//! the other Kubernetes checks. Findings come out in the shared Trivy-shaped report model
//! ([`osprey_model::report::ReportResult`]), one result per file.
//!
//! It must not touch: Rego/Gatekeeper policies (`policy` crate), the CLI, rendering, live
//! clusters.
//!
//! ```
//! use osprey_misconfig::{InputKind, Options, scan_bytes};
//! let results = scan_bytes("Dockerfile", b"FROM alpine:latest\nRUN apk add curl\n", InputKind::Dockerfile, &Options::default()).unwrap();
//! let ids: Vec<&str> = results[0].misconfigurations.iter().map(|m| m.id.as_str()).collect();
//! assert!(ids.contains(&"OSP-DF-011")); // latest tag
//! assert!(ids.contains(&"OSP-DF-002")); // no USER
//! ```
#![deny(missing_docs)]

pub mod catalog;
pub mod dockerfile;
mod error;
pub mod k8s;
mod options;
mod report;

pub use error::Error;
pub use options::{Options, PssLevel, PssVersion};
use osprey_model::report::ReportResult;

/// What a byte stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A Dockerfile.
    Dockerfile,
}

/// Scans one named input (a file's bytes, or stdin for `-`).
pub fn scan_bytes(
    name: &str,
    bytes: &[u8],
    kind: InputKind,
    opts: &Options,
) -> Result<Vec<ReportResult>, Error> {
    if bytes.len() as u64 > opts.max_file_bytes {
        return Err(Error::TooLarge {
            file: name.into(),
            size: bytes.len() as u64,
            limit: opts.max_file_bytes,
        });
    }
    match kind {
        InputKind::Dockerfile => Ok(vec![dockerfile::scan(name, bytes, opts)?]),
    }
}
