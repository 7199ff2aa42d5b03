//! One module per subcommand.

pub mod cache;
pub mod image;
pub mod sbom;
