//! `osprey fs DIR`: secrets and misconfigurations in a source tree.

use super::image::ReportArgs;
use crate::target::now_rfc3339;
use anyhow::Context;
use osprey_model::report::{Report, SCHEMA_VERSION};
use std::path::PathBuf;
use std::process::ExitCode;

/// What `fs` looks for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsScanner {
    /// Secrets in text files.
    Secret,
    /// Dockerfile and Kubernetes misconfigurations.
    Misconfig,
}

#[derive(clap::Args)]
pub struct Args {
    /// Directory (or file) to scan.
    pub path: PathBuf,
    /// Scanners to run, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "secret,misconfig"
    )]
    pub scanners: Vec<FsScanner>,
    /// Secret scanner configuration, YAML.
    #[arg(long)]
    pub secret_config: Option<PathBuf>,
    /// Files larger than this many bytes are reported as skipped by the secret scanner.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    pub secret_max_size: u64,
    /// Scan files that `.gitignore` excludes too.
    #[arg(long)]
    pub no_gitignore: bool,
    #[command(flatten)]
    pub config: super::config::CheckArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        created_at: now_rfc3339(),
        artifact_name: args.path.display().to_string(),
        artifact_type: "filesystem".into(),
        ..Default::default()
    };
    if args.scanners.contains(&FsScanner::Secret) {
        let scanner = match &args.secret_config {
            Some(p) => osprey_secrets::Scanner::new(&osprey_secrets::SecretConfig::from_file(p)?)?,
            None => osprey_secrets::Scanner::builtin(),
        };
        if !args.path.exists() {
            anyhow::bail!("{}: no such file or directory", args.path.display());
        }
        let scan = osprey_secrets::scan_dir(
            &scanner,
            &args.path,
            &osprey_secrets::DirOptions {
                max_size: args.secret_max_size,
                respect_gitignore: !args.no_gitignore,
            },
        );
        for s in &scan.skipped {
            tracing::warn!("secret scanner skipped {}: {}", s.path, s.reason);
        }
        report
            .results
            .extend(osprey_secrets::secret_results(&scan.findings, &[]));
    }
    if args.scanners.contains(&FsScanner::Misconfig) {
        let opts = args.config.options()?;
        report.results.extend(
            osprey_misconfig::scan_path(&args.path, &opts)
                .with_context(|| format!("config scan of {}", args.path.display()))?,
        );
    }
    super::image::render(report, &args.report)
}
