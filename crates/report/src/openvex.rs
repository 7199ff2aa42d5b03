//! OpenVEX 0.2.0 (<https://github.com/openvex/spec>): one statement per vulnerability and
//! package (product = the package's PURL).
//!
//! | finding | status |
//! |---|---|
//! | status `affected`, `fixed` (a fix exists, not installed), `will_not_fix`, `fix_deferred`, `end_of_life` | `affected`, with an `action_statement` naming the fix or its absence |
//! | status `under_investigation`, `unknown` | `under_investigation` |
//! | suppressed by a VEX `not_affected` / `fixed` statement (`--show-suppressed`) | the same status, with the statement |
//!
//! Findings suppressed by an ignore file are no VEX claim and are left out. Packages without a
//! PURL cannot be named as products and are left out too.

use std::collections::BTreeSet;

use osprey_model::report::{Report, ReportVulnerability};
use serde::Serialize;

use crate::{Error, RenderOptions, catalog, time};

const CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

#[derive(Serialize)]
pub(crate) struct Document {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: String,
    author: String,
    timestamp: String,
    version: u32,
    tooling: String,
    statements: Vec<Statement>,
}

#[derive(Serialize)]
struct Statement {
    vulnerability: Vulnerability,
    products: Vec<Product>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact_statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_statement: Option<String>,
}

#[derive(Serialize)]
struct Vulnerability {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
}

#[derive(Serialize)]
struct Product {
    #[serde(rename = "@id")]
    id: String,
    identifiers: Identifiers,
}

#[derive(Serialize)]
struct Identifiers {
    purl: String,
}

fn statement(
    v: &ReportVulnerability,
    status: &'static str,
    impact: Option<String>,
) -> Option<Statement> {
    let purl = &v.pkg_identifier.purl;
    if purl.is_empty() {
        return None;
    }
    let action_statement = (status == "affected").then(|| {
        if v.fixed_version.is_empty() {
            format!(
                "No fixed version of {} is available (status {}).",
                v.pkg_name, v.status
            )
        } else {
            format!("Upgrade {} to {}.", v.pkg_name, v.fixed_version)
        }
    });
    Some(Statement {
        vulnerability: Vulnerability {
            name: v.vulnerability_id.clone(),
            aliases: v.vendor_ids.clone(),
        },
        products: vec![Product {
            id: purl.clone(),
            identifiers: Identifiers { purl: purl.clone() },
        }],
        status,
        impact_statement: impact,
        action_statement,
    })
}

pub(crate) fn build(report: &Report, opts: &RenderOptions) -> Result<Document, Error> {
    let timestamp = time::document_timestamp(report, opts)?;
    let mut seen = BTreeSet::new();
    let mut statements = Vec::new();
    for r in &report.results {
        for v in &r.vulnerabilities {
            let status = match v.status.as_str() {
                "under_investigation" | "unknown" => "under_investigation",
                _ => "affected",
            };
            if seen.insert((v.vulnerability_id.clone(), v.pkg_identifier.purl.clone())) {
                statements.extend(statement(v, status, None));
            }
        }
        for m in &r.experimental_modified_findings {
            let status = match m.status.as_str() {
                "not_affected" => "not_affected",
                "fixed" => "fixed",
                _ => continue,
            };
            let v = &m.finding;
            let impact = (status == "not_affected").then(|| {
                if m.statement.is_empty() {
                    format!("Stated by {}.", m.source)
                } else {
                    m.statement.clone()
                }
            });
            if seen.insert((v.vulnerability_id.clone(), v.pkg_identifier.purl.clone())) {
                statements.extend(statement(v, status, impact));
            }
        }
    }
    statements.sort_by(|a, b| {
        (&a.vulnerability.name, &a.products[0].id).cmp(&(&b.vulnerability.name, &b.products[0].id))
    });
    Ok(Document {
        context: CONTEXT,
        id: format!(
            "https://openvex.dev/docs/public/vex-{}",
            catalog::document_uuid(report, opts, &timestamp, "openvex")
        ),
        author: opts.tool_name.clone(),
        timestamp,
        version: 1,
        tooling: format!("{} {}", opts.tool_name, opts.tool_version),
        statements,
    })
}
