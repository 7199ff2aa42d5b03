//! Secret scanning for image layers, image configs and directory trees.
//!
//! This crate owns the secret rules (a catalogue of more than 110 built-in rules with
//! Trivy-compatible IDs where Trivy has the rule), the user config that adds, disables and
//! allows rules, and the engine that runs them:
//!
//! 1. one keyword pass over the bytes (case-insensitive, anchored on rare three-byte windows,
//!    see `keywords`) finds every occurrence of every rule's keywords;
//! 2. only those rules' regexes run, and a built-in rule's only on the windows around its
//!    keyword occurrences (every built-in match contains a keyword and has a bounded length;
//!    user rules keep Trivy's file-level keyword semantics). The `regex` crate never
//!    backtracks and every rule's match length is bounded, so a file costs time linear in its
//!    size whatever it holds;
//! 3. candidates pass entropy gates, format checks (GitHub's CRC32 checksum, JWT structure,
//!    base64 `user:password`) and allow rules (tests, examples, placeholders, public PEM
//!    blocks, and the user's own);
//! 4. line numbers are computed for the survivors only, and every secret byte is replaced
//!    by `*` in everything a finding carries: the value is never stored, logged or printed.
//!
//! Entry points: [`Scanner`] (compiled rules; [`Scanner::scan_file`],
//! [`Scanner::scan_image_config`]), [`SecretAnalyzer`] for the layer walk of `osprey-scan`,
//! [`scan_dir`] for directories, and the shortcuts [`scan_bytes`] and [`scan_image_config`]
//! that use the built-in rules.
//!
//! It must not touch: reading images or layers (the `scan` crate feeds it bytes), deciding
//! what is in the final filesystem (the squash), or rendering reports.
//!
//! ```
//! let key = format!("AKIA{}", "Q3ZJ7MXRW2PNV5KD");
//! let findings = osprey_secrets::scan_bytes(".env", format!("AWS_KEY={key}\n").as_bytes());
//! assert_eq!(findings[0].rule_id, "aws-access-key-id");
//! assert!(!findings[0].redacted_match.contains(&key));
//! ```
#![deny(missing_docs)]

mod analyzer;
mod builtin;
mod config;
mod engine;
mod fs;
mod image_config;
mod keywords;
mod results;
mod rule;
mod shape;
mod text;

pub use analyzer::{
    ANALYZER_NAME, DEFAULT_MAX_SIZE, SecretAnalyzer, findings_from_squashed, has_binary_extension,
};
pub use config::{ConfigError, SecretConfig, UserAllowRule, UserRule};
pub use engine::{MAX_FINDINGS_PER_FILE, PUBLIC_BLOCKS_ALLOW_ID, Scanner};
pub use fs::{DirOptions, DirScan, SkippedFile, scan_dir};
pub use results::{CONFIG_TARGET, HISTORY_TARGET, secret_results};
pub use rule::{AllowSpec, Check, MAX_MATCH_LEN, RuleError, RuleSpec};
pub use text::{is_binary, shannon_entropy};

use osprey_model::SecretFinding;
use std::sync::OnceLock;

/// The scanner with the built-in rules, compiled once per process.
pub fn builtin_scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(Scanner::builtin)
}

/// Scans one file's bytes with the built-in rules (see [`Scanner::scan_file`]).
pub fn scan_bytes(path: &str, bytes: &[u8]) -> Vec<SecretFinding> {
    builtin_scanner().scan_file(path, bytes)
}

/// Scans an image config with the built-in rules (see [`Scanner::scan_image_config`]).
pub fn scan_image_config(config: &serde_json::Value) -> Vec<SecretFinding> {
    builtin_scanner().scan_image_config(config)
}
