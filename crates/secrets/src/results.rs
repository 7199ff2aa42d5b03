//! Groups secret findings into report results the way Trivy does: one `secret` result per
//! file, plus one for the image config and one for the image history.

use osprey_model::report::{ReportResult, ReportSecret};
use osprey_model::{LayerInfo, SecretFinding, SecretLocation};
use std::collections::BTreeMap;

/// Target of findings in the image config (`Env`, `Labels`, `Entrypoint`, `Cmd`).
pub const CONFIG_TARGET: &str = "image config";
/// Target of findings in history `created_by` lines.
pub const HISTORY_TARGET: &str = "image history";

/// One result per target, targets sorted, findings by line.
pub fn secret_results(findings: &[SecretFinding], layers: &[LayerInfo]) -> Vec<ReportResult> {
    let mut by_target: BTreeMap<String, Vec<ReportSecret>> = BTreeMap::new();
    for f in findings {
        let target = match &f.location {
            SecretLocation::File { path, .. } => path.clone(),
            SecretLocation::Config { .. } => CONFIG_TARGET.to_string(),
            SecretLocation::History { .. } => HISTORY_TARGET.to_string(),
        };
        let mut secret = ReportSecret::from_finding(f, layers);
        if let SecretLocation::History { index } = &f.location {
            // Name the history step: that is where a user looks for it.
            secret.layer = layers
                .iter()
                .find(|l| l.history_index == Some(*index))
                .map(Into::into);
        }
        by_target.entry(target).or_default().push(secret);
    }
    by_target
        .into_iter()
        .map(|(target, mut secrets)| {
            secrets.sort_by(|a, b| {
                (a.start_line, &a.rule_id, a.deleted).cmp(&(b.start_line, &b.rule_id, b.deleted))
            });
            ReportResult {
                target,
                class: "secret".into(),
                secrets,
                ..Default::default()
            }
        })
        .collect()
}
