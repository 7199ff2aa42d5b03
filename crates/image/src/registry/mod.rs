//! Registry access. This branch carries only the interface; the registry client is built
//! separately and replaces this module.

use crate::{Error, ImageSource, Platform};

/// How to reach registries (credentials, TLS, mirrors).
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {}

/// Opens `reference` (`HOST/REPO[:TAG|@DIGEST]`) from its registry.
pub fn open(
    reference: &str,
    opts: &RegistryOptions,
    platform: &Platform,
) -> Result<Box<dyn ImageSource>, Error> {
    let _ = (reference, opts, platform);
    Err(Error::Registry(
        "registry support is not built in this branch".into(),
    ))
}
