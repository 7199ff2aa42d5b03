//! The `osprey` command: argument parsing, wiring and exit codes. No domain logic lives here;
//! each subcommand module calls into the capability crates.

mod cmd;
mod gate;
mod output;
mod progress;
mod target;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "osprey",
    version,
    about = "Container security from build to run: SBOMs, vulnerabilities, secrets, misconfigurations, runtime"
)]
struct Cli {
    /// Only print errors (no progress, no warnings).
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Print debug logs.
    #[arg(long, global = true)]
    debug: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inventory of an image or root filesystem as an SBOM (CycloneDX, SPDX, JSON, table).
    Sbom(cmd::sbom::Args),
    /// Scan a container image.
    Image(cmd::image::Args),
    /// Scan a live root filesystem (e.g. `/`).
    Rootfs(cmd::image::RootfsArgs),
    /// Build and inspect the advisory store.
    #[command(subcommand)]
    Db(cmd::db::DbCommand),
    /// Scan a source tree for secrets and misconfigurations.
    Fs(cmd::fs::Args),
    /// Scan Dockerfiles and Kubernetes manifests (Pod Security Standards and more).
    Config(cmd::config::Args),
    /// Rego policies (Gatekeeper ConstraintTemplates): test suites.
    #[command(subcommand)]
    Policy(cmd::policy::Command),
    /// Manage the layer cache.
    #[command(subcommand)]
    Cache(cmd::cache::Command),
    /// Runtime threat detection: Falco-compatible rules over runtime events.
    #[command(subcommand)]
    Runtime(cmd::runtime::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = if cli.debug {
        "debug"
    } else if cli.quiet {
        "error"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OSPREY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
    let result = match cli.command {
        Command::Sbom(args) => cmd::sbom::run(args, cli.quiet),
        Command::Image(args) => cmd::image::run(args, cli.quiet),
        Command::Rootfs(args) => cmd::image::run_rootfs(args, cli.quiet),
        Command::Fs(args) => cmd::fs::run(args),
        Command::Config(args) => cmd::config::run(args),
        Command::Policy(c) => cmd::policy::run(c),
        Command::Cache(c) => cmd::cache::run(c),
        Command::Runtime(c) => cmd::runtime::run(c),
        Command::Db(c) => cmd::db::run(c).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("osprey: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
