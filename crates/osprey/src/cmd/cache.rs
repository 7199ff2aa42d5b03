//! `osprey cache clean`.

use osprey_scan::LayerCache;
use std::path::PathBuf;
use std::process::ExitCode;

/// Cache subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Remove every cached layer result.
    Clean {
        /// Cache directory (default: $OSPREY_CACHE_DIR, ~/.cache/osprey).
        #[arg(long, env = "OSPREY_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
    },
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Clean { cache_dir } => {
            let cache = LayerCache::new(cache_dir.unwrap_or_else(LayerCache::default_dir));
            let (files, bytes) = cache.clean()?;
            eprintln!(
                "removed {files} cached layer results ({bytes} bytes) from {}",
                cache.dir().display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
