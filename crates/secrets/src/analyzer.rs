//! The secret scanner as an image-layer [`Analyzer`], and the step that turns squashed facts
//! back into findings with their layer and deleted/hidden state.

use crate::engine::Scanner;
use osprey_model::{SecretFinding, SecretLocation};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FactKind, FileMeta, Squashed};
use std::sync::Arc;

// The head the scan shows `wants_content` must hold every byte `is_binary` sniffs.
const _: () = assert!(osprey_scan::HEAD_LEN >= crate::text::SNIFF_LEN);

/// Default size limit of a scanned file; bigger files are reported as skipped.
pub const DEFAULT_MAX_SIZE: u64 = 10 * 1024 * 1024;

/// Name of the analyzer (and of its facts).
pub const ANALYZER_NAME: &str = "secrets";

/// Extensions of formats that are binary or compressed: never read for secrets.
const BINARY_EXTENSIONS: &[&str] = &[
    "7z", "a", "avi", "bin", "bmp", "bz2", "class", "db", "deb", "dll", "dylib", "eot", "exe",
    "flac", "gif", "gz", "ico", "jar", "jpeg", "jpg", "lz4", "lzma", "mo", "mov", "mp3", "mp4",
    "node", "o", "ogg", "otf", "pdf", "png", "pyc", "pyo", "rar", "rpm", "so", "sqlite", "tar",
    "tgz", "tif", "tiff", "ttf", "war", "wasm", "wav", "webm", "webp", "whl", "woff", "woff2",
    "xz", "zip", "zst",
];

/// True when the path's extension names a binary or compressed format.
pub fn has_binary_extension(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => {
            // `libfoo.so.1.2`: a shared object with a version suffix.
            let versioned_so = name.contains(".so.") && ext.bytes().all(|b| b.is_ascii_digit());
            versioned_so
                || BINARY_EXTENSIONS
                    .iter()
                    .any(|b| b.eq_ignore_ascii_case(ext))
        }
        _ => false,
    }
}

/// Scans every wanted file of every layer for secrets.
#[derive(Debug, Clone)]
pub struct SecretAnalyzer {
    scanner: Arc<Scanner>,
    max_size: u64,
}

impl SecretAnalyzer {
    /// An analyzer running `scanner`, with the default 10 MB size limit.
    pub fn new(scanner: Arc<Scanner>) -> Self {
        SecretAnalyzer {
            scanner,
            max_size: DEFAULT_MAX_SIZE,
        }
    }

    /// The same analyzer with another size limit (`--secret-max-size`).
    pub fn with_max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }

    /// The scanner it runs.
    pub fn scanner(&self) -> &Scanner {
        &self.scanner
    }
}

impl Analyzer for SecretAnalyzer {
    fn name(&self) -> &'static str {
        ANALYZER_NAME
    }

    fn version(&self) -> u32 {
        // 2: keyword windows and new keywords (`ACCESSKEY`, `PRIVATEKEY`) change findings.
        2
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file.size > 0 && !has_binary_extension(file.path) && !self.scanner.path_allowed(file.path)
    }

    fn max_size(&self) -> u64 {
        self.max_size
    }

    fn wants_content(&self, head: &[u8]) -> bool {
        // Binaries yield nothing (see `Scanner::scan_file`); declining them here spares
        // copying their bytes.
        !crate::text::is_binary(head)
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        // `wants` and `wants_content` have ruled out allowed paths and binaries.
        let findings = self.scanner.scan_text_file(file.path, content);
        if findings.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![Fact {
            analyzer: ANALYZER_NAME.to_string(),
            path: file.path.to_string(),
            kind: FactKind::Secrets(findings),
        }])
    }
}

/// Every secret finding of a squashed walk, with its layer and whether the file is still
/// in the final filesystem filled in from the walk.
pub fn findings_from_squashed(squashed: &Squashed) -> Vec<SecretFinding> {
    let mut out = Vec::new();
    for located in &squashed.facts {
        let FactKind::Secrets(findings) = &located.fact.kind else {
            continue;
        };
        if located.fact.analyzer != ANALYZER_NAME {
            continue;
        }
        for f in findings {
            let mut f = f.clone();
            if let SecretLocation::File {
                layer, in_final_fs, ..
            } = &mut f.location
            {
                *layer = located.layer;
                *in_final_fs = located.in_final_fs;
            }
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_extensions_are_skipped() {
        assert!(has_binary_extension("usr/lib/x86_64-linux-gnu/libssl.so.3"));
        assert!(has_binary_extension("a/b/logo.PNG"));
        assert!(!has_binary_extension("app/config/.env"));
        assert!(!has_binary_extension("app/config/settings.py"));
        assert!(!has_binary_extension("usr/share/doc/README.so-what"));
    }

    #[test]
    fn squashed_facts_carry_layer_and_deleted_state() {
        let a = SecretAnalyzer::new(Arc::new(Scanner::builtin()));
        let key = format!("AKIA{}", "Q3ZJ7MXRW2PNV5KD");
        let meta = FileMeta {
            path: "app/.env",
            size: 30,
            mode: 0o600,
        };
        let facts = a.analyze(&meta, format!("KEY={key}\n").as_bytes()).unwrap();
        assert_eq!(facts.len(), 1);
        let squashed = Squashed {
            facts: vec![osprey_scan::LocatedFact {
                layer: Some(6),
                in_final_fs: false,
                fact: facts[0].clone(),
            }],
            ..Default::default()
        };
        let findings = findings_from_squashed(&squashed);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].location,
            SecretLocation::File {
                path: "app/.env".into(),
                layer: Some(6),
                in_final_fs: false
            }
        );
        let report = osprey_model::report::ReportSecret::from_finding(&findings[0], &[]);
        assert!(report.deleted);
        assert!(!serde_json::to_string(&report).unwrap().contains(&key));
    }

    #[test]
    fn wants_text_files_but_not_empty_or_binary_ones() {
        let a = SecretAnalyzer::new(Arc::new(Scanner::builtin()));
        let meta = |path, size| FileMeta {
            path,
            size,
            mode: 0o644,
        };
        assert!(a.wants(&meta("app/config/.env", 10)));
        assert!(!a.wants(&meta("app/config/.wh..env", 0)));
        assert!(!a.wants(&meta("app/logo.png", 10)));
        assert!(!a.wants(&meta("src/tests/keys.pem", 10)));
        assert!(a.wants_content(b"KEY=value\n"));
        assert!(!a.wants_content(b"\x7fELF\x02\x01\x01\x00"));
        assert_eq!(a.max_size(), DEFAULT_MAX_SIZE);
        assert_eq!(a.clone().with_max_size(5).max_size(), 5);
    }
}
