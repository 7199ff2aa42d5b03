//! Shared helpers for the catalogers' tests.

use osprey_model::Package;
use osprey_scan::{Analyzer, FactKind, FileMeta};
use std::path::PathBuf;

/// `../shared` beside the worktree; panics with a clear message when it is missing.
pub(crate) fn shared() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    assert!(
        dir.is_dir(),
        "test data folder {} is missing: the tests need the shared fixtures beside the checkout",
        dir.display()
    );
    dir
}

/// The bytes of `shared/fixtures/pkgdb/<rel>`.
pub(crate) fn fixture(rel: &str) -> Vec<u8> {
    let path = shared().join("fixtures/pkgdb").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()))
}

/// Runs `analyzer` on `content` as if it were the file at `path` (asserting it wants it) and
/// returns the packages of its facts.
pub(crate) fn analyze(analyzer: &dyn Analyzer, path: &str, content: &[u8]) -> Vec<Package> {
    let meta = FileMeta {
        path,
        size: content.len() as u64,
        mode: 0o755,
    };
    assert!(
        analyzer.wants(&meta),
        "{} does not want {path}",
        analyzer.name()
    );
    let facts = analyzer
        .analyze(&meta, content)
        .unwrap_or_else(|e| panic!("{} on {path}: {e}", analyzer.name()));
    facts
        .into_iter()
        .flat_map(|f| match f.kind {
            FactKind::Packages(p) => p,
            _ => Vec::new(),
        })
        .collect()
}
