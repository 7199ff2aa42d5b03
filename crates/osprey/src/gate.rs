//! Severity filtering and `--exit-code`, shared by every scanning command.

use osprey_model::Severity;
use osprey_model::report::Report;
use std::process::ExitCode;

/// `--severity` and `--exit-code`, as Trivy spells them.
#[derive(clap::Args, Debug, Clone)]
pub struct GateArgs {
    /// Severities to report, comma-separated (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, short, value_delimiter = ',', value_parser = parse_severity)]
    pub severity: Vec<Severity>,
    /// Exit with this code when findings remain after filtering (0: never fail).
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
        .map_err(|e: osprey_model::ParseSeverityError| e.to_string())
}

impl GateArgs {
    /// Drops findings below the selected severities.
    pub fn filter(&self, report: &mut Report) {
        if !self.severity.is_empty() {
            report.retain_severities(&self.severity);
        }
    }

    /// The process exit code for a rendered report.
    pub fn exit_code(&self, report: &Report) -> ExitCode {
        if self.exit_code != 0 && report.finding_count() > 0 {
            ExitCode::from(self.exit_code)
        } else {
            ExitCode::SUCCESS
        }
    }
}
