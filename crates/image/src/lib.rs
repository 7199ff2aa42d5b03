//! Image sources and streaming layer reading.
//!
//! This crate owns getting bytes out of images: parsing image references
//! (`oci:DIR[:tag]`, `oci-archive:FILE`, `docker-archive:FILE`, `registry:HOST/REPO[:TAG|@DIGEST]`,
//! plain paths), reading manifests and configs, opening each layer blob as a stream whose
//! digest and size are verified, sniffing its compression, and walking its tar entries without
//! ever unpacking them to disk. It also walks a live root filesystem with the same entry type.
//!
//! It must not touch: packages, secrets, vulnerabilities or any other meaning of file
//! contents. Consumers (the `scan` crate) decide which entries to read.
#![deny(missing_docs)]

mod entry;
mod error;
mod platform;
pub mod registry;
mod source;

pub use entry::{Entry, EntryKind};
pub use error::Error;
pub use platform::Platform;
pub use source::{ImageMetadata, ImageSource, LayerDescriptor};
