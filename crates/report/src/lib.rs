//! Renderers: one [`osprey_model::report::Report`] in, many formats out (table, JSON,
//! CycloneDX 1.6, SPDX 2.3, SARIF 2.1.0, OpenVEX).
//!
//! It must not touch: scanning, matching, or anything but the shared report types.
#![deny(missing_docs)]
