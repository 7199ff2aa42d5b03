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
//!   scanner fills and every renderer reads.
//!
//! It must not touch: I/O, parsing of package databases, matching or rendering. It has no
//! dependencies beyond serde, so every other crate can depend on it.
//!
//! ```
//! use osprey_model::{Ecosystem, Package, Severity};
//! let pkg = Package::new(Ecosystem::Pypi, "Django", "3.2");
//! assert_eq!(pkg.ecosystem.as_str(), "pypi");
//! assert!(Severity::Critical > Severity::High);
//! ```
#![deny(missing_docs)]

mod layer;
mod os;
mod package;
pub mod report;
mod secret;
mod severity;

pub use layer::LayerInfo;
pub use os::OsInfo;
pub use package::{Ecosystem, Package, PackageLocation};
pub use secret::{SecretFinding, SecretLocation};
pub use severity::{ParseSeverityError, Severity};
