//! Policies users write: Rego, as OPA Gatekeeper runs it.
//!
//! This crate owns evaluating user policy: Gatekeeper ConstraintTemplates (legacy `rego` +
//! `libs` or `code[]` with the Rego engine) and Constraints (`match` on kinds, scope,
//! namespaces, excludedNamespaces, name, labelSelector, namespaceSelector; parameters;
//! enforcement actions), the `input.review` and `data.inventory` they see, and gator-style
//! test suites ([`suite`]). Rego is evaluated by `regorus`, with source rewrites that make it
//! agree with OPA where it does not ([`rego_compat`]). It is shared by config scans and the
//! admission webhook.
//!
//! It must not touch: file discovery for config scans, built-in checks (`misconfig`) or HTTP.
#![deny(missing_docs)]

pub mod custom;
pub mod gatekeeper;
mod rego;
pub mod rego_compat;
mod sprintf;
pub mod suite;
pub mod yaml;

use std::path::PathBuf;

/// A policy file that cannot be used, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A YAML/JSON document that does not parse or has the wrong shape.
    #[error("{path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A template or constraint that cannot be compiled or evaluated.
    #[error("{path}: {reason}")]
    Template {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}
