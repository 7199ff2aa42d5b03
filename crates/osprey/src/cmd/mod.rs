//! One module per subcommand.

pub mod cache;
pub mod db;
pub mod image;
pub mod sbom;
