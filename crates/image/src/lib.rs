//! Image sources and streaming layer reading.
//!
//! This crate owns getting bytes out of images: parsing image references ([`ImageRef`]:
//! `oci:DIR[:tag]`, `oci-archive:FILE`, `docker-archive:FILE`, `registry:HOST/REPO[:TAG|@DIGEST]`,
//! plain paths), reading manifests and configs ([`open`]), opening each layer blob as a stream
//! whose digest, size and diff_id are verified and whose compression is sniffed
//! ([`open_layer`]), and walking its tar entries without ever unpacking them to disk
//! ([`walk_layer`]). It also walks a live root filesystem with the same entry type
//! ([`walk_dir`]) and resolves symlinks inside an image root ([`resolve_symlinks`]).
//!
//! It must not touch: packages, secrets, vulnerabilities or any other meaning of file
//! contents. Consumers (the `scan` crate) decide which entries to read.
//!
//! ```no_run
//! use osprey_image::{ImageRef, OpenOptions, open, open_layer, walk_layer};
//! let reference: ImageRef = "oci:images/app:latest".parse()?;
//! let image = open(&reference, &OpenOptions::default())?;
//! for (i, layer) in image.metadata().layers.iter().enumerate() {
//!     let stats = walk_layer(open_layer(image.as_ref(), i)?, &layer.digest, |entry, _content| {
//!         println!("{} {:?}", entry.path, entry.kind);
//!         Ok(())
//!     })?;
//!     println!("{}: {} entries", layer.digest, stats.entries);
//! }
//! # Ok::<(), osprey_image::Error>(())
//! ```
#![deny(missing_docs)]

mod digest;
mod docker;
mod entry;
mod error;
mod layer;
mod oci;
mod path;
mod platform;
mod reference;
pub mod registry;
mod rootfs;
mod source;
mod sparse;
mod store;
mod walk;

pub use entry::{Entry, EntryKind};
pub use error::Error;
pub use layer::{Compression, LayerReader, open_layer};
pub use path::resolve_symlinks;
pub use platform::Platform;
pub use reference::ImageRef;
pub use rootfs::walk_dir;
pub use source::{ImageMetadata, ImageSource, LayerDescriptor};
pub use walk::{SkipRead, Unreadable, WalkStats, walk_layer};

/// How to open an image.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Which image of a multi-platform index; `None` means [`Platform::host`].
    pub platform: Option<Platform>,
    /// Registry access.
    pub registry: registry::RegistryOptions,
}

/// Opens the image `reference` names: reads its index, manifest and config (each verified
/// against its digest) and returns a source for its blobs.
///
/// [`ImageRef::RootFs`] is not an image; walk it with [`walk_dir`].
pub fn open(reference: &ImageRef, opts: &OpenOptions) -> Result<Box<dyn ImageSource>, Error> {
    let platform = opts.platform.clone().unwrap_or_else(Platform::host);
    let name = reference.to_string();
    match reference {
        ImageRef::OciLayout { path, reference } => {
            let store = Box::new(store::DirStore::new(path));
            Ok(Box::new(oci::open(
                store,
                name,
                reference.as_deref(),
                &platform,
            )?))
        }
        ImageRef::OciArchive { path, reference } => {
            let store = Box::new(store::TarStore::index(path)?);
            Ok(Box::new(oci::open(
                store,
                name,
                reference.as_deref(),
                &platform,
            )?))
        }
        ImageRef::DockerArchive { path, reference } => {
            Ok(Box::new(docker::open(path, name, reference.as_deref())?))
        }
        ImageRef::Registry { reference } => registry::open(reference, &opts.registry, &platform),
        ImageRef::RootFs { path } => Err(Error::Reference {
            reference: name,
            reason: format!(
                "{} is a root filesystem, not an image: walk it with walk_dir",
                path.display()
            ),
        }),
    }
}
