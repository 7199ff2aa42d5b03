//! Helpers: locate `../shared`, run the analyzers over bytes as the walker would, and build
//! a `Squashed` by hand.

use osprey_inventory::analyzers;
use osprey_scan::{Fact, FileMeta, LocatedFact, Squashed};
use std::path::{Path, PathBuf};

/// The read-only data folder beside the checkout.
pub fn shared() -> PathBuf {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");
    assert!(
        Path::new(dir).is_dir(),
        "the shared data folder is missing at {dir}: the tests need ../shared beside the checkout"
    );
    PathBuf::from(dir)
}

/// The bytes of a file under `../shared`.
pub fn read_shared(relative: &str) -> Vec<u8> {
    let path = shared().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every analyzer that wants `path` parses `bytes`; analyzer errors fail the test.
pub fn analyze(path: &str, bytes: &[u8]) -> Vec<Fact> {
    try_analyze(path, bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Like [`analyze`], returning the first analyzer error instead of panicking.
pub fn try_analyze(path: &str, bytes: &[u8]) -> Result<Vec<Fact>, String> {
    let meta = FileMeta {
        path,
        size: bytes.len() as u64,
        mode: 0o644,
    };
    let mut facts = Vec::new();
    for analyzer in analyzers().iter().filter(|a| a.wants(&meta)) {
        facts.extend(analyzer.analyze(&meta, bytes).map_err(|e| e.message)?);
    }
    Ok(facts)
}

/// Facts of one layer, all in the final filesystem.
pub fn located(layer: usize, in_final_fs: bool, facts: Vec<Fact>) -> Vec<LocatedFact> {
    facts
        .into_iter()
        .map(|fact| LocatedFact {
            layer: Some(layer),
            in_final_fs,
            fact,
        })
        .collect()
}

/// A one-layer image holding `files` (image path, bytes).
pub fn one_layer(files: &[(&str, &[u8])]) -> Squashed {
    let facts = files
        .iter()
        .flat_map(|(path, bytes)| located(0, true, analyze(path, bytes)))
        .collect();
    Squashed {
        facts,
        ..Squashed::default()
    }
}

/// Runs `f` and returns what it logged through `tracing` at WARN level and above.
pub fn warnings_of(f: impl FnOnce()) -> String {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = buffer.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}
