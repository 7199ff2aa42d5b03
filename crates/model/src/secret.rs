use crate::Severity;
use serde::{Deserialize, Serialize};

/// Where a secret was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SecretLocation {
    /// A file (in a layer, or in a directory being scanned).
    File {
        /// Path without a leading `/`.
        path: String,
        /// Layer that added the file; `None` outside images.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        layer: Option<usize>,
        /// False when a later layer deleted the file or hid it behind an opaque directory.
        in_final_fs: bool,
    },
    /// The image config: `config.Env[2]`, `config.Labels.foo`, `config.Entrypoint`.
    Config {
        /// A JSON-path-like pointer into the config.
        field: String,
    },
    /// A history step's `created_by` (`RUN |1 TOKEN=... /bin/sh -c ...`).
    History {
        /// Index into the config's `history[]`.
        index: usize,
    },
}

/// A secret found by a rule, with the value redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFinding {
    /// Stable rule ID (`aws-access-key-id`).
    pub rule_id: String,
    /// Rule category (`AWS`, `GitHub`, `PrivateKey`, ...).
    pub category: String,
    /// Severity of the rule.
    pub severity: Severity,
    /// Human title of the rule.
    pub title: String,
    /// 1-based first line of the match.
    pub start_line: usize,
    /// 1-based last line of the match.
    pub end_line: usize,
    /// The matching line(s) with the secret replaced by `*`.
    pub redacted_match: String,
    /// Where it was found.
    pub location: SecretLocation,
    /// Redacted lines around the match, in the shape of Trivy's `Code.Lines`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<crate::report::CodeLine>,
}
