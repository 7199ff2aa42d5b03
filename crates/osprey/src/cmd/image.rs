//! `osprey image REF` and `osprey rootfs DIR`: scan an image or a live root filesystem.

use crate::gate::GateArgs;
use crate::output::write_output;
use crate::target::{self, ImageOpts, Scanned};
use crate::vuln::{VulnArgs, VulnScan};
use osprey_model::report::{Report, ReportOs};
use osprey_report::{Format, RenderOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

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
    /// JUnit XML (a test suite per target, a test case per finding).
    Junit,
    /// OpenVEX 0.2.0: a statement per vulnerability and package.
    Openvex,
}

impl From<ReportFormat> for Format {
    fn from(f: ReportFormat) -> Format {
        match f {
            ReportFormat::Table => Format::Table,
            ReportFormat::Json => Format::Json,
            ReportFormat::Sarif => Format::Sarif,
            ReportFormat::Cyclonedx => Format::CycloneDx,
            ReportFormat::SpdxJson => Format::SpdxJson,
            ReportFormat::Junit => Format::Junit,
            ReportFormat::Openvex => Format::OpenVex,
        }
    }
}

/// Output options shared by the scanning commands.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Write to FILE instead of stdout (replaced atomically).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// List every package in the table, not only findings (JSON always has them).
    #[arg(long)]
    pub list_all_pkgs: bool,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// What to look for besides the package inventory.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scanner {
    /// Known vulnerabilities of the installed packages (needs the advisory store).
    Vuln,
    /// Secrets in every layer, the image config and the history.
    Secret,
}

/// Scanner selection and their options.
#[derive(clap::Args)]
pub struct ScannerArgs {
    /// Scanners to run, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "secret")]
    pub scanners: Vec<Scanner>,
    /// Secret scanner configuration (extra rules, disabled rules, allow rules), YAML.
    #[arg(long)]
    pub secret_config: Option<PathBuf>,
    /// Files larger than this many bytes are reported as skipped by the secret scanner.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    pub secret_max_size: u64,
    #[command(flatten)]
    pub vuln: VulnArgs,
}

impl ScannerArgs {
    fn secret_scanner(&self) -> anyhow::Result<Option<Arc<osprey_secrets::Scanner>>> {
        if !self.scanners.contains(&Scanner::Secret) {
            return Ok(None);
        }
        let scanner = match &self.secret_config {
            Some(path) => {
                let cfg = osprey_secrets::SecretConfig::from_file(path)?;
                osprey_secrets::Scanner::new(&cfg)?
            }
            None => osprey_secrets::Scanner::builtin(),
        };
        Ok(Some(Arc::new(scanner)))
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// Image reference (oci:DIR[:tag], oci-archive:FILE, docker-archive:FILE,
    /// registry:HOST/REPO[:TAG|@DIGEST], a plain path or name).
    pub reference: String,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub scanners: ScannerArgs,
    #[command(flatten)]
    pub image: ImageOpts,
}

#[derive(clap::Args)]
pub struct RootfsArgs {
    /// Root directory to scan (e.g. `/`).
    pub dir: PathBuf,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub scanners: ScannerArgs,
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<ExitCode> {
    scan_and_render(
        &args.reference,
        &args.image,
        &args.scanners,
        &args.report,
        quiet,
    )
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
    scan_and_render(&reference, &image, &args.scanners, &args.report, quiet)
}

fn scan_and_render(
    reference: &str,
    image: &ImageOpts,
    scanners: &ScannerArgs,
    out: &ReportArgs,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let mut analyzers = osprey_inventory::analyzers();
    let vuln = if scanners.scanners.contains(&Scanner::Vuln) {
        Some(VulnScan::prepare(&scanners.vuln)?)
    } else {
        None
    };
    let secrets = scanners.secret_scanner()?;
    if let Some(scanner) = &secrets {
        analyzers.push(Box::new(
            osprey_secrets::SecretAnalyzer::new(scanner.clone())
                .with_max_size(scanners.secret_max_size),
        ));
    }
    let scanned = target::scan(reference, image, &analyzers, quiet)?;
    target::warn_skipped(&scanned.squashed);
    let secret_findings = secrets.as_ref().map(|scanner| {
        let mut found = osprey_secrets::findings_from_squashed(&scanned.squashed);
        found.extend(scanner.scan_image_config(&scanned.report.metadata.image_config));
        found
    });
    let layers = scanned.layers.clone();
    let (mut report, inv) = inventory_report_and_inventory(scanned);
    if let Some(vuln) = &vuln {
        vuln.apply(&mut report, inv.os.as_ref(), &inv.packages, &layers)?;
    }
    if let Some(found) = secret_findings {
        report
            .results
            .extend(osprey_secrets::secret_results(&found, &layers));
    }
    let code = render(report, out);
    // Freeing the compiled rules (hundreds of regexes with their lazy DFA caches) took a few
    // milliseconds at the end of every scan, and the process exits next: leave it to the OS.
    std::mem::forget((analyzers, secrets));
    code
}

/// Filters by severity, renders, and gives the exit code.
pub fn render(mut report: Report, out: &ReportArgs) -> anyhow::Result<ExitCode> {
    out.gate.filter(&mut report);
    let mut opts = render_options(out.output.is_none());
    opts.list_packages = out.list_all_pkgs;
    write_output(out.output.as_deref(), |w| {
        osprey_report::render(&report, out.format.into(), w, &opts).map_err(Into::into)
    })?;
    Ok(out.gate.exit_code(&report))
}

/// The report with the OS and package results filled in.
pub fn inventory_report(scanned: Scanned) -> Report {
    inventory_report_and_inventory(scanned).0
}

/// [`inventory_report`] and the inventory it was made from.
fn inventory_report_and_inventory(scanned: Scanned) -> (Report, osprey_inventory::Inventory) {
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
    (report, inv)
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
