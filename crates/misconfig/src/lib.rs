//! Misconfiguration scanning: Dockerfiles, Kubernetes manifests, Pod Security Standards.
//!
//! This crate owns the Dockerfile parser and shell tokenizer, the Dockerfile checks, the
//! Kubernetes manifest loader (multi-document YAML and JSON with line numbers and limits
//! against hostile input), the Pod Security Standards exactly as upstream defines them, and
//! the other Kubernetes checks. Findings come out in the shared Trivy-shaped report model.
//!
//! It must not touch: Rego/Gatekeeper policies (`policy` crate), the CLI, rendering, live
//! clusters.
#![deny(missing_docs)]

pub mod catalog;
pub mod dockerfile;
