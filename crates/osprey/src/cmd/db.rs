//! `osprey db`: the advisory store.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;

/// Subcommands of `osprey db`.
#[derive(Subcommand)]
pub enum DbCommand {
    /// Build the advisory store from a feed directory (`osv/`, `debian/`, `alpine/`). The file
    /// is written next to OUT under a temporary name and renamed into place when complete.
    Build {
        /// Feed directory (the layout of `shared/vulndata`).
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// Store file to create or replace.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Runs one `osprey db` subcommand.
pub fn run(command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Build { from, out } => {
            let started = Instant::now();
            let contents = osprey_vulndb::build(&from, &out)
                .with_context(|| format!("building {} from {}", out.display(), from.display()))?;
            for warning in &contents.warnings {
                tracing::warn!("skipped: {warning}");
            }
            println!(
                "{}: {} OSV records ({} withdrawn, {} package entries), {} Debian and {} Alpine verdicts, {} skipped, in {:.2} s",
                out.display(),
                contents.osv_records,
                contents.osv_withdrawn,
                contents.osv_affected,
                contents.debian,
                contents.alpine,
                contents.warnings.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}
