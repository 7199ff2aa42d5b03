//! The `osprey` command: argument parsing, wiring and exit codes. No domain logic lives here;
//! each subcommand module calls into the capability crates.

mod cmd;
mod gate;
mod output;
mod progress;
mod target;
mod vuln;

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
    /// Build, update and inspect the advisory store.
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
    if matches!(
        cli.command,
        Command::Sbom(_) | Command::Image(_) | Command::Rootfs(_) | Command::Fs(_)
    ) {
        keep_freed_memory();
    }
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
        Command::Db(c) => cmd::db::run(c, cli.quiet).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("osprey: error: {}", error_chain(&e));
            ExitCode::from(2)
        }
    }
}

/// Tells glibc's allocator to keep freed memory for reuse instead of handing it back to the
/// kernel. A scan streams layers through buffers of a few hundred KiB that are freed and
/// allocated again all the time; by default glibc serves them with `mmap` or trims them off
/// the heap on free, so each new buffer page-faults its memory in afresh (about a fifth of a
/// scan's page faults). Peak memory is unchanged: the pages kept are the ones about to be
/// reused. Only for one-shot scans, where the process exits soon after; long-running commands
/// (the sensor, the webhook) keep glibc's defaults.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        /// Blocks up to glibc's own ceiling for its adaptive threshold come from the heap.
        const MMAP_THRESHOLD: libc::c_int = 32 << 20;
        /// Free memory at the top of a heap is returned only beyond this.
        const TRIM_THRESHOLD: libc::c_int = 256 << 20;
        // SAFETY: mallopt only sets allocator parameters; it is called before any other
        // thread exists and either applies a value or returns 0, which leaves the default.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        }
    }
}

/// The error and its causes, each cause once: many library errors already print their
/// source in their own message (`{file}: {source}`), and repeating it would double the line.
fn error_chain(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        /// An error that prints its source in its own message, as many library errors do.
        #[derive(Debug)]
        struct InFile(std::io::Error);
        impl std::fmt::Display for InFile {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "cfg.yaml: {}", self.0)
            }
        }
        impl std::error::Error for InFile {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(InFile(io)).context("reading the secret config");
        assert_eq!(
            error_chain(&e),
            "reading the secret config: cfg.yaml: no such file"
        );
    }
}
