//! Language package catalogers (Python, npm, Go, Rust, ...).
//!
//! Placeholder on the `inv-os` branch: the language helper's module replaces this file at
//! merge. It keeps the two entry points the crate calls.

use osprey_model::Package;
use osprey_scan::{Analyzer, Squashed};

/// The language catalogers' analyzers.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    Vec::new()
}

/// Language packages from the squashed facts.
pub fn resolve(_squashed: &Squashed) -> Vec<Package> {
    Vec::new()
}
