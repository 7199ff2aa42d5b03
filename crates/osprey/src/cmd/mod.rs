//! One module per subcommand.

pub mod cache;
pub mod config;
pub mod db;
pub mod fs;
pub mod image;
pub mod policy;
pub mod runtime;
pub mod runtime_live;
pub mod sbom;
