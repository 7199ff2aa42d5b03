//! The `osprey` command: argument parsing, wiring and exit codes. No domain logic lives here;
//! each subcommand module calls into the capability crates.

use clap::{Parser, Subcommand};

mod db;

#[derive(Parser)]
#[command(
    name = "osprey",
    version,
    about = "Container security from build to run"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build and inspect the advisory store.
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Db { command } => db::run(command),
    }
}
