//! `--scanners vuln`: the advisory store, matching options and Trivy's vulnerability filters.

use anyhow::Context;
use osprey_model::report::Report;
use osprey_model::{LayerInfo, OsInfo, Package};
use osprey_vuln::suppress::{self, Date, Suppressions};
use std::path::PathBuf;

/// Vulnerability scanner options.
#[derive(clap::Args, Debug, Clone)]
pub struct VulnArgs {
    /// Advisory store (default: $OSPREY_DB, then db/osprey.db in the cache directory).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Hide vulnerabilities without a fix (statuses affected, will_not_fix, fix_deferred,
    /// end_of_life).
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Hide vulnerabilities with these statuses, comma-separated (fixed, affected,
    /// will_not_fix, fix_deferred, end_of_life, under_investigation, unknown).
    #[arg(long, value_delimiter = ',', value_parser = parse_status, value_name = "STATUS")]
    pub ignore_status: Vec<String>,
    /// Ignore file: `.trivyignore` (ids, `exp:YYYY-MM-DD`) or `.trivyignore.yaml` (ids with
    /// paths, purls, expired_at, statement). Default: `.trivyignore` when present.
    #[arg(long, value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,
    /// VEX document (OpenVEX or CycloneDX VEX): `not_affected`/`fixed` statements suppress
    /// the findings of the packages they name. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Keep suppressed findings in the output (JSON `ExperimentalModifiedFindings`, a table
    /// section) instead of dropping them.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Also report Debian tracker entries marked `unimportant` (hidden by default).
    #[arg(long)]
    pub show_unimportant: bool,
}

fn parse_status(s: &str) -> Result<String, String> {
    let s = s.trim().to_ascii_lowercase();
    if suppress::STATUSES.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(format!(
            "unknown status {s:?} (expected one of {})",
            suppress::STATUSES.join(", ")
        ))
    }
}

/// An opened store and loaded suppressions, ready before the (slow) image walk so that a
/// missing store or bad ignore file fails fast.
pub struct VulnScan {
    store: osprey_vulndb::Store,
    suppressions: Suppressions,
    args: VulnArgs,
}

impl VulnScan {
    /// Finds and opens the store, loads ignore and VEX files.
    pub fn prepare(args: &VulnArgs) -> anyhow::Result<VulnScan> {
        let path = osprey_vulndb::locate_db(args.db.as_deref())?;
        let store = osprey_vulndb::Store::open(&path)
            .with_context(|| format!("opening the advisory database {}", path.display()))?;
        let suppressions = Suppressions::load(args.ignorefile.as_deref(), &args.vex)?;
        Ok(VulnScan {
            store,
            suppressions,
            args: args.clone(),
        })
    }

    /// Matches the inventory, puts the findings into the report's results, then applies the
    /// status filters, ignore files and VEX.
    pub fn apply(
        &self,
        report: &mut Report,
        os: Option<&OsInfo>,
        packages: &[Package],
        layers: &[LayerInfo],
    ) -> anyhow::Result<()> {
        let matcher = osprey_vuln::Matcher::new(
            &self.store,
            osprey_vuln::MatchOptions {
                include_unimportant: self.args.show_unimportant,
            },
        );
        let matches = matcher.match_packages(os, packages, layers)?;
        for note in &matches.notes {
            tracing::warn!("{note}");
        }
        osprey_vuln::attach(&mut report.results, packages, matches);
        let mut statuses = self.args.ignore_status.clone();
        if self.args.ignore_unfixed {
            statuses.extend(suppress::UNFIXED_STATUSES.iter().map(|s| s.to_string()));
        }
        suppress::drop_statuses(report, &statuses);
        if !self.suppressions.is_empty() {
            let n = self
                .suppressions
                .apply(report, self.args.show_suppressed, Date::today());
            tracing::info!("{n} vulnerabilities suppressed by ignore files or VEX");
        }
        Ok(())
    }
}
