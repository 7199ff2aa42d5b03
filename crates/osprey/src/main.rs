//! The `osprey` command: argument parsing, wiring and exit codes. No domain logic lives here;
//! each subcommand module calls into the capability crates.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "osprey", version, about = "Container security from build to run")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {}
}
