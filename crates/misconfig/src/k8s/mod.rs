//! Kubernetes manifests: the loader ([`yaml`], [`manifest`]).

pub mod manifest;
pub mod yaml;
