//! What is installed: OS detection and package catalogers.
//!
//! Each cataloger is one module implementing [`osprey_scan::Analyzer`]: it declares the paths
//! it wants (dpkg `status`, `*.dist-info/METADATA`, Go binaries, ...) and parses only those
//! bytes into [`osprey_model::Package`]s. After the layer walk, [`resolve`] turns the squashed
//! facts into the final inventory (OS, packages with their layers and PURLs).
//!
//! It must not touch: layer reading, whiteouts, vulnerabilities or rendering.
#![deny(missing_docs)]
pub mod lang;
