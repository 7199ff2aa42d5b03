//! `osprey sbom REF`: the inventory of an image or root filesystem as an SBOM.

use crate::output::write_output;
use crate::target::{self, ImageOpts};
use osprey_report::Format;
use std::path::PathBuf;
use std::process::ExitCode;

/// SBOM formats (a subset of the report formats).
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// Osprey's JSON report (Trivy's shape, with Packages).
    Json,
    /// A table per target.
    Table,
}

#[derive(clap::Args)]
pub struct Args {
    /// Image reference (oci:DIR[:tag], oci-archive:FILE, docker-archive:FILE,
    /// registry:HOST/REPO[:TAG|@DIGEST], a plain path or name), or rootfs:DIR.
    pub reference: String,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "cyclonedx")]
    pub format: SbomFormat,
    /// Write to FILE instead of stdout (replaced atomically).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub image: ImageOpts,
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<ExitCode> {
    let analyzers = osprey_inventory::analyzers();
    let scanned = target::scan(&args.reference, &args.image, &analyzers, quiet)?;
    target::warn_skipped(&scanned.squashed);
    let report = super::image::inventory_report(scanned);
    let format = match args.format {
        SbomFormat::Cyclonedx => Format::CycloneDx,
        SbomFormat::SpdxJson => Format::SpdxJson,
        SbomFormat::Json => Format::Json,
        SbomFormat::Table => Format::Table,
    };
    let opts = super::image::render_options(args.output.is_none());
    write_output(args.output.as_deref(), |w| {
        osprey_report::render(&report, format, w, &opts).map_err(Into::into)
    })?;
    Ok(ExitCode::SUCCESS)
}
