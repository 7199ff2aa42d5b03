//! `osprey config PATH`: Dockerfile and Kubernetes misconfigurations, Pod Security Standards.

use super::image::ReportArgs;
use crate::target::now_rfc3339;
use osprey_misconfig::{InputKind, Options, PssLevel, PssVersion};
use osprey_model::report::{Report, SCHEMA_VERSION};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of the built-in checks.
#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
    /// Pod Security Standards level pods are held to.
    #[arg(long, default_value = "baseline", value_parser = ["baseline", "restricted"])]
    pub pss_level: String,
    /// Pod Security Standards version: v1.N or latest.
    #[arg(long, default_value = "latest")]
    pub pss_version: String,
    /// Also report checks that passed.
    #[arg(long)]
    pub include_passed: bool,
    /// Check IDs to skip, comma-separated (OSP-DF-017, pss:seccompProfile_restricted).
    #[arg(long, value_delimiter = ',')]
    pub skip_checks: Vec<String>,
}

impl CheckArgs {
    /// The misconfiguration scanner's options.
    pub fn options(&self) -> anyhow::Result<Options> {
        Ok(Options {
            pss_level: self
                .pss_level
                .parse::<PssLevel>()
                .map_err(|e| anyhow::anyhow!("--pss-level: {e}"))?,
            pss_version: self
                .pss_version
                .parse::<PssVersion>()
                .map_err(|e| anyhow::anyhow!("--pss-version: {e}"))?,
            include_passed: self.include_passed,
            skip_checks: self.skip_checks.clone(),
            ..Options::default()
        })
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// File or directory to scan; `-` reads manifests or a Dockerfile from stdin
    /// (`helm template ... | osprey config -`).
    pub path: PathBuf,
    #[command(flatten)]
    pub checks: CheckArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = args.checks.options()?;
    let results = if args.path.as_os_str() == "-" {
        osprey_misconfig::scan_stdin(InputKind::Auto, &opts)?
    } else {
        osprey_misconfig::scan_path(&args.path, &opts)?
    };
    let report = Report {
        schema_version: SCHEMA_VERSION,
        created_at: now_rfc3339(),
        artifact_name: args.path.display().to_string(),
        artifact_type: "filesystem".into(),
        results,
        ..Default::default()
    };
    super::image::render(report, &args.report)
}
