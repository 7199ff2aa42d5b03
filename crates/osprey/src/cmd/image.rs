//! `osprey image REF` and `osprey rootfs DIR`: scan an image or a live root filesystem.

use crate::output::write_output;
use crate::target::{self, ImageOpts, Scanned};
use osprey_model::report::{Report, ReportOs};
use osprey_report::{Format, RenderOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Report formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ReportFormat {
    /// A table per target (colour on a terminal).
    Table,
    /// Trivy-shaped JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    SpdxJson,
}

impl From<ReportFormat> for Format {
    fn from(f: ReportFormat) -> Format {
        match f {
            ReportFormat::Table => Format::Table,
            ReportFormat::Json => Format::Json,
            ReportFormat::Sarif => Format::Sarif,
            ReportFormat::Cyclonedx => Format::CycloneDx,
            ReportFormat::SpdxJson => Format::SpdxJson,
        }
    }
}

/// Output options shared by `image` and `rootfs`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Write to FILE instead of stdout (replaced atomically).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct Args {
    /// Image reference (oci:DIR[:tag], oci-archive:FILE, docker-archive:FILE,
    /// registry:HOST/REPO[:TAG|@DIGEST], a plain path or name).
    pub reference: String,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub image: ImageOpts,
}

#[derive(clap::Args)]
pub struct RootfsArgs {
    /// Root directory to scan (e.g. `/`).
    pub dir: PathBuf,
    #[command(flatten)]
    pub report: ReportArgs,
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<ExitCode> {
    scan_and_render(&args.reference, &args.image, &args.report, quiet)
}

pub fn run_rootfs(args: RootfsArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let reference = format!("rootfs:{}", args.dir.display());
    let image = ImageOpts {
        platform: None,
        insecure: false,
        username: None,
        password: None,
        registry_ca: None,
        cache_dir: None,
        no_cache: true,
    };
    scan_and_render(&reference, &image, &args.report, quiet)
}

fn scan_and_render(
    reference: &str,
    image: &ImageOpts,
    out: &ReportArgs,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let analyzers = osprey_inventory::analyzers();
    let scanned = target::scan(reference, image, &analyzers, quiet)?;
    target::warn_skipped(&scanned.squashed);
    let report = inventory_report(scanned);
    let opts = render_options(out.output.is_none());
    write_output(out.output.as_deref(), |w| {
        osprey_report::render(&report, out.format.into(), w, &opts).map_err(Into::into)
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The report with the OS and package results filled in.
pub fn inventory_report(scanned: Scanned) -> Report {
    let Scanned {
        mut report,
        squashed,
        layers,
    } = scanned;
    let inv = osprey_inventory::resolve(&squashed);
    report.metadata.os = inv.os.as_ref().map(ReportOs::from);
    report.results = osprey_inventory::package_results(
        &report.artifact_name,
        inv.os.as_ref(),
        &inv.packages,
        &layers,
    );
    report
}

/// Render options: colour only when writing to a terminal.
pub fn render_options(to_stdout: bool) -> RenderOptions {
    RenderOptions {
        color: to_stdout
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none(),
        list_packages: true,
        ..Default::default()
    }
}
