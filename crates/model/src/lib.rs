//! Osprey's shared vocabulary: one definition of each thing every capability talks about.
//!
//! This crate owns the plain data types that cross crate boundaries:
//!
//! - [`Severity`]: one ordered enum for every finding type;
//! - [`Package`] and [`Ecosystem`]: what a cataloger found, where, and in which layer;
//! - [`LayerInfo`]: the identity of an image layer (digest, diff_id, history step);
//! - [`OsInfo`]: the detected operating system;
//! - [`SecretFinding`]: a secret found in a file, config or history line;
//! - [`report`]: the JSON report, in the shape Trivy writes (`SchemaVersion` 2), that every
//!   scanner fills and every renderer reads;
//! - [`cache_root`]: where osprey's caches live, so the layer cache and the advisory store
//!   agree on it (environment variables only).
//!
//! It must not touch: file or network I/O, parsing of package databases, matching or rendering. It has no
//! dependencies beyond serde, so every other crate can depend on it.
//!
//! ```
//! use osprey_model::{Ecosystem, Package, Severity};
//! let pkg = Package::new(Ecosystem::Pypi, "Django", "3.2");
//! assert_eq!(pkg.ecosystem.as_str(), "pypi");
//! assert!(Severity::Critical > Severity::High);
//! ```
#![deny(missing_docs)]

mod cache_root;
mod layer;
mod os;
mod package;
pub mod report;
mod secret;
mod severity;

pub use cache_root::{cache_root, cache_root_from};
pub use layer::LayerInfo;
pub use os::OsInfo;
pub use package::{Ecosystem, Package, PackageLocation};
pub use secret::{SecretFinding, SecretLocation};
pub use severity::{ParseSeverityError, Severity};
