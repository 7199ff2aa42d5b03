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
    /// Directory of user policies: Gatekeeper ConstraintTemplates with Constraints, or plain
    /// Rego with `deny`/`violation` rules (repeatable).
    #[arg(long)]
    pub policy: Vec<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = args.checks.options()?;
    let stdin = args.path.as_os_str() == "-";
    if stdin && !args.policy.is_empty() {
        anyhow::bail!("--policy needs manifest files or a directory, not stdin");
    }
    let mut results = if stdin {
        osprey_misconfig::scan_stdin(InputKind::Auto, &opts)?
    } else {
        osprey_misconfig::scan_path(&args.path, &opts)?
    };
    if !args.policy.is_empty() {
        add_policy_findings(&args, &opts, &mut results)?;
    }
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

/// Evaluates the user's policies over every scanned object and adds each violation to the
/// result of the file the object is in.
fn add_policy_findings(
    args: &Args,
    opts: &Options,
    results: &mut Vec<osprey_model::report::ReportResult>,
) -> anyhow::Result<()> {
    let policies = osprey_policy::custom::load_policies(&args.policy)?;
    if policies.is_empty() {
        anyhow::bail!(
            "no ConstraintTemplate with a Constraint, and no Rego with deny/violation rules, under {}",
            args.policy
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let files = osprey_misconfig::manifest_objects(&args.path, opts)?;
    let mut objects = Vec::new();
    let mut owner = Vec::new();
    for f in &files {
        for (object, start, end) in &f.objects {
            objects.push(osprey_policy::custom::ScannedObject {
                object: object.clone(),
                lines: (*start, *end),
            });
            owner.push(f.target.clone());
        }
    }
    for (index, finding) in policies.evaluate(&objects)? {
        let target = &owner[index];
        let result = match results.iter_mut().position(|r| &r.target == target) {
            Some(i) => &mut results[i],
            None => {
                results.push(osprey_model::report::ReportResult {
                    target: target.clone(),
                    class: "config".into(),
                    r#type: "kubernetes".into(),
                    ..Default::default()
                });
                results.last_mut().expect("just pushed")
            }
        };
        result.misconfigurations.push(finding);
        let summary = result.misconf_summary.get_or_insert_with(Default::default);
        summary.failures += 1;
    }
    Ok(())
}
